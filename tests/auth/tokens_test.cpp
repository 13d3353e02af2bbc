// API tokens: names and scopes are validated, the secret is shown once and only its SHA-256 hash
// is stored, a live name is unique, and Check tells valid, unknown, expired and revoked apart.
// Everything runs against the real SQLite store in a temporary directory.
#include "auth/tokens.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <cctype>
#include <string>
#include <vector>

#include "support/support.h"

namespace csoc::auth {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// 2026-01-01T00:00:00Z; whole milliseconds, because the store keeps milliseconds.
TimePoint At(int64_t offset_ms) { return FromUnixMillis(1'767'225'600'000 + offset_ms); }
constexpr int64_t kSecond = 1000;
constexpr int64_t kMinute = 60 * kSecond;
constexpr int64_t kHour = 60 * kMinute;

// Reads the database through its own connection: what an attacker with a copy of the file sees.
std::vector<std::string> RawStrings(const std::filesystem::path& path, const std::string& sql) {
  std::vector<std::string> out;
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
  while (sqlite3_step(stmt) == SQLITE_ROW) {
    const unsigned char* text = sqlite3_column_text(stmt, 0);
    out.emplace_back(text == nullptr ? "<null>" : reinterpret_cast<const char*>(text));
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return out;
}

bool IsLowerHex(const std::string& s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

// ---- Pure functions ----

TEST(TokenNameTest, AcceptsOneToSixtyFourSafeCharacters) {
  EXPECT_TRUE(ValidateTokenName("a").ok());
  EXPECT_TRUE(ValidateTokenName("ci-deploy_2.prod").ok());
  EXPECT_TRUE(ValidateTokenName("ABCxyz019").ok());
  EXPECT_TRUE(ValidateTokenName(std::string(64, 'x')).ok());
}

TEST(TokenNameTest, RefusesEmptyTooLongAndUnsafeNames) {
  for (std::string bad : {std::string(), std::string(65, 'x'), std::string("a b"), std::string("a/b"),
                          std::string("a\nb"), std::string("tok\xc3\xa9"), std::string("a:b"), std::string("$(x)")}) {
    Status s = ValidateTokenName(bad);
    EXPECT_EQ(s.code(), Status::Code::kInvalidArgument) << "'" << bad << "'";
  }
  EXPECT_THAT(ValidateTokenName(std::string(65, 'x')).message(), HasSubstr("65"));
}

TEST(TokenScopesTest, KnownScopesAreAdminStatusWriteLogsIngestAndAlertsWrite) {
  EXPECT_THAT(KnownScopes(), ElementsAre("admin", "status:write", "logs:ingest", "alerts:write"));
  EXPECT_EQ(kScopeAdmin, "admin");
  EXPECT_EQ(kScopeStatusWrite, "status:write");
  EXPECT_EQ(kScopeLogsIngest, "logs:ingest");
  EXPECT_EQ(kScopeAlertsWrite, "alerts:write");
}

TEST(TokenScopesTest, NeedsAtLeastOneKnownScope) {
  EXPECT_TRUE(ValidateScopes({"admin"}).ok());
  EXPECT_TRUE(ValidateScopes({"status:write"}).ok());
  EXPECT_TRUE(ValidateScopes({"status:write", "admin"}).ok());

  Status none = ValidateScopes({});
  EXPECT_EQ(none.code(), Status::Code::kInvalidArgument);
  Status unknown = ValidateScopes({"status:write", "status:read"});
  EXPECT_EQ(unknown.code(), Status::Code::kInvalidArgument);
  // The message names the offending scope so the operator can fix the command line.
  EXPECT_THAT(unknown.message(), HasSubstr("status:read"));
  // Scopes are exact: case and whitespace variants are not the same scope.
  EXPECT_FALSE(ValidateScopes({"Admin"}).ok());
  EXPECT_FALSE(ValidateScopes({" admin"}).ok());
  EXPECT_FALSE(ValidateScopes({""}).ok());
}

TEST(TokenInfoTest, AdminImpliesEveryScope) {
  TokenInfo writer;
  writer.scopes = {"status:write"};
  EXPECT_TRUE(writer.HasScope(kScopeStatusWrite));
  EXPECT_FALSE(writer.HasScope(kScopeAdmin));
  EXPECT_FALSE(writer.HasScope("other"));

  TokenInfo admin;
  admin.scopes = {"admin"};
  EXPECT_TRUE(admin.HasScope(kScopeAdmin));
  EXPECT_TRUE(admin.HasScope(kScopeStatusWrite));
  EXPECT_TRUE(admin.HasScope("some:future-scope"));

  TokenInfo none;
  EXPECT_FALSE(none.HasScope(kScopeStatusWrite));
}

TEST(TokenSecretTest, IsCsocPrefixAnd48HexDigitsAndDiffersEachTime) {
  std::string a = NewTokenSecret();
  std::string b = NewTokenSecret();
  ASSERT_EQ(a.size(), 5u + 48u);
  EXPECT_EQ(a.substr(0, 5), "csoc_");
  EXPECT_TRUE(IsLowerHex(a.substr(5))) << a;
  EXPECT_NE(a, b);
}

TEST(TokenHashTest, IsLowerCaseHexSha256) {
  // FIPS 180-2 test vectors.
  EXPECT_EQ(HashToken("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(HashToken(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_NE(HashToken("csoc_a"), HashToken("csoc_b"));
}

// ---- The SQLite store ----

class TokenStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { store_ = Open(); }

  std::unique_ptr<TokenStore> Open() {
    std::unique_ptr<TokenStore> store;
    Status s = OpenSqliteTokenStore(path_, &store);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return store;
  }

  std::string CreateOrDie(const std::string& name, std::vector<std::string> scopes, TimePoint now,
                          std::optional<TimePoint> expires = std::nullopt) {
    std::string secret;
    Status s = store_->Create(name, scopes, expires, now, &secret);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return secret;
  }

  std::vector<TokenInfo> ListOrDie(TokenStore* store = nullptr) {
    std::vector<TokenInfo> out;
    Status s = (store == nullptr ? store_.get() : store)->List(&out);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return out;
  }

  TokenCheck CheckOrDie(std::string_view secret, TimePoint now, TokenInfo* info = nullptr) {
    TokenInfo ignored;
    TokenCheck result = TokenCheck::kValid;
    Status s = store_->Check(secret, now, &result, info == nullptr ? &ignored : info);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return result;
  }

  csoc::testing::TempDir dir_;
  // A subdirectory that does not exist yet: opening creates it.
  std::filesystem::path path_ = dir_.path() / "data" / "csoc.db";
  std::unique_ptr<TokenStore> store_;
};

TEST_F(TokenStoreTest, CreateGivesASecretThatChecksValidWithItsDetails) {
  std::string secret = CreateOrDie("deploy", {"status:write"}, At(0), At(kHour));
  EXPECT_EQ(secret.substr(0, 5), "csoc_");
  EXPECT_EQ(secret.size(), 53u);

  TokenInfo info;
  EXPECT_EQ(CheckOrDie(secret, At(kSecond), &info), TokenCheck::kValid);
  EXPECT_EQ(info.name, "deploy");
  EXPECT_EQ(info.scopes, std::vector<std::string>{"status:write"});
  EXPECT_EQ(info.created, At(0));
  EXPECT_EQ(info.expires, At(kHour));
  EXPECT_FALSE(info.revoked.has_value());
  // The check itself is a use.
  EXPECT_EQ(info.last_used, At(kSecond));
}

TEST_F(TokenStoreTest, SeveralScopesKeepTheirOrder) {
  std::string secret = CreateOrDie("both", {"status:write", "admin"}, At(0));
  TokenInfo info;
  ASSERT_EQ(CheckOrDie(secret, At(0), &info), TokenCheck::kValid);
  EXPECT_EQ(info.scopes, (std::vector<std::string>{"status:write", "admin"}));
  EXPECT_FALSE(info.expires.has_value());
  EXPECT_TRUE(info.HasScope(kScopeAdmin));
}

TEST_F(TokenStoreTest, OnlyTheHashIsStoredNeverTheSecret) {
  std::string secret = CreateOrDie("deploy", {"admin"}, At(0));
  std::vector<std::string> hashes = RawStrings(path_, "SELECT hash FROM api_tokens");
  EXPECT_THAT(hashes, ElementsAre(HashToken(secret)));
  // No column of any row holds the secret (nor its hex part).
  std::vector<std::string> everything =
      RawStrings(path_,
                 "SELECT name || '|' || hash || '|' || scopes || '|' || created_ms || '|' || ifnull(expires_ms, '') "
                 "FROM api_tokens");
  ASSERT_EQ(everything.size(), 1u);
  EXPECT_THAT(everything[0], ::testing::Not(HasSubstr(secret.substr(5))));
  // Nor does the database file itself (or its WAL), byte for byte.
  for (const auto& entry : std::filesystem::directory_iterator(path_.parent_path())) {
    std::string bytes = csoc::testing::ReadFile(entry.path());
    EXPECT_EQ(bytes.find(secret.substr(5)), std::string::npos) << entry.path();
  }
}

TEST_F(TokenStoreTest, AWrongSecretIsUnknownAndRecordsNothing) {
  std::string secret = CreateOrDie("deploy", {"admin"}, At(0));
  EXPECT_EQ(CheckOrDie("csoc_" + std::string(48, '0'), At(kSecond)), TokenCheck::kUnknown);
  EXPECT_EQ(CheckOrDie("", At(kSecond)), TokenCheck::kUnknown);
  // A prefix or a changed case of the real secret is not the secret.
  EXPECT_EQ(CheckOrDie(secret.substr(0, secret.size() - 1), At(kSecond)), TokenCheck::kUnknown);
  std::string upper = secret;
  for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_EQ(CheckOrDie(upper, At(kSecond)), TokenCheck::kUnknown);
  // Looking up the stored hash itself must not work: the hash is not a credential.
  EXPECT_EQ(CheckOrDie(HashToken(secret), At(kSecond)), TokenCheck::kUnknown);

  std::vector<TokenInfo> list = ListOrDie();
  ASSERT_EQ(list.size(), 1u);
  EXPECT_FALSE(list[0].last_used.has_value());
}

TEST_F(TokenStoreTest, InvalidNamesScopesAndExpiriesAreRefusedAndStoreNothing) {
  std::string secret = "unchanged";
  EXPECT_EQ(store_->Create("bad name", {"admin"}, std::nullopt, At(0), &secret).code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(store_->Create("", {"admin"}, std::nullopt, At(0), &secret).code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(store_->Create("ok", {}, std::nullopt, At(0), &secret).code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(store_->Create("ok", {"root"}, std::nullopt, At(0), &secret).code(), Status::Code::kInvalidArgument);
  // An expiry must lie in the future: now itself is already expired.
  Status past = store_->Create("ok", {"admin"}, At(-1), At(0), &secret);
  EXPECT_EQ(past.code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(store_->Create("ok", {"admin"}, At(0), At(0), &secret).code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(secret, "unchanged");
  EXPECT_TRUE(ListOrDie().empty());
  EXPECT_THAT(RawStrings(path_, "SELECT count(*) FROM api_tokens"), ElementsAre("0"));
}

TEST_F(TokenStoreTest, ALiveNameIsUniqueEvenWhenThatTokenExpired) {
  std::string first = CreateOrDie("deploy", {"status:write"}, At(0), At(kMinute));
  std::string secret = "unchanged";
  Status dup = store_->Create("deploy", {"admin"}, std::nullopt, At(kSecond), &secret);
  EXPECT_EQ(dup.code(), Status::Code::kInvalidArgument);
  EXPECT_THAT(dup.message(), HasSubstr("deploy"));
  EXPECT_EQ(secret, "unchanged");
  // An expired token still holds its name until it is revoked.
  Status after_expiry = store_->Create("deploy", {"admin"}, std::nullopt, At(kHour), &secret);
  EXPECT_EQ(after_expiry.code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(ListOrDie().size(), 1u);
  // The refused attempts did not touch the first token.
  TokenInfo info;
  EXPECT_EQ(CheckOrDie(first, At(2 * kSecond), &info), TokenCheck::kValid);
  EXPECT_EQ(info.scopes, std::vector<std::string>{"status:write"});
}

TEST_F(TokenStoreTest, ExpiryIsExactToTheMillisecond) {
  std::string secret = CreateOrDie("short", {"admin"}, At(0), At(kMinute));
  EXPECT_EQ(CheckOrDie(secret, At(kMinute - 1)), TokenCheck::kValid);
  TokenInfo info;
  EXPECT_EQ(CheckOrDie(secret, At(kMinute), &info), TokenCheck::kExpired);
  // Details are given for an expired token, so the answer can say which one and when.
  EXPECT_EQ(info.name, "short");
  EXPECT_EQ(info.expires, At(kMinute));
  EXPECT_EQ(CheckOrDie(secret, At(kHour)), TokenCheck::kExpired);
}

TEST_F(TokenStoreTest, RevokeEndsATokenAndKeepsItsRow) {
  std::string secret = CreateOrDie("deploy", {"admin"}, At(0));
  ASSERT_EQ(CheckOrDie(secret, At(kSecond)), TokenCheck::kValid);
  Status s = store_->Revoke("deploy", At(kMinute));
  ASSERT_TRUE(s.ok()) << s.ToString();

  TokenInfo info;
  EXPECT_EQ(CheckOrDie(secret, At(kHour), &info), TokenCheck::kRevoked);
  EXPECT_EQ(info.name, "deploy");
  EXPECT_EQ(info.revoked, At(kMinute));
  // A revoked check is not a use.
  EXPECT_EQ(info.last_used, At(kSecond));

  std::vector<TokenInfo> list = ListOrDie();
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].revoked, At(kMinute));
  EXPECT_EQ(list[0].last_used, At(kSecond));
}

TEST_F(TokenStoreTest, RevokedWinsOverExpired) {
  std::string secret = CreateOrDie("deploy", {"admin"}, At(0), At(kMinute));
  ASSERT_TRUE(store_->Revoke("deploy", At(kSecond)).ok());
  EXPECT_EQ(CheckOrDie(secret, At(kHour)), TokenCheck::kRevoked);
}

TEST_F(TokenStoreTest, RevokingAnUnknownOrAlreadyRevokedNameIsNotFound) {
  EXPECT_EQ(store_->Revoke("nobody", At(0)).code(), Status::Code::kNotFound);
  CreateOrDie("deploy", {"admin"}, At(0));
  ASSERT_TRUE(store_->Revoke("deploy", At(kSecond)).ok());
  Status again = store_->Revoke("deploy", At(kMinute));
  EXPECT_EQ(again.code(), Status::Code::kNotFound);
  EXPECT_THAT(again.message(), HasSubstr("deploy"));
  // The second attempt did not move the revocation time.
  std::vector<TokenInfo> list = ListOrDie();
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].revoked, At(kSecond));
}

TEST_F(TokenStoreTest, ANameCanBeReusedAfterRevokeAndOnlyTheLiveTokenIsRevokedNext) {
  std::string old_secret = CreateOrDie("deploy", {"status:write"}, At(0));
  ASSERT_TRUE(store_->Revoke("deploy", At(kSecond)).ok());
  std::string new_secret = CreateOrDie("deploy", {"admin"}, At(2 * kSecond));
  EXPECT_NE(old_secret, new_secret);

  EXPECT_EQ(CheckOrDie(old_secret, At(kMinute)), TokenCheck::kRevoked);
  TokenInfo info;
  EXPECT_EQ(CheckOrDie(new_secret, At(kMinute), &info), TokenCheck::kValid);
  EXPECT_EQ(info.scopes, std::vector<std::string>{"admin"});

  ASSERT_TRUE(store_->Revoke("deploy", At(kHour)).ok());
  std::vector<TokenInfo> list = ListOrDie();
  ASSERT_EQ(list.size(), 2u);
  // Oldest first; the first revocation time is kept.
  EXPECT_EQ(list[0].created, At(0));
  EXPECT_EQ(list[0].revoked, At(kSecond));
  EXPECT_EQ(list[1].created, At(2 * kSecond));
  EXPECT_EQ(list[1].revoked, At(kHour));
}

TEST_F(TokenStoreTest, ListIsOldestFirstWithEveryField) {
  CreateOrDie("b-second", {"admin"}, At(kSecond), At(kHour));
  CreateOrDie("a-first-by-name-but-created-last", {"status:write"}, At(2 * kSecond));
  CreateOrDie("c", {"status:write", "admin"}, At(3 * kSecond));
  ASSERT_TRUE(store_->Revoke("c", At(kMinute)).ok());

  std::vector<TokenInfo> list = ListOrDie();
  ASSERT_EQ(list.size(), 3u);
  EXPECT_EQ(list[0].name, "b-second");
  EXPECT_EQ(list[0].scopes, std::vector<std::string>{"admin"});
  EXPECT_EQ(list[0].created, At(kSecond));
  EXPECT_EQ(list[0].expires, At(kHour));
  EXPECT_FALSE(list[0].revoked.has_value());
  EXPECT_FALSE(list[0].last_used.has_value());
  EXPECT_EQ(list[1].name, "a-first-by-name-but-created-last");
  EXPECT_FALSE(list[1].expires.has_value());
  EXPECT_EQ(list[2].name, "c");
  EXPECT_EQ(list[2].scopes, (std::vector<std::string>{"status:write", "admin"}));
  EXPECT_EQ(list[2].revoked, At(kMinute));
}

TEST_F(TokenStoreTest, ListReplacesWhatTheOutputHeld) {
  CreateOrDie("one", {"admin"}, At(0));
  std::vector<TokenInfo> out(5);
  ASSERT_TRUE(store_->List(&out).ok());
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].name, "one");
}

TEST_F(TokenStoreTest, LastUseIsRecordedAtMostOnceAMinute) {
  std::string secret = CreateOrDie("deploy", {"admin"}, At(0));
  TokenInfo info;
  ASSERT_EQ(CheckOrDie(secret, At(10 * kSecond), &info), TokenCheck::kValid);
  EXPECT_EQ(info.last_used, At(10 * kSecond));
  // Within the minute: the stored (and reported) last use stays.
  ASSERT_EQ(CheckOrDie(secret, At(10 * kSecond + kMinute - 1), &info), TokenCheck::kValid);
  EXPECT_EQ(info.last_used, At(10 * kSecond));
  EXPECT_EQ(ListOrDie()[0].last_used, At(10 * kSecond));
  // A full minute later it moves.
  ASSERT_EQ(CheckOrDie(secret, At(10 * kSecond + kMinute), &info), TokenCheck::kValid);
  EXPECT_EQ(info.last_used, At(10 * kSecond + kMinute));
  EXPECT_EQ(ListOrDie()[0].last_used, At(10 * kSecond + kMinute));
}

TEST_F(TokenStoreTest, AnExpiredCheckIsNotAUse) {
  std::string secret = CreateOrDie("deploy", {"admin"}, At(0), At(kMinute));
  EXPECT_EQ(CheckOrDie(secret, At(kHour)), TokenCheck::kExpired);
  EXPECT_FALSE(ListOrDie()[0].last_used.has_value());
}

TEST_F(TokenStoreTest, EverythingSurvivesReopening) {
  std::string live = CreateOrDie("live", {"status:write"}, At(0), At(kHour));
  std::string gone = CreateOrDie("gone", {"admin"}, At(kSecond));
  ASSERT_EQ(CheckOrDie(live, At(2 * kSecond)), TokenCheck::kValid);
  ASSERT_TRUE(store_->Revoke("gone", At(3 * kSecond)).ok());
  std::vector<TokenInfo> before = ListOrDie();
  store_.reset();

  // Opening an existing database migrates nothing twice and loses nothing.
  std::unique_ptr<TokenStore> reopened = Open();
  ASSERT_NE(reopened, nullptr);
  std::unique_ptr<TokenStore> again = Open();
  ASSERT_NE(again, nullptr);
  std::vector<TokenInfo> after = ListOrDie(again.get());
  ASSERT_EQ(after.size(), before.size());
  for (size_t i = 0; i < after.size(); ++i) {
    EXPECT_EQ(after[i].name, before[i].name);
    EXPECT_EQ(after[i].scopes, before[i].scopes);
    EXPECT_EQ(after[i].created, before[i].created);
    EXPECT_EQ(after[i].expires, before[i].expires);
    EXPECT_EQ(after[i].revoked, before[i].revoked);
    EXPECT_EQ(after[i].last_used, before[i].last_used);
  }
  EXPECT_THAT(RawStrings(path_, "SELECT version FROM area_migrations WHERE area = 'auth'"), ElementsAre("1"));

  store_ = std::move(again);
  EXPECT_EQ(CheckOrDie(live, At(kMinute)), TokenCheck::kValid);
  EXPECT_EQ(CheckOrDie(gone, At(kMinute)), TokenCheck::kRevoked);
  EXPECT_EQ(CheckOrDie(live, At(2 * kHour)), TokenCheck::kExpired);
}

TEST_F(TokenStoreTest, TwoConnectionsSeeEachOthersChanges) {
  // The CLI creates and revokes tokens while the server checks them on its own connection.
  std::unique_ptr<TokenStore> server = Open();
  ASSERT_NE(server, nullptr);
  std::string secret = CreateOrDie("deploy", {"admin"}, At(0));
  TokenCheck result = TokenCheck::kUnknown;
  TokenInfo info;
  ASSERT_TRUE(server->Check(secret, At(kSecond), &result, &info).ok());
  EXPECT_EQ(result, TokenCheck::kValid);
  ASSERT_TRUE(store_->Revoke("deploy", At(2 * kSecond)).ok());
  ASSERT_TRUE(server->Check(secret, At(3 * kSecond), &result, &info).ok());
  EXPECT_EQ(result, TokenCheck::kRevoked);
}

TEST_F(TokenStoreTest, ANewerAuthSchemaIsRefused) {
  store_.reset();
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, "UPDATE area_migrations SET version = 2 WHERE area = 'auth'", nullptr, nullptr, nullptr),
              SQLITE_OK);
    sqlite3_close(db);
  }
  std::unique_ptr<TokenStore> store;
  Status s = OpenSqliteTokenStore(path_, &store);
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("auth"));
  EXPECT_EQ(store, nullptr);
  // Refusing changed nothing: the version is still the newer one.
  EXPECT_THAT(RawStrings(path_, "SELECT version FROM area_migrations WHERE area = 'auth'"), ElementsAre("2"));
}

TEST_F(TokenStoreTest, AFileThatIsNotACsocDatabaseIsRefused) {
  std::filesystem::path foreign = dir_.path() / "foreign.db";
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(foreign.c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, "CREATE TABLE mine(x)", nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
  }
  std::unique_ptr<TokenStore> store;
  EXPECT_FALSE(OpenSqliteTokenStore(foreign, &store).ok());
  EXPECT_EQ(store, nullptr);
  EXPECT_THAT(RawStrings(foreign, "SELECT count(*) FROM sqlite_master WHERE name = 'api_tokens'"), ElementsAre("0"));
}

}  // namespace
}  // namespace csoc::auth

// What every write route checks first: a bearer token with the right scope, checked against a real
// SQLite token store (401 with WWW-Authenticate for no, malformed, unknown, expired or revoked
// tokens; 403 for a missing scope), and a JSON body (415). The token never appears in an answer.
#include "web/write_guard.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "auth/tokens.h"
#include "support/support.h"

namespace csoc::web {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TimePoint At(int64_t offset_ms) { return FromUnixMillis(1'795'000'000'000 + offset_ms); }
constexpr int64_t kMinute = 60'000;
constexpr int64_t kHour = 60 * kMinute;

std::string TestErrorBody(int status, const std::string& message) {
  return nlohmann::json{{"status", status}, {"message", message}}.dump();
}

Request WithHeaders(std::vector<std::pair<std::string, std::string>> headers) {
  Request r;
  r.method = "POST";
  r.target = "/api/v1/incidents";
  r.headers = std::move(headers);
  r.body = "{}";
  return r;
}

class WriteGuardTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Status s = auth::OpenSqliteTokenStore(dir_.path() / "csoc.db", &tokens_);
    ASSERT_TRUE(s.ok()) << s.ToString();
    writer_ = Create("writer", {"status:write"}, std::nullopt);
    admin_ = Create("root", {"admin"}, std::nullopt);
    expiring_ = Create("short", {"status:write"}, At(kHour));
    revoked_ = Create("old", {"status:write"}, std::nullopt);
    ASSERT_TRUE(tokens_->Revoke("old", At(kMinute)).ok());
  }

  std::string Create(const std::string& name, std::vector<std::string> scopes, std::optional<TimePoint> expires) {
    std::string secret;
    Status s = tokens_->Create(name, scopes, expires, At(0), &secret);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return secret;
  }

  std::optional<Response> Guard(const std::string& authorization, std::string_view scope = auth::kScopeStatusWrite,
                                TimePoint now = At(2 * kMinute), auth::TokenInfo* who = nullptr) {
    return RequireToken(WithHeaders({{"authorization", authorization}}), tokens_.get(), scope, now, TestErrorBody, who);
  }

  // Checks the shape of a 401 and returns its message.
  std::string Unauthorized(const std::optional<Response>& r) {
    EXPECT_TRUE(r.has_value());
    if (!r) return "";
    EXPECT_EQ(r->status, 401);
    EXPECT_EQ(r->content_type, "application/json");
    const std::string* challenge = r->Header("WWW-Authenticate");
    EXPECT_NE(challenge, nullptr);
    if (challenge != nullptr) {
      EXPECT_EQ(*challenge, "Bearer realm=\"csoc\"");
    }
    const std::string* cache = r->Header("Cache-Control");
    EXPECT_NE(cache, nullptr);
    if (cache != nullptr) {
      EXPECT_EQ(*cache, "no-store");
    }
    nlohmann::json body = nlohmann::json::parse(r->body);
    EXPECT_EQ(body["status"], 401);
    return body["message"].get<std::string>();
  }

  // No answer may echo any secret: answers end up in browser consoles and proxy logs.
  void ExpectNoSecretIn(const std::optional<Response>& r) {
    ASSERT_TRUE(r.has_value());
    for (const std::string* secret : {&writer_, &admin_, &expiring_, &revoked_}) {
      EXPECT_THAT(r->body, Not(HasSubstr(secret->substr(5))));
      for (const auto& [n, v] : r->headers) {
        EXPECT_THAT(v, Not(HasSubstr(secret->substr(5)))) << n;
      }
    }
  }

  csoc::testing::TempDir dir_;
  std::unique_ptr<auth::TokenStore> tokens_;
  std::string writer_, admin_, expiring_, revoked_;
};

// ---- RequireToken ----

TEST_F(WriteGuardTest, AValidTokenWithTheScopePasses) {
  auth::TokenInfo who;
  EXPECT_EQ(Guard("Bearer " + writer_, auth::kScopeStatusWrite, At(2 * kMinute), &who), std::nullopt);
  EXPECT_EQ(who.name, "writer");
  EXPECT_EQ(who.scopes, std::vector<std::string>{"status:write"});
  // The use is recorded in the store.
  std::vector<auth::TokenInfo> list;
  ASSERT_TRUE(tokens_->List(&list).ok());
  ASSERT_EQ(list[0].name, "writer");
  EXPECT_EQ(list[0].last_used, At(2 * kMinute));
}

TEST_F(WriteGuardTest, WhoIsOptional) { EXPECT_EQ(Guard("Bearer " + writer_), std::nullopt); }

TEST_F(WriteGuardTest, TheSchemeIsCaseInsensitiveAndSpacesAroundTheTokenAreIgnored) {
  EXPECT_EQ(Guard("bearer " + writer_), std::nullopt);
  EXPECT_EQ(Guard("BEARER " + writer_), std::nullopt);
  EXPECT_EQ(Guard("Bearer    " + writer_ + "  "), std::nullopt);
}

TEST_F(WriteGuardTest, AdminImpliesStatusWrite) {
  auth::TokenInfo who;
  EXPECT_EQ(Guard("Bearer " + admin_, auth::kScopeStatusWrite, At(2 * kMinute), &who), std::nullopt);
  EXPECT_EQ(who.name, "root");
  EXPECT_EQ(Guard("Bearer " + admin_, auth::kScopeAdmin), std::nullopt);
}

TEST_F(WriteGuardTest, AMissingScopeIs403WithoutAChallenge) {
  auth::TokenInfo who;
  who.name = "untouched";
  std::optional<Response> r = Guard("Bearer " + writer_, auth::kScopeAdmin, At(2 * kMinute), &who);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 403);
  EXPECT_EQ(r->content_type, "application/json");
  EXPECT_EQ(r->Header("WWW-Authenticate"), nullptr);
  ASSERT_NE(r->Header("Cache-Control"), nullptr);
  nlohmann::json body = nlohmann::json::parse(r->body);
  EXPECT_EQ(body["status"], 403);
  EXPECT_THAT(body["message"].get<std::string>(), HasSubstr("'writer'"));
  EXPECT_THAT(body["message"].get<std::string>(), HasSubstr("'admin'"));
  EXPECT_EQ(who.name, "untouched");
  ExpectNoSecretIn(r);
}

TEST_F(WriteGuardTest, NoAuthorizationHeaderIs401NamingTheScope) {
  std::optional<Response> r = RequireToken(WithHeaders({{"content-type", "application/json"}}), tokens_.get(),
                                           auth::kScopeStatusWrite, At(2 * kMinute), TestErrorBody);
  std::string message = Unauthorized(r);
  EXPECT_THAT(message, HasSubstr("status:write"));
  EXPECT_THAT(message, HasSubstr("Authorization: Bearer"));
}

TEST_F(WriteGuardTest, AMalformedAuthorizationIs401) {
  for (std::string bad :
       {std::string(""), std::string("Bearer"), std::string("Bearer:") + writer_, std::string("Basic ") + writer_,
        writer_, std::string("Token ") + writer_, std::string("Bearer") + writer_}) {
    std::optional<Response> r = Guard(bad);
    std::string message = Unauthorized(r);
    EXPECT_FALSE(message.empty()) << bad;
    ExpectNoSecretIn(r);
  }
  EXPECT_THAT(Unauthorized(Guard("Basic dXNlcjpwdw==")), HasSubstr("'Bearer <token>'"));
}

TEST_F(WriteGuardTest, AnUnknownTokenIs401) {
  for (std::string bad :
       {std::string("Bearer csoc_") + std::string(48, '0'), std::string("Bearer "), std::string("Bearer       "),
        "Bearer " + auth::HashToken(writer_), "Bearer " + writer_.substr(0, writer_.size() - 1),
        "Bearer " + writer_ + "x", "Bearer " + writer_ + " " + admin_}) {
    std::optional<Response> r = Guard(bad);
    EXPECT_THAT(Unauthorized(r), HasSubstr("not valid")) << bad;
    ExpectNoSecretIn(r);
  }
}

TEST_F(WriteGuardTest, AnExpiredTokenIs401NamingItAndWhen) {
  EXPECT_EQ(Guard("Bearer " + expiring_, auth::kScopeStatusWrite, At(kHour - 1)), std::nullopt);
  std::optional<Response> r = Guard("Bearer " + expiring_, auth::kScopeStatusWrite, At(kHour));
  std::string message = Unauthorized(r);
  EXPECT_THAT(message, HasSubstr("'short'"));
  EXPECT_THAT(message, HasSubstr("expired"));
  EXPECT_THAT(message, HasSubstr(FormatIso8601(At(kHour))));
  ExpectNoSecretIn(r);
}

TEST_F(WriteGuardTest, ARevokedTokenIs401NamingItAndWhen) {
  auth::TokenInfo who;
  who.name = "untouched";
  std::optional<Response> r = Guard("Bearer " + revoked_, auth::kScopeStatusWrite, At(2 * kMinute), &who);
  std::string message = Unauthorized(r);
  EXPECT_THAT(message, HasSubstr("'old'"));
  EXPECT_THAT(message, HasSubstr("revoked"));
  EXPECT_THAT(message, HasSubstr(FormatIso8601(At(kMinute))));
  EXPECT_EQ(who.name, "untouched");
  ExpectNoSecretIn(r);
}

TEST_F(WriteGuardTest, ARevocationTakesEffectAtOnce) {
  ASSERT_EQ(Guard("Bearer " + writer_), std::nullopt);
  ASSERT_TRUE(tokens_->Revoke("writer", At(3 * kMinute)).ok());
  EXPECT_THAT(Unauthorized(Guard("Bearer " + writer_, auth::kScopeStatusWrite, At(4 * kMinute))), HasSubstr("revoked"));
}

TEST_F(WriteGuardTest, WithoutATokenStoreEveryWriteIsRefusedWith503) {
  for (std::string header : {"Bearer " + writer_, std::string("")}) {
    std::optional<Response> r =
        RequireToken(WithHeaders({{"authorization", header}}), nullptr, auth::kScopeStatusWrite, At(0), TestErrorBody);
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->status, 503);
    EXPECT_EQ(r->content_type, "application/json");
    EXPECT_EQ(nlohmann::json::parse(r->body)["status"], 503);
    ExpectNoSecretIn(r);
  }
}

TEST_F(WriteGuardTest, OnlyTheFirstAuthorizationHeaderCounts) {
  Request r = WithHeaders({{"authorization", "Bearer wrong"}, {"authorization", "Bearer " + writer_}});
  std::optional<Response> answer = RequireToken(r, tokens_.get(), auth::kScopeStatusWrite, At(0), TestErrorBody);
  EXPECT_THAT(Unauthorized(answer), HasSubstr("not valid"));
}

// Promtail's and Alloy's basic_auth: the token is the password, the user name anything. Only
// where the route allows it; a bearer token works there too.
TEST_F(WriteGuardTest, BasicAuthCarriesTheTokenAsPasswordWhereAllowed) {
  auto basic = [&](const std::string& authorization, TokenSchemes schemes) {
    return RequireToken(WithHeaders({{"authorization", authorization}}), tokens_.get(), auth::kScopeStatusWrite,
                        At(2 * kMinute), TestErrorBody, nullptr, schemes);
  };
  auto b64 = [](const std::string& in) {
    static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    for (size_t i = 0; i < in.size(); i += 3) {
      uint32_t n = static_cast<uint8_t>(in[i]) << 16;
      if (i + 1 < in.size()) n |= static_cast<uint8_t>(in[i + 1]) << 8;
      if (i + 2 < in.size()) n |= static_cast<uint8_t>(in[i + 2]);
      out += kAlphabet[(n >> 18) & 63];
      out += kAlphabet[(n >> 12) & 63];
      out += i + 1 < in.size() ? kAlphabet[(n >> 6) & 63] : '=';
      out += i + 2 < in.size() ? kAlphabet[n & 63] : '=';
    }
    return out;
  };
  EXPECT_EQ(basic("Basic " + b64("promtail:" + writer_), TokenSchemes::kBearerOrBasic), std::nullopt);
  EXPECT_EQ(basic("basic " + b64(":" + writer_), TokenSchemes::kBearerOrBasic), std::nullopt);
  EXPECT_EQ(basic("Bearer " + writer_, TokenSchemes::kBearerOrBasic), std::nullopt);
  std::optional<Response> wrong = basic("Basic " + b64("promtail:" + writer_ + "x"), TokenSchemes::kBearerOrBasic);
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->status, 401);
  EXPECT_EQ(basic("Basic !!!", TokenSchemes::kBearerOrBasic)->status, 401);
  EXPECT_EQ(basic("Basic " + b64("no-colon"), TokenSchemes::kBearerOrBasic)->status, 401);
  // Where only bearer tokens are taken, basic credentials are refused even with a valid token.
  EXPECT_THAT(Unauthorized(basic("Basic " + b64("u:" + writer_), TokenSchemes::kBearer)), HasSubstr("'Bearer <token>'"));
}

// ---- RequireJsonBody ----

TEST(RequireJsonBodyTest, JsonWithAnyParametersPasses) {
  for (std::string type : {"application/json", "application/json; charset=utf-8", "Application/JSON",
                           "application/json;charset=UTF-8", "application/json ; charset=utf-8"}) {
    EXPECT_EQ(RequireJsonBody(WithHeaders({{"content-type", type}}), TestErrorBody), std::nullopt) << type;
  }
}

TEST(RequireJsonBodyTest, AMissingContentTypeIs415) {
  std::optional<Response> r = RequireJsonBody(WithHeaders({}), TestErrorBody);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 415);
  EXPECT_EQ(r->content_type, "application/json");
  ASSERT_NE(r->Header("Cache-Control"), nullptr);
  nlohmann::json body = nlohmann::json::parse(r->body);
  EXPECT_EQ(body["status"], 415);
  EXPECT_THAT(body["message"].get<std::string>(), HasSubstr("Content-Type: application/json"));
}

TEST(RequireJsonBodyTest, AnotherContentTypeIs415NamingIt) {
  for (std::string type : {"text/plain", "application/x-www-form-urlencoded", "application/jsonp",
                           "application/json-patch+json", "multipart/form-data; boundary=x", "", "json"}) {
    std::optional<Response> r = RequireJsonBody(WithHeaders({{"content-type", type}}), TestErrorBody);
    ASSERT_TRUE(r.has_value()) << type;
    EXPECT_EQ(r->status, 415) << type;
    EXPECT_THAT(nlohmann::json::parse(r->body)["message"].get<std::string>(), HasSubstr("'" + type + "'"));
  }
}

}  // namespace
}  // namespace csoc::web

// Schema versions: an older database is migrated on open with its data intact; a newer one, or an
// SQLite file that is not csoc's, is refused without being changed.
#include <gtest/gtest.h>

#include "store/sqlite_db.h"
#include "store/sqlite_schema.h"
#include "store/store.h"
#include "store_test_util.h"
#include "support/support.h"

namespace csoc::store {
namespace {

using namespace csoc::store::testing;

class MigrationTest : public ::testing::Test {
 protected:
  int64_t UserVersion() { return RawQueryInt(path_, "PRAGMA user_version"); }

  csoc::testing::TempDir dir_;
  std::filesystem::path path_ = dir_.path() / "history.db";
};

TEST_F(MigrationTest, ANewDatabaseIsAtTheCurrentVersionAndMarkedAsCsoc) {
  ASSERT_NE(OpenOrDie(path_), nullptr);
  EXPECT_EQ(UserVersion(), sqlite::CurrentSchemaVersion());
  EXPECT_GE(sqlite::CurrentSchemaVersion(), 2);
  EXPECT_EQ(RawQueryInt(path_, "PRAGMA application_id"), sqlite::kApplicationId);
  // Reopening a current database changes nothing.
  ASSERT_NE(OpenOrDie(path_), nullptr);
  EXPECT_EQ(UserVersion(), sqlite::CurrentSchemaVersion());
}

TEST_F(MigrationTest, AVersionOneDatabaseIsMigratedWithItsDataIntact) {
  {
    sqlite::Db db;
    ASSERT_TRUE(db.Open(path_).ok());
    Status s = sqlite::Migrate(&db, 1);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  EXPECT_EQ(UserVersion(), 1);
  EXPECT_EQ(RawQueryInt(path_, "SELECT count(*) FROM sqlite_master WHERE name = 'events'"), 0);
  RawExec(path_,
          "INSERT INTO checks(id, key) VALUES(1, 'env/svc/a');"
          "INSERT INTO results VALUES(1, " +
              std::to_string(kDay0Ms) + ", 3, 2000000, 503, 'status 503');");

  std::unique_ptr<Store> store = OpenOrDie(path_);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(UserVersion(), sqlite::CurrentSchemaVersion());
  std::vector<ResultRecord> results;
  ASSERT_TRUE(store->QueryResults("env/svc/a", At(0), At(kMinute), 10, &results).ok());
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].verdict, Health::kDown);
  EXPECT_EQ(results[0].status_code, 503);
  EXPECT_EQ(results[0].reason, "status 503");

  // What version 2 added works, and uses the same interned check.
  WriteBatch batch;
  batch.events.push_back(Event("env/svc/a", kSecond, Health::kUp, Health::kDown, "status 503"));
  batch.states.push_back({"env/svc/a", "fp", Health::kDown, At(kSecond), "{}"});
  ASSERT_TRUE(store->Write(batch).ok());
  EXPECT_EQ(RawQueryInt(path_, "SELECT count(*) FROM checks"), 1);
  std::vector<CheckStateRecord> states;
  ASSERT_TRUE(store->LoadStates(&states).ok());
  ASSERT_EQ(states.size(), 1u);
}

TEST_F(MigrationTest, ANewerDatabaseIsRefusedAndLeftAlone) {
  ASSERT_NE(OpenOrDie(path_), nullptr);
  const int newer = sqlite::CurrentSchemaVersion() + 1;
  RawExec(path_, "PRAGMA user_version = " + std::to_string(newer));
  std::unique_ptr<Store> store;
  Status s = OpenSqliteStore(path_, &store);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(store, nullptr);
  EXPECT_NE(s.message().find("schema version " + std::to_string(newer)), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("newer"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find(path_.string()), std::string::npos) << s.message();
  EXPECT_EQ(UserVersion(), newer);
}

TEST_F(MigrationTest, AnotherProgramsDatabaseIsRefused) {
  RawExec(path_, "CREATE TABLE invoices(id INTEGER PRIMARY KEY, total REAL)");
  std::unique_ptr<Store> store;
  Status s = OpenSqliteStore(path_, &store);
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument) << s.ToString();
  EXPECT_NE(s.message().find("no csoc schema"), std::string::npos) << s.message();
  EXPECT_EQ(RawQueryInt(path_, "SELECT count(*) FROM sqlite_master WHERE type = 'table'"), 1);

  std::filesystem::path other = dir_.path() / "other.db";
  RawExec(other, "CREATE TABLE t(x); PRAGMA user_version = 1; PRAGMA application_id = 42");
  s = OpenSqliteStore(other, &store);
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument) << s.ToString();
  EXPECT_NE(s.message().find("not a csoc database"), std::string::npos) << s.message();
}

TEST_F(MigrationTest, MigratingToAnUnknownVersionIsAnError) {
  sqlite::Db db;
  ASSERT_TRUE(db.Open(path_).ok());
  EXPECT_EQ(sqlite::Migrate(&db, sqlite::CurrentSchemaVersion() + 1).code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(sqlite::Migrate(&db, -1).code(), Status::Code::kInvalidArgument);
}

}  // namespace
}  // namespace csoc::store

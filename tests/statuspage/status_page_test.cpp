// The status page's rules over the real SQLite store: every create, update and delete of each kind
// of object with its error codes, that a refused or failed change changes nothing (in memory and on
// disk), that every accepted change survives opening the database again, the seeding of defaults,
// and the per-area migrations the store relies on.
#include "statuspage/status_page.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <sstream>
#include <string>
#include <vector>

#include "statuspage/model.h"
#include "statuspage/store.h"
#include "store/sqlite_area.h"
#include "support/support.h"

namespace csoc::statuspage {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using Code = Status::Code;

// 2026-01-01T00:00:00Z; whole milliseconds, because the store keeps milliseconds.
TimePoint At(int64_t offset_ms) { return FromUnixMillis(1'767'225'600'000 + offset_ms); }
constexpr int64_t kSecond = 1000;
constexpr int64_t kMinute = 60 * kSecond;
constexpr int64_t kHour = 60 * kMinute;

// Everything a page holds, as text: comparing two dumps compares every field of every object
// (including order, sequence numbers and the flags the API does not show).
std::string Dump(const Data& d) {
  std::ostringstream out;
  auto time = [](const std::optional<TimePoint>& t) { return t ? std::to_string(ToUnixMillis(*t)) : "null"; };
  out << "seeded=" << d.seeded << "\n";
  for (const auto& t : d.impact_types) out << "type " << t.id << "|" << t.display_name << "|" << t.description << "\n";
  for (const auto& s : d.severities) out << "severity " << s.display_name << "=" << s.value << "\n";
  for (const auto& g : d.phase_generations) {
    out << "phases " << g.generation << ":";
    for (const auto& p : g.phases) out << p << ";";
    out << "\n";
  }
  for (const auto& c : d.components) {
    out << "component " << c.id << "|" << c.display_name << "|" << c.config_key << "|" << c.seq << "|";
    for (const auto& [k, v] : c.labels) out << k << "=" << v << ",";
    out << "\n";
  }
  for (const auto& i : d.incidents) {
    out << "incident " << i.id << "|" << i.display_name << "|" << i.description << "|" << time(i.began_at) << "|"
        << time(i.ended_at) << "|"
        << (i.phase ? std::to_string(i.phase->generation) + "." + std::to_string(i.phase->order) : "nophase") << "|"
        << i.published << "|" << i.automatic_for << "|" << i.seq << "\n";
    for (const auto& m : i.affects)
      out << "  impact " << m.component_id << "|" << m.type_id << "|" << m.severity << "\n";
    for (const auto& u : i.updates) {
      out << "  update " << u.order << "|" << u.display_name << "|" << u.description << "|"
          << ToUnixMillis(u.created_at) << "\n";
    }
  }
  return out.str();
}

int64_t RawInt(const std::filesystem::path& path, const std::string& sql) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  int64_t value = -1;
  EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
  if (sqlite3_step(stmt) == SQLITE_ROW) value = sqlite3_column_int64(stmt, 0);
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return value;
}

void RawExec(const std::filesystem::path& path, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  char* error = nullptr;
  int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
  std::string message = error != nullptr ? error : "";
  sqlite3_free(error);
  sqlite3_close(db);
  ASSERT_EQ(rc, SQLITE_OK) << message;
}

// A store that passes through to SQLite until told to fail: the page must then change nothing.
class FailingStore : public StatusPageStore {
 public:
  explicit FailingStore(std::unique_ptr<StatusPageStore> inner) : inner_(std::move(inner)) {}
  Status Load(Data* out) override { return inner_->Load(out); }
  Status Apply(const Changes& changes) override {
    ++applies;
    if (fail) return Status::IOError("disk full (test)");
    return inner_->Apply(changes);
  }
  bool fail = false;
  int applies = 0;

 private:
  std::unique_ptr<StatusPageStore> inner_;
};

class StatusPageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    page_ = OpenPage();
    ASSERT_NE(page_, nullptr);
    // The seeded impact types, by name.
    degraded_ = page_->FindImpactTypeByName("Performance Degration")->id;
    connectivity_ = page_->FindImpactTypeByName("Connectivity Problems")->id;
  }

  std::unique_ptr<StatusPage> OpenPage(const Defaults& defaults = Defaults()) {
    std::unique_ptr<StatusPageStore> store;
    Status s = OpenSqliteStatusPageStore(path_, &store);
    EXPECT_TRUE(s.ok()) << s.ToString();
    if (!s.ok()) return nullptr;
    std::unique_ptr<StatusPage> page;
    s = StatusPage::Open(std::move(store), defaults, &page);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return page;
  }

  // What a second page opened on the same file sees: what was really stored.
  std::string Reloaded() {
    std::unique_ptr<StatusPage> other = OpenPage();
    return other == nullptr ? "<open failed>" : Dump(other->data());
  }

  // Asserts that `s` has `code` and that neither memory, the version nor the database changed.
  void ExpectRefused(const Status& s, Code code, const std::string& before, uint64_t version_before,
                     const std::string& message_part = "") {
    EXPECT_EQ(s.code(), code) << s.ToString();
    if (!message_part.empty()) {
      EXPECT_THAT(s.message(), HasSubstr(message_part));
    }
    EXPECT_EQ(Dump(page_->data()), before);
    EXPECT_EQ(page_->version(), version_before);
    EXPECT_EQ(Reloaded(), before);
  }

  std::string NewComponent(const std::string& name, std::map<std::string, std::string> labels = {}) {
    ComponentInput in;
    in.display_name = name;
    in.labels = std::move(labels);
    std::string id;
    Status s = page_->CreateComponent(in, &id);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return id;
  }

  std::string NewIncident(IncidentInput in, TimePoint now = At(0)) {
    std::string id;
    Status s = page_->CreateIncident(in, now, &id);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return id;
  }

  static IncidentInput Named(const std::string& name) {
    IncidentInput in;
    in.display_name = name;
    return in;
  }

  static IncidentInput Spanning(const std::string& name, std::optional<TimePoint> began, std::optional<TimePoint> ended,
                                std::vector<Impact> affects = {}) {
    IncidentInput in = Named(name);
    in.began_at = began;
    in.ended_at = ended;
    in.affects = std::move(affects);
    return in;
  }

  csoc::testing::TempDir dir_;
  std::filesystem::path path_ = dir_.path() / "csoc.db";
  std::unique_ptr<StatusPage> page_;
  std::string degraded_, connectivity_;
};

// ---- Model helpers ----

TEST(UuidTest, NewUuidIsAVersion4UuidInLowerCase) {
  std::string a = NewUuid();
  ASSERT_EQ(a.size(), 36u);
  EXPECT_TRUE(IsUuid(a));
  EXPECT_EQ(a[14], '4');
  EXPECT_THAT(std::string("89ab"), HasSubstr(std::string(1, a[19])));
  for (char c : a) EXPECT_TRUE(c == '-' || std::isdigit(static_cast<unsigned char>(c)) || (c >= 'a' && c <= 'f'));
  EXPECT_NE(a, NewUuid());
}

TEST(UuidTest, IsUuidChecksTheShapeOnly) {
  EXPECT_TRUE(IsUuid("123e4567-e89b-12d3-a456-426614174000"));
  EXPECT_TRUE(IsUuid("123E4567-E89B-12D3-A456-426614174000"));
  EXPECT_FALSE(IsUuid(""));
  EXPECT_FALSE(IsUuid("123e4567e89b12d3a456426614174000"));
  EXPECT_FALSE(IsUuid("123e4567-e89b-12d3-a456-42661417400"));
  EXPECT_FALSE(IsUuid("123e4567-e89b-12d3-a456-4266141740000"));
  EXPECT_FALSE(IsUuid("123e4567-e89b-12d3-a456_426614174000"));
  EXPECT_FALSE(IsUuid("g23e4567-e89b-12d3-a456-426614174000"));
}

TEST(IncidentModelTest, MaintenanceActiveMaxSeverityAndNextOrder) {
  Incident i;
  EXPECT_FALSE(i.IsMaintenance());  // no impacts: not maintenance
  EXPECT_EQ(i.MaxSeverity(), -1);
  EXPECT_EQ(i.NextUpdateOrder(), 0);
  EXPECT_FALSE(i.ActiveAt(At(0)));  // never began

  i.affects = {{"c", "t", 0}, {"d", "t", 0}};
  EXPECT_TRUE(i.IsMaintenance());
  EXPECT_EQ(i.MaxSeverity(), 0);
  i.affects.push_back({"e", "t", 70});
  EXPECT_FALSE(i.IsMaintenance());
  EXPECT_EQ(i.MaxSeverity(), 70);

  i.began_at = At(kMinute);
  EXPECT_FALSE(i.ActiveAt(At(kMinute - 1)));
  EXPECT_TRUE(i.ActiveAt(At(kMinute)));  // from beganAt on
  EXPECT_TRUE(i.ActiveAt(At(kHour * 100)));
  i.ended_at = At(kHour);
  EXPECT_TRUE(i.ActiveAt(At(kHour - 1)));
  EXPECT_FALSE(i.ActiveAt(At(kHour)));  // up to, not including, endedAt

  i.updates = {{0, "a", "", At(0)}, {4, "b", "", At(0)}, {2, "c", "", At(0)}};
  EXPECT_EQ(i.NextUpdateOrder(), 5);
}

// ---- Opening, seeding, migrations ----

TEST_F(StatusPageTest, ANewPageIsSeededWithTheDefaults) {
  const Data& d = page_->data();
  EXPECT_TRUE(d.seeded);
  ASSERT_EQ(d.impact_types.size(), 3u);
  EXPECT_EQ(d.impact_types[0].display_name, "Performance Degration");
  EXPECT_EQ(d.impact_types[0].description, "The component answers, but slower than it should.");
  EXPECT_EQ(d.impact_types[1].display_name, "Connectivity Problems");
  EXPECT_EQ(d.impact_types[2].display_name, "Unknown");
  EXPECT_EQ(d.impact_types[2].description, "The cause is not known yet.");
  for (const auto& t : d.impact_types) EXPECT_TRUE(IsUuid(t.id)) << t.id;
  EXPECT_NE(d.impact_types[0].id, d.impact_types[1].id);

  ASSERT_EQ(d.severities.size(), 3u);
  EXPECT_EQ(d.severities[0].display_name, "operational");
  EXPECT_EQ(d.severities[0].value, 33);
  EXPECT_EQ(d.severities[1].display_name, "limited");
  EXPECT_EQ(d.severities[1].value, 66);
  EXPECT_EQ(d.severities[2].display_name, "broken");
  EXPECT_EQ(d.severities[2].value, 100);

  ASSERT_EQ(d.phase_generations.size(), 1u);
  EXPECT_EQ(d.phase_generations[0].generation, 1);
  EXPECT_THAT(d.phase_generations[0].phases,
              ElementsAre("Scheduled", "Investigation ongoing", "Working on it", "Potential fix deployed", "Done"));
  EXPECT_TRUE(d.components.empty());
  EXPECT_TRUE(d.incidents.empty());
}

TEST_F(StatusPageTest, ReopeningKeepsTheSeededDataAndSeedsNothingAgain) {
  std::string first = Dump(page_->data());
  EXPECT_EQ(Reloaded(), first);
  // Opening twice more (the area's migrations must be idempotent) still gives the same ids.
  EXPECT_EQ(Reloaded(), first);
  EXPECT_EQ(RawInt(path_, "SELECT count(*) FROM sp_impact_types"), 3);
  EXPECT_EQ(RawInt(path_, "SELECT count(*) FROM sp_severities"), 3);
  EXPECT_EQ(RawInt(path_, "SELECT count(*) FROM sp_phases"), 5);
  EXPECT_EQ(RawInt(path_, "SELECT version FROM area_migrations WHERE area = 'statuspage'"), 1);
}

TEST_F(StatusPageTest, ADeletedDefaultStaysDeletedAfterReopening) {
  ASSERT_TRUE(page_->DeleteImpactType(connectivity_).ok());
  ASSERT_TRUE(page_->DeleteSeverity("operational").ok());
  std::string after = Dump(page_->data());
  std::unique_ptr<StatusPage> reopened = OpenPage();
  ASSERT_NE(reopened, nullptr);
  EXPECT_EQ(Dump(reopened->data()), after);
  EXPECT_EQ(reopened->FindImpactType(connectivity_), nullptr);
  EXPECT_EQ(reopened->FindImpactTypeByName("Connectivity Problems"), nullptr);
  EXPECT_EQ(reopened->data().impact_types.size(), 2u);
  EXPECT_EQ(reopened->FindSeverity("operational"), nullptr);
  EXPECT_EQ(reopened->data().severities.size(), 2u);
}

TEST_F(StatusPageTest, EvenAllImpactTypesDeletedAreNotSeededAgain) {
  std::vector<std::string> ids;
  for (const auto& t : page_->data().impact_types) ids.push_back(t.id);
  for (const auto& id : ids) ASSERT_TRUE(page_->DeleteImpactType(id).ok());
  ASSERT_TRUE(page_->data().impact_types.empty());
  std::unique_ptr<StatusPage> reopened = OpenPage();
  ASSERT_NE(reopened, nullptr);
  EXPECT_TRUE(reopened->data().impact_types.empty());
  EXPECT_TRUE(reopened->data().seeded);
}

TEST(StatusPageSeedTest, CustomDefaultsAreSortedAndAPageWithoutPhasesStartsAtGenerationOne) {
  csoc::testing::TempDir dir;
  Defaults defaults;
  defaults.impact_types = {{"Outage", "down"}};
  defaults.phases = {};
  defaults.severities = {{"down", 100}, {"fine", 10}, {"meh", 50}};
  std::unique_ptr<StatusPageStore> store;
  ASSERT_TRUE(OpenSqliteStatusPageStore(dir.path() / "csoc.db", &store).ok());
  std::unique_ptr<StatusPage> page;
  Status s = StatusPage::Open(std::move(store), defaults, &page);
  ASSERT_TRUE(s.ok()) << s.ToString();

  ASSERT_EQ(page->data().impact_types.size(), 1u);
  EXPECT_EQ(page->data().impact_types[0].display_name, "Outage");
  ASSERT_EQ(page->data().severities.size(), 3u);
  EXPECT_EQ(page->data().severities[0].display_name, "fine");
  EXPECT_EQ(page->data().severities[1].display_name, "meh");
  EXPECT_EQ(page->data().severities[2].display_name, "down");
  EXPECT_TRUE(page->data().phase_generations.empty());
  EXPECT_EQ(page->Phases(), nullptr);

  // Without phases an incident gets no default phase.
  IncidentInput in;
  in.display_name = "x";
  std::string id;
  ASSERT_TRUE(page->CreateIncident(in, At(0), &id).ok());
  EXPECT_FALSE(page->FindIncident(id)->phase.has_value());

  int generation = 0;
  ASSERT_TRUE(page->AddPhaseGeneration({"Open", "Closed"}, &generation).ok());
  EXPECT_EQ(generation, 1);
  ASSERT_NE(page->Phases(), nullptr);
  EXPECT_EQ(page->Phases()->generation, 1);
}

TEST_F(StatusPageTest, AnotherDefaultsSetDoesNotReseedASeededPage) {
  Defaults other;
  other.impact_types = {{"Something else", ""}};
  other.severities = {{"only", 100}};
  other.phases = {"A"};
  std::string before = Dump(page_->data());
  std::unique_ptr<StatusPage> reopened = OpenPage(other);
  ASSERT_NE(reopened, nullptr);
  EXPECT_EQ(Dump(reopened->data()), before);
}

TEST_F(StatusPageTest, TheStoreRefusesANewerStatusPageSchemaAndChangesNothing) {
  page_.reset();
  RawExec(path_, "UPDATE area_migrations SET version = 2 WHERE area = 'statuspage'");
  std::unique_ptr<StatusPageStore> store;
  Status s = OpenSqliteStatusPageStore(path_, &store);
  EXPECT_EQ(s.code(), Code::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("statuspage"));
  EXPECT_EQ(store, nullptr);
  EXPECT_EQ(RawInt(path_, "SELECT version FROM area_migrations WHERE area = 'statuspage'"), 2);
  EXPECT_EQ(RawInt(path_, "SELECT count(*) FROM sp_impact_types"), 3);
}

// ---- MigrateArea itself ----

class MigrateAreaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Status s = store::sqlite::OpenConnection(path_, &db_);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  int64_t Version(const std::string& area) {
    return RawInt(path_, "SELECT version FROM area_migrations WHERE area = '" + area + "'");
  }
  int64_t TableExists(const std::string& name) {
    return RawInt(path_, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '" + name + "'");
  }

  csoc::testing::TempDir dir_;
  std::filesystem::path path_ = dir_.path() / "nested" / "csoc.db";
  store::sqlite::Db db_;
};

TEST_F(MigrateAreaTest, AppliesEachStepOnceAndRecordsTheVersion) {
  // CREATE TABLE without IF NOT EXISTS fails when run twice: success below proves each step ran once.
  std::array<std::string_view, 2> steps = {"CREATE TABLE t1(a)", "CREATE TABLE t2(b); INSERT INTO t1 VALUES(1)"};
  Status s = store::sqlite::MigrateArea(&db_, "test", steps);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(Version("test"), 2);
  EXPECT_EQ(TableExists("t1"), 1);
  EXPECT_EQ(TableExists("t2"), 1);
  s = store::sqlite::MigrateArea(&db_, "test", steps);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(Version("test"), 2);
  EXPECT_EQ(RawInt(path_, "SELECT count(*) FROM t1"), 1);
}

TEST_F(MigrateAreaTest, AnAppendedStepRunsAloneOnAnOlderDatabase) {
  std::array<std::string_view, 1> v1 = {"CREATE TABLE t1(a); INSERT INTO t1 VALUES(7)"};
  ASSERT_TRUE(store::sqlite::MigrateArea(&db_, "test", v1).ok());
  std::array<std::string_view, 2> v2 = {v1[0], "ALTER TABLE t1 ADD COLUMN b DEFAULT 3"};
  Status s = store::sqlite::MigrateArea(&db_, "test", v2);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(Version("test"), 2);
  EXPECT_EQ(RawInt(path_, "SELECT count(*) FROM t1"), 1);
  EXPECT_EQ(RawInt(path_, "SELECT a + b FROM t1"), 10);
}

TEST_F(MigrateAreaTest, ANewerVersionIsRefusedAndNothingChanges) {
  std::array<std::string_view, 2> v2 = {"CREATE TABLE t1(a)", "CREATE TABLE t2(b)"};
  ASSERT_TRUE(store::sqlite::MigrateArea(&db_, "test", v2).ok());
  std::array<std::string_view, 1> v1 = {"CREATE TABLE t1(a)"};
  Status s = store::sqlite::MigrateArea(&db_, "test", v1);
  EXPECT_EQ(s.code(), Code::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("test"));
  EXPECT_EQ(Version("test"), 2);
  EXPECT_EQ(TableExists("t2"), 1);
  // No migrations at all is older than any version too.
  EXPECT_EQ(store::sqlite::MigrateArea(&db_, "test", std::span<const std::string_view>()).code(),
            Code::kInvalidArgument);
  EXPECT_EQ(Version("test"), 2);
}

TEST_F(MigrateAreaTest, AFailingStepIsRolledBackAndKeepsTheVersion) {
  std::array<std::string_view, 1> v1 = {"CREATE TABLE t1(a)"};
  ASSERT_TRUE(store::sqlite::MigrateArea(&db_, "test", v1).ok());
  // The second step half succeeds: its first statement must not survive the failure.
  std::array<std::string_view, 2> v2 = {v1[0], "CREATE TABLE t2(b); INSERT INTO missing VALUES(1)"};
  Status s = store::sqlite::MigrateArea(&db_, "test", v2);
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(Version("test"), 1);
  EXPECT_EQ(TableExists("t2"), 0);
  // The database is usable afterwards: the fixed step applies.
  std::array<std::string_view, 2> fixed = {v1[0], "CREATE TABLE t2(b)"};
  s = store::sqlite::MigrateArea(&db_, "test", fixed);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(Version("test"), 2);
}

TEST_F(MigrateAreaTest, AreasHaveIndependentVersions) {
  std::array<std::string_view, 2> a = {"CREATE TABLE a1(x)", "CREATE TABLE a2(x)"};
  std::array<std::string_view, 1> b = {"CREATE TABLE b1(x)"};
  ASSERT_TRUE(store::sqlite::MigrateArea(&db_, "alpha", a).ok());
  ASSERT_TRUE(store::sqlite::MigrateArea(&db_, "beta", b).ok());
  EXPECT_EQ(Version("alpha"), 2);
  EXPECT_EQ(Version("beta"), 1);
  EXPECT_EQ(Version("gamma"), -1);
}

// ---- Impact types ----

TEST_F(StatusPageTest, CreateImpactTypeStoresItWithANewUuid) {
  uint64_t v = page_->version();
  ImpactTypeInput in;
  in.display_name = "Data Loss";
  in.description = "Objects were lost.";
  std::string id;
  Status s = page_->CreateImpactType(in, &id);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_TRUE(IsUuid(id));
  EXPECT_GT(page_->version(), v);
  const ImpactType* t = page_->FindImpactType(id);
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->display_name, "Data Loss");
  EXPECT_EQ(t->description, "Objects were lost.");
  EXPECT_EQ(page_->FindImpactTypeByName("Data Loss"), t);
  // Appended after the seeded ones, on disk as in memory.
  EXPECT_EQ(page_->data().impact_types.back().id, id);
  EXPECT_EQ(Reloaded(), Dump(page_->data()));
}

TEST_F(StatusPageTest, CreateImpactTypeWithoutDescriptionHasAnEmptyOne) {
  ImpactTypeInput in;
  in.display_name = "Plain";
  std::string id;
  ASSERT_TRUE(page_->CreateImpactType(in, &id).ok());
  EXPECT_EQ(page_->FindImpactType(id)->description, "");
}

TEST_F(StatusPageTest, CreateImpactTypeErrors) {
  std::string before = Dump(page_->data());
  uint64_t v = page_->version();
  std::string id = "untouched";
  ImpactTypeInput none;
  ExpectRefused(page_->CreateImpactType(none, &id), Code::kInvalidArgument, before, v, "displayName");
  ImpactTypeInput empty;
  empty.display_name = "";
  ExpectRefused(page_->CreateImpactType(empty, &id), Code::kInvalidArgument, before, v, "displayName");
  ImpactTypeInput too_long;
  too_long.display_name = std::string(201, 'x');
  ExpectRefused(page_->CreateImpactType(too_long, &id), Code::kInvalidArgument, before, v, "displayName");
  ImpactTypeInput long_description;
  long_description.display_name = "ok";
  long_description.description = std::string(20'001, 'x');
  ExpectRefused(page_->CreateImpactType(long_description, &id), Code::kInvalidArgument, before, v, "description");
  ImpactTypeInput duplicate;
  duplicate.display_name = "Unknown";
  ExpectRefused(page_->CreateImpactType(duplicate, &id), Code::kConflict, before, v, "Unknown");
  EXPECT_EQ(id, "untouched");
}

TEST_F(StatusPageTest, CreateImpactTypeAcceptsTheLimits) {
  ImpactTypeInput in;
  in.display_name = std::string(200, 'n');
  in.description = std::string(20'000, 'd');
  std::string id;
  Status s = page_->CreateImpactType(in, &id);
  EXPECT_TRUE(s.ok()) << s.ToString();
}

TEST_F(StatusPageTest, UpdateImpactTypeChangesOnlyWhatIsGiven) {
  ImpactTypeInput description_only;
  description_only.description = "New text";
  ASSERT_TRUE(page_->UpdateImpactType(degraded_, description_only).ok());
  EXPECT_EQ(page_->FindImpactType(degraded_)->display_name, "Performance Degration");
  EXPECT_EQ(page_->FindImpactType(degraded_)->description, "New text");

  ImpactTypeInput rename;
  rename.display_name = "Performance Degradation";
  ASSERT_TRUE(page_->UpdateImpactType(degraded_, rename).ok());
  EXPECT_EQ(page_->FindImpactType(degraded_)->display_name, "Performance Degradation");
  EXPECT_EQ(page_->FindImpactType(degraded_)->description, "New text");
  EXPECT_EQ(page_->FindImpactTypeByName("Performance Degration"), nullptr);
  // Keeping its own name is not a clash with itself.
  ASSERT_TRUE(page_->UpdateImpactType(degraded_, rename).ok());
  // The order of impact types does not change with an update.
  EXPECT_EQ(page_->data().impact_types[0].id, degraded_);
  EXPECT_EQ(Reloaded(), Dump(page_->data()));
}

TEST_F(StatusPageTest, UpdateImpactTypeErrors) {
  std::string before = Dump(page_->data());
  uint64_t v = page_->version();
  ImpactTypeInput rename;
  rename.display_name = "x";
  ExpectRefused(page_->UpdateImpactType(NewUuid(), rename), Code::kNotFound, before, v);
  ImpactTypeInput clash;
  clash.display_name = "Unknown";
  ExpectRefused(page_->UpdateImpactType(degraded_, clash), Code::kConflict, before, v, "Unknown");
  ImpactTypeInput empty;
  empty.display_name = "";
  ExpectRefused(page_->UpdateImpactType(degraded_, empty), Code::kInvalidArgument, before, v, "displayName");
  ImpactTypeInput long_description;
  long_description.description = std::string(20'001, 'x');
  ExpectRefused(page_->UpdateImpactType(degraded_, long_description), Code::kInvalidArgument, before, v, "description");
}

TEST_F(StatusPageTest, DeleteImpactType) {
  ASSERT_TRUE(page_->DeleteImpactType(degraded_).ok());
  EXPECT_EQ(page_->FindImpactType(degraded_), nullptr);
  EXPECT_EQ(page_->data().impact_types.size(), 2u);
  EXPECT_EQ(Reloaded(), Dump(page_->data()));

  std::string before = Dump(page_->data());
  uint64_t v = page_->version();
  ExpectRefused(page_->DeleteImpactType(degraded_), Code::kNotFound, before, v);
}

TEST_F(StatusPageTest, AnImpactTypeInUseCannotBeDeletedEvenByADraft) {
  std::string comp = NewComponent("Compute");
  IncidentInput in = Named("draft");
  in.published = false;
  in.affects = std::vector<Impact>{{comp, connectivity_, 50}};
  std::string incident = NewIncident(in);
  std::string before = Dump(page_->data());
  uint64_t v = page_->version();
  ExpectRefused(page_->DeleteImpactType(connectivity_), Code::kConflict, before, v);
  // Once no incident uses it, it can go.
  ASSERT_TRUE(page_->DeleteIncident(incident).ok());
  EXPECT_TRUE(page_->DeleteImpactType(connectivity_).ok());
}

// ---- Severities ----

TEST_F(StatusPageTest, CreateSeverityKeepsThemSortedByValue) {
  SeverityInput in;
  in.display_name = "minor";
  in.value = 10;
  ASSERT_TRUE(page_->CreateSeverity(in).ok());
  SeverityInput mid;
  mid.display_name = "partial";
  mid.value = 50;
  ASSERT_TRUE(page_->CreateSeverity(mid).ok());
  const auto& s = page_->data().severities;
  ASSERT_EQ(s.size(), 5u);
  std::vector<int> values;
  for (const auto& x : s) values.push_back(x.value);
  EXPECT_THAT(values, ElementsAre(10, 33, 50, 66, 100));
  EXPECT_EQ(s[0].display_name, "minor");
  EXPECT_EQ(s[2].display_name, "partial");
  EXPECT_EQ(page_->FindSeverity("partial")->value, 50);
  EXPECT_EQ(Reloaded(), Dump(page_->data()));
}

TEST_F(StatusPageTest, SeverityValueZeroIsAllowed) {
  SeverityInput in;
  in.display_name = "maintenance";
  in.value = 0;
  ASSERT_TRUE(page_->CreateSeverity(in).ok());
  EXPECT_EQ(page_->data().severities.front().display_name, "maintenance");
}

TEST_F(StatusPageTest, CreateSeverityErrors) {
  std::string before = Dump(page_->data());
  uint64_t v = page_->version();
  SeverityInput no_name;
  no_name.value = 10;
  ExpectRefused(page_->CreateSeverity(no_name), Code::kInvalidArgument, before, v, "displayName");
  SeverityInput no_value;
  no_value.display_name = "x";
  ExpectRefused(page_->CreateSeverity(no_value), Code::kInvalidArgument, before, v, "value");
  SeverityInput empty_name;
  empty_name.display_name = "";
  empty_name.value = 10;
  ExpectRefused(page_->CreateSeverity(empty_name), Code::kInvalidArgument, before, v, "displayName");
  for (int bad : {-1, 101, 1000}) {
    SeverityInput out_of_range;
    out_of_range.display_name = "x";
    out_of_range.value = bad;
    ExpectRefused(page_->CreateSeverity(out_of_range), Code::kInvalidArgument, before, v, "value");
  }
  SeverityInput same_name;
  same_name.display_name = "limited";
  same_name.value = 10;
  ExpectRefused(page_->CreateSeverity(same_name), Code::kConflict, before, v, "limited");
  SeverityInput same_value;
  same_value.display_name = "also-limited";
  same_value.value = 66;
  ExpectRefused(page_->CreateSeverity(same_value), Code::kConflict, before, v, "66");
  SeverityInput another_hundred;
  another_hundred.display_name = "total";
  another_hundred.value = 100;
  ExpectRefused(page_->CreateSeverity(another_hundred), Code::kConflict, before, v);
}

TEST_F(StatusPageTest, UpdateSeverityValueResorts) {
  SeverityInput in;
  in.value = 20;
  ASSERT_TRUE(page_->UpdateSeverity("limited", in).ok());
  const auto& s = page_->data().severities;
  ASSERT_EQ(s.size(), 3u);
  EXPECT_EQ(s[0].display_name, "limited");
  EXPECT_EQ(s[0].value, 20);
  EXPECT_EQ(s[1].display_name, "operational");
  EXPECT_EQ(Reloaded(), Dump(page_->data()));
}

TEST_F(StatusPageTest, UpdateSeverityRenameReplacesTheOldName) {
  SeverityInput in;
  in.display_name = "degraded";
  ASSERT_TRUE(page_->UpdateSeverity("limited", in).ok());
  EXPECT_EQ(page_->FindSeverity("limited"), nullptr);
  ASSERT_NE(page_->FindSeverity("degraded"), nullptr);
  EXPECT_EQ(page_->FindSeverity("degraded")->value, 66);
  EXPECT_EQ(page_->data().severities.size(), 3u);
  // On disk too: the old row is gone and the value is not duplicated.
  EXPECT_EQ(Reloaded(), Dump(page_->data()));

  // The severity of 100 can be renamed and keeps bounding the top.
  SeverityInput rename_top;
  rename_top.display_name = "outage";
  ASSERT_TRUE(page_->UpdateSeverity("broken", rename_top).ok());
  EXPECT_EQ(page_->data().severities.back().display_name, "outage");
  EXPECT_EQ(page_->data().severities.back().value, 100);
  EXPECT_EQ(Reloaded(), Dump(page_->data()));
}

TEST_F(StatusPageTest, UpdateSeverityRenameAndRevalueAtOnce) {
  SeverityInput in;
  in.display_name = "minor";
  in.value = 5;
  ASSERT_TRUE(page_->UpdateSeverity("operational", in).ok());
  EXPECT_EQ(page_->data().severities[0].display_name, "minor");
  EXPECT_EQ(page_->data().severities[0].value, 5);
  EXPECT_EQ(page_->FindSeverity("operational"), nullptr);
  EXPECT_EQ(Reloaded(), Dump(page_->data()));
}

TEST_F(StatusPageTest, UpdateSeverityErrors) {
  std::string before = Dump(page_->data());
  uint64_t v = page_->version();
  SeverityInput any;
  any.value = 10;
  ExpectRefused(page_->UpdateSeverity("nope", any), Code::kNotFound, before, v);
  SeverityInput clash_name;
  clash_name.display_name = "broken";
  ExpectRefused(page_->UpdateSeverity("limited", clash_name), Code::kConflict, before, v, "broken");
  SeverityInput clash_value;
  clash_value.value = 33;
  ExpectRefused(page_->UpdateSeverity("limited", clash_value), Code::kConflict, before, v, "33");
  // Moving the only 100 away would leave the top range unbounded.
  SeverityInput lower_top;
  lower_top.value = 99;
  ExpectRefused(page_->UpdateSeverity("broken", lower_top), Code::kConflict, before, v, "100");
  SeverityInput steal_top;
  steal_top.value = 100;
  ExpectRefused(page_->UpdateSeverity("limited", steal_top), Code::kConflict, before, v);
  SeverityInput out_of_range;
  out_of_range.value = 101;
  ExpectRefused(page_->UpdateSeverity("limited", out_of_range), Code::kInvalidArgument, before, v, "value");
  SeverityInput empty_name;
  empty_name.display_name = "";
  ExpectRefused(page_->UpdateSeverity("limited", empty_name), Code::kInvalidArgument, before, v, "displayName");
}

TEST_F(StatusPageTest, DeleteSeverity) {
  std::string before = Dump(page_->data());
  uint64_t v = page_->version();
  ExpectRefused(page_->DeleteSeverity("nope"), Code::kNotFound, before, v);
  // The severity of 100 must exist.
  ExpectRefused(page_->DeleteSeverity("broken"), Code::kConflict, before, v, "100");

  ASSERT_TRUE(page_->DeleteSeverity("limited").ok());
  EXPECT_EQ(page_->FindSeverity("limited"), nullptr);
  ASSERT_EQ(page_->data().severities.size(), 2u);
  EXPECT_EQ(Reloaded(), Dump(page_->data()));
  ASSERT_TRUE(page_->DeleteSeverity("operational").ok());
  ASSERT_EQ(page_->data().severities.size(), 1u);
  // The last one standing is the 100, which still cannot go.
  before = Dump(page_->data());
  v = page_->version();
  ExpectRefused(page_->DeleteSeverity("broken"), Code::kConflict, before, v);
}

TEST_F(StatusPageTest, SeverityForFindsTheRangeHoldingAValue) {
  EXPECT_EQ(page_->SeverityFor(0)->display_name, "operational");
  EXPECT_EQ(page_->SeverityFor(33)->display_name, "operational");
  EXPECT_EQ(page_->SeverityFor(34)->display_name, "limited");
  EXPECT_EQ(page_->SeverityFor(66)->display_name, "limited");
  EXPECT_EQ(page_->SeverityFor(67)->display_name, "broken");
  EXPECT_EQ(page_->SeverityFor(100)->display_name, "broken");
  EXPECT_EQ(page_->SeverityFor(101), nullptr);
}

// ---- Phases ----

TEST_F(StatusPageTest, AddPhaseGenerationMakesTheNextGenerationNewest) {
  int generation = 0;
  ASSERT_TRUE(page_->AddPhaseGeneration({"Triage", "Fixing"}, &generation).ok());
  EXPECT_EQ(generation, 2);
  ASSERT_NE(page_->Phases(), nullptr);
  EXPECT_EQ(page_->Phases()->generation, 2);
  EXPECT_THAT(page_->Phases()->phases, ElementsAre("Triage", "Fixing"));
  // Older generations stay, unchanged: incidents still name their phases by them.
  ASSERT_NE(page_->Phases(1), nullptr);
  EXPECT_EQ(page_->Phases(1)->phases.size(), 5u);
  EXPECT_EQ(page_->Phases(2), page_->Phases());
  EXPECT_EQ(page_->Phases(3), nullptr);
  EXPECT_EQ(page_->Phases(0), nullptr);
  EXPECT_EQ(Reloaded(), Dump(page_->data()));

  ASSERT_TRUE(page_->AddPhaseGeneration({"Only"}, &generation).ok());
  EXPECT_EQ(generation, 3);
  EXPECT_EQ(Reloaded(), Dump(page_->data()));
}

TEST_F(StatusPageTest, AddPhaseGenerationErrors) {
  std::string before = Dump(page_->data());
  uint64_t v = page_->version();
  int generation = -7;
  ExpectRefused(page_->AddPhaseGeneration({}, &generation), Code::kInvalidArgument, before, v, "phases");
  ExpectRefused(page_->AddPhaseGeneration({"a", ""}, &generation), Code::kInvalidArgument, before, v, "phases[1]");
  ExpectRefused(page_->AddPhaseGeneration({std::string(201, 'p')}, &generation), Code::kInvalidArgument, before, v,
                "phases[0]");
  EXPECT_EQ(generation, -7);
  // A refused list does not use up a generation number.
  ASSERT_TRUE(page_->AddPhaseGeneration({"a"}, &generation).ok());
  EXPECT_EQ(generation, 2);
}

// ---- Components ----

TEST_F(StatusPageTest, CreateComponentStoresNameLabelsAndCreationOrder) {
  std::string a = NewComponent("Compute", {{"region", "north"}, {"tier", "1"}});
  std::string b = NewComponent("Storage");
  EXPECT_TRUE(IsUuid(a));
  EXPECT_NE(a, b);
  const Component* ca = page_->FindComponent(a);
  ASSERT_NE(ca, nullptr);
  EXPECT_EQ(ca->display_name, "Compute");
  EXPECT_EQ(ca->labels, (std::map<std::string, std::string>{{"region", "north"}, {"tier", "1"}}));
  EXPECT_EQ(ca->config_key, "");
  EXPECT_LT(ca->seq, page_->FindComponent(b)->seq);
  ASSERT_EQ(page_->data().components.size(), 2u);
  EXPECT_EQ(page_->data().components[0].id, a);
  EXPECT_EQ(Reloaded(), Dump(page_->data()));
}

TEST_F(StatusPageTest, CreationOrderContinuesAfterReopening) {
  std::string a = NewComponent("A");
  std::string i = NewIncident(Named("I"));
  std::string b = NewComponent("B");
  int64_t highest = std::max(page_->FindComponent(b)->seq, page_->FindIncident(i)->seq);
  page_ = OpenPage();
  ASSERT_NE(page_, nullptr);
  std::string c = NewComponent("C");
  EXPECT_GT(page_->FindComponent(c)->seq, highest);
  ASSERT_EQ(page_->data().components.size(), 3u);
  EXPECT_EQ(page_->data().components[0].id, a);
  EXPECT_EQ(page_->data().components[1].id, b);
  EXPECT_EQ(page_->data().components[2].id, c);
  EXPECT_EQ(Reloaded(), Dump(page_->data()));
}

TEST_F(StatusPageTest, NamesAndLabelsRoundTripByteForByte) {
  // Labels are kept as JSON text in the database: quoting and non-ASCII must survive it.
  std::string id = NewComponent("Rechenzentrum \"Süd\" — 1",
                                {{"quote\"d", "back\\slash"}, {"ümlaut", "新しい\nline"}, {"empty", ""}});
  std::unique_ptr<StatusPage> other = OpenPage();
  ASSERT_NE(other, nullptr);
  const Component* c = other->FindComponent(id);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->display_name, "Rechenzentrum \"Süd\" — 1");
  EXPECT_EQ(c->labels, (std::map<std::string, std::string>{
                           {"quote\"d", "back\\slash"}, {"ümlaut", "新しい\nline"}, {"empty", ""}}));
}

TEST_F(StatusPageTest, ALabelThatIsNotUtf8IsRefusedOrKeptAsGiven) {
  // Either answer is fine; what must not happen is memory and database disagreeing.
  ComponentInput in;
  in.display_name = "Compute";
  in.labels = std::map<std::string, std::string>{{"k", "bad \xff byte"}};
  std::string before = Dump(page_->data());
  uint64_t v = page_->version();
  std::string id;
  Status s = page_->CreateComponent(in, &id);
  if (s.ok()) {
    EXPECT_EQ(Reloaded(), Dump(page_->data()));
  } else {
    ExpectRefused(s, Code::kInvalidArgument, before, v, "labels");
  }
}

TEST_F(StatusPageTest, CreateComponentErrors) {
  std::string before = Dump(page_->data());
  uint64_t v = page_->version();
  std::string id = "untouched";
  ComponentInput none;
  ExpectRefused(page_->CreateComponent(none, &id), Code::kInvalidArgument, before, v, "displayName");
  ComponentInput empty;
  empty.display_name = "";
  ExpectRefused(page_->CreateComponent(empty, &id), Code::kInvalidArgument, before, v, "displayName");
  ComponentInput empty_label;
  empty_label.display_name = "ok";
  empty_label.labels = std::map<std::string, std::string>{{"", "v"}};
  ExpectRefused(page_->CreateComponent(empty_label, &id), Code::kInvalidArgument, before, v, "labels");
  ComponentInput long_label;
  long_label.display_name = "ok";
  long_label.labels = std::map<std::string, std::string>{{"k", std::string(201, 'v')}};
  ExpectRefused(page_->CreateComponent(long_label, &id), Code::kInvalidArgument, before, v, "labels.k");
  EXPECT_EQ(id, "untouched");
}

TEST_F(StatusPageTest, UpdateComponentChangesOnlyWhatIsGiven) {
  std::string id = NewComponent("Compute", {{"region", "north"}});
  int64_t seq = page_->FindComponent(id)->seq;
  ComponentInput labels_only;
  labels_only.labels = std::map<std::string, std::string>{{"zone", "b"}};
  ASSERT_TRUE(page_->UpdateComponent(id, labels_only).ok());
  EXPECT_EQ(page_->FindComponent(id)->display_name, "Compute");
  EXPECT_EQ(page_->FindComponent(id)->labels, (std::map<std::string, std::string>{{"zone", "b"}}));
  ComponentInput rename;
  rename.display_name = "Compute (EU)";
  ASSERT_TRUE(page_->UpdateComponent(id, rename).ok());
  EXPECT_EQ(page_->FindComponent(id)->display_name, "Compute (EU)");
  EXPECT_EQ(page_->FindComponent(id)->labels, (std::map<std::string, std::string>{{"zone", "b"}}));
  ComponentInput clear_labels;
  clear_labels.labels = std::map<std::string, std::string>{};
  ASSERT_TRUE(page_->UpdateComponent(id, clear_labels).ok());
  EXPECT_TRUE(page_->FindComponent(id)->labels.empty());
  EXPECT_EQ(page_->FindComponent(id)->seq, seq);
  EXPECT_EQ(Reloaded(), Dump(page_->data()));
}

TEST_F(StatusPageTest, UpdateComponentErrors) {
  std::string id = NewComponent("Compute");
  ASSERT_TRUE(page_->SyncDeclaredComponents({{"dns", "DNS", {}}}).ok());
  std::string declared = page_->FindComponentByKey("dns")->id;
  std::string before = Dump(page_->data());
  uint64_t v = page_->version();
  ComponentInput rename;
  rename.display_name = "x";
  ExpectRefused(page_->UpdateComponent(NewUuid(), rename), Code::kNotFound, before, v);
  ExpectRefused(page_->UpdateComponent(declared, rename), Code::kConflict, before, v, "dns");
  ComponentInput empty;
  empty.display_name = "";
  ExpectRefused(page_->UpdateComponent(id, empty), Code::kInvalidArgument, before, v, "displayName");
  ComponentInput bad_label;
  bad_label.labels = std::map<std::string, std::string>{{"", ""}};
  ExpectRefused(page_->UpdateComponent(id, bad_label), Code::kInvalidArgument, before, v, "labels");
}

TEST_F(StatusPageTest, DeleteComponentRemovesItsImpactsFromIncidents) {
  std::string compute = NewComponent("Compute");
  std::string storage = NewComponent("Storage");
  std::string both =
      NewIncident(Spanning("both", At(0), std::nullopt,
                           {{compute, degraded_, 50}, {storage, connectivity_, 100}, {compute, connectivity_, 80}}));
  std::string other = NewIncident(Spanning("storage only", At(0), std::nullopt, {{storage, degraded_, 30}}));
  std::string other_before = Dump(page_->data());

  ASSERT_TRUE(page_->DeleteComponent(compute).ok());
  EXPECT_EQ(page_->FindComponent(compute), nullptr);
  const Incident* i = page_->FindIncident(both);
  ASSERT_NE(i, nullptr);
  EXPECT_THAT(i->affects, ElementsAre(Impact{storage, connectivity_, 100}));
  EXPECT_THAT(page_->FindIncident(other)->affects, ElementsAre(Impact{storage, degraded_, 30}));
  EXPECT_EQ(Reloaded(), Dump(page_->data()));
  EXPECT_EQ(RawInt(path_, "SELECT count(*) FROM sp_impacts WHERE component_id = '" + compute + "'"), 0);
  EXPECT_TRUE(page_->ActiveImpacts(compute, At(kMinute)).empty());
}

TEST_F(StatusPageTest, DeleteComponentErrors) {
  ASSERT_TRUE(page_->SyncDeclaredComponents({{"dns", "DNS", {}}}).ok());
  std::string declared = page_->FindComponentByKey("dns")->id;
  std::string before = Dump(page_->data());
  uint64_t v = page_->version();
  ExpectRefused(page_->DeleteComponent(NewUuid()), Code::kNotFound, before, v);
  ExpectRefused(page_->DeleteComponent(declared), Code::kConflict, before, v, "dns");
}

// ---- Components declared in the configuration ----

TEST_F(StatusPageTest, SyncCreatesDeclaredComponentsMatchedByKey) {
  std::string api = NewComponent("Made by hand");
  Status s =
      page_->SyncDeclaredComponents({{"compute", "Compute", {{"region", "north"}}}, {"storage", "Object Storage", {}}});
  ASSERT_TRUE(s.ok()) << s.ToString();
  const Component* compute = page_->FindComponentByKey("compute");
  const Component* storage = page_->FindComponentByKey("storage");
  ASSERT_NE(compute, nullptr);
  ASSERT_NE(storage, nullptr);
  EXPECT_TRUE(IsUuid(compute->id));
  EXPECT_EQ(compute->display_name, "Compute");
  EXPECT_EQ(compute->labels, (std::map<std::string, std::string>{{"region", "north"}}));
  EXPECT_EQ(compute->config_key, "compute");
  EXPECT_EQ(storage->display_name, "Object Storage");
  // Declared after the one made by hand, in declaration order.
  ASSERT_EQ(page_->data().components.size(), 3u);
  EXPECT_EQ(page_->data().components[0].id, api);
  EXPECT_EQ(page_->data().components[1].config_key, "compute");
  EXPECT_EQ(page_->data().components[2].config_key, "storage");
  EXPECT_LT(page_->data().components[1].seq, page_->data().components[2].seq);
  // A component made through the API has no key and is not found by the empty key.
  EXPECT_EQ(page_->FindComponentByKey(""), nullptr);
  EXPECT_EQ(Reloaded(), Dump(page_->data()));

  // The next API component comes after the declared ones.
  std::string later = NewComponent("Later");
  EXPECT_GT(page_->FindComponent(later)->seq, page_->FindComponentByKey("storage")->seq);
}

TEST_F(StatusPageTest, SyncWithNothingNewChangesNothing) {
  std::vector<DeclaredComponent> declared = {{"compute", "Compute", {{"region", "north"}}}};
  ASSERT_TRUE(page_->SyncDeclaredComponents(declared).ok());
  std::string before = Dump(page_->data());
  uint64_t v = page_->version();
  ASSERT_TRUE(page_->SyncDeclaredComponents(declared).ok());
  EXPECT_EQ(Dump(page_->data()), before);
  EXPECT_EQ(page_->version(), v);
  // A new page on the same data (a restart) keeps the ids: incidents refer to them.
  std::unique_ptr<StatusPage> restarted = OpenPage();
  ASSERT_TRUE(restarted->SyncDeclaredComponents(declared).ok());
  EXPECT_EQ(Dump(restarted->data()), before);
}

TEST_F(StatusPageTest, SyncUpdatesADeclaredComponentInPlace) {
  ASSERT_TRUE(page_->SyncDeclaredComponents({{"compute", "Compute", {{"region", "north"}}}}).ok());
  std::string id = page_->FindComponentByKey("compute")->id;
  int64_t seq = page_->FindComponentByKey("compute")->seq;
  ASSERT_TRUE(page_->SyncDeclaredComponents({{"compute", "Compute Service", {{"region", "south"}}}}).ok());
  const Component* c = page_->FindComponentByKey("compute");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->id, id);
  EXPECT_EQ(c->seq, seq);
  EXPECT_EQ(c->display_name, "Compute Service");
  EXPECT_EQ(c->labels, (std::map<std::string, std::string>{{"region", "south"}}));
  EXPECT_EQ(page_->data().components.size(), 1u);
  EXPECT_EQ(Reloaded(), Dump(page_->data()));
}

TEST_F(StatusPageTest, SyncRemovesUndeclaredComponentsAndTheirImpacts) {
  std::string api = NewComponent("By hand");
  ASSERT_TRUE(page_->SyncDeclaredComponents({{"compute", "Compute", {}}, {"dns", "DNS", {}}}).ok());
  std::string compute = page_->FindComponentByKey("compute")->id;
  std::string dns = page_->FindComponentByKey("dns")->id;
  std::string incident = NewIncident(Spanning(
      "outage", At(0), std::nullopt, {{compute, degraded_, 90}, {dns, connectivity_, 100}, {api, degraded_, 40}}));

  ASSERT_TRUE(page_->SyncDeclaredComponents({{"dns", "DNS", {}}}).ok());
  EXPECT_EQ(page_->FindComponentByKey("compute"), nullptr);
  EXPECT_EQ(page_->FindComponent(compute), nullptr);
  ASSERT_NE(page_->FindComponent(dns), nullptr);
  // Components made through the API are not the configuration's to remove.
  ASSERT_NE(page_->FindComponent(api), nullptr);
  EXPECT_THAT(page_->FindIncident(incident)->affects,
              ElementsAre(Impact{dns, connectivity_, 100}, Impact{api, degraded_, 40}));
  EXPECT_EQ(Reloaded(), Dump(page_->data()));

  // Declaring nothing removes every declared component.
  ASSERT_TRUE(page_->SyncDeclaredComponents({}).ok());
  ASSERT_EQ(page_->data().components.size(), 1u);
  EXPECT_EQ(page_->data().components[0].id, api);
  EXPECT_THAT(page_->FindIncident(incident)->affects, ElementsAre(Impact{api, degraded_, 40}));
  EXPECT_EQ(Reloaded(), Dump(page_->data()));
}

// The configuration is input like any other: a declared component must pass the same checks as
// one made through the API ("every change is validated in full"), or the page would show what the
// API itself refuses. Each case starts from a page with one declared component.
class SyncValidationTest : public StatusPageTest {
 protected:
  void ExpectSyncRefused(const std::vector<DeclaredComponent>& declared, const std::string& field) {
    ASSERT_TRUE(page_->SyncDeclaredComponents({{"dns", "DNS", {}}}).ok());
    std::string before = Dump(page_->data());
    uint64_t v = page_->version();
    ExpectRefused(page_->SyncDeclaredComponents(declared), Code::kInvalidArgument, before, v, field);
  }
};

TEST_F(SyncValidationTest, AnEmptyDisplayNameIsRefused) {
  ExpectSyncRefused({{"dns", "DNS", {}}, {"compute", "", {}}}, "displayName");
}

TEST_F(SyncValidationTest, ATooLongDisplayNameIsRefused) {
  ExpectSyncRefused({{"dns", std::string(201, 'n'), {}}}, "displayName");
}

TEST_F(SyncValidationTest, AnEmptyLabelNameIsRefused) { ExpectSyncRefused({{"dns", "DNS", {{"", "v"}}}}, "labels"); }

TEST_F(StatusPageTest, ARedeclaredKeyIsANewComponent) {
  ASSERT_TRUE(page_->SyncDeclaredComponents({{"dns", "DNS", {}}}).ok());
  std::string first = page_->FindComponentByKey("dns")->id;
  ASSERT_TRUE(page_->SyncDeclaredComponents({}).ok());
  ASSERT_TRUE(page_->SyncDeclaredComponents({{"dns", "DNS", {}}}).ok());
  ASSERT_NE(page_->FindComponentByKey("dns"), nullptr);
  EXPECT_NE(page_->FindComponentByKey("dns")->id, first);
  EXPECT_EQ(page_->data().components.size(), 1u);
}

// ---- Incidents ----

TEST_F(StatusPageTest, CreateIncidentDefaults) {
  std::string comp = NewComponent("Compute");
  IncidentInput in = Named("Slow API");
  in.affects = std::vector<Impact>{{comp, degraded_, 40}};
  std::string id = NewIncident(in, At(5 * kMinute));
  EXPECT_TRUE(IsUuid(id));
  const Incident* i = page_->FindIncident(id);
  ASSERT_NE(i, nullptr);
  EXPECT_EQ(i->display_name, "Slow API");
  EXPECT_EQ(i->description, "");
  EXPECT_EQ(i->began_at, At(5 * kMinute));  // now
  EXPECT_FALSE(i->ended_at.has_value());
  // Not maintenance: the newest list's second phase ("Investigation ongoing").
  EXPECT_EQ(i->phase, (PhaseRef{1, 1}));
  EXPECT_TRUE(i->published);
  EXPECT_EQ(i->automatic_for, "");
  EXPECT_TRUE(i->updates.empty());
  EXPECT_EQ(Reloaded(), Dump(page_->data()));
}

TEST_F(StatusPageTest, AMaintenanceDefaultsToTheFirstPhase) {
  std::string comp = NewComponent("Compute");
  std::string id = NewIncident(Spanning("Upgrade", At(kHour), At(2 * kHour), {{comp, degraded_, 0}}));
  EXPECT_EQ(page_->FindIncident(id)->phase, (PhaseRef{1, 0}));
  EXPECT_TRUE(page_->FindIncident(id)->IsMaintenance());
  // An incident without impacts is not maintenance.
  std::string plain = NewIncident(Named("plain"));
  EXPECT_EQ(page_->FindIncident(plain)->phase, (PhaseRef{1, 1}));
  // The default follows the newest phase list; a one-phase list has only order 0.
  int generation = 0;
  ASSERT_TRUE(page_->AddPhaseGeneration({"Single"}, &generation).ok());
  std::string single = NewIncident(Named("single"));
  EXPECT_EQ(page_->FindIncident(single)->phase, (PhaseRef{2, 0}));
}

TEST_F(StatusPageTest, CreateIncidentWithEverythingGiven) {
  std::string a = NewComponent("A");
  std::string b = NewComponent("B");
  IncidentInput in = Spanning("Outage", At(kMinute), At(kHour), {{a, connectivity_, 100}, {b, degraded_, 20}});
  in.description = "All of it.";
  in.phase = PhaseRef{1, 4};
  in.published = false;
  std::string id = NewIncident(in, At(3 * kHour));
  const Incident* i = page_->FindIncident(id);
  EXPECT_EQ(i->description, "All of it.");
  EXPECT_EQ(i->began_at, At(kMinute));
  EXPECT_EQ(i->ended_at, At(kHour));
  EXPECT_EQ(i->phase, (PhaseRef{1, 4}));
  EXPECT_FALSE(i->published);
  EXPECT_THAT(i->affects, ElementsAre(Impact{a, connectivity_, 100}, Impact{b, degraded_, 20}));
  EXPECT_EQ(Reloaded(), Dump(page_->data()));
}

TEST_F(StatusPageTest, ABeganAtOfNullIsKept) {
  IncidentInput in = Named("unscheduled");
  in.began_at = std::optional<TimePoint>();
  std::string id = NewIncident(in, At(kMinute));
  EXPECT_FALSE(page_->FindIncident(id)->began_at.has_value());
  EXPECT_EQ(Reloaded(), Dump(page_->data()));
}

TEST_F(StatusPageTest, CreateIncidentErrors) {
  std::string comp = NewComponent("Compute");
  int generation = 0;
  ASSERT_TRUE(page_->AddPhaseGeneration({"Open", "Closed"}, &generation).ok());
  std::string before = Dump(page_->data());
  uint64_t v = page_->version();
  std::string id = "untouched";
  auto refused = [&](IncidentInput in, Code code, const std::string& part) {
    SCOPED_TRACE(part);
    ExpectRefused(page_->CreateIncident(in, At(0), &id), code, before, v, part);
  };
  refused(IncidentInput{}, Code::kInvalidArgument, "displayName");
  refused(Named(""), Code::kInvalidArgument, "displayName");
  refused(Named(std::string(201, 'n')), Code::kInvalidArgument, "displayName");
  IncidentInput long_description = Named("x");
  long_description.description = std::string(20'001, 'd');
  refused(long_description, Code::kInvalidArgument, "description");
  refused(Spanning("x", At(kHour), At(kHour - 1)), Code::kInvalidArgument, "endedAt");
  IncidentInput no_generation = Named("x");
  no_generation.phase = PhaseRef{3, 0};
  refused(no_generation, Code::kInvalidArgument, "phase.generation");
  IncidentInput zero_generation = Named("x");
  zero_generation.phase = PhaseRef{0, 0};
  refused(zero_generation, Code::kInvalidArgument, "phase.generation");
  // The order is checked against the generation named, not the newest.
  IncidentInput order_beyond = Named("x");
  order_beyond.phase = PhaseRef{2, 2};
  refused(order_beyond, Code::kInvalidArgument, "phase.order");
  IncidentInput negative_order = Named("x");
  negative_order.phase = PhaseRef{1, -1};
  refused(negative_order, Code::kInvalidArgument, "phase.order");
  refused(Spanning("x", At(0), std::nullopt, {{comp, degraded_, 10}, {NewUuid(), degraded_, 10}}),
          Code::kInvalidArgument, "affects[1].reference");
  refused(Spanning("x", At(0), std::nullopt, {{comp, NewUuid(), 10}}), Code::kInvalidArgument, "affects[0].type");
  refused(Spanning("x", At(0), std::nullopt, {{comp, degraded_, 101}}), Code::kInvalidArgument, "affects[0].severity");
  refused(Spanning("x", At(0), std::nullopt, {{comp, degraded_, -1}}), Code::kInvalidArgument, "affects[0].severity");
  // Severity 0 is maintenance, which needs both ends.
  refused(Spanning("x", At(0), std::nullopt, {{comp, degraded_, 50}, {comp, degraded_, 0}}), Code::kInvalidArgument,
          "affects[1].severity");
  refused(Spanning("x", std::nullopt, At(kHour), {{comp, degraded_, 0}}), Code::kInvalidArgument,
          "affects[0].severity");
  EXPECT_EQ(id, "untouched");
}

TEST_F(StatusPageTest, AnIncidentMayUseAnOlderPhaseGeneration) {
  int generation = 0;
  ASSERT_TRUE(page_->AddPhaseGeneration({"Open", "Closed"}, &generation).ok());
  IncidentInput in = Named("old style");
  in.phase = PhaseRef{1, 4};
  std::string id = NewIncident(in);
  EXPECT_EQ(page_->FindIncident(id)->phase, (PhaseRef{1, 4}));
}

TEST_F(StatusPageTest, UpdateIncidentChangesOnlyWhatIsGiven) {
  std::string comp = NewComponent("Compute");
  IncidentInput create = Spanning("Slow", At(0), std::nullopt, {{comp, degraded_, 40}});
  create.description = "first";
  std::string id = NewIncident(create);
  int order = 0;
  ASSERT_TRUE(
      page_->CreateUpdate(id, UpdateInput{std::string("Looking"), std::nullopt, std::nullopt}, At(kMinute), &order)
          .ok());
  int64_t seq = page_->FindIncident(id)->seq;

  IncidentInput end;
  end.ended_at = At(kHour);
  end.phase = PhaseRef{1, 4};
  ASSERT_TRUE(page_->UpdateIncident(id, end).ok());
  const Incident* i = page_->FindIncident(id);
  EXPECT_EQ(i->display_name, "Slow");
  EXPECT_EQ(i->description, "first");
  EXPECT_EQ(i->began_at, At(0));
  EXPECT_EQ(i->ended_at, At(kHour));
  EXPECT_EQ(i->phase, (PhaseRef{1, 4}));
  EXPECT_THAT(i->affects, ElementsAre(Impact{comp, degraded_, 40}));
  ASSERT_EQ(i->updates.size(), 1u);  // updates are kept
  EXPECT_EQ(i->seq, seq);
  EXPECT_EQ(Reloaded(), Dump(page_->data()));

  // endedAt: null reopens the incident; an empty affects list clears the impacts.
  IncidentInput reopen;
  reopen.ended_at = std::optional<TimePoint>();
  reopen.affects = std::vector<Impact>{};
  reopen.display_name = "Slow again";
  reopen.published = false;
  ASSERT_TRUE(page_->UpdateIncident(id, reopen).ok());
  i = page_->FindIncident(id);
  EXPECT_FALSE(i->ended_at.has_value());
  EXPECT_TRUE(i->affects.empty());
  EXPECT_EQ(i->display_name, "Slow again");
  EXPECT_FALSE(i->published);
  EXPECT_EQ(Reloaded(), Dump(page_->data()));
}

TEST_F(StatusPageTest, UpdateIncidentErrors) {
  std::string comp = NewComponent("Compute");
  std::string id = NewIncident(Spanning("Slow", At(kHour), std::nullopt, {{comp, degraded_, 40}}));
  std::string before = Dump(page_->data());
  uint64_t v = page_->version();
  IncidentInput rename = Named("x");
  ExpectRefused(page_->UpdateIncident(NewUuid(), rename), Code::kNotFound, before, v);
  // The change is validated together with what it keeps: an end before the kept beginning.
  IncidentInput early_end;
  early_end.ended_at = At(kHour - 1);
  ExpectRefused(page_->UpdateIncident(id, early_end), Code::kInvalidArgument, before, v, "endedAt");
  // Turning it into maintenance needs an end.
  IncidentInput maintenance;
  maintenance.affects = std::vector<Impact>{{comp, degraded_, 0}};
  ExpectRefused(page_->UpdateIncident(id, maintenance), Code::kInvalidArgument, before, v, "affects[0].severity");
  IncidentInput bad_phase;
  bad_phase.phase = PhaseRef{1, 5};
  ExpectRefused(page_->UpdateIncident(id, bad_phase), Code::kInvalidArgument, before, v, "phase.order");
  IncidentInput empty_name = Named("");
  ExpectRefused(page_->UpdateIncident(id, empty_name), Code::kInvalidArgument, before, v, "displayName");
  IncidentInput unknown_component;
  unknown_component.affects = std::vector<Impact>{{NewUuid(), degraded_, 40}};
  ExpectRefused(page_->UpdateIncident(id, unknown_component), Code::kInvalidArgument, before, v,
                "affects[0].reference");
}

TEST_F(StatusPageTest, AMaintenanceCannotBeReopened) {
  std::string comp = NewComponent("Compute");
  std::string id = NewIncident(Spanning("Upgrade", At(kHour), At(2 * kHour), {{comp, degraded_, 0}}));
  std::string before = Dump(page_->data());
  uint64_t v = page_->version();
  IncidentInput reopen;
  reopen.ended_at = std::optional<TimePoint>();
  ExpectRefused(page_->UpdateIncident(id, reopen), Code::kInvalidArgument, before, v, "affects[0].severity");
  IncidentInput unschedule;
  unschedule.began_at = std::optional<TimePoint>();
  ExpectRefused(page_->UpdateIncident(id, unschedule), Code::kInvalidArgument, before, v, "affects[0].severity");
}

TEST_F(StatusPageTest, AnOperatorsUpdateTakesAnAutomaticIncidentOver) {
  std::string comp = NewComponent("Compute");
  Incident automatic;
  automatic.id = NewUuid();
  automatic.display_name = "Compute is down";
  automatic.began_at = At(0);
  automatic.affects = {{comp, connectivity_, 100}};
  automatic.automatic_for = comp;
  Status s = page_->PutAutomatic(automatic);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(page_->FindIncident(automatic.id)->automatic_for, comp);
  EXPECT_EQ(Reloaded(), Dump(page_->data()));

  // A refused change does not take it over.
  std::string before = Dump(page_->data());
  uint64_t v = page_->version();
  IncidentInput bad = Named("");
  ExpectRefused(page_->UpdateIncident(automatic.id, bad), Code::kInvalidArgument, before, v);
  EXPECT_EQ(page_->FindIncident(automatic.id)->automatic_for, comp);

  // Any accepted change does, even one that changes nothing else.
  ASSERT_TRUE(page_->UpdateIncident(automatic.id, IncidentInput{}).ok());
  EXPECT_EQ(page_->FindIncident(automatic.id)->automatic_for, "");
  EXPECT_EQ(page_->FindIncident(automatic.id)->display_name, "Compute is down");
  EXPECT_EQ(Reloaded(), Dump(page_->data()));
}

TEST_F(StatusPageTest, PutAutomaticCreatesThenReplacesAndValidates) {
  std::string comp = NewComponent("Compute");
  Incident automatic;
  automatic.id = NewUuid();
  automatic.display_name = "Compute is degraded";
  automatic.began_at = At(0);
  automatic.affects = {{comp, degraded_, 50}};
  automatic.automatic_for = comp;
  ASSERT_TRUE(page_->PutAutomatic(automatic).ok());
  int64_t seq = page_->FindIncident(automatic.id)->seq;
  EXPECT_GT(seq, page_->FindComponent(comp)->seq);
  EXPECT_EQ(Reloaded(), Dump(page_->data()));

  // Monitoring changes the incident it has (as statuspage/feed.cpp does: a copy of the current one).
  Incident next = *page_->FindIncident(automatic.id);
  next.display_name = "Compute is down";
  next.affects = {{comp, connectivity_, 100}};
  next.updates.push_back({next.NextUpdateOrder(), "Now: down", "", At(kMinute)});
  ASSERT_TRUE(page_->PutAutomatic(next).ok());
  ASSERT_EQ(page_->data().incidents.size(), 1u);
  const Incident* i = page_->FindIncident(automatic.id);
  EXPECT_EQ(i->display_name, "Compute is down");
  EXPECT_EQ(i->automatic_for, comp);
  EXPECT_EQ(i->seq, seq);
  ASSERT_EQ(i->updates.size(), 1u);
  EXPECT_EQ(Reloaded(), Dump(page_->data()));

  std::string before = Dump(page_->data());
  uint64_t v = page_->version();
  Incident invalid = next;
  invalid.affects = {{NewUuid(), degraded_, 50}};
  ExpectRefused(page_->PutAutomatic(invalid), Code::kInvalidArgument, before, v, "affects[0].reference");
  Incident open_maintenance = next;
  open_maintenance.affects = {{comp, degraded_, 0}};
  ExpectRefused(page_->PutAutomatic(open_maintenance), Code::kInvalidArgument, before, v, "affects[0].severity");
}

TEST_F(StatusPageTest, PutAutomaticOfAnExistingIncidentKeepsItsCreationOrderInMemoryAsOnDisk) {
  // The store never changes an incident's seq on update (ON CONFLICT keeps it), so the page must
  // not either: otherwise memory and database disagree until the next restart, and the incidents
  // are no longer "by seq" in memory.
  std::string comp = NewComponent("Compute");
  std::string earlier = NewIncident(Named("earlier"));
  Incident automatic;
  automatic.id = NewUuid();
  automatic.display_name = "Compute is degraded";
  automatic.began_at = At(0);
  automatic.affects = {{comp, degraded_, 50}};
  automatic.automatic_for = comp;
  ASSERT_TRUE(page_->PutAutomatic(automatic).ok());
  int64_t seq = page_->FindIncident(automatic.id)->seq;
  EXPECT_GT(seq, page_->FindIncident(earlier)->seq);

  // The same incident put again from a fresh value (seq left at its default).
  automatic.display_name = "Compute is down";
  ASSERT_TRUE(page_->PutAutomatic(automatic).ok());
  EXPECT_EQ(page_->FindIncident(automatic.id)->seq, seq);
  EXPECT_EQ(Reloaded(), Dump(page_->data()));
}

TEST_F(StatusPageTest, DeleteIncidentRemovesItsImpactsAndUpdates) {
  std::string comp = NewComponent("Compute");
  std::string keep = NewIncident(Spanning("keep", At(0), std::nullopt, {{comp, degraded_, 40}}));
  std::string gone = NewIncident(Spanning("gone", At(0), std::nullopt, {{comp, connectivity_, 90}}));
  int order = 0;
  ASSERT_TRUE(page_->CreateUpdate(gone, UpdateInput{std::string("u"), std::nullopt, std::nullopt}, At(0), &order).ok());
  ASSERT_TRUE(page_->CreateUpdate(keep, UpdateInput{std::string("u"), std::nullopt, std::nullopt}, At(0), &order).ok());

  ASSERT_TRUE(page_->DeleteIncident(gone).ok());
  EXPECT_EQ(page_->FindIncident(gone), nullptr);
  ASSERT_EQ(page_->data().incidents.size(), 1u);
  EXPECT_EQ(Reloaded(), Dump(page_->data()));
  // No rows are left behind that a later incident could inherit.
  EXPECT_EQ(RawInt(path_, "SELECT count(*) FROM sp_impacts WHERE incident_id = '" + gone + "'"), 0);
  EXPECT_EQ(RawInt(path_, "SELECT count(*) FROM sp_updates WHERE incident_id = '" + gone + "'"), 0);
  EXPECT_EQ(RawInt(path_, "SELECT count(*) FROM sp_updates WHERE incident_id = '" + keep + "'"), 1);

  std::string before = Dump(page_->data());
  uint64_t v = page_->version();
  ExpectRefused(page_->DeleteIncident(gone), Code::kNotFound, before, v);
}

TEST_F(StatusPageTest, IncidentsBetweenOverlapRuleAndOrder) {
  // Created out of time order: the answer is by beganAt, not by creation.
  NewIncident(Spanning("late", At(3 * kHour), At(4 * kHour)));
  NewIncident(Spanning("early", At(0), At(kHour)));
  NewIncident(Spanning("open", At(2 * kHour), std::nullopt));
  NewIncident(Spanning("ends at start", At(kHour / 2), At(2 * kHour)));
  NewIncident(Spanning("begins at end", At(5 * kHour), At(6 * kHour)));
  NewIncident(Spanning("never began", std::nullopt, std::nullopt));

  auto names = [](const std::vector<const Incident*>& v) {
    std::vector<std::string> out;
    for (const Incident* i : v) out.push_back(i->display_name);
    return out;
  };
  // [2h, 5h]: touching at either end counts; the open one that began before the end counts.
  EXPECT_THAT(names(page_->IncidentsBetween(At(2 * kHour), At(5 * kHour))),
              ElementsAre("ends at start", "open", "late", "begins at end"));
  // Before everything: nothing.
  EXPECT_TRUE(page_->IncidentsBetween(At(-2 * kHour), At(-1)).empty());
  // Long after: only the still open one.
  EXPECT_THAT(names(page_->IncidentsBetween(At(100 * kHour), At(101 * kHour))), ElementsAre("open"));
  // Just after "early" ended, just before "open" began.
  EXPECT_THAT(names(page_->IncidentsBetween(At(kHour + 1), At(2 * kHour - 1))), ElementsAre("ends at start"));
  EXPECT_THAT(names(page_->IncidentsBetween(At(0), At(0))), ElementsAre("early"));
}

TEST_F(StatusPageTest, DraftsAreHiddenUnlessAskedFor) {
  std::string comp = NewComponent("Compute");
  IncidentInput draft = Spanning("draft", At(0), std::nullopt, {{comp, degraded_, 40}});
  draft.published = false;
  std::string draft_id = NewIncident(draft);
  std::string public_id = NewIncident(Spanning("public", At(kMinute), std::nullopt, {{comp, connectivity_, 90}}));

  std::vector<const Incident*> shown = page_->IncidentsBetween(At(0), At(kHour));
  ASSERT_EQ(shown.size(), 1u);
  EXPECT_EQ(shown[0]->id, public_id);
  std::vector<const Incident*> all = page_->IncidentsBetween(At(0), At(kHour), true);
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0]->id, draft_id);
  EXPECT_EQ(all[1]->id, public_id);

  std::vector<ActiveImpact> active = page_->ActiveImpacts(comp, At(kHour));
  ASSERT_EQ(active.size(), 1u);
  EXPECT_EQ(active[0].incident->id, public_id);
  EXPECT_EQ(page_->ActiveImpacts(comp, At(kHour), true).size(), 2u);

  // Publishing makes it visible.
  IncidentInput publish;
  publish.published = true;
  ASSERT_TRUE(page_->UpdateIncident(draft_id, publish).ok());
  EXPECT_EQ(page_->IncidentsBetween(At(0), At(kHour)).size(), 2u);
  EXPECT_EQ(Reloaded(), Dump(page_->data()));
}

TEST_F(StatusPageTest, ActiveImpactsAtATime) {
  std::string compute = NewComponent("Compute");
  std::string storage = NewComponent("Storage");
  std::string outage =
      NewIncident(Spanning("outage", At(kMinute), At(kHour),
                           {{compute, connectivity_, 100}, {storage, degraded_, 30}, {compute, degraded_, 60}}));
  std::string maintenance =
      NewIncident(Spanning("maintenance", At(2 * kHour), At(3 * kHour), {{compute, degraded_, 0}}));

  EXPECT_TRUE(page_->ActiveImpacts(compute, At(kMinute - 1)).empty());
  std::vector<ActiveImpact> at_start = page_->ActiveImpacts(compute, At(kMinute));
  ASSERT_EQ(at_start.size(), 2u);
  EXPECT_EQ(at_start[0].incident, page_->FindIncident(outage));
  EXPECT_EQ(at_start[0].type_id, connectivity_);
  EXPECT_EQ(at_start[0].severity, 100);
  EXPECT_EQ(at_start[1].type_id, degraded_);
  EXPECT_EQ(at_start[1].severity, 60);
  ASSERT_EQ(page_->ActiveImpacts(storage, At(kMinute)).size(), 1u);
  EXPECT_EQ(page_->ActiveImpacts(storage, At(kMinute))[0].severity, 30);
  EXPECT_EQ(page_->ActiveImpacts(compute, At(kHour - 1)).size(), 2u);
  EXPECT_TRUE(page_->ActiveImpacts(compute, At(kHour)).empty());  // ended

  std::vector<ActiveImpact> during = page_->ActiveImpacts(compute, At(2 * kHour + kMinute));
  ASSERT_EQ(during.size(), 1u);
  EXPECT_EQ(during[0].incident->id, maintenance);
  EXPECT_EQ(during[0].severity, 0);
  EXPECT_TRUE(page_->ActiveImpacts(storage, At(2 * kHour + kMinute)).empty());
  EXPECT_TRUE(page_->ActiveImpacts(NewUuid(), At(kMinute)).empty());
}

// ---- Incident updates ----

TEST_F(StatusPageTest, CreateUpdateNumbersFromZero) {
  std::string id = NewIncident(Named("Slow"));
  int order = -1;
  ASSERT_TRUE(page_
                  ->CreateUpdate(id, UpdateInput{std::string("Investigating"), std::string("We look."), std::nullopt},
                                 At(kMinute), &order)
                  .ok());
  EXPECT_EQ(order, 0);
  ASSERT_TRUE(
      page_->CreateUpdate(id, UpdateInput{std::string("Fixed"), std::nullopt, At(30 * kSecond)}, At(kHour), &order)
          .ok());
  EXPECT_EQ(order, 1);
  const Incident* i = page_->FindIncident(id);
  ASSERT_EQ(i->updates.size(), 2u);
  EXPECT_EQ(i->updates[0].order, 0);
  EXPECT_EQ(i->updates[0].display_name, "Investigating");
  EXPECT_EQ(i->updates[0].description, "We look.");
  EXPECT_EQ(i->updates[0].created_at, At(kMinute));  // now
  EXPECT_EQ(i->updates[1].description, "");
  EXPECT_EQ(i->updates[1].created_at, At(30 * kSecond));  // as given
  EXPECT_EQ(Reloaded(), Dump(page_->data()));

  // Orders are per incident.
  std::string other = NewIncident(Named("Other"));
  ASSERT_TRUE(
      page_->CreateUpdate(other, UpdateInput{std::string("x"), std::nullopt, std::nullopt}, At(0), &order).ok());
  EXPECT_EQ(order, 0);
}

TEST_F(StatusPageTest, CreateUpdateErrors) {
  std::string id = NewIncident(Named("Slow"));
  std::string before = Dump(page_->data());
  uint64_t v = page_->version();
  int order = -5;
  ExpectRefused(
      page_->CreateUpdate(NewUuid(), UpdateInput{std::string("x"), std::nullopt, std::nullopt}, At(0), &order),
      Code::kNotFound, before, v);
  ExpectRefused(page_->CreateUpdate(id, UpdateInput{}, At(0), &order), Code::kInvalidArgument, before, v,
                "displayName");
  ExpectRefused(page_->CreateUpdate(id, UpdateInput{std::string(""), std::nullopt, std::nullopt}, At(0), &order),
                Code::kInvalidArgument, before, v, "displayName");
  ExpectRefused(
      page_->CreateUpdate(id, UpdateInput{std::string("x"), std::string(20'001, 'd'), std::nullopt}, At(0), &order),
      Code::kInvalidArgument, before, v, "description");
  EXPECT_EQ(order, -5);
}

TEST_F(StatusPageTest, UpdateUpdateChangesOnlyWhatIsGiven) {
  std::string id = NewIncident(Named("Slow"));
  int order = 0;
  ASSERT_TRUE(
      page_->CreateUpdate(id, UpdateInput{std::string("a"), std::string("first"), std::nullopt}, At(kMinute), &order)
          .ok());
  ASSERT_TRUE(
      page_->CreateUpdate(id, UpdateInput{std::string("b"), std::string("second"), std::nullopt}, At(kHour), &order)
          .ok());
  ASSERT_TRUE(page_->UpdateUpdate(id, 0, UpdateInput{std::nullopt, std::string("changed"), std::nullopt}).ok());
  const Incident* i = page_->FindIncident(id);
  EXPECT_EQ(i->updates[0].display_name, "a");
  EXPECT_EQ(i->updates[0].description, "changed");
  EXPECT_EQ(i->updates[0].created_at, At(kMinute));
  EXPECT_EQ(i->updates[1].description, "second");
  ASSERT_TRUE(page_->UpdateUpdate(id, 1, UpdateInput{std::string("B"), std::nullopt, At(2 * kHour)}).ok());
  EXPECT_EQ(page_->FindIncident(id)->updates[1].display_name, "B");
  EXPECT_EQ(page_->FindIncident(id)->updates[1].created_at, At(2 * kHour));
  EXPECT_EQ(Reloaded(), Dump(page_->data()));
}

TEST_F(StatusPageTest, UpdateUpdateErrors) {
  std::string id = NewIncident(Named("Slow"));
  int order = 0;
  ASSERT_TRUE(page_->CreateUpdate(id, UpdateInput{std::string("a"), std::nullopt, std::nullopt}, At(0), &order).ok());
  std::string before = Dump(page_->data());
  uint64_t v = page_->version();
  UpdateInput rename{std::string("x"), std::nullopt, std::nullopt};
  ExpectRefused(page_->UpdateUpdate(NewUuid(), 0, rename), Code::kNotFound, before, v);
  ExpectRefused(page_->UpdateUpdate(id, 1, rename), Code::kNotFound, before, v);
  ExpectRefused(page_->UpdateUpdate(id, -1, rename), Code::kNotFound, before, v);
  ExpectRefused(page_->UpdateUpdate(id, 0, UpdateInput{std::string(""), std::nullopt, std::nullopt}),
                Code::kInvalidArgument, before, v, "displayName");
  ExpectRefused(page_->UpdateUpdate(id, 0, UpdateInput{std::nullopt, std::string(20'001, 'd'), std::nullopt}),
                Code::kInvalidArgument, before, v, "description");
}

TEST_F(StatusPageTest, DeleteUpdate) {
  std::string id = NewIncident(Named("Slow"));
  int order = 0;
  for (const char* name : {"a", "b", "c"}) {
    ASSERT_TRUE(
        page_->CreateUpdate(id, UpdateInput{std::string(name), std::nullopt, std::nullopt}, At(0), &order).ok());
  }
  ASSERT_TRUE(page_->DeleteUpdate(id, 1).ok());
  const Incident* i = page_->FindIncident(id);
  ASSERT_EQ(i->updates.size(), 2u);
  EXPECT_EQ(i->updates[0].order, 0);
  EXPECT_EQ(i->updates[1].order, 2);  // the others keep their orders
  EXPECT_EQ(Reloaded(), Dump(page_->data()));
  // A new update never takes the order of one that is still there.
  ASSERT_TRUE(page_->CreateUpdate(id, UpdateInput{std::string("d"), std::nullopt, std::nullopt}, At(0), &order).ok());
  EXPECT_EQ(order, 3);

  std::string before = Dump(page_->data());
  uint64_t v = page_->version();
  ExpectRefused(page_->DeleteUpdate(id, 1), Code::kNotFound, before, v);
  ExpectRefused(page_->DeleteUpdate(NewUuid(), 0), Code::kNotFound, before, v);
}

// ---- The store interface itself ----

class StatusPageStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Status s = OpenSqliteStatusPageStore(path_, &store_);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  Data LoadOrDie() {
    Data d;
    Status s = store_->Load(&d);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return d;
  }

  csoc::testing::TempDir dir_;
  std::filesystem::path path_ = dir_.path() / "csoc.db";
  std::unique_ptr<StatusPageStore> store_;
};

TEST_F(StatusPageStoreTest, ANewStoreIsEmptyAndNotSeeded) {
  Data d = LoadOrDie();
  EXPECT_EQ(Dump(d), "seeded=0\n");
  ASSERT_TRUE(store_->Apply(Changes{}).ok());
  EXPECT_EQ(Dump(LoadOrDie()), "seeded=0\n");
}

TEST_F(StatusPageStoreTest, ChangesEmpty) {
  EXPECT_TRUE(Changes{}.empty());
  Changes seeded;
  seeded.mark_seeded = true;
  EXPECT_FALSE(seeded.empty());
  Changes deletion;
  deletion.delete_incidents.push_back("x");
  EXPECT_FALSE(deletion.empty());
  Changes phases;
  phases.add_phase_generations.push_back({1, {"a"}});
  EXPECT_FALSE(phases.empty());
}

TEST_F(StatusPageStoreTest, DeletionsComeBeforeUpserts) {
  Changes first;
  first.put_severities.push_back({"broken", 100});
  ASSERT_TRUE(store_->Apply(first).ok());
  // Renaming in one change: the old row goes first, so the unique value does not clash.
  Changes rename;
  rename.delete_severities.push_back("broken");
  rename.put_severities.push_back({"down", 100});
  Status s = store_->Apply(rename);
  ASSERT_TRUE(s.ok()) << s.ToString();
  Changes again;
  again.delete_severities.push_back("down");
  again.put_severities.push_back({"down", 90});
  ASSERT_TRUE(store_->Apply(again).ok());
  Data d = LoadOrDie();
  ASSERT_EQ(d.severities.size(), 1u);
  EXPECT_EQ(d.severities[0].display_name, "down");
  EXPECT_EQ(d.severities[0].value, 90);
}

TEST_F(StatusPageStoreTest, AChangeIsStoredWhollyOrNotAtAll) {
  Changes c;
  c.put_impact_types.push_back({NewUuid(), "T", ""});
  c.put_severities.push_back({"broken", 100});
  c.mark_seeded = true;
  // The same phase twice violates the primary key after the rest was written.
  c.add_phase_generations.push_back({1, {"a"}});
  c.add_phase_generations.push_back({1, {"a"}});
  EXPECT_FALSE(store_->Apply(c).ok());
  EXPECT_EQ(Dump(LoadOrDie()), "seeded=0\n");
  // The connection is still usable after the failed change.
  c.add_phase_generations.pop_back();
  ASSERT_TRUE(store_->Apply(c).ok());
  Data d = LoadOrDie();
  EXPECT_TRUE(d.seeded);
  EXPECT_EQ(d.impact_types.size(), 1u);
  EXPECT_EQ(d.phase_generations.size(), 1u);
}

TEST_F(StatusPageStoreTest, PuttingAnIncidentReplacesItsImpactsAndUpdates) {
  Incident i;
  i.id = NewUuid();
  i.display_name = "I";
  i.began_at = At(0);
  i.affects = {{"c1", "t", 10}, {"c2", "t", 20}, {"c3", "t", 30}};
  i.updates = {{0, "a", "", At(0)}, {1, "b", "", At(1)}};
  i.seq = 4;
  Changes put;
  put.put_incidents.push_back(i);
  ASSERT_TRUE(store_->Apply(put).ok());
  i.affects = {{"c3", "t", 0}};
  i.updates = {{1, "b2", "x", At(2)}};
  i.ended_at = At(kHour);
  i.phase = PhaseRef{2, 1};
  i.published = false;
  i.automatic_for = "key";
  put.put_incidents = {i};
  ASSERT_TRUE(store_->Apply(put).ok());
  Data d = LoadOrDie();
  ASSERT_EQ(d.incidents.size(), 1u);
  Data expected;
  expected.incidents = {i};
  EXPECT_EQ(Dump(d), Dump(expected));
  EXPECT_EQ(RawInt(path_, "SELECT count(*) FROM sp_impacts"), 1);
  EXPECT_EQ(RawInt(path_, "SELECT count(*) FROM sp_updates"), 1);
}

// ---- Versions and failures ----

TEST_F(StatusPageTest, TheVersionGrowsWithEveryChangeOnly) {
  uint64_t v = page_->version();
  std::string comp = NewComponent("A");
  EXPECT_EQ(page_->version(), v + 1);
  std::string id = NewIncident(Named("I"));
  EXPECT_EQ(page_->version(), v + 2);
  ASSERT_TRUE(page_->DeleteIncident(id).ok());
  EXPECT_EQ(page_->version(), v + 3);
  // Reading does not count.
  page_->IncidentsBetween(At(0), At(kHour));
  page_->ActiveImpacts(comp, At(0));
  EXPECT_EQ(page_->version(), v + 3);
}

class FailingStatusPageTest : public StatusPageTest {
 protected:
  void SetUp() override {
    StatusPageTest::SetUp();
    comp_ = NewComponent("Compute");
    ASSERT_TRUE(page_->SyncDeclaredComponents({{"dns", "DNS", {}}}).ok());
    incident_ = NewIncident(Spanning("Slow", At(0), std::nullopt, {{comp_, degraded_, 40}}));
    int order = 0;
    ASSERT_TRUE(
        page_->CreateUpdate(incident_, UpdateInput{std::string("u"), std::nullopt, std::nullopt}, At(0), &order).ok());
    page_.reset();
    std::unique_ptr<StatusPageStore> inner;
    ASSERT_TRUE(OpenSqliteStatusPageStore(path_, &inner).ok());
    auto failing = std::make_unique<FailingStore>(std::move(inner));
    store_ = failing.get();
    ASSERT_TRUE(StatusPage::Open(std::move(failing), Defaults(), &page_).ok());
    store_->fail = true;
  }

  FailingStore* store_ = nullptr;
  std::string comp_, incident_;
};

TEST_F(FailingStatusPageTest, AFailedWriteChangesNothing) {
  std::string before = Dump(page_->data());
  uint64_t v = page_->version();
  std::string id = "untouched";
  int n = -3;
  ImpactTypeInput type;
  type.display_name = "New";
  ExpectRefused(page_->CreateImpactType(type, &id), Code::kIOError, before, v, "disk full");
  ExpectRefused(page_->UpdateImpactType(degraded_, type), Code::kIOError, before, v);
  ExpectRefused(page_->DeleteImpactType(page_->FindImpactTypeByName("Unknown")->id), Code::kIOError, before, v);
  SeverityInput severity;
  severity.display_name = "minor";
  severity.value = 10;
  ExpectRefused(page_->CreateSeverity(severity), Code::kIOError, before, v);
  ExpectRefused(page_->UpdateSeverity("limited", severity), Code::kIOError, before, v);
  ExpectRefused(page_->DeleteSeverity("limited"), Code::kIOError, before, v);
  ExpectRefused(page_->AddPhaseGeneration({"x"}, &n), Code::kIOError, before, v);
  ComponentInput component;
  component.display_name = "New";
  ExpectRefused(page_->CreateComponent(component, &id), Code::kIOError, before, v);
  ExpectRefused(page_->UpdateComponent(comp_, component), Code::kIOError, before, v);
  ExpectRefused(page_->DeleteComponent(comp_), Code::kIOError, before, v);
  ExpectRefused(page_->SyncDeclaredComponents({}), Code::kIOError, before, v);
  ExpectRefused(page_->SyncDeclaredComponents({{"dns", "DNS!", {}}, {"new", "New", {}}}), Code::kIOError, before, v);
  ExpectRefused(page_->CreateIncident(Named("New"), At(0), &id), Code::kIOError, before, v);
  ExpectRefused(page_->UpdateIncident(incident_, Named("Renamed")), Code::kIOError, before, v);
  ExpectRefused(page_->DeleteIncident(incident_), Code::kIOError, before, v);
  ExpectRefused(page_->CreateUpdate(incident_, UpdateInput{std::string("x"), std::nullopt, std::nullopt}, At(0), &n),
                Code::kIOError, before, v);
  ExpectRefused(page_->UpdateUpdate(incident_, 0, UpdateInput{std::string("x"), std::nullopt, std::nullopt}),
                Code::kIOError, before, v);
  ExpectRefused(page_->DeleteUpdate(incident_, 0), Code::kIOError, before, v);
  Incident automatic;
  automatic.id = NewUuid();
  automatic.display_name = "auto";
  automatic.began_at = At(0);
  ExpectRefused(page_->PutAutomatic(automatic), Code::kIOError, before, v);
  EXPECT_EQ(id, "untouched");
  EXPECT_EQ(n, -3);

  // Once the store works again, sequence numbers continue where they were: nothing was used up.
  int64_t max_seq = 0;
  for (const auto& c : page_->data().components) max_seq = std::max(max_seq, c.seq);
  for (const auto& i : page_->data().incidents) max_seq = std::max(max_seq, i.seq);
  store_->fail = false;
  std::string fresh = NewComponent("After");
  EXPECT_EQ(page_->FindComponent(fresh)->seq, max_seq + 1);
  EXPECT_EQ(page_->version(), v + 1);
}

TEST_F(FailingStatusPageTest, ARefusedChangeDoesNotReachTheStore) {
  int applies = store_->applies;
  std::string id;
  EXPECT_EQ(page_->CreateComponent(ComponentInput{}, &id).code(), Code::kInvalidArgument);
  EXPECT_EQ(page_->DeleteSeverity("broken").code(), Code::kConflict);
  EXPECT_EQ(page_->DeleteIncident(NewUuid()).code(), Code::kNotFound);
  EXPECT_TRUE(page_->SyncDeclaredComponents({{"dns", "DNS", {}}}).ok());  // nothing to change
  EXPECT_EQ(store_->applies, applies);
}

}  // namespace
}  // namespace csoc::statuspage

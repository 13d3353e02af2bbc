// The SQLite store. docs/storage.md describes the schema, the rollups and why the indexes are what
// they are.
//
// Invariant that makes rollups exact: every counted result is in the rollups if its time is below
// the watermark (meta `rollup_watermark_ms`) and only in the raw table otherwise. Compact() moves
// the watermark and folds the results it passes in the same transaction; Write() folds a result
// that arrives below the watermark (a late probe, a retried batch) in the same transaction that
// stores it; QuerySeries() reads rollups below the watermark and aggregates raw rows above it.
#include <fmt/format.h>
#include <sqlite3.h>

#include <algorithm>
#include <array>
#include <limits>
#include <map>
#include <tuple>
#include <unordered_map>

#include "store/latency_histogram.h"
#include "store/sqlite_area.h"
#include "store/sqlite_db.h"
#include "store/sqlite_schema.h"
#include "store/store.h"

namespace csoc::store {

namespace {

using sqlite::Db;
using sqlite::ScopedReset;
using sqlite::Stmt;
using sqlite::Transaction;

constexpr int64_t kMinuteMs = 60'000;
constexpr std::string_view kWatermarkKey = "rollup_watermark_ms";
constexpr int64_t kMinMs = std::numeric_limits<int64_t>::min();
constexpr int64_t kMaxMs = std::numeric_limits<int64_t>::max();

struct Level {
  Resolution resolution;
  int64_t size_ms;
  std::string_view table;
};
constexpr std::array<Level, 3> kLevels = {{
    {Resolution::kMinute, 60'000, "rollup_minute"},
    {Resolution::kHour, 3'600'000, "rollup_hour"},
    {Resolution::kDay, 86'400'000, "rollup_day"},
}};

int64_t FloorTo(int64_t ms, int64_t size) {
  int64_t b = ms / size * size;
  return b > ms ? b - size : b;
}

int64_t SaturatingSub(int64_t a, int64_t b) {
  int64_t r;
  return __builtin_sub_overflow(a, b, &r) ? (b > 0 ? kMinMs : kMaxMs) : r;
}

// On-disk verdict codes: fixed forever, independent of the order of the Health enum.
int64_t HealthCode(Health h) {
  switch (h) {
    case Health::kUp: return 0;
    case Health::kUnknown: return 1;
    case Health::kDegraded: return 2;
    case Health::kDown: return 3;
  }
  return 1;
}

std::optional<Health> HealthFromCode(int64_t code) {
  switch (code) {
    case 0: return Health::kUp;
    case 1: return Health::kUnknown;
    case 2: return Health::kDegraded;
    case 3: return Health::kDown;
    default: return std::nullopt;
  }
}

// One bucket of one check (or, when querying, of several merged).
struct Aggregate {
  int64_t count = 0;
  int64_t down = 0;
  int64_t degraded = 0;
  LatencyHistogram latency;

  // Unknown verdicts (no judgement was possible) are not counted: they would make uptime look
  // better or worse than anything that was observed. The latency of a down result measures how
  // fast it failed, not how fast the service answers, so only up and degraded results feed the
  // histogram.
  void Add(Health verdict, int64_t latency_us) {
    if (verdict == Health::kUnknown) return;
    ++count;
    if (verdict == Health::kDown) {
      ++down;
      return;
    }
    if (verdict == Health::kDegraded) ++degraded;
    latency.Add(latency_us);
  }
  void Merge(const Aggregate& other) {
    count += other.count;
    down += other.down;
    degraded += other.degraded;
    latency.Merge(other.latency);
  }
};

std::string_view BlobArg(sqlite3_value* value) {
  const void* data = sqlite3_value_blob(value);
  if (data == nullptr) return {};
  return {static_cast<const char*>(data), static_cast<size_t>(sqlite3_value_bytes(value))};
}

// csoc_latency_merge(a, b): the encoded sum of two encoded histograms, so that merging a rollup
// contribution is a single UPSERT.
void LatencyMergeFunction(sqlite3_context* ctx, int /*argc*/, sqlite3_value** argv) {
  LatencyHistogram merged, other;
  if (!LatencyHistogram::Decode(BlobArg(argv[0]), &merged) || !LatencyHistogram::Decode(BlobArg(argv[1]), &other)) {
    sqlite3_result_error(ctx, "malformed latency histogram blob in a rollup row", -1);
    sqlite3_result_error_code(ctx, SQLITE_CORRUPT);
    return;
  }
  merged.Merge(other);
  std::string blob = merged.Encode();
  sqlite3_result_blob(ctx, blob.data(), static_cast<int>(blob.size()), SQLITE_TRANSIENT);
}

// The smallest string greater than every string that starts with `prefix`, or nullopt when there is
// none (a prefix of only 0xff bytes). Lets a prefix filter be an index range instead of a LIKE.
std::optional<std::string> PrefixSuccessor(std::string prefix) {
  while (!prefix.empty() && static_cast<uint8_t>(prefix.back()) == 0xff) prefix.pop_back();
  if (prefix.empty()) return std::nullopt;
  prefix.back() = static_cast<char>(static_cast<uint8_t>(prefix.back()) + 1);
  return prefix;
}

class SqliteStore final : public Store {
 public:
  Status Init(const std::filesystem::path& path);

  Status Write(const WriteBatch& batch) override;
  Status LoadStates(std::vector<CheckStateRecord>* out) override;
  Status QuerySeries(const std::vector<std::string>& check_ids, TimePoint from, TimePoint to, Resolution resolution,
                     std::vector<SeriesPoint>* out) override;
  Status QueryResults(const std::string& check_id, TimePoint from, TimePoint to, int limit,
                      std::vector<ResultRecord>* out) override;
  Status QueryEvents(const EventQuery& query, std::vector<EventRecord>* out) override;
  Status Compact(TimePoint now, const fleet::Retention& retention) override;
  uint64_t SizeBytes() override;

 private:
  Status PrepareStatements();
  Status FindCheck(const std::string& key, int64_t* id, bool* found);
  Status InternCheck(const std::string& key, int64_t* id);
  Status ReadWatermark(int64_t* out);
  Status UpsertRollup(size_t level, int64_t check, int64_t bucket, const Aggregate& aggregate);
  Status WriteInTransaction(const WriteBatch& batch, const std::string& doing);
  Status Fold(int64_t from_ms, int64_t to_ms);
  Status DeleteExpired(int64_t now_ms, int64_t watermark, const fleet::Retention& retention);
  Status QueryRawSeries(const std::vector<int64_t>& checks, int64_t from_ms, int64_t to_ms,
                        std::vector<SeriesPoint>* out);
  Status QueryRollupSeries(const std::vector<int64_t>& checks, size_t level, int64_t from_ms, int64_t to_ms,
                           std::vector<SeriesPoint>* out);
  Status BadVerdict(std::string_view table, int64_t code) const {
    return Status::Corruption(fmt::format("{} has a row with verdict code {} ({})", table, code, db_.path()));
  }

  Db db_;
  std::filesystem::path path_;
  // Interned check ids. Ids are never deleted, so the cache stays valid across connections; ids
  // interned by a transaction that then failed are dropped from it.
  std::unordered_map<std::string, int64_t> check_ids_;
  std::vector<std::string> interned_in_transaction_;

  Stmt find_check_, insert_check_, read_meta_, write_meta_;
  Stmt insert_result_, insert_event_, upsert_state_, load_states_;
  Stmt results_range_, results_newest_, fold_, events_all_, events_in_range_, events_prefix_;
  Stmt delete_results_, delete_events_;
  std::array<Stmt, kLevels.size()> upsert_rollup_, rollup_range_, delete_rollup_;
};

Status SqliteStore::Init(const std::filesystem::path& path) {
  path_ = path;
  CSOC_STORE_RETURN_IF_ERROR(sqlite::OpenConnection(path, &db_));
  int rc = sqlite3_create_function_v2(db_.get(), "csoc_latency_merge", 2, SQLITE_UTF8 | SQLITE_DETERMINISTIC, nullptr,
                                      LatencyMergeFunction, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return db_.Fail(rc, "registering csoc_latency_merge");
  return PrepareStatements();
}

Status SqliteStore::PrepareStatements() {
  auto prepare = [this](Stmt* stmt, std::string_view sql) { return db_.Prepare(sql, stmt); };
  CSOC_STORE_RETURN_IF_ERROR(prepare(&find_check_, "SELECT id FROM checks WHERE key = ?1"));
  CSOC_STORE_RETURN_IF_ERROR(prepare(&insert_check_, "INSERT INTO checks(key) VALUES(?1)"));
  CSOC_STORE_RETURN_IF_ERROR(prepare(&read_meta_, "SELECT value FROM meta WHERE key = ?1"));
  CSOC_STORE_RETURN_IF_ERROR(prepare(&write_meta_, "INSERT OR REPLACE INTO meta(key, value) VALUES(?1, ?2)"));
  // (check, at) identifies a result: a batch written twice (a retry after an ambiguous failure)
  // stores each result once.
  CSOC_STORE_RETURN_IF_ERROR(prepare(&insert_result_,
                                     "INSERT INTO results(check_id, at_ms, verdict, latency_us, status_code, reason) "
                                     "VALUES(?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(check_id, at_ms) DO NOTHING"));
  CSOC_STORE_RETURN_IF_ERROR(prepare(
      &insert_event_, "INSERT INTO events(at_ms, check_id, from_state, to_state, reason) VALUES(?1, ?2, ?3, ?4, ?5)"));
  CSOC_STORE_RETURN_IF_ERROR(
      prepare(&upsert_state_,
              "INSERT INTO check_states(check_id, fingerprint, state, since_ms, evidence) VALUES(?1, ?2, ?3, ?4, ?5) "
              "ON CONFLICT(check_id) DO UPDATE SET fingerprint = excluded.fingerprint, state = excluded.state, "
              "since_ms = excluded.since_ms, evidence = excluded.evidence"));
  CSOC_STORE_RETURN_IF_ERROR(prepare(&load_states_,
                                     "SELECT c.key, s.fingerprint, s.state, s.since_ms, s.evidence "
                                     "FROM check_states AS s JOIN checks AS c ON c.id = s.check_id ORDER BY c.key"));
  CSOC_STORE_RETURN_IF_ERROR(prepare(&results_range_,
                                     "SELECT at_ms, verdict, latency_us FROM results "
                                     "WHERE check_id = ?1 AND at_ms >= ?2 AND at_ms < ?3 ORDER BY at_ms"));
  CSOC_STORE_RETURN_IF_ERROR(
      prepare(&results_newest_,
              "SELECT at_ms, verdict, latency_us, status_code, reason FROM results "
              "WHERE check_id = ?1 AND at_ms >= ?2 AND at_ms < ?3 ORDER BY at_ms DESC LIMIT ?4"));
  // CROSS JOIN fixes the loop order: for each interned check, one range seek into the results
  // clustered by (check, at). A scan of results by time would read the whole table.
  CSOC_STORE_RETURN_IF_ERROR(prepare(&fold_,
                                     "SELECT r.check_id, r.at_ms, r.verdict, r.latency_us "
                                     "FROM checks AS c CROSS JOIN results AS r ON r.check_id = c.id "
                                     "WHERE r.at_ms >= ?1 AND r.at_ms < ?2 ORDER BY c.id, r.at_ms"));
  // Without a time range, walk the events newest first and stop at the limit (the unary + keeps
  // the planner off the time index, which would read every event and sort). With one, read the
  // range through the time index and sort only what it holds.
  CSOC_STORE_RETURN_IF_ERROR(prepare(&events_all_,
                                     "SELECT e.id, e.at_ms, c.key, e.from_state, e.to_state, e.reason "
                                     "FROM events AS e JOIN checks AS c ON c.id = e.check_id "
                                     "WHERE e.id < ?1 AND +e.at_ms >= ?2 AND +e.at_ms < ?3 "
                                     "ORDER BY e.id DESC LIMIT ?4"));
  CSOC_STORE_RETURN_IF_ERROR(prepare(&events_in_range_,
                                     "SELECT e.id, e.at_ms, c.key, e.from_state, e.to_state, e.reason "
                                     "FROM events AS e JOIN checks AS c ON c.id = e.check_id "
                                     "WHERE e.id < ?1 AND e.at_ms >= ?2 AND e.at_ms < ?3 ORDER BY e.id DESC LIMIT ?4"));
  CSOC_STORE_RETURN_IF_ERROR(prepare(&events_prefix_,
                                     "SELECT e.id, e.at_ms, c.key, e.from_state, e.to_state, e.reason "
                                     "FROM events AS e JOIN checks AS c ON c.id = e.check_id "
                                     "WHERE e.check_id IN (SELECT id FROM checks WHERE key >= ?5 "
                                     "AND (?6 IS NULL OR key < ?6)) "
                                     "AND e.id < ?1 AND e.at_ms >= ?2 AND e.at_ms < ?3 ORDER BY e.id DESC LIMIT ?4"));
  // The IN (SELECT id FROM checks) makes each delete a range seek per check on the primary key.
  CSOC_STORE_RETURN_IF_ERROR(
      prepare(&delete_results_, "DELETE FROM results WHERE check_id IN (SELECT id FROM checks) AND at_ms < ?1"));
  CSOC_STORE_RETURN_IF_ERROR(prepare(&delete_events_, "DELETE FROM events WHERE at_ms < ?1"));
  for (size_t l = 0; l < kLevels.size(); ++l) {
    std::string_view t = kLevels[l].table;
    CSOC_STORE_RETURN_IF_ERROR(prepare(
        &upsert_rollup_[l], fmt::format("INSERT INTO {0}(check_id, bucket_ms, count, down, degraded, latency) "
                                        "VALUES(?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(check_id, bucket_ms) DO UPDATE SET "
                                        "count = {0}.count + excluded.count, down = {0}.down + excluded.down, "
                                        "degraded = {0}.degraded + excluded.degraded, "
                                        "latency = csoc_latency_merge({0}.latency, excluded.latency)",
                                        t)));
    CSOC_STORE_RETURN_IF_ERROR(
        prepare(&rollup_range_[l], fmt::format("SELECT bucket_ms, count, down, degraded, latency FROM {} "
                                               "WHERE check_id = ?1 AND bucket_ms >= ?2 AND bucket_ms < ?3",
                                               t)));
    CSOC_STORE_RETURN_IF_ERROR(
        prepare(&delete_rollup_[l],
                fmt::format("DELETE FROM {} WHERE check_id IN (SELECT id FROM checks) AND bucket_ms < ?1", t)));
  }
  return Status::Ok();
}

Status SqliteStore::FindCheck(const std::string& key, int64_t* id, bool* found) {
  if (auto it = check_ids_.find(key); it != check_ids_.end()) {
    *id = it->second;
    *found = true;
    return Status::Ok();
  }
  ScopedReset reset(&find_check_);
  find_check_.BindText(1, key);
  CSOC_STORE_RETURN_IF_ERROR(db_.Step(find_check_, found, "looking up a check id"));
  if (*found) {
    *id = find_check_.Int(0);
    check_ids_.emplace(key, *id);
  }
  return Status::Ok();
}

Status SqliteStore::InternCheck(const std::string& key, int64_t* id) {
  bool found = false;
  CSOC_STORE_RETURN_IF_ERROR(FindCheck(key, id, &found));
  if (found) return Status::Ok();
  insert_check_.BindText(1, key);
  CSOC_STORE_RETURN_IF_ERROR(db_.StepDone(insert_check_, "adding a check id"));
  *id = sqlite3_last_insert_rowid(db_.get());
  check_ids_.emplace(key, *id);
  interned_in_transaction_.push_back(key);
  return Status::Ok();
}

Status SqliteStore::ReadWatermark(int64_t* out) {
  ScopedReset reset(&read_meta_);
  read_meta_.BindText(1, kWatermarkKey);
  bool row = false;
  CSOC_STORE_RETURN_IF_ERROR(db_.Step(read_meta_, &row, "reading the rollup watermark"));
  *out = row ? read_meta_.Int(0) : kMinMs;
  return Status::Ok();
}

Status SqliteStore::UpsertRollup(size_t level, int64_t check, int64_t bucket, const Aggregate& aggregate) {
  if (aggregate.count == 0) return Status::Ok();
  Stmt& stmt = upsert_rollup_[level];
  std::string blob = aggregate.latency.Encode();
  stmt.Bind(1, check);
  stmt.Bind(2, bucket);
  stmt.Bind(3, aggregate.count);
  stmt.Bind(4, aggregate.down);
  stmt.Bind(5, aggregate.degraded);
  stmt.BindBlob(6, blob);
  return db_.StepDone(stmt, fmt::format("merging into {}", kLevels[level].table));
}

Status SqliteStore::Write(const WriteBatch& batch) {
  if (batch.results.empty() && batch.events.empty() && batch.states.empty()) return Status::Ok();
  std::string doing = fmt::format("writing {} results, {} events and {} states", batch.results.size(),
                                  batch.events.size(), batch.states.size());
  interned_in_transaction_.clear();
  Status s = WriteInTransaction(batch, doing);
  if (!s.ok()) {
    for (const std::string& key : interned_in_transaction_) check_ids_.erase(key);
  }
  interned_in_transaction_.clear();
  return s;
}

Status SqliteStore::WriteInTransaction(const WriteBatch& batch, const std::string& doing) {
  Transaction tx(&db_);
  CSOC_STORE_RETURN_IF_ERROR(tx.BeginWrite(doing));
  int64_t watermark = 0;
  CSOC_STORE_RETURN_IF_ERROR(ReadWatermark(&watermark));
  // Results below the watermark arrived after their minute was folded (a probe slower than the
  // compaction lag, a batch retried after an outage); they are folded here instead.
  std::map<std::tuple<size_t, int64_t, int64_t>, Aggregate> late;
  for (const ResultRecord& r : batch.results) {
    int64_t check = 0;
    CSOC_STORE_RETURN_IF_ERROR(InternCheck(r.check_id, &check));
    int64_t at = ToUnixMillis(r.at);
    insert_result_.Bind(1, check);
    insert_result_.Bind(2, at);
    insert_result_.Bind(3, HealthCode(r.verdict));
    insert_result_.Bind(4, r.latency_us);
    insert_result_.Bind(5, r.status_code);
    insert_result_.BindText(6, r.reason);
    CSOC_STORE_RETURN_IF_ERROR(db_.StepDone(insert_result_, doing));
    if (at < watermark && sqlite3_changes(db_.get()) == 1) {
      for (size_t l = 0; l < kLevels.size(); ++l) {
        late[{l, check, FloorTo(at, kLevels[l].size_ms)}].Add(r.verdict, r.latency_us);
      }
    }
  }
  for (const auto& [key, aggregate] : late) {
    CSOC_STORE_RETURN_IF_ERROR(UpsertRollup(std::get<0>(key), std::get<1>(key), std::get<2>(key), aggregate));
  }
  for (const EventRecord& e : batch.events) {
    int64_t check = 0;
    CSOC_STORE_RETURN_IF_ERROR(InternCheck(e.check_id, &check));
    insert_event_.Bind(1, ToUnixMillis(e.at));
    insert_event_.Bind(2, check);
    insert_event_.Bind(3, HealthCode(e.from));
    insert_event_.Bind(4, HealthCode(e.to));
    insert_event_.BindText(5, e.reason);
    CSOC_STORE_RETURN_IF_ERROR(db_.StepDone(insert_event_, doing));
  }
  for (const CheckStateRecord& s : batch.states) {
    int64_t check = 0;
    CSOC_STORE_RETURN_IF_ERROR(InternCheck(s.check_id, &check));
    upsert_state_.Bind(1, check);
    upsert_state_.BindText(2, s.fingerprint);
    upsert_state_.Bind(3, HealthCode(s.state));
    upsert_state_.Bind(4, ToUnixMillis(s.since));
    upsert_state_.BindText(5, s.last_evidence_json);
    CSOC_STORE_RETURN_IF_ERROR(db_.StepDone(upsert_state_, doing));
  }
  return tx.Commit(doing);
}

Status SqliteStore::LoadStates(std::vector<CheckStateRecord>* out) {
  out->clear();
  ScopedReset reset(&load_states_);
  for (;;) {
    bool row = false;
    CSOC_STORE_RETURN_IF_ERROR(db_.Step(load_states_, &row, "loading check states"));
    if (!row) return Status::Ok();
    std::optional<Health> state = HealthFromCode(load_states_.Int(2));
    if (!state) return BadVerdict("check_states", load_states_.Int(2));
    CheckStateRecord& r = out->emplace_back();
    r.check_id = load_states_.Text(0);
    r.fingerprint = load_states_.Text(1);
    r.state = *state;
    r.since = FromUnixMillis(load_states_.Int(3));
    r.last_evidence_json = load_states_.Text(4);
  }
}

Status SqliteStore::QuerySeries(const std::vector<std::string>& check_ids, TimePoint from, TimePoint to,
                                Resolution resolution, std::vector<SeriesPoint>* out) {
  out->clear();
  int64_t from_ms = ToUnixMillis(from), to_ms = ToUnixMillis(to);
  if (from_ms >= to_ms) return Status::Ok();
  // One read transaction: the watermark, the rollups and the raw tail come from one snapshot, so a
  // compaction committing in between cannot make a result count twice or not at all.
  Transaction tx(&db_);
  CSOC_STORE_RETURN_IF_ERROR(tx.BeginRead("a series query"));
  std::vector<int64_t> checks;
  for (const std::string& key : check_ids) {
    int64_t id = 0;
    bool found = false;
    CSOC_STORE_RETURN_IF_ERROR(FindCheck(key, &id, &found));
    if (found) checks.push_back(id);
  }
  std::sort(checks.begin(), checks.end());
  checks.erase(std::unique(checks.begin(), checks.end()), checks.end());
  if (resolution == Resolution::kRaw) {
    CSOC_STORE_RETURN_IF_ERROR(QueryRawSeries(checks, from_ms, to_ms, out));
  } else {
    size_t level = 0;
    while (kLevels[level].resolution != resolution) ++level;
    CSOC_STORE_RETURN_IF_ERROR(QueryRollupSeries(checks, level, from_ms, to_ms, out));
  }
  return tx.Commit("a series query");
}

Status SqliteStore::QueryRawSeries(const std::vector<int64_t>& checks, int64_t from_ms, int64_t to_ms,
                                   std::vector<SeriesPoint>* out) {
  for (int64_t check : checks) {
    ScopedReset reset(&results_range_);
    results_range_.Bind(1, check);
    results_range_.Bind(2, from_ms);
    results_range_.Bind(3, to_ms);
    for (;;) {
      bool row = false;
      CSOC_STORE_RETURN_IF_ERROR(db_.Step(results_range_, &row, "reading results for a series"));
      if (!row) break;
      std::optional<Health> verdict = HealthFromCode(results_range_.Int(1));
      if (!verdict) return BadVerdict("results", results_range_.Int(1));
      if (*verdict == Health::kUnknown) continue;
      SeriesPoint& p = out->emplace_back();
      p.start = FromUnixMillis(results_range_.Int(0));
      p.count = 1;
      p.down = *verdict == Health::kDown ? 1 : 0;
      p.degraded = *verdict == Health::kDegraded ? 1 : 0;
      p.uptime = p.down ? 0 : 1;
      double latency_ms = p.down ? 0 : static_cast<double>(results_range_.Int(2)) / 1000;
      p.p50_ms = p.p95_ms = p.p99_ms = latency_ms;
    }
  }
  std::stable_sort(out->begin(), out->end(),
                   [](const SeriesPoint& a, const SeriesPoint& b) { return a.start < b.start; });
  return Status::Ok();
}

Status SqliteStore::QueryRollupSeries(const std::vector<int64_t>& checks, size_t level, int64_t from_ms, int64_t to_ms,
                                      std::vector<SeriesPoint>* out) {
  const int64_t size = kLevels[level].size_ms;
  // Whole buckets: every bucket that overlaps [from, to), complete.
  const int64_t first_bucket = FloorTo(from_ms, size);
  const int64_t end_of_last_bucket = FloorTo(to_ms - 1, size) + size;
  int64_t watermark = 0;
  CSOC_STORE_RETURN_IF_ERROR(ReadWatermark(&watermark));
  std::map<int64_t, Aggregate> buckets;
  // Each check's rows arrive in bucket order, so a cursor that only moves forward finds (or makes)
  // the merged bucket in amortised constant time.
  auto cursor = buckets.begin();
  auto bucket_at = [&](int64_t start) -> Aggregate& {
    while (cursor != buckets.end() && cursor->first < start) ++cursor;
    if (cursor == buckets.end() || cursor->first != start) cursor = buckets.emplace_hint(cursor, start, Aggregate{});
    return cursor->second;
  };
  Stmt& rollups = rollup_range_[level];
  const std::string reading = fmt::format("reading {}", kLevels[level].table);
  for (int64_t check : checks) {
    cursor = buckets.begin();
    {
      ScopedReset reset(&rollups);
      rollups.Bind(1, check);
      rollups.Bind(2, first_bucket);
      rollups.Bind(3, to_ms);
      for (;;) {
        bool row = false;
        CSOC_STORE_RETURN_IF_ERROR(db_.Step(rollups, &row, reading));
        if (!row) break;
        Aggregate& a = bucket_at(rollups.Int(0));
        a.count += rollups.Int(1);
        a.down += rollups.Int(2);
        a.degraded += rollups.Int(3);
        if (!LatencyHistogram::MergeEncoded(rollups.Blob(4), &a.latency)) {
          return Status::Corruption(fmt::format("{} has a malformed latency histogram for check {} at {} ({})",
                                                kLevels[level].table, check, rollups.Int(0), db_.path()));
        }
      }
    }
    cursor = buckets.begin();
    // The tail that Compact() has not folded yet, so the current minute/hour/day is complete.
    ScopedReset reset(&results_range_);
    results_range_.Bind(1, check);
    results_range_.Bind(2, std::max(watermark, first_bucket));
    results_range_.Bind(3, end_of_last_bucket);
    for (;;) {
      bool row = false;
      CSOC_STORE_RETURN_IF_ERROR(db_.Step(results_range_, &row, "reading recent results for a series"));
      if (!row) break;
      std::optional<Health> verdict = HealthFromCode(results_range_.Int(1));
      if (!verdict) return BadVerdict("results", results_range_.Int(1));
      bucket_at(FloorTo(results_range_.Int(0), size)).Add(*verdict, results_range_.Int(2));
    }
  }
  for (const auto& [start, a] : buckets) {
    if (a.count == 0) continue;
    SeriesPoint& p = out->emplace_back();
    p.start = FromUnixMillis(start);
    p.count = a.count;
    p.down = a.down;
    p.degraded = a.degraded;
    p.uptime = static_cast<double>(a.count - a.down) / static_cast<double>(a.count);
    p.p50_ms = a.latency.PercentileMs(0.50);
    p.p95_ms = a.latency.PercentileMs(0.95);
    p.p99_ms = a.latency.PercentileMs(0.99);
  }
  return Status::Ok();
}

Status SqliteStore::QueryResults(const std::string& check_id, TimePoint from, TimePoint to, int limit,
                                 std::vector<ResultRecord>* out) {
  out->clear();
  if (limit <= 0) return Status::InvalidArgument(fmt::format("result limit must be positive, got {}", limit));
  int64_t check = 0;
  bool found = false;
  CSOC_STORE_RETURN_IF_ERROR(FindCheck(check_id, &check, &found));
  if (!found) return Status::Ok();
  ScopedReset reset(&results_newest_);
  results_newest_.Bind(1, check);
  results_newest_.Bind(2, ToUnixMillis(from));
  results_newest_.Bind(3, ToUnixMillis(to));
  results_newest_.Bind(4, limit);
  for (;;) {
    bool row = false;
    CSOC_STORE_RETURN_IF_ERROR(db_.Step(results_newest_, &row, "reading results"));
    if (!row) return Status::Ok();
    std::optional<Health> verdict = HealthFromCode(results_newest_.Int(1));
    if (!verdict) return BadVerdict("results", results_newest_.Int(1));
    ResultRecord& r = out->emplace_back();
    r.check_id = check_id;
    r.at = FromUnixMillis(results_newest_.Int(0));
    r.verdict = *verdict;
    r.latency_us = results_newest_.Int(2);
    r.status_code = static_cast<int>(results_newest_.Int(3));
    r.reason = results_newest_.Text(4);
  }
}

Status SqliteStore::QueryEvents(const EventQuery& query, std::vector<EventRecord>* out) {
  out->clear();
  if (query.limit <= 0)
    return Status::InvalidArgument(fmt::format("event limit must be positive, got {}", query.limit));
  Stmt& stmt = !query.check_id_prefix.empty() ? events_prefix_
               : query.from || query.to       ? events_in_range_
                                              : events_all_;
  ScopedReset reset(&stmt);
  stmt.Bind(1, query.before_id.value_or(kMaxMs));
  stmt.Bind(2, query.from ? ToUnixMillis(*query.from) : kMinMs);
  stmt.Bind(3, query.to ? ToUnixMillis(*query.to) : kMaxMs);
  stmt.Bind(4, query.limit);
  std::optional<std::string> upper;
  if (!query.check_id_prefix.empty()) {
    upper = PrefixSuccessor(query.check_id_prefix);
    stmt.BindText(5, query.check_id_prefix);
    if (upper) {
      stmt.BindText(6, *upper);
    } else {
      stmt.BindNull(6);
    }
  }
  for (;;) {
    bool row = false;
    CSOC_STORE_RETURN_IF_ERROR(db_.Step(stmt, &row, "reading events"));
    if (!row) return Status::Ok();
    std::optional<Health> from = HealthFromCode(stmt.Int(3)), to = HealthFromCode(stmt.Int(4));
    if (!from) return BadVerdict("events", stmt.Int(3));
    if (!to) return BadVerdict("events", stmt.Int(4));
    EventRecord& e = out->emplace_back();
    e.id = stmt.Int(0);
    e.at = FromUnixMillis(stmt.Int(1));
    e.check_id = stmt.Text(2);
    e.from = *from;
    e.to = *to;
    e.reason = stmt.Text(5);
  }
}

Status SqliteStore::Compact(TimePoint now, const fleet::Retention& retention) {
  for (auto [name, value] : {std::pair{"raw", retention.raw}, std::pair{"minute", retention.minute},
                             std::pair{"hour", retention.hour}, std::pair{"day", retention.day}}) {
    if (value.count() < 0) {
      return Status::InvalidArgument(fmt::format("{} retention must not be negative, got {}ms", name, value.count()));
    }
  }
  int64_t now_ms = ToUnixMillis(now);
  int64_t target = FloorTo(now_ms, kMinuteMs);
  Transaction tx(&db_);
  CSOC_STORE_RETURN_IF_ERROR(tx.BeginWrite("compaction"));
  int64_t watermark = 0;
  CSOC_STORE_RETURN_IF_ERROR(ReadWatermark(&watermark));
  if (target > watermark) {
    CSOC_STORE_RETURN_IF_ERROR(Fold(watermark, target));
    ScopedReset reset(&write_meta_);
    write_meta_.BindText(1, kWatermarkKey);
    write_meta_.Bind(2, target);
    CSOC_STORE_RETURN_IF_ERROR(db_.StepDone(write_meta_, "advancing the rollup watermark"));
    watermark = target;
  }
  CSOC_STORE_RETURN_IF_ERROR(DeleteExpired(now_ms, watermark, retention));
  return tx.Commit("compaction");
}

Status SqliteStore::Fold(int64_t from_ms, int64_t to_ms) {
  ScopedReset reset(&fold_);
  fold_.Bind(1, from_ms);
  fold_.Bind(2, to_ms);
  // Rows arrive grouped by check, so only one check's buckets are held at a time.
  int64_t current = -1;
  std::array<std::map<int64_t, Aggregate>, kLevels.size()> buckets;
  auto flush = [&]() -> Status {
    for (size_t l = 0; l < kLevels.size(); ++l) {
      for (const auto& [bucket, aggregate] : buckets[l]) {
        CSOC_STORE_RETURN_IF_ERROR(UpsertRollup(l, current, bucket, aggregate));
      }
      buckets[l].clear();
    }
    return Status::Ok();
  };
  for (;;) {
    bool row = false;
    CSOC_STORE_RETURN_IF_ERROR(db_.Step(fold_, &row, "reading results to fold into rollups"));
    if (!row) break;
    int64_t check = fold_.Int(0);
    if (check != current) {
      CSOC_STORE_RETURN_IF_ERROR(flush());
      current = check;
    }
    std::optional<Health> verdict = HealthFromCode(fold_.Int(2));
    if (!verdict) return BadVerdict("results", fold_.Int(2));
    int64_t at = fold_.Int(1);
    for (size_t l = 0; l < kLevels.size(); ++l) {
      buckets[l][FloorTo(at, kLevels[l].size_ms)].Add(*verdict, fold_.Int(3));
    }
  }
  return flush();
}

Status SqliteStore::DeleteExpired(int64_t now_ms, int64_t watermark, const fleet::Retention& retention) {
  // Raw rows above the watermark are not in any rollup yet: never delete them, however short the
  // raw retention.
  ScopedReset reset_results(&delete_results_);
  delete_results_.Bind(1, std::min(SaturatingSub(now_ms, retention.raw.count()), watermark));
  CSOC_STORE_RETURN_IF_ERROR(db_.StepDone(delete_results_, "deleting expired results"));
  const std::array<int64_t, kLevels.size()> keep = {retention.minute.count(), retention.hour.count(),
                                                    retention.day.count()};
  for (size_t l = 0; l < kLevels.size(); ++l) {
    // A bucket goes once all of it is older than the retention.
    int64_t cutoff = SaturatingSub(now_ms, keep[l]);
    ScopedReset reset(&delete_rollup_[l]);
    delete_rollup_[l].Bind(1, SaturatingSub(cutoff, kLevels[l].size_ms - 1));
    CSOC_STORE_RETURN_IF_ERROR(
        db_.StepDone(delete_rollup_[l], fmt::format("deleting expired rows of {}", kLevels[l].table)));
  }
  int64_t longest = std::max({retention.raw.count(), keep[0], keep[1], keep[2]});
  ScopedReset reset_events(&delete_events_);
  delete_events_.Bind(1, SaturatingSub(now_ms, longest));
  return db_.StepDone(delete_events_, "deleting expired events");
}

uint64_t SqliteStore::SizeBytes() {
  uint64_t total = 0;
  for (const std::filesystem::path& file : {path_, std::filesystem::path(path_.string() + "-wal")}) {
    std::error_code ec;
    uint64_t size = std::filesystem::file_size(file, ec);
    if (!ec) total += size;
  }
  return total;
}

}  // namespace

Status OpenSqliteStore(const std::filesystem::path& path, std::unique_ptr<Store>* out) {
  auto store = std::make_unique<SqliteStore>();
  CSOC_STORE_RETURN_IF_ERROR(store->Init(path));
  *out = std::move(store);
  return Status::Ok();
}

}  // namespace csoc::store

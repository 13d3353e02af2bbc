// The history store: raw probe results, per-minute/hour/day rollups, state-change events and the
// current state of every check (to resume after a restart). Reached only through this interface
// so that SQLite (the embedded default) and PostgreSQL pass the same tests.
//
// Threading: one Store object is used by one thread at a time. The writer thread and the web
// thread each open their own Store on the same database (SQLite WAL lets them run concurrently).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/health_state.h"
#include "core/status.h"
#include "core/time.h"
#include "fleet/model.h"

namespace csoc::store {

// One probe result as kept in history. (check_id, at) identifies it: writing the same result again
// (a retried batch) stores it once.
struct ResultRecord {
  std::string check_id;
  TimePoint at;
  Health verdict = Health::kUnknown;  // up, degraded or down
  int64_t latency_us = 0;
  int status_code = 0;
  std::string reason;  // first reason when not up, else empty
};

struct EventRecord {
  int64_t id = 0;  // assigned by the store, increasing
  TimePoint at;
  std::string check_id;
  Health from = Health::kUnknown;
  Health to = Health::kUnknown;
  std::string reason;  // reasons joined with "; "
};

struct CheckStateRecord {
  std::string check_id;
  std::string fingerprint;
  Health state = Health::kUnknown;
  TimePoint since;
  // The last result's evidence, as JSON text written by the monitor (status, latency, error,
  // reasons, body excerpt). The store keeps it opaque.
  std::string last_evidence_json;
};

struct WriteBatch {
  std::vector<ResultRecord> results;
  std::vector<EventRecord> events;       // ids ignored; assigned on write
  std::vector<CheckStateRecord> states;  // upserted by check_id
};

enum class Resolution { kRaw, kMinute, kHour, kDay };
std::string_view ResolutionName(Resolution r);  // raw, minute, hour, day
std::optional<Resolution> ParseResolution(std::string_view name);

struct SeriesPoint {
  TimePoint start;  // bucket start (for raw: the result time)
  int64_t count = 0;
  int64_t down = 0;
  int64_t degraded = 0;
  double uptime = 0;  // (count - down) / count, in 0..1; degraded counts as up
  double p50_ms = 0, p95_ms = 0, p99_ms = 0;
};

struct EventQuery {
  std::string check_id_prefix;  // "" for all, "env/" for one environment, "env/svc/" ...
  std::optional<TimePoint> from, to;
  int limit = 100;
  std::optional<int64_t> before_id;  // paging: only events with id < before_id
};

class Store {
 public:
  virtual ~Store() = default;

  // Atomically appends results and events and upserts states. Either all of it is durable or none.
  virtual Status Write(const WriteBatch& batch) = 0;

  virtual Status LoadStates(std::vector<CheckStateRecord>* out) = 0;

  // Series for one or more checks merged bucket by bucket (counts add up, latency percentiles are
  // computed over the merged latency histograms), over [from, to), oldest first. Buckets with no
  // data are absent.
  // For minute/hour/day every bucket that overlaps [from, to) is returned whole, including the
  // results that Compact() has not folded yet. Results with verdict unknown are not counted, and
  // percentiles are over up and degraded results only (a down result's latency says how fast it
  // failed, not how fast the service answers).
  virtual Status QuerySeries(const std::vector<std::string>& check_ids, TimePoint from, TimePoint to,
                             Resolution resolution, std::vector<SeriesPoint>* out) = 0;
  // Raw results of one check, newest first. `limit` must be positive.
  virtual Status QueryResults(const std::string& check_id, TimePoint from, TimePoint to, int limit,
                              std::vector<ResultRecord>* out) = 0;
  // Newest first. The prefix is a plain string prefix of the check id (no wildcards).
  virtual Status QueryEvents(const EventQuery& query, std::vector<EventRecord>* out) = 0;

  // Folds raw results of whole minutes before `now` into the minute/hour/day rollups (idempotent:
  // a watermark records what was folded, in the same transaction) and deletes what is older than
  // the retention of each level.
  virtual Status Compact(TimePoint now, const fleet::Retention& retention) = 0;

  // Bytes used by the database files (the database and its write-ahead log).
  virtual uint64_t SizeBytes() = 0;
};

// Opens (creating if needed) the SQLite database at `path`, in WAL mode, applying any pending
// schema migrations.
Status OpenSqliteStore(const std::filesystem::path& path, std::unique_ptr<Store>* out);

}  // namespace csoc::store

// Where access-log analytics are kept: aggregates per environment at three resolutions (minute,
// hour, day), the position reached in each source, and each source's rejected lines.
//
// Ingestion writes deltas: what arrived since the last commit. Commit merges each delta into its
// minute, its hour and its day, and records the positions and the rejected lines, all in one
// transaction: after a crash either all of it is stored or none of it is, and a source resumes
// from the position that matches the aggregates, so no line is lost or counted twice.
//
// Threading: a LogStore is used by one thread at a time; open one per thread.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "logs/aggregate.h"
#include "logs/analyzer.h"

namespace csoc::logs {

enum class Resolution : int64_t { kMinute = 60'000, kHour = 3'600'000, kDay = 86'400'000 };

struct MinuteDelta {
  std::string environment;
  int64_t minute_ms = 0;  // start of the minute
  Aggregate delta;
};

// How far a source has been read. For a file, `file_id` names the file (device and inode) and
// `offset` is the byte after the last line counted; other sources leave them empty and 0.
struct SourcePosition {
  std::string source;
  std::string file_id;
  uint64_t offset = 0;
  uint64_t line = 0;  // lines read so far in that file (for the line numbers of samples)
};

// A source's rejected lines since the last commit (counts) and its latest samples.
struct SourceErrorsDelta {
  std::string source;
  ErrorLog errors;
};

struct SourceErrors {
  std::string source;
  std::array<uint64_t, kParseErrorKinds> counts{};
  uint64_t lines = 0;  // lines read in all, parsed or not
  std::vector<ErrorSample> samples;  // the most recent few, newest last
};

struct CommitBatch {
  std::vector<MinuteDelta> deltas;
  std::vector<SourcePosition> positions;
  std::vector<SourceErrorsDelta> errors;
  std::vector<std::pair<std::string, uint64_t>> lines;  // lines read per source in this batch
};

struct StoredAggregate {
  std::string environment;
  int64_t bucket_ms = 0;
  Aggregate aggregate;
};

class LogStore {
 public:
  virtual ~LogStore() = default;
  virtual Status Commit(const CommitBatch& batch) = 0;
  virtual Status LoadPositions(std::vector<SourcePosition>* out) = 0;
  // Aggregates at `resolution` with from_ms <= bucket < to_ms, for the environments named (all
  // when empty), ordered by bucket then environment.
  virtual Status LoadAggregates(const std::vector<std::string>& environments, Resolution resolution,
                                int64_t from_ms, int64_t to_ms, std::vector<StoredAggregate>* out) = 0;
  virtual Status LoadSourceErrors(std::vector<SourceErrors>* out) = 0;
  // Deletes minutes older than minutes_before_ms and hours older than hours_before_ms (days stay).
  virtual Status Prune(int64_t minutes_before_ms, int64_t hours_before_ms) = 0;
};

// The logs tables in csoc's SQLite database at `path` (created and migrated as needed).
Status OpenSqliteLogStore(const std::filesystem::path& path, std::unique_ptr<LogStore>* out);

}  // namespace csoc::logs

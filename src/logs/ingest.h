// Live ingestion of access logs: sources declared in the fleet config are followed, each line is
// parsed and counted into per-environment, per-minute deltas, and every commit interval the deltas
// and the sources' positions are committed together (logs/store.h), so a restart or a crash
// neither loses nor double-counts a line.
//
// Back-pressure: a source is read at most max_bytes_per_poll per poll, and while the store refuses
// commits no source is read further (the deltas wait in memory, bounded by the minutes they
// cover, and the files wait on disk).
//
// Threading: the Ingester runs its own thread (an Asio event loop, which the syslog and push
// inputs will share). Statuses() may be called from any thread.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/metrics.h"
#include "core/status.h"
#include "logs/format.h"
#include "logs/store.h"

namespace csoc::logs {

struct SourceConfig {
  std::string name;         // unique; how positions, errors and metrics name the source
  std::string environment;  // the fleet environment its requests belong to
  LogFormat format;
  std::string file;  // the file to follow
};

struct IngestOptions {
  std::vector<SourceConfig> sources;
  // Non-empty: user names and client addresses are replaced by a keyed hash (HMAC-SHA256 under
  // this key) before anything is counted or stored.
  std::string pseudonymise_key;
  std::chrono::milliseconds poll_interval{250};
  std::chrono::milliseconds commit_interval{2000};
  size_t max_bytes_per_poll = 8 << 20;
  size_t max_line_bytes = kDefaultMaxLineBytes;
  std::chrono::hours minute_retention{48};
  std::chrono::hours hour_retention{24 * 90};
};

struct SourceStatus {
  std::string name, environment, format, file;
  uint64_t lines = 0;     // read since csoc started, parsed or not
  uint64_t rejected = 0;  // of those, not parsed
  uint64_t unread_bytes = 0;
  int64_t last_record_ms = 0;  // time of the newest request seen (0: none yet)
  std::string error;           // the last I/O error, empty when fine
};

class Ingester {
 public:
  Ingester(IngestOptions options, std::unique_ptr<LogStore> store, MetricsRegistry* metrics);
  ~Ingester();
  Ingester(const Ingester&) = delete;
  Ingester& operator=(const Ingester&) = delete;

  // Loads the stored positions and starts following the sources.
  Status Start();
  // Commits what has been counted and stops.
  void Stop();
  // New sources after a config reload: sources that keep their name keep their position.
  void Reconfigure(IngestOptions options);
  std::vector<SourceStatus> Statuses() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

// The pseudonym of a user name or address under `key`: "~" and 16 hex digits of HMAC-SHA256.
std::string Pseudonym(std::string_view key, std::string_view value);

}  // namespace csoc::logs

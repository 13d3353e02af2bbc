// Live ingestion of access logs. Sources declared in the fleet config are followed (files), listened
// to (syslog over UDP or TCP) or pushed to (HTTP push, the Loki push API, the Faro collector); each
// line is parsed and counted into per-environment, per-minute deltas, and every commit interval the
// deltas and the files' positions are committed together (logs/store.h), so a restart or a crash
// neither loses nor double-counts a line of a file.
//
// Pushed batches (Push, CountSearchTerms) are acknowledged only after the commit that stores them:
// `done` reports either that they are stored or that nothing of them was counted (the store refused
// the commit, csoc is stopping), never something in between, so a client that retries until it is
// told "stored" neither loses nor doubles a batch. They are committed within push_commit_delay of
// their arrival (a group commit), not at the next commit interval. Syslog has no acknowledgement:
// what arrived since the last commit is lost by a crash (at most one commit interval).
//
// Back-pressure: a file is read at most max_bytes_per_poll per poll, and while the store refuses
// commits no file is read further (the deltas wait in memory, bounded by the minutes they cover, and
// the files wait on disk) and pushes are refused. Pushed batches wait in a queue bounded by
// max_queued_push_bytes; Push refuses a batch that does not fit, so the caller can answer "retry
// later" instead of buffering without bound.
//
// Threading: the Ingester runs its own thread, one Asio event loop that polls the files, receives
// syslog, takes pushed batches and commits. Push, CountSearchTerms, Options and Statuses may be
// called from any thread; `done` callbacks run on the ingester's thread and must not block.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/metrics.h"
#include "core/status.h"
#include "logs/format.h"
#include "logs/store.h"

namespace csoc::logs {

enum class SourceKind { kFile, kSyslog, kPush };
std::string_view SourceKindName(SourceKind kind);  // "file", "syslog", "push"

struct SourceConfig {
  std::string name;         // unique; how positions, errors and metrics name the source
  std::string environment;  // the fleet environment its requests belong to
  LogFormat format;
  SourceKind kind = SourceKind::kFile;
  std::string file;           // kFile: the file to follow
  std::string listen;         // kSyslog: host:port
  bool syslog_tcp = false;    // kSyslog: TCP (RFC 6587 framing) rather than UDP
};

// The Loki push API (POST /loki/api/v1/push): which stream label names the environment, and how its
// values map to the fleet's environments. Lines are parsed with `format`. Each environment that a
// value maps to gets an implicit source "loki:<environment>" (lines, rejections, metrics).
struct LokiOptions {
  bool enabled = false;
  std::string environment_label;
  std::map<std::string, std::string> environments;  // label value → environment
  LogFormat format;                                 // default gen3
};

// The Grafana Faro collector (POST /collect): where an app's search terms count, and how the
// browser-facing endpoint is guarded (the web area enforces these).
struct FaroOptions {
  bool enabled = false;
  std::string environment;                  // every app counts here, unless `apps` is set
  std::map<std::string, std::string> apps;  // meta.app.name → environment
  std::string api_key;                      // the SDK's apiKey, sent as x-api-key
  std::vector<std::string> origins = {"*"};  // CORS: pages that may post
  double rate_limit = 50;                   // requests per second, all clients together
  double burst = 100;
  // The environment of an app's payload; empty when the app is not mapped.
  std::string EnvironmentOf(const std::string& app) const;
};

inline constexpr std::string_view kLokiSourcePrefix = "loki:";

struct IngestOptions {
  std::vector<SourceConfig> sources;
  LokiOptions loki;
  FaroOptions faro;
  // Non-empty: user names and client addresses are replaced by a keyed hash (HMAC-SHA256 under
  // this key) before anything is counted or stored.
  std::string pseudonymise_key;
  std::chrono::milliseconds poll_interval{250};
  std::chrono::milliseconds commit_interval{2000};
  // A pushed batch is committed at most this long after it was counted (with whatever else came).
  // 0: as soon as the loop has handled what is already queued; batches that arrive while a commit
  // runs share the next one (a group commit), so the delay adapts to the load by itself.
  std::chrono::milliseconds push_commit_delay{0};
  size_t max_bytes_per_poll = 8 << 20;
  size_t max_line_bytes = kDefaultMaxLineBytes;
  // Pushed bytes (lines and search terms) queued and not yet counted; beyond, Push refuses.
  size_t max_queued_push_bytes = 64 << 20;
  size_t max_syslog_connections = 64;  // per TCP syslog source
  std::chrono::hours minute_retention{48};
  std::chrono::hours hour_retention{24 * 90};
};

struct SourceStatus {
  std::string name, environment, format, kind;
  std::string file;     // kFile
  std::string address;  // kSyslog: "udp 127.0.0.1:5514" (the bound port)
  uint64_t lines = 0;     // read since csoc started, parsed or not
  uint64_t rejected = 0;  // of those, not parsed
  uint64_t unread_bytes = 0;
  int64_t last_record_ms = 0;  // time of the newest request seen (0: none yet)
  std::string error;           // the last I/O error, empty when fine
};

// Lines pushed for one source: a source declared with `push: true`, or "loki:<environment>".
struct PushedLines {
  std::string source;
  std::string origin;               // names the batch in rejected-line samples ("push", "loki {app=\"x\"}")
  std::vector<std::string> lines;   // each one log line, without a line terminator
};

// Search terms (normalised already) for an environment, counted at `time_ms`.
struct PushedSearchTerms {
  std::string environment;
  int64_t time_ms = 0;
  std::vector<std::string> terms;
};

struct PushBatch {
  std::vector<PushedLines> lines;
  std::vector<PushedSearchTerms> search_terms;
  size_t Bytes() const;
};

struct PushResult {
  // Ok: stored. Unavailable: nothing of the batch was counted (the store refused the commit, or
  // csoc is stopping): send it again later. NotFound: a source is not (any more) a push source.
  Status status;
  uint64_t lines = 0;     // lines in the batch
  uint64_t rejected = 0;  // of those, not parsed (counted as rejected lines of their source)
};

class Ingester {
 public:
  using PushDone = std::function<void(const PushResult&)>;

  Ingester(IngestOptions options, std::unique_ptr<LogStore> store, MetricsRegistry* metrics);
  ~Ingester();
  Ingester(const Ingester&) = delete;
  Ingester& operator=(const Ingester&) = delete;

  // Loads the stored positions, binds the syslog listeners (an address that cannot be bound is an
  // error) and starts.
  Status Start();
  // Commits what has been counted, answers every pushed batch, and stops.
  void Stop();
  // New sources after a config reload: sources that keep their name keep their position. A syslog
  // address that cannot be bound is logged and shown as the source's error.
  void Reconfigure(IngestOptions options);
  std::vector<SourceStatus> Statuses() const;
  // The options in force (sources, Loki and Faro settings), as the last Reconfigure set them.
  std::shared_ptr<const IngestOptions> Options() const;

  // Queues a batch; `done` is called once, on the ingester's thread, after the commit that stores
  // it (or with why nothing of it was counted). Refused at once, without calling `done`:
  // Unavailable when the queue is full, the store refuses commits or the ingester is not running;
  // NotFound when a source is not a push source of the current options.
  Status Push(PushBatch batch, PushDone done);
  // Counts search terms (normalised: NormaliseSearchTerm) for `environment` at `time_ms`, as Push.
  Status CountSearchTerms(std::string environment, int64_t time_ms, std::vector<std::string> terms, PushDone done);

  // The port a syslog source listens on (useful with port 0); 0 when it does not listen.
  uint16_t SyslogPort(const std::string& source) const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

// The pseudonym of a user name or address under `key`: "~" and 16 hex digits of HMAC-SHA256.
std::string Pseudonym(std::string_view key, std::string_view value);

}  // namespace csoc::logs

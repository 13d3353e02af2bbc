#include "logs/ingest.h"

#include <fmt/format.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <unordered_map>

#include "logs/analyzer.h"
#include "logs/file_tail.h"
#include "logs/syslog.h"
#include "logs/syslog_listener.h"

namespace csoc::logs {

std::string Pseudonym(std::string_view key, std::string_view value) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(value.data()),
       value.size(), mac, &len);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "~";
  for (unsigned i = 0; i < 8; ++i) {
    out.push_back(kHex[mac[i] >> 4]);
    out.push_back(kHex[mac[i] & 15]);
  }
  return out;
}

std::string_view SourceKindName(SourceKind kind) {
  switch (kind) {
    case SourceKind::kFile: return "file";
    case SourceKind::kSyslog: return "syslog";
    case SourceKind::kPush: return "push";
  }
  return "file";
}

std::string FaroOptions::EnvironmentOf(const std::string& app) const {
  if (apps.empty()) return environment;
  auto it = apps.find(app);
  return it == apps.end() ? std::string() : it->second;
}

size_t PushBatch::Bytes() const {
  size_t n = 0;
  for (const PushedLines& p : lines) {
    n += p.source.size() + p.origin.size();
    for (const std::string& l : p.lines) n += l.size() + sizeof(std::string);
  }
  for (const PushedSearchTerms& t : search_terms) {
    n += t.environment.size();
    for (const std::string& term : t.terms) n += term.size() + sizeof(std::string);
  }
  return n;
}

namespace {

namespace asio = boost::asio;
using boost::system::error_code;

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// Pseudonyms are computed once per distinct value while it is in this bounded cache.
class PseudonymCache {
 public:
  std::string_view Get(const std::string& key, std::string_view value) {
    if (cache_.size() > 100'000) cache_.clear();
    auto it = cache_.find(std::string(value));
    if (it == cache_.end()) it = cache_.emplace(std::string(value), Pseudonym(key, value)).first;
    return it->second;
  }

 private:
  std::unordered_map<std::string, std::string> cache_;
};

// The sources' latest statuses, shared with the metrics gauges (which may outlive the Ingester).
struct StatusBoard {
  mutable std::mutex mu;
  std::vector<SourceStatus> statuses;
  std::vector<SourceStatus> Read() const {
    std::lock_guard lock(mu);
    return statuses;
  }
};

struct Source {
  SourceConfig config;
  std::unique_ptr<FileTail> tail;             // kFile
  std::shared_ptr<SyslogListener> listener;  // kSyslog
  std::unique_ptr<LineAnalyzer> analyzer;
  ErrorLog pending_errors;    // rejected lines not yet committed
  uint64_t pending_lines = 0;  // lines read, not yet committed
  bool moved = false;          // the position changed since the last commit
  Counter* lines_metric = nullptr;
  std::map<ParseError, Counter*> rejected_metric;
  SourceStatus status;
};

// Per-environment, per-minute deltas, with the last one looked up cached (lines come in runs of
// the same environment and minute).
class Deltas {
 public:
  Aggregate& At(const std::string& environment, int64_t minute) {
    if (cached_ == nullptr || minute != cached_minute_ || cached_env_ != environment) {
      cached_ = &map_[{environment, minute}];
      cached_minute_ = minute;
      cached_env_ = environment;
    }
    return *cached_;
  }
  std::map<std::pair<std::string, int64_t>, Aggregate> Take() {
    cached_ = nullptr;
    return std::exchange(map_, {});
  }
  void Forget() { cached_ = nullptr; }
  bool empty() const { return map_.empty(); }

 private:
  std::map<std::pair<std::string, int64_t>, Aggregate> map_;
  Aggregate* cached_ = nullptr;
  int64_t cached_minute_ = 0;
  std::string cached_env_;
};

struct PendingPush {
  Ingester::PushDone done;
  PushResult result;
};

}  // namespace

class Ingester::Impl {
 public:
  Impl(IngestOptions options, std::unique_ptr<LogStore> store, MetricsRegistry* metrics)
      : options_(std::move(options)),
        snapshot_(std::make_shared<const IngestOptions>(options_)),
        store_(std::move(store)),
        metrics_(metrics),
        work_(asio::make_work_guard(io_)),
        poll_timer_(io_),
        commit_timer_(io_),
        push_timer_(io_),
        prune_timer_(io_) {}

  Status Start() {
    CSOC_RETURN_IF_ERROR(store_->LoadPositions(&positions_));
    {
      std::lock_guard lock(mu_);
      options_ = *snapshot_;  // a Reconfigure before Start
    }
    BuildSources(options_);
    if (Status s = OpenListeners(); !s.ok()) {
      CloseListeners();
      return s;
    }
    PublishStatuses();
    if (metrics_ != nullptr) {
      metrics_->SetGaugeFunction("csoc_logs_unread_bytes", "Bytes of a followed log file not read yet", [board = board_] {
        std::vector<std::pair<Labels, double>> out;
        for (const SourceStatus& s : board->Read()) {
          if (s.kind == "file") out.push_back({{{"source", s.name}}, static_cast<double>(s.unread_bytes)});
        }
        return out;
      });
      metrics_->SetGaugeFunction("csoc_logs_ingest_lag_seconds", "Seconds since the newest request read from a log source", [board = board_] {
        std::vector<std::pair<Labels, double>> out;
        const int64_t now = NowMs();
        for (const SourceStatus& s : board->Read()) {
          if (s.last_record_ms > 0) out.push_back({{{"source", s.name}}, static_cast<double>(now - s.last_record_ms) / 1000.0});
        }
        return out;
      });
      metrics_->SetGaugeFunction("csoc_logs_push_queued_bytes", "Pushed log bytes queued for the ingester, not yet counted",
                                 [queued = queued_bytes_] {
                                   return std::vector<std::pair<Labels, double>>{{{}, static_cast<double>(queued->load())}};
                                 });
      commit_failures_ = metrics_->GetCounter("csoc_logs_commit_failures_total", "Log aggregate commits the store refused");
    }
    SchedulePoll(std::chrono::milliseconds(0));
    ScheduleCommit();
    SchedulePrune(std::chrono::milliseconds(0));
    {
      std::lock_guard lock(mu_);
      running_ = true;
    }
    thread_ = std::thread([this] { io_.run(); });
    return Status::Ok();
  }

  void Stop() {
    {
      std::lock_guard lock(mu_);
      if (stopping_) return;
      stopping_ = true;
      if (!running_) return;
      // Posted under the lock: every batch Push accepted is queued before this, so it is answered.
      asio::post(io_, [this] {
        stopped_ = true;
        poll_timer_.cancel();
        commit_timer_.cancel();
        push_timer_.cancel();
        prune_timer_.cancel();
        CloseListeners();
        Commit();
        PublishStatuses();
        work_.reset();
      });
    }
    if (thread_.joinable()) thread_.join();
  }

  void Reconfigure(IngestOptions options) {
    auto next = std::make_shared<const IngestOptions>(std::move(options));
    std::lock_guard lock(mu_);
    snapshot_ = next;
    if (!running_ || stopping_) return;
    asio::post(io_, [this, next] { Apply(*next); });
  }

  std::vector<SourceStatus> Statuses() const { return board_->Read(); }

  std::shared_ptr<const IngestOptions> Options() const {
    std::lock_guard lock(mu_);
    return snapshot_;
  }

  Status Push(PushBatch batch, PushDone done) {
    const size_t bytes = batch.Bytes();
    std::lock_guard lock(mu_);
    if (!running_ || stopping_) return Status::IOError("log ingestion is not running (csoc is starting or stopping)");
    for (const PushedLines& p : batch.lines) {
      if (!IsPushSource(*snapshot_, p.source)) {
        return Status::NotFound(fmt::format("'{}' is not a log source that accepts pushed lines", p.source));
      }
    }
    if (!store_ok_->load()) {
      return Status::IOError("the log store refuses commits at the moment (see csoc's log); nothing was counted");
    }
    const size_t queued = queued_bytes_->load();
    if (queued + bytes > options_limit_bytes()) {
      return Status::Unavailable(fmt::format("the ingestion queue is full ({} bytes waiting); send it again shortly", queued));
    }
    queued_bytes_->fetch_add(bytes);
    asio::post(io_, [this, batch = std::move(batch), done = std::move(done), bytes]() mutable {
      queued_bytes_->fetch_sub(bytes);
      HandlePush(std::move(batch), std::move(done));
    });
    return Status::Ok();
  }

  uint16_t SyslogPort(const std::string& name) const {
    std::lock_guard lock(ports_mu_);
    auto it = ports_.find(name);
    return it == ports_.end() ? 0 : it->second;
  }

 private:
  size_t options_limit_bytes() const { return snapshot_->max_queued_push_bytes; }

  static bool IsPushSource(const IngestOptions& o, const std::string& name) {
    if (name.rfind(kLokiSourcePrefix, 0) == 0) {
      if (!o.loki.enabled) return false;
      const std::string env = name.substr(kLokiSourcePrefix.size());
      for (const auto& [value, e] : o.loki.environments) {
        if (e == env) return true;
      }
      return false;
    }
    for (const SourceConfig& c : o.sources) {
      if (c.name == name) return c.kind == SourceKind::kPush;
    }
    return false;
  }

  // ---- the event loop's jobs ----

  void SchedulePoll(std::chrono::milliseconds delay) {
    poll_timer_.expires_after(delay);
    poll_timer_.async_wait([this](error_code ec) {
      if (ec || stopped_) return;
      bool busy = false;
      if (commit_ok_) {
        for (Source& s : sources_) {
          if (s.config.kind == SourceKind::kFile) busy |= PollFile(s);
        }
      }
      PublishStatuses();
      SchedulePoll(busy ? std::chrono::milliseconds(0) : options_.poll_interval);
    });
  }

  void ScheduleCommit() {
    commit_timer_.expires_after(options_.commit_interval);
    commit_timer_.async_wait([this](error_code ec) {
      if (ec || stopped_) return;
      Commit();
      ScheduleCommit();
    });
  }

  void SchedulePushCommit() {
    if (push_commit_scheduled_) return;
    push_commit_scheduled_ = true;
    push_timer_.expires_after(options_.push_commit_delay);
    push_timer_.async_wait([this](error_code ec) {
      push_commit_scheduled_ = false;
      if (ec || stopped_) return;
      Commit();
    });
  }

  void SchedulePrune(std::chrono::milliseconds delay) {
    prune_timer_.expires_after(delay);
    prune_timer_.async_wait([this](error_code ec) {
      if (ec || stopped_) return;
      Prune();
      SchedulePrune(std::chrono::minutes(10));
    });
  }

  void Apply(const IngestOptions& next) {
    if (stopped_) return;
    Commit();  // positions and pushes of the old sources first, then the new set
    // A syslog listener whose source keeps its name, address and protocol stays open (its TCP
    // senders stay connected); the others are closed.
    std::map<std::string, Source> old;
    for (Source& s : sources_) {
      if (s.listener) old.emplace(s.config.name, std::move(s));
    }
    positions_.clear();
    (void)store_->LoadPositions(&positions_);
    options_ = next;
    BuildSources(options_);
    for (Source& s : sources_) {
      auto it = old.find(s.config.name);
      if (it == old.end() || s.config.kind != SourceKind::kSyslog || it->second.config.listen != s.config.listen ||
          it->second.config.syslog_tcp != s.config.syslog_tcp) {
        continue;
      }
      s.listener = std::move(it->second.listener);
      s.status.address = it->second.status.address;
      old.erase(it);
    }
    for (auto& [name, s] : old) s.listener->Close();
    (void)OpenListeners();  // failures are logged and shown as the source's error
    PublishStatuses();
  }

  void BuildSources(const IngestOptions& options) {
    sources_.clear();
    std::vector<SourceConfig> configs = options.sources;
    if (options.loki.enabled) {
      std::set<std::string> envs;
      for (const auto& [value, env] : options.loki.environments) envs.insert(env);
      for (const std::string& env : envs) {
        SourceConfig c;
        c.name = std::string(kLokiSourcePrefix) + env;
        c.environment = env;
        c.format = options.loki.format;
        c.kind = SourceKind::kPush;
        configs.push_back(std::move(c));
      }
    }
    for (const SourceConfig& c : configs) {
      Source s;
      s.config = c;
      if (c.kind == SourceKind::kFile) {
        std::string file_id;
        uint64_t offset = 0, line = 0;
        for (const SourcePosition& p : positions_) {
          if (p.source == c.name) {
            file_id = p.file_id;
            offset = p.offset;
            line = p.line;
          }
        }
        s.tail = std::make_unique<FileTail>(c.file, file_id, offset, line);
        s.status.file = c.file;
      }
      s.analyzer = std::make_unique<LineAnalyzer>(c.format, options.max_line_bytes);
      s.status.name = c.name;
      s.status.environment = c.environment;
      s.status.format = std::string(c.format.Name());
      s.status.kind = std::string(SourceKindName(c.kind));
      if (c.kind == SourceKind::kSyslog) s.status.address = fmt::format("{} {}", c.syslog_tcp ? "tcp" : "udp", c.listen);
      if (metrics_ != nullptr) {
        s.lines_metric = metrics_->GetCounter("csoc_logs_lines_total", "Log lines read per source, parsed or not", {{"source", c.name}});
      }
      sources_.push_back(std::move(s));
    }
    deltas_.Forget();
    push_deltas_.Forget();
  }

  // Binds every syslog source; the first failure is returned (the others are still tried).
  Status OpenListeners() {
    Status first;
    std::map<std::string, uint16_t> ports;
    for (Source& s : sources_) {
      if (s.config.kind != SourceKind::kSyslog) continue;
      if (s.listener) {
        ports[s.config.name] = s.listener->port();
        continue;
      }
      SyslogListenOptions lo;
      lo.listen = s.config.listen;
      lo.tcp = s.config.syslog_tcp;
      lo.max_message_bytes = options_.max_line_bytes + 1024;
      lo.max_connections = options_.max_syslog_connections;
      std::shared_ptr<SyslogListener> listener;
      const std::string& name = s.config.name;
      const Status st = SyslogListener::Open(
          io_, lo, [this, name](std::string_view message, const std::string& peer) { OnSyslog(name, message, peer); },
          [this, name](const std::string& peer) { OnSyslogOversize(name, peer); }, &listener);
      if (!st.ok()) {
        spdlog::error("log source {}: {}", s.config.name, st.message());
        s.status.error = st.message();
        if (first.ok()) first = Status::IOError(fmt::format("log source {}: {}", s.config.name, st.message()));
        continue;
      }
      s.listener = listener;
      ports[s.config.name] = listener->port();
      const size_t colon = s.config.listen.rfind(':');
      s.status.address = fmt::format("{} {}:{}", s.config.syslog_tcp ? "tcp" : "udp", s.config.listen.substr(0, colon), listener->port());
      spdlog::info("log source {}: listening for syslog on {}", s.config.name, s.status.address);
    }
    std::lock_guard lock(ports_mu_);
    ports_ = std::move(ports);
    return first;
  }

  void CloseListeners() {
    for (Source& s : sources_) {
      if (s.listener) s.listener->Close();
      s.listener.reset();
    }
  }

  // Reads what is new in one file; true when it had more than one poll's worth.
  bool PollFile(Source& s) {
    size_t consumed = 0;
    const uint64_t errors_before = s.analyzer->errors().total();
    const uint64_t lines_before = s.analyzer->lines();
    const Status st = s.tail->Poll(
        options_.max_bytes_per_poll,
        [&](std::string_view text, uint64_t first_line) {
          s.analyzer->Feed(text, s.config.file, first_line, [&](const LogRecord& r) { Count(s, r); });
        },
        &consumed);
    if (!st.ok() && st.message() != s.status.error) spdlog::warn("log source {}: {}", s.config.name, st.message());
    s.status.error = st.ok() ? "" : st.message();
    if (consumed > 0) s.moved = true;
    Account(s, lines_before, errors_before);
    s.status.unread_bytes = s.tail->unread_bytes();
    return consumed >= options_.max_bytes_per_poll;
  }

  // Moves what the analyzer counted since (lines_before, errors_before) to the source's pending
  // counts, status and metrics.
  void Account(Source& s, uint64_t lines_before, uint64_t errors_before) {
    const uint64_t new_lines = s.analyzer->lines() - lines_before;
    s.pending_lines += new_lines;
    s.status.lines += new_lines;
    s.status.rejected += s.analyzer->errors().total() - errors_before;
    if (s.lines_metric && new_lines > 0) s.lines_metric->Add(new_lines);
    if (s.analyzer->errors().total() != errors_before) {
      // Move the new rejections to the pending log (the analyzer's log keeps growing otherwise).
      s.pending_errors.Merge(s.analyzer->errors());
      if (metrics_ != nullptr) {
        for (const ParseError k : kAllParseErrors) {
          const uint64_t n = s.analyzer->errors().count(k);
          if (n == 0) continue;
          Counter*& c = s.rejected_metric[k];
          if (c == nullptr) {
            c = metrics_->GetCounter("csoc_logs_rejected_lines_total", "Log lines that could not be parsed, by source and kind",
                                     {{"source", s.config.name}, {"kind", std::string(ParseErrorName(k))}});
          }
          c->Add(n);
        }
      }
      s.analyzer->errors() = ErrorLog();
    }
  }

  // The syslog source called `name` (listeners outlive a reconfiguration that keeps them).
  Source* SyslogSource(const std::string& name) {
    for (Source& s : sources_) {
      if (s.config.name == name && s.config.kind == SourceKind::kSyslog) return &s;
    }
    return nullptr;
  }

  void OnSyslog(const std::string& name, std::string_view message, const std::string& peer) {
    Source* found = stopped_ ? nullptr : SyslogSource(name);
    if (found == nullptr) return;
    Source& s = *found;
    const uint64_t errors_before = s.analyzer->errors().total();
    const uint64_t lines_before = s.analyzer->lines();
    const std::string origin = "syslog from " + peer;
    SyslogMessage m;
    if (const Status st = ParseSyslog(message, &m); !st.ok()) {
      // Not a syslog message: the line is rejected like one that does not follow its format.
      if (!message.empty() && message.back() == '\n') message.remove_suffix(1);
      if (!message.empty()) s.analyzer->AddRejected(ParseError::kFormatMismatch, origin, 0, message);
    } else {
      s.analyzer->FeedLine(m.msg, origin, 0, [&](const LogRecord& r) { Count(s, r); });
    }
    Account(s, lines_before, errors_before);
  }

  void OnSyslogOversize(const std::string& name, const std::string& peer) {
    Source* found = stopped_ ? nullptr : SyslogSource(name);
    if (found == nullptr) return;
    Source& s = *found;
    const uint64_t errors_before = s.analyzer->errors().total();
    const uint64_t lines_before = s.analyzer->lines();
    s.analyzer->AddTooLong("syslog from " + peer, 0, "");
    Account(s, lines_before, errors_before);
  }

  void HandlePush(PushBatch batch, PushDone done) {
    PushResult result;
    if (stopped_) {
      result.status = Status::IOError("log ingestion stopped before the batch was counted");
      done(result);
      return;
    }
    // Every source first: a batch is counted whole or not at all.
    std::vector<Source*> targets;
    for (const PushedLines& p : batch.lines) {
      Source* found = nullptr;
      for (Source& s : sources_) {
        if (s.config.name == p.source && s.config.kind == SourceKind::kPush) found = &s;
      }
      if (found == nullptr) {
        result.status = Status::NotFound(fmt::format("'{}' is not a log source that accepts pushed lines", p.source));
        done(result);
        return;
      }
      targets.push_back(found);
    }
    for (size_t i = 0; i < batch.lines.size(); ++i) {
      Source& s = *targets[i];
      const PushedLines& p = batch.lines[i];
      const uint64_t errors_before = s.analyzer->errors().total();
      const uint64_t lines_before = s.analyzer->lines();
      uint64_t number = 0;
      for (const std::string& line : p.lines) {
        s.analyzer->FeedLine(line, p.origin, ++number, [&](const LogRecord& r) { Count(s, r); });
      }
      result.lines += s.analyzer->lines() - lines_before;
      result.rejected += s.analyzer->errors().total() - errors_before;
      Account(s, lines_before, errors_before);
    }
    for (const PushedSearchTerms& t : batch.search_terms) {
      Aggregate& a = push_deltas_.At(t.environment, t.time_ms - t.time_ms % 60'000);
      for (const std::string& term : t.terms) {
        if (!term.empty()) a.search_terms.Add(term);
      }
    }
    pending_pushes_.push_back({std::move(done), result});
    SchedulePushCommit();
  }

  void Count(Source& s, const LogRecord& record) {
    const LogRecord* r = &record;
    LogRecord hidden;
    if (!options_.pseudonymise_key.empty()) {
      hidden = record;
      if (!record.user.empty()) hidden.user = users_.Get(options_.pseudonymise_key, record.user);
      if (!record.client_ip.empty()) hidden.client_ip = ips_.Get(options_.pseudonymise_key, record.client_ip);
      r = &hidden;
    }
    const int64_t minute = r->time_ms - r->time_ms % 60'000;
    Deltas& deltas = s.config.kind == SourceKind::kPush ? push_deltas_ : deltas_;
    deltas.At(s.config.environment, minute).Add(*r);
    s.status.last_record_ms = std::max(s.status.last_record_ms, r->time_ms);
  }

  void Commit() {
    CommitBatch batch;
    auto stream = deltas_.Take();
    const size_t stream_count = stream.size();
    for (auto& [key, delta] : stream) batch.deltas.push_back({key.first, key.second, std::move(delta)});
    for (auto& [key, delta] : push_deltas_.Take()) batch.deltas.push_back({key.first, key.second, std::move(delta)});
    for (Source& s : sources_) {
      if (s.moved) batch.positions.push_back({s.config.name, s.tail->file_id(), s.tail->offset(), s.tail->line()});
      if (s.pending_errors.total() > 0) batch.errors.push_back({s.config.name, s.pending_errors});
      if (s.pending_lines > 0) batch.lines.emplace_back(s.config.name, s.pending_lines);
    }
    std::vector<PendingPush> pushes = std::move(pending_pushes_);
    pending_pushes_.clear();
    const bool empty = batch.deltas.empty() && batch.positions.empty() && batch.errors.empty() && batch.lines.empty();
    // With nothing to write, an empty transaction still tells whether the store takes commits
    // again after it refused one (pushes are refused meanwhile).
    if (empty && commit_ok_) {
      for (PendingPush& p : pushes) p.done(p.result);
      return;
    }
    const Status st = store_->Commit(batch);
    if (st.ok()) {
      for (Source& s : sources_) {
        s.moved = false;
        s.pending_errors = ErrorLog();
        s.pending_lines = 0;
      }
      if (!commit_ok_) spdlog::info("log aggregates: the store accepts commits again");
      commit_ok_ = true;
      store_ok_->store(true);
      for (PendingPush& p : pushes) p.done(p.result);
      return;
    }
    // Keep what was read from files and syslog for the next try, and read no further files until
    // the store takes it. Pushed batches are dropped and answered so: their senders send them again.
    if (commit_ok_) spdlog::error("log aggregates: commit failed, holding {} minute(s) and pausing reading: {}", stream_count, st.message());
    if (commit_failures_) commit_failures_->Add();
    commit_ok_ = false;
    store_ok_->store(false);
    for (size_t i = 0; i < stream_count; ++i) {
      const MinuteDelta& d = batch.deltas[i];
      deltas_.At(d.environment, d.minute_ms).Merge(d.delta);
    }
    deltas_.Forget();
    for (Source& s : sources_) {
      if (s.config.kind != SourceKind::kPush) continue;
      s.pending_errors = ErrorLog();
      s.pending_lines = 0;
    }
    for (PendingPush& p : pushes) {
      PushResult r = p.result;
      r.status = Status::IOError("the log store refused the commit (" + st.message() + "); nothing of this batch was counted");
      p.done(r);
    }
  }

  void Prune() {
    const int64_t now = NowMs();
    const Status st = store_->Prune(now - std::chrono::duration_cast<std::chrono::milliseconds>(options_.minute_retention).count(),
                                    now - std::chrono::duration_cast<std::chrono::milliseconds>(options_.hour_retention).count());
    if (!st.ok()) spdlog::warn("log aggregates: pruning failed: {}", st.message());
  }

  void PublishStatuses() {
    std::vector<SourceStatus> out;
    out.reserve(sources_.size());
    for (const Source& s : sources_) out.push_back(s.status);
    std::lock_guard lock(board_->mu);
    board_->statuses = std::move(out);
  }

  // Owned by the event loop's thread (before Start: by the caller).
  IngestOptions options_;
  std::shared_ptr<const IngestOptions> snapshot_;  // guarded by mu_
  std::unique_ptr<LogStore> store_;
  MetricsRegistry* metrics_;
  Counter* commit_failures_ = nullptr;
  std::vector<SourcePosition> positions_;
  std::vector<Source> sources_;
  Deltas deltas_;       // from files and syslog: kept when a commit fails
  Deltas push_deltas_;  // from pushed batches: dropped when a commit fails (their senders retry)
  std::vector<PendingPush> pending_pushes_;
  bool commit_ok_ = true;
  bool stopped_ = false;
  bool push_commit_scheduled_ = false;
  PseudonymCache users_, ips_;

  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  asio::steady_timer poll_timer_, commit_timer_, push_timer_, prune_timer_;
  std::thread thread_;

  // Shared with other threads.
  mutable std::mutex mu_;
  bool running_ = false;
  bool stopping_ = false;
  std::shared_ptr<std::atomic<size_t>> queued_bytes_ = std::make_shared<std::atomic<size_t>>(0);
  std::shared_ptr<std::atomic<bool>> store_ok_ = std::make_shared<std::atomic<bool>>(true);
  mutable std::mutex ports_mu_;
  std::map<std::string, uint16_t> ports_;
  std::shared_ptr<StatusBoard> board_ = std::make_shared<StatusBoard>();
};

Ingester::Ingester(IngestOptions options, std::unique_ptr<LogStore> store, MetricsRegistry* metrics)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(store), metrics)) {}
Ingester::~Ingester() { impl_->Stop(); }
Status Ingester::Start() { return impl_->Start(); }
void Ingester::Stop() { impl_->Stop(); }
void Ingester::Reconfigure(IngestOptions options) { impl_->Reconfigure(std::move(options)); }
std::vector<SourceStatus> Ingester::Statuses() const { return impl_->Statuses(); }
std::shared_ptr<const IngestOptions> Ingester::Options() const { return impl_->Options(); }
Status Ingester::Push(PushBatch batch, PushDone done) { return impl_->Push(std::move(batch), std::move(done)); }
Status Ingester::CountSearchTerms(std::string environment, int64_t time_ms, std::vector<std::string> terms, PushDone done) {
  PushBatch batch;
  batch.search_terms.push_back({std::move(environment), time_ms, std::move(terms)});
  return impl_->Push(std::move(batch), std::move(done));
}
uint16_t Ingester::SyslogPort(const std::string& source) const { return impl_->SyslogPort(source); }

}  // namespace csoc::logs

#include "logs/ingest.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <spdlog/spdlog.h>

#include <condition_variable>
#include <map>
#include <unordered_map>

#include "logs/analyzer.h"
#include "logs/file_tail.h"

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

namespace {

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
  std::unique_ptr<FileTail> tail;
  std::unique_ptr<LineAnalyzer> analyzer;
  ErrorLog pending_errors;    // rejected lines not yet committed
  uint64_t pending_lines = 0;  // lines read, not yet committed
  bool moved = false;          // the position changed since the last commit
  Counter* lines_metric = nullptr;
  std::map<ParseError, Counter*> rejected_metric;
  SourceStatus status;
};

}  // namespace

class Ingester::Impl {
 public:
  Impl(IngestOptions options, std::unique_ptr<LogStore> store, MetricsRegistry* metrics)
      : options_(std::move(options)), store_(std::move(store)), metrics_(metrics) {}

  Status Start() {
    CSOC_RETURN_IF_ERROR(store_->LoadPositions(&positions_));
    BuildSources(options_);
    if (metrics_ != nullptr) {
      metrics_->SetGaugeFunction("csoc_logs_unread_bytes", "Bytes of a followed log file not read yet", [board = board_] {
        std::vector<std::pair<Labels, double>> out;
        for (const SourceStatus& s : board->Read()) out.push_back({{{"source", s.name}}, static_cast<double>(s.unread_bytes)});
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
      commit_failures_ = metrics_->GetCounter("csoc_logs_commit_failures_total", "Log aggregate commits the store refused");
    }
    thread_ = std::thread([this] { Run(); });
    return Status::Ok();
  }

  void Stop() {
    {
      std::lock_guard lock(mu_);
      if (stopping_) return;
      stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

  void Reconfigure(IngestOptions options) {
    std::lock_guard lock(mu_);
    next_options_ = std::make_unique<IngestOptions>(std::move(options));
  }

  std::vector<SourceStatus> Statuses() const { return board_->Read(); }

 private:
  void Run() {
    auto next_commit = std::chrono::steady_clock::now() + options_.commit_interval;
    auto next_prune = std::chrono::steady_clock::now();
    while (true) {
      std::unique_ptr<IngestOptions> reconfigure;
      {
        std::lock_guard lock(mu_);
        if (stopping_) break;
        reconfigure = std::move(next_options_);
      }
      if (reconfigure) {
        Commit();  // positions of the old sources first, then the new set
        positions_.clear();
        (void)store_->LoadPositions(&positions_);
        options_ = std::move(*reconfigure);
        BuildSources(options_);
      }
      bool busy = false;
      if (commit_ok_) {
        for (Source& s : sources_) busy |= PollSource(s);
      }
      PublishStatuses();
      const auto now = std::chrono::steady_clock::now();
      if (now >= next_commit) {
        Commit();
        next_commit = now + options_.commit_interval;
      }
      if (now >= next_prune) {
        Prune();
        next_prune = now + std::chrono::minutes(10);
      }
      if (!busy) {
        std::unique_lock lock(mu_);
        wake_.wait_for(lock, options_.poll_interval, [&] { return stopping_ || next_options_ != nullptr; });
      }
    }
    Commit();
    PublishStatuses();
  }

  void BuildSources(const IngestOptions& options) {
    sources_.clear();
    for (const SourceConfig& c : options.sources) {
      Source s;
      s.config = c;
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
      s.analyzer = std::make_unique<LineAnalyzer>(c.format, options.max_line_bytes);
      s.status.name = c.name;
      s.status.environment = c.environment;
      s.status.format = std::string(c.format.Name());
      s.status.file = c.file;
      if (metrics_ != nullptr) {
        s.lines_metric = metrics_->GetCounter("csoc_logs_lines_total", "Log lines read per source, parsed or not", {{"source", c.name}});
      }
      sources_.push_back(std::move(s));
    }
    cached_delta_ = nullptr;
  }

  // Reads what is new in one source; true when it had more than one poll's worth.
  bool PollSource(Source& s) {
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
    const uint64_t new_lines = s.analyzer->lines() - lines_before;
    if (consumed > 0) s.moved = true;
    s.pending_lines += new_lines;
    s.status.lines += new_lines;
    s.status.rejected += s.analyzer->errors().total() - errors_before;
    s.status.unread_bytes = s.tail->unread_bytes();
    if (s.lines_metric) s.lines_metric->Add(new_lines);
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
    return consumed >= options_.max_bytes_per_poll;
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
    if (cached_delta_ == nullptr || minute != cached_minute_ || cached_env_ != &s.config.environment) {
      cached_delta_ = &deltas_[{s.config.environment, minute}];
      cached_minute_ = minute;
      cached_env_ = &s.config.environment;
    }
    cached_delta_->Add(*r);
    s.status.last_record_ms = std::max(s.status.last_record_ms, r->time_ms);
  }

  void Commit() {
    CommitBatch batch;
    for (auto& [key, delta] : deltas_) batch.deltas.push_back({key.first, key.second, std::move(delta)});
    for (Source& s : sources_) {
      if (s.moved) batch.positions.push_back({s.config.name, s.tail->file_id(), s.tail->offset(), s.tail->line()});
      if (s.pending_errors.total() > 0) batch.errors.push_back({s.config.name, s.pending_errors});
      if (s.pending_lines > 0) batch.lines.emplace_back(s.config.name, s.pending_lines);
    }
    deltas_.clear();
    cached_delta_ = nullptr;
    if (batch.deltas.empty() && batch.positions.empty() && batch.errors.empty() && batch.lines.empty()) return;
    const Status st = store_->Commit(batch);
    if (st.ok()) {
      for (Source& s : sources_) {
        s.moved = false;
        s.pending_errors = ErrorLog();
        s.pending_lines = 0;
      }
      if (!commit_ok_) spdlog::info("log aggregates: the store accepts commits again");
      commit_ok_ = true;
      return;
    }
    // Keep everything for the next try, and read no further until the store takes it.
    if (commit_ok_) spdlog::error("log aggregates: commit failed, holding {} minute(s) and pausing reading: {}", batch.deltas.size(), st.message());
    if (commit_failures_) commit_failures_->Add();
    commit_ok_ = false;
    for (MinuteDelta& d : batch.deltas) deltas_[{d.environment, d.minute_ms}].Merge(d.delta);
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

  IngestOptions options_;
  std::unique_ptr<LogStore> store_;
  MetricsRegistry* metrics_;
  Counter* commit_failures_ = nullptr;
  std::vector<SourcePosition> positions_;
  std::vector<Source> sources_;
  std::map<std::pair<std::string, int64_t>, Aggregate> deltas_;
  Aggregate* cached_delta_ = nullptr;
  int64_t cached_minute_ = 0;
  const std::string* cached_env_ = nullptr;
  bool commit_ok_ = true;
  PseudonymCache users_, ips_;

  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::unique_ptr<IngestOptions> next_options_;
  std::thread thread_;

  std::shared_ptr<StatusBoard> board_ = std::make_shared<StatusBoard>();
};

Ingester::Ingester(IngestOptions options, std::unique_ptr<LogStore> store, MetricsRegistry* metrics)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(store), metrics)) {}
Ingester::~Ingester() { impl_->Stop(); }
Status Ingester::Start() { return impl_->Start(); }
void Ingester::Stop() { impl_->Stop(); }
void Ingester::Reconfigure(IngestOptions options) { impl_->Reconfigure(std::move(options)); }
std::vector<SourceStatus> Ingester::Statuses() const { return impl_->Statuses(); }

}  // namespace csoc::logs

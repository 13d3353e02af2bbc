#include "store/writer.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <type_traits>
#include <unordered_map>

namespace csoc::store {

namespace {

using SteadyClock = std::chrono::steady_clock;

size_t RecordCount(const WriteBatch& b) { return b.results.size() + b.events.size() + b.states.size(); }

// A batch whose states are kept unique by check id (the latest wins), in first-seen order.
struct PendingBatch {
  WriteBatch batch;
  std::unordered_map<std::string, size_t> state_index;

  void AddState(CheckStateRecord record) {
    auto [it, inserted] = state_index.try_emplace(record.check_id, batch.states.size());
    if (inserted) {
      batch.states.push_back(std::move(record));
    } else {
      batch.states[it->second] = std::move(record);
    }
  }
  // Moves everything from `newer` after what is already here, keeping the order of results and
  // events.
  void Append(PendingBatch* newer) {
    for (auto& r : newer->batch.results) batch.results.push_back(std::move(r));
    for (auto& e : newer->batch.events) batch.events.push_back(std::move(e));
    for (auto& s : newer->batch.states) AddState(std::move(s));
    newer->Clear();
  }
  void Clear() {
    batch.results.clear();
    batch.events.clear();
    batch.states.clear();
    state_index.clear();
  }
  size_t size() const { return RecordCount(batch); }
};

// After the first failure of a streak, repeat the warning only every this many attempts: a full
// disk should not also fill the log.
constexpr int kLogEveryFailures = 60;

}  // namespace

class StoreWriter::Impl {
 public:
  Impl(std::unique_ptr<Store> store, fleet::Retention retention, MetricsRegistry* metrics, StoreWriterOptions options)
      : store_(std::move(store)), options_(options), retention_(retention) {
    if (metrics != nullptr) {
      write_seconds_ = metrics->GetHistogram("csoc_store_write_seconds", "Time to write one batch to the store.",
                                             {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10});
      write_errors_ = metrics->GetCounter("csoc_store_write_errors_total", "Failed store writes and compactions.",
                                          {{"op", "write"}});
      compact_errors_ = metrics->GetCounter("csoc_store_write_errors_total", "Failed store writes and compactions.",
                                            {{"op", "compact"}});
      // The gauge outlives the writer in the registry, so it reads a shared counter, not *this.
      metrics->SetGaugeFunction("csoc_store_queue_length", "Records handed to the store writer and not yet durable.",
                                [length = queue_length_] {
                                  return std::vector<std::pair<Labels, double>>{
                                      {{}, static_cast<double>(length->load(std::memory_order_relaxed))}};
                                });
    }
    thread_ = std::thread([this] { Run(); });
  }

  ~Impl() { Stop(); }

  template <typename Record>
  void Add(Record record) {
    std::lock_guard lock(mu_);
    if constexpr (std::is_same_v<Record, ResultRecord>) {
      pending_.batch.results.push_back(std::move(record));
    } else if constexpr (std::is_same_v<Record, EventRecord>) {
      pending_.batch.events.push_back(std::move(record));
    } else {
      pending_.AddState(std::move(record));
    }
    ++added_;
    UpdateQueueLengthLocked();
    if (pending_.size() >= options_.batch_records) wake_.notify_one();
  }

  void SetRetention(const fleet::Retention& retention) {
    std::lock_guard lock(mu_);
    retention_ = retention;
  }

  Status Flush() {
    std::unique_lock lock(mu_);
    const uint64_t target = added_;
    if (durable_ >= target) return Status::Ok();
    if (!running_) return NotDurableLocked();
    // The next round to begin takes everything added so far; an earlier round's failure is no answer.
    const uint64_t round = rounds_begun_ + 1;
    flush_requested_ = true;
    wake_.notify_one();
    round_done_.wait(lock, [&] { return durable_ >= target || rounds_done_ >= round || !running_; });
    return durable_ >= target ? Status::Ok() : NotDurableLocked();
  }

  Status Stop() {
    std::lock_guard stop_lock(stop_mu_);
    if (thread_.joinable()) {
      {
        std::lock_guard lock(mu_);
        stopping_ = true;
      }
      wake_.notify_one();
      thread_.join();
      std::lock_guard lock(mu_);
      running_ = false;
      round_done_.notify_all();
    }
    std::lock_guard lock(mu_);
    return durable_ >= added_ ? Status::Ok() : NotDurableLocked();
  }

 private:
  void Run();
  void WriteRound(std::unique_lock<std::mutex>& lock);
  void CompactRound(std::unique_lock<std::mutex>& lock);

  void UpdateQueueLengthLocked() {
    queue_length_->store(static_cast<int64_t>(added_ - durable_), std::memory_order_relaxed);
  }

  Status NotDurableLocked() const {
    if (!last_status_.ok()) return last_status_;
    return Status::Unavailable(
        fmt::format("store writer is stopped; {} records added after Stop() were not written", added_ - durable_));
  }

  std::unique_ptr<Store> store_;
  const StoreWriterOptions options_;
  Histogram* write_seconds_ = nullptr;
  Counter* write_errors_ = nullptr;
  Counter* compact_errors_ = nullptr;
  std::shared_ptr<std::atomic<int64_t>> queue_length_ = std::make_shared<std::atomic<int64_t>>(0);

  std::mutex stop_mu_;  // serialises Stop() callers around the join
  std::mutex mu_;
  std::condition_variable wake_;        // to the writer thread
  std::condition_variable round_done_;  // to Flush() callers
  // Guarded by mu_. Records are numbered in the order they were added: `added_` were handed in, the
  // first `durable_` are committed. A round takes everything pending and tries to write it.
  PendingBatch pending_;
  uint64_t added_ = 0;
  uint64_t durable_ = 0;
  uint64_t rounds_begun_ = 0;
  uint64_t rounds_done_ = 0;
  Status last_status_;
  bool flush_requested_ = false;
  bool stopping_ = false;
  bool running_ = true;
  fleet::Retention retention_;

  // Owned by the writer thread: what the last failed attempt could not write, retried first.
  PendingBatch batch_;
  int failure_streak_ = 0;

  std::thread thread_;
};

void StoreWriter::Impl::Run() {
  std::unique_lock lock(mu_);
  auto next_write = SteadyClock::now() + options_.write_interval;
  auto next_compact = SteadyClock::now() + options_.compact_interval;
  for (;;) {
    wake_.wait_until(lock, std::min(next_write, next_compact),
                     [&] { return stopping_ || flush_requested_ || pending_.size() >= options_.batch_records; });
    const bool stop = stopping_;
    if (stop || flush_requested_ || pending_.size() >= options_.batch_records || SteadyClock::now() >= next_write) {
      WriteRound(lock);
      next_write = SteadyClock::now() + options_.write_interval;
    }
    if (stop || SteadyClock::now() >= next_compact) {
      CompactRound(lock);
      next_compact = SteadyClock::now() + options_.compact_interval;
    }
    if (stop) return;
  }
}

void StoreWriter::Impl::WriteRound(std::unique_lock<std::mutex>& lock) {
  flush_requested_ = false;
  ++rounds_begun_;
  batch_.Append(&pending_);
  const uint64_t covered = added_;
  const size_t records = batch_.size();
  lock.unlock();

  Status status;
  if (records > 0) {
    auto start = SteadyClock::now();
    status = store_->Write(batch_.batch);
    if (write_seconds_ != nullptr) {
      write_seconds_->Observe(std::chrono::duration<double>(SteadyClock::now() - start).count());
    }
  }
  if (status.ok()) {
    if (failure_streak_ > 0) {
      spdlog::info("store write succeeded after {} failed attempts; {} delayed records are now written",
                   failure_streak_, records);
    }
    failure_streak_ = 0;
    batch_.Clear();
  } else {
    if (write_errors_ != nullptr) write_errors_->Add();
    if (failure_streak_ % kLogEveryFailures == 0) {
      spdlog::warn("store write failed ({} failed attempts in a row); keeping {} records to retry: {}",
                   failure_streak_ + 1, records, status.ToString());
    }
    ++failure_streak_;
  }

  lock.lock();
  ++rounds_done_;
  if (status.ok()) durable_ = covered;
  last_status_ = status;
  UpdateQueueLengthLocked();
  if (stopping_ && !status.ok()) {
    spdlog::error("store writer stopping with {} records not written: {}", added_ - durable_, status.ToString());
  }
  round_done_.notify_all();
}

void StoreWriter::Impl::CompactRound(std::unique_lock<std::mutex>& lock) {
  fleet::Retention retention = retention_;
  lock.unlock();
  Status status = store_->Compact(Clock::now(), retention);
  if (!status.ok()) {
    if (compact_errors_ != nullptr) compact_errors_->Add();
    spdlog::warn("store compaction failed, will retry at the next one: {}", status.ToString());
  }
  lock.lock();
}

StoreWriter::StoreWriter(std::unique_ptr<Store> store, fleet::Retention retention, MetricsRegistry* metrics)
    : StoreWriter(std::move(store), retention, metrics, StoreWriterOptions{}) {}

StoreWriter::StoreWriter(std::unique_ptr<Store> store, fleet::Retention retention, MetricsRegistry* metrics,
                         StoreWriterOptions options)
    : impl_(std::make_unique<Impl>(std::move(store), retention, metrics, options)) {}

StoreWriter::~StoreWriter() = default;

void StoreWriter::Add(ResultRecord record) { impl_->Add(std::move(record)); }
void StoreWriter::Add(EventRecord record) { impl_->Add(std::move(record)); }
void StoreWriter::Add(CheckStateRecord record) { impl_->Add(std::move(record)); }
void StoreWriter::SetRetention(const fleet::Retention& retention) { impl_->SetRetention(retention); }
Status StoreWriter::Flush() { return impl_->Flush(); }
Status StoreWriter::Stop() { return impl_->Stop(); }

}  // namespace csoc::store

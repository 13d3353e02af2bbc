#include "alert/outbox.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

namespace csoc::alert {
namespace {

using SteadyClock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// Log a store failure that repeats only now and then, not once per retry.
constexpr int kLogEveryFailures = 30;

}  // namespace

class Outbox::Impl {
 public:
  Impl(std::unique_ptr<OutboxStore> store, ReceiverLookup lookup, MetricsRegistry* metrics, OutboxOptions options)
      : store_(std::move(store)),
        lookup_(std::move(lookup)),
        metrics_(metrics),
        options_(options),
        rng_(std::random_device{}()) {
    options_.workers = std::max(options_.workers, 1);
  }

  Status Start() {
    const TimePoint now = Clock::now();
    OutboxCounts counts;
    {
      std::lock_guard store_lock(store_mu_);
      int64_t released = 0;
      CSOC_RETURN_IF_ERROR(store_->ReleaseInFlight(now, &released));
      if (released > 0) {
        spdlog::warn("alert outbox: {} notification(s) were in flight when csoc last stopped; sending them again "
                     "(a receiver may see them twice, with the same id)",
                     released);
      }
      CSOC_RETURN_IF_ERROR(store_->Counts(&counts));
    }
    pending_->store(counts.pending + counts.in_flight);
    if (metrics_ != nullptr) {
      // The gauge outlives the Outbox in the registry, so it reads a shared counter, not `this`.
      metrics_->SetGaugeFunction("csoc_alert_outbox_pending",
                                 "Notifications in the outbox not delivered, failed or expired yet.",
                                 [pending = pending_] {
                                   return std::vector<std::pair<Labels, double>>{
                                       {{}, static_cast<double>(pending->load())}};
                                 });
    }
    scheduler_ = std::thread([this] { Schedule(); });
    for (int i = 0; i < options_.workers; ++i) workers_.emplace_back([this] { Work(); });
    return Status::Ok();
  }

  Status Enqueue(Notification n) {
    if (n.id.empty()) return Status::InvalidArgument("a notification needs an id");
    if (n.receiver.empty()) return Status::InvalidArgument(fmt::format("notification {} names no receiver", n.id));
    const TimePoint now = Clock::now();
    Status s = Write(n, now);
    if (!s.ok()) {
      {
        std::lock_guard lock(mu_);
        unwritten_.push_back(std::move(n));
      }
      Changed();  // so the scheduler plans the retry
      return Status::IOError(
          fmt::format("{} (the notification is kept in memory and written again until stored)", s.message()));
    }
    Changed();
    return Status::Ok();
  }

  void Stop() {
    {
      std::lock_guard lock(mu_);
      if (stopped_) return;
      stopped_ = true;
      stopping_ = true;
    }
    schedule_cv_.notify_all();
    work_cv_.notify_all();
    stop_cv_.notify_all();
    if (scheduler_.joinable()) scheduler_.join();
    for (std::thread& t : workers_) t.join();
    workers_.clear();
    // No claim of this process is live any more: hand every in-flight entry back (those claimed
    // but not started, and those whose outcome could not be written) so the next start sends them.
    int64_t released = 0;
    Status s;
    {
      std::lock_guard store_lock(store_mu_);
      s = store_->ReleaseInFlight(Clock::now(), &released);
    }
    if (!s.ok()) {
      spdlog::warn("alert outbox: could not release in-flight notifications at stop ({}); the next start will",
                   s.ToString());
    }
    // A last try for enqueued notifications the store refused so far.
    std::deque<Notification> unwritten;
    {
      std::lock_guard lock(mu_);
      unwritten.swap(unwritten_);
    }
    for (const Notification& n : unwritten) {
      Status w = Write(n, Clock::now());
      if (!w.ok()) spdlog::error("alert outbox: notification {} was never stored: {}", n.id, w.ToString());
    }
  }

  Status Find(const std::string& id, OutboxEntry* out) {
    std::lock_guard store_lock(store_mu_);
    return store_->Find(id, out);
  }
  Status ListForAlert(uint64_t fingerprint, size_t limit, std::vector<OutboxEntry>* out) {
    std::lock_guard store_lock(store_mu_);
    return store_->ListForAlert(fingerprint, limit, out);
  }
  Status Counts(OutboxCounts* out) {
    std::lock_guard store_lock(store_mu_);
    return store_->Counts(out);
  }

 private:
  TimePoint Deadline(const Notification& n, TimePoint now) const {
    return (n.created != TimePoint{} ? n.created : now) + options_.deadline;
  }

  // Stores `n`; counts it as pending when it is new.
  Status Write(const Notification& n, TimePoint now) {
    bool inserted = false;
    {
      std::lock_guard store_lock(store_mu_);
      CSOC_RETURN_IF_ERROR(store_->Enqueue(n, now, Deadline(n, now), &inserted));
    }
    if (inserted) pending_->fetch_add(1);
    return Status::Ok();
  }

  // Something the scheduler may act on happened: an entry was stored, or one left the in-flight
  // state (which may let the next entry of its group go).
  void Changed() {
    {
      std::lock_guard lock(mu_);
      ++generation_;
    }
    schedule_cv_.notify_one();
  }

  // The scheduler: claims as many due entries as there are idle workers, hands them over, and
  // otherwise sleeps until the next entry is due or something changes. Also writes enqueued
  // notifications the store refused, and prunes.
  void Schedule() {
    std::unique_lock lock(mu_);
    auto next_unwritten_retry = SteadyClock::now();
    while (!stopping_) {
      const size_t free_workers = idle_ > ready_.size() ? idle_ - ready_.size() : 0;
      if (free_workers == 0) {
        schedule_cv_.wait(lock, [&] { return stopping_ || idle_ > ready_.size(); });
        continue;
      }
      const uint64_t generation = generation_;
      const bool retry_unwritten = !unwritten_.empty() && SteadyClock::now() >= next_unwritten_retry;
      std::deque<Notification> unwritten;
      if (retry_unwritten) unwritten.swap(unwritten_);
      lock.unlock();

      if (retry_unwritten) {
        WriteUnwritten(&unwritten);
        next_unwritten_retry = SteadyClock::now() + options_.store_retry;
      }
      MaybePrune();
      const TimePoint now = Clock::now();
      std::vector<OutboxEntry> claimed;
      std::optional<TimePoint> next_due;
      Status s;
      {
        std::lock_guard store_lock(store_mu_);
        s = store_->ClaimDue(now, now + options_.send_timeout + options_.lease_margin, free_workers, &claimed);
        if (s.ok() && claimed.empty()) s = store_->NextDue(&next_due);
      }
      if (!s.ok()) {
        if (claim_failures_++ % kLogEveryFailures == 0) {
          spdlog::warn("alert outbox: claiming due notifications failed, retrying every {}: {}",
                       FormatDuration(options_.store_retry), s.ToString());
        }
      } else {
        claim_failures_ = 0;
      }

      lock.lock();
      if (!unwritten.empty()) {
        // Still refused: keep them ahead of any newer ones.
        unwritten_.insert(unwritten_.begin(), std::make_move_iterator(unwritten.begin()),
                          std::make_move_iterator(unwritten.end()));
      }
      size_t handed_over = 0;
      for (OutboxEntry& e : claimed) {
        // An entry this process still holds (its outcome not written yet, past its lease) must not
        // be sent again: the holder will write its outcome.
        if (!held_.insert(e.notification.id).second) continue;
        ready_.push_back(std::move(e));
        ++handed_over;
      }
      for (size_t i = 0; i < handed_over; ++i) work_cv_.notify_one();
      if (!claimed.empty() || generation_ != generation) continue;

      // Nothing due: sleep until the next entry is, a retry of a failed write, the next prune or
      // the safety poll, whichever is first; any change wakes us earlier.
      auto wake = SteadyClock::now() + options_.idle_poll;
      if (!s.ok()) wake = SteadyClock::now() + options_.store_retry;
      if (next_due) {
        // At least 1 ms, so that an entry due "now" that a claim still did not take cannot spin.
        auto until = std::max<Clock::duration>(*next_due - Clock::now(), milliseconds(1));
        wake = std::min(wake, SteadyClock::now() + until);
      }
      if (!unwritten_.empty()) wake = std::min(wake, next_unwritten_retry);
      wake = std::min(wake, next_prune_steady_);
      schedule_cv_.wait_until(lock, wake, [&] { return stopping_ || generation_ != generation; });
    }
  }

  // Called without mu_. Writes what it can of `unwritten`, leaving the rest in it.
  void WriteUnwritten(std::deque<Notification>* unwritten) {
    while (!unwritten->empty()) {
      Status s = Write(unwritten->front(), Clock::now());
      if (!s.ok()) {
        spdlog::warn("alert outbox: {} notification(s) still wait to be stored: {}", unwritten->size(), s.ToString());
        return;
      }
      unwritten->pop_front();
      Changed();
    }
  }

  void MaybePrune() {
    if (SteadyClock::now() < next_prune_steady_) return;
    next_prune_steady_ = SteadyClock::now() + options_.prune_interval;
    int64_t removed = 0;
    Status s;
    {
      std::lock_guard store_lock(store_mu_);
      s = store_->Prune(Clock::now() - options_.retention, &removed);
    }
    if (!s.ok()) {
      spdlog::warn("alert outbox: pruning old entries failed, will retry at the next prune: {}", s.ToString());
    } else if (removed > 0) {
      spdlog::debug("alert outbox: pruned {} entries older than {}", removed, FormatDuration(options_.retention));
    }
  }

  // A delivery worker: sends the entries the scheduler hands over, one at a time.
  void Work() {
    std::unique_lock lock(mu_);
    for (;;) {
      ++idle_;
      schedule_cv_.notify_one();  // the scheduler may claim for this worker
      work_cv_.wait(lock, [&] { return stopping_ || !ready_.empty(); });
      --idle_;
      // Entries handed over but not started stay in the store for the next start.
      if (stopping_) return;
      OutboxEntry entry = std::move(ready_.front());
      ready_.pop_front();
      lock.unlock();
      Deliver(entry);
      lock.lock();
      held_.erase(entry.notification.id);
      ++generation_;
    }
  }

  void Deliver(const OutboxEntry& entry) {
    const Notification& n = entry.notification;
    const TimePoint start = Clock::now();
    std::optional<DeliveryAttempt> attempt;
    Outcome outcome;
    std::string result;  // the metric's label
    if (start >= entry.deadline) {
      outcome.state = OutboxState::kExpired;
      outcome.reason = fmt::format("not delivered by its deadline {} ({} attempts)", FormatIso8601(entry.deadline),
                                   entry.attempts);
      result = "expired";
    } else if (std::shared_ptr<const Receiver> receiver = lookup_(n.receiver); receiver == nullptr) {
      attempt = DeliveryAttempt{};
      attempt->at = start;
      attempt->kind = DeliveryResult::Kind::kGiveUp;
      attempt->detail = fmt::format("receiver \"{}\" is not configured (any more)", n.receiver);
      outcome.state = OutboxState::kFailed;
      outcome.reason = attempt->detail;
      result = "failed";
    } else {
      const auto sent = SteadyClock::now();
      DeliveryResult r = receiver->Send(n, options_.send_timeout);
      attempt = DeliveryAttempt{};
      attempt->at = start;
      attempt->duration = std::chrono::duration_cast<milliseconds>(SteadyClock::now() - sent);
      attempt->kind = r.kind;
      attempt->http_status = r.http_status;
      attempt->detail = r.detail;
      switch (r.kind) {
        case DeliveryResult::Kind::kDelivered:
          outcome.state = OutboxState::kDelivered;
          result = "delivered";
          break;
        case DeliveryResult::Kind::kGiveUp:
          outcome.state = OutboxState::kFailed;
          outcome.reason = r.detail.empty() ? fmt::format("refused (HTTP {})", r.http_status) : r.detail;
          result = "failed";
          break;
        case DeliveryResult::Kind::kRetry: {
          // Rounded up to the store's whole milliseconds, so no retry starts before its delay.
          const TimePoint next = std::chrono::ceil<milliseconds>(Clock::now() + Backoff(entry.attempts + 1));
          if (next > entry.deadline) {
            outcome.state = OutboxState::kExpired;
            outcome.reason = fmt::format("not delivered by its deadline {} ({} attempts; last: {})",
                                         FormatIso8601(entry.deadline), entry.attempts + 1, r.detail);
            result = "expired";
          } else {
            outcome.state = OutboxState::kPending;
            outcome.next_attempt_at = next;
            result = "retry";
          }
          break;
        }
      }
    }
    outcome.at = Clock::now();
    if (outcome.state == OutboxState::kFailed || outcome.state == OutboxState::kExpired) {
      spdlog::warn("alert outbox: notification {} to {} {}: {}", n.id, n.receiver, OutboxStateName(outcome.state),
                   outcome.reason);
    }
    const bool written = RecordOutcome(n.id, attempt, outcome);
    CountResult(n.receiver, result);
    if (written && IsFinal(outcome.state)) pending_->fetch_sub(1);
  }

  // Writes the outcome, again and again while the store refuses it: the entry stays held by this
  // worker meanwhile. Gives up only when stopping, leaving the entry in flight for the next start
  // (and returns false).
  bool RecordOutcome(const std::string& id, const std::optional<DeliveryAttempt>& attempt, const Outcome& outcome) {
    for (int failures = 0;; ++failures) {
      Status s;
      {
        std::lock_guard store_lock(store_mu_);
        s = store_->Record(id, attempt, outcome);
      }
      if (s.ok() || s.code() == Status::Code::kNotFound) {
        if (!s.ok()) spdlog::warn("alert outbox: {} (pruned while being sent?)", s.ToString());
        if (failures > 0) spdlog::info("alert outbox: outcome of {} written after {} failures", id, failures);
        return true;
      }
      if (failures % kLogEveryFailures == 0) {
        spdlog::warn("alert outbox: writing the outcome of {} failed, retrying every {}: {}", id,
                     FormatDuration(options_.store_retry), s.ToString());
      }
      std::unique_lock lock(mu_);
      if (stopping_) {
        spdlog::error("alert outbox: stopping before the outcome of {} could be written; it will be sent again at "
                      "the next start: {}",
                      id, s.ToString());
        return false;
      }
      stop_cv_.wait_for(lock, options_.store_retry, [&] { return stopping_; });
    }
  }

  Clock::duration Backoff(int attempt) {
    double delay = static_cast<double>(options_.initial_backoff.count()) *
                   std::pow(options_.backoff_factor, std::max(attempt - 1, 0));
    const double max = static_cast<double>(options_.max_backoff.count());
    delay = std::min(delay, max);
    if (options_.jitter > 0) {
      std::lock_guard lock(rng_mu_);
      std::uniform_real_distribution<double> scale(1.0 - options_.jitter, 1.0 + options_.jitter);
      delay = std::min(delay * scale(rng_), max);
    }
    return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double, std::milli>(delay));
  }

  void CountResult(const std::string& receiver, const std::string& result) {
    if (metrics_ == nullptr) return;
    Counter* counter = nullptr;
    {
      std::lock_guard lock(counters_mu_);
      Counter*& slot = counters_[{receiver, result}];
      if (slot == nullptr) {
        slot = metrics_->GetCounter("csoc_alert_notifications_total",
                                    "Notification delivery attempts by receiver and effect.",
                                    {{"receiver", receiver}, {"result", result}});
      }
      counter = slot;
    }
    counter->Add();
  }

  const std::unique_ptr<OutboxStore> store_;
  const ReceiverLookup lookup_;
  MetricsRegistry* const metrics_;
  OutboxOptions options_;

  std::mutex store_mu_;  // guards store_; mu_ is never held while taking it

  std::mutex mu_;
  // Apart, so that an enqueue wakes only the scheduler, a hand-over only as many workers as there
  // are entries, and no notify_one reaches a thread waiting for something else.
  std::condition_variable schedule_cv_;  // to the scheduler: a change, an idle worker, stop
  std::condition_variable work_cv_;      // to idle workers: entries handed over, stop
  std::condition_variable stop_cv_;      // to workers waiting to write an outcome again: stop
  // Guarded by mu_.
  bool stopping_ = false;
  bool stopped_ = false;
  uint64_t generation_ = 0;             // bumped by every change the scheduler may act on
  size_t idle_ = 0;                     // workers waiting for an entry
  std::deque<OutboxEntry> ready_;       // claimed, not started
  std::set<std::string> held_;          // ids claimed by this process and not settled yet
  std::deque<Notification> unwritten_;  // enqueued, refused by the store, to be written again

  // Owned by the scheduler thread.
  SteadyClock::time_point next_prune_steady_ = SteadyClock::now();
  int claim_failures_ = 0;

  std::mutex rng_mu_;
  std::mt19937_64 rng_;
  std::mutex counters_mu_;
  std::map<std::pair<std::string, std::string>, Counter*> counters_;
  const std::shared_ptr<std::atomic<int64_t>> pending_ = std::make_shared<std::atomic<int64_t>>(0);

  std::thread scheduler_;
  std::vector<std::thread> workers_;
};

Status Outbox::Open(std::unique_ptr<OutboxStore> store, ReceiverLookup lookup, MetricsRegistry* metrics,
                    OutboxOptions options, std::unique_ptr<Outbox>* out) {
  if (!lookup) return Status::InvalidArgument("the outbox needs a receiver lookup");
  auto impl = std::make_unique<Impl>(std::move(store), std::move(lookup), metrics, options);
  CSOC_RETURN_IF_ERROR(impl->Start());
  *out = std::unique_ptr<Outbox>(new Outbox(std::move(impl)));
  return Status::Ok();
}

Outbox::Outbox(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Outbox::~Outbox() { Stop(); }
Status Outbox::Enqueue(Notification notification) { return impl_->Enqueue(std::move(notification)); }
void Outbox::Stop() { impl_->Stop(); }
Status Outbox::Find(const std::string& id, OutboxEntry* out) { return impl_->Find(id, out); }
Status Outbox::ListForAlert(uint64_t fingerprint, size_t limit, std::vector<OutboxEntry>* out) {
  return impl_->ListForAlert(fingerprint, limit, out);
}
Status Outbox::Counts(OutboxCounts* out) { return impl_->Counts(out); }

}  // namespace csoc::alert

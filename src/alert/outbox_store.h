// Where the notification outbox keeps its entries: a small interface, so that SQLite (the default)
// and PostgreSQL pass the same contract tests (tests/alert/outbox_store_test.cpp). An entry is one
// notification for one receiver with its delivery state; every attempt to deliver it is kept in
// its delivery log until the entry is pruned. The rules of delivery (backoff, deadline, which
// result leads to which state) belong to Outbox (alert/outbox.h); the store only keeps what it is
// told, atomically, and answers "what is due".
//
// Every method is one transaction: a method that returns an error has changed nothing.
//
// Threading: an OutboxStore is used by one thread at a time (Outbox serialises its calls).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "alert/alert.h"
#include "alert/receiver.h"
#include "core/status.h"
#include "core/time.h"

namespace csoc::alert {

// pending → in_flight → (delivered | failed | expired), or back to pending for a retry.
enum class OutboxState {
  kPending,    // waiting for its next attempt (next_attempt_at)
  kInFlight,   // claimed by a delivery worker until lease_until
  kDelivered,  // the receiver accepted it
  kFailed,     // the receiver refused it for good, or the receiver is no longer configured
  kExpired,    // still not delivered at its deadline
};
std::string_view OutboxStateName(OutboxState s);  // "pending", "in_flight", "delivered", "failed", "expired"
bool IsFinal(OutboxState s);                       // delivered, failed or expired

// One attempt to deliver, as the delivery log shows it.
struct DeliveryAttempt {
  int number = 0;  // 1, 2, ... per entry (assigned by the store)
  TimePoint at{};  // when the attempt started
  Millis duration{0};
  DeliveryResult::Kind kind = DeliveryResult::Kind::kRetry;
  int http_status = 0;
  std::string detail;
};
std::string_view DeliveryKindName(DeliveryResult::Kind kind);  // "delivered", "retry", "give_up"

struct OutboxEntry {
  Notification notification;
  OutboxState state = OutboxState::kPending;
  int attempts = 0;
  TimePoint enqueued_at{};
  TimePoint next_attempt_at{};  // meaningful while pending
  TimePoint lease_until{};      // meaningful while in flight
  TimePoint deadline{};         // no attempt starts after it
  TimePoint finished_at{};      // when it reached a final state; zero before
  std::string reason;           // why it failed or expired; empty otherwise
  // Oldest first. Filled by Find and ListForAlert; ClaimDue leaves it empty.
  std::vector<DeliveryAttempt> log;
};

// What becomes of an entry after an attempt (or without one, e.g. found past its deadline).
struct Outcome {
  OutboxState state = OutboxState::kPending;  // kPending: retry at next_attempt_at
  TimePoint next_attempt_at{};
  TimePoint at{};      // when this was decided: finished_at for a final state
  std::string reason;  // for failed / expired
};

struct OutboxCounts {
  int64_t pending = 0, in_flight = 0, delivered = 0, failed = 0, expired = 0;
};

class OutboxStore {
 public:
  virtual ~OutboxStore() = default;

  // Stores `notification` as pending, due at `now`. Idempotent on notification.id: when an entry
  // with that id exists already (in any state) nothing changes and *inserted is false.
  // The alerts' fingerprints (of `alerts` and `inhibited`) index the entry for ListForAlert.
  virtual Status Enqueue(const Notification& notification, TimePoint now, TimePoint deadline, bool* inserted) = 0;

  // Claims up to `limit` entries that are due at `now` — pending with next_attempt_at <= now, or
  // in flight with an expired lease (their worker died) — marking them in flight until
  // `lease_until`. An entry is not claimed while an older entry (enqueued before it) of the same
  // receiver and group_key is pending or in flight, so a group's notices go out in order.
  // Earliest due first.
  virtual Status ClaimDue(TimePoint now, TimePoint lease_until, size_t limit, std::vector<OutboxEntry>* out) = 0;

  // When the next claim could find something: the earliest next_attempt_at of a pending entry not
  // held back by its group, or lease_until of an in-flight entry; nullopt when nothing is waiting.
  virtual Status NextDue(std::optional<TimePoint>* out) = 0;

  // Appends `attempt` (when given) to the entry's log, counts it, and moves the entry to
  // `outcome.state`. NotFound when no entry has that id.
  virtual Status Record(const std::string& id, const std::optional<DeliveryAttempt>& attempt,
                        const Outcome& outcome) = 0;

  // Makes every in-flight entry pending and due at `now`: used when the only process that
  // delivers from this store starts or stops, when no claim can still be live.
  virtual Status ReleaseInFlight(TimePoint now, int64_t* released) = 0;

  // The entry with that id, with its log. NotFound when there is none.
  virtual Status Find(const std::string& id, OutboxEntry* out) = 0;
  // The entries whose notification carries the alert with that fingerprint (in `alerts` or
  // `inhibited`), newest first, at most `limit`, with their logs: the delivery log of an alert.
  virtual Status ListForAlert(uint64_t fingerprint, size_t limit, std::vector<OutboxEntry>* out) = 0;

  virtual Status Counts(OutboxCounts* out) = 0;

  // Removes entries in a final state that reached it before `cutoff`, with their logs.
  virtual Status Prune(TimePoint cutoff, int64_t* removed) = 0;
};

// The outbox's tables (migration area "alert_outbox") in csoc's SQLite database at `path`,
// created and migrated as needed.
Status OpenSqliteOutboxStore(const std::filesystem::path& path, std::unique_ptr<OutboxStore>* out);

}  // namespace csoc::alert

// The notification outbox: every notification csoc sends goes through it. Enqueue() makes a
// notification durable (committed to the outbox store) before it returns; delivery workers then
// send it to its receiver, retry it with exponential backoff while the receiver asks for a retry,
// and record every attempt in the entry's delivery log (alert/outbox_store.h). It loses nothing
// and, apart from the one crash window below, duplicates nothing. docs/alerting-outbox.md tells
// the whole story.
//
// Delivery rules, per result of Receiver::Send:
//   Delivered → the entry is delivered.
//   GiveUp    → the entry failed (sending the same request again cannot succeed).
//   Retry     → tried again after initial_backoff × backoff_factor^(attempt-1), capped at
//               max_backoff, scaled by a random factor in [1-jitter, 1+jitter] (capped again), so
//               receivers coming back from an outage are not hit by every csoc at the same moment.
//               A retry that would start after the entry's deadline (created + `deadline`) expires
//               the entry instead; an entry found past its deadline expires without an attempt.
//   A receiver no longer in the config (removed by a reload) → the entry failed with that reason.
// A group's notices go out in order: an entry is not sent while an older entry of the same
// receiver and group_key is still pending or in flight (a resolved notice never overtakes its
// firing one). Other entries are independent; `workers` of them are sent at once, so a slow
// receiver holds up at most the workers that are busy with it.
//
// What a receiver may see (at-least-once): each notification once, except when csoc dies (crash,
// kill -9, power loss) after a receiver accepted a notification but before the outcome was
// committed; the entry is then still "in flight" in the store, and the next start sends it again:
// the same notification with the same id (the idempotency key: the webhook's id, the e-mail's
// Message-ID), so the receiver sees it twice. Nothing else duplicates: an Enqueue of a known id
// stores nothing, and a claim is only taken over after its holder is gone (on start, or when its
// lease, send_timeout + lease_margin, has run out).
//
// Failed writes to the store (disk full, database locked) never drop anything:
//  - Enqueue returns the error, and keeps the notification in memory; the scheduler writes it again
//    every store_retry until it is stored (the caller may also enqueue it again: that is harmless).
//    Only if csoc stops before the store accepts it is it lost, and it was never reported durable.
//  - A delivery outcome that cannot be written is kept by its worker, which holds the entry (it is
//    not sent again by this process) and writes it again every store_retry. If csoc stops before
//    it is written, the entry is still in flight in the store and is sent again at the next start.
//  - A failed claim changes nothing and is retried after store_retry.
//
// Metrics (when a registry is given): csoc_alert_notifications_total{receiver,result} counts every
// attempt by its effect — "delivered", "retry" (will be tried again), "failed" (refused for good,
// or the receiver is gone), "expired" (a retry that the deadline left no room for, or an entry
// found past its deadline); csoc_alert_outbox_pending is the number of entries not yet in a final
// state (pending or in flight).
//
// Threading: Enqueue, the read methods and Stop may be called from any thread. The lookup function
// and Receiver::Send are called from several worker threads at once. One scheduler thread claims
// due entries and prunes; `workers` threads send. The store is used under one mutex, never while a
// Send is running.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "alert/alert.h"
#include "alert/outbox_store.h"
#include "alert/receiver.h"
#include "core/metrics.h"
#include "core/status.h"

namespace csoc::alert {

struct OutboxOptions {
  int workers = 4;
  std::chrono::milliseconds send_timeout{10'000};
  std::chrono::milliseconds initial_backoff{5'000};
  double backoff_factor = 2.0;
  std::chrono::milliseconds max_backoff{5 * 60'000};
  double jitter = 0.2;  // 0: exact delays
  // No attempt starts later than this after the notification was created.
  std::chrono::milliseconds deadline{24 * 3600'000};
  // A claim's lease is send_timeout + lease_margin: only a worker that died loses its claim.
  std::chrono::milliseconds lease_margin{60'000};
  // Wait before writing again what the store refused.
  std::chrono::milliseconds store_retry{1'000};
  // Entries in a final state are kept this long for the delivery log, then pruned.
  std::chrono::milliseconds retention{7 * 24 * 3600'000LL};
  std::chrono::milliseconds prune_interval{3600'000};
  // The scheduler looks at the store at least this often even when nothing is due, as a safety
  // net; every change made through this Outbox wakes it at once anyway.
  std::chrono::milliseconds idle_poll{60'000};
};

// Finds a receiver by its config name; null when no receiver has that name (any more). Called
// from worker threads, so it must be thread-safe (e.g. read an atomically swapped config).
using ReceiverLookup = std::function<std::shared_ptr<const Receiver>(const std::string& name)>;

class Outbox {
 public:
  // Takes `store`, makes entries a previous run left in flight due now (it is the only process
  // delivering from this store, so those claims are dead), and starts the workers. `metrics` may
  // be null; otherwise it must outlive the Outbox.
  static Status Open(std::unique_ptr<OutboxStore> store, ReceiverLookup lookup, MetricsRegistry* metrics,
                     OutboxOptions options, std::unique_ptr<Outbox>* out);
  ~Outbox();  // Stop()s
  Outbox(const Outbox&) = delete;
  Outbox& operator=(const Outbox&) = delete;

  // Stores the notification (durable when Ok) and wakes a worker. Idempotent on notification.id:
  // a known id is stored once and sent once. InvalidArgument for an empty id or receiver. On a
  // store error see above: the notification is kept and written again. After Stop() it is stored
  // for the next start.
  Status Enqueue(Notification notification);

  // Stops claiming, waits for the sends under way (each bounded by send_timeout) and the writing
  // of their outcomes, and leaves every entry not delivered yet in the store, pending, for the next
  // start. Idempotent.
  void Stop();

  // The delivery log, for the API and the dashboard (see OutboxStore).
  Status Find(const std::string& id, OutboxEntry* out);
  Status ListForAlert(uint64_t fingerprint, size_t limit, std::vector<OutboxEntry>* out);
  Status Counts(OutboxCounts* out);

 private:
  class Impl;
  explicit Outbox(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace csoc::alert

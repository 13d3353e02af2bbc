// A background writer: the monitor hands records to it without waiting on disk; it writes them in
// batches (every second, or sooner when a batch is large) and runs Compact() once a minute.
// When a write fails (disk full, database locked) the batch is kept and retried, so results are
// delayed, not lost; Flush() and Stop() report the failure.
//
// Threading: Add*/Flush/Stop may be called from any thread. The Store is used only by the
// writer's own thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <thread>

#include "core/metrics.h"
#include "store/store.h"

namespace csoc::store {

struct StoreWriterOptions {
  std::chrono::milliseconds write_interval{1000};
  size_t batch_records = 2000;  // write as soon as this many records wait
  std::chrono::milliseconds compact_interval{60'000};
};

class StoreWriter {
 public:
  // `metrics` may be null; otherwise it must outlive the writer. It exports
  // csoc_store_write_seconds, csoc_store_write_errors_total{op="write"|"compact"} and
  // csoc_store_queue_length (records not yet durable).
  StoreWriter(std::unique_ptr<Store> store, fleet::Retention retention, MetricsRegistry* metrics);
  StoreWriter(std::unique_ptr<Store> store, fleet::Retention retention, MetricsRegistry* metrics,
              StoreWriterOptions options);
  ~StoreWriter();  // Stop()s
  StoreWriter(const StoreWriter&) = delete;
  StoreWriter& operator=(const StoreWriter&) = delete;

  void Add(ResultRecord record);
  void Add(EventRecord record);
  void Add(CheckStateRecord record);  // the latest per check_id wins
  void SetRetention(const fleet::Retention& retention);

  // Blocks until everything added before the call is durable (or the last write failed).
  Status Flush();
  // Flushes, compacts once more and stops the thread. Idempotent: later calls return whether
  // everything added so far is durable. Records added after Stop() are never written (Flush() then
  // reports them as such).
  Status Stop();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace csoc::store

// A background writer: the monitor hands records to it without waiting on disk; it writes them in
// batches (every second, or sooner when a batch is large) and runs Compact() once a minute.
// When a write fails (disk full, database locked) the batch is kept and retried, so results are
// delayed, not lost; Flush() and Stop() report the failure.
//
// Threading: Add*/Flush/Stop may be called from any thread. The Store is used only by the
// writer's own thread.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#include "core/metrics.h"
#include "store/store.h"

namespace csoc::store {

class StoreWriter {
 public:
  StoreWriter(std::unique_ptr<Store> store, fleet::Retention retention, MetricsRegistry* metrics);
  ~StoreWriter();  // Stop()s
  StoreWriter(const StoreWriter&) = delete;
  StoreWriter& operator=(const StoreWriter&) = delete;

  void Add(ResultRecord record);
  void Add(EventRecord record);
  void Add(CheckStateRecord record);  // the latest per check_id wins
  void SetRetention(const fleet::Retention& retention);

  // Blocks until everything added before the call is durable (or the last write failed).
  Status Flush();
  // Flushes and stops the thread. Idempotent.
  Status Stop();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace csoc::store

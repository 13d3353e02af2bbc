// Private to probe/: probes that run on plain Asio objects: TCP connects, TLS handshakes and DNS
// lookups. Each probe is one object kept alive by its pending handlers and listed in a ProbeSet,
// so the Prober can cancel them all; a deadline timer ends it after the check's timeout.
//
// Threading: belongs to the io_context's thread.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>

#include "core/status.h"
#include "fleet/model.h"
#include "fleet/probe_result.h"

namespace csoc::probe::internal {

class ProbeSet;

class AsyncProbe : public std::enable_shared_from_this<AsyncProbe> {
 public:
  using Done = std::function<void(fleet::ProbeResult)>;

  AsyncProbe(boost::asio::io_context& io, std::chrono::milliseconds timeout, Done done);
  virtual ~AsyncProbe() = default;
  AsyncProbe(const AsyncProbe&) = delete;
  AsyncProbe& operator=(const AsyncProbe&) = delete;

  // Registers with `set` and starts from the loop; `done` runs exactly once unless Cancel().
  void Start(ProbeSet* set);
  void Cancel();

 protected:
  virtual void Begin() = 0;
  // Closes sockets and cancels lookups; pending handlers then see finished() and do nothing.
  virtual void Stop() = 0;

  void Succeed();
  void Fail(std::string error);
  bool finished() const { return finished_; }
  std::string TimeoutText() const;

  boost::asio::io_context& io_;
  fleet::ProbeResult result_;
  const std::chrono::milliseconds timeout_;

 private:
  void Finish();

  std::chrono::steady_clock::time_point start_;
  boost::asio::steady_timer deadline_;
  Done done_;
  ProbeSet* set_ = nullptr;
  bool finished_ = false;
};

class ProbeSet {
 public:
  void Add(std::shared_ptr<AsyncProbe> probe);
  void Remove(AsyncProbe* probe) { probes_.erase(probe); }
  void CancelAll();
  size_t size() const { return probes_.size(); }

 private:
  std::unordered_map<AsyncProbe*, std::shared_ptr<AsyncProbe>> probes_;
};

// TLS client contexts by CA file ("" = the system store), built once: loading a CA bundle is the
// expensive part of a handshake.
class TlsContexts {
 public:
  Status Get(const std::string& ca_file, std::shared_ptr<boost::asio::ssl::context>* out);

 private:
  std::unordered_map<std::string, std::shared_ptr<boost::asio::ssl::context>> contexts_;
};

std::shared_ptr<AsyncProbe> MakeTcpProbe(boost::asio::io_context& io, const fleet::TcpSpec& spec,
                                         std::chrono::milliseconds timeout, AsyncProbe::Done done);
// A failure to load the CA file is reported as the probe's error.
std::shared_ptr<AsyncProbe> MakeTlsProbe(boost::asio::io_context& io, const fleet::TlsSpec& spec,
                                         std::chrono::milliseconds timeout, AsyncProbe::Done done,
                                         TlsContexts* contexts);
std::shared_ptr<AsyncProbe> MakeDnsProbe(boost::asio::io_context& io, const fleet::DnsSpec& spec,
                                         std::chrono::milliseconds timeout, AsyncProbe::Done done);

}  // namespace csoc::probe::internal

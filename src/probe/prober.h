// Running probes: HTTP(S) through libcurl's multi interface, TCP connects and TLS handshakes
// through Boost.Asio, DNS lookups through c-ares, all driven by one Asio io_context. No thread per
// probe and no blocking call: a slow or black-holed target only occupies its own socket and timer.
//
// Threading: a Prober and a Scheduler belong to the thread that runs their io_context. Every
// method must be called on that thread, and callbacks run on it.
#pragma once

#include <boost/asio/io_context.hpp>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/metrics.h"
#include "fleet/model.h"
#include "fleet/probe_result.h"

namespace csoc::probe {

struct ProberOptions {
  // Probes open a fresh connection by default, like the blackbox exporter, so a result measures
  // what a new visitor sees. When true, HTTP probes may reuse connections.
  bool reuse_connections = false;
  std::string user_agent = "csoc-probe/0.1";
};

class Prober {
 public:
  using Done = std::function<void(fleet::ProbeResult)>;

  Prober(boost::asio::io_context& io, ProberOptions options = {});
  ~Prober();
  Prober(const Prober&) = delete;
  Prober& operator=(const Prober&) = delete;

  // Starts one probe of `check`; `done` runs exactly once on the io thread, at the latest after
  // check.timeout (with connected=false and error "timed out after …").
  //
  // `done` never runs inside Run itself, even for an immediate failure. It may call Run or
  // Shutdown; it must not destroy the Prober.
  //
  // What each kind reports (besides connected, error, started, latency):
  //  - HTTP: status, headers, body, effective_url; for HTTPS the leaf certificate of the first TLS
  //    connection (after an http→https redirect: of that one). With tls_verify the chain is valid
  //    or the probe failed ("TLS certificate problem: …"); without it the chain is still checked
  //    (against ca_file or the system store, for the URL's host) and reported in
  //    cert_chain_valid/cert_error without failing the probe.
  //  - TLS: connected once the handshake completed, whatever the chain; the verification result
  //    (chain, expiry, host name or IP) is in cert_chain_valid/cert_error.
  //  - DNS: addresses in answer order. A name without an address of the requested type (NXDOMAIN,
  //    no record) is connected=false with the reason in `error`: the lookup failed.
  void Run(const fleet::Check& check, Done done);
  // Cancels all in-flight probes; their callbacks are not run. The Prober stays usable.
  void Shutdown();
  size_t in_flight() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

// Runs every check at its interval. The first run of a check is spread over its interval by a
// hash of its id (so checks do not fire in bursts and the phase is stable across restarts);
// later runs are due at first + k * interval, so there is no drift. A run that comes due while
// the previous one of the same check is still in flight is skipped and counted; so are runs
// missed when the loop fell more than an interval behind (the latest one still runs).
//
// Metrics (when a registry is given): csoc_probe_scheduling_lag_seconds,
// csoc_probe_duration_seconds{type}, csoc_probe_errors_total{type} (transport failures),
// csoc_probe_skipped_total.
class Scheduler {
 public:
  using OnResult = std::function<void(const std::shared_ptr<const fleet::Check>& check, fleet::ProbeResult)>;

  Scheduler(boost::asio::io_context& io, Prober& prober, OnResult on_result, MetricsRegistry* metrics);
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Replaces the set of checks. A check whose id and fingerprint are unchanged keeps its schedule
  // and in-flight state, and later results carry the new Check object; if only its interval
  // changed, it moves to the new interval's phase at once. The result of a run that was in flight
  // for a check that is now removed or changed is dropped. Ids are unique in a fleet; a repeated
  // id after the first is ignored.
  void SetChecks(std::vector<std::shared_ptr<const fleet::Check>> checks);
  // Drops every check; no on_result call follows. SetChecks starts again.
  void Stop();

  // Scheduling lag (actual start minus due time) of recent runs, in milliseconds.
  struct LagStats {
    double p50_ms = 0, p99_ms = 0, max_ms = 0;
    uint64_t runs = 0, skipped = 0;
  };
  LagStats lag() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace csoc::probe

// The demo fleet simulator: local HTTP(S) services on 127.0.0.1 that behave like two clusters of
// three Gen3 commons, answering the Gen3 health paths (docs/demo.md lists who misbehaves how).
// Used by `csoc simulate`, the demo and the integration tests.
//
// Threading: everything runs on the io_context it is given; one connection costs a socket and a
// few buffers, never a thread. Call Start() before the io_context runs or on its thread. Stop()
// (and the destructor, which calls it) may be called on the io thread, after the io_context has
// stopped, or from another thread while some thread runs the io_context: it then waits until the
// io thread has closed every listener and connection. commons(), tls_endpoint() and
// WriteFleetConfig() only read what Start() set up and may be called from any thread after it.
#pragma once

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"

namespace csoc::demo {

inline constexpr std::chrono::milliseconds kDemoProbeInterval{10'000};

struct SimulatorOptions {
  std::string host = "127.0.0.1";
  // First port; commons i listens on base_port + i and the TLS endpoint on base_port + 10.
  // 0 picks free ports (the unreachable commons then gets a port that was free a moment ago and
  // that nothing listens on).
  uint16_t base_port = 0;
  // How long one half-period of the flapping service lasts.
  std::chrono::milliseconds flap_period{20'000};
};

struct SimulatedCommons {
  std::string name;       // e.g. "gen3-prod-us"
  std::string cluster;    // e.g. "cluster-east"
  std::string base_url;   // e.g. "http://127.0.0.1:18101"
  std::string behaviour;  // one line: "healthy", "fence returns 503", ...
};

class Simulator {
 public:
  Simulator(boost::asio::io_context& io, SimulatorOptions options);
  ~Simulator();
  Simulator(const Simulator&) = delete;
  Simulator& operator=(const Simulator&) = delete;

  // Binds every listener and generates the TLS certificate; on error nothing stays open.
  Status Start();
  // Closes the listeners and every open connection (pending slow answers are dropped). Idempotent.
  void Stop();

  // In port order (commons i on base_port + i); names and behaviours are known before Start(),
  // base URLs once it succeeded.
  const std::vector<SimulatedCommons>& commons() const;
  // host:port of the TLS endpoint whose certificate expires in a few days.
  std::string tls_endpoint() const;
  // Writes one fleet YAML file per commons (plus settings.yaml) for these ports into `dir`. Checks
  // run every `probe_interval`, with a timeout of 5s or the interval when that is shorter (tests
  // probe faster than the demo's 10s).
  Status WriteFleetConfig(const std::filesystem::path& dir, const std::string& data_dir,
                          std::chrono::milliseconds probe_interval = kDemoProbeInterval) const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace csoc::demo

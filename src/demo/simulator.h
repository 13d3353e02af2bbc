// The demo fleet simulator: local HTTP(S) services on 127.0.0.1 that behave like two clusters of
// three Gen3 commons, answering the Gen3 health paths (docs/demo.md lists who misbehaves how).
// Used by `csoc simulate`, the demo and the integration tests.
//
// Threading: runs on the io_context it is given.
#pragma once

#include <boost/asio/io_context.hpp>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"

namespace csoc::demo {

struct SimulatorOptions {
  std::string host = "127.0.0.1";
  // First port; commons i listens on base_port + i and the TLS endpoint on base_port + 10.
  // 0 picks free ports.
  uint16_t base_port = 0;
  // How long one half-period of the flapping service lasts.
  std::chrono::milliseconds flap_period{20'000};
};

struct SimulatedCommons {
  std::string name;      // e.g. "gen3-prod-us"
  std::string cluster;   // e.g. "cluster-east"
  std::string base_url;  // e.g. "http://127.0.0.1:18101"
  std::string behaviour; // one line: "healthy", "fence returns 503", ...
};

class Simulator {
 public:
  Simulator(boost::asio::io_context& io, SimulatorOptions options);
  ~Simulator();
  Status Start();
  void Stop();

  const std::vector<SimulatedCommons>& commons() const;
  // host:port of the TLS endpoint whose certificate expires in a few days.
  std::string tls_endpoint() const;
  // Writes one fleet YAML file per commons (plus settings.yaml) for these ports into `dir`.
  Status WriteFleetConfig(const std::filesystem::path& dir, const std::string& data_dir) const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace csoc::demo

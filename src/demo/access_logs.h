// Simulated access logs for the demo commons: each commons' revproxy "writes" its access log into
// a file, as nginx would, so that csoc's log analytics follow them like real ones. The last two
// hours are written at start (so the Logs page has history at once), then new lines every second
// at a few requests per second per commons. Even-numbered commons write Gen3's JSON format, odd
// ones the combined format.
//
// Threading: runs on the io_context it is given (a one-second timer); Stop() on that thread or
// after it stopped.
#pragma once

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"

namespace csoc::demo {

class AccessLogStreamer {
 public:
  // One log per commons name, in `dir` (created), named <commons>.log.
  AccessLogStreamer(boost::asio::io_context& io, std::filesystem::path dir, std::vector<std::string> commons,
                    double requests_per_second = 4, std::chrono::minutes backfill = std::chrono::minutes(120));
  ~AccessLogStreamer();
  AccessLogStreamer(const AccessLogStreamer&) = delete;
  AccessLogStreamer& operator=(const AccessLogStreamer&) = delete;

  // Writes the backfill and starts the timer.
  Status Start();
  void Stop();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

// logs.yaml for the demo fleet: one source per commons, attributed to that environment, reading
// logs/<commons>.log relative to the config directory, in the format the streamer writes.
Status WriteAccessLogConfig(const std::filesystem::path& config_dir, const std::vector<std::string>& commons);

}  // namespace csoc::demo

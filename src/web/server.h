// The HTTP server (Boost.Beast): the JSON API under /api/v1 (docs/api.md), the server-rendered
// dashboard, the server-sent-events stream, static assets, /metrics, /healthz and /readyz.
//
// Threading: the server runs on the io_context it is given (one event loop, run by one thread).
// It reads monitor snapshots and opens its own read-only Store connection.
#pragma once

#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "core/metrics.h"
#include "core/status.h"
#include "monitor/monitor.h"
#include "store/store.h"

namespace csoc::web {

struct ServerOptions {
  std::string listen = "127.0.0.1:8080";  // host:port; port 0 picks a free port
  std::string title = "csoc";
};

struct ServerDeps {
  monitor::Monitor* monitor = nullptr;             // required
  store::Store* store = nullptr;                   // for history and events; may be null
  MetricsRegistry* metrics = nullptr;              // required
  std::function<bool()> ready = [] { return true; };  // for /readyz
};

class Server {
 public:
  Server(boost::asio::io_context& io, ServerOptions options, ServerDeps deps);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and starts accepting. Fails with a message naming the address when it cannot bind.
  Status Start();
  // Stops accepting, closes event streams, lets in-flight requests finish. Call on the io thread
  // (or post it there).
  void Stop();
  uint16_t port() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace csoc::web

// The HTTP server (Boost.Beast): the JSON API under /api/v1 (docs/api.md), the server-rendered
// dashboard, the server-sent-events stream, static assets, /metrics, /healthz and /readyz.
//
// Threading: the server runs on the io_context it is given (one event loop, run by one thread).
// It reads monitor snapshots and opens its own read-only Store connection.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>  // callers post Stop() to the io thread
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "auth/tokens.h"
#include "core/metrics.h"
#include "core/status.h"
#include "logs/ingest.h"
#include "logs/store.h"
#include "monitor/monitor.h"
#include "statuspage/feed.h"
#include "statuspage/status_page.h"
#include "store/store.h"

namespace csoc::web {

struct ServerOptions {
  std::string listen = "127.0.0.1:8080";  // host:port; port 0 picks a free port
  std::string title = "csoc";
  // A connection with no request in progress is closed after this long; so is one whose request
  // or response does not move for this long.
  std::chrono::milliseconds idle_timeout{60'000};
  // Requests with a larger body are answered 413 and the connection is closed.
  size_t body_limit = 64 * 1024;
  // The body limit of the log ingestion routes (Loki push, HTTP push), which take large batches
  // from authenticated clients only: their token is checked before the body is read.
  size_t ingest_body_limit = 16 * 1024 * 1024;
  // Event streams get a comment line this often, so proxies and browsers keep them open.
  std::chrono::milliseconds stream_keepalive{15'000};
  // An event-stream client that has this many bytes not yet sent is too slow and is dropped.
  size_t stream_max_backlog = 256 * 1024;
  // The status page API's base path, and the origins other sites may call it from (CORS).
  std::string status_api_base = "/status-api/v1";
  std::vector<std::string> cors_origins = {"*"};
  std::string status_title = "Status";
  std::string status_description;
  std::string status_public_url;
  std::string status_logo, status_logo_content_type;
  std::map<std::string, std::string> status_colors;
  // Serve only the public status page, its JSON, the SCS API and static assets (a second listener
  // that can face the internet without the operator dashboard). Such a server does not drive the
  // status page's feed: the main server does.
  bool public_only = false;
  // How often the status page follows monitoring (component conditions, automatic incidents).
  std::chrono::milliseconds status_feed_interval{1'000};
};

// Where the server reads the live state. By default it adapts ServerDeps::monitor; tests and
// embedders may give their own (for example hand-built snapshots). Same threading contract as
// monitor::Monitor: Snapshot() from any thread, listeners called on any thread, must not block.
class LiveSource {
 public:
  virtual ~LiveSource() = default;
  // May be null before the first snapshot is published.
  virtual std::shared_ptr<const monitor::FleetSnapshot> Snapshot() const = 0;
  virtual uint64_t Subscribe(monitor::Monitor::Listener listener) = 0;
  virtual void Unsubscribe(uint64_t id) = 0;
};

struct ServerDeps {
  monitor::Monitor* monitor = nullptr;                // required unless `live` is set
  store::Store* store = nullptr;                      // for history and events; may be null
  MetricsRegistry* metrics = nullptr;                 // required
  std::function<bool()> ready = [] { return true; };  // for /readyz
  LiveSource* live = nullptr;                         // when set, used instead of `monitor`
  // The status page and the tokens that guard writes. Both are used on the server's io thread only
  // from Start() on; either may be null (no status page; every write refused).
  statuspage::StatusPage* status_page = nullptr;
  statuspage::Feed* status_feed = nullptr;  // required with status_page
  auth::TokenStore* tokens = nullptr;
  // Access-log analytics: the server's own connection to the logs tables (used on its io thread),
  // and the live state of the log sources. Without a store there are no /logs routes.
  logs::LogStore* log_store = nullptr;
  std::function<std::vector<logs::SourceStatus>()> log_sources;
  // Where pushed logs go (HTTP push, Loki push API, Faro collector); null: no ingestion routes.
  logs::Ingester* log_ingester = nullptr;
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
  std::shared_ptr<Impl> impl_;  // shared with the connections, which may finish after ~Server
};

}  // namespace csoc::web

// Request → response for every route of the server, without any networking, so that routing,
// parameters, errors and headers are testable directly. The server (server.cpp) feeds it parsed
// requests and streams server-sent events itself for responses marked `event_stream`.
//
// Threading: one Handler is used by one thread (the server's io thread): it queries the Store,
// which is single-threaded.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/metrics.h"
#include "store/store.h"
#include "web/pages.h"
#include "web/server.h"

namespace csoc::web {

struct Request {
  std::string method;  // "GET", "HEAD", ...
  std::string target;  // path and query as received, e.g. "/api/v1/checks?state=down"
  std::string if_none_match;
  // Every header as received, names in lower case; a repeated header appears once per copy.
  std::vector<std::pair<std::string, std::string>> headers;
  // At most ServerOptions::body_limit bytes, or a route's own larger limit (the server answers 413
  // beyond). Empty when a route's before_body check sees the request (router.h).
  std::string body;
  std::string peer;  // the client's address, for logs

  // The first header called `name` (lower case), or null.
  const std::string* Header(std::string_view name) const;
};

struct Response {
  int status = 200;
  std::string content_type;
  std::string body;
  // An immutable body shared with a cache: when set, it is the body (and `body` is empty), and the
  // server writes it as it is, keeping it alive until the write completes, so that an answer from
  // a cache costs no copy however large it is. Use Body() to read either.
  std::shared_ptr<const std::string> shared_body;
  std::vector<std::pair<std::string, std::string>> headers;  // besides Content-Type and the security headers
  // The route pattern, a bounded label for metrics: "/api/v1/checks/{id}", "other" when none matched.
  std::string route;
  // The request asked for the event stream; the server takes over the connection.
  bool event_stream = false;
  // Set by a route that answers later, when work on another thread is done (a pushed batch is
  // answered after the commit that stores it). The server calls it once with `send`, which takes
  // the final answer and may be called from any thread, exactly once, while the server's io_context
  // still exists (csoc serve stops the ingester before the web thread); the rest of this Response
  // is not sent.
  using Send = std::function<void(Response)>;
  std::function<void(Send send)> deferred;

  const std::string* Header(std::string_view name) const;
  std::string_view Body() const { return shared_body ? std::string_view(*shared_body) : std::string_view(body); }
  // Moves `body` into `shared_body` (once), so that copies of this Response share it.
  void ShareBody();
  // Applies `amend` to this answer now, or, when it is deferred, to the final answer when it comes
  // (headers that every answer of a route gets).
  void Amend(std::function<void(Response&)> amend);
};

// "/static/<name>?v=<content hash>": a URL that changes with the asset, so it can be cached for good.
std::string VersionedAssetUrl(std::string_view name);

// Headers sent with every answer: CSP, nosniff, no referrer.
const std::vector<std::pair<std::string, std::string>>& SecurityHeaders();

class Router;

class Handler {
 public:
  // `router` (may be null) holds the routes of the capabilities (web/*_routes.h); it is tried
  // before the fleet API and dashboard routes that the Handler answers itself.
  Handler(std::string title, LiveSource* live, store::Store* store, MetricsRegistry* metrics,
          std::function<bool()> ready, const Router* router = nullptr);

  Response Handle(const Request& request) { return Handle(request, Clock::now()); }
  // `now` is the reference for default time ranges and relative times.
  Response Handle(const Request& request, TimePoint now);

 private:
  struct Asset {
    std::string data;
    std::string content_type;
    std::string etag;  // quoted
  };
  class Call;

  std::string title_;
  LiveSource* live_;
  store::Store* store_;
  MetricsRegistry* metrics_;
  std::function<bool()> ready_;
  const Router* router_;
  std::map<std::string, Asset, std::less<>> assets_;
};

}  // namespace csoc::web

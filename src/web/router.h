// A small router for the capabilities' routes: each capability registers its routes from its own
// file (web/*_routes.cpp) as (methods, pattern, function). A pattern is a path whose segments are
// literal or `{name}` (one non-empty segment, percent-decoded); it doubles as the metrics label.
// The first route whose pattern matches the path answers; a path that matches with another method
// gets 405 with `Allow`. HEAD is allowed wherever GET is. Routes marked for CORS answer preflight
// OPTIONS requests and carry the CORS headers for allowed origins (the router's policy, or the
// route's own). A route may set its own body limit and checks that run before its body is read
// (PlanBody), and may answer later (Response::deferred).
//
// Threading: routes are added before the server starts; Dispatch is then called by one thread.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/time.h"
#include "web/handler.h"
#include "web/params.h"

namespace csoc::web {

// What a route function gets.
struct RouteCall {
  const Request& request;
  TimePoint now;
  std::string_view path;
  QueryParams query;                          // parsed; a malformed query never reaches a route
  std::map<std::string, std::string> params;  // the pattern's {name} segments, decoded
  std::string route;                          // the pattern, for Response::route

  const std::string& Param(const std::string& name) const { return params.at(name); }
};

using RouteFn = std::function<Response(RouteCall&)>;

// Which cross-origin callers may use the CORS routes: "*" for any, else exact origins
// ("https://status.example.org"). Credentials (Authorization headers, cookies) are allowed for the
// origins that match, as the SCS web frontend sends them.
struct CorsPolicy {
  std::vector<std::string> origins;
  bool Allows(std::string_view origin) const;
};

class Router {
 public:
  struct Options {
    bool cors = false;
    // Answers for malformed queries and method errors use this JSON shape: (status, message) → body.
    std::function<std::string(int, const std::string&)> error_body;
    // The most body this route takes, instead of the server's limit (0: the server's).
    size_t body_limit = 0;
    // Checks on the request line and headers, made before the body is read (request.body is empty
    // then): an answer here is sent without reading the body, and the connection is closed. For
    // what must be refused before a large body is buffered: credentials, rate limits. The route's
    // function is still called with the whole request when this lets it through.
    std::function<std::optional<Response>(const Request&, TimePoint)> before_body;
    // Which origins this route's CORS answers allow, instead of the router's policy (asked per
    // request, so it may follow a config reload).
    std::function<bool(std::string_view origin)> cors_allows;
  };

  // What to do before reading a request's body: the body limit of its route (`default_limit` when
  // the route sets none or no route matches), or the route's early answer (before_body).
  struct BodyPlan {
    size_t limit = 0;
    std::optional<Response> answer;
  };

  void SetCors(CorsPolicy policy) { cors_ = std::move(policy); }
  void Add(std::vector<std::string> methods, std::string pattern, RouteFn fn, Options options);

  // The answer of the matching route, or nullopt when no pattern matches the path.
  std::optional<Response> Dispatch(const Request& request, TimePoint now) const;
  // `head` is a request whose body has not been read.
  BodyPlan PlanBody(const Request& head, TimePoint now, size_t default_limit) const;

 private:
  struct Route {
    std::vector<std::string> methods;
    std::string pattern;
    std::vector<std::string> segments;
    RouteFn fn;
    Options options;
  };
  static bool Match(const Route& route, const std::vector<std::string_view>& segments,
                    std::map<std::string, std::string>* params);
  std::function<bool(std::string_view)> CorsOf(const Route& route) const;
  // Sets the route label and, for CORS routes, the CORS headers, on the answer or, when it is
  // deferred, on the final answer.
  void Finish(const Route& route, const Request& request, Response* r) const;

  std::vector<Route> routes_;
  CorsPolicy cors_;
};

}  // namespace csoc::web

#include "web/router.h"

#include <fmt/format.h>

#include <algorithm>

#include "web/text.h"

namespace csoc::web {
namespace {

std::vector<std::string_view> Split(std::string_view path) {
  std::vector<std::string_view> out;
  size_t pos = 1;  // after the leading '/'
  while (pos <= path.size()) {
    size_t slash = path.find('/', pos);
    if (slash == std::string_view::npos) slash = path.size();
    out.push_back(path.substr(pos, slash - pos));
    pos = slash + 1;
  }
  return out;
}

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : ", ") + i;
  return out;
}

Response ErrorResponse(const Router::Options& options, std::string route, int status, const std::string& message) {
  Response r;
  r.status = status;
  r.route = std::move(route);
  r.content_type = "application/json";
  r.body = options.error_body ? options.error_body(status, message) : message;
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

}  // namespace

bool CorsPolicy::Allows(std::string_view origin) const {
  if (origin.empty()) return false;
  return std::any_of(origins.begin(), origins.end(), [&](const std::string& o) { return o == "*" || o == origin; });
}

void Router::Add(std::vector<std::string> methods, std::string pattern, RouteFn fn, Options options) {
  Route r;
  if (std::find(methods.begin(), methods.end(), "GET") != methods.end()) methods.push_back("HEAD");
  r.methods = std::move(methods);
  for (auto s : Split(pattern)) r.segments.emplace_back(s);
  r.pattern = std::move(pattern);
  r.fn = std::move(fn);
  r.options = std::move(options);
  routes_.push_back(std::move(r));
}

bool Router::Match(const Route& route, const std::vector<std::string_view>& segments,
                   std::map<std::string, std::string>* params) {
  if (route.segments.size() != segments.size()) return false;
  params->clear();
  for (size_t i = 0; i < segments.size(); ++i) {
    const std::string& want = route.segments[i];
    if (want.size() >= 2 && want.front() == '{' && want.back() == '}') {
      auto decoded = PercentDecode(segments[i]);
      if (!decoded || decoded->empty()) return false;
      (*params)[want.substr(1, want.size() - 2)] = std::move(*decoded);
    } else if (want != segments[i]) {
      return false;
    }
  }
  return true;
}

namespace {

void AddCorsHeaders(const std::function<bool(std::string_view)>& allows, const std::string* origin, const std::string* asked,
                    const std::vector<std::string>& methods, bool preflight, Response* r) {
  r->headers.emplace_back("Vary", "Origin");
  if (origin == nullptr || origin->empty() || !allows(*origin)) return;
  r->headers.emplace_back("Access-Control-Allow-Origin", *origin);
  r->headers.emplace_back("Access-Control-Allow-Credentials", "true");
  if (preflight) {
    r->headers.emplace_back("Access-Control-Allow-Methods", Join(methods));
    r->headers.emplace_back("Access-Control-Allow-Headers",
                            asked != nullptr && !asked->empty() ? *asked : "Authorization, Content-Type");
    r->headers.emplace_back("Access-Control-Max-Age", "600");
  }
}

}  // namespace

std::function<bool(std::string_view)> Router::CorsOf(const Route& route) const {
  if (route.options.cors_allows) return route.options.cors_allows;
  return [policy = cors_](std::string_view origin) { return policy.Allows(origin); };
}

void Router::Finish(const Route& route, const Request& request, Response* r) const {
  std::optional<std::string> origin;
  if (const std::string* o = request.Header("origin")) origin = *o;
  r->Amend([pattern = route.pattern, cors = route.options.cors ? CorsOf(route) : std::function<bool(std::string_view)>(),
            methods = route.methods, origin](Response& x) {
    if (x.route.empty()) x.route = pattern;
    if (cors) AddCorsHeaders(cors, origin ? &*origin : nullptr, nullptr, methods, false, &x);
  });
}

Router::BodyPlan Router::PlanBody(const Request& head, TimePoint now, size_t default_limit) const {
  BodyPlan plan;
  plan.limit = default_limit;
  std::string_view target = head.target;
  std::string_view path = target.substr(0, target.find('?'));
  if (path.empty() || path.front() != '/') return plan;
  const std::vector<std::string_view> segments = Split(path);
  std::map<std::string, std::string> params;
  for (const Route& route : routes_) {
    if (!Match(route, segments, &params)) continue;
    if (std::find(route.methods.begin(), route.methods.end(), head.method) == route.methods.end()) continue;
    if (route.options.body_limit > 0) plan.limit = route.options.body_limit;
    if (route.options.before_body) {
      plan.answer = route.options.before_body(head, now);
      if (plan.answer) Finish(route, head, &*plan.answer);
    }
    return plan;
  }
  return plan;
}

std::optional<Response> Router::Dispatch(const Request& request, TimePoint now) const {
  std::string_view target = request.target;
  size_t q = target.find('?');
  std::string_view path = target.substr(0, q);
  std::string_view query = q == std::string_view::npos ? std::string_view() : target.substr(q + 1);
  if (path.empty() || path.front() != '/') return std::nullopt;
  std::vector<std::string_view> segments = Split(path);

  std::map<std::string, std::string> params;
  const Route* matched_path = nullptr;
  std::vector<std::string> allowed;
  for (const Route& route : routes_) {
    if (!Match(route, segments, &params)) continue;
    if (matched_path == nullptr) matched_path = &route;
    for (const auto& m : route.methods) {
      if (std::find(allowed.begin(), allowed.end(), m) == allowed.end()) allowed.push_back(m);
    }
    if (std::find(route.methods.begin(), route.methods.end(), request.method) == route.methods.end()) continue;
    RouteCall call{request, now, path, {}, std::move(params), route.pattern};
    Status s = QueryParams::Parse(query, &call.query);
    Response r = s.ok() ? route.fn(call) : ErrorResponse(route.options, route.pattern, 400, s.message());
    Finish(route, request, &r);
    return r;
  }
  if (matched_path == nullptr) return std::nullopt;
  if (request.method == "OPTIONS" && matched_path->options.cors) {
    Response r;
    r.status = 204;
    r.route = matched_path->pattern;
    allowed.push_back("OPTIONS");
    r.headers.emplace_back("Allow", Join(allowed));
    AddCorsHeaders(CorsOf(*matched_path), request.Header("origin"), request.Header("access-control-request-headers"),
                   allowed, true, &r);
    return r;
  }
  Response r =
      ErrorResponse(matched_path->options, matched_path->pattern, 405,
                    fmt::format("method {} is not allowed on {} (allowed: {})", request.method, path, Join(allowed)));
  r.headers.emplace_back("Allow", Join(allowed));
  if (matched_path->options.cors) AddCorsHeaders(CorsOf(*matched_path), request.Header("origin"), nullptr, allowed, false, &r);
  return r;
}

}  // namespace csoc::web

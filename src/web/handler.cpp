#include "web/handler.h"

#include <fmt/format.h>

#include <algorithm>

#include "web/api_json.h"
#include "web/assets.h"
#include "web/charts.h"
#include "web/params.h"
#include "web/router.h"
#include "web/text.h"
#include "web/views.h"

namespace csoc::web {
namespace {

using std::chrono::milliseconds;

constexpr std::string_view kHtml = "text/html; charset=utf-8";
constexpr std::string_view kJson = "application/json";
constexpr std::string_view kText = "text/plain; charset=utf-8";
constexpr std::string_view kApiPrefix = "/api/v1/";
constexpr std::string_view kHistorySuffix = "/history";
constexpr milliseconds kDay = std::chrono::hours(24);
// Answers larger than this many series points are refused with a hint to choose a coarser resolution.
constexpr int64_t kMaxSeriesPoints = 50'000;
constexpr milliseconds kMaxRawRange = std::chrono::hours(24);

std::string ContentTypeFor(std::string_view name) {
  auto ends = [&](std::string_view ext) {
    return name.size() >= ext.size() && name.substr(name.size() - ext.size()) == ext;
  };
  if (ends(".css")) return "text/css; charset=utf-8";
  if (ends(".js") || ends(".mjs")) return "text/javascript; charset=utf-8";
  if (ends(".svg")) return "image/svg+xml";
  if (ends(".png")) return "image/png";
  if (ends(".ico")) return "image/x-icon";
  if (ends(".woff2")) return "font/woff2";
  if (ends(".json")) return "application/json";
  if (ends(".txt")) return "text/plain; charset=utf-8";
  return "application/octet-stream";
}

std::string Fnv1a64Hex(std::string_view data) {
  uint64_t h = 14695981039346656037ULL;
  for (char c : data) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ULL;
  }
  return fmt::format("{:016x}", h);
}

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

bool StartsWith(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

// True when an If-None-Match header value names `etag` (a list of quoted tags, or "*").
bool EtagMatches(std::string_view header, std::string_view etag) {
  if (header.empty()) return false;
  if (header == "*") return true;
  size_t pos = 0;
  while (pos < header.size()) {
    size_t comma = header.find(',', pos);
    std::string_view tag = header.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos);
    while (!tag.empty() && tag.front() == ' ') tag.remove_prefix(1);
    while (!tag.empty() && tag.back() == ' ') tag.remove_suffix(1);
    if (StartsWith(tag, "W/")) tag.remove_prefix(2);
    if (tag == etag) return true;
    if (comma == std::string_view::npos) break;
    pos = comma + 1;
  }
  return false;
}

// Events of exactly one check. The store filters by id prefix, and "env/svc/chk" is a prefix of
// "env/svc/chk-2", so pages are read until `limit` events of the check itself are found.
Status QueryCheckEvents(store::Store& store, store::EventQuery query, const std::string& check_id,
                        std::vector<store::EventRecord>* out) {
  out->clear();
  int wanted = query.limit;
  query.check_id_prefix = check_id;
  query.limit = std::max(wanted, 200);
  while (true) {
    std::vector<store::EventRecord> page;
    Status s = store.QueryEvents(query, &page);
    if (!s.ok()) return s;
    for (auto& e : page) {
      if (e.check_id != check_id) continue;
      out->push_back(std::move(e));
      if (static_cast<int>(out->size()) == wanted) return Status::Ok();
    }
    if (static_cast<int>(page.size()) < query.limit) return Status::Ok();
    query.before_id = page.back().id;
  }
}

}  // namespace

std::string VersionedAssetUrl(std::string_view name) {
  for (const auto& a : Assets()) {
    if (a.name == name) return "/static/" + std::string(name) + "?v=" + Fnv1a64Hex(a.data).substr(0, 12);
  }
  return "/static/" + std::string(name);
}

const std::string* Request::Header(std::string_view name) const {
  for (const auto& [n, v] : headers) {
    if (n == name) return &v;
  }
  return nullptr;
}

const std::string* Response::Header(std::string_view name) const {
  for (const auto& [n, v] : headers) {
    if (n == name) return &v;
  }
  return nullptr;
}

void Response::ShareBody() {
  if (shared_body) return;
  shared_body = std::make_shared<const std::string>(std::move(body));
  body.clear();
}

void Response::Amend(std::function<void(Response&)> amend) {
  if (!deferred) {
    amend(*this);
    return;
  }
  deferred = [inner = std::move(deferred), amend = std::move(amend)](Send send) {
    inner([send = std::move(send), amend](Response r) {
      amend(r);
      send(std::move(r));
    });
  };
}

const std::vector<std::pair<std::string, std::string>>& SecurityHeaders() {
  static const std::vector<std::pair<std::string, std::string>> kHeaders = {
      {"Content-Security-Policy",
       "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"},
      {"X-Content-Type-Options", "nosniff"},
      {"Referrer-Policy", "no-referrer"},
  };
  return kHeaders;
}

Handler::Handler(std::string title, LiveSource* live, store::Store* store, MetricsRegistry* metrics,
                 std::function<bool()> ready, const Router* router)
    : title_(std::move(title)),
      live_(live),
      store_(store),
      metrics_(metrics),
      ready_(std::move(ready)),
      router_(router) {
  for (const auto& a : Assets()) {
    Asset asset;
    asset.data = std::string(a.data);
    asset.content_type = ContentTypeFor(a.name);
    asset.etag = "\"" + Fnv1a64Hex(a.data) + "\"";
    assets_.emplace(std::string(a.name), std::move(asset));
  }
}

// One request being answered: the parsed target and the helpers that build answers.
class Handler::Call {
 public:
  Call(Handler& h, const Request& req, TimePoint now) : h_(h), req_(req), now_(now) {}

  Response Run() {
    std::string_view target = req_.target;
    size_t q = target.find('?');
    path_ = target.substr(0, q);
    query_ = q == std::string_view::npos ? std::string_view() : target.substr(q + 1);
    if (path_.empty() || path_.front() != '/') return Text(400, "other", "request target must start with '/'\n");

    if (path_ == "/") return Page("/", [&] { return FleetPage(); });
    if (StartsWith(path_, "/environments/")) {
      return Page("/environments/{name}", [&] { return EnvironmentPage(path_.substr(14)); });
    }
    if (StartsWith(path_, "/checks/")) return Page("/checks/{id}", [&] { return CheckPage(path_.substr(8)); });
    if (StartsWith(path_, "/static/")) return Get("/static/{name}", [&] { return Static(path_.substr(8)); });
    if (path_ == "/healthz") return Get("/healthz", [&] { return Text(200, "/healthz", "ok\n"); });
    if (path_ == "/readyz") {
      return Get("/readyz", [&] {
        bool ready = h_.ready_ ? h_.ready_() : true;
        return Text(ready ? 200 : 503, "/readyz", ready ? "ready\n" : "not ready\n");
      });
    }
    if (path_ == "/metrics") {
      return Get("/metrics", [&] {
        Response r = Text(200, "/metrics", h_.metrics_ ? h_.metrics_->RenderPrometheus() : std::string());
        r.content_type = "text/plain; version=0.0.4; charset=utf-8";
        return r;
      });
    }
    if (StartsWith(path_, kApiPrefix)) return Api(path_.substr(kApiPrefix.size()));
    if (path_ == "/api" || path_ == "/api/" || path_ == "/api/v1") {
      return ApiError(404, "other", fmt::format("no such API path '{}'; the API lives under /api/v1/", path_));
    }
    route_ = "other";
    return PageError(404, "Page not found", fmt::format("There is no page at {}.", path_));
  }

 private:
  // ---- Method checks ----

  bool MethodAllowed() const { return req_.method == "GET" || req_.method == "HEAD"; }

  Response MethodNotAllowed(bool json) {
    std::string message = fmt::format("method {} is not allowed on {} (allowed: GET, HEAD)", req_.method, path_);
    Response r = json ? ApiError(405, route_, message) : Text(405, route_, message + "\n");
    r.headers.emplace_back("Allow", "GET, HEAD");
    return r;
  }

  template <typename Fn>
  Response Get(std::string route, Fn fn) {
    route_ = std::move(route);
    if (!MethodAllowed()) return MethodNotAllowed(false);
    return fn();
  }

  template <typename Fn>
  Response Page(std::string route, Fn fn) {
    route_ = std::move(route);
    if (!MethodAllowed()) {
      Response r =
          PageError(405, "Method not allowed",
                    fmt::format("Method {} is not allowed on {}: the dashboard is read-only.", req_.method, path_));
      r.headers.emplace_back("Allow", "GET, HEAD");
      return r;
    }
    return fn();
  }

  // ---- Answers ----

  Response Text(int status, std::string route, std::string body) {
    Response r;
    r.status = status;
    r.route = std::move(route);
    r.content_type = std::string(kText);
    r.body = std::move(body);
    r.headers.emplace_back("Cache-Control", "no-store");
    return r;
  }

  Response JsonAnswer(const Json& j) {
    Response r;
    r.route = route_;
    r.content_type = std::string(kJson);
    r.body = DumpJson(j);
    r.body += '\n';
    r.headers.emplace_back("Cache-Control", "no-store");
    return r;
  }

  Response ApiError(int status, std::string route, const std::string& message) {
    Response r;
    r.status = status;
    r.route = std::move(route);
    r.content_type = std::string(kJson);
    r.body = DumpJson(ErrorJson(status, message)) + "\n";
    r.headers.emplace_back("Cache-Control", "no-store");
    return r;
  }

  Response ApiStatusError(const Status& s) {
    switch (s.code()) {
      case Status::Code::kInvalidArgument: return ApiError(400, route_, s.message());
      case Status::Code::kNotFound: return ApiError(404, route_, s.message());
      case Status::Code::kUnavailable: return ApiError(503, route_, s.message());
      default: return ApiError(500, route_, "history query failed: " + s.ToString());
    }
  }

  Response HtmlAnswer(int status, std::string html) {
    Response r;
    r.status = status;
    r.route = route_;
    r.content_type = std::string(kHtml);
    r.body = std::move(html);
    r.headers.emplace_back("Cache-Control", "no-store");
    return r;
  }

  Response PageError(int status, std::string_view heading, std::string_view message) {
    Response r = HtmlAnswer(status, RenderErrorPage(Context(), status, heading, message));
    if (status == 503) r.headers.emplace_back("Retry-After", "1");
    return r;
  }

  PageContext Context() const {
    PageContext ctx;
    ctx.title = h_.title_;
    ctx.now = now_;
    ctx.css_url = AssetUrl("app.css");
    ctx.js_url = AssetUrl("app.js");
    ctx.icon_url = AssetUrl("favicon.svg");
    return ctx;
  }

  std::string AssetUrl(std::string_view name) const {
    auto it = h_.assets_.find(name);
    std::string url = "/static/" + std::string(name);
    if (it == h_.assets_.end()) return url;
    return url + "?v=" + it->second.etag.substr(1, 12);
  }

  // ---- Snapshot ----

  static constexpr std::string_view kNoSnapshot =
      "the monitor has not published its first snapshot yet; try again in a moment";

  // Null (and `error` set) when no snapshot is available yet.
  std::shared_ptr<const monitor::FleetSnapshot> Snap() {
    if (!snap_ && h_.live_ != nullptr) snap_ = h_.live_->Snapshot();
    return snap_;
  }

  // ---- Pages ----

  Response FleetPage() {
    auto snap = Snap();
    if (!snap) return PageError(503, "No data yet", kNoSnapshot);
    return HtmlAnswer(200, RenderFleetPage(Context(), *snap));
  }

  Response EnvironmentPage(std::string_view raw) {
    auto name = PercentDecode(raw);
    if (!name || name->find('/') != std::string::npos || raw.find('/') != std::string_view::npos) {
      return PageError(404, "Page not found", fmt::format("There is no page at {}.", path_));
    }
    auto snap = Snap();
    if (!snap) return PageError(503, "No data yet", kNoSnapshot);
    const monitor::EnvironmentView* env = snap->FindEnvironment(*name);
    if (env == nullptr) {
      return PageError(404, "Environment not found",
                       fmt::format("There is no environment named '{}' in the fleet.", *name));
    }
    PageHistory history;
    history.available = h_.store_ != nullptr;
    if (history.available) {
      std::vector<std::string> ids = CheckIdsOf(*snap, *env);
      Status s = LoadLatency(ids, kDay, &history);
      if (s.ok()) {
        history.days = 90;
        history.first_day = FromUnixMillis(ToUnixMillis(now_) / kDay.count() * kDay.count()) - kDay * 89;
        s = h_.store_->QuerySeries(ids, history.first_day, now_ + milliseconds(1), store::Resolution::kDay,
                                   &history.daily);
      }
      if (s.ok()) {
        store::EventQuery q;
        q.check_id_prefix = env->environment->name + "/";
        q.limit = 20;
        s = h_.store_->QueryEvents(q, &history.events);
      }
      if (!s.ok()) history.error = s.ToString();
    }
    return HtmlAnswer(200, RenderEnvironmentPage(Context(), *snap, *env, history));
  }

  Response CheckPage(std::string_view raw) {
    auto id = PercentDecode(raw);
    if (!id) return PageError(404, "Page not found", fmt::format("There is no page at {}.", path_));
    QueryParams params;
    Status s = QueryParams::Parse(query_, &params);
    std::string range = "24h";
    milliseconds length = kDay;
    if (s.ok() && params.Find("range") != nullptr) {
      range = *params.Find("range");
      const auto& ranges = CheckPageRanges();
      auto it = std::find_if(ranges.begin(), ranges.end(), [&](const auto& r) { return r.first == range; });
      if (it == ranges.end()) {
        s = Status::InvalidArgument(
            fmt::format("parameter 'range': expected one of 1h, 24h, 7d, 90d, got '{}'", range));
      } else {
        length = it->second;
      }
    }
    if (!s.ok()) return PageError(400, "Bad request", s.message());
    auto snap = Snap();
    if (!snap) return PageError(503, "No data yet", kNoSnapshot);
    const monitor::CheckView* check = snap->FindCheck(*id);
    if (check == nullptr) {
      return PageError(404, "Check not found", fmt::format("There is no check with id '{}' in the fleet.", *id));
    }
    PageHistory history;
    history.available = h_.store_ != nullptr;
    if (history.available) {
      s = LoadLatency({check->check->id}, length, &history);
      if (s.ok())
        s = h_.store_->QueryResults(check->check->id, now_ - length, now_ + milliseconds(1), 50, &history.results);
      if (s.ok()) {
        store::EventQuery q;
        q.limit = 20;
        s = QueryCheckEvents(*h_.store_, q, check->check->id, &history.events);
      }
      if (!s.ok()) history.error = s.ToString();
    }
    return HtmlAnswer(200, RenderCheckPage(Context(), *snap, *check, range, history));
  }

  // Fills the latency chart of a page over the last `length`, at most about 360 points.
  Status LoadLatency(const std::vector<std::string>& ids, milliseconds length, PageHistory* history) {
    store::Resolution resolution =
        length <= std::chrono::hours(24) ? store::Resolution::kMinute : store::Resolution::kHour;
    history->latency_to = now_;
    history->latency_from = now_ - length;
    std::vector<store::SeriesPoint> points;
    Status s = h_.store_->QuerySeries(ids, history->latency_from, now_ + milliseconds(1), resolution, &points);
    if (!s.ok()) return s;
    milliseconds bucket = BucketWidth(resolution);
    milliseconds coarse = CoarserBucket(length, bucket, 360);
    history->latency_bucket = coarse;
    history->latency = coarse == bucket ? std::move(points) : Rebucket(points, coarse);
    return Status::Ok();
  }

  // ---- Static files ----

  Response Static(std::string_view name) {
    auto it = h_.assets_.find(name);
    if (it == h_.assets_.end()) return Text(404, route_, fmt::format("no static file named '{}'\n", name));
    const Asset& asset = it->second;
    Response r;
    r.route = route_;
    r.content_type = asset.content_type;
    r.headers.emplace_back("ETag", asset.etag);
    QueryParams params;
    bool versioned = QueryParams::Parse(query_, &params).ok() && params.Find("v") != nullptr &&
                     *params.Find("v") == asset.etag.substr(1, 12);
    // A versioned URL changes with the content, so it can be cached for good; a bare one revalidates.
    r.headers.emplace_back("Cache-Control", versioned ? "public, max-age=31536000, immutable" : "no-cache");
    if (EtagMatches(req_.if_none_match, asset.etag)) {
      r.status = 304;
      return r;
    }
    r.body = asset.data;
    return r;
  }

  // ---- API ----

  Response Api(std::string_view rest) {
    auto simple = [&](std::string route, auto fn) -> Response {
      route_ = std::move(route);
      if (!MethodAllowed()) return MethodNotAllowed(true);
      Status s = QueryParams::Parse(query_, &params_);
      if (!s.ok()) return ApiError(400, route_, s.message());
      if (route_ != "/api/v1/stream") {
        if (!Snap()) {
          Response r = ApiError(503, route_, std::string(kNoSnapshot));
          r.headers.emplace_back("Retry-After", "1");
          return r;
        }
      }
      return fn();
    };
    if (rest == "fleet") return simple("/api/v1/fleet", [&] { return ApiFleet(); });
    if (rest == "clusters") return simple("/api/v1/clusters", [&] { return ApiClusters(); });
    if (StartsWith(rest, "clusters/")) {
      return simple("/api/v1/clusters/{name}", [&] { return ApiCluster(rest.substr(9)); });
    }
    if (rest == "environments") return simple("/api/v1/environments", [&] { return ApiEnvironments(); });
    if (StartsWith(rest, "environments/")) {
      std::string_view name = rest.substr(13);
      if (EndsWith(name, kHistorySuffix)) {
        return simple("/api/v1/environments/{name}/history",
                      [&] { return ApiEnvironmentHistory(name.substr(0, name.size() - kHistorySuffix.size())); });
      }
      return simple("/api/v1/environments/{name}", [&] { return ApiEnvironment(name); });
    }
    if (rest == "services") return simple("/api/v1/services", [&] { return ApiServices(); });
    if (rest == "checks") return simple("/api/v1/checks", [&] { return ApiChecks(); });
    if (StartsWith(rest, "checks/")) {
      std::string_view raw = rest.substr(7);
      // A check id has exactly three parts, so "env/svc/chk/history" cannot be a check's own id.
      auto id = PercentDecode(raw);
      if (EndsWith(raw, kHistorySuffix) && (!id || std::count(id->begin(), id->end(), '/') > 2)) {
        return simple("/api/v1/checks/{id}/history",
                      [&] { return ApiCheckHistory(raw.substr(0, raw.size() - kHistorySuffix.size())); });
      }
      return simple("/api/v1/checks/{id}", [&] { return ApiCheck(raw); });
    }
    if (rest == "events") return simple("/api/v1/events", [&] { return ApiEvents(); });
    if (rest == "stream") return simple("/api/v1/stream", [&] { return ApiStream(); });
    return ApiError(404, "other", fmt::format("no such API path '{}'", path_));
  }

  Response ApiFleet() {
    if (Status s = params_.OnlyAllowed({}); !s.ok()) return ApiError(400, route_, s.message());
    return JsonAnswer(FleetJson(*snap_, h_.title_));
  }

  Response ApiClusters() {
    if (Status s = params_.OnlyAllowed({}); !s.ok()) return ApiError(400, route_, s.message());
    Json list = Json::array();
    for (const auto* c : ClustersWorstFirst(*snap_)) list.push_back(ClusterJson(*snap_, *c));
    return JsonAnswer(Json{{"clusters", list}});
  }

  Response ApiCluster(std::string_view raw) {
    if (Status s = params_.OnlyAllowed({}); !s.ok()) return ApiError(400, route_, s.message());
    auto name = PercentDecode(raw);
    if (!name) return ApiError(400, route_, fmt::format("malformed %-escape in cluster name '{}'", raw));
    const monitor::ClusterView* c = snap_->FindCluster(*name);
    if (c == nullptr) return ApiError(404, route_, fmt::format("unknown cluster '{}'", *name));
    return JsonAnswer(ClusterJson(*snap_, *c));
  }

  // Parses an optional health filter parameter.
  Status HealthParam(std::string_view name, std::optional<Health>* out) {
    const std::string* v = params_.Find(name);
    if (v == nullptr) return Status::Ok();
    auto h = ParseHealth(*v);
    if (!h) {
      return Status::InvalidArgument(
          fmt::format("parameter '{}': expected up, degraded, down or unknown, got '{}'", name, *v));
    }
    *out = *h;
    return Status::Ok();
  }

  Response ApiEnvironments() {
    Status s = params_.OnlyAllowed({"cluster", "health"});
    std::optional<Health> health;
    if (s.ok()) s = HealthParam("health", &health);
    if (!s.ok()) return ApiError(400, route_, s.message());
    const std::string* cluster = params_.Find("cluster");
    if (cluster != nullptr && snap_->FindCluster(*cluster) == nullptr) {
      return ApiError(404, route_, fmt::format("unknown cluster '{}'", *cluster));
    }
    Json list = Json::array();
    for (const auto* env : EnvironmentsWorstFirst(*snap_)) {
      if (cluster != nullptr && env->environment->cluster != *cluster) continue;
      if (health && env->health != *health) continue;
      list.push_back(EnvironmentSummaryJson(*snap_, *env));
    }
    return JsonAnswer(Json{{"environments", list}});
  }

  // Every service of the fleet, worst first; each names its environment and cluster.
  Response ApiServices() {
    Status s = params_.OnlyAllowed({"environment", "cluster", "health"});
    std::optional<Health> health;
    if (s.ok()) s = HealthParam("health", &health);
    if (!s.ok()) return ApiError(400, route_, s.message());
    const std::string* environment = params_.Find("environment");
    const std::string* cluster = params_.Find("cluster");
    if (Response r = CheckScope(environment, cluster); r.status != 200) return r;
    struct Match {
      const monitor::EnvironmentView* env;
      const monitor::ServiceView* service;
      std::string id;  // environment/service, for a stable order among equals
    };
    std::vector<Match> matches;
    for (const auto& env : snap_->environments) {
      if (environment != nullptr && env.environment->name != *environment) continue;
      if (cluster != nullptr && env.environment->cluster != *cluster) continue;
      for (const auto& service : env.services) {
        if (health && service.health != *health) continue;
        matches.push_back({&env, &service, env.environment->name + "/" + service.name});
      }
    }
    std::stable_sort(matches.begin(), matches.end(), [](const Match& a, const Match& b) {
      return WorseFirst(a.service->health, a.id, b.service->health, b.id);
    });
    Json list = Json::array();
    for (const Match& m : matches) {
      Json j;
      j["environment"] = m.env->environment->name;
      j["cluster"] = m.env->environment->cluster;
      j.update(ServiceJson(*snap_, *m.service));
      list.push_back(std::move(j));
    }
    return JsonAnswer(Json{{"services", list}});
  }

  Response ApiEnvironment(std::string_view raw) {
    if (Status s = params_.OnlyAllowed({}); !s.ok()) return ApiError(400, route_, s.message());
    const monitor::EnvironmentView* env = nullptr;
    if (Response r = FindEnvironment(raw, &env); r.status != 200) return r;
    return JsonAnswer(EnvironmentDetailJson(*snap_, *env));
  }

  // The `environment` and `cluster` filters of a list must name live ones (404 otherwise).
  Response CheckScope(const std::string* environment, const std::string* cluster) {
    if (environment != nullptr && snap_->FindEnvironment(*environment) == nullptr) {
      return ApiError(404, route_, fmt::format("unknown environment '{}'", *environment));
    }
    if (cluster != nullptr && snap_->FindCluster(*cluster) == nullptr) {
      return ApiError(404, route_, fmt::format("unknown cluster '{}'", *cluster));
    }
    return Response{};
  }

  Response FindEnvironment(std::string_view raw, const monitor::EnvironmentView** out) {
    auto name = PercentDecode(raw);
    if (!name) return ApiError(400, route_, fmt::format("malformed %-escape in environment name '{}'", raw));
    *out = snap_->FindEnvironment(*name);
    if (*out == nullptr) return ApiError(404, route_, fmt::format("unknown environment '{}'", *name));
    return Response{};
  }

  Response FindCheck(std::string_view raw, const monitor::CheckView** out) {
    auto id = PercentDecode(raw);
    if (!id) return ApiError(400, route_, fmt::format("malformed %-escape in check id '{}'", raw));
    *out = snap_->FindCheck(*id);
    if (*out == nullptr) return ApiError(404, route_, fmt::format("unknown check '{}'", *id));
    return Response{};
  }

  Response ApiChecks() {
    Status s = params_.OnlyAllowed({"environment", "cluster", "state", "limit"});
    std::optional<Health> state;
    int64_t limit = -1;
    if (s.ok()) s = HealthParam("state", &state);
    if (s.ok() && params_.Find("limit") != nullptr)
      s = ParseIntParam("limit", *params_.Find("limit"), 1, 100'000, &limit);
    if (!s.ok()) return ApiError(400, route_, s.message());
    const std::string* environment = params_.Find("environment");
    const std::string* cluster = params_.Find("cluster");
    if (Response r = CheckScope(environment, cluster); r.status != 200) return r;
    std::vector<const monitor::CheckView*> matches;
    for (const auto& c : snap_->checks) {
      if (environment != nullptr && c.check->environment != *environment) continue;
      if (cluster != nullptr && c.check->cluster != *cluster) continue;
      if (state && c.state != *state) continue;
      matches.push_back(&c);
    }
    std::stable_sort(matches.begin(), matches.end(), [](const auto* a, const auto* b) {
      return WorseFirst(a->state, a->check->id, b->state, b->check->id);
    });
    Json list = Json::array();
    for (const auto* c : matches) {
      if (limit >= 0 && static_cast<int64_t>(list.size()) >= limit) break;
      list.push_back(CheckSummaryJson(*c));
    }
    Json j;
    j["total"] = matches.size();
    j["checks"] = list;
    return JsonAnswer(j);
  }

  Response ApiCheck(std::string_view raw) {
    if (Status s = params_.OnlyAllowed({}); !s.ok()) return ApiError(400, route_, s.message());
    const monitor::CheckView* check = nullptr;
    if (Response r = FindCheck(raw, &check); r.status != 200) return r;
    return JsonAnswer(CheckDetailJson(*check));
  }

  struct Range {
    TimePoint from, to;
    store::Resolution resolution;
  };

  Status ParseRange(milliseconds default_length, Range* out) {
    out->to = now_;
    if (const std::string* v = params_.Find("to")) {
      if (Status s = ParseTimeParam("to", *v, &out->to); !s.ok()) return s;
    }
    out->from = out->to - default_length;
    if (const std::string* v = params_.Find("from")) {
      if (Status s = ParseTimeParam("from", *v, &out->from); !s.ok()) return s;
    }
    if (out->from >= out->to) {
      return Status::InvalidArgument(fmt::format("parameter 'from' ({}) must be before 'to' ({})",
                                                 FormatIso8601(out->from), FormatIso8601(out->to)));
    }
    auto length = std::chrono::duration_cast<milliseconds>(out->to - out->from);
    out->resolution = DefaultResolution(length);
    if (const std::string* v = params_.Find("resolution")) {
      auto r = store::ParseResolution(*v);
      if (!r) {
        return Status::InvalidArgument(
            fmt::format("parameter 'resolution': expected raw, minute, hour or day, got '{}'", *v));
      }
      out->resolution = *r;
    }
    if (out->resolution == store::Resolution::kRaw && length > kMaxRawRange) {
      return Status::InvalidArgument(fmt::format(
          "parameter 'resolution': raw results are served for ranges up to {}, this range is {}; choose minute, "
          "hour or day",
          FormatDuration(kMaxRawRange), FormatDuration(length)));
    }
    milliseconds bucket = BucketWidth(out->resolution);
    if (bucket.count() > 0 && length / bucket > kMaxSeriesPoints) {
      return Status::InvalidArgument(fmt::format(
          "parameter 'resolution': {} over {} would give {} points (at most {}); choose a coarser resolution or a "
          "shorter range",
          store::ResolutionName(out->resolution), FormatDuration(length), length / bucket, kMaxSeriesPoints));
    }
    return Status::Ok();
  }

  Response History(Json subject, const std::vector<std::string>& ids) {
    if (Status s = params_.OnlyAllowed({"from", "to", "resolution"}); !s.ok())
      return ApiError(400, route_, s.message());
    Range range;
    if (Status s = ParseRange(kDay, &range); !s.ok()) return ApiError(400, route_, s.message());
    if (h_.store_ == nullptr) return ApiError(503, route_, "history is not available: no store is configured");
    std::vector<store::SeriesPoint> points;
    Status s = h_.store_->QuerySeries(ids, range.from, range.to, range.resolution, &points);
    if (!s.ok()) return ApiStatusError(s);
    int64_t count = 0, down = 0, degraded = 0;
    Json list = Json::array();
    for (const auto& p : points) {
      count += p.count;
      down += p.down;
      degraded += p.degraded;
      list.push_back(SeriesPointJson(p));
    }
    Json j = std::move(subject);
    j["from"] = FormatIso8601(range.from);
    j["to"] = FormatIso8601(range.to);
    j["resolution"] = store::ResolutionName(range.resolution);
    j["count"] = count;
    j["down"] = down;
    j["degraded"] = degraded;
    j["uptime"] = count > 0 ? Json(static_cast<double>(count - down) / static_cast<double>(count)) : Json(nullptr);
    j["points"] = list;
    return JsonAnswer(j);
  }

  Response ApiCheckHistory(std::string_view raw) {
    const monitor::CheckView* check = nullptr;
    if (Response r = FindCheck(raw, &check); r.status != 200) return r;
    return History(Json{{"check", check->check->id}}, {check->check->id});
  }

  Response ApiEnvironmentHistory(std::string_view raw) {
    const monitor::EnvironmentView* env = nullptr;
    if (Response r = FindEnvironment(raw, &env); r.status != 200) return r;
    return History(Json{{"environment", env->environment->name}}, CheckIdsOf(*snap_, *env));
  }

  Response ApiEvents() {
    Status s = params_.OnlyAllowed({"check", "environment", "from", "to", "limit", "before"});
    store::EventQuery q;
    int64_t limit = 100;
    if (s.ok() && params_.Find("limit") != nullptr) s = ParseIntParam("limit", *params_.Find("limit"), 1, 1000, &limit);
    q.limit = static_cast<int>(limit);
    if (s.ok() && params_.Find("before") != nullptr) {
      int64_t before = 0;
      s = ParseIntParam("before", *params_.Find("before"), 1, INT64_MAX, &before);
      q.before_id = before;
    }
    if (s.ok() && params_.Find("from") != nullptr) {
      TimePoint t;
      s = ParseTimeParam("from", *params_.Find("from"), &t);
      q.from = t;
    }
    if (s.ok() && params_.Find("to") != nullptr) {
      TimePoint t;
      s = ParseTimeParam("to", *params_.Find("to"), &t);
      q.to = t;
    }
    if (s.ok() && q.from && q.to && *q.from >= *q.to) {
      s = Status::InvalidArgument(
          fmt::format("parameter 'from' ({}) must be before 'to' ({})", FormatIso8601(*q.from), FormatIso8601(*q.to)));
    }
    if (!s.ok()) return ApiError(400, route_, s.message());
    if (h_.store_ == nullptr) return ApiError(503, route_, "events are not available: no store is configured");
    // History outlives configuration: the filters accept names no longer in the fleet.
    const std::string* check = params_.Find("check");
    const std::string* environment = params_.Find("environment");
    std::vector<store::EventRecord> events;
    if (check != nullptr) {
      if (environment == nullptr || StartsWith(*check, *environment + "/")) {
        s = QueryCheckEvents(*h_.store_, q, *check, &events);
      }
    } else {
      if (environment != nullptr) q.check_id_prefix = *environment + "/";
      s = h_.store_->QueryEvents(q, &events);
    }
    if (!s.ok()) return ApiStatusError(s);
    Json list = Json::array();
    for (const auto& e : events) list.push_back(EventJson(e));
    Json j;
    j["events"] = list;
    j["next_before"] =
        static_cast<int64_t>(events.size()) == limit && !events.empty() ? Json(events.back().id) : Json(nullptr);
    return JsonAnswer(j);
  }

  Response ApiStream() {
    if (Status s = params_.OnlyAllowed({}); !s.ok()) return ApiError(400, route_, s.message());
    Response r;
    r.route = route_;
    r.content_type = "text/event-stream";
    r.headers.emplace_back("Cache-Control", "no-store");
    r.headers.emplace_back("X-Accel-Buffering", "no");
    r.event_stream = true;
    return r;
  }

  Handler& h_;
  const Request& req_;
  TimePoint now_;
  std::string_view path_;
  std::string_view query_;
  std::string route_ = "other";
  QueryParams params_;
  std::shared_ptr<const monitor::FleetSnapshot> snap_;
};

Response Handler::Handle(const Request& request, TimePoint now) {
  std::optional<Response> routed;
  if (router_ != nullptr) routed = router_->Dispatch(request, now);
  Response r = routed ? std::move(*routed) : Call(*this, request, now).Run();
  r.Amend([](Response& x) {
    for (const auto& h : SecurityHeaders()) x.headers.push_back(h);
  });
  return r;
}

}  // namespace csoc::web

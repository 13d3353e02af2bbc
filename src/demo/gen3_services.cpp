#include "demo/gen3_services.h"

#include <fmt/format.h>

#include <functional>

#include "core/time.h"

namespace csoc::demo::internal {

namespace {

constexpr std::string_view kJson = "application/json";
// Flask's default, which fence, indexd and the other Python services answer with.
constexpr std::string_view kFlaskText = "text/html; charset=utf-8";
constexpr std::string_view kHtml = "text/html";
constexpr std::string_view kPlain = "text/plain";

Reply Text(std::string body) { return Reply{200, kFlaskText, std::move(body), {}}; }
Reply Json(std::string body) { return Reply{200, kJson, std::move(body), {}}; }

// The revproxy's own /_status. The real one echoes the caller's CSRF token; a stable per-commons
// token keeps the body realistic without state.
std::string RevproxyStatus(const CommonsProfile& c) {
  return fmt::format("{{ \"message\": \"Feelin good!\", \"csrf\": \"{:016x}\" }}\n", std::hash<std::string>{}(c.name));
}

std::string GuppyStatus(const CommonsProfile& c) {
  return fmt::format(
      R"({{"statusCode":200,"warnings":{{}},"indices":{{"{0}_subject_0":{{"aliases":{{"{0}_subject":{{}}}}}},)"
      R"("{0}_file_0":{{"aliases":{{"{0}_file":{{}}}}}},"{0}_config_0":{{"aliases":{{"{0}_array-config":{{}}}}}}}}}})",
      c.name);
}

// metadata, audit and requestor are FastAPI services sharing the same status handler shape.
std::string FastApiStatus(TimePoint now) {
  return fmt::format(R"({{"status":"OK","timestamp":"{}"}})", FormatIso8601(now));
}

std::string PortalPage(const CommonsProfile& c) {
  return fmt::format(
      "<!doctype html>\n<html lang=\"en\">\n<head><meta charset=\"utf-8\"><title>{0} Data Commons</title></head>\n"
      "<body><div id=\"root\"><h1>{0} Data Commons</h1><p>Cluster {1}. This is a csoc demo portal.</p></div>"
      "</body>\n</html>\n",
      c.name, c.cluster);
}

// "1.5 s", "20 s": easier to read in a behaviour line than FormatDuration's "1s500ms".
std::string Seconds(std::chrono::milliseconds d) {
  return fmt::format("{:g} s", static_cast<double>(d.count()) / 1000);
}

std::string_view StripQuery(std::string_view target) {
  auto q = target.find('?');
  return q == std::string_view::npos ? target : target.substr(0, q);
}

}  // namespace

const std::vector<CommonsProfile>& DemoCommons() {
  static const std::vector<CommonsProfile> commons = {
      {"gen3-prod-us", "cluster-east", "production", "data-platform-us@example.org", Behaviour::kHealthy, false, true},
      {"gen3-staging-us", "cluster-east", "staging", "data-platform-us@example.org", Behaviour::kSlow, false, false},
      {"gen3-research", "cluster-east", "research", "research-computing@example.org", Behaviour::kFlapping, false,
       false},
      {"gen3-prod-eu", "cluster-west", "production", "data-platform-eu@example.org", Behaviour::kFenceDown, false,
       false},
      {"gen3-dev-eu", "cluster-west", "development", "data-platform-eu@example.org", Behaviour::kUnreachable, false,
       false},
      {"gen3-training", "cluster-west", "training", "outreach@example.org", Behaviour::kHealthy, true, false},
  };
  return commons;
}

const std::vector<std::string_view>& Gen3HealthPaths() {
  static const std::vector<std::string_view> paths = {"/_status",
                                                      "/user/_status",
                                                      "/index/_status",
                                                      "/api/_status",
                                                      "/peregrine/_status",
                                                      "/mds/_status",
                                                      "/guppy/_status",
                                                      "/wts/_status",
                                                      "/lw-workspace/_status",
                                                      "/manifests/_status",
                                                      "/audit/_status",
                                                      "/requestor/_status",
                                                      "/job/_status",
                                                      "/"};
  return paths;
}

Reply Respond(const CommonsProfile& c, std::string_view method, std::string_view target, bool indexd_down,
              TimePoint now) {
  if (method != "GET" && method != "HEAD") {
    return Reply{405, kPlain, "405 Method Not Allowed\n", {}};
  }
  std::string_view path = StripQuery(target);
  if (path == "/_status") return Json(RevproxyStatus(c));
  if (path == "/user/_status") {
    if (c.behaviour == Behaviour::kFenceDown) return Reply{503, kJson, R"({"error":"database unavailable"})", {}};
    return Text("Healthy");
  }
  if (path == "/index/_status") {
    if (c.behaviour == Behaviour::kFlapping && indexd_down) return Reply{503, kFlaskText, "Unhealthy", {}};
    return Text("Healthy");
  }
  if (path == "/api/_status") return Json(R"({"status": "OK"})");
  if (path == "/peregrine/_status") {
    Reply r = Json(R"({"status": "OK"})");
    if (c.behaviour == Behaviour::kSlow) r.delay = kPeregrineDelay;
    return r;
  }
  if (path == "/guppy/_status") {
    Reply r = Json(GuppyStatus(c));
    if (c.behaviour == Behaviour::kSlow) r.delay = kGuppyDelay;
    return r;
  }
  if (path == "/mds/_status" || path == "/audit/_status" || path == "/requestor/_status") {
    return Json(FastApiStatus(now));
  }
  if (path == "/wts/_status" || path == "/lw-workspace/_status" || path == "/job/_status") return Text("Healthy");
  if (path == "/manifests/_status") return Json(R"({"message": "Feelin good!"})");
  if (path == "/" || path == "/index.html") return Reply{200, kHtml, PortalPage(c), {}};
  return Reply{
      404, kHtml, "<html><head><title>404 Not Found</title></head><body><h1>404 Not Found</h1></body></html>\n", {}};
}

bool FlapIsDown(std::chrono::steady_clock::duration since_start, std::chrono::milliseconds flap_period) {
  if (flap_period.count() <= 0) return false;
  return (std::chrono::duration_cast<std::chrono::milliseconds>(since_start) / flap_period) % 2 == 1;
}

std::string DescribeBehaviour(const CommonsProfile& c, std::chrono::milliseconds flap_period) {
  switch (c.behaviour) {
    case Behaviour::kHealthy:
      return c.tls_check
                 ? fmt::format("healthy; its TLS endpoint's certificate expires in {} days", kTlsCertificateDays)
                 : "healthy";
    case Behaviour::kSlow:
      return fmt::format("slow: guppy answers after {}, peregrine after {}", Seconds(kGuppyDelay),
                         Seconds(kPeregrineDelay));
    case Behaviour::kFlapping:
      return fmt::format("flapping: indexd alternates between healthy and 503 every {}", Seconds(flap_period));
    case Behaviour::kFenceDown: return "fence returns 503 (database unavailable); the other services are up";
    case Behaviour::kUnreachable: return "unreachable: nothing listens on its port (connection refused)";
  }
  return "unknown";
}

}  // namespace csoc::demo::internal

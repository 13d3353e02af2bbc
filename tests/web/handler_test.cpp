// The routes, parameters, errors and headers of the server, through the Handler directly.
#include "web/handler.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "fixture.h"

namespace csoc::web {
namespace {

using nlohmann::json;
using std::chrono::hours;
using std::chrono::minutes;
using testing::BuildSnapshot;
using testing::FakeLive;
using testing::FakeStore;
using testing::TestFleet;
using testing::TestNow;
using testing::TroubleStates;

class HandlerTest : public ::testing::Test {
 protected:
  HandlerTest()
      : live_(BuildSnapshot(TestFleet(), TroubleStates())),
        handler_("csoc test", &live_, &store_, &metrics_, [this] { return ready_; }) {}

  Response Get(const std::string& target, const std::string& method = "GET") {
    return handler_.Handle(Request{method, target, "", {}, "", ""}, TestNow());
  }
  json GetJson(const std::string& target, int expected_status = 200) {
    Response r = Get(target);
    EXPECT_EQ(r.status, expected_status) << target << ": " << r.body;
    EXPECT_EQ(r.content_type, "application/json");
    return json::parse(r.body);
  }
  std::string ErrorOf(const std::string& target, int expected_status) {
    json j = GetJson(target, expected_status);
    EXPECT_EQ(j["error"]["status"], expected_status);
    return j["error"]["message"].get<std::string>();
  }

  FakeLive live_;
  FakeStore store_;
  MetricsRegistry metrics_;
  bool ready_ = true;
  Handler handler_;
};

TEST_F(HandlerTest, FleetSummary) {
  json j = GetJson("/api/v1/fleet");
  EXPECT_EQ(j["title"], "csoc test");
  EXPECT_EQ(j["health"], "down");
  EXPECT_EQ(j["version"], 7);
  EXPECT_EQ(j["generated"], "2026-11-18T11:06:40.000Z");
  EXPECT_EQ(j["checks"], json({{"up", 10}, {"degraded", 1}, {"down", 1}, {"unknown", 0}, {"total", 12}}));
  EXPECT_EQ(j["environments"]["down"], 1);
  ASSERT_EQ(j["clusters"].size(), 2u);
  EXPECT_EQ(j["clusters"][0]["name"], "cluster-east");
  EXPECT_EQ(j["clusters"][0]["health"], "down");
  EXPECT_EQ(j["clusters"][0]["environments"], json({"gen3-prod", "gen3-staging"}));
  EXPECT_EQ(j["clusters"][0]["reasons"], json({"gen3-prod: down"}));
}

TEST_F(HandlerTest, Clusters) {
  json j = GetJson("/api/v1/clusters");
  ASSERT_EQ(j["clusters"].size(), 2u);
  EXPECT_EQ(j["clusters"][1]["name"], "cluster-west");
  EXPECT_EQ(j["clusters"][1]["environments"][0], json({{"name", "gen3-dev"}, {"health", "degraded"}}));
  EXPECT_EQ(j["clusters"][1]["checks"]["degraded"], 1);
  j = GetJson("/api/v1/clusters/cluster-west");
  EXPECT_EQ(j["health"], "degraded");
  EXPECT_EQ(ErrorOf("/api/v1/clusters/nope", 404), "unknown cluster 'nope'");
}

TEST_F(HandlerTest, EnvironmentsWithFilters) {
  json j = GetJson("/api/v1/environments");
  ASSERT_EQ(j["environments"].size(), 4u);
  EXPECT_EQ(j["environments"][0]["name"], "gen3-prod");  // worst first
  EXPECT_EQ(j["environments"][1]["name"], "gen3-dev");
  j = GetJson("/api/v1/environments?cluster=cluster-east&health=up");
  ASSERT_EQ(j["environments"].size(), 1u);
  EXPECT_EQ(j["environments"][0]["name"], "gen3-staging");
  EXPECT_EQ(j["environments"][0]["hostname"], "staging.example.org");
  EXPECT_EQ(j["environments"][0]["checks"]["total"], 3);
  EXPECT_EQ(ErrorOf("/api/v1/environments?health=bad", 400),
            "parameter 'health': expected up, degraded, down or unknown, got 'bad'");
  EXPECT_EQ(ErrorOf("/api/v1/environments?cluster=mars", 404), "unknown cluster 'mars'");
  EXPECT_EQ(ErrorOf("/api/v1/environments?clster=x", 400),
            "unknown parameter 'clster' (expected one of: cluster, health)");
}

TEST_F(HandlerTest, EnvironmentDetail) {
  json j = GetJson("/api/v1/environments/gen3-prod");
  EXPECT_EQ(j["name"], "gen3-prod");
  EXPECT_EQ(j["namespace"], "gen3");
  EXPECT_EQ(j["labels"], json({{"tier", "prod"}}));
  EXPECT_EQ(j["owners"], json({"ops@example.org"}));
  EXPECT_EQ(j["links"][0], json({{"title", "Grafana"}, {"url", "https://grafana.example.org/d/abc"}}));
  ASSERT_EQ(j["services"].size(), 3u);
  const json& fence = j["services"][0];
  EXPECT_EQ(fence["name"], "fence");
  EXPECT_EQ(fence["health"], "down");
  const json& check = fence["checks"][0];
  EXPECT_EQ(check["id"], "gen3-prod/fence/status");
  EXPECT_EQ(check["state"], "down");
  EXPECT_EQ(check["since"], "2026-11-18T11:01:40.000Z");
  EXPECT_EQ(check["reasons"], json({"status 503 is not in 200..399"}));
  EXPECT_EQ(check["target"], "GET https://prod.example.org/user/_status?token=…");
  EXPECT_EQ(check["interval"], "30s");
  EXPECT_EQ(check["last"]["status_code"], 503);
  EXPECT_EQ(check["last"]["latency_ms"], 120.0);
  EXPECT_EQ(check["last"]["body_excerpt"], "<html><b>Service Unavailable</b></html>");
  Response r = Get("/api/v1/environments/gen3-prod");
  EXPECT_EQ(r.body.find("s3cr3t"), std::string::npos);
  EXPECT_EQ(r.body.find("user:pw"), std::string::npos);
  EXPECT_EQ(ErrorOf("/api/v1/environments/gen3-nope", 404), "unknown environment 'gen3-nope'");
}

TEST_F(HandlerTest, HostileNamesArePercentDecoded) {
  json j = GetJson("/api/v1/environments/%3Cscript%3Ealert%28%27x%27%29%3C%2Fscript%3E");
  EXPECT_EQ(j["name"], "<script>alert('x')</script>");
  j = GetJson("/api/v1/checks/%3Cscript%3Ealert%28%27x%27%29%3C%2Fscript%3E/fence/status");
  EXPECT_EQ(j["id"], "<script>alert('x')</script>/fence/status");
  EXPECT_EQ(ErrorOf("/api/v1/environments/%ZZ", 400), "malformed %-escape in environment name '%ZZ'");
}

TEST_F(HandlerTest, ChecksWithFiltersAndLimit) {
  json j = GetJson("/api/v1/checks");
  EXPECT_EQ(j["total"], 12);
  EXPECT_EQ(j["checks"][0]["id"], "gen3-prod/fence/status");
  EXPECT_EQ(j["checks"][1]["id"], "gen3-dev/portal/home");
  j = GetJson("/api/v1/checks?state=up&limit=2");
  EXPECT_EQ(j["total"], 10);
  EXPECT_EQ(j["checks"].size(), 2u);
  j = GetJson("/api/v1/checks?environment=gen3-dev&state=degraded");
  ASSERT_EQ(j["checks"].size(), 1u);
  EXPECT_EQ(j["checks"][0]["reasons"], json({"response_time 2300ms is not < 1000ms"}));
  j = GetJson("/api/v1/checks?cluster=cluster-west");
  EXPECT_EQ(j["total"], 6);
  EXPECT_EQ(ErrorOf("/api/v1/checks?limit=0", 400), "parameter 'limit': expected an integer from 1 to 100000, got '0'");
  EXPECT_EQ(ErrorOf("/api/v1/checks?state=sideways", 400),
            "parameter 'state': expected up, degraded, down or unknown, got 'sideways'");
  EXPECT_EQ(ErrorOf("/api/v1/checks?environment=gone", 404), "unknown environment 'gone'");
}

TEST_F(HandlerTest, ServicesAcrossTheFleetWorstFirst) {
  json j = GetJson("/api/v1/services");
  ASSERT_EQ(j["services"].size(), 12u);
  const json& fence = j["services"][0];
  EXPECT_EQ(fence["environment"], "gen3-prod");
  EXPECT_EQ(fence["cluster"], "cluster-east");
  EXPECT_EQ(fence["name"], "fence");
  EXPECT_EQ(fence["critical"], true);
  EXPECT_EQ(fence["health"], "down");
  ASSERT_EQ(fence["checks"].size(), 1u);
  EXPECT_EQ(fence["checks"][0]["id"], "gen3-prod/fence/status");
  EXPECT_EQ(fence["checks"][0]["reasons"], json({"status 503 is not in 200..399"}));
  EXPECT_EQ(j["services"][1]["environment"], "gen3-dev");
  EXPECT_EQ(j["services"][1]["name"], "portal");
  EXPECT_EQ(j["services"][1]["health"], "degraded");
  EXPECT_EQ(j["services"][1]["critical"], false);

  j = GetJson("/api/v1/services?cluster=cluster-west&health=up");
  ASSERT_EQ(j["services"].size(), 5u);
  for (const json& s : j["services"]) {
    EXPECT_EQ(s["cluster"], "cluster-west");
    EXPECT_EQ(s["health"], "up");
  }
  j = GetJson("/api/v1/services?environment=gen3-staging");
  ASSERT_EQ(j["services"].size(), 3u);
  EXPECT_EQ(j["services"][0]["name"], "fence");  // all up: by name
  EXPECT_EQ(GetJson("/api/v1/services?health=unknown")["services"], json::array());
  EXPECT_EQ(ErrorOf("/api/v1/services?environment=gone", 404), "unknown environment 'gone'");
  EXPECT_EQ(ErrorOf("/api/v1/services?cluster=gone", 404), "unknown cluster 'gone'");
  EXPECT_EQ(ErrorOf("/api/v1/services?health=sideways", 400),
            "parameter 'health': expected up, degraded, down or unknown, got 'sideways'");
  EXPECT_EQ(Get("/api/v1/services?service=fence").status, 400);
  EXPECT_EQ(Get("/api/v1/services?environment=gen3-prod").body.find("s3cr3t"), std::string::npos);
}

TEST_F(HandlerTest, CheckDetail) {
  json j = GetJson("/api/v1/checks/gen3-prod/fence/status");
  EXPECT_EQ(j["conditions"], json({"status in 200..399"}));
  EXPECT_EQ(j["degraded_conditions"], json::array());
  EXPECT_EQ(j["failure_threshold"], 2);
  EXPECT_EQ(j["timeout"], "10s");
  ASSERT_EQ(j["recent"].size(), 1u);
  EXPECT_EQ(j["recent"][0]["verdict"], "down");
  EXPECT_EQ(j["recent"][0]["reasons"], json({"status 503 is not in 200..399"}));
  EXPECT_EQ(ErrorOf("/api/v1/checks/gen3-prod/fence/nope", 404), "unknown check 'gen3-prod/fence/nope'");
}

TEST_F(HandlerTest, CheckHistoryParametersAndDefaults) {
  store::SeriesPoint p;
  p.start = TestNow() - hours(2);
  p.count = 120;
  p.down = 3;
  p.degraded = 1;
  p.uptime = 117.0 / 120.0;
  p.p50_ms = 41.5;
  p.p95_ms = 99.25;
  p.p99_ms = 150;
  store_.series = {p, p};
  json j = GetJson("/api/v1/checks/gen3-prod/fence/status/history");
  EXPECT_EQ(j["check"], "gen3-prod/fence/status");
  EXPECT_EQ(j["resolution"], "hour");  // 24 h by default
  EXPECT_EQ(j["to"], "2026-11-18T11:06:40.000Z");
  EXPECT_EQ(j["from"], "2026-11-17T11:06:40.000Z");
  EXPECT_EQ(j["count"], 240);
  EXPECT_EQ(j["down"], 6);
  EXPECT_DOUBLE_EQ(j["uptime"].get<double>(), 234.0 / 240.0);
  ASSERT_EQ(j["points"].size(), 2u);
  EXPECT_EQ(j["points"][0], json::parse(R"({"start":"2026-11-18T09:06:40.000Z","count":120,"down":3,"degraded":1,
      "uptime":0.975,"p50_ms":41.5,"p95_ms":99.25,"p99_ms":150.0})"));
  ASSERT_EQ(store_.series_calls.size(), 1u);
  EXPECT_EQ(store_.series_calls[0].ids, std::vector<std::string>{"gen3-prod/fence/status"});
  EXPECT_EQ(store_.series_calls[0].resolution, store::Resolution::kHour);

  j = GetJson("/api/v1/checks/gen3-prod/fence/status/history?from=2026-11-18T08:00:00Z&to=1795000000000");
  EXPECT_EQ(j["resolution"], "minute");
  EXPECT_EQ(store_.series_calls.back().from, ParseIso8601("2026-11-18T08:00:00Z").value());
  j = GetJson("/api/v1/checks/gen3-prod/fence/status/history?from=2026-10-01T00:00:00Z");
  EXPECT_EQ(j["resolution"], "day");
  j = GetJson("/api/v1/checks/gen3-prod/fence/status/history?from=2026-11-18T10:00:00Z&resolution=raw");
  EXPECT_EQ(j["resolution"], "raw");

  EXPECT_EQ(ErrorOf("/api/v1/checks/gen3-prod/fence/status/history?from=yesterday", 400),
            "parameter 'from': expected RFC 3339 time or unix milliseconds, got 'yesterday'");
  EXPECT_EQ(ErrorOf("/api/v1/checks/gen3-prod/fence/status/history?from=2026-11-19T00:00:00Z", 400),
            "parameter 'from' (2026-11-19T00:00:00.000Z) must be before 'to' (2026-11-18T11:06:40.000Z)");
  EXPECT_EQ(ErrorOf("/api/v1/checks/gen3-prod/fence/status/history?resolution=week", 400),
            "parameter 'resolution': expected raw, minute, hour or day, got 'week'");
  EXPECT_EQ(ErrorOf("/api/v1/checks/gen3-prod/fence/status/history?from=2026-11-01T00:00:00Z&resolution=raw", 400),
            "parameter 'resolution': raw results are served for ranges up to 1d, this range is 17d11h6m40s; choose "
            "minute, hour or day");
  EXPECT_EQ(ErrorOf("/api/v1/checks/gen3-prod/fence/status/history?from=2026-01-01T00:00:00Z&resolution=minute", 400)
                .substr(0, 51),
            "parameter 'resolution': minute over 321d11h6m40s wo");
  EXPECT_EQ(ErrorOf("/api/v1/checks/gen3-prod/fence/nope/history", 404), "unknown check 'gen3-prod/fence/nope'");
}

TEST_F(HandlerTest, EnvironmentHistoryMergesItsChecks) {
  json j = GetJson("/api/v1/environments/gen3-dev/history?from=2026-11-18T10:00:00Z");
  EXPECT_EQ(j["environment"], "gen3-dev");
  EXPECT_EQ(j["uptime"], nullptr);  // no data
  EXPECT_EQ(j["points"], json::array());
  ASSERT_EQ(store_.series_calls.size(), 1u);
  EXPECT_EQ(store_.series_calls[0].ids,
            (std::vector<std::string>{"gen3-dev/fence/status", "gen3-dev/indexd/status", "gen3-dev/portal/home"}));
}

TEST_F(HandlerTest, HistoryStoreFailureIs500) {
  store_.fail = Status::IOError("disk I/O error");
  EXPECT_EQ(ErrorOf("/api/v1/environments/gen3-dev/history", 500), "history query failed: I/O error: disk I/O error");
}

store::EventRecord Event(int64_t id, const std::string& check, Health from, Health to) {
  store::EventRecord e;
  e.id = id;
  e.at = TestNow() - minutes(100 - id);
  e.check_id = check;
  e.from = from;
  e.to = to;
  e.reason = to == Health::kUp ? "" : "status 503 is not in 200..399";
  return e;
}

TEST_F(HandlerTest, EventsWithPagingAndFilters) {
  for (int64_t id = 60; id >= 1; --id) {
    std::string check = id % 3 == 0   ? "gen3-prod/fence/status"
                        : id % 3 == 1 ? "gen3-prod/fence/status-2"
                                      : "gen3-dev/portal/home";
    store_.events.push_back(Event(id, check, Health::kUp, Health::kDown));
  }
  json j = GetJson("/api/v1/events?limit=5");
  ASSERT_EQ(j["events"].size(), 5u);
  EXPECT_EQ(j["events"][0]["id"], 60);
  EXPECT_EQ(j["events"][0]["check"], "gen3-prod/fence/status");
  EXPECT_EQ(j["events"][0]["environment"], "gen3-prod");
  EXPECT_EQ(j["events"][0]["from"], "up");
  EXPECT_EQ(j["events"][0]["to"], "down");
  EXPECT_EQ(j["next_before"], 56);
  j = GetJson("/api/v1/events?limit=5&before=56");
  EXPECT_EQ(j["events"][0]["id"], 55);
  EXPECT_EQ(store_.event_calls.back().before_id, 56);

  j = GetJson("/api/v1/events?environment=gen3-dev");
  EXPECT_EQ(j["events"].size(), 20u);
  EXPECT_EQ(j["next_before"], nullptr);
  EXPECT_EQ(store_.event_calls.back().check_id_prefix, "gen3-dev/");
  EXPECT_EQ(store_.event_calls.back().limit, 100);

  // "gen3-prod/fence/status" is a prefix of "…/status-2"; only the check itself is listed.
  j = GetJson("/api/v1/events?check=gen3-prod/fence/status&limit=15");
  ASSERT_EQ(j["events"].size(), 15u);
  for (const auto& e : j["events"]) EXPECT_EQ(e["check"], "gen3-prod/fence/status");
  j = GetJson("/api/v1/events?check=gen3-prod/fence/status&environment=gen3-dev");
  EXPECT_EQ(j["events"].size(), 0u);

  EXPECT_EQ(ErrorOf("/api/v1/events?limit=1001", 400),
            "parameter 'limit': expected an integer from 1 to 1000, got '1001'");
  EXPECT_EQ(ErrorOf("/api/v1/events?before=x", 400).substr(0, 20), "parameter 'before': ");
  EXPECT_EQ(ErrorOf("/api/v1/events?from=soon", 400),
            "parameter 'from': expected RFC 3339 time or unix milliseconds, got 'soon'");
  j = GetJson("/api/v1/events?from=2026-11-18T10:00:00Z&to=2026-11-18T11:00:00Z");
  EXPECT_EQ(store_.event_calls.back().from, ParseIso8601("2026-11-18T10:00:00Z"));
}

TEST_F(HandlerTest, NoStoreMeans503ForHistory) {
  Handler no_store("t", &live_, nullptr, &metrics_, nullptr);
  Response r = no_store.Handle(Request{"GET", "/api/v1/events", "", {}, "", ""}, TestNow());
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(json::parse(r.body)["error"]["message"], "events are not available: no store is configured");
  r = no_store.Handle(Request{"GET", "/environments/gen3-prod", "", {}, "", ""}, TestNow());
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("no store is configured"), std::string::npos);
}

TEST_F(HandlerTest, MethodsOtherThanGetAre405WithAllow) {
  for (const char* target : {"/api/v1/fleet", "/api/v1/checks/gen3-prod/fence/status", "/"}) {
    Response r = Get(target, "POST");
    EXPECT_EQ(r.status, 405) << target;
    ASSERT_NE(r.Header("Allow"), nullptr);
    EXPECT_EQ(*r.Header("Allow"), "GET, HEAD");
  }
  json j = json::parse(Get("/api/v1/fleet", "DELETE").body);
  EXPECT_EQ(j["error"]["message"],
            "method DELETE is not allowed on /api/v1/fleet (allowed: GET, HEAD)");
  EXPECT_EQ(Get("/api/v1/fleet", "HEAD").status, 200);
}

TEST_F(HandlerTest, UnknownPathsAre404) {
  EXPECT_EQ(ErrorOf("/api/v1/nope", 404), "no such API path '/api/v1/nope'");
  Response r = Get("/nope");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.content_type, "text/html; charset=utf-8");
  EXPECT_EQ(r.route, "other");
  r = Get("/environments/gen3-nope");
  EXPECT_EQ(r.status, 404);
  EXPECT_NE(r.body.find("There is no environment named &#39;gen3-nope&#39; in the fleet."), std::string::npos);
  r = Get("/checks/a/b/c");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.route, "/checks/{id}");
  EXPECT_EQ(ErrorOf("/api/v1/fleet?x=1", 400), "unknown parameter 'x' (this path takes none)");
}

TEST_F(HandlerTest, EveryAnswerCarriesSecurityHeaders) {
  for (const char* target : {"/", "/api/v1/fleet", "/nope", "/static/app.css", "/healthz", "/environments/gen3-prod"}) {
    Response r = Get(target);
    ASSERT_NE(r.Header("Content-Security-Policy"), nullptr) << target;
    EXPECT_EQ(*r.Header("Content-Security-Policy"),
              "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
              "base-uri 'none'; form-action 'self'; frame-ancestors 'none'");
    EXPECT_EQ(*r.Header("X-Content-Type-Options"), "nosniff");
    EXPECT_EQ(*r.Header("Referrer-Policy"), "no-referrer");
  }
}

TEST_F(HandlerTest, Pages) {
  Response r = Get("/");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "text/html; charset=utf-8");
  EXPECT_EQ(*r.Header("Cache-Control"), "no-store");
  EXPECT_NE(r.body.find("Fleet is <span class=\"state-word\">down</span>"), std::string::npos);
  EXPECT_NE(r.body.find("<link rel=\"stylesheet\" href=\"/static/app.css?v="), std::string::npos);

  r = Get("/environments/gen3-prod");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.route, "/environments/{name}");
  // 24 h of minute data for the chart, 90 days for the bars, and the last events.
  ASSERT_EQ(store_.series_calls.size(), 2u);
  EXPECT_EQ(store_.series_calls[0].resolution, store::Resolution::kMinute);
  EXPECT_EQ(store_.series_calls[1].resolution, store::Resolution::kDay);
  EXPECT_EQ(store_.series_calls[1].from, ParseIso8601("2026-08-21T00:00:00Z").value());
  EXPECT_EQ(store_.event_calls.back().check_id_prefix, "gen3-prod/");

  r = Get("/checks/gen3-prod/fence/status?range=90d");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(store_.series_calls.back().resolution, store::Resolution::kHour);
  EXPECT_EQ(store_.series_calls.back().from, TestNow() - hours(24 * 90));
  r = Get("/checks/gen3-prod/fence/status?range=2y");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("parameter &#39;range&#39;: expected one of 1h, 24h, 7d, 90d, got &#39;2y&#39;"),
            std::string::npos);
}

TEST_F(HandlerTest, NoSnapshotYetIs503) {
  live_.Set(nullptr);
  Response r = Get("/api/v1/fleet");
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(*r.Header("Retry-After"), "1");
  EXPECT_EQ(Get("/").status, 503);
  EXPECT_EQ(Get("/healthz").status, 200);
}

TEST_F(HandlerTest, HealthReadyAndMetrics) {
  Response r = Get("/healthz");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "ok\n");
  EXPECT_EQ(Get("/readyz").status, 200);
  ready_ = false;
  EXPECT_EQ(Get("/readyz").status, 503);
  metrics_.GetCounter("csoc_test_total", "A test counter.")->Add(3);
  r = Get("/metrics");
  EXPECT_EQ(r.content_type, "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_NE(r.body.find("csoc_test_total 3"), std::string::npos);
}

TEST_F(HandlerTest, StaticAssetsHaveEtagsAndCacheHeaders) {
  Response r = Get("/static/app.css");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "text/css; charset=utf-8");
  ASSERT_NE(r.Header("ETag"), nullptr);
  std::string etag = *r.Header("ETag");
  EXPECT_EQ(etag.size(), 18u);
  EXPECT_EQ(*r.Header("Cache-Control"), "no-cache");
  EXPECT_FALSE(r.body.empty());

  r = Get("/static/app.css?v=" + etag.substr(1, 12));
  EXPECT_EQ(*r.Header("Cache-Control"), "public, max-age=31536000, immutable");

  r = handler_.Handle(Request{"GET", "/static/app.css", "\"other\", " + etag, {}, "", ""}, TestNow());
  EXPECT_EQ(r.status, 304);
  EXPECT_TRUE(r.body.empty());

  EXPECT_EQ(Get("/static/app.js").content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(Get("/static/favicon.svg").content_type, "image/svg+xml");
  EXPECT_EQ(Get("/static/nope.js").status, 404);
  EXPECT_EQ(Get("/static/../CMakeLists.txt").status, 404);
}

TEST_F(HandlerTest, StreamIsHandedToTheServer) {
  Response r = Get("/api/v1/stream");
  EXPECT_TRUE(r.event_stream);
  EXPECT_EQ(r.content_type, "text/event-stream");
  EXPECT_FALSE(Get("/api/v1/stream", "POST").event_stream);
}

}  // namespace
}  // namespace csoc::web

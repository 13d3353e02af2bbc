#include "web/pages.h"

#include <gtest/gtest.h>

#include <regex>

#include "fixture.h"

namespace csoc::web {
namespace {

using testing::BuildSnapshot;
using testing::TestFleet;
using testing::TestNow;
using testing::TroubleStates;

PageContext Ctx() {
  PageContext ctx;
  ctx.title = "Ops <center>";
  ctx.now = TestNow();
  return ctx;
}

size_t Count(const std::string& haystack, const std::string& needle) {
  size_t n = 0;
  for (size_t pos = haystack.find(needle); pos != std::string::npos; pos = haystack.find(needle, pos + 1)) ++n;
  return n;
}

size_t Pos(const std::string& html, const std::string& needle) {
  size_t p = html.find(needle);
  EXPECT_NE(p, std::string::npos) << "missing: " << needle;
  return p;
}

// Nothing that the Content-Security-Policy would block and nothing unescaped from the hostile name.
void ExpectCspClean(const std::string& html) {
  EXPECT_EQ(html.find("style="), std::string::npos);
  EXPECT_EQ(html.find("<style"), std::string::npos);
  EXPECT_FALSE(std::regex_search(html, std::regex("<script(?![^>]*\\ssrc=)", std::regex::ECMAScript)))
      << "inline script";
  EXPECT_FALSE(std::regex_search(html, std::regex("<[^>]*\\son[a-z]+=", std::regex::icase)))
      << "event handler attribute";
  EXPECT_EQ(html.find("<script>alert"), std::string::npos);
  EXPECT_EQ(html.find("=\"javascript:"), std::string::npos);
}

TEST(FleetPageTest, ShowsHeadlineCountsAndStateWords) {
  auto fleet = TestFleet();
  auto snap = BuildSnapshot(fleet, TroubleStates());
  std::string html = RenderFleetPage(Ctx(), *snap);
  ExpectCspClean(html);
  EXPECT_NE(html.find("<h1 id=\"headline\">Fleet is <span class=\"state-word\">down</span></h1>"), std::string::npos);
  EXPECT_NE(html.find("2 of 4 environments need attention: 1 down, 1 degraded."), std::string::npos);
  EXPECT_NE(html.find("<p class=\"counts-label\">12 checks</p>"), std::string::npos);
  EXPECT_NE(html.find("<dt><span class=\"pill-icon\" aria-hidden=\"true\">\u2715</span>down</dt><dd>1</dd>"),
            std::string::npos);
  EXPECT_NE(html.find("<dt><span class=\"pill-icon\" aria-hidden=\"true\">\u2713</span>up</dt><dd>10</dd>"),
            std::string::npos);
  EXPECT_NE(html.find("<title>Fleet down \u00b7 Ops &lt;center&gt;</title>"), std::string::npos);
  EXPECT_NE(html.find("<link rel=\"stylesheet\" href=\"/static/app.css\">"), std::string::npos);
}

TEST(FleetPageTest, MatrixIsWorstFirst) {
  auto snap = BuildSnapshot(TestFleet(), TroubleStates());
  std::string html = RenderFleetPage(Ctx(), *snap);
  // cluster-east holds the down environment, so it comes first; within it, prod (down) before staging (up).
  EXPECT_LT(Pos(html, "data-cluster=\"cluster-east\""), Pos(html, "data-cluster=\"cluster-west\""));
  EXPECT_LT(Pos(html, "data-environment=\"gen3-prod\" data-health=\"down\""),
            Pos(html, "data-environment=\"gen3-staging\" data-health=\"up\""));
  // In cluster-west: dev (degraded) before the up environment with the hostile name.
  EXPECT_LT(Pos(html, "data-environment=\"gen3-dev\" data-health=\"degraded\""),
            Pos(html, "data-environment=\"&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;\" data-health=\"up\""));
  EXPECT_NE(html.find("<span class=\"cell-name\">gen3-prod</span><span class=\"cell-state\">down</span>"),
            std::string::npos);
  EXPECT_NE(html.find("href=\"/environments/%3Cscript%3Ealert%28%27x%27%29%3C%2Fscript%3E\""), std::string::npos);
}

TEST(FleetPageTest, WhatIsWrongListsEvidenceWorstFirst) {
  auto states = TroubleStates();
  states["gen3-dev/portal/home"].reasons = {"body does not contain \"<ok>\""};
  auto snap = BuildSnapshot(TestFleet(), states);
  std::string html = RenderFleetPage(Ctx(), *snap);
  size_t section = Pos(html, "What is wrong now");
  size_t prod = Pos(html, "<li class=\"problem s-down\" data-environment=\"gen3-prod\">");
  size_t dev = Pos(html, "<li class=\"problem s-degraded\" data-environment=\"gen3-dev\">");
  EXPECT_LT(section, prod);
  EXPECT_LT(prod, dev);
  EXPECT_NE(html.find("<li>status 503 is not in 200..399</li>"), std::string::npos);
  EXPECT_NE(html.find("<li>body does not contain &quot;&lt;ok&gt;&quot;</li>"), std::string::npos);
  EXPECT_NE(html.find("href=\"/checks/gen3-prod/fence/status\">fence / status</a>"), std::string::npos);
  // The target is shown without credentials, token value or header values.
  EXPECT_NE(html.find("<code class=\"target\">GET https://prod.example.org/user/_status?token=…</code>"),
            std::string::npos)
      << html;
  EXPECT_EQ(html.find("user:pw"), std::string::npos);
  EXPECT_EQ(html.find("s3cr3t"), std::string::npos);
  EXPECT_EQ(html.find("abc</code>"), std::string::npos);
}

TEST(FleetPageTest, ChecksFailingAlikeShareALineAndPendingOnesAreCounted) {
  auto states = TroubleStates();
  for (const char* id : {"gen3-staging/fence/status", "gen3-staging/indexd/status", "gen3-staging/portal/home"}) {
    states[id] = {Health::kDown, {"connection refused"}, 0, 1000, "", "connection refused"};
  }
  states["gen3-prod/indexd/status"] = {Health::kUnknown, {}, 0, 0, "", ""};
  auto snap = BuildSnapshot(TestFleet(), states);
  std::string html = RenderFleetPage(Ctx(), *snap);
  ExpectCspClean(html);
  size_t group = Pos(html, "<li class=\"check-group\">");
  EXPECT_NE(html.find("<span class=\"problem-check\">3 checks</span><span class=\"group-names\"><a "
                      "href=\"/checks/gen3-staging/fence/status\">fence / status</a>, <a "
                      "href=\"/checks/gen3-staging/indexd/status\">indexd / status</a>, <a "
                      "href=\"/checks/gen3-staging/portal/home\">portal / home</a></span><ul "
                      "class=\"reasons\"><li>connection refused</li></ul>",
                      group),
            std::string::npos);
  EXPECT_EQ(Count(html, "<li>connection refused</li>"), 1u);
  EXPECT_NE(html.find("1 check waiting for a first result"), std::string::npos);
  EXPECT_EQ(html.find("indexd / status</a><code"), std::string::npos);  // the pending check is not listed
}

TEST(FleetPageTest, AllGood) {
  auto snap = BuildSnapshot(TestFleet(), {});
  std::string html = RenderFleetPage(Ctx(), *snap);
  EXPECT_NE(html.find("Fleet is <span class=\"state-word\">up</span>"), std::string::npos);
  EXPECT_NE(html.find("All 4 environments are up."), std::string::npos);
  EXPECT_NE(html.find("Nothing is wrong: every check is up."), std::string::npos);
  EXPECT_EQ(html.find("class=\"problem "), std::string::npos);
}

TEST(FleetPageTest, HostileEnvironmentNameIsEscapedEverywhere) {
  auto fleet = TestFleet();
  std::string hostile = fleet->environments[3].name;
  auto snap = BuildSnapshot(
      fleet, {{hostile + "/fence/status", {Health::kDown, {"<img src=x onerror=alert(1)>"}, 503, 1000, "", ""}}});
  std::string html = RenderFleetPage(Ctx(), *snap);
  ExpectCspClean(html);
  EXPECT_EQ(html.find("<img"), std::string::npos);
  EXPECT_NE(html.find("&lt;img src=x onerror=alert(1)&gt;"), std::string::npos);
}

TEST(EnvironmentPageTest, ShowsMetadataServicesAndEvidence) {
  auto fleet = TestFleet();
  auto snap = BuildSnapshot(fleet, TroubleStates());
  const auto* env = snap->FindEnvironment("gen3-prod");
  ASSERT_NE(env, nullptr);
  PageHistory history;  // no store
  std::string html = RenderEnvironmentPage(Ctx(), *snap, *env, history);
  ExpectCspClean(html);
  EXPECT_NE(html.find("<h1>gen3-prod</h1>"), std::string::npos);
  EXPECT_NE(html.find("<code>prod.example.org</code>"), std::string::npos);
  EXPECT_NE(html.find("<span class=\"chip\">tier=prod</span>"), std::string::npos);
  EXPECT_NE(html.find("ops@example.org"), std::string::npos);
  EXPECT_NE(html.find("href=\"https://grafana.example.org/d/abc\" rel=\"noopener noreferrer\">Grafana</a>"),
            std::string::npos);
  // The javascript: link is shown as text, never as a link.
  EXPECT_EQ(html.find("href=\"javascript"), std::string::npos);
  EXPECT_NE(html.find(">Evil: javascript:alert(1)</span>"), std::string::npos);
  // Services worst first: fence (down) before indexd (up).
  EXPECT_LT(Pos(html, "data-service=\"fence\""), Pos(html, "data-service=\"indexd\""));
  EXPECT_NE(html.find("<li>status 503 is not in 200..399</li>"), std::string::npos);
  EXPECT_NE(html.find("<span class=\"fact\">HTTP 503</span>"), std::string::npos);
  EXPECT_NE(html.find("<span class=\"fact\">120 ms</span>"), std::string::npos);
  EXPECT_NE(html.find("<pre>&lt;html&gt;&lt;b&gt;Service Unavailable&lt;/b&gt;&lt;/html&gt;</pre>"), std::string::npos);
  EXPECT_NE(html.find("<span class=\"tag\">non-critical</span>"), std::string::npos);
  EXPECT_NE(html.find("History is not recorded: no store is configured."), std::string::npos);
  EXPECT_NE(html.find("for 5m</time>"), std::string::npos);
}

TEST(EnvironmentPageTest, RendersHistory) {
  auto snap = BuildSnapshot(TestFleet(), TroubleStates());
  const auto* env = snap->FindEnvironment("gen3-prod");
  PageHistory history;
  history.available = true;
  history.latency_from = TestNow() - std::chrono::hours(24);
  history.latency_to = TestNow();
  history.latency_bucket = std::chrono::minutes(5);
  store::SeriesPoint p;
  p.start = TestNow() - std::chrono::hours(1);
  p.count = 10;
  p.down = 1;
  p.p50_ms = 40;
  p.p95_ms = 90;
  history.latency = {p};
  history.first_day = FromUnixMillis(ToUnixMillis(TestNow()) / 86'400'000 * 86'400'000) - std::chrono::hours(24 * 89);
  history.daily = {p};
  store::EventRecord e;
  e.id = 3;
  e.at = TestNow() - std::chrono::minutes(5);
  e.check_id = "gen3-prod/fence/status";
  e.from = Health::kUp;
  e.to = Health::kDown;
  e.reason = "status 503 is not in 200..399";
  history.events = {e};
  std::string html = RenderEnvironmentPage(Ctx(), *snap, *env, history);
  ExpectCspClean(html);
  EXPECT_NE(html.find("<svg class=\"chart-svg\""), std::string::npos);
  EXPECT_NE(html.find("<svg class=\"uptime-bars\""), std::string::npos);
  EXPECT_NE(html.find("90.0% <span class=\"muted\">uptime over 90 days</span>"), std::string::npos);
  EXPECT_NE(html.find("<div><dt>Today</dt><dd class=\"u-critical-text\">90.0%</dd></div>"), std::string::npos);
  EXPECT_NE(html.find("<div><dt>90 days</dt><dd class=\"u-critical-text\">90.0%</dd></div>"), std::string::npos);
  EXPECT_NE(html.find("<a href=\"/checks/gen3-prod/fence/status\">fence/status</a>"), std::string::npos);
  EXPECT_NE(html.find("<td>status 503 is not in 200..399</td>"), std::string::npos);

  history.error = "IO error: database is locked";
  html = RenderEnvironmentPage(Ctx(), *snap, *env, history);
  EXPECT_NE(html.find("History could not be read: IO error: database is locked"), std::string::npos);
}

TEST(CheckPageTest, ShowsDefinitionEvidenceAndRangeSwitcher) {
  auto snap = BuildSnapshot(TestFleet(), TroubleStates());
  const auto* check = snap->FindCheck("gen3-prod/fence/status");
  ASSERT_NE(check, nullptr);
  PageHistory history;
  std::string html = RenderCheckPage(Ctx(), *snap, *check, "7d", history);
  ExpectCspClean(html);
  EXPECT_NE(html.find("<h1>fence / status</h1>"), std::string::npos);
  EXPECT_NE(html.find("<code>GET https://prod.example.org/user/_status?token=…</code>"), std::string::npos);
  EXPECT_NE(html.find("every 30s, timeout 10s"), std::string::npos);
  EXPECT_NE(html.find("<li><code>status in 200..399</code></li>"), std::string::npos);
  EXPECT_NE(html.find("<a href=\"?range=7d\" aria-current=\"true\" class=\"active\">7d</a>"), std::string::npos);
  EXPECT_NE(html.find("<a href=\"?range=1h\">1h</a>"), std::string::npos);
  EXPECT_NE(html.find("<details class=\"excerpt\" open>"), std::string::npos);
  EXPECT_NE(html.find("<a href=\"/environments/gen3-prod\">gen3-prod</a>"), std::string::npos);
  // Without a store the recent evidence fills the results table.
  EXPECT_NE(html.find("<td>status 503 is not in 200..399</td>"), std::string::npos);
  EXPECT_EQ(html.find("s3cr3t"), std::string::npos);
}

TEST(ErrorPageTest, EscapesMessage) {
  std::string html = RenderErrorPage(Ctx(), 404, "Environment not found", "There is no environment named '<b>'.");
  EXPECT_NE(html.find("<p class=\"error-code\">404</p>"), std::string::npos);
  EXPECT_NE(html.find("There is no environment named &#39;&lt;b&gt;&#39;."), std::string::npos);
  ExpectCspClean(html);
}

}  // namespace
}  // namespace csoc::web

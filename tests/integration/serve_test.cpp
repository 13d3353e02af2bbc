// End to end: the real csoc binary against the real simulated fleet (`csoc simulate`), over
// loopback sockets, with its SQLite history on disk. Processes are stopped by PID.
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>

#include <nlohmann/json.hpp>
#include <regex>

#include "support/support.h"

namespace csoc {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using testing::HttpGet;
using testing::Process;
using testing::ReadFile;
using testing::TempDir;
using testing::WaitFor;
using testing::WriteFile;

class ServeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config_dir_ = dir_.path() / "fleet";
    simulator_ = std::make_unique<Process>(
        std::vector<std::string>{CSOC_BINARY, "simulate", "--base-port", "0", "--flap-period", "3s", "--probe-interval",
                                 "1s", "--write-config", config_dir_.string(), "--data-dir",
                                 (dir_.path() / "data").string()},
        dir_.path() / "simulator.log");
    ASSERT_TRUE(WaitFor([&] { return simulator_->Log().find("fleet config written") != std::string::npos; }, 20s))
        << simulator_->Log();
  }

  void StartServer() {
    port_ = testing::FreePort();
    server_ = std::make_unique<Process>(std::vector<std::string>{CSOC_BINARY, "serve", "--config", config_dir_.string(),
                                                                 "--listen", "127.0.0.1:" + std::to_string(port_)},
                                        dir_.path() / "serve.log");
    ASSERT_TRUE(WaitFor([&] { return HttpGet(Url("/readyz")).status == 200; }, 20s)) << server_->Log();
  }

  std::string Url(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(port_) + path; }

  json GetJson(const std::string& path) {
    auto r = HttpGet(Url(path));
    EXPECT_EQ(r.status, 200) << path << ": " << r.body;
    json j = json::parse(r.body, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << path << " is not JSON: " << r.body;
    return j;
  }

  TempDir dir_;
  std::filesystem::path config_dir_;
  std::unique_ptr<Process> simulator_;
  std::unique_ptr<Process> server_;
  int port_ = 0;
};

TEST_F(ServeTest, ServesTheFleetReloadsAndSurvivesARestart) {
  StartServer();
  // Every environment of the simulated fleet is listed, and within a few probe rounds the
  // unreachable one is reported with its evidence.
  ASSERT_TRUE(WaitFor(
      [&] { return HttpGet(Url("/api/v1/checks?state=unknown")).body.find("\"id\"") == std::string::npos; }, 30s))
      << HttpGet(Url("/api/v1/checks?state=unknown")).body;
  json envs = GetJson("/api/v1/environments");
  std::string envs_text = envs.dump();
  std::string simulated = simulator_->Log();
  std::smatch m;
  std::string rest = simulated;
  int listed = 0;
  // The simulator prints "<cluster>/<name> <url> — <behaviour>" for each commons.
  while (std::regex_search(rest, m, std::regex(R"(cluster-[a-z]+/([a-z0-9-]+) http)"))) {
    EXPECT_NE(envs_text.find("\"" + m[1].str() + "\""), std::string::npos) << m[1] << " missing from " << envs_text;
    ++listed;
    rest = m.suffix();
  }
  EXPECT_EQ(listed, 6) << simulated;
  EXPECT_NE(envs_text.find("\"down\""), std::string::npos) << envs_text;
  auto down = HttpGet(Url("/api/v1/checks?state=down"));
  EXPECT_NE(down.body.find("refused"), std::string::npos) << down.body;
  EXPECT_NE(down.body.find("503"), std::string::npos) << down.body;

  // The slow commons' guppy answers after 1.5 s, past the 1 s timeout; the training commons'
  // certificate expires in 5 days, inside its 14-day warning.
  json guppy = GetJson("/api/v1/checks/gen3-staging-us/guppy/health");
  EXPECT_EQ(guppy["state"], "down") << guppy.dump();
  EXPECT_NE(guppy.dump().find("timed out after 1s"), std::string::npos) << guppy.dump();
  json tls = GetJson("/api/v1/checks/gen3-training/certificate/tls");
  EXPECT_EQ(tls["state"], "degraded") << tls.dump();
  EXPECT_NE(tls.dump().find("certificate expires in"), std::string::npos) << tls.dump();
  json services = GetJson("/api/v1/services?environment=gen3-prod-eu&health=down");
  ASSERT_EQ(services["services"].size(), 1u) << services.dump();
  EXPECT_EQ(services["services"][0]["name"], "fence");

  auto page = HttpGet(Url("/"));
  EXPECT_EQ(page.status, 200);
  EXPECT_NE(page.headers["content-security-policy"].find("default-src 'none'"), std::string::npos);
  auto metrics = HttpGet(Url("/metrics"));
  EXPECT_NE(metrics.body.find("csoc_checks{state=\"down\"}"), std::string::npos);
  EXPECT_NE(metrics.body.find("csoc_probe_scheduling_lag_seconds"), std::string::npos);

  // The flapping service (gen3-research's indexd) leaves state-change events both ways, not only
  // the first ones from unknown.
  auto flapped_both_ways = [&] {
    json events = GetJson("/api/v1/events?check=gen3-research/indexd/health&limit=1000");
    bool to_down = false, to_up = false;
    for (const json& e : events.value("events", json::array())) {
      to_down |= e["from"] == "up" && e["to"] == "down";
      to_up |= e["from"] == "down" && e["to"] == "up";
    }
    return to_down && to_up;
  };
  ASSERT_TRUE(WaitFor(flapped_both_ways, 30s)) << HttpGet(Url("/api/v1/events?check=gen3-research/indexd/health")).body;

  // An invalid config is rejected on SIGHUP and the running one stays.
  std::string good_settings = ReadFile(config_dir_ / "settings.yaml");
  WriteFile(config_dir_ / "broken.yaml", "environments:\n  - name: broken\n    clustr: x\n");
  kill(server_->pid(), SIGHUP);
  ASSERT_TRUE(WaitFor(
      [&] {
        return server_->Log().find("reload") != std::string::npos &&
               server_->Log().find("rejected") != std::string::npos;
      },
      10s))
      << server_->Log();
  EXPECT_NE(server_->Log().find("broken.yaml:3:5"), std::string::npos) << server_->Log();
  EXPECT_EQ(HttpGet(Url("/api/v1/environments/broken")).status, 404);
  EXPECT_EQ(HttpGet(Url("/readyz")).status, 200);

  // A valid change is picked up from the file alone (no signal): a new environment appears.
  WriteFile(config_dir_ / "broken.yaml",
            "environments:\n  - name: added-later\n    cluster: cluster-new\n    services:\n      - name: web\n"
            "        checks:\n          - name: root\n            url: " +
                Url("/healthz") + "\n");
  ASSERT_TRUE(WaitFor([&] { return HttpGet(Url("/api/v1/environments/added-later")).status == 200; }, 15s))
      << server_->Log();
  ASSERT_TRUE(WaitFor(
      [&] { return HttpGet(Url("/api/v1/checks/added-later/web/root")).body.find("\"up\"") != std::string::npos; },
      15s))
      << HttpGet(Url("/api/v1/checks/added-later/web/root")).body;

  // SIGTERM stops cleanly; a restart keeps the events and the states.
  auto events_before = HttpGet(Url("/api/v1/events?limit=1000")).body;
  EXPECT_EQ(server_->Signal(SIGTERM), 0) << server_->Log();
  EXPECT_NE(server_->Log().find("stopped cleanly"), std::string::npos);
  StartServer();
  auto events_after = HttpGet(Url("/api/v1/events?limit=1000")).body;
  json before = json::parse(events_before, nullptr, false);
  json after = json::parse(events_after, nullptr, false);
  ASSERT_FALSE(before.is_discarded());
  ASSERT_FALSE(after.is_discarded());
  // Every event from before the restart is still there, unchanged.
  std::map<int64_t, json> after_by_id;
  for (const json& e : after["events"]) after_by_id[e["id"].get<int64_t>()] = e;
  ASSERT_FALSE(before["events"].empty());
  for (const json& e : before["events"]) {
    auto it = after_by_id.find(e["id"].get<int64_t>());
    ASSERT_NE(it, after_by_id.end()) << "lost in the restart: " << e.dump();
    EXPECT_EQ(it->second, e);
  }
  EXPECT_NE(events_after.find("refused"), std::string::npos) << events_after;
  // Right after the restart the unreachable environment is already known to be down.
  auto unknown_now = HttpGet(Url("/api/v1/checks?state=down"));
  EXPECT_NE(unknown_now.body.find("refused"), std::string::npos) << unknown_now.body;
  EXPECT_EQ(server_->Signal(SIGTERM), 0);
}

TEST(CheckConfig, ListsEveryErrorWithItsPosition) {
  TempDir dir;
  WriteFile(dir.path() / "a.yaml",
            "environments:\n"
            "  - name: one\n"
            "    cluster: c1\n"
            "    services:\n"
            "      - name: web\n"
            "        checks:\n"
            "          - name: root\n"
            "            url: http://127.0.0.1:1/\n"
            "            intervall: 10s\n"
            "            conditions: [\"status == 200\", \"body matches \\\"(unclosed\\\"\"]\n");
  Process p({CSOC_BINARY, "check-config", dir.path().string()}, dir.path() / "out.log");
  EXPECT_EQ(p.Wait(10s), 1);
  std::string out = p.Log();
  EXPECT_NE(out.find("a.yaml:9:13: "), std::string::npos) << out;
  EXPECT_NE(out.find("did you mean 'interval'"), std::string::npos) << out;
  EXPECT_NE(out.find("a.yaml:10:"), std::string::npos) << out;
  EXPECT_NE(out.find("2 errors"), std::string::npos) << out;
}

TEST(CheckConfig, AcceptsTheExampleFleet) {
  TempDir dir;
  const std::string example = std::string(CSOC_SOURCE_DIR) + "/examples/fleet";
  Process p({CSOC_BINARY, "check-config", example}, dir.path() / "out.log", {{"PLATFORM_API_TOKEN", "example-token"}});
  EXPECT_EQ(p.Wait(10s), 0) << p.Log();
  EXPECT_NE(p.Log().find(": ok"), std::string::npos) << p.Log();
  EXPECT_EQ(p.Log().find("example-token"), std::string::npos) << "a secret reached the output: " << p.Log();

  // Without the secret the example still validates: it falls back to its default, never shown.
  unsetenv("PLATFORM_API_TOKEN");
  Process unset({CSOC_BINARY, "check-config", example}, dir.path() / "unset.log");
  EXPECT_EQ(unset.Wait(10s), 0) << unset.Log();
  EXPECT_EQ(unset.Log().find("unset-token"), std::string::npos) << "a secret reached the output: " << unset.Log();
}

TEST(Serve, RefusesAnInvalidConfigWithItsErrors) {
  TempDir dir;
  WriteFile(dir.path() / "bad.yaml", "environments:\n  - name: x\n    cluster: c\n    preset: gen4\n");
  Process p({CSOC_BINARY, "serve", "--config", (dir.path() / "bad.yaml").string(), "--listen", "127.0.0.1:0",
             "--data-dir", (dir.path() / "data").string()},
            dir.path() / "out.log");
  EXPECT_EQ(p.Wait(10s), 2) << p.Log();
  EXPECT_NE(p.Log().find("bad.yaml:4:"), std::string::npos) << p.Log();
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "data" / "csoc.db"));
}

}  // namespace
}  // namespace csoc

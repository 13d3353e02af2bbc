// WriteFleetConfig: the text it writes, and (WrittenFleetConfig) that csoc's own loader accepts it
// with zero errors.
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <set>

#include "config/config.h"
#include "demo/simulator.h"
#include "support/support.h"

namespace csoc::demo {
namespace {

using csoc::testing::ReadFile;
using csoc::testing::TempDir;

bool Contains(const std::string& text, const std::string& needle) { return text.find(needle) != std::string::npos; }

class FleetConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Status s = sim_.Start();
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  // Nothing runs the io_context (WriteFleetConfig needs only the ports Start() bound); stopping it
  // lets the Simulator's destructor close the listeners on this thread.
  void TearDown() override { io_.stop(); }
  boost::asio::io_context io_;
  Simulator sim_{io_, SimulatorOptions{}};
  TempDir tmp_;
};

TEST_F(FleetConfigTest, WritesSettingsAndOneFilePerCommons) {
  auto dir = tmp_.path() / "fleet";
  Status s = sim_.WriteFleetConfig(dir, "/var/lib/csoc-demo");
  ASSERT_TRUE(s.ok()) << s.ToString();
  std::set<std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) files.insert(entry.path().filename().string());
  EXPECT_EQ(files, (std::set<std::string>{"settings.yaml", "status-page.yaml", "gen3-prod-us.yaml",
                                          "gen3-staging-us.yaml", "gen3-research.yaml", "gen3-prod-eu.yaml",
                                          "gen3-dev-eu.yaml", "gen3-training.yaml"}));

  std::string settings = ReadFile(dir / "settings.yaml");
  EXPECT_TRUE(Contains(settings, "settings:\n")) << settings;
  EXPECT_TRUE(Contains(settings, "  data_dir: \"/var/lib/csoc-demo\"\n")) << settings;
  EXPECT_TRUE(Contains(settings, "  title: \"csoc demo fleet\"\n")) << settings;
  EXPECT_TRUE(Contains(settings, "defaults:\n  interval: 10s\n  timeout: 5s\n")) << settings;
  EXPECT_FALSE(Contains(settings, "listen:")) << "the listen address belongs to the command line";

  // The status page: one component per commons, following its environment, grouped by cluster.
  std::string status = ReadFile(dir / "status-page.yaml");
  EXPECT_TRUE(Contains(status, "status_page:\n")) << status;
  EXPECT_TRUE(Contains(status,
                       "    - name: \"gen3-dev-eu\"\n      display_name: \"Data commons gen3-dev-eu\"\n"
                       "      group: \"cluster-west\"\n      environments: [\"gen3-dev-eu\"]\n"))
      << status;
}

TEST_F(FleetConfigTest, AFasterProbeIntervalShortensTheTimeoutToFit) {
  ASSERT_TRUE(sim_.WriteFleetConfig(tmp_.path(), "data", std::chrono::seconds(1)).ok());
  EXPECT_TRUE(Contains(ReadFile(tmp_.path() / "settings.yaml"), "defaults:\n  interval: 1s\n  timeout: 1s\n"));
  ASSERT_TRUE(sim_.WriteFleetConfig(tmp_.path(), "data", std::chrono::seconds(30)).ok());
  EXPECT_TRUE(Contains(ReadFile(tmp_.path() / "settings.yaml"), "defaults:\n  interval: 30s\n  timeout: 5s\n"));
  for (auto too_short : {std::chrono::milliseconds(0), std::chrono::milliseconds(99)}) {
    Status s = sim_.WriteFleetConfig(tmp_.path() / "short", "data", too_short);
    EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
    EXPECT_FALSE(std::filesystem::exists(tmp_.path() / "short"));
  }
}

TEST_F(FleetConfigTest, EnvironmentFilesCarryTheRealPortsAndTheGen3Preset) {
  auto dir = tmp_.path();
  ASSERT_TRUE(sim_.WriteFleetConfig(dir, "data").ok());
  for (const SimulatedCommons& c : sim_.commons()) {
    std::string yaml = ReadFile(dir / (c.name + ".yaml"));
    EXPECT_TRUE(Contains(yaml, "environments:\n  - name: \"" + c.name + "\"\n")) << yaml;
    EXPECT_TRUE(Contains(yaml, "    base_url: \"" + c.base_url + "\"\n")) << yaml;
    EXPECT_TRUE(Contains(yaml, "    hostname: \"" + c.name + ".example.org\"\n")) << yaml;
    EXPECT_TRUE(Contains(yaml, "    cluster: \"" + c.cluster + "\"\n")) << yaml;
    EXPECT_TRUE(Contains(yaml, "    preset: gen3\n")) << yaml;
    EXPECT_TRUE(Contains(yaml, "    labels:\n      tier: \"")) << yaml;
    EXPECT_TRUE(Contains(yaml, "    owners:\n      - \"")) << yaml;
    EXPECT_TRUE(Contains(yaml, "      - title: \"Portal\"\n        url: \"" + c.base_url + "/\"\n")) << yaml;
    EXPECT_TRUE(Contains(yaml, c.behaviour)) << "the behaviour is described in the file";
  }
  EXPECT_TRUE(Contains(ReadFile(dir / "gen3-prod-us.yaml"), "      tier: \"production\"\n"));
  EXPECT_TRUE(Contains(ReadFile(dir / "gen3-staging-us.yaml"), "      tier: \"staging\"\n"));
}

TEST_F(FleetConfigTest, OnlyTheTrainingCommonsChecksTheExpiringCertificate) {
  auto dir = tmp_.path();
  ASSERT_TRUE(sim_.WriteFleetConfig(dir, "data").ok());
  std::string tls_port = sim_.tls_endpoint().substr(sim_.tls_endpoint().rfind(':') + 1);
  std::string training = ReadFile(dir / "gen3-training.yaml");
  EXPECT_TRUE(Contains(training,
                       "    services:\n"
                       "      - name: \"certificate\"\n"
                       "        critical: true\n"
                       "        checks:\n"
                       "          - name: \"tls\"\n"
                       "            type: tls\n"
                       "            host: \"127.0.0.1\"\n"
                       "            port: " +
                           tls_port +
                           "\n"
                           "            server_name: \"localhost\"\n"
                           "            verify: false\n"
                           "            degraded_conditions:\n"
                           "              - \"cert.days_left > 14\"\n"))
      << training;
  for (const SimulatedCommons& c : sim_.commons()) {
    if (c.name == "gen3-training") continue;
    EXPECT_FALSE(Contains(ReadFile(dir / (c.name + ".yaml")), "services:")) << c.name;
  }
}

TEST_F(FleetConfigTest, SlowCommonsGetsLatencyConditionsAndProdUsTheOptionalComponents) {
  auto dir = tmp_.path();
  ASSERT_TRUE(sim_.WriteFleetConfig(dir, "data").ok());
  std::string staging = ReadFile(dir / "gen3-staging-us.yaml");
  EXPECT_TRUE(Contains(staging,
                       "    preset_options:\n"
                       "      overrides:\n"
                       "        guppy:\n"
                       "          degraded_conditions: [\"response_time < 500ms\"]\n"
                       "        peregrine:\n"
                       "          degraded_conditions: [\"response_time < 500ms\"]\n"))
      << staging;
  EXPECT_TRUE(Contains(ReadFile(dir / "gen3-prod-us.yaml"), "    preset_options:\n      enable: [requestor, sower]\n"));
  EXPECT_FALSE(Contains(ReadFile(dir / "gen3-prod-eu.yaml"), "preset_options"));
}

TEST_F(FleetConfigTest, QuotesADataDirThatNeedsEscaping) {
  ASSERT_TRUE(sim_.WriteFleetConfig(tmp_.path(), "C:\\data \"demo\": #1").ok());
  EXPECT_TRUE(Contains(ReadFile(tmp_.path() / "settings.yaml"), "  data_dir: \"C:\\\\data \\\"demo\\\": #1\"\n"));
}

TEST_F(FleetConfigTest, RewritingReplacesTheFilesAndLeavesNoTemporaries) {
  ASSERT_TRUE(sim_.WriteFleetConfig(tmp_.path(), "first").ok());
  ASSERT_TRUE(sim_.WriteFleetConfig(tmp_.path(), "second").ok());
  EXPECT_TRUE(Contains(ReadFile(tmp_.path() / "settings.yaml"), "\"second\""));
  for (const auto& entry : std::filesystem::directory_iterator(tmp_.path())) {
    EXPECT_EQ(entry.path().extension(), ".yaml") << entry.path();
  }
}

TEST_F(FleetConfigTest, FailsWhenTheDirectoryCannotBeCreated) {
  csoc::testing::WriteFile(tmp_.path() / "a-file", "x");
  Status s = sim_.WriteFleetConfig(tmp_.path() / "a-file" / "fleet", "data");
  EXPECT_EQ(s.code(), Status::Code::kIOError);
  EXPECT_TRUE(Contains(s.message(), "a-file")) << s.message();
}

TEST(FleetConfig, NeedsPortsFromStart) {
  boost::asio::io_context io;
  Simulator sim(io, {});
  TempDir tmp;
  Status s = sim.WriteFleetConfig(tmp.path(), "data");
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_TRUE(std::filesystem::is_empty(tmp.path()));
}

}  // namespace
}  // namespace csoc::demo

namespace csoc::demo {
namespace {

class WrittenFleetConfig : public ::testing::TestWithParam<std::chrono::milliseconds> {};

TEST_P(WrittenFleetConfig, IsAcceptedByTheLoader) {
  boost::asio::io_context io;
  Simulator sim(io, SimulatorOptions{});
  ASSERT_TRUE(sim.Start().ok());
  // Nothing runs the io_context: stopped, it lets Stop() close the listeners on this thread.
  io.stop();
  csoc::testing::TempDir dir;
  ASSERT_TRUE(sim.WriteFleetConfig(dir.path() / "fleet", (dir.path() / "data").string(), GetParam()).ok());
  config::LoadResult r = config::LoadFleet(dir.path() / "fleet");
  for (const auto& e : r.errors) ADD_FAILURE() << e.ToString();
  ASSERT_TRUE(r.fleet.has_value());
  EXPECT_EQ(r.fleet->environments.size(), 6u);
  EXPECT_EQ(r.fleet->Clusters().size(), 2u);
  bool tls_degraded_rule = false;
  for (const fleet::Check* c : r.fleet->AllChecks()) {
    if (c->kind == fleet::CheckKind::kTls) {
      for (const auto& cond : c->degraded_conditions) tls_degraded_rule |= cond.text() == "cert.days_left > 14";
    }
  }
  EXPECT_TRUE(tls_degraded_rule);
  for (const fleet::Check* c : r.fleet->AllChecks()) {
    EXPECT_EQ(c->interval, GetParam()) << c->id;
    EXPECT_LE(c->timeout, c->interval) << c->id;
  }
  sim.Stop();
}

// The demo's interval, and the fast ones the integration tests use.
INSTANTIATE_TEST_SUITE_P(Intervals, WrittenFleetConfig,
                         ::testing::Values(kDemoProbeInterval, std::chrono::milliseconds(1000),
                                           std::chrono::milliseconds(500)));

}  // namespace
}  // namespace csoc::demo

// The `logs:` section: sources with one input each (file, syslog, push), the Loki push API's label
// mapping and the Faro collector, with every mistake reported at its file:line:column.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/config.h"
#include "config_test_util.h"

namespace csoc::config {
namespace {

using csoc::config::testing::Errors;
using csoc::config::testing::Load;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

// Two environments on lines 1-9; the logs section starts on line 10.
std::string WithLogs(const std::string& logs) {
  return "environments:\n"
         "  - name: gen3-prod\n"
         "    cluster: east\n"
         "    services:\n"
         "      - {name: api, checks: [{name: health, url: \"https://a.example.org/\"}]}\n"
         "  - name: gen3-staging\n"
         "    cluster: east\n"
         "    services:\n"
         "      - {name: api, checks: [{name: health, url: \"https://b.example.org/\"}]}\n"
         "logs:\n" +
         logs;
}

TEST(LogsConfigTest, EveryKindOfInputLokiAndFaro) {
  LoadResult r = Load(WithLogs(R"(  sources:
    - {name: files, environment: gen3-prod, format: gen3, file: /tmp/revproxy.log}
    - name: edge
      environment: gen3-prod
      format: combined
      syslog: {listen: "127.0.0.1:5514", protocol: tcp}
    - {name: edge-udp, environment: gen3-staging, format: combined, syslog: {listen: "127.0.0.1:5514"}}
    - {name: batch, environment: gen3-staging, format: combined, push: true}
  loki:
    environment_label: namespace
    environments: {gen3: gen3-prod, gen3-staging: gen3-staging}
  faro:
    apps: {gen3-portal: gen3-prod}
    api_key: ${FARO_KEY}
    origins: ["https://portal.example.org"]
    rate_limit: 20
)"),
                      {{"FARO_KEY", "0123456789abcdef"}});
  ASSERT_THAT(Errors(r), IsEmpty());
  const fleet::LogSettings& logs = r.fleet->logs;
  ASSERT_EQ(logs.sources.size(), 4u);
  EXPECT_EQ(logs.sources[0].kind, fleet::LogSource::Kind::kFile);
  EXPECT_EQ(logs.sources[0].file, "/tmp/revproxy.log");
  EXPECT_EQ(logs.sources[1].kind, fleet::LogSource::Kind::kSyslog);
  EXPECT_EQ(logs.sources[1].listen, "127.0.0.1:5514");
  EXPECT_TRUE(logs.sources[1].syslog_tcp);
  EXPECT_FALSE(logs.sources[2].syslog_tcp) << "udp is the default, and the same port may serve tcp and udp";
  EXPECT_EQ(logs.sources[3].kind, fleet::LogSource::Kind::kPush);
  EXPECT_TRUE(logs.loki.enabled);
  EXPECT_EQ(logs.loki.environment_label, "namespace");
  EXPECT_EQ(logs.loki.environments.at("gen3"), "gen3-prod");
  EXPECT_EQ(logs.loki.format, "gen3");
  EXPECT_TRUE(logs.faro.enabled);
  EXPECT_EQ(logs.faro.apps.at("gen3-portal"), "gen3-prod");
  EXPECT_EQ(logs.faro.api_key, "0123456789abcdef");
  EXPECT_EQ(logs.faro.origins, std::vector<std::string>{"https://portal.example.org"});
  EXPECT_EQ(logs.faro.rate_limit, 20);
  EXPECT_EQ(logs.faro.burst, 40) << "twice the rate unless given";
}

TEST(LogsConfigTest, SourceInputMistakes) {
  LoadResult r = Load(WithLogs(R"(  sources:
    - {name: a, environment: gen3-prod, format: combined, file: /tmp/a.log, push: true}
    - {name: b, environment: gen3-prod, format: combined}
    - {name: c, environment: gen3-prod, format: combined, syslog: {listen: "127.0.0.1:5514", protocol: tpc}}
    - {name: d, environment: gen3-prod, format: combined, syslog: {listen: "localhost"}}
    - {name: e, environment: gen3-prod, format: combined, push: false}
    - {name: f, environment: gen3-prod, format: combined, syslog: {listen: "127.0.0.1:5514"}}
    - {name: g, environment: gen3-prod, format: combined, syslog: {listen: "127.0.0.1:5514"}}
    - {name: h, environment: gen3-prod, format: combined, sylsog: {listen: "127.0.0.1:5515"}}
)"));
  EXPECT_THAT(
      Errors(r),
      ElementsAre(
          "fleet.yaml:12:77: a log source has one input: 'push' here and 'file' at fleet.yaml:12:59; keep one",
          "fleet.yaml:13:7: a log source needs one input: file: PATH, syslog: {listen: HOST:PORT, protocol: udp|tcp} or "
          "push: true",
          "fleet.yaml:14:104: protocol: 'tpc' must be udp or tcp",
          "fleet.yaml:15:76: listen: 'localhost' is not an address like 127.0.0.1:5514: expected host:port",
          "fleet.yaml:16:65: push: only 'push: true' declares a push source (leave the key out otherwise)",
          "fleet.yaml:18:7: syslog: log source 'f' already listens on udp 127.0.0.1:5514 (fleet.yaml:17:7); one source per "
          "address and protocol",
          "fleet.yaml:19:7: a log source needs one input: file: PATH, syslog: {listen: HOST:PORT, protocol: udp|tcp} or "
          "push: true",
          "fleet.yaml:19:59: unknown key 'sylsog' in a log source (did you mean 'syslog'?)"));
  EXPECT_FALSE(r.fleet);
}

TEST(LogsConfigTest, LokiAndFaroMistakes) {
  LoadResult r = Load(WithLogs(R"(  loki:
    environment_label: name-space
    environments: {gen3: gen3-prd}
  faro:
    environment: gen3-prod
    apps: {portal: gen3-prod}
    api_key: short
    origins: ["https://portal.example.org/explorer"]
)"));
  EXPECT_THAT(Errors(r),
              ElementsAre("fleet.yaml:12:24: environment_label: 'name-space' is not a label name ([a-zA-Z_][a-zA-Z0-9_]*)",
                          "fleet.yaml:13:26: environments.gen3: no environment named 'gen3-prd' in the fleet (did you "
                          "mean 'gen3-prod'?)",
                          "fleet.yaml:16:5: faro: give either environment (every app) or apps (per app), not both; "
                          "environment is at fleet.yaml:15:5",
                          "fleet.yaml:17:14: api_key: must be at least 8 characters without spaces (the Faro SDK's apiKey)",
                          "fleet.yaml:18:15: origins: 'https://portal.example.org/explorer' must be \"*\" or an origin like "
                          "https://portal.example.org (scheme and host, no path)"));
  EXPECT_THAT(Errors(Load(WithLogs("  loki: {environments: {a: gen3-prod}}\n  faro: {api_key: 0123456789}\n"))),
              ElementsAre("fleet.yaml:11:9: loki is missing required key 'environment_label'",
                          "fleet.yaml:12:9: faro: say where search terms count: environment: ENV (every app) or apps: "
                          "{APP: ENV}"));
}

}  // namespace
}  // namespace csoc::config

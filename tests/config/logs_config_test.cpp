// The `logs:` section (src/config/logs.cpp): sources attributed to environments of the fleet, their
// formats checked by the log parser itself, and every problem reported as file:line:column.
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
using namespace std::chrono_literals;

// 7 lines, so `logs:` is line 8 and the first line given to WithLogs is line 9.
constexpr const char* kFleet = R"(environments:
  - name: gen3-prod
    cluster: east
    services:
      - name: api
        checks:
          - {name: health, url: "https://a.example.org/"}
)";

std::string WithLogs(const std::string& lines) { return std::string(kFleet) + "logs:\n" + lines; }
std::string At(int line_in_logs, int column, const std::string& message) {
  return "fleet.yaml:" + std::to_string(8 + line_in_logs) + ":" + std::to_string(column) + ": " + message;
}

TEST(LogsConfigTest, AbsentSectionHasNoSourcesAndTheDefaults) {
  LoadResult r = Load(kFleet);
  ASSERT_THAT(Errors(r), IsEmpty());
  EXPECT_TRUE(r.fleet->logs.sources.empty());
  EXPECT_EQ(r.fleet->logs.pseudonymise_key, "");
  EXPECT_EQ(r.fleet->logs.minute_retention, std::chrono::milliseconds(48h));
  EXPECT_EQ(r.fleet->logs.hour_retention, std::chrono::milliseconds(24h * 90));
}

TEST(LogsConfigTest, ReadsSourcesAndSettings) {
  LoadResult r = Load(WithLogs(R"(  pseudonymise_key: ${KEY}
  minute_retention: 12h
  hour_retention: 30d
  sources:
    - {name: prod, environment: gen3-prod, format: gen3, file: /tmp/revproxy.log}
    - name: custom
      environment: gen3-prod
      format: '$remote_addr [$time_iso8601] "$request" $status $body_bytes_sent'
      file: /tmp/../tmp/custom.log
)"),
                       {{"KEY", "0123456789abcdef0123"}});
  ASSERT_THAT(Errors(r), IsEmpty());
  const fleet::LogSettings& l = r.fleet->logs;
  EXPECT_EQ(l.pseudonymise_key, "0123456789abcdef0123");
  EXPECT_EQ(l.minute_retention, std::chrono::milliseconds(12h));
  EXPECT_EQ(l.hour_retention, std::chrono::milliseconds(24h * 30));
  ASSERT_EQ(l.sources.size(), 2u);
  EXPECT_EQ(l.sources[0].name, "prod");
  EXPECT_EQ(l.sources[0].environment, "gen3-prod");
  EXPECT_EQ(l.sources[0].format, "gen3");
  EXPECT_EQ(l.sources[0].file, "/tmp/revproxy.log");
  EXPECT_EQ(l.sources[1].file, "/tmp/custom.log") << "normalised";
}

TEST(LogsConfigTest, EveryMistakeIsReportedWhereItIs) {
  LoadResult r = Load(WithLogs(R"(  sources:
    - {name: a, environment: gen3-prd, format: gen3, file: /tmp/a.log}
    - {name: a, environment: gen3-prod, format: apache, file: /tmp/b.log}
    - {name: c, environment: gen3-prod, format: '$remote_addr$status $time_local $request', file: /nonexistent-dir/c.log}
    - {name: 'bad name', environment: gen3-prod, format: combined, file: /tmp/d.log}
    - {name: e, environment: gen3-prod, format: combined}
    - {name: f, environment: gen3-prod, format: combined, file: /tmp/f.log, tail: yes}
  pseudonymise_key: short
  sources_typo: 1
)"));
  EXPECT_THAT(
      Errors(r),
      ElementsAre(
          At(2, 30, "environment: no environment named 'gen3-prd' in the fleet (did you mean 'gen3-prod'?)"),
          At(3, 14, "name: another log source is already called 'a'"),
          At(3, 49, "format: unknown log format 'apache': expected gen3, combined, or an nginx log_format string with $variables"),
          At(4, 49, "format: log format: $remote_addr and $status have nothing between them, so a line cannot be split into the two"),
          At(4, 99, "file: '/nonexistent-dir/c.log' must be a file in an existing directory (a relative path is relative to the "
                    "config file)"),
          At(5, 14, "name: 'bad name' must be 1-64 letters, digits, '-', '_' or '.'"),
          At(6, 7, "a log source is missing required key 'file'"),
          At(7, 77, "unknown key 'tail' in a log source (expected name, environment, format or file)"),
          At(8, 21, "pseudonymise_key: must be at least 16 characters (use ${NAME} to take it from the environment)"),
          At(9, 3, "unknown key 'sources_typo' in logs (expected sources, pseudonymise_key, minute_retention or hour_retention)")));
  EXPECT_FALSE(r.fleet.has_value());
}

}  // namespace
}  // namespace csoc::config

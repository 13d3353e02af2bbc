#include <gtest/gtest.h>

#include "core/health_state.h"
#include "core/metrics.h"
#include "core/status.h"
#include "core/time.h"

namespace csoc {
namespace {

using std::chrono::milliseconds;

TEST(Duration, ParsesUnitsAndSequences) {
  EXPECT_EQ(ParseDuration("30s"), milliseconds(30'000));
  EXPECT_EQ(ParseDuration("500ms"), milliseconds(500));
  EXPECT_EQ(ParseDuration("1m30s"), milliseconds(90'000));
  EXPECT_EQ(ParseDuration("2h"), milliseconds(7'200'000));
  EXPECT_EQ(ParseDuration("7d"), milliseconds(7LL * 86'400'000));
  EXPECT_EQ(ParseDuration("0s"), milliseconds(0));
}

TEST(Duration, RejectsMalformed) {
  for (const char* bad : {"", "30", "s", "10x", "1.5s", "-3s", "3 s", "99999999999999999999d"}) {
    EXPECT_FALSE(ParseDuration(bad).has_value()) << bad;
  }
}

TEST(Duration, FormatsShortestExactForm) {
  EXPECT_EQ(FormatDuration(milliseconds(90'000)), "1m30s");
  EXPECT_EQ(FormatDuration(milliseconds(0)), "0s");
  EXPECT_EQ(FormatDuration(milliseconds(1'500)), "1s500ms");
  EXPECT_EQ(FormatDuration(milliseconds(86'400'000)), "1d");
}

TEST(Iso8601, RoundTripsAndAcceptsOffsets) {
  TimePoint t = FromUnixMillis(1'795'000'000'123);
  std::string s = FormatIso8601(t);
  EXPECT_EQ(s, "2026-11-18T11:06:40.123Z");
  EXPECT_EQ(ParseIso8601(s), t);
  EXPECT_EQ(ParseIso8601("2026-11-18T12:06:40.123+01:00"), t);
  EXPECT_EQ(ParseIso8601("2026-11-18T11:06:40Z"), FromUnixMillis(1'795'000'000'000));
  EXPECT_FALSE(ParseIso8601("2026-11-18").has_value());
  EXPECT_FALSE(ParseIso8601("2026-13-18T08:26:40Z").has_value());
  EXPECT_FALSE(ParseIso8601("2026-11-18T08:26:40").has_value());
  EXPECT_FALSE(ParseIso8601("2026-11-18T08:26:40Zjunk").has_value());
}

TEST(Iso8601, RefusesDaysThatDoNotExistAndYearsATimePointCannotHold) {
  EXPECT_FALSE(ParseIso8601("2026-02-29T10:00:00Z").has_value());
  EXPECT_FALSE(ParseIso8601("2026-02-30T10:00:00Z").has_value());
  EXPECT_FALSE(ParseIso8601("2026-04-31T10:00:00Z").has_value());
  EXPECT_TRUE(ParseIso8601("2028-02-29T10:00:00Z").has_value());
  EXPECT_FALSE(ParseIso8601("2100-02-29T10:00:00Z").has_value());
  EXPECT_TRUE(ParseIso8601("2000-02-29T10:00:00Z").has_value());
  EXPECT_FALSE(ParseIso8601("2300-01-01T00:00:00Z").has_value());
  EXPECT_FALSE(ParseIso8601("1600-01-01T00:00:00Z").has_value());
  EXPECT_EQ(ParseIso8601("2261-12-31T23:59:59Z"), FromUnixMillis(9'214'646'399'000));
}

TEST(HealthState, NamesAndOrdering) {
  EXPECT_EQ(HealthName(Health::kDegraded), "degraded");
  EXPECT_EQ(ParseHealth("down"), Health::kDown);
  EXPECT_FALSE(ParseHealth("DOWN").has_value());
  EXPECT_EQ(Worse(Health::kUp, Health::kUnknown), Health::kUnknown);
  EXPECT_EQ(Worse(Health::kDown, Health::kDegraded), Health::kDown);
  EXPECT_EQ(Worse(Health::kUnknown, Health::kDegraded), Health::kDegraded);
}

TEST(Status, CarriesCodeAndMessage) {
  EXPECT_TRUE(Status::Ok().ok());
  Status s = Status::InvalidArgument("port 99999 is out of range");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.ToString(), "invalid argument: port 99999 is out of range");
}

TEST(Metrics, RendersPrometheusTextFormat) {
  MetricsRegistry reg;
  reg.GetCounter("csoc_test_total", "A test counter.", {{"type", "http"}})->Add(3);
  Histogram* h = reg.GetHistogram("csoc_test_seconds", "A test histogram.", {0.1, 1});
  h->Observe(0.05);
  h->Observe(0.5);
  h->Observe(5);
  reg.SetGaugeFunction("csoc_test_gauge", "A gauge.", [] {
    return std::vector<std::pair<Labels, double>>{{{{"state", "a\"b"}}, 2.5}};
  });
  std::string text = reg.RenderPrometheus();
  EXPECT_NE(text.find("# TYPE csoc_test_total counter\ncsoc_test_total{type=\"http\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("csoc_test_seconds_bucket{le=\"0.1\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("csoc_test_seconds_bucket{le=\"1\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("csoc_test_seconds_bucket{le=\"+Inf\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("csoc_test_seconds_sum 5.55\n"), std::string::npos);
  EXPECT_NE(text.find("csoc_test_seconds_count 3\n"), std::string::npos);
  EXPECT_NE(text.find("csoc_test_gauge{state=\"a\\\"b\"} 2.5\n"), std::string::npos);
  // The same name and labels give the same counter.
  EXPECT_EQ(reg.GetCounter("csoc_test_total", "A test counter.", {{"type", "http"}})->value(), 3u);
}

}  // namespace
}  // namespace csoc

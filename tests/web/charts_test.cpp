#include "web/charts.h"

#include <gtest/gtest.h>

namespace csoc::web {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;

size_t Count(const std::string& haystack, const std::string& needle) {
  size_t n = 0;
  for (size_t pos = haystack.find(needle); pos != std::string::npos; pos = haystack.find(needle, pos + 1)) ++n;
  return n;
}

store::SeriesPoint Point(TimePoint start, int64_t count, int64_t down, double p50, double p95) {
  store::SeriesPoint p;
  p.start = start;
  p.count = count;
  p.down = down;
  p.uptime = count ? static_cast<double>(count - down) / static_cast<double>(count) : 0;
  p.p50_ms = p50;
  p.p95_ms = p95;
  p.p99_ms = p95 * 1.5;
  return p;
}

const TimePoint kFrom = FromUnixMillis(1'795'000'000'000 / 3'600'000 * 3'600'000);

TEST(LatencyChartTest, EmptySeriesSaysSo) {
  std::string html = LatencyChart({}, kFrom, kFrom + hours(24), minutes(5), "Latency of <x>");
  EXPECT_NE(html.find("No latency data in this range."), std::string::npos);
  EXPECT_NE(html.find("Latency of &lt;x&gt;"), std::string::npos);
  EXPECT_EQ(html.find("<svg"), std::string::npos);
}

TEST(LatencyChartTest, DrawsLinesAxesAndTooltips) {
  std::vector<store::SeriesPoint> points;
  for (int i = 0; i < 12; ++i) points.push_back(Point(kFrom + minutes(5 * i), 5, i == 3 ? 1 : 0, 40 + i, 180 + i));
  std::string html = LatencyChart(points, kFrom, kFrom + hours(1), minutes(5), "fence");
  EXPECT_EQ(Count(html, "<polyline class=\"line-p95\""), 1u);
  EXPECT_EQ(Count(html, "<polyline class=\"line-p50\""), 1u);
  EXPECT_EQ(Count(html, "<rect "), 12u);  // one hover target per point
  EXPECT_NE(html.find("role=\"img\""), std::string::npos);
  // The axis is scaled to a round step above the highest p95 (191 ms -> 4 x 50 ms).
  EXPECT_NE(html.find(">200 ms</text>"), std::string::npos);
  EXPECT_NE(html.find(">50 ms</text>"), std::string::npos);
  EXPECT_NE(html.find("(5 results, 1 down)"), std::string::npos);
  EXPECT_NE(html.find("highest p95 191 ms"), std::string::npos);
  EXPECT_EQ(html.find("style="), std::string::npos);
}

TEST(LatencyChartTest, MissingDataBreaksTheLine) {
  std::vector<store::SeriesPoint> points = {Point(kFrom, 1, 0, 10, 20), Point(kFrom + minutes(1), 1, 0, 10, 20),
                                            Point(kFrom + minutes(30), 1, 0, 10, 20),
                                            Point(kFrom + minutes(31), 1, 0, 10, 20)};
  std::string html = LatencyChart(points, kFrom, kFrom + hours(1), minutes(1), "x");
  EXPECT_EQ(Count(html, "<polyline class=\"line-p95\""), 2u);
}

TEST(LatencyChartTest, FailedResultsHaveNoLatency) {
  // Buckets of failures only carry no percentiles (the store leaves failures out): no line, no zero.
  std::vector<store::SeriesPoint> all_down = {Point(kFrom, 3, 3, 0, 0), Point(kFrom + minutes(1), 2, 2, 0, 0)};
  std::string html = LatencyChart(all_down, kFrom, kFrom + hours(1), minutes(1), "x");
  EXPECT_EQ(Count(html, "<svg"), 0u);
  EXPECT_NE(html.find("<p class=\"chart-empty\">No latency to show: all 5 results in this range failed.</p>"),
            std::string::npos);

  std::vector<store::SeriesPoint> mixed;
  for (int i = 0; i < 10; ++i) mixed.push_back(Point(kFrom + minutes(i), 2, i >= 4 && i < 7 ? 2 : 0, 10, 20));
  html = LatencyChart(mixed, kFrom, kFrom + hours(1), minutes(1), "x");
  EXPECT_EQ(Count(html, "<polyline class=\"line-p50\""), 2u);
  EXPECT_NE(html.find("from 14 results that did not fail"), std::string::npos);
}

TEST(RebucketTest, MergesCountsAndKeepsSpikes) {
  std::vector<store::SeriesPoint> points = {Point(kFrom, 10, 0, 10, 20), Point(kFrom + minutes(1), 30, 3, 30, 900),
                                            Point(kFrom + minutes(5), 5, 0, 50, 60)};
  auto out = Rebucket(points, minutes(5));
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].start, kFrom);
  EXPECT_EQ(out[0].count, 40);
  EXPECT_EQ(out[0].down, 3);
  EXPECT_DOUBLE_EQ(out[0].p50_ms, (10 * 10 + 30 * 30) / 40.0);
  EXPECT_DOUBLE_EQ(out[0].p95_ms, 900);
  EXPECT_DOUBLE_EQ(out[0].uptime, 37.0 / 40.0);
  EXPECT_EQ(out[1].start, kFrom + minutes(5));
  EXPECT_EQ(out[1].count, 5);
}

TEST(RebucketTest, CoarserBucketKeepsPointCountBounded) {
  EXPECT_EQ(CoarserBucket(hours(24), minutes(1), 360), minutes(4));
  EXPECT_EQ(CoarserBucket(hours(1), minutes(1), 360), minutes(1));
  EXPECT_EQ(CoarserBucket(hours(24 * 90), hours(1), 360), hours(6));
}

TEST(UptimeBarsTest, OneBarPerDayWithTooltips) {
  TimePoint first = FromUnixMillis(1'795'000'000'000 / 86'400'000 * 86'400'000) - hours(24 * 89);
  std::vector<store::SeriesPoint> daily = {Point(first, 2880, 0, 1, 1), Point(first + hours(24), 2000, 1, 1, 1),
                                           Point(first + hours(24 * 2), 100, 2, 1, 1),
                                           Point(first + hours(24 * 3), 100, 50, 1, 1)};
  std::string svg = UptimeBars(daily, first, 90);
  EXPECT_EQ(Count(svg, "<rect "), 90u);
  EXPECT_EQ(Count(svg, "class=\"u-none\""), 86u);
  EXPECT_EQ(Count(svg, "class=\"u-ok\""), 2u);  // 100% and 99.95%
  EXPECT_EQ(Count(svg, "class=\"u-major\""), 1u);
  EXPECT_EQ(Count(svg, "class=\"u-critical\""), 1u);
  EXPECT_NE(svg.find("<title>2026-08-21: 100% up, 2880 results, 0 down, 0 degraded</title>"), std::string::npos) << svg;
  EXPECT_NE(svg.find("2026-08-22: 99.95% up"), std::string::npos);
  EXPECT_NE(svg.find(": no data</title>"), std::string::npos);
}

TEST(UptimeTest, OverallAndClasses) {
  EXPECT_LT(OverallUptime({}), 0);
  EXPECT_DOUBLE_EQ(OverallUptime({Point(kFrom, 3, 1, 1, 1), Point(kFrom, 1, 0, 1, 1)}), 0.75);
  EXPECT_EQ(UptimeClass(1.0), "u-ok");
  EXPECT_EQ(UptimeClass(0.995), "u-minor");
  EXPECT_EQ(UptimeClass(0.96), "u-major");
  EXPECT_EQ(UptimeClass(0.5), "u-critical");
}

}  // namespace
}  // namespace csoc::web

// Charts for the dashboard as inline SVG, drawn in C++ (no chart library, nothing loaded from
// elsewhere). Colours come from CSS classes (app.css), geometry from attributes, so the output
// passes a Content-Security-Policy without 'unsafe-inline'. Pure functions; thread-safe.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "core/time.h"
#include "store/store.h"

namespace csoc::web {

// The bucket width to use so that [from, to) holds at most `max_points` buckets: a whole multiple
// of `bucket` (which it returns unchanged when it is already coarse enough).
std::chrono::milliseconds CoarserBucket(std::chrono::milliseconds range, std::chrono::milliseconds bucket,
                                        size_t max_points);

// Merges points into buckets of `bucket` width aligned to the unix epoch. Counts add up; p50 becomes
// the count-weighted mean of the p50s and p95/p99 the maximum, so a short spike stays visible
// (exact percentiles would need the latency histograms, which the store does not return).
std::vector<store::SeriesPoint> Rebucket(const std::vector<store::SeriesPoint>& points,
                                         std::chrono::milliseconds bucket);

// A p50/p95 latency line chart over [from, to). `bucket` is the width of one point (for raw
// results the typical interval), used to break the lines where data is missing. Returns a
// <figure> with the SVG, a legend and a one-line text summary; when `points` is empty, a short
// "no data" note instead. The points count probe results ("N results that did not fail"), or, with
// `counted` set (e.g. "timed request"), that: each point's count is then all timed, none down.
std::string LatencyChart(const std::vector<store::SeriesPoint>& points, TimePoint from, TimePoint to,
                         std::chrono::milliseconds bucket, const std::string& caption, std::string_view counted = {});

// One stacked bar per bucket over [from, to): `layers` names each layer of a stack and its CSS
// class (bottom first), each point holds one value per layer. For counts (requests per minute by
// status class). Returns a <figure> with the SVG, a legend and a one-line summary naming the
// total and the highest bucket; "no data" when every value is zero.
struct StackedPoint {
  TimePoint start;
  std::vector<double> values;  // one per layer
};
struct ChartLayer {
  std::string name;       // "2xx/3xx"
  std::string css_class;  // "bar-ok"
};
std::string StackedBarChart(const std::vector<StackedPoint>& points, const std::vector<ChartLayer>& layers,
                            TimePoint from, TimePoint to, std::chrono::milliseconds bucket, const std::string& caption,
                            const std::string& unit);

// One bar per day for `days` days starting at `first_day` (UTC midnight), coloured by uptime, each
// with a <title> tooltip ("2026-11-22: 99.95% up, 2880 results, 1 down"); days without data are
// grey and say so.
std::string UptimeBars(const std::vector<store::SeriesPoint>& daily, TimePoint first_day, int days);

// CSS class for an uptime ratio: u-ok (≥ 99.9%), u-minor (≥ 99%), u-major (≥ 95%), u-critical.
std::string_view UptimeClass(double uptime);

// Overall uptime of a series: (count - down) / count over all points; negative when there is no data.
double OverallUptime(const std::vector<store::SeriesPoint>& points);

}  // namespace csoc::web

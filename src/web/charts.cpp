#include "web/charts.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <ctime>

#include "web/text.h"

namespace csoc::web {
namespace {

using std::chrono::milliseconds;

// Geometry of the latency chart, in CSS pixels of the outer SVG (its width is 100% of the page).
constexpr int kChartHeight = 200;
constexpr int kPlotTop = 18;
constexpr int kPlotHeight = 160;
constexpr int kAxisLabelY = 196;
// The plot is an inner SVG stretched to the full width: x runs 0..kPlotWidth in its own units.
constexpr double kPlotWidth = 1000;

// 1, 2 or 5 times a power of ten, at least `raw`.
double NiceStep(double raw) {
  if (raw <= 0) return 1;
  double magnitude = std::pow(10, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0, 10.0}) {
    if (m * magnitude >= raw) return m * magnitude;
  }
  return 10 * magnitude;
}

std::string AxisTime(TimePoint t, bool with_date) {
  std::time_t tt = static_cast<std::time_t>(ToUnixMillis(t) / 1000);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  if (with_date) return fmt::format("{} {}", kMonths[tm.tm_mon], tm.tm_mday);
  return fmt::format("{:02}:{:02}", tm.tm_hour, tm.tm_min);
}

std::string DayLabel(TimePoint t) {
  std::time_t tt = static_cast<std::time_t>(ToUnixMillis(t) / 1000);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  return fmt::format("{:04}-{:02}-{:02}", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

std::string AxisValue(double ms) {
  if (ms >= 1000) return fmt::format("{:g} s", ms / 1000);
  return fmt::format("{:g} ms", ms);
}

}  // namespace

std::string StackedBarChart(const std::vector<StackedPoint>& points, const std::vector<ChartLayer>& layers,
                            TimePoint from, TimePoint to, milliseconds bucket, const std::string& caption,
                            const std::string& unit) {
  std::string out = "<figure class=\"chart\">\n<figcaption><span class=\"chart-title\">";
  AppendEscaped(out, caption);
  out += "</span><span class=\"legend\">";
  for (const ChartLayer& l : layers) {
    out += "<span class=\"key " + HtmlEscape(l.css_class) + "\" aria-hidden=\"true\"></span>";
    AppendEscaped(out, l.name);
    out += " ";
  }
  out += "</span></figcaption>\n";
  double total = 0, highest = 0;
  TimePoint highest_at = from;
  for (const StackedPoint& p : points) {
    double sum = 0;
    for (double v : p.values) sum += v;
    total += sum;
    if (sum > highest) {
      highest = sum;
      highest_at = p.start;
    }
  }
  if (total <= 0 || to <= from) {
    out += "<p class=\"chart-empty\">No data in this range.</p>\n</figure>\n";
    return out;
  }
  const auto range = std::chrono::duration_cast<milliseconds>(to - from);
  const bool with_date = range > std::chrono::hours(36);
  const std::string summary = fmt::format("{:.0f} {} in all; the most, {:.0f}, in the {} starting {}.", total, unit,
                                          highest, bucket >= std::chrono::hours(24) ? "day" : bucket >= std::chrono::hours(1) ? "hour" : "minute",
                                          AxisTime(highest_at, with_date));
  const double step = NiceStep(highest / 4);
  const double top = step * 4;
  out += fmt::format("<svg class=\"chart-svg\" width=\"100%\" height=\"{}\" role=\"img\" aria-label=\"", kChartHeight);
  AppendEscaped(out, caption + ". " + summary);
  out += "\">\n";
  std::string value_labels;  // drawn after the bars, so that a tall bar does not hide them
  for (int i = 0; i <= 4; ++i) {
    const int y = kPlotTop + kPlotHeight - i * kPlotHeight / 4;
    out += fmt::format("<line class=\"grid\" x1=\"0\" x2=\"100%\" y1=\"{}\" y2=\"{}\"/>\n", y, y);
    if (i > 0) value_labels += fmt::format("<text class=\"axis\" x=\"4\" y=\"{}\">{:g}</text>\n", y - 4, step * i);
  }
  static constexpr std::pair<int, const char*> kTicks[] = {{0, "start"}, {25, "middle"}, {50, "middle"}, {75, "middle"}, {100, "end"}};
  for (auto [percent, anchor] : kTicks) {
    const TimePoint t = from + std::chrono::duration_cast<Clock::duration>(range * percent / 100);
    out += fmt::format("<text class=\"axis\" x=\"{}%\" y=\"{}\" text-anchor=\"{}\">{}</text>", percent, kAxisLabelY,
                       anchor, AxisTime(t, with_date));
  }
  out += fmt::format("\n<svg x=\"0\" y=\"{}\" width=\"100%\" height=\"{}\" viewBox=\"0 0 {} {}\" preserveAspectRatio=\"none\">\n",
                     kPlotTop, kPlotHeight, kPlotWidth, kPlotHeight);
  const double range_ms = static_cast<double>(range.count());
  const double width = std::max(0.5, static_cast<double>(bucket.count()) / range_ms * kPlotWidth * 0.85);
  for (const StackedPoint& p : points) {
    const double x = static_cast<double>(std::chrono::duration_cast<milliseconds>(p.start - from).count()) / range_ms * kPlotWidth;
    if (x < 0 || x >= kPlotWidth) continue;
    double base = 0;
    for (size_t i = 0; i < p.values.size() && i < layers.size(); ++i) {
      if (p.values[i] <= 0) continue;
      const double h = p.values[i] / top * kPlotHeight;
      out += fmt::format("<rect class=\"{}\" x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\"/>", HtmlEscape(layers[i].css_class), x,
                         kPlotHeight - base - h, width, h);
      base += h;
    }
  }
  out += "\n</svg>\n" + value_labels + "</svg>\n<p class=\"chart-summary\">";
  AppendEscaped(out, summary);
  out += "</p>\n</figure>\n";
  return out;
}

std::string_view UptimeClass(double uptime) {
  if (uptime >= 0.999) return "u-ok";
  if (uptime >= 0.99) return "u-minor";
  if (uptime >= 0.95) return "u-major";
  return "u-critical";
}

double OverallUptime(const std::vector<store::SeriesPoint>& points) {
  int64_t count = 0, down = 0;
  for (const auto& p : points) {
    count += p.count;
    down += p.down;
  }
  if (count == 0) return -1;
  return static_cast<double>(count - down) / static_cast<double>(count);
}

milliseconds CoarserBucket(milliseconds range, milliseconds bucket, size_t max_points) {
  if (bucket.count() <= 0 || max_points == 0 || range.count() <= 0) return bucket;
  int64_t buckets = (range.count() + bucket.count() - 1) / bucket.count();
  int64_t per_bin = (buckets + static_cast<int64_t>(max_points) - 1) / static_cast<int64_t>(max_points);
  return bucket * std::max<int64_t>(per_bin, 1);
}

std::vector<store::SeriesPoint> Rebucket(const std::vector<store::SeriesPoint>& points, milliseconds bucket) {
  if (bucket.count() <= 0) return points;
  std::vector<store::SeriesPoint> out;
  int64_t current = 0;
  double p50_weighted = 0;
  auto finish = [&] {
    if (out.empty()) return;
    auto& m = out.back();
    m.p50_ms = m.count > 0 ? p50_weighted / static_cast<double>(m.count) : 0;
    m.uptime = m.count > 0 ? static_cast<double>(m.count - m.down) / static_cast<double>(m.count) : 0;
  };
  for (const auto& p : points) {
    int64_t ms = ToUnixMillis(p.start);
    int64_t index = (ms >= 0 ? ms : ms - bucket.count() + 1) / bucket.count();
    if (out.empty() || index != current) {
      finish();
      current = index;
      store::SeriesPoint merged;
      merged.start = FromUnixMillis(index * bucket.count());
      out.push_back(merged);
      p50_weighted = 0;
    }
    store::SeriesPoint& m = out.back();
    m.count += p.count;
    m.down += p.down;
    m.degraded += p.degraded;
    p50_weighted += p.p50_ms * static_cast<double>(p.count);
    m.p95_ms = std::max(m.p95_ms, p.p95_ms);
    m.p99_ms = std::max(m.p99_ms, p.p99_ms);
  }
  finish();
  return out;
}

std::string LatencyChart(const std::vector<store::SeriesPoint>& points, TimePoint from, TimePoint to,
                         milliseconds bucket, const std::string& caption, std::string_view counted) {
  std::string out = "<figure class=\"chart\">\n<figcaption><span class=\"chart-title\">";
  AppendEscaped(out, caption);
  out +=
      "</span><span class=\"legend\"><span class=\"key key-p50\" aria-hidden=\"true\"></span>p50 "
      "<span class=\"key key-p95\" aria-hidden=\"true\"></span>p95</span></figcaption>\n";
  if (points.empty() || to <= from) {
    out += "<p class=\"chart-empty\">No latency data in this range.</p>\n</figure>\n";
    return out;
  }
  // The store leaves failed results out of the latency percentiles, so a bucket of only failures
  // has no latency: it is a gap in the lines, not a zero.
  std::vector<const store::SeriesPoint*> timed;
  double max_value = 0;
  std::vector<double> p50s;
  int64_t results = 0, timed_results = 0;
  for (const auto& p : points) {
    results += p.count;
    if (p.count <= p.down) continue;
    timed.push_back(&p);
    timed_results += p.count - p.down;
    max_value = std::max({max_value, p.p95_ms, p.p50_ms});
    p50s.push_back(p.p50_ms);
  }
  double step = NiceStep(std::max(max_value, 1.0) / 4);
  double top = step * 4;
  if (timed.empty()) {
    out += fmt::format("<p class=\"chart-empty\">No latency to show: {} in this range failed.</p>\n</figure>\n",
                       results == 1 ? std::string("the only result") : fmt::format("all {} results", results));
    return out;
  }
  std::nth_element(p50s.begin(), p50s.begin() + static_cast<ptrdiff_t>(p50s.size() / 2), p50s.end());
  const std::string what = counted.empty() ? std::string("result") : std::string(counted);
  std::string summary = fmt::format("Typical p50 {}, highest p95 {}, from {} {}{}{}.", FormatLatencyMs(p50s[p50s.size() / 2]),
                                    FormatLatencyMs(max_value), timed_results, what, timed_results == 1 ? "" : "s",
                                    counted.empty() ? " that did not fail" : "");
  out += fmt::format("<svg class=\"chart-svg\" width=\"100%\" height=\"{}\" role=\"img\" aria-label=\"", kChartHeight);
  AppendEscaped(out, caption + ". " + summary);
  out += "\">\n";

  for (int i = 0; i <= 4; ++i) {
    int y = kPlotTop + kPlotHeight - i * kPlotHeight / 4;
    out += fmt::format("<line class=\"grid\" x1=\"0\" x2=\"100%\" y1=\"{}\" y2=\"{}\"/>", y, y);
    if (i > 0) out += fmt::format("<text class=\"axis\" x=\"4\" y=\"{}\">{}</text>", y - 4, AxisValue(step * i));
    out += "\n";
  }
  auto range = std::chrono::duration_cast<milliseconds>(to - from);
  bool with_date = range > std::chrono::hours(36);
  static constexpr std::pair<int, const char*> kTicks[] = {
      {0, "start"}, {25, "middle"}, {50, "middle"}, {75, "middle"}, {100, "end"}};
  for (auto [percent, anchor] : kTicks) {
    TimePoint t = from + std::chrono::duration_cast<Clock::duration>(range * percent / 100);
    out += fmt::format("<text class=\"axis\" x=\"{}%\" y=\"{}\" text-anchor=\"{}\">{}</text>", percent, kAxisLabelY,
                       anchor, AxisTime(t, with_date));
  }
  out += "\n";

  out += fmt::format(
      "<svg x=\"0\" y=\"{}\" width=\"100%\" height=\"{}\" viewBox=\"0 0 {} {}\" preserveAspectRatio=\"none\">\n",
      kPlotTop, kPlotHeight, kPlotWidth, kPlotHeight);
  double range_ms = static_cast<double>(range.count());
  auto x_of = [&](TimePoint t) {
    double ms = static_cast<double>(std::chrono::duration_cast<milliseconds>(t - from).count());
    return std::clamp(ms / range_ms * kPlotWidth, 0.0, kPlotWidth);
  };
  auto y_of = [&](double v) { return kPlotHeight - std::clamp(v / top, 0.0, 1.0) * kPlotHeight; };
  double bucket_width = std::max(1.0, static_cast<double>(bucket.count()) / range_ms * kPlotWidth);

  // Lines break where a gap of more than two buckets shows that data is missing.
  std::vector<std::vector<const store::SeriesPoint*>> segments;
  for (size_t i = 0; i < timed.size(); ++i) {
    if (i == 0 || timed[i]->start - timed[i - 1]->start > bucket * 2) segments.emplace_back();
    segments.back().push_back(timed[i]);
  }
  auto center = [&](const store::SeriesPoint* p) {
    return x_of(p->start + std::chrono::duration_cast<Clock::duration>(bucket / 2));
  };
  for (const auto& seg : segments) {
    std::string p95_line, p50_line;
    for (const auto* p : seg) {
      p95_line += fmt::format("{:.1f},{:.1f} ", center(p), y_of(p->p95_ms));
      p50_line += fmt::format("{:.1f},{:.1f} ", center(p), y_of(p->p50_ms));
    }
    if (seg.size() == 1) {
      // A lone point has no line to draw; a dash one bucket wide shows it.
      double x = center(seg[0]);
      double half = std::max(bucket_width / 2, 3.0);
      p95_line = fmt::format("{:.1f},{:.1f} {:.1f},{:.1f} ", std::max(0.0, x - half), y_of(seg[0]->p95_ms),
                             std::min(kPlotWidth, x + half), y_of(seg[0]->p95_ms));
      p50_line = fmt::format("{:.1f},{:.1f} {:.1f},{:.1f} ", std::max(0.0, x - half), y_of(seg[0]->p50_ms),
                             std::min(kPlotWidth, x + half), y_of(seg[0]->p50_ms));
    }
    p95_line.pop_back();
    p50_line.pop_back();
    if (seg.size() > 1) {
      out += fmt::format("<polygon class=\"area-p95\" points=\"{:.1f},{} {} {:.1f},{}\"/>\n", center(seg.front()),
                         kPlotHeight, p95_line, center(seg.back()), kPlotHeight);
    }
    out += "<polyline class=\"line-p95\" vector-effect=\"non-scaling-stroke\" points=\"" + p95_line + "\"/>\n";
    out += "<polyline class=\"line-p50\" vector-effect=\"non-scaling-stroke\" points=\"" + p50_line + "\"/>\n";
  }
  // Hover targets: one transparent column per point with its numbers as a tooltip.
  out += "<g class=\"hits\">";
  for (const auto& p : points) {
    double x = std::clamp(x_of(p.start), 0.0, kPlotWidth - bucket_width);
    out +=
        fmt::format("<rect x=\"{:.1f}\" y=\"0\" width=\"{:.1f}\" height=\"{}\"><title>", x, bucket_width, kPlotHeight);
    const std::string counts = counted.empty() ? fmt::format("{} results, {} down", p.count, p.down)
                                               : fmt::format("{} {}{}", p.count, what, p.count == 1 ? "" : "s");
    AppendEscaped(out, fmt::format("{}: p50 {}, p95 {}, p99 {} ({})", FormatTimeUtc(p.start), FormatLatencyMs(p.p50_ms),
                                   FormatLatencyMs(p.p95_ms), FormatLatencyMs(p.p99_ms), counts));
    out += "</title></rect>";
  }
  out += "</g>\n</svg>\n</svg>\n<p class=\"chart-summary\">";
  AppendEscaped(out, summary + " Times in UTC.");
  out += "</p>\n</figure>\n";
  return out;
}

std::string UptimeBars(const std::vector<store::SeriesPoint>& daily, TimePoint first_day, int days) {
  constexpr milliseconds kDay(86'400'000);
  std::vector<const store::SeriesPoint*> by_day(static_cast<size_t>(std::max(days, 0)), nullptr);
  for (const auto& p : daily) {
    auto offset = std::chrono::duration_cast<milliseconds>(p.start - first_day);
    if (offset.count() < 0) continue;
    auto index = static_cast<size_t>(offset / kDay);
    if (index < by_day.size()) by_day[index] = &p;
  }
  double overall = OverallUptime(daily);
  std::string out = fmt::format(
      "<svg class=\"uptime-bars\" width=\"100%\" height=\"34\" role=\"img\" aria-label=\"Uptime per day over the "
      "last {} days: {}\">\n",
      days, overall < 0 ? std::string("no data") : FormatPercent(overall));
  double slot = 100.0 / std::max(days, 1);
  for (size_t i = 0; i < by_day.size(); ++i) {
    TimePoint day = first_day + kDay * static_cast<int64_t>(i);
    const store::SeriesPoint* p = by_day[i];
    std::string cls = "u-none";
    std::string tip = DayLabel(day) + ": no data";
    if (p != nullptr && p->count > 0) {
      double up = static_cast<double>(p->count - p->down) / static_cast<double>(p->count);
      cls = std::string(UptimeClass(up));
      tip = fmt::format("{}: {} up, {} results, {} down, {} degraded", DayLabel(day), FormatPercent(up), p->count,
                        p->down, p->degraded);
    }
    out += fmt::format("<rect class=\"{}\" x=\"{:.3f}%\" y=\"0\" width=\"{:.3f}%\" height=\"34\" rx=\"2\"><title>", cls,
                       slot * static_cast<double>(i) + slot * 0.12, slot * 0.76);
    AppendEscaped(out, tip);
    out += "</title></rect>\n";
  }
  out += "</svg>\n";
  return out;
}

}  // namespace csoc::web

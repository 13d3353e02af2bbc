#include "web/logs_routes.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "logs/json.h"
#include "logs/query.h"
#include "web/api_json.h"
#include "web/assets.h"
#include "web/charts.h"
#include "web/params.h"
#include "web/text.h"

namespace csoc::web {
namespace {

using std::chrono::milliseconds;

constexpr size_t kDefaultTop = 10;
constexpr int64_t kMaxTop = 100;

const std::vector<std::pair<std::string, milliseconds>>& PageRanges() {
  static const std::vector<std::pair<std::string, milliseconds>> kRanges = {
      {"1h", std::chrono::hours(1)},       {"6h", std::chrono::hours(6)},        {"24h", std::chrono::hours(24)},
      {"7d", std::chrono::hours(24 * 7)}, {"30d", std::chrono::hours(24 * 30)}, {"90d", std::chrono::hours(24 * 90)}};
  return kRanges;
}

Response JsonAnswer(const nlohmann::json& j) {
  Response r;
  r.content_type = "application/json";
  r.body = DumpJson(Json(j)) + "\n";
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

Response JsonError(int status, const std::string& message) {
  Response r;
  r.status = status;
  r.content_type = "application/json";
  r.body = DumpJson(ErrorJson(status, message)) + "\n";
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

std::vector<std::string> SplitList(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t comma = text.find(',', start);
    const std::string item = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (!item.empty()) out.push_back(item);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

// Reads environment, from, to, resolution and top from the query (defaults: the whole fleet, the
// last 24 hours, a resolution that suits the range, 10 rows).
Status ReadQuery(const RouteCall& c, logs::AnalyticsQuery* q, size_t* top) {
  CSOC_RETURN_IF_ERROR(c.query.OnlyAllowed({"environment", "from", "to", "resolution", "top"}));
  TimePoint to = c.now, from = c.now - std::chrono::hours(24);
  if (const std::string* v = c.query.Find("to")) CSOC_RETURN_IF_ERROR(ParseTimeParam("to", *v, &to));
  if (const std::string* v = c.query.Find("from")) CSOC_RETURN_IF_ERROR(ParseTimeParam("from", *v, &from));
  if (from >= to) return Status::InvalidArgument("from must be before to");
  q->from_ms = ToUnixMillis(from);
  q->to_ms = ToUnixMillis(to);
  q->resolution = logs::DefaultResolution(q->to_ms - q->from_ms);
  if (const std::string* v = c.query.Find("resolution")) {
    if (*v == "minute") {
      q->resolution = logs::Resolution::kMinute;
    } else if (*v == "hour") {
      q->resolution = logs::Resolution::kHour;
    } else if (*v == "day") {
      q->resolution = logs::Resolution::kDay;
    } else {
      return Status::InvalidArgument("resolution must be minute, hour or day, not '" + *v + "'");
    }
    const int64_t buckets = (q->to_ms - q->from_ms) / static_cast<int64_t>(q->resolution);
    if (buckets > 20'000) {
      return Status::InvalidArgument(fmt::format("resolution {} over this range gives {} buckets; at most 20000", *v, buckets));
    }
  }
  if (const std::string* v = c.query.Find("environment")) q->environments = SplitList(*v);
  *top = kDefaultTop;
  if (const std::string* v = c.query.Find("top")) {
    int64_t n = 0;
    CSOC_RETURN_IF_ERROR(ParseIntParam("top", *v, 1, kMaxTop, &n));
    *top = static_cast<size_t>(n);
  }
  return Status::Ok();
}

nlohmann::json SourcesJson(const LogsRouteDeps& deps) {
  std::vector<logs::SourceErrors> stored;
  const Status st = deps.store->LoadSourceErrors(&stored);
  nlohmann::json list = nlohmann::json::array();
  std::vector<logs::SourceStatus> live = deps.sources ? deps.sources() : std::vector<logs::SourceStatus>{};
  for (const logs::SourceStatus& s : live) {
    nlohmann::json j = {{"name", s.name},
                        {"environment", s.environment},
                        {"format", s.format},
                        {"kind", s.kind},
                        {"file", s.file.empty() ? nlohmann::json(nullptr) : nlohmann::json(s.file)},
                        {"address", s.address.empty() ? nlohmann::json(nullptr) : nlohmann::json(s.address)},
                        {"lines_since_start", s.lines},
                        {"rejected_since_start", s.rejected},
                        {"unread_bytes", s.unread_bytes},
                        {"last_request", s.last_record_ms ? nlohmann::json(FormatIso8601(FromUnixMillis(s.last_record_ms)))
                                                          : nlohmann::json(nullptr)},
                        {"error", s.error.empty() ? nlohmann::json(nullptr) : nlohmann::json(s.error)}};
    nlohmann::json by_kind = nlohmann::json::object();
    nlohmann::json samples = nlohmann::json::array();
    uint64_t lines = 0, rejected = 0;
    for (const logs::SourceErrors& e : stored) {
      if (e.source != s.name) continue;
      lines = e.lines;
      for (const logs::ParseError k : logs::kAllParseErrors) {
        by_kind[std::string(logs::ParseErrorName(k))] = e.counts[static_cast<size_t>(k)];
        rejected += e.counts[static_cast<size_t>(k)];
      }
      for (const logs::ErrorSample& sample : e.samples) {
        samples.push_back({{"kind", logs::ParseErrorName(sample.kind)}, {"file", sample.source}, {"line", sample.line}, {"text", sample.text}});
      }
    }
    j["lines"] = lines;
    j["rejected"] = rejected;
    j["rejected_by_kind"] = std::move(by_kind);
    j["samples"] = std::move(samples);
    list.push_back(std::move(j));
  }
  nlohmann::json out = {{"sources", std::move(list)}};
  if (!st.ok()) out["error"] = st.message();
  return out;
}

// ---- the page ----

std::string E(std::string_view s) { return HtmlEscape(s); }

std::string Count(uint64_t n) {
  if (n >= 10'000'000) return fmt::format("{:.1f}M", static_cast<double>(n) / 1e6);
  if (n >= 100'000) return fmt::format("{:.0f}k", static_cast<double>(n) / 1e3);
  std::string digits = std::to_string(n), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return out;
}

std::string Bytes(double b) {
  static constexpr const char* kUnits[] = {"B", "kB", "MB", "GB", "TB"};
  size_t u = 0;
  while (b >= 1000 && u + 1 < std::size(kUnits)) {
    b /= 1000;
    ++u;
  }
  return u == 0 ? fmt::format("{:.0f} B", b) : fmt::format("{:.1f} {}", b, kUnits[u]);
}

std::string Seconds(double s) {
  if (s < 0) return "–";
  if (s < 1) return fmt::format("{:.0f} ms", s * 1000);
  return fmt::format("{:.2f} s", s);
}

std::string Percent(uint64_t part, uint64_t whole) {
  if (whole == 0) return "–";
  const double p = 100.0 * static_cast<double>(part) / static_cast<double>(whole);
  return p < 0.1 && part > 0 ? "<0.1%" : fmt::format("{:.1f}%", p);
}

// A horizontal bar as an SVG (attributes, not inline styles, so the CSP holds).
std::string Bar(uint64_t value, uint64_t max, std::string_view css = "hbar-fill") {
  const double w = max == 0 ? 0 : 100.0 * static_cast<double>(value) / static_cast<double>(max);
  return fmt::format("<svg class=\"hbar\" viewBox=\"0 0 100 8\" preserveAspectRatio=\"none\" aria-hidden=\"true\">"
                     "<rect class=\"hbar-track\" width=\"100\" height=\"8\"/><rect class=\"{}\" width=\"{:.2f}\" height=\"8\"/></svg>",
                     css, w);
}

std::string Card(std::string_view label, const std::string& value, const std::string& note = "") {
  return "<div class=\"stat\"><div class=\"stat-label\">" + E(label) + "</div><div class=\"stat-value\">" + E(value) +
         "</div>" + (note.empty() ? "" : "<div class=\"stat-note\">" + E(note) + "</div>") + "</div>";
}

// A card whose value is already HTML.
std::string CardHtml(std::string_view label, const std::string& value_html, const std::string& note) {
  return "<div class=\"stat\"><div class=\"stat-label\">" + E(label) + "</div><div class=\"stat-value\">" + value_html +
         "</div><div class=\"stat-note\">" + E(note) + "</div></div>";
}

std::string TopTable(std::string_view title, const logs::TopK& top, size_t n, std::string_view column,
                     std::string_view counted = "Requests") {
  const auto rows = top.Top(n);
  std::string out = "<section class=\"panel\"><h2>" + E(title) + "</h2>";
  if (rows.empty()) return out + "<p class=\"muted\">None in this range.</p></section>\n";
  out += "<table class=\"table top\"><thead><tr><th>" + E(column) + "</th><th class=\"num\">" + E(counted) +
         "</th><th></th></tr></thead><tbody>";
  const uint64_t max = rows.front().count;
  for (const auto& r : rows) {
    out += "<tr><td class=\"key-cell\" title=\"" + E(r.key) + "\">" + E(r.key) + "</td><td class=\"num\">" + Count(r.count) +
           (r.error > 0 ? " <span class=\"muted\" title=\"may be over-counted by up to " + Count(r.error) + "\">±</span>" : "") +
           "</td><td class=\"bar-cell\">" + Bar(r.count, max) + "</td></tr>";
  }
  return out + "</tbody></table></section>\n";
}

std::string RangeLink(const std::string& env, const std::string& range, const std::string& label, bool active) {
  std::string href = "/logs?range=" + range;
  if (!env.empty()) href += "&environment=" + UrlEncodeComponent(env);
  return "<a href=\"" + E(href) + "\"" + (active ? " aria-current=\"true\" class=\"active\"" : "") + ">" + E(label) + "</a>";
}

std::string RenderPage(const LogsRouteDeps& deps, const PageContext& ctx, const std::string& env, const std::string& range,
                       const logs::AnalyticsResult& r, const nlohmann::json& sources, const std::string& error,
                       bool standalone = false) {
  const logs::Aggregate& a = r.total;
  std::string m;
  m += "<div class=\"page-head\"><div><p class=\"eyebrow\">Access logs</p><h1>" + E(env.empty() ? "Whole fleet" : env) + "</h1></div>";
  m += "<p class=\"updated\">" + E(FormatTimeUtc(FromUnixMillis(r.query.from_ms))) + " to " +
       E(FormatTimeUtc(FromUnixMillis(r.query.to_ms))) + " <span class=\"muted\">· by " +
       std::string(logs::ResolutionName(r.query.resolution)) + "</span></p></div>\n";

  std::set<std::string> envs;
  if (deps.environments) {
    for (const std::string& e : deps.environments()) envs.insert(e);
  }
  if (!standalone) m += "<div class=\"toolbar\"><nav class=\"range\" aria-label=\"Environment\">" + RangeLink("", range, "All", env.empty());
  if (!standalone) {
    for (const std::string& e : envs) m += RangeLink(e, range, e, e == env);
    m += "</nav><nav class=\"range\" aria-label=\"Time range\">";
  }
  if (!standalone) {
    for (const auto& [name, length] : PageRanges()) m += RangeLink(env, name, name, name == range);
    m += "</nav></div>\n";
  }
  if (!error.empty()) m += "<p class=\"notice notice-error\" role=\"alert\">" + E(error) + "</p>\n";

  m += "<div class=\"stats\">";
  m += Card("Requests", Count(a.requests), Bytes(static_cast<double>(a.bytes)) + " sent");
  m += Card("Server errors", Percent(a.by_class[5], a.requests), Count(a.by_class[5]) + " answered 5xx");
  m += Card("Client errors", Percent(a.by_class[4], a.requests), Count(a.by_class[4]) + " answered 4xx");
  m += Card("Unique users", Count(a.users.Estimate()), Count(a.client_ips.Estimate()) + " client addresses");
  // Two durations: where the card is too narrow for both, the line breaks between them, not inside one.
  m += CardHtml("Latency p50 / p99",
                a.latency.Count() ? "<span class=\"nowrap\">" + E(Seconds(a.latency.Quantile(0.5))) + "</span> / <span class=\"nowrap\">" +
                                        E(Seconds(a.latency.Quantile(0.99))) + "</span>"
                                  : "–",
                a.latency.Count() ? "max " + Seconds(a.latency.Max()) : "no request times in these logs");
  m += Card("Downloads", Count(a.downloads), Count(a.downloaded_objects.Estimate()) + " distinct objects");
  m += "</div>\n";

  const milliseconds bucket(static_cast<int64_t>(r.query.resolution));
  std::vector<StackedPoint> traffic;
  std::vector<store::SeriesPoint> latency;
  for (const logs::SeriesBucket& b : r.series) {
    const double ok = static_cast<double>(b.requests - b.client_errors - b.server_errors);
    traffic.push_back({FromUnixMillis(b.start_ms), {ok, static_cast<double>(b.client_errors), static_cast<double>(b.server_errors)}});
    if (b.p50 >= 0) {
      store::SeriesPoint p;
      p.start = FromUnixMillis(b.start_ms);
      p.count = static_cast<int64_t>(b.timed);
      p.p50_ms = b.p50 * 1000;
      p.p95_ms = b.p95 * 1000;
      p.p99_ms = b.p99 * 1000;
      latency.push_back(p);
    }
  }
  const TimePoint from = FromUnixMillis(r.query.from_ms), to = FromUnixMillis(r.query.to_ms);
  const std::string traffic_chart =
      StackedBarChart(traffic, {{"2xx/3xx", "bar-ok"}, {"4xx", "bar-warn"}, {"5xx", "bar-bad"}}, from, to, bucket,
                      "Requests per " + std::string(logs::ResolutionName(r.query.resolution)), "requests");
  if (standalone) {
    // A report keeps requests per minute but no latency per minute: no latency chart (which would
    // say there is no latency data next to a card that shows it).
    m += "<section class=\"panel\">" + traffic_chart + "</section>\n";
  } else {
    m += "<div class=\"grid-2\"><section class=\"panel\">" + traffic_chart + "</section>";
    m += "<section class=\"panel\">" + LatencyChart(latency, from, to, bucket, "Request time", "timed request") + "</section></div>\n";
  }

  if (env.empty() && !r.by_environment.empty()) {
    m += "<section class=\"panel\"><h2>Environments</h2><div class=\"table-wrap\"><table class=\"table\"><thead><tr><th>Environment</th>"
         "<th class=\"num\">Requests</th><th class=\"num\">5xx</th><th class=\"num\">Users</th><th class=\"num\">p99</th></tr></thead><tbody>";
    for (const auto& [name, e] : r.by_environment) {
      m += "<tr><td>" + RangeLink(name, range, name, false) + "</td><td class=\"num\">" + Count(e.requests) + "</td><td class=\"num\">" +
           Percent(e.by_class[5], e.requests) + "</td><td class=\"num\">" + Count(e.users.Estimate()) + "</td><td class=\"num\">" +
           (e.latency.Count() ? Seconds(e.latency.Quantile(0.99)) : "–") + "</td></tr>";
    }
    m += "</tbody></table></div></section>\n";
  }

  // Services and status codes.
  m += "<div class=\"grid-2\"><section class=\"panel\"><h2>Services</h2>";
  std::vector<const std::pair<std::string, logs::ServiceStats>*> services;
  for (const auto& e : a.by_service.entries()) services.push_back(&e);
  std::sort(services.begin(), services.end(), [](auto* x, auto* y) { return x->second.requests > y->second.requests; });
  if (services.empty()) {
    m += "<p class=\"muted\">These logs do not name the service (Gen3's proxy_service).</p>";
  } else {
    m += "<div class=\"table-wrap\"><table class=\"table\"><thead><tr><th>Service</th><th class=\"num\">Requests</th><th class=\"num\">5xx</th>"
         "<th class=\"num\">p50</th><th class=\"num\">p99</th></tr></thead><tbody>";
    for (const auto* e : services) {
      const logs::ServiceStats& s = e->second;
      const bool timed = s.latency.Count() > 0;
      m += "<tr><td>" + E(e->first) + "</td><td class=\"num\">" + Count(s.requests) + "</td><td class=\"num" +
           (s.errors * 100 > s.requests ? " bad" : "") + "\">" + Percent(s.errors, s.requests) + "</td><td class=\"num\">" +
           (timed ? Seconds(s.latency.Quantile(0.5)) : "–") + "</td><td class=\"num\">" + (timed ? Seconds(s.latency.Quantile(0.99)) : "–") +
           "</td></tr>";
    }
    m += "</tbody></table></div>";
  }
  m += "</section><section class=\"panel\"><h2>Status codes</h2>";
  std::vector<std::pair<uint64_t, int>> codes;
  for (size_t i = 0; i < a.by_status.size(); ++i) {
    if (a.by_status[i] > 0) codes.emplace_back(a.by_status[i], static_cast<int>(i + 100));
  }
  std::sort(codes.rbegin(), codes.rend());
  if (codes.empty()) {
    m += "<p class=\"muted\">No requests in this range.</p>";
  } else {
    m += "<div class=\"table-wrap\"><table class=\"table\"><tbody>";
    for (const auto& [n, code] : codes) {
      const char* css = code >= 500 ? "hbar-bad" : code >= 400 ? "hbar-warn" : "hbar-fill";
      m += fmt::format("<tr><td class=\"code\">{}</td><td class=\"num\">{}</td><td class=\"num muted\">{}</td><td class=\"bar-cell\">{}</td></tr>",
                       code, Count(n), Percent(n, a.requests), Bar(n, codes.front().first, css));
    }
    m += "</tbody></table></div>";
  }
  m += "</section></div>\n";

  // Sign-ins and downloads.
  m += "<div class=\"grid-2\"><section class=\"panel\"><h2>Sign-ins by identity provider</h2>";
  auto logins = a.logins.entries();
  std::sort(logins.begin(), logins.end(), [](const auto& x, const auto& y) { return x.second.attempts > y.second.attempts; });
  if (logins.empty()) {
    m += "<p class=\"muted\">No sign-ins (/user/login/&lt;provider&gt;) in this range.</p>";
  } else {
    m += "<div class=\"table-wrap\"><table class=\"table\"><thead><tr><th>Provider</th><th class=\"num\">Sign-ins</th><th class=\"num\">Failed</th><th></th></tr></thead><tbody>";
    for (const auto& [idp, l] : logins) {
      m += "<tr><td>" + E(idp) + "</td><td class=\"num\">" + Count(l.attempts) + "</td><td class=\"num\">" + Count(l.failures) +
           "</td><td class=\"bar-cell\">" + Bar(l.attempts, logins.front().second.attempts) + "</td></tr>";
    }
    m += "</tbody></table></div>";
  }
  m += "</section><section class=\"panel\"><h2>Downloads</h2><div class=\"table-wrap\"><table class=\"table\"><tbody>";
  m += "<tr><td>Downloads</td><td class=\"num\">" + Count(a.downloads) + "</td></tr>";
  m += "<tr><td>Distinct objects</td><td class=\"num\">" + Count(a.downloaded_objects.Estimate()) + "</td></tr>";
  m += "<tr><td>Bytes answered</td><td class=\"num\">" + Bytes(static_cast<double>(a.download_bytes)) + "</td></tr>";
  m += "<tr><td>Refused or failed</td><td class=\"num\">" + Count(a.download_failures) + "</td></tr>";
  m += "</tbody></table></div></section></div>\n";

  m += "<div class=\"grid-2\">" + TopTable("Search terms", a.search_terms, kDefaultTop, "Term", "Searches") +
       TopTable("Top paths", a.top_paths, kDefaultTop, "Path") + "</div>\n";
  m += "<div class=\"grid-2\">" + TopTable("Top users", a.top_users, kDefaultTop, "User") +
       TopTable("Top client addresses", a.top_ips, kDefaultTop, "Address") + "</div>\n";
  m += TopTable("Top user agents", a.top_agents, kDefaultTop, "User agent");

  // Sources: what is read, and what could not be.
  m += "<section class=\"panel\" id=\"sources\"><h2>Log sources</h2>";
  const auto& list = sources["sources"];
  if (list.empty()) {
    m += "<p class=\"muted\">No log sources are configured (see <code>logs.sources</code> in the fleet file).</p>";
  } else {
    m += "<div class=\"table-wrap\"><table class=\"table sources-table\"><thead><tr><th>Source</th><th>Environment</th><th>Format</th><th class=\"num\">Lines</th>"
         "<th class=\"num\">Rejected</th><th class=\"num\">Behind</th><th>Last request</th></tr></thead><tbody>";
    for (const auto& s : list) {
      if (!env.empty() && s["environment"] != env) continue;
      const uint64_t lines = s["lines"].get<uint64_t>(), rejected = s["rejected"].get<uint64_t>();
      const std::string where = s["file"].is_string() ? s["file"].get<std::string>()
                                : s["address"].is_string() ? "syslog " + s["address"].get<std::string>()
                                : s.value("kind", "") == "push" ? std::string("pushed") : std::string();
      std::string last_request = "–";
      if (s["last_request"].is_string()) {
        const auto t = ParseIso8601(s["last_request"].get<std::string>());
        last_request = t ? FormatTimeUtc(*t) : s["last_request"].get<std::string>();
      }
      m += "<tr><td class=\"source-cell\"><strong>" + E(s["name"].get<std::string>()) + "</strong><div class=\"muted small\">" + E(where) +
           "</div>" + (s["error"].is_string() ? "<div class=\"bad small\">" + E(s["error"].get<std::string>()) + "</div>" : "") +
           "</td><td data-label=\"Environment\">" + E(s["environment"].get<std::string>()) + "</td><td data-label=\"Format\">" +
           E(s["format"].get<std::string>()) + "</td><td class=\"num\" data-label=\"Lines\">" + Count(lines) +
           "</td><td class=\"num" + (rejected > 0 ? " bad" : "") + "\" data-label=\"Rejected\">" + Count(rejected) +
           (rejected > 0 ? " (" + Percent(rejected, lines) + ")" : "") + "</td><td class=\"num\" data-label=\"Behind\">" +
           Bytes(static_cast<double>(s["unread_bytes"].get<uint64_t>())) + "</td><td class=\"nowrap\" data-label=\"Last request\">" +
           E(last_request) + "</td></tr>";
      if (rejected > 0) {
        std::string kinds;
        for (const auto& [kind, n] : s["rejected_by_kind"].items()) {
          if (n.get<uint64_t>() > 0) kinds += (kinds.empty() ? "" : ", ") + kind + " " + Count(n.get<uint64_t>());
        }
        m += "<tr class=\"detail\"><td colspan=\"7\"><details><summary class=\"small\">Rejected lines: " + E(kinds) +
             " — " + std::to_string(s["samples"].size()) + " latest as samples</summary><ul class=\"samples\">";
        for (const auto& sample : s["samples"]) {
          const uint64_t line = sample["line"].get<uint64_t>();
          m += "<li><code>" + E(sample["file"].get<std::string>()) + (line > 0 ? ":" + std::to_string(line) : std::string()) + "</code> " +
               E(sample["kind"].get<std::string>()) + ": <code class=\"sample\">" + E(sample["text"].get<std::string>()) + "</code></li>";
        }
        m += "</ul></details></td></tr>";
      }
    }
    m += "</tbody></table></div>";
  }
  m += "</section>\n";
  return Layout(ctx, "Access logs" + (env.empty() ? std::string() : " · " + env), "page-logs", m);
}

// The series of a report, in buckets of `width` (its per-minute points added up).
std::vector<logs::SeriesBucket> ReportSeries(const logs::Report& report, int64_t width) {
  std::vector<logs::SeriesBucket> out;
  for (const auto& [minute, p] : report.per_minute) {
    const int64_t start = minute - minute % width;
    if (out.empty() || out.back().start_ms != start) out.push_back({start});
    logs::SeriesBucket& b = out.back();
    b.requests += p.requests;
    b.client_errors += p.client_errors;
    b.server_errors += p.server_errors;
    b.bytes += p.bytes;
  }
  return out;
}

}  // namespace

std::string RenderLogReportHtml(const logs::Report& report, const std::vector<std::string>& inputs) {
  logs::AnalyticsResult r;
  r.query.from_ms = report.first_ms;
  r.query.to_ms = report.last_ms + 1;
  r.query.resolution = logs::DefaultResolution(r.query.to_ms - r.query.from_ms);
  const auto width = static_cast<int64_t>(r.query.resolution);
  r.query.from_ms -= r.query.from_ms % width;
  r.query.to_ms += width - 1 - (r.query.to_ms - 1) % width;
  r.total = report.total;
  r.series = ReportSeries(report, width);
  std::string files;
  for (const std::string& f : inputs) files += (files.empty() ? "" : ", ") + (f == "-" ? std::string("standard input") : f);
  nlohmann::json by_kind = nlohmann::json::object();
  for (const logs::ParseError k : logs::kAllParseErrors) by_kind[std::string(logs::ParseErrorName(k))] = report.errors.count(k);
  nlohmann::json samples = nlohmann::json::array();
  for (const logs::ErrorSample& s : report.errors.samples()) {
    samples.push_back({{"kind", logs::ParseErrorName(s.kind)}, {"file", s.source}, {"line", s.line}, {"text", s.text}});
  }
  const nlohmann::json sources = {
      {"sources", nlohmann::json::array({{{"name", "report"}, {"environment", "–"}, {"format", report.format}, {"file", files},
                                          {"lines", report.lines}, {"rejected", report.errors.total()}, {"rejected_by_kind", by_kind},
                                          {"samples", samples}, {"unread_bytes", 0}, {"last_request", nullptr}, {"error", nullptr}}})}};
  PageContext ctx;
  ctx.title = "csoc logs report";
  ctx.now = Clock::now();
  for (const Asset& a : Assets()) {
    if (a.name == "app.css") ctx.inline_css = std::string(a.data);
  }
  LogsRouteDeps deps;
  return RenderPage(deps, ctx, "", "", r, sources, "", true);
}

void AddLogsRoutes(Router& router, const LogsRouteDeps& deps) {
  Router::Options api;
  api.error_body = [](int status, const std::string& message) { return DumpJson(ErrorJson(status, message)) + "\n"; };

  router.Add({"GET"}, "/api/v1/logs/summary", [deps](RouteCall& c) {
    logs::AnalyticsQuery q;
    size_t top = kDefaultTop;
    if (Status s = ReadQuery(c, &q, &top); !s.ok()) return JsonError(400, s.message());
    logs::AnalyticsResult result;
    if (Status s = logs::RunQuery(deps.store, q, &result); !s.ok()) return JsonError(500, s.message());
    return JsonAnswer(logs::AnalyticsJson(result, top));
  }, api);

  router.Add({"GET"}, "/api/v1/logs/sources", [deps](RouteCall& c) {
    if (Status s = c.query.OnlyAllowed({}); !s.ok()) return JsonError(400, s.message());
    return JsonAnswer(SourcesJson(deps));
  }, api);

  router.Add({"GET"}, "/logs", [deps](RouteCall& c) {
    PageContext ctx = deps.page;
    ctx.now = c.now;
    std::string range = "24h", env, error;
    if (Status s = c.query.OnlyAllowed({"environment", "range"}); !s.ok()) error = s.message();
    if (const std::string* v = c.query.Find("range")) range = *v;
    if (const std::string* v = c.query.Find("environment")) env = *v;
    milliseconds length = std::chrono::hours(24);
    bool known = false;
    for (const auto& [name, l] : PageRanges()) {
      if (name == range) {
        length = l;
        known = true;
      }
    }
    if (!known) {
      error = "Unknown range '" + range + "'; showing the last 24 hours.";
      range = "24h";
    }
    logs::AnalyticsQuery q;
    q.to_ms = ToUnixMillis(c.now);
    q.from_ms = q.to_ms - length.count();
    q.resolution = logs::DefaultResolution(length.count());
    if (!env.empty()) q.environments = {env};
    logs::AnalyticsResult result;
    result.query = q;
    if (Status s = logs::RunQuery(deps.store, q, &result); !s.ok()) error = "Could not read the log analytics: " + s.message();
    Response r;
    r.content_type = "text/html; charset=utf-8";
    r.body = RenderPage(deps, ctx, env, range, result, SourcesJson(deps), error);
    r.headers.emplace_back("Cache-Control", "no-store");
    return r;
  }, {});

  AddLogIngestRoutes(router, deps);
}

}  // namespace csoc::web

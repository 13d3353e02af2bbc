#include "web/pages.h"

#include <fmt/format.h>

#include <algorithm>

#include "web/charts.h"
#include "web/text.h"
#include "web/views.h"

namespace csoc::web {
namespace {

using std::chrono::milliseconds;

std::string E(std::string_view text) { return HtmlEscape(text); }

// A shape per state, so that colour is never the only signal.
std::string_view StateIcon(Health h) {
  switch (h) {
    case Health::kUp: return "\u2713";  // ✓
    case Health::kDegraded: return "!";
    case Health::kDown: return "\u2715";  // ✕
    case Health::kUnknown: return "?";
  }
  return "?";
}

std::string StateClass(Health h) { return fmt::format("s-{}", HealthName(h)); }

std::string Pill(Health h, std::string_view extra = "") {
  return fmt::format(
      "<span class=\"pill {}{}{}\"><span class=\"pill-icon\" aria-hidden=\"true\">{}</span><span "
      "class=\"state-word\">{}</span></span>",
      StateClass(h), extra.empty() ? "" : " ", extra, StateIcon(h), HealthName(h));
}

std::string TimeTag(TimePoint t, TimePoint now) {
  return fmt::format("<time datetime=\"{}\" title=\"{}\">{}</time>", FormatIso8601(t), FormatTimeUtc(t),
                     E(FormatAgo(t, now)));
}

bool IsSet(TimePoint t) { return t.time_since_epoch().count() != 0; }

// "for 5m" with the start time as a tooltip, or a dash when the state has no start yet.
std::string SinceTag(TimePoint since, TimePoint now) {
  if (!IsSet(since)) return "<span class=\"muted\">no result yet</span>";
  auto d = std::chrono::duration_cast<milliseconds>(now - since);
  if (d.count() < 0) d = milliseconds(0);
  return fmt::format("<time datetime=\"{}\" title=\"since {}\">for {}</time>", FormatIso8601(since),
                     FormatTimeUtc(since), FormatSpan(d));
}

std::string ReasonList(const std::vector<std::string>& reasons) {
  if (reasons.empty()) return "";
  std::string out = "<ul class=\"reasons\">";
  for (const auto& r : reasons) out += "<li>" + E(r) + "</li>";
  out += "</ul>";
  return out;
}

std::string UpdatedLine(const monitor::FleetSnapshot& snap, TimePoint now) {
  return fmt::format("<p class=\"updated\">State as of {} <span class=\"muted\">\u00b7 snapshot {}</span></p>",
                     TimeTag(snap.generated, now), snap.version);
}

std::string EvidenceFacts(const monitor::Evidence& ev, TimePoint now) {
  std::string out = "<span class=\"fact\">last result " + TimeTag(ev.at, now) + "</span>";
  if (ev.status_code != 0) out += fmt::format("<span class=\"fact\">HTTP {}</span>", ev.status_code);
  out += "<span class=\"fact\">" + E(FormatLatencyMs(static_cast<double>(ev.latency_us) / 1000.0)) + "</span>";
  if (ev.cert_days_left)
    out += fmt::format("<span class=\"fact\">certificate: {} days left</span>", *ev.cert_days_left);
  return out;
}

std::string BodyExcerpt(const std::string& body, bool open) {
  if (body.empty()) return "";
  return fmt::format(
      "<details class=\"excerpt\"{}><summary>Response body ({} bytes shown)</summary><pre>{}</pre></details>",
      open ? " open" : "", body.size(), E(body));
}

std::string EventsTable(const std::vector<store::EventRecord>& events, TimePoint now, std::string_view strip_prefix) {
  if (events.empty()) return "<p class=\"muted empty\">No state changes recorded in this period.</p>";
  std::string out =
      "<div class=\"table-wrap\"><table class=\"events\"><thead><tr><th scope=\"col\">When</th><th "
      "scope=\"col\">Check</th><th scope=\"col\">Change</th><th scope=\"col\">Reason</th></tr></thead><tbody>\n";
  for (const auto& e : events) {
    std::string_view shown = e.check_id;
    if (!strip_prefix.empty() && shown.substr(0, strip_prefix.size()) == strip_prefix) {
      shown.remove_prefix(strip_prefix.size());
    }
    out += "<tr><td>" + TimeTag(e.at, now) + "</td><td><a href=\"" + E(CheckUrlFromId(e.check_id)) + "\">" +
           E(shown.empty() ? std::string_view(e.check_id) : shown) + "</a></td><td class=\"change\">" +
           Pill(e.from, "pill-sm") + "<span class=\"arrow\" aria-label=\"to\">\u2192</span>" + Pill(e.to, "pill-sm") +
           "</td><td>" + E(e.reason) + "</td></tr>\n";
  }
  out += "</tbody></table></div>";
  return out;
}

std::string HistoryUnavailable(const PageHistory& history) {
  if (!history.available) return "<p class=\"muted empty\">History is not recorded: no store is configured.</p>";
  return "<p class=\"notice s-down\">History could not be read: " + E(history.error) + "</p>";
}

bool HistoryUsable(const PageHistory& history) { return history.available && history.error.empty(); }

std::string HeadlineSentence(const monitor::FleetSnapshot& snap) {
  HealthCounts envs;
  for (const auto& e : snap.environments) envs.Add(e.health);
  int total = envs.total();
  if (total == 0) return "No environments are configured.";
  if (envs.up == total) return fmt::format("All {} environment{} up.", total, total == 1 ? " is" : "s are");
  std::vector<std::string> parts;
  if (envs.down > 0) parts.push_back(fmt::format("{} down", envs.down));
  if (envs.degraded > 0) parts.push_back(fmt::format("{} degraded", envs.degraded));
  if (envs.unknown > 0) parts.push_back(fmt::format("{} unknown", envs.unknown));
  std::string joined;
  for (size_t i = 0; i < parts.size(); ++i) joined += (i == 0 ? "" : ", ") + parts[i];
  return fmt::format("{} of {} environments need attention: {}.", total - envs.up, total, joined);
}

std::string CountsBlock(const HealthCounts& counts, std::string_view label) {
  std::string out = "<dl class=\"counts\" aria-label=\"" + E(label) + "\">";
  for (Health h : {Health::kDown, Health::kDegraded, Health::kUnknown, Health::kUp}) {
    out += fmt::format(
        "<div class=\"count {}{}\"><dt><span class=\"pill-icon\" "
        "aria-hidden=\"true\">{}</span>{}</dt><dd>{}</dd></div>",
        StateClass(h), counts.Of(h) == 0 ? " zero" : "", StateIcon(h), HealthName(h), counts.Of(h));
  }
  out += "</dl>";
  return out;
}

// Uptime over the last day, week, month and the whole period, from the daily points.
std::string UptimeStats(const PageHistory& history) {
  constexpr milliseconds kDay = std::chrono::hours(24);
  TimePoint last_day = history.first_day + kDay * (history.days - 1);
  std::string out = "<dl class=\"uptime-stats\">";
  for (auto [days, label] : {std::pair{1, "Today"}, {7, "7 days"}, {30, "30 days"}, {history.days, ""}}) {
    std::vector<store::SeriesPoint> window;
    for (const auto& p : history.daily) {
      if (p.start >= last_day - kDay * (days - 1)) window.push_back(p);
    }
    double uptime = OverallUptime(window);
    std::string term = *label ? label : std::to_string(days) + " days";
    out += "<div><dt>" + E(term) + "</dt><dd class=\"" +
           (uptime < 0 ? std::string("muted") : std::string(UptimeClass(uptime)) + "-text") + "\">" +
           (uptime < 0 ? std::string("no data") : FormatPercent(uptime)) + "</dd></div>";
  }
  return out + "</dl>";
}

std::string CheckLabel(const fleet::Check& check) { return check.service + " / " + check.name; }

}  // namespace

std::string Layout(const PageContext& ctx, std::string_view page_title, std::string_view page_class,
                   const std::string& main) {
  std::string out;
  out.reserve(main.size() + 2048);
  out += "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  out += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  out += "<meta name=\"color-scheme\" content=\"light\">\n";
  out += "<title>" + E(page_title) + " \u00b7 " + E(ctx.title) + "</title>\n";
  // A page saved as a file loads nothing and links to no server page (there is no server).
  const bool standalone = !ctx.inline_css.empty();
  if (!standalone) {
    out += "<link rel=\"icon\" type=\"image/svg+xml\" href=\"" + E(ctx.icon_url) + "\">\n";
    out += "<link rel=\"stylesheet\" href=\"" + E(ctx.css_url) + "\">\n";
    out += "<script src=\"" + E(ctx.js_url) + "\" defer></script>\n";
  } else {
    out += "<style>\n" + ctx.inline_css + "</style>\n";
  }
  out += "</head>\n<body class=\"" + E(page_class) + "\">\n";
  out += "<a class=\"skip\" href=\"#main\">Skip to content</a>\n";
  out += "<header class=\"topbar\"><div class=\"wrap topbar-inner\">";
  out += std::string(standalone ? "<span class=\"brand\">" : "<a class=\"brand\" href=\"/\">") +
      "<svg class=\"brand-mark\" width=\"22\" height=\"22\" viewBox=\"0 0 24 24\" "
      "aria-hidden=\"true\"><circle cx=\"12\" cy=\"12\" r=\"10\" class=\"brand-ring\"/><path d=\"M5 13h3l2-5 4 9 "
      "2-4h3\" class=\"brand-pulse\"/></svg><span>" +
      E(ctx.title) + "</span>" + (standalone ? "</span>" : "</a>");
  if (!standalone) {
    out +=
        "<nav class=\"topnav\" aria-label=\"Main\"><a href=\"/\">Fleet</a><a href=\"/logs\">Logs</a>"
        "<a href=\"/api/v1/fleet\">API</a>"
        "<a class=\"nav-extra\" href=\"/metrics\">Metrics</a></nav>";
    out +=
        "<span id=\"live\" class=\"live\" role=\"status\" aria-live=\"polite\" hidden><span class=\"live-dot\" "
        "aria-hidden=\"true\"></span><span class=\"live-text\">connecting</span></span>";
  }
  out += "</div></header>\n<main id=\"main\" class=\"wrap\">\n";
  out += main;
  out += "</main>\n<footer class=\"wrap footer\"><span>" + E(ctx.title) + " operations center</span><span>Rendered " +
         E(FormatTimeUtc(ctx.now)) + "</span></footer>\n";
  out += "</body>\n</html>\n";
  return out;
}


const std::vector<std::pair<std::string, milliseconds>>& CheckPageRanges() {
  static const std::vector<std::pair<std::string, milliseconds>> kRanges = {
      {"1h", std::chrono::hours(1)},
      {"24h", std::chrono::hours(24)},
      {"7d", std::chrono::hours(24 * 7)},
      {"90d", std::chrono::hours(24 * 90)},
  };
  return kRanges;
}

std::string RenderFleetPage(const PageContext& ctx, const monitor::FleetSnapshot& snap) {
  std::string m;
  m += "<div class=\"page-head\"><p class=\"eyebrow\">Fleet overview</p>" + UpdatedLine(snap, ctx.now) + "</div>\n";

  // Headline.
  m += "<section class=\"headline " + StateClass(snap.health) + "\" aria-labelledby=\"headline\">";
  m += "<div class=\"headline-main\"><span class=\"headline-icon\" aria-hidden=\"true\">" +
       std::string(StateIcon(snap.health)) + "</span><div>";
  m += "<h1 id=\"headline\">Fleet is <span class=\"state-word\">" + std::string(HealthName(snap.health)) +
       "</span></h1>";
  m += "<p class=\"headline-sub\">" + E(HeadlineSentence(snap)) + "</p></div></div>";
  HealthCounts checks = CountAllChecks(snap);
  m += "<div class=\"headline-counts\"><p class=\"counts-label\">" + std::to_string(checks.total()) + " checks</p>" +
       CountsBlock(checks, "Checks by state") + "</div>";
  m += "</section>\n";

  // Matrix: clusters (rows) × environments (cells), worst first.
  m += "<section class=\"panel\" aria-labelledby=\"matrix-h\"><div class=\"panel-head\"><h2 id=\"matrix-h\">"
       "Environments</h2><p class=\"muted\">by cluster, worst first</p></div>\n";
  if (snap.clusters.empty()) {
    m += "<p class=\"muted empty\">No environments are configured.</p>";
  } else {
    m += "<div class=\"matrix\">\n";
    for (const auto* cluster : ClustersWorstFirst(snap)) {
      m += "<div class=\"matrix-row\" data-cluster=\"" + E(cluster->name) + "\">";
      m += "<div class=\"matrix-cluster\"><span class=\"cluster-label\">cluster</span><span class=\"cluster-name\">" +
           E(cluster->name) + "</span>" + Pill(cluster->health, "pill-sm") + "</div><ul class=\"cells\">";
      for (const auto* env : EnvironmentsWorstFirst(snap, &cluster->environments)) {
        const auto& name = env->environment->name;
        m += "<li><a class=\"cell " + StateClass(env->health) + "\" href=\"" + E(EnvironmentUrl(name)) +
             "\" data-environment=\"" + E(name) + "\" data-health=\"" + std::string(HealthName(env->health)) +
             "\"><span class=\"cell-icon\" aria-hidden=\"true\">" + std::string(StateIcon(env->health)) +
             "</span><span class=\"cell-name\">" + E(name) + "</span><span class=\"cell-state\">" +
             std::string(HealthName(env->health)) + "</span></a></li>";
      }
      m += "</ul></div>\n";
    }
    m += "</div>\n";
  }
  m += "</section>\n";

  // What is wrong now: every environment that is not up or has a check that is not up. Checks
  // still waiting for their first result are counted, not listed: right after a start that is
  // every check, and a list of them says nothing.
  struct Problem {
    const monitor::EnvironmentView* env;
    std::vector<const monitor::CheckView*> checks;
    int pending = 0;
    Health worst_check = Health::kUp;
  };
  std::vector<Problem> problems;
  for (const auto* env : EnvironmentsWorstFirst(snap)) {
    Problem p{env, {}, 0, Health::kUp};
    for (const auto* c : ChecksOf(snap, *env)) {
      if (c->state == Health::kUp) continue;
      if (c->state == Health::kUnknown && c->recent.empty()) {
        ++p.pending;
        continue;
      }
      p.checks.push_back(c);
      p.worst_check = Worse(p.worst_check, c->state);
    }
    if (env->health != Health::kUp || !p.checks.empty()) problems.push_back(std::move(p));
  }
  std::stable_sort(problems.begin(), problems.end(), [](const Problem& a, const Problem& b) {
    if (Badness(a.env->health) != Badness(b.env->health)) return Badness(a.env->health) > Badness(b.env->health);
    return Badness(a.worst_check) > Badness(b.worst_check);
  });
  m += "<section class=\"panel\" aria-labelledby=\"wrong-h\"><div class=\"panel-head\"><h2 id=\"wrong-h\">What is "
       "wrong now</h2>";
  m += problems.empty() ? "</div>\n"
                        : fmt::format("<p class=\"muted\">{} environment{}</p></div>\n", problems.size(),
                                      problems.size() == 1 ? "" : "s");
  if (problems.empty()) {
    m += "<p class=\"all-good\"><span class=\"pill-icon\" aria-hidden=\"true\">\u2713</span>Nothing is wrong: every "
         "check is up.</p>\n";
  } else {
    m += "<ul class=\"problems\">\n";
    for (const auto& p : problems) {
      const auto& env = *p.env->environment;
      m += "<li class=\"problem " + StateClass(p.env->health) + "\" data-environment=\"" + E(env.name) + "\">";
      m += "<div class=\"problem-head\">" + Pill(p.env->health) + "<a class=\"problem-env\" href=\"" +
           E(EnvironmentUrl(env.name)) + "\">" + E(env.name) + "</a><span class=\"muted\">" + E(env.cluster);
      if (!env.hostname.empty()) m += " \u00b7 " + E(env.hostname);
      m += "</span></div>";
      if (p.checks.empty()) m += ReasonList(p.env->reasons);
      std::string items;
      // Checks failing the same way (an unreachable host fails every check alike) share one line.
      std::vector<std::vector<const monitor::CheckView*>> groups;
      for (const auto* c : p.checks) {
        auto same = std::find_if(groups.begin(), groups.end(), [&](const auto& g) {
          return g.front()->state == c->state && g.front()->reasons == c->reasons;
        });
        if (same == groups.end()) {
          groups.push_back({c});
        } else {
          same->push_back(c);
        }
      }
      for (const auto& g : groups) {
        const monitor::CheckView* first = g.front();
        if (g.size() < 3) {
          for (const auto* c : g) {
            items += "<li>" + Pill(c->state, "pill-sm") + "<a class=\"problem-check\" href=\"" +
                     E(CheckUrl(*c->check)) + "\">" + E(CheckLabel(*c->check)) + "</a><code class=\"target\">" +
                     E(c->check->TargetDisplay()) + "</code><span class=\"muted\">" + SinceTag(c->since, ctx.now) +
                     "</span>" + ReasonList(c->reasons) + "</li>";
          }
          continue;
        }
        items += "<li class=\"check-group\">" + Pill(first->state, "pill-sm") +
                 fmt::format("<span class=\"problem-check\">{} checks</span><span class=\"group-names\">", g.size());
        for (size_t i = 0; i < g.size(); ++i) {
          items += (i ? ", " : "") + std::string("<a href=\"") + E(CheckUrl(*g[i]->check)) + "\">" +
                   E(CheckLabel(*g[i]->check)) + "</a>";
        }
        items += "</span>" + ReasonList(first->reasons) + "</li>";
      }
      if (p.pending > 0) {
        items += fmt::format(
            "<li class=\"pending\">{}<span class=\"muted\">{} check{} waiting for a first result</span></li>",
            Pill(Health::kUnknown, "pill-sm"), p.pending, p.pending == 1 ? "" : "s");
      }
      if (!items.empty()) m += "<ul class=\"problem-checks\">" + items + "</ul>";
      m += "</li>\n";
    }
    m += "</ul>\n";
  }
  m += "</section>\n";
  return Layout(ctx, "Fleet " + std::string(HealthName(snap.health)), "page-fleet", m);
}

std::string RenderEnvironmentPage(const PageContext& ctx, const monitor::FleetSnapshot& snap,
                                  const monitor::EnvironmentView& view, const PageHistory& history) {
  const fleet::Environment& env = *view.environment;
  std::string m;
  m += "<nav class=\"crumbs\" aria-label=\"Breadcrumb\"><a href=\"/\">Fleet</a><span class=\"sep\" "
       "aria-hidden=\"true\">/</span><span>" +
       E(env.cluster) + "</span><span class=\"sep\" aria-hidden=\"true\">/</span><span aria-current=\"page\">" +
       E(env.name) + "</span></nav>\n";
  m += UpdatedLine(snap, ctx.now);
  m += "<section class=\"entity-head " + StateClass(view.health) + "\"><div class=\"entity-title\"><h1>" + E(env.name) +
       "</h1>" + Pill(view.health, "pill-lg") + "</div>";
  if (!env.description.empty()) m += "<p class=\"entity-desc\">" + E(env.description) + "</p>";
  m += ReasonList(view.reasons);
  m += "</section>\n";

  // Metadata and uptime side by side.
  m += "<div class=\"grid-2\">\n<section class=\"panel\" aria-labelledby=\"meta-h\"><h2 id=\"meta-h\">Details</h2>"
       "<dl class=\"meta\">";
  auto row = [&](std::string_view term, const std::string& html) {
    m += "<div><dt>" + E(term) + "</dt><dd>" + html + "</dd></div>";
  };
  row("Hostname", env.hostname.empty() ? "<span class=\"muted\">none</span>" : "<code>" + E(env.hostname) + "</code>");
  row("Cluster", E(env.cluster));
  row("Namespace",
      env.namespace_.empty() ? "<span class=\"muted\">none</span>" : "<code>" + E(env.namespace_) + "</code>");
  if (!env.labels.empty()) {
    std::string chips;
    for (const auto& [k, v] : env.labels) chips += "<span class=\"chip\">" + E(k) + "=" + E(v) + "</span>";
    row("Labels", chips);
  }
  if (!env.owners.empty()) {
    std::string owners;
    for (size_t i = 0; i < env.owners.size(); ++i) owners += (i ? ", " : "") + E(env.owners[i]);
    row("Owners", owners);
  }
  if (!env.links.empty()) {
    std::string links;
    for (const auto& link : env.links) {
      auto url = SafeHttpUrl(link.url);
      std::string title = link.title.empty() ? link.url : link.title;
      if (url) {
        links += "<a class=\"ext\" href=\"" + E(*url) + "\" rel=\"noopener noreferrer\">" + E(title) + "</a>";
      } else {
        links += "<span class=\"chip\" title=\"not an http(s) link\">" + E(title) + ": " + E(link.url) + "</span>";
      }
    }
    row("Links", links);
  }
  HealthCounts counts = CountChecks(snap, view);
  row("Checks", fmt::format("{} total: {} up, {} degraded, {} down, {} unknown", counts.total(), counts.up,
                            counts.degraded, counts.down, counts.unknown));
  m += "</dl></section>\n";

  m += "<section class=\"panel\" aria-labelledby=\"uptime-h\"><h2 id=\"uptime-h\">Uptime, last " +
       std::to_string(history.days) + " days</h2>";
  if (HistoryUsable(history)) {
    double overall = OverallUptime(history.daily);
    m += "<p class=\"big-number\">" + (overall < 0 ? std::string("no data") : FormatPercent(overall)) +
         " <span class=\"muted\">uptime over " + std::to_string(history.days) + " days</span></p>";
    m += UptimeBars(history.daily, history.first_day, history.days);
    m += "<div class=\"bars-legend\"><span>" + std::to_string(history.days) +
         " days ago</span><span class=\"bars-key\"><span class=\"key u-ok\"></span>\u2265 99.9% <span class=\"key "
         "u-minor\"></span>\u2265 99% <span class=\"key u-major\"></span>\u2265 95% <span class=\"key "
         "u-critical\"></span>lower <span class=\"key u-none\"></span>no data</span><span>today</span></div>";
    m += UptimeStats(history);
  } else {
    m += HistoryUnavailable(history);
  }
  m += "</section>\n</div>\n";

  m += "<section class=\"panel\" aria-labelledby=\"latency-h\"><h2 id=\"latency-h\">Latency, last 24 hours</h2>";
  if (HistoryUsable(history)) {
    m += LatencyChart(history.latency, history.latency_from, history.latency_to, history.latency_bucket,
                      "Response time of all checks in " + env.name);
  } else {
    m += HistoryUnavailable(history);
  }
  m += "</section>\n";

  // Services with their checks, worst first: one table row per check, its evidence below it.
  m += "<section class=\"panel\" aria-labelledby=\"services-h\"><div class=\"panel-head\"><h2 id=\"services-h\">"
       "Services and checks</h2><p class=\"muted\">worst first</p></div>\n";
  m += "<div class=\"table-wrap\"><table class=\"checks-table\"><thead><tr><th scope=\"col\">State</th><th "
       "scope=\"col\">Service / check</th><th scope=\"col\">Target</th><th scope=\"col\">Last result</th><th "
       "scope=\"col\" class=\"num\">Latency</th><th scope=\"col\">In this state</th></tr></thead>\n";
  for (const auto* service : ServicesWorstFirst(view)) {
    for (const auto* c : ChecksOf(snap, *service)) {
      const fleet::Check& check = *c->check;
      m += "<tbody class=\"check-row " + StateClass(c->state) + "\" data-service=\"" + E(service->name) +
           "\" data-check=\"" + E(check.id) + "\"><tr>";
      m += "<td>" + Pill(c->state, "pill-sm") + "</td>";
      m += "<td class=\"check-cell\"><span class=\"svc-name\">" + E(service->name) +
           "</span><span class=\"sep\" aria-hidden=\"true\">/</span><a class=\"check-name\" href=\"" +
           E(CheckUrl(check)) + "\">" + E(check.name) + "</a>";
      if (!service->critical) m += "<span class=\"tag\">non-critical</span>";
      m += "</td><td><code class=\"target\">" + E(check.TargetDisplay()) + "</code></td>";
      if (c->recent.empty()) {
        m += "<td><span class=\"muted\">none yet</span></td><td class=\"num\">\u2014</td>";
      } else {
        const auto& last = c->recent.front();
        m += "<td>";
        if (last.status_code != 0) m += fmt::format("<span class=\"fact\">HTTP {}</span> ", last.status_code);
        if (last.cert_days_left) m += fmt::format("<span class=\"fact\">cert {} days</span> ", *last.cert_days_left);
        m += "<span class=\"fact muted\">" + TimeTag(last.at, ctx.now) + "</span></td>";
        m += "<td class=\"num\"><span class=\"fact\">" +
             E(FormatLatencyMs(static_cast<double>(last.latency_us) / 1000.0)) + "</span></td>";
      }
      m += "<td class=\"since\">" + SinceTag(c->since, ctx.now) + "<span class=\"muted\"> \u00b7 every " +
           E(FormatDuration(check.interval)) + "</span></td></tr>";
      if (c->state != Health::kUp && (!c->reasons.empty() || !c->recent.empty())) {
        m += "<tr class=\"evidence-row\"><td></td><td colspan=\"5\">" + ReasonList(c->reasons);
        if (!c->recent.empty()) {
          const auto& last = c->recent.front();
          if (!last.error.empty() && std::find(c->reasons.begin(), c->reasons.end(), last.error) == c->reasons.end()) {
            m += "<p class=\"last-error\">Last error: " + E(last.error) + "</p>";
          }
          m += BodyExcerpt(last.body_excerpt, false);
        }
        m += "</td></tr>";
      }
      m += "</tbody>\n";
    }
  }
  m += "</table></div></section>\n";

  m += "<section class=\"panel\" aria-labelledby=\"events-h\"><h2 id=\"events-h\">Recent events</h2>";
  m += HistoryUsable(history) ? EventsTable(history.events, ctx.now, env.name + "/") : HistoryUnavailable(history);
  m += "</section>\n";
  return Layout(ctx, env.name + " " + std::string(HealthName(view.health)), "page-environment", m);
}

std::string RenderCheckPage(const PageContext& ctx, const monitor::FleetSnapshot& snap, const monitor::CheckView& view,
                            std::string_view range, const PageHistory& history) {
  const fleet::Check& check = *view.check;
  std::string m;
  m += "<nav class=\"crumbs\" aria-label=\"Breadcrumb\"><a href=\"/\">Fleet</a><span class=\"sep\" "
       "aria-hidden=\"true\">/</span><a href=\"" +
       E(EnvironmentUrl(check.environment)) + "\">" + E(check.environment) +
       "</a><span class=\"sep\" aria-hidden=\"true\">/</span><span>" + E(check.service) +
       "</span><span class=\"sep\" aria-hidden=\"true\">/</span><span aria-current=\"page\">" + E(check.name) +
       "</span></nav>\n";
  m += UpdatedLine(snap, ctx.now);
  m += "<section class=\"entity-head " + StateClass(view.state) + "\"><div class=\"entity-title\"><h1>" +
       E(CheckLabel(check)) + "</h1>" + Pill(view.state, "pill-lg") + "<span class=\"muted\">" +
       SinceTag(view.since, ctx.now) + "</span></div>";
  if (!check.description.empty()) m += "<p class=\"entity-desc\">" + E(check.description) + "</p>";
  m += ReasonList(view.reasons);
  m += "</section>\n<div class=\"grid-2\">\n";

  m += "<section class=\"panel\" aria-labelledby=\"def-h\"><h2 id=\"def-h\">Definition</h2><dl class=\"meta\">";
  auto row = [&](std::string_view term, const std::string& html) {
    m += "<div><dt>" + E(term) + "</dt><dd>" + html + "</dd></div>";
  };
  row("Kind", E(fleet::CheckKindName(check.kind)));
  row("Target", "<code>" + E(check.TargetDisplay()) + "</code>");
  row("Interval", "every " + E(FormatDuration(check.interval)) + ", timeout " + E(FormatDuration(check.timeout)));
  row("Thresholds", fmt::format("worse after {} bad result{}, better after {} good result{}", check.failure_threshold,
                                check.failure_threshold == 1 ? "" : "s", check.success_threshold,
                                check.success_threshold == 1 ? "" : "s"));
  row("Critical", check.critical ? "yes: takes its service down" : "no: degrades its service at most");
  auto conditions = [&](const std::vector<fleet::Condition>& list, std::string_view none) {
    if (list.empty()) return "<span class=\"muted\">" + E(none) + "</span>";
    std::string out = "<ul class=\"conditions\">";
    for (const auto& c : list) out += "<li><code>" + E(c.text()) + "</code></li>";
    return out + "</ul>";
  };
  row("Down unless", conditions(check.conditions, "the default for this kind of check"));
  row("Degraded unless", conditions(check.degraded_conditions, "no extra conditions"));
  m += "</dl></section>\n";

  m += "<section class=\"panel\" aria-labelledby=\"ev-h\"><h2 id=\"ev-h\">Latest result</h2>";
  if (view.recent.empty()) {
    m += "<p class=\"muted empty\">No result yet.</p>";
  } else {
    const auto& ev = view.recent.front();
    m += "<div class=\"evidence\"><div class=\"check-facts\">" + Pill(ev.verdict, "pill-sm") +
         EvidenceFacts(ev, ctx.now) + "</div>";
    m += ReasonList(ev.reasons);
    if (!ev.error.empty() && std::find(ev.reasons.begin(), ev.reasons.end(), ev.error) == ev.reasons.end()) {
      m += "<p class=\"last-error\">Error: " + E(ev.error) + "</p>";
    }
    if (!ev.addresses.empty()) {
      std::string addrs;
      for (size_t i = 0; i < ev.addresses.size(); ++i) addrs += (i ? ", " : "") + E(ev.addresses[i]);
      m += "<p class=\"addresses\">Addresses: <code>" + addrs + "</code></p>";
    }
    m += BodyExcerpt(ev.body_excerpt, ev.verdict != Health::kUp);
    m += "</div>";
  }
  m += "</section>\n</div>\n";

  m += "<section class=\"panel\" aria-labelledby=\"lat-h\"><div class=\"panel-head\"><h2 id=\"lat-h\">Latency</h2>"
       "<nav class=\"range\" aria-label=\"Time range\">";
  for (const auto& [name, length] : CheckPageRanges()) {
    m += "<a href=\"?range=" + name + "\"" + (name == range ? " aria-current=\"true\" class=\"active\"" : "") + ">" +
         name + "</a>";
  }
  m += "</nav></div>";
  if (HistoryUsable(history)) {
    double uptime = OverallUptime(history.latency);
    int64_t results = 0;
    for (const auto& p : history.latency) results += p.count;
    if (uptime >= 0) {
      m += fmt::format(
          "<p class=\"big-number\">{} <span class=\"muted\">uptime over the last {} \u00b7 {} result{}</span></p>",
          FormatPercent(uptime), E(range), results, results == 1 ? "" : "s");
    }
    m += LatencyChart(history.latency, history.latency_from, history.latency_to, history.latency_bucket,
                      "Response time of " + CheckLabel(check) + ", last " + std::string(range));
  } else {
    m += HistoryUnavailable(history);
  }
  m += "</section>\n";

  m += "<section class=\"panel\" aria-labelledby=\"res-h\"><h2 id=\"res-h\">Recent results</h2>";
  if (HistoryUsable(history) && !history.results.empty()) {
    m += "<div class=\"table-wrap\"><table class=\"results\"><thead><tr><th scope=\"col\">When</th><th "
         "scope=\"col\">Verdict</th><th scope=\"col\">Status</th><th scope=\"col\" class=\"num\">Latency</th><th "
         "scope=\"col\">Reason</th></tr></thead><tbody>\n";
    for (const auto& r : history.results) {
      m += "<tr><td>" + TimeTag(r.at, ctx.now) + "</td><td>" + Pill(r.verdict, "pill-sm") + "</td><td>" +
           (r.status_code ? std::to_string(r.status_code) : std::string("\u2014")) + "</td><td class=\"num\">" +
           E(FormatLatencyMs(static_cast<double>(r.latency_us) / 1000.0)) + "</td><td>" + E(r.reason) + "</td></tr>\n";
    }
    m += "</tbody></table></div>";
  } else if (!view.recent.empty()) {
    // Without stored results, the monitor's in-memory evidence is the best recent list there is.
    m += "<div class=\"table-wrap\"><table class=\"results\"><thead><tr><th scope=\"col\">When</th><th "
         "scope=\"col\">Verdict</th><th scope=\"col\">Status</th><th scope=\"col\" class=\"num\">Latency</th><th "
         "scope=\"col\">Reason</th></tr></thead><tbody>\n";
    for (const auto& ev : view.recent) {
      std::string reason;
      for (size_t i = 0; i < ev.reasons.size(); ++i) reason += (i ? "; " : "") + ev.reasons[i];
      m += "<tr><td>" + TimeTag(ev.at, ctx.now) + "</td><td>" + Pill(ev.verdict, "pill-sm") + "</td><td>" +
           (ev.status_code ? std::to_string(ev.status_code) : std::string("\u2014")) + "</td><td class=\"num\">" +
           E(FormatLatencyMs(static_cast<double>(ev.latency_us) / 1000.0)) + "</td><td>" + E(reason) + "</td></tr>\n";
    }
    m += "</tbody></table></div>";
  } else {
    m += "<p class=\"muted empty\">No results yet.</p>";
  }
  m += "</section>\n";

  m += "<section class=\"panel\" aria-labelledby=\"cev-h\"><h2 id=\"cev-h\">Events</h2>";
  m += HistoryUsable(history) ? EventsTable(history.events, ctx.now, check.environment + "/")
                              : HistoryUnavailable(history);
  m += "</section>\n";
  return Layout(ctx, CheckLabel(check) + " " + std::string(HealthName(view.state)), "page-check", m);
}

std::string RenderErrorPage(const PageContext& ctx, int status, std::string_view heading, std::string_view message) {
  std::string m = fmt::format(
      "<section class=\"error-page\"><p class=\"error-code\">{}</p><h1>{}</h1><p class=\"error-message\">{}</p>"
      "<p><a class=\"button\" href=\"/\">Back to the fleet overview</a></p></section>\n",
      status, E(heading), E(message));
  return Layout(ctx, std::string(heading), "page-error", m);
}

}  // namespace csoc::web

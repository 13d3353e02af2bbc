// The public status page (/status, /status/incidents/{id}) and its Statuspage-compatible JSON
// (/api/v2/*.json). Everything is rendered from the status page and the monitoring feed, cached
// until either changes (and for at most kMaxAge, since time moves bars and maintenance states).
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <ctime>
#include <map>
#include <memory>

#include "statuspage/public_view.h"
#include "web/api_json.h"
#include "web/statuspage_routes.h"
#include "web/text.h"

namespace csoc::web {
namespace {

using statuspage::Component;
using statuspage::ComponentStatus;
using statuspage::Incident;
using std::chrono::hours;
using std::chrono::milliseconds;

constexpr milliseconds kMaxAge{30'000};
constexpr int kHistoryDays = 90;
constexpr int kIncidentsPerPage = 10;
constexpr size_t kJsonIncidentLimit = 50;
constexpr milliseconds kDay = hours(24);

std::string E(std::string_view s) { return HtmlEscape(s); }

Json OptionalIso(const std::optional<TimePoint>& t) { return t ? Json(FormatIso8601(*t)) : Json(nullptr); }

// A shape per status, so that colour is never the only signal.
std::string_view StatusIcon(ComponentStatus s) {
  switch (s) {
    case ComponentStatus::kOperational: return "\u2713";
    case ComponentStatus::kDegradedPerformance: return "!";
    case ComponentStatus::kPartialOutage: return "\u25D0";
    case ComponentStatus::kMajorOutage: return "\u2715";
    case ComponentStatus::kUnderMaintenance: return "\u2692";
  }
  return "?";
}

class PublicPage : public std::enable_shared_from_this<PublicPage> {
 public:
  explicit PublicPage(StatusPageRouteDeps deps) : deps_(std::move(deps)) {}

  void Register(Router& router) {
    auto self = shared_from_this();
    Router::Options json_opts;
    json_opts.error_body = ScsErrorBody;
    Router::Options page_opts;
    page_opts.error_body = [](int, const std::string& m) { return m + "\n"; };
    auto add_json = [&](const std::string& path, Json (PublicPage::*fn)(TimePoint)) {
      router.Add(
          {"GET"}, "/api/v2/" + path,
          [self, fn](RouteCall& c) { return self->CachedJson(c, [&] { return (self.get()->*fn)(c.now); }); },
          json_opts);
    };
    add_json("summary.json", &PublicPage::SummaryJson);
    add_json("status.json", &PublicPage::StatusJson);
    add_json("components.json", &PublicPage::ComponentsJson);
    add_json("incidents.json", &PublicPage::IncidentsJson);
    add_json("incidents/unresolved.json", &PublicPage::UnresolvedJson);
    add_json("scheduled-maintenances.json", &PublicPage::MaintenancesJson);
    add_json("scheduled-maintenances/upcoming.json", &PublicPage::UpcomingJson);
    add_json("scheduled-maintenances/active.json", &PublicPage::ActiveJson);
    router.Add(
        {"GET"}, "/status", [self](RouteCall& c) { return self->StatusHtml(c); }, page_opts);
    router.Add(
        {"GET"}, "/status/incidents/{id}", [self](RouteCall& c) { return self->IncidentHtml(c); }, page_opts);
    router.Add(
        {"GET"}, "/status/theme.css", [self](RouteCall& c) { return self->Theme(c); }, page_opts);
    router.Add(
        {"GET"}, "/status/logo", [self](RouteCall& c) { return self->Logo(c); }, page_opts);
    router.Add(
        {"GET"}, "/status/feed.rss", [self](RouteCall& c) { return self->Feed(c, /*atom=*/false); }, page_opts);
    router.Add(
        {"GET"}, "/status/feed.atom", [self](RouteCall& c) { return self->Feed(c, /*atom=*/true); }, page_opts);
  }

 private:
  statuspage::StatusPage& page() { return *deps_.page; }
  statuspage::Feed& feed() { return *deps_.feed; }

  // ---- Caching ----

  struct Entry {
    uint64_t page_version, feed_version;
    TimePoint valid_until;
    Response response;
  };

  template <typename Render>
  Response Cached(const RouteCall& c, Render render) {
    return CachedAs(c.request.target, c, render);
  }

  template <typename Render>
  Response CachedAs(const std::string& key, const RouteCall& c, Render render) {
    auto it = cache_.find(key);
    if (it != cache_.end() && it->second.page_version == page().version() &&
        it->second.feed_version == feed().version() && c.now < it->second.valid_until) {
      return it->second.response;
    }
    Response r = render();
    r.route = c.route;
    if (r.status == 200) {
      // The entry and every answer from it share one body: a cached answer is not copied.
      r.ShareBody();
      if (cache_.size() >= 256) cache_.clear();
      cache_[key] = Entry{page().version(), feed().version(), ValidUntil(c.now), r};
    }
    return r;
  }

  // Until the next incident start or end, and at most kMaxAge.
  TimePoint ValidUntil(TimePoint now) {
    TimePoint next = now + kMaxAge;
    for (const auto& i : page().data().incidents) {
      if (i.began_at && *i.began_at > now) next = std::min(next, *i.began_at);
      if (i.ended_at && *i.ended_at > now) next = std::min(next, *i.ended_at);
    }
    return next;
  }

  template <typename Build>
  Response CachedJson(const RouteCall& c, Build build) {
    return Cached(c, [&] {
      Response r;
      r.content_type = "application/json";
      r.body = DumpJson(build()) + "\n";
      r.headers.emplace_back("Cache-Control", "public, max-age=10");
      // Status widgets on other sites read these, as they read Statuspage's.
      r.headers.emplace_back("Access-Control-Allow-Origin", "*");
      return r;
    });
  }

  // ---- The Statuspage model ----

  std::string Title() const { return deps_.title; }

  Json PageJson(TimePoint now) {
    return Json{{"id", "csoc"},
                {"name", Title()},
                {"url", "/status"},
                {"time_zone", "Etc/UTC"},
                {"updated_at", FormatIso8601(now)}};
  }

  ComponentStatus StatusOf(const Component& c, TimePoint now) { return statuspage::StatusOf(page(), feed(), c, now); }

  std::string GroupOf(const Component& c) {
    auto it = c.labels.find("group");
    return it == c.labels.end() ? std::string() : it->second;
  }

  Json ComponentJson(const Component& c, int position, TimePoint now) {
    std::string description;
    if (const auto* spec = feed().SpecOf(c.id)) description = spec->description;
    std::string group = GroupOf(c);
    return Json{{"id", c.id},
                {"name", c.display_name},
                {"status", statuspage::StatuspageName(StatusOf(c, now))},
                {"created_at", nullptr},
                {"updated_at", FormatIso8601(now)},
                {"position", position},
                {"description", description.empty() ? Json(nullptr) : Json(description)},
                {"showcase", true},
                {"start_date", nullptr},
                {"group_id", group.empty() ? Json(nullptr) : Json("group-" + group)},
                {"page_id", "csoc"},
                {"group", false},
                {"only_show_if_degraded", false}};
  }

  Json AllComponentsJson(TimePoint now) {
    Json list = Json::array();
    std::map<std::string, std::vector<std::string>> groups;
    int position = 1;
    for (const auto& c : page().data().components) {
      list.push_back(ComponentJson(c, position++, now));
      if (!GroupOf(c).empty()) groups[GroupOf(c)].push_back(c.id);
    }
    for (const auto& [name, members] : groups) {
      ComponentStatus worst = ComponentStatus::kOperational;
      for (const auto& id : members) {
        ComponentStatus s = StatusOf(*page().FindComponent(id), now);
        if (statuspage::Rank(s) > statuspage::Rank(worst)) worst = s;
      }
      list.push_back(Json{{"id", "group-" + name},
                          {"name", name},
                          {"status", statuspage::StatuspageName(worst)},
                          {"created_at", nullptr},
                          {"updated_at", FormatIso8601(now)},
                          {"position", position++},
                          {"description", nullptr},
                          {"showcase", false},
                          {"start_date", nullptr},
                          {"group_id", nullptr},
                          {"page_id", "csoc"},
                          {"group", true},
                          {"only_show_if_degraded", false},
                          {"components", members}});
    }
    return list;
  }

  Json IncidentJson(const Incident& i, TimePoint now) {
    bool maintenance = i.IsMaintenance();
    std::string status(maintenance ? statuspage::MaintenanceStatus(i, now)
                                   : statuspage::IncidentStatus(page(), i, now));
    Json components = Json::array();
    for (const auto& m : i.affects) {
      if (const Component* c = page().FindComponent(m.component_id)) components.push_back(ComponentJson(*c, 0, now));
    }
    Json updates = Json::array();
    for (auto u = i.updates.rbegin(); u != i.updates.rend(); ++u) {
      updates.push_back(
          Json{{"id", fmt::format("{}-{}", i.id, u->order)},
               {"status", status},
               {"body", u->description.empty() ? u->display_name : u->display_name + ": " + u->description},
               {"incident_id", i.id},
               {"created_at", FormatIso8601(u->created_at)},
               {"updated_at", FormatIso8601(u->created_at)},
               {"display_at", FormatIso8601(u->created_at)},
               {"affected_components", nullptr},
               {"deliver_notifications", true}});
    }
    std::optional<TimePoint> last_update = i.updates.empty() ? i.began_at : i.updates.back().created_at;
    bool resolved = status == "resolved" || status == "completed";
    Json j{{"id", i.id},
           {"name", i.display_name},
           {"status", status},
           {"created_at", OptionalIso(i.began_at)},
           {"updated_at", OptionalIso(last_update)},
           {"monitoring_at", nullptr},
           {"resolved_at", resolved ? OptionalIso(i.ended_at) : Json(nullptr)},
           {"impact", statuspage::ImpactName(i.MaxSeverity())},
           {"shortlink", "/status/incidents/" + i.id},
           {"started_at", OptionalIso(i.began_at)},
           {"page_id", "csoc"},
           {"incident_updates", updates},
           {"components", components}};
    if (maintenance) {
      j["scheduled_for"] = OptionalIso(i.began_at);
      j["scheduled_until"] = OptionalIso(i.ended_at);
    }
    return j;
  }

  std::vector<ComponentStatus> AllStatuses(TimePoint now) {
    std::vector<ComponentStatus> out;
    for (const auto& c : page().data().components) out.push_back(StatusOf(c, now));
    return out;
  }

  Json StatusPart(TimePoint now) {
    statuspage::Overall o = statuspage::OverallOf(AllStatuses(now));
    return Json{{"indicator", o.indicator == "maintenance" ? "none" : o.indicator}, {"description", o.description}};
  }

  Json IncidentList(const std::vector<const Incident*>& list, TimePoint now, size_t limit) {
    Json out = Json::array();
    for (auto it = list.rbegin(); it != list.rend() && out.size() < limit; ++it) out.push_back(IncidentJson(**it, now));
    return out;
  }

  std::vector<const Incident*> PublishedIncidents() {
    std::vector<const Incident*> out;
    for (const auto& i : page().data().incidents) {
      if (i.published && !i.IsMaintenance()) out.push_back(&i);
    }
    std::stable_sort(out.begin(), out.end(),
                     [](const Incident* a, const Incident* b) { return a->began_at < b->began_at; });
    return out;
  }

  std::vector<const Incident*> MaintenancesWhere(TimePoint now, std::string_view status) {
    std::vector<const Incident*> out;
    for (const Incident* i : statuspage::Maintenances(page())) {
      if (status.empty() || statuspage::MaintenanceStatus(*i, now) == status) out.push_back(i);
    }
    std::stable_sort(out.begin(), out.end(),
                     [](const Incident* a, const Incident* b) { return a->began_at < b->began_at; });
    return out;
  }

  Json SummaryJson(TimePoint now) {
    std::vector<const Incident*> active = MaintenancesWhere(now, "in_progress");
    for (const Incident* i : MaintenancesWhere(now, "scheduled")) active.push_back(i);
    return Json{{"page", PageJson(now)},
                {"status", StatusPart(now)},
                {"components", AllComponentsJson(now)},
                {"incidents", IncidentList(statuspage::OpenIncidents(page(), now), now, SIZE_MAX)},
                {"scheduled_maintenances", IncidentList(active, now, SIZE_MAX)}};
  }
  Json StatusJson(TimePoint now) { return Json{{"page", PageJson(now)}, {"status", StatusPart(now)}}; }
  Json ComponentsJson(TimePoint now) { return Json{{"page", PageJson(now)}, {"components", AllComponentsJson(now)}}; }
  Json IncidentsJson(TimePoint now) {
    return Json{{"page", PageJson(now)}, {"incidents", IncidentList(PublishedIncidents(), now, kJsonIncidentLimit)}};
  }
  Json UnresolvedJson(TimePoint now) {
    return Json{{"page", PageJson(now)},
                {"incidents", IncidentList(statuspage::OpenIncidents(page(), now), now, SIZE_MAX)}};
  }
  Json MaintenancesJson(TimePoint now) {
    return Json{{"page", PageJson(now)},
                {"scheduled_maintenances", IncidentList(MaintenancesWhere(now, ""), now, kJsonIncidentLimit)}};
  }
  Json UpcomingJson(TimePoint now) {
    return Json{{"page", PageJson(now)},
                {"scheduled_maintenances", IncidentList(MaintenancesWhere(now, "scheduled"), now, SIZE_MAX)}};
  }
  Json ActiveJson(TimePoint now) {
    return Json{{"page", PageJson(now)},
                {"scheduled_maintenances", IncidentList(MaintenancesWhere(now, "in_progress"), now, SIZE_MAX)}};
  }

  // ---- HTML ----

  std::string Head(std::string_view title) { return StatusPageHead(deps_, title); }

  static std::string Foot(TimePoint now) {
    return fmt::format(
        "</main><footer class=\"sp-foot\">Updated <time datetime=\"{}\">{}</time> · "
        "<a href=\"/status/feed.rss\">RSS</a> · <a href=\"/status/feed.atom\">Atom</a> · "
        "<a href=\"/api/v2/summary.json\">JSON</a> · powered by csoc</footer></body></html>\n",
        FormatIso8601(now), FormatTimeUtc(now));
  }

  static std::string StatusBadge(ComponentStatus s) {
    return fmt::format("<span class=\"sp-badge st-{}\"><span aria-hidden=\"true\">{}</span> {}</span>",
                       statuspage::StatuspageName(s), StatusIcon(s), statuspage::HumanName(s));
  }

  std::string UpdatesTimeline(const Incident& i, TimePoint now) {
    std::string out = "<ol class=\"sp-updates\">";
    for (auto u = i.updates.rbegin(); u != i.updates.rend(); ++u) {
      out +=
          fmt::format("<li><strong>{}</strong> <time datetime=\"{}\" title=\"{}\">{}</time>{}</li>", E(u->display_name),
                      FormatIso8601(u->created_at), FormatTimeUtc(u->created_at), E(FormatAgo(u->created_at, now)),
                      u->description.empty() ? "" : "<p>" + E(u->description) + "</p>");
    }
    return out + "</ol>";
  }

  std::string AffectedNames(const Incident& i) {
    std::string out;
    for (const auto& m : i.affects) {
      if (const Component* c = page().FindComponent(m.component_id)) out += (out.empty() ? "" : ", ") + c->display_name;
    }
    return out;
  }

  std::string IncidentCard(const Incident& i, TimePoint now, bool open) {
    bool maintenance = i.IsMaintenance();
    std::string_view status =
        maintenance ? statuspage::MaintenanceStatus(i, now) : statuspage::IncidentStatus(page(), i, now);
    std::string when;
    if (i.began_at && i.ended_at && (maintenance || *i.ended_at <= now)) {
      when = fmt::format("{} – {} ({})", FormatTimeUtc(*i.began_at), FormatTimeUtc(*i.ended_at),
                         FormatSpan(std::chrono::duration_cast<milliseconds>(*i.ended_at - *i.began_at)));
    } else if (i.began_at) {
      when = "since " + FormatTimeUtc(*i.began_at);
    }
    return fmt::format(
        "<article class=\"sp-incident imp-{}\"><h3><a href=\"/status/incidents/{}\">{}</a></h3><p class=\"sp-meta\">"
        "<span class=\"sp-state\">{}</span> · impact {} · {}{}</p>{}{}</article>",
        statuspage::ImpactName(i.MaxSeverity()), E(i.id), E(i.display_name), E(std::string(status)),
        statuspage::ImpactName(i.MaxSeverity()), E(when),
        AffectedNames(i).empty() ? "" : " · affects " + E(AffectedNames(i)),
        i.description.empty() ? "" : "<p>" + E(i.description) + "</p>", open ? UpdatesTimeline(i, now) : "");
  }

  // Day levels: 0 no data, 1 fine, 2 degraded, 3 partial, 4 major, 5 maintenance.
  struct Day {
    int level = 0;
    std::optional<double> uptime;
    std::vector<std::string> incidents;
  };

  std::vector<Day> History(const Component& c, TimePoint now) {
    std::vector<Day> days(kHistoryDays);
    int64_t today = ToUnixMillis(now) / kDay.count();
    TimePoint first = FromUnixMillis((today - kHistoryDays + 1) * kDay.count());
    if (deps_.history != nullptr) {
      // A component is as available as its least available check: its uptime on a day is the
      // lowest of its checks' (an average would hide one critical check down all day).
      for (const std::string& id : feed().CheckIdsOf(c.id)) {
        std::vector<store::SeriesPoint> points;
        if (!deps_.history->QuerySeries({id}, first, now + milliseconds(1), store::Resolution::kDay, &points).ok()) {
          continue;
        }
        for (const auto& p : points) {
          int64_t index = (ToUnixMillis(p.start) - ToUnixMillis(first)) / kDay.count();
          if (index < 0 || index >= kHistoryDays || p.count == 0) continue;
          Day& d = days[index];
          d.uptime = d.uptime ? std::min(*d.uptime, p.uptime) : p.uptime;
        }
      }
      for (Day& d : days) {
        if (d.uptime) d.level = *d.uptime >= 0.999 ? 1 : *d.uptime >= 0.99 ? 2 : *d.uptime >= 0.95 ? 3 : 4;
      }
    }
    for (const auto& i : page().data().incidents) {
      if (!i.published || !i.began_at) continue;
      int severity = -1;
      for (const auto& m : i.affects) {
        if (m.component_id == c.id) severity = std::max(severity, m.severity);
      }
      if (severity < 0) continue;
      int64_t from = (ToUnixMillis(*i.began_at) - ToUnixMillis(first)) / kDay.count();
      int64_t to = ((i.ended_at ? ToUnixMillis(*i.ended_at) : ToUnixMillis(now)) - ToUnixMillis(first)) / kDay.count();
      for (int64_t d = std::max<int64_t>(from, 0); d <= std::min<int64_t>(to, kHistoryDays - 1); ++d) {
        int level = severity == 0 ? 5 : severity <= 33 ? 2 : severity <= 66 ? 3 : 4;
        Day& day = days[d];
        if (level == 5) {
          if (day.level <= 1) day.level = 5;
        } else if (day.level == 5 || level > day.level) {
          day.level = level;
        }
        if (std::find(day.incidents.begin(), day.incidents.end(), i.display_name) == day.incidents.end()) {
          day.incidents.push_back(i.display_name);
        }
      }
    }
    return days;
  }

  // 90 cells, one a day; each says its day, measured uptime and incidents in a tooltip. Phones
  // show the last 30 (status.css).
  std::string Bar(const Component& c, TimePoint now) {
    static constexpr std::string_view kLevelNames[] = {"no data",        "ok",           "degraded",
                                                       "partial outage", "major outage", "maintenance"};
    constexpr size_t kNamesShown = 2;
    std::vector<Day> days = History(c, now);
    int64_t today = ToUnixMillis(now) / kDay.count();
    double up_sum = 0;
    int measured = 0;
    std::string cells;
    for (int i = 0; i < kHistoryDays; ++i) {
      const Day& d = days[i];
      TimePoint day_start = FromUnixMillis((today - kHistoryDays + 1 + i) * kDay.count());
      std::string tip = FormatIso8601(day_start).substr(0, 10) + " " + std::string(kLevelNames[d.level]);
      if (d.uptime) {
        tip += " " + FormatPercent(*d.uptime);
        up_sum += *d.uptime;
        ++measured;
      }
      for (size_t n = 0; n < d.incidents.size() && n < kNamesShown; ++n) tip += "; " + d.incidents[n];
      if (d.incidents.size() > kNamesShown) tip += fmt::format("; {} more", d.incidents.size() - kNamesShown);
      cells += fmt::format("<i class=\"l{}\" title=\"{}\"></i>", d.level, E(tip));
    }
    std::string summary = measured > 0 ? FormatPercent(up_sum / measured) + " uptime" : "no measurements yet";
    return fmt::format(
        "<div class=\"sp-bar\" role=\"img\" aria-label=\"{} days of {}: {}\">{}</div><div class=\"sp-bar-legend\">"
        "<span><span class=\"wide\">{} days ago</span><span class=\"narrow\">30 days ago</span></span><span>{}</span>"
        "<span>today</span></div>",
        kHistoryDays, E(c.display_name), E(summary), cells, kHistoryDays, E(summary));
  }

  Response Html(std::string body) {
    Response r;
    r.content_type = "text/html; charset=utf-8";
    r.body = std::move(body);
    r.headers.emplace_back("Cache-Control", "public, max-age=10");
    return r;
  }

  Response StatusHtml(RouteCall& c) {
    int64_t page_number = 1;
    if (Status s = c.query.OnlyAllowed({"page"}); !s.ok()) return Html404(c, 400, s.message());
    if (const std::string* p = c.query.Find("page")) {
      if (Status s = ParseIntParam("page", *p, 1, 100'000, &page_number); !s.ok()) return Html404(c, 400, s.message());
    }
    return Cached(c, [&] { return Html(RenderStatus(c.now, static_cast<int>(page_number))); });
  }

  std::string RenderStatus(TimePoint now, int page_number) {
    std::string out = Head(Title());
    statuspage::Overall o = statuspage::OverallOf(AllStatuses(now));
    out += fmt::format("<section class=\"sp-banner ind-{}\" role=\"status\"><h1>{}</h1></section>", o.indicator,
                       E(o.description));
    if (!deps_.description.empty()) out += "<p class=\"sp-intro\">" + E(deps_.description) + "</p>";
    auto open = statuspage::OpenIncidents(page(), now);
    if (!open.empty()) {
      out += "<section><h2>Active incidents</h2>";
      for (const Incident* i : open) out += IncidentCard(*i, now, true);
      out += "</section>";
    }
    auto ongoing = MaintenancesWhere(now, "in_progress");
    auto upcoming = MaintenancesWhere(now, "scheduled");
    if (!ongoing.empty() || !upcoming.empty()) {
      out += "<section><h2>Maintenance</h2>";
      for (const Incident* i : ongoing) out += IncidentCard(*i, now, true);
      for (const Incident* i : upcoming) out += IncidentCard(*i, now, false);
      out += "</section>";
    }
    out += "<section><h2>Components</h2>";
    std::vector<std::string> groups;
    for (const auto& comp : page().data().components) {
      if (std::find(groups.begin(), groups.end(), GroupOf(comp)) == groups.end()) groups.push_back(GroupOf(comp));
    }
    for (const auto& g : groups) {
      out += "<div class=\"sp-group\">";
      if (!g.empty()) out += "<h3>" + E(g) + "</h3>";
      out += "<ul class=\"sp-components\">";
      for (const auto& comp : page().data().components) {
        if (GroupOf(comp) != g) continue;
        out += fmt::format("<li><div class=\"sp-comp-head\"><span class=\"sp-comp-name\">{}</span>{}</div>{}</li>",
                           E(comp.display_name), StatusBadge(StatusOf(comp, now)), Bar(comp, now));
      }
      out += "</ul></div>";
    }
    if (page().data().components.empty()) out += "<p class=\"sp-empty\">No components are published yet.</p>";
    out += "</section>";

    std::vector<const Incident*> past;
    for (const auto& i : page().data().incidents) {
      if (i.published && i.ended_at && *i.ended_at <= now) past.push_back(&i);
    }
    std::stable_sort(past.begin(), past.end(),
                     [](const Incident* a, const Incident* b) { return a->began_at > b->began_at; });
    int pages = std::max(1, static_cast<int>((past.size() + kIncidentsPerPage - 1) / kIncidentsPerPage));
    page_number = std::min(page_number, pages);
    out += "<section><h2>Past incidents</h2>";
    if (past.empty()) out += "<p class=\"sp-empty\">No incidents reported.</p>";
    for (size_t n = (page_number - 1) * kIncidentsPerPage;
         n < past.size() && n < size_t(page_number) * kIncidentsPerPage; ++n) {
      out += IncidentCard(*past[n], now, false);
    }
    if (pages > 1) {
      out += "<nav class=\"sp-pages\" aria-label=\"Past incidents pages\">";
      if (page_number > 1) out += fmt::format("<a href=\"/status?page={}\" rel=\"prev\">Newer</a>", page_number - 1);
      out += fmt::format("<span>Page {} of {}</span>", page_number, pages);
      if (page_number < pages)
        out += fmt::format("<a href=\"/status?page={}\" rel=\"next\">Older</a>", page_number + 1);
      out += "</nav>";
    }
    out += "</section>";
    return out + Foot(now);
  }

  Response Html404(const RouteCall& c, int status, const std::string& message) {
    Response r =
        Html(Head(Title()) + "<section><h1>" + (status == 404 ? "Not found" : "Bad request") + "</h1><p>" + E(message) +
             "</p><p><a href=\"/status\">Back to the status page</a></p></section>" + Foot(c.now));
    r.status = status;
    r.route = c.route;
    r.headers.back().second = "no-store";
    return r;
  }

  Response IncidentHtml(RouteCall& c) {
    const Incident* i = page().FindIncident(c.Param("id"));
    if (i == nullptr || !i->published) return Html404(c, 404, "There is no incident with this address.");
    return Cached(c, [&] {
      std::string out = Head(i->display_name + " · " + Title());
      out += IncidentCard(*i, c.now, true);
      return Html(out + Foot(c.now));
    });
  }

  // ---- Look ----

  // Both are versioned by their content in the page (StatusPageHead), so they can be cached for good.
  Response Theme(RouteCall& c) {
    Response r;
    r.route = c.route;
    r.content_type = "text/css; charset=utf-8";
    r.body = ThemeCss(deps_.colors);
    r.headers.emplace_back("Cache-Control", "public, max-age=31536000, immutable");
    return r;
  }

  Response Logo(RouteCall& c) {
    if (deps_.logo.empty()) return Html404(c, 404, "This status page has no logo.");
    Response r;
    r.route = c.route;
    r.content_type = deps_.logo_content_type;
    r.body = deps_.logo;
    r.headers.emplace_back("Cache-Control", "public, max-age=31536000, immutable");
    return r;
  }

  // ---- Feeds ----

  // Feeds need absolute links: the configured public URL, else http:// and the request's Host.
  // Feeds need absolute links: the configured public URL, else http:// and the request's Host,
  // which must look like a host (RFC 9110: letters, digits, '.', '-', ':' and an IPv6 literal).
  std::optional<std::string> BaseUrl(const RouteCall& c) {
    if (!deps_.public_url.empty()) return deps_.public_url;
    const std::string* host = c.request.Header("host");
    if (host == nullptr || host->empty()) return std::string("http://localhost");
    bool ok = std::all_of(host->begin(), host->end(), [](char ch) {
      return std::isalnum(static_cast<unsigned char>(ch)) || ch == '.' || ch == '-' || ch == ':' || ch == '[' ||
             ch == ']';
    });
    if (!ok) return std::nullopt;
    return "http://" + *host;
  }

  static std::string Rfc822(TimePoint t) {
    std::time_t tt = Clock::to_time_t(t);
    std::tm tm{};
    gmtime_r(&tt, &tm);
    char buf[64];
    std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    return buf;
  }

  // The newest change a visitor could have seen by `now` (an entry's `updated` is never in the
  // future, RFC 4287 4.2.15): its updates, its start and its end as far as they have happened.
  static TimePoint LastChange(const Incident& i, TimePoint now) {
    std::optional<TimePoint> t;
    auto consider = [&](TimePoint x) {
      if (x <= now && (!t || x > *t)) t = x;
    };
    for (const auto& u : i.updates) consider(u.created_at);
    if (i.began_at) consider(*i.began_at);
    if (i.ended_at) consider(*i.ended_at);
    return t.value_or(now);
  }

  // Text for XML: escaped like HTML, and without U+FFFE/U+FFFF, which XML 1.0 does not allow.
  static std::string X(std::string_view text) {
    std::string out = HtmlEscape(text);
    for (size_t p = out.find("\xEF\xBF"); p != std::string::npos; p = out.find("\xEF\xBF", p + 1)) {
      if (p + 2 < out.size() && (out[p + 2] == '\xBE' || out[p + 2] == '\xBF')) out[p + 2] = '\xBD';
    }
    return out;
  }

  std::string EntryText(const Incident& i, TimePoint now) {
    bool maintenance = i.IsMaintenance();
    std::string status(maintenance ? statuspage::MaintenanceStatus(i, now)
                                   : statuspage::IncidentStatus(page(), i, now));
    std::string text = fmt::format("{}: {}. Impact: {}.", maintenance ? "Maintenance" : "Incident", status,
                                   statuspage::ImpactName(i.MaxSeverity()));
    if (!AffectedNames(i).empty()) text += " Affects " + AffectedNames(i) + ".";
    if (i.began_at) text += (maintenance ? " From " : " Began ") + FormatTimeUtc(*i.began_at);
    if (i.ended_at) text += (maintenance ? " until " : ", ended ") + FormatTimeUtc(*i.ended_at);
    text += ".";
    if (!i.description.empty()) text += " " + i.description;
    if (!i.updates.empty()) {
      const auto& u = i.updates.back();
      text += " Latest update: " + u.display_name + (u.description.empty() ? "" : ": " + u.description);
    }
    return text;
  }

  Response Feed(RouteCall& c, bool atom) {
    if (Status s = c.query.OnlyAllowed({}); !s.ok()) return Html404(c, 400, s.message());
    std::optional<std::string> base_url = BaseUrl(c);
    if (!base_url) return Html404(c, 400, "The Host header is not a host name.");
    const std::string& base = *base_url;
    // The links in a feed depend on the Host it was asked for.
    std::string key = c.request.target + "@" + base;
    std::vector<const Incident*> entries;
    for (const auto& i : page().data().incidents) {
      if (i.published) entries.push_back(&i);
    }
    std::stable_sort(entries.begin(), entries.end(), [&](const Incident* a, const Incident* b) {
      return LastChange(*a, c.now) > LastChange(*b, c.now);
    });
    if (entries.size() > kJsonIncidentLimit) entries.resize(kJsonIncidentLimit);
    TimePoint updated = entries.empty() ? c.now : LastChange(*entries.front(), c.now);
    return CachedAs(key, c, [&] {
      std::string out = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n";
      if (atom) {
        out += fmt::format(
            "<feed xmlns=\"http://www.w3.org/2005/Atom\"><id>{0}/status</id><title>{1}</title><updated>{2}</updated>"
            "<link rel=\"self\" type=\"application/atom+xml\" href=\"{0}/status/feed.atom\"/>"
            "<link rel=\"alternate\" type=\"text/html\" href=\"{0}/status\"/><author><name>{1}</name></author>"
            "<generator>csoc</generator>\n",
            X(base), X(Title()), FormatIso8601(updated));
        for (const Incident* i : entries) {
          out += fmt::format(
              "<entry><id>urn:uuid:{}</id><title>{}</title><updated>{}</updated><published>{}</published>"
              "<link rel=\"alternate\" type=\"text/html\" href=\"{}/status/incidents/{}\"/>"
              "<summary type=\"text\">{}</summary></entry>\n",
              X(i->id), X(i->display_name), FormatIso8601(LastChange(*i, c.now)),
              FormatIso8601(std::min(i->began_at.value_or(LastChange(*i, c.now)), LastChange(*i, c.now))), X(base),
              X(i->id), X(EntryText(*i, c.now)));
        }
        out += "</feed>\n";
      } else {
        out += fmt::format(
            "<rss version=\"2.0\" xmlns:atom=\"http://www.w3.org/2005/Atom\"><channel><title>{1}</title>"
            "<link>{0}/status</link><description>Incidents and maintenance of {1}</description><language>en</language>"
            "<lastBuildDate>{2}</lastBuildDate><generator>csoc</generator>"
            "<atom:link href=\"{0}/status/feed.rss\" rel=\"self\" type=\"application/rss+xml\"/>\n",
            X(base), X(Title()), Rfc822(updated));
        for (const Incident* i : entries) {
          out += fmt::format(
              "<item><title>{}</title><link>{}/status/incidents/{}</link><guid isPermaLink=\"false\">{}</guid>"
              "<pubDate>{}</pubDate><description>{}</description></item>\n",
              X(i->display_name), X(base), X(i->id), X(i->id), Rfc822(LastChange(*i, c.now)), X(EntryText(*i, c.now)));
        }
        out += "</channel></rss>\n";
      }
      Response r;
      r.content_type = atom ? "application/atom+xml; charset=utf-8" : "application/rss+xml; charset=utf-8";
      r.body = std::move(out);
      r.headers.emplace_back("Cache-Control", "public, max-age=60");
      return r;
    });
  }

  StatusPageRouteDeps deps_;
  std::map<std::string, Entry> cache_;
};

}  // namespace

std::string ThemeCss(const std::map<std::string, std::string>& colors) {
  std::string css = ":root {";
  if (auto it = colors.find("accent"); it != colors.end()) css += " --link: " + it->second + ";";
  css += " }\n";
  if (auto it = colors.find("header"); it != colors.end()) css += ".sp-head { background: " + it->second + "; }\n";
  if (auto it = colors.find("accent"); it != colors.end()) {
    css += "button { background: " + it->second + "; border-color: " + it->second + "; }\n";
  }
  return css;
}

std::string StatusPageHead(const StatusPageRouteDeps& deps, std::string_view title, std::string_view note) {
  auto version = [](std::string_view data) {
    uint64_t h = 14695981039346656037ULL;
    for (char ch : data) h = (h ^ static_cast<unsigned char>(ch)) * 1099511628211ULL;
    return fmt::format("{:012x}", h & 0xffffffffffffULL);
  };
  std::string theme = deps.colors.empty() ? std::string()
                                          : fmt::format("<link rel=\"stylesheet\" href=\"/status/theme.css?v={}\">",
                                                        version(ThemeCss(deps.colors)));
  std::string logo =
      deps.logo.empty() ? std::string()
                        : fmt::format("<img class=\"sp-logo\" src=\"/status/logo?v={}\" alt=\"\">", version(deps.logo));
  return fmt::format(
      "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" "
      "content=\"width=device-width, initial-scale=1\"><title>{}</title><link rel=\"stylesheet\" href=\"{}\">{}"
      "<link rel=\"icon\" href=\"{}\"><link rel=\"alternate\" type=\"application/rss+xml\" title=\"Incidents (RSS)\" "
      "href=\"/status/feed.rss\"><link rel=\"alternate\" type=\"application/atom+xml\" title=\"Incidents (Atom)\" "
      "href=\"/status/feed.atom\"></head><body class=\"sp\"><header class=\"sp-head\"><a href=\"/status\">{}{}</a>{}"
      "</header><main class=\"sp-main\">",
      HtmlEscape(title), HtmlEscape(deps.css_url), theme, HtmlEscape(deps.icon_url), logo, HtmlEscape(deps.title),
      note.empty() ? "" : " <span class=\"sp-head-note\">" + HtmlEscape(note) + "</span>");
}

void AddStatusPagePublicRoutes(Router& router, const StatusPageRouteDeps& deps) {
  std::make_shared<PublicPage>(deps)->Register(router);
}

}  // namespace csoc::web

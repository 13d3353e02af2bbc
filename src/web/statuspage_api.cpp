// The Sovereign Cloud Stack status page API: every path and method of its OpenAPI document.
#include <fmt/format.h>

#include <map>
#include <memory>

#include "auth/tokens.h"
#include "statuspage/scs_json.h"
#include "web/api_json.h"
#include "web/statuspage_routes.h"
#include "web/write_guard.h"

namespace csoc::web {

std::string ScsErrorBody(int, const std::string& message) { return DumpJson(Json{{"message", message}}) + "\n"; }

namespace {

using statuspage::StatusPage;
namespace scs = statuspage::scs;

constexpr size_t kMaxCachedAnswers = 512;

// GET answers by target, valid while the page's version is unchanged and until `valid_until`.
class AnswerCache {
 public:
  // Null when there is none. The body is shared with the answers, which do not copy it.
  std::shared_ptr<const std::string> Find(const std::string& target, uint64_t version, TimePoint now) const {
    auto it = entries_.find(target);
    if (it == entries_.end() || it->second.version != version || now >= it->second.valid_until) return nullptr;
    return it->second.body;
  }
  void Put(const std::string& target, uint64_t version, TimePoint valid_until,
           std::shared_ptr<const std::string> body) {
    if (entries_.size() >= kMaxCachedAnswers) entries_.clear();
    entries_[target] = Entry{version, valid_until, std::move(body)};
  }

 private:
  struct Entry {
    uint64_t version;
    TimePoint valid_until;
    std::shared_ptr<const std::string> body;
  };
  std::map<std::string, Entry> entries_;
};

class ScsApi : public std::enable_shared_from_this<ScsApi> {
 public:
  explicit ScsApi(StatusPageRouteDeps deps) : deps_(std::move(deps)) {}

  void Register(Router& router) {
    const std::string& b = deps_.api_base;
    Router::Options opts;
    opts.cors = true;
    opts.error_body = ScsErrorBody;
    auto add = [&](std::vector<std::string> methods, const std::string& path, auto fn) {
      router.Add(
          std::move(methods), b + path, [self = shared_from_this(), fn](RouteCall& c) { return (self.get()->*fn)(c); },
          opts);
    };
    add({"GET"}, "/phases", &ScsApi::GetPhases);
    add({"POST"}, "/phases", &ScsApi::PostPhases);
    add({"GET"}, "/impacttypes", &ScsApi::GetImpactTypes);
    add({"POST"}, "/impacttypes", &ScsApi::PostImpactType);
    add({"GET"}, "/impacttypes/{impactTypeId}", &ScsApi::GetImpactType);
    add({"PATCH"}, "/impacttypes/{impactTypeId}", &ScsApi::PatchImpactType);
    add({"DELETE"}, "/impacttypes/{impactTypeId}", &ScsApi::DeleteImpactType);
    add({"GET"}, "/severities", &ScsApi::GetSeverities);
    add({"POST"}, "/severities", &ScsApi::PostSeverity);
    add({"GET"}, "/severities/{severityName}", &ScsApi::GetSeverity);
    add({"PATCH"}, "/severities/{severityName}", &ScsApi::PatchSeverity);
    add({"DELETE"}, "/severities/{severityName}", &ScsApi::DeleteSeverity);
    add({"GET"}, "/components", &ScsApi::GetComponents);
    add({"POST"}, "/components", &ScsApi::PostComponent);
    add({"GET"}, "/components/{componentId}", &ScsApi::GetComponent);
    add({"PATCH"}, "/components/{componentId}", &ScsApi::PatchComponent);
    add({"DELETE"}, "/components/{componentId}", &ScsApi::DeleteComponent);
    add({"GET"}, "/incidents", &ScsApi::GetIncidents);
    add({"POST"}, "/incidents", &ScsApi::PostIncident);
    add({"GET"}, "/incidents/{incidentId}", &ScsApi::GetIncident);
    add({"PATCH"}, "/incidents/{incidentId}", &ScsApi::PatchIncident);
    add({"DELETE"}, "/incidents/{incidentId}", &ScsApi::DeleteIncident);
    add({"GET"}, "/incidents/{incidentId}/updates", &ScsApi::GetUpdates);
    add({"POST"}, "/incidents/{incidentId}/updates", &ScsApi::PostUpdate);
    add({"GET"}, "/incidents/{incidentId}/updates/{updateOrder}", &ScsApi::GetUpdate);
    add({"PATCH"}, "/incidents/{incidentId}/updates/{updateOrder}", &ScsApi::PatchUpdate);
    add({"DELETE"}, "/incidents/{incidentId}/updates/{updateOrder}", &ScsApi::DeleteUpdate);
  }

 private:
  StatusPage& page() { return *deps_.page; }

  // ---- Answers ----

  static Response Error(const RouteCall& c, int status, const std::string& message) {
    Response r;
    r.status = status;
    r.route = c.route;
    r.content_type = "application/json";
    r.body = ScsErrorBody(status, message);
    r.headers.emplace_back("Cache-Control", "no-store");
    return r;
  }

  static Response FromStatus(const RouteCall& c, const Status& s) {
    switch (s.code()) {
      case Status::Code::kInvalidArgument: return Error(c, 400, s.message());
      case Status::Code::kNotFound: return Error(c, 404, s.message());
      case Status::Code::kConflict: return Error(c, 409, s.message());
      default: return Error(c, 500, "the status page could not store the change: " + s.ToString());
    }
  }

  static Response JsonBody(const RouteCall& c, int status, std::string body) {
    Response r;
    r.status = status;
    r.route = c.route;
    r.content_type = "application/json";
    r.body = std::move(body);
    r.headers.emplace_back("Cache-Control", "no-cache");
    return r;
  }

  static Response Created(const RouteCall& c, const scs::Json& j) {
    Response r = JsonBody(c, 201, DumpJson(j) + "\n");
    r.headers.back().second = "no-store";
    return r;
  }

  static Response NoContent(const RouteCall& c) {
    Response r;
    r.status = 204;
    r.route = c.route;
    r.headers.emplace_back("Cache-Control", "no-store");
    return r;
  }

  // A cached GET answer: {"data": build()}, kept until the page changes or `valid_until`.
  template <typename Build>
  Response Cached(const RouteCall& c, TimePoint valid_until, Build build) {
    std::shared_ptr<const std::string> body = cache_.Find(c.request.target, page().version(), c.now);
    if (body == nullptr) {
      body = std::make_shared<const std::string>(DumpJson(scs::Json{{"data", build()}}) + "\n");
      cache_.Put(c.request.target, page().version(), valid_until, body);
    }
    Response r = JsonBody(c, 200, std::string());
    r.shared_body = std::move(body);
    return r;
  }

  static TimePoint Forever() { return TimePoint::max(); }

  // The next instant after `now` at which an incident starts or ends (when components change).
  TimePoint NextChange(TimePoint now) {
    TimePoint next = TimePoint::max();
    for (const auto& i : page().data().incidents) {
      if (i.began_at && *i.began_at > now) next = std::min(next, *i.began_at);
      if (i.ended_at && *i.ended_at > now) next = std::min(next, *i.ended_at);
    }
    return next;
  }

  // A write's token, then its body (JSON, parsed by `parse`); nullopt when both passed.
  template <typename Input, typename Parse>
  std::optional<Response> Write(const RouteCall& c, Parse parse, Input* in) {
    if (auto r = Authorize(c)) return r;
    return Body(c, parse, in);
  }

  template <typename Input, typename Parse>
  std::optional<Response> Body(const RouteCall& c, Parse parse, Input* in) {
    if (auto wrong = RequireJsonBody(c.request, ScsErrorBody)) {
      wrong->route = c.route;
      return wrong;
    }
    if (Status s = parse(c.request.body, in); !s.ok()) return Error(c, 400, s.message());
    return std::nullopt;
  }

  std::optional<Response> Authorize(const RouteCall& c) {
    if (auto denied = RequireToken(c.request, deps_.tokens, auth::kScopeStatusWrite, c.now, ScsErrorBody)) {
      denied->route = c.route;
      return denied;
    }
    return std::nullopt;
  }

  static std::optional<Response> NoQuery(const RouteCall& c, std::initializer_list<std::string_view> allowed = {}) {
    if (Status s = c.query.OnlyAllowed(allowed); !s.ok()) return Error(c, 400, s.message());
    return std::nullopt;
  }

  // A path id must be a UUID (the spec's format); ids are compared in lower case.
  static std::optional<Response> PathId(const RouteCall& c, const std::string& name, std::string* out) {
    std::string v = c.Param(name);
    if (!statuspage::IsUuid(v)) return Error(c, 400, fmt::format("{}: '{}' is not a UUID", name, v));
    std::transform(v.begin(), v.end(), v.begin(), [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
    *out = std::move(v);
    return std::nullopt;
  }

  static std::optional<Response> PathOrder(const RouteCall& c, int* out) {
    int64_t v = 0;
    if (Status s = ParseIntParam("updateOrder", c.Param("updateOrder"), 0, 1'000'000'000, &v); !s.ok()) {
      return Error(c, 400, s.message());
    }
    *out = static_cast<int>(v);
    return std::nullopt;
  }

  // ---- Phases ----

  Response GetPhases(RouteCall& c) {
    if (auto r = NoQuery(c, {"generation"})) return *r;
    std::optional<int> generation;
    if (const std::string* g = c.query.Find("generation")) {
      int64_t v = 0;
      if (Status s = ParseIntParam("generation", *g, 0, 1'000'000'000, &v); !s.ok()) return Error(c, 400, s.message());
      generation = static_cast<int>(v);
    }
    const statuspage::PhaseGeneration* g = page().Phases(generation);
    if (g == nullptr) {
      if (generation) return Error(c, 404, fmt::format("no phase generation {}", *generation));
      return Cached(c, Forever(), [] { return scs::Json{{"generation", 0}, {"phases", scs::Json::array()}}; });
    }
    return Cached(c, Forever(), [&] { return scs::PhaseListJson(*g); });
  }

  Response PostPhases(RouteCall& c) {
    std::vector<std::string> phases;
    if (auto r = Write(c, scs::ParsePhaseList, &phases)) return *r;
    int generation = 0;
    if (Status s = page().AddPhaseGeneration(phases, &generation); !s.ok()) return FromStatus(c, s);
    return Created(c, scs::Json{{"generation", generation}});
  }

  // ---- Impact types ----

  Response GetImpactTypes(RouteCall& c) {
    if (auto r = NoQuery(c)) return *r;
    return Cached(c, Forever(), [&] {
      scs::Json list = scs::Json::array();
      for (const auto& t : page().data().impact_types) list.push_back(scs::ImpactTypeJson(t));
      return list;
    });
  }

  Response PostImpactType(RouteCall& c) {
    statuspage::ImpactTypeInput in;
    if (auto r = Write(c, scs::ParseImpactType, &in)) return *r;
    std::string id;
    if (Status s = page().CreateImpactType(in, &id); !s.ok()) return FromStatus(c, s);
    return Created(c, scs::Json{{"id", id}});
  }

  Response GetImpactType(RouteCall& c) {
    std::string id;
    if (auto r = NoQuery(c)) return *r;
    if (auto r = PathId(c, "impactTypeId", &id)) return *r;
    const auto* t = page().FindImpactType(id);
    if (t == nullptr) return Error(c, 404, fmt::format("no impact type with id '{}'", id));
    return Cached(c, Forever(), [&] { return scs::ImpactTypeJson(*t); });
  }

  Response PatchImpactType(RouteCall& c) {
    std::string id;
    if (auto r = Authorize(c)) return *r;
    if (auto r = PathId(c, "impactTypeId", &id)) return *r;
    statuspage::ImpactTypeInput in;
    if (auto r = Body(c, scs::ParseImpactType, &in)) return *r;
    if (Status s = page().UpdateImpactType(id, in); !s.ok()) return FromStatus(c, s);
    return NoContent(c);
  }

  Response DeleteImpactType(RouteCall& c) {
    std::string id;
    if (auto r = Authorize(c)) return *r;
    if (auto r = PathId(c, "impactTypeId", &id)) return *r;
    if (Status s = page().DeleteImpactType(id); !s.ok()) return FromStatus(c, s);
    return NoContent(c);
  }

  // ---- Severities ----

  Response GetSeverities(RouteCall& c) {
    if (auto r = NoQuery(c)) return *r;
    return Cached(c, Forever(), [&] {
      scs::Json list = scs::Json::array();
      for (const auto& s : page().data().severities) list.push_back(scs::SeverityJson(s));
      return list;
    });
  }

  Response PostSeverity(RouteCall& c) {
    statuspage::SeverityInput in;
    if (auto r = Write(c, scs::ParseSeverity, &in)) return *r;
    if (Status s = page().CreateSeverity(in); !s.ok()) return FromStatus(c, s);
    return NoContent(c);
  }

  Response GetSeverity(RouteCall& c) {
    if (auto r = NoQuery(c)) return *r;
    const auto* s = page().FindSeverity(c.Param("severityName"));
    if (s == nullptr) return Error(c, 404, fmt::format("no severity named '{}'", c.Param("severityName")));
    return Cached(c, Forever(), [&] { return scs::SeverityJson(*s); });
  }

  Response PatchSeverity(RouteCall& c) {
    statuspage::SeverityInput in;
    if (auto r = Write(c, scs::ParseSeverity, &in)) return *r;
    if (Status s = page().UpdateSeverity(c.Param("severityName"), in); !s.ok()) return FromStatus(c, s);
    return NoContent(c);
  }

  Response DeleteSeverity(RouteCall& c) {
    if (auto r = Authorize(c)) return *r;
    if (Status s = page().DeleteSeverity(c.Param("severityName")); !s.ok()) return FromStatus(c, s);
    return NoContent(c);
  }

  // ---- Components ----

  // `at` (RFC 3339), or now; the answer holds until the next change after that time, when `at` was
  // not given.
  std::optional<Response> AtParam(const RouteCall& c, TimePoint* at, TimePoint* valid_until) {
    if (auto r = NoQuery(c, {"at"})) return r;
    *at = c.now;
    *valid_until = NextChange(c.now);
    if (const std::string* v = c.query.Find("at")) {
      if (Status s = ParseTimeParam("at", *v, at); !s.ok()) return Error(c, 400, s.message());
      *valid_until = Forever();
    }
    return std::nullopt;
  }

  Response GetComponents(RouteCall& c) {
    TimePoint at, valid_until;
    if (auto r = AtParam(c, &at, &valid_until)) return *r;
    return Cached(c, valid_until, [&] {
      scs::Json list = scs::Json::array();
      for (const auto& comp : page().data().components) {
        list.push_back(scs::ComponentJson(comp, page().ActiveImpacts(comp.id, at)));
      }
      return list;
    });
  }

  Response PostComponent(RouteCall& c) {
    statuspage::ComponentInput in;
    if (auto r = Write(c, scs::ParseComponent, &in)) return *r;
    std::string id;
    if (Status s = page().CreateComponent(in, &id); !s.ok()) return FromStatus(c, s);
    return Created(c, scs::Json{{"id", id}});
  }

  Response GetComponent(RouteCall& c) {
    std::string id;
    TimePoint at, valid_until;
    if (auto r = AtParam(c, &at, &valid_until)) return *r;
    if (auto r = PathId(c, "componentId", &id)) return *r;
    const auto* comp = page().FindComponent(id);
    if (comp == nullptr) return Error(c, 404, fmt::format("no component with id '{}'", id));
    return Cached(c, valid_until, [&] { return scs::ComponentJson(*comp, page().ActiveImpacts(comp->id, at)); });
  }

  Response PatchComponent(RouteCall& c) {
    std::string id;
    if (auto r = Authorize(c)) return *r;
    if (auto r = PathId(c, "componentId", &id)) return *r;
    statuspage::ComponentInput in;
    if (auto r = Body(c, scs::ParseComponent, &in)) return *r;
    if (Status s = page().UpdateComponent(id, in); !s.ok()) return FromStatus(c, s);
    return NoContent(c);
  }

  Response DeleteComponent(RouteCall& c) {
    std::string id;
    if (auto r = Authorize(c)) return *r;
    if (auto r = PathId(c, "componentId", &id)) return *r;
    if (Status s = page().DeleteComponent(id); !s.ok()) return FromStatus(c, s);
    return NoContent(c);
  }

  // ---- Incidents ----

  Response GetIncidents(RouteCall& c) {
    if (auto r = NoQuery(c, {"start", "end"})) return *r;
    TimePoint start, end;
    for (auto [name, out] : {std::pair{"start", &start}, std::pair{"end", &end}}) {
      const std::string* v = c.query.Find(name);
      if (v == nullptr) {
        return Error(c, 400, fmt::format("parameter '{}' is required (an RFC 3339 date-time)", name));
      }
      if (Status s = ParseTimeParam(name, *v, out); !s.ok()) return Error(c, 400, s.message());
    }
    if (end < start) {
      return Error(
          c, 400, fmt::format("parameter 'end' ({}) is before 'start' ({})", FormatIso8601(end), FormatIso8601(start)));
    }
    return Cached(c, Forever(), [&] {
      scs::Json list = scs::Json::array();
      for (const auto* i : page().IncidentsBetween(start, end)) list.push_back(scs::IncidentJson(*i));
      return list;
    });
  }

  Response PostIncident(RouteCall& c) {
    statuspage::IncidentInput in;
    if (auto r = Write(c, scs::ParseIncident, &in)) return *r;
    std::string id;
    if (Status s = page().CreateIncident(in, c.now, &id); !s.ok()) return FromStatus(c, s);
    return Created(c, scs::Json{{"id", id}});
  }

  // A published incident by its path id (drafts are not public).
  std::optional<Response> FindIncident(const RouteCall& c, const statuspage::Incident** out, bool drafts) {
    std::string id;
    if (auto r = PathId(c, "incidentId", &id)) return r;
    *out = page().FindIncident(id);
    if (*out == nullptr || (!(*out)->published && !drafts)) {
      return Error(c, 404, fmt::format("no incident with id '{}'", id));
    }
    return std::nullopt;
  }

  Response GetIncident(RouteCall& c) {
    const statuspage::Incident* i = nullptr;
    if (auto r = NoQuery(c)) return *r;
    if (auto r = FindIncident(c, &i, false)) return *r;
    return Cached(c, Forever(), [&] { return scs::IncidentJson(*i); });
  }

  Response PatchIncident(RouteCall& c) {
    std::string id;
    if (auto r = Authorize(c)) return *r;
    if (auto r = PathId(c, "incidentId", &id)) return *r;
    statuspage::IncidentInput in;
    if (auto r = Body(c, scs::ParseIncident, &in)) return *r;
    if (Status s = page().UpdateIncident(id, in); !s.ok()) return FromStatus(c, s);
    return NoContent(c);
  }

  Response DeleteIncident(RouteCall& c) {
    std::string id;
    if (auto r = Authorize(c)) return *r;
    if (auto r = PathId(c, "incidentId", &id)) return *r;
    if (Status s = page().DeleteIncident(id); !s.ok()) return FromStatus(c, s);
    return NoContent(c);
  }

  // ---- Incident updates ----

  Response GetUpdates(RouteCall& c) {
    const statuspage::Incident* i = nullptr;
    if (auto r = NoQuery(c)) return *r;
    if (auto r = FindIncident(c, &i, false)) return *r;
    return Cached(c, Forever(), [&] {
      scs::Json list = scs::Json::array();
      for (const auto& u : i->updates) list.push_back(scs::IncidentUpdateJson(u));
      return list;
    });
  }

  Response PostUpdate(RouteCall& c) {
    std::string id;
    if (auto r = Authorize(c)) return *r;
    if (auto r = PathId(c, "incidentId", &id)) return *r;
    statuspage::UpdateInput in;
    if (auto r = Body(c, scs::ParseIncidentUpdate, &in)) return *r;
    int order = 0;
    if (Status s = page().CreateUpdate(id, in, c.now, &order); !s.ok()) return FromStatus(c, s);
    return Created(c, scs::Json{{"order", order}});
  }

  Response GetUpdate(RouteCall& c) {
    const statuspage::Incident* i = nullptr;
    int order = 0;
    if (auto r = NoQuery(c)) return *r;
    if (auto r = FindIncident(c, &i, false)) return *r;
    if (auto r = PathOrder(c, &order)) return *r;
    auto it = std::find_if(i->updates.begin(), i->updates.end(), [&](const auto& u) { return u.order == order; });
    if (it == i->updates.end()) return Error(c, 404, fmt::format("incident '{}' has no update {}", i->id, order));
    return Cached(c, Forever(), [&] { return scs::IncidentUpdateJson(*it); });
  }

  Response PatchUpdate(RouteCall& c) {
    std::string id;
    int order = 0;
    if (auto r = Authorize(c)) return *r;
    if (auto r = PathId(c, "incidentId", &id)) return *r;
    if (auto r = PathOrder(c, &order)) return *r;
    statuspage::UpdateInput in;
    if (auto r = Body(c, scs::ParseIncidentUpdate, &in)) return *r;
    if (Status s = page().UpdateUpdate(id, order, in); !s.ok()) return FromStatus(c, s);
    return NoContent(c);
  }

  Response DeleteUpdate(RouteCall& c) {
    std::string id;
    int order = 0;
    if (auto r = Authorize(c)) return *r;
    if (auto r = PathId(c, "incidentId", &id)) return *r;
    if (auto r = PathOrder(c, &order)) return *r;
    if (Status s = page().DeleteUpdate(id, order); !s.ok()) return FromStatus(c, s);
    return NoContent(c);
  }

  StatusPageRouteDeps deps_;
  AnswerCache cache_;
};

}  // namespace

void AddStatusPageApiRoutes(Router& router, const StatusPageRouteDeps& deps) {
  // Each route holds the API object, so it lives as long as the router.
  std::make_shared<ScsApi>(deps)->Register(router);
}

}  // namespace csoc::web

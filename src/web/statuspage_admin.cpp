// The operators' pages of the status page: sign in with an API token (scope status:write), then
// open incidents and maintenance, add updates, publish drafts and resolve — without the API.
// Sessions live in memory (a restart signs everyone out) and re-check their token on every request,
// so revoking the token ends its sessions. Every form carries the session's CSRF token; the
// cookie is HttpOnly and SameSite=Strict (Secure unless the server is reached over loopback).
#include <fmt/format.h>
#include <openssl/rand.h>

#include <algorithm>
#include <map>
#include <memory>

#include "statuspage/public_view.h"
#include "web/statuspage_routes.h"
#include "web/text.h"

namespace csoc::web {
namespace {

using statuspage::Incident;
using std::chrono::hours;
using std::chrono::milliseconds;

constexpr std::string_view kCookie = "csoc_status_session";
constexpr milliseconds kSessionLifetime = hours(12);
constexpr size_t kMaxSessions = 1000;

std::string E(std::string_view s) { return HtmlEscape(s); }

std::string RandomHex(size_t bytes) {
  std::string raw(bytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(bytes)) != 1) return {};
  std::string out;
  for (unsigned char c : raw) out += fmt::format("{:02x}", c);
  return out;
}

// A form body (application/x-www-form-urlencoded): '+' is a space there.
Status ParseForm(const std::string& body, QueryParams* out) {
  std::string text = body;
  std::replace(text.begin(), text.end(), '+', ' ');
  return QueryParams::Parse(text, out);
}

// "2026-12-05T06:00" from an <input type="datetime-local">, read as UTC.
std::optional<TimePoint> ParseLocalUtc(const std::string& v) {
  if (v.empty()) return std::nullopt;
  return ParseIso8601(v.size() == 16 ? v + ":00Z" : v + "Z");
}

std::string InputTime(TimePoint t) { return FormatIso8601(t).substr(0, 16); }

bool IsLoopback(const std::string& peer) { return peer == "127.0.0.1" || peer == "::1" || peer.rfind("127.", 0) == 0; }

class AdminPages : public std::enable_shared_from_this<AdminPages> {
 public:
  explicit AdminPages(StatusPageRouteDeps deps) : deps_(std::move(deps)) {}

  void Register(Router& router) {
    auto self = shared_from_this();
    Router::Options opts;
    opts.error_body = [](int, const std::string& m) { return m + "\n"; };
    auto add = [&](const std::string& method, const std::string& path, Response (AdminPages::*fn)(RouteCall&)) {
      router.Add(
          {method}, path, [self, fn](RouteCall& c) { return (self.get()->*fn)(c); }, opts);
    };
    add("GET", "/status/admin", &AdminPages::Home);
    add("POST", "/status/admin/sign-in", &AdminPages::SignIn);
    add("POST", "/status/admin/sign-out", &AdminPages::SignOut);
    add("POST", "/status/admin/incidents", &AdminPages::NewIncident);
    add("POST", "/status/admin/incidents/{id}/update", &AdminPages::AddUpdate);
    add("POST", "/status/admin/incidents/{id}/resolve", &AdminPages::Resolve);
    add("POST", "/status/admin/incidents/{id}/publish", &AdminPages::Publish);
    add("POST", "/status/admin/incidents/{id}/cancel", &AdminPages::Cancel);
  }

 private:
  struct Session {
    std::string token;  // kept to re-check on every request; never shown
    std::string token_name;
    std::string csrf;
    TimePoint expires;
  };

  statuspage::StatusPage& page() { return *deps_.page; }

  // ---- Sessions ----

  Session* CurrentSession(const RouteCall& c) {
    const std::string* cookie = c.request.Header("cookie");
    if (cookie == nullptr) return nullptr;
    std::string_view rest = *cookie;
    std::string id;
    while (!rest.empty()) {
      size_t semi = rest.find(';');
      std::string_view part = rest.substr(0, semi);
      while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
      if (part.substr(0, kCookie.size() + 1) == std::string(kCookie) + "=") id = part.substr(kCookie.size() + 1);
      if (semi == std::string_view::npos) break;
      rest.remove_prefix(semi + 1);
    }
    auto it = sessions_.find(id);
    if (it == sessions_.end()) return nullptr;
    auth::TokenCheck check = auth::TokenCheck::kUnknown;
    auth::TokenInfo info;
    bool valid = it->second.expires > c.now && deps_.tokens != nullptr &&
                 deps_.tokens->Check(it->second.token, c.now, &check, &info).ok() &&
                 check == auth::TokenCheck::kValid && info.HasScope(auth::kScopeStatusWrite);
    if (!valid) {
      sessions_.erase(it);
      return nullptr;
    }
    return &it->second;
  }

  // The session of a form post, with its CSRF token checked; else the answer to send.
  std::optional<Response> Guard(RouteCall& c, QueryParams* form, Session** session) {
    *session = CurrentSession(c);
    if (*session == nullptr) return Page(c, 401, "Sign in again", SignInForm("Your session has ended; sign in again."));
    if (Status s = ParseForm(c.request.body, form); !s.ok()) return Page(c, 400, "Bad form", Message(s.message()));
    const std::string* csrf = form->Find("csrf");
    if (csrf == nullptr || *csrf != (*session)->csrf) {
      return Page(c, 403, "Form expired",
                  Message("This form is not from your session. Reload the page and try again."));
    }
    return std::nullopt;
  }

  // ---- Pages ----

  std::string Head(std::string_view title) {
    return StatusPageHead(deps_, std::string(title) + " · " + deps_.title, "operators");
  }

  static std::string Message(std::string_view text) { return "<p class=\"sp-note\">" + E(text) + "</p>"; }

  static std::string SignInForm(std::string_view note) {
    return fmt::format(
        "<h1>Sign in</h1>{}<form class=\"sp-form\" method=\"post\" action=\"/status/admin/sign-in\"><label>API token "
        "with scope status:write<input name=\"token\" type=\"password\" autocomplete=\"off\" required></label>"
        "<button type=\"submit\">Sign in</button></form><p class=\"sp-note\">Create one with <code>csoc token create "
        "--name NAME --scope status:write</code>.</p>",
        note.empty() ? "" : Message(note));
  }

  Response Page(const RouteCall& c, int status, std::string_view title, const std::string& body,
                std::vector<std::pair<std::string, std::string>> headers = {}) {
    Response r;
    r.status = status;
    r.route = c.route;
    r.content_type = "text/html; charset=utf-8";
    r.body = Head(title) + body + "</main></body></html>\n";
    r.headers.emplace_back("Cache-Control", "no-store");
    for (auto& h : headers) r.headers.push_back(std::move(h));
    return r;
  }

  static Response Redirect(const RouteCall& c, std::string to,
                           std::vector<std::pair<std::string, std::string>> headers = {}) {
    Response r;
    r.status = 303;
    r.route = c.route;
    r.headers.emplace_back("Location", std::move(to));
    r.headers.emplace_back("Cache-Control", "no-store");
    for (auto& h : headers) r.headers.push_back(std::move(h));
    return r;
  }

  std::string ComponentChoices() {
    std::string out = "<fieldset><legend>Affected components</legend>";
    for (const auto& comp : page().data().components) {
      out += fmt::format(
          "<label class=\"sp-check\"><input type=\"checkbox\" name=\"component-{}\" value=\"on\"> {}</label>",
          E(comp.id), E(comp.display_name));
    }
    return out + "</fieldset>";
  }

  std::string PhaseOptions(const Incident* i) {
    std::string out;
    if (const statuspage::PhaseGeneration* g = page().Phases()) {
      for (size_t n = 0; n < g->phases.size(); ++n) {
        bool selected =
            i != nullptr && i->phase && i->phase->generation == g->generation && i->phase->order == static_cast<int>(n);
        out += fmt::format("<option value=\"{}\"{}>{}</option>", n, selected ? " selected" : "", E(g->phases[n]));
      }
    }
    return out;
  }

  std::string OpenItem(const Incident& i, const Session& s, TimePoint now) {
    bool maintenance = i.IsMaintenance();
    std::string state = maintenance ? std::string(statuspage::MaintenanceStatus(i, now))
                                    : std::string(statuspage::IncidentStatus(page(), i, now));
    std::string out =
        fmt::format("<article class=\"sp-incident\"><h3>{}{}</h3><p class=\"sp-meta\">{} · {}{}</p>", E(i.display_name),
                    i.published ? "" : " <span class=\"sp-draft\">draft</span>", E(state),
                    i.automatic_for.empty() ? "by operators" : "automatic (an update or change takes it over)",
                    maintenance && i.began_at && i.ended_at
                        ? " · " + FormatTimeUtc(*i.began_at) + " – " + FormatTimeUtc(*i.ended_at)
                        : (i.began_at ? " · since " + FormatTimeUtc(*i.began_at) : std::string()));
    out += fmt::format(
        "<form class=\"sp-form\" method=\"post\" action=\"/status/admin/incidents/{0}/update\">"
        "<input type=\"hidden\" name=\"csrf\" value=\"{1}\"><label>Phase<select name=\"phase\">{2}</select></label>"
        "<label>Update<textarea name=\"text\" rows=\"2\" required></textarea></label>"
        "<button type=\"submit\">Add update</button></form>",
        E(i.id), E(s.csrf), PhaseOptions(&i));
    out += "<div class=\"sp-actions\">";
    if (!i.published) {
      out += fmt::format(
          "<form method=\"post\" action=\"/status/admin/incidents/{}/publish\"><input type=\"hidden\" name=\"csrf\" "
          "value=\"{}\"><button type=\"submit\">Publish</button></form>",
          E(i.id), E(s.csrf));
    }
    // An incident is resolved, maintenance in progress ends now, maintenance still to come is cancelled.
    bool upcoming = maintenance && i.began_at && *i.began_at > now;
    out += fmt::format(
        "<form method=\"post\" action=\"/status/admin/incidents/{}/{}\"><input type=\"hidden\" name=\"csrf\" "
        "value=\"{}\"><button type=\"submit\">{}</button></form>",
        E(i.id), upcoming ? "cancel" : "resolve", E(s.csrf),
        !maintenance ? "Resolve"
        : upcoming   ? "Cancel maintenance"
                     : "End maintenance now");
    return out + "</div></article>";
  }

  Response Home(RouteCall& c) {
    Session* s = CurrentSession(c);
    if (s == nullptr) return Page(c, 200, "Sign in", SignInForm(""));
    std::string body = fmt::format(
        "<h1>Status page operations</h1><form class=\"sp-inline\" method=\"post\" action=\"/status/admin/sign-out\">"
        "<input type=\"hidden\" name=\"csrf\" value=\"{}\">Signed in with token <strong>{}</strong> "
        "<button type=\"submit\">Sign out</button></form>",
        E(s->csrf), E(s->token_name));
    if (const std::string* note = c.query.Find("done")) body += Message(*note);
    body += "<section><h2>Open incidents and maintenance</h2>";
    int shown = 0;
    for (const auto& i : page().data().incidents) {
      bool open = i.IsMaintenance() ? (!i.ended_at || *i.ended_at > c.now) : !i.ended_at || *i.ended_at > c.now;
      if (!open) continue;
      body += OpenItem(i, *s, c.now);
      ++shown;
    }
    if (shown == 0) body += Message("Nothing is open.");
    body += "</section>";
    std::string severities;
    for (const auto& sev : page().data().severities) {
      if (sev.value > 0) {
        severities += fmt::format("<option value=\"{}\"{}>{} ({})</option>", sev.value,
                                  sev.value == 100 ? " selected" : "", E(sev.display_name), sev.value);
      }
    }
    std::string types;
    for (const auto& t : page().data().impact_types) {
      types += fmt::format("<option value=\"{}\">{}</option>", E(t.id), E(t.display_name));
    }
    body += fmt::format(
        "<section><h2>New incident</h2><form class=\"sp-form\" method=\"post\" action=\"/status/admin/incidents\">"
        "<input type=\"hidden\" name=\"csrf\" value=\"{0}\"><input type=\"hidden\" name=\"kind\" value=\"incident\">"
        "<label>Title<input name=\"title\" required maxlength=\"200\"></label>"
        "<label>Description<textarea name=\"description\" rows=\"3\"></textarea></label>{1}"
        "<label>Severity<select name=\"severity\">{2}</select></label><label>Impact type<select name=\"type\">{3}"
        "</select></label><label class=\"sp-check\"><input type=\"checkbox\" name=\"draft\" value=\"on\"> Save as a "
        "draft (not public)</label><button type=\"submit\">Open incident</button></form></section>",
        E(s->csrf), ComponentChoices(), severities, types);
    body += fmt::format(
        "<section><h2>Plan maintenance</h2><form class=\"sp-form\" method=\"post\" action=\"/status/admin/incidents\">"
        "<input type=\"hidden\" name=\"csrf\" value=\"{0}\"><input type=\"hidden\" name=\"kind\" value=\"maintenance\">"
        "<label>Title<input name=\"title\" required maxlength=\"200\"></label>"
        "<label>Description<textarea name=\"description\" rows=\"3\"></textarea></label>{1}"
        "<label>Starts (UTC)<input type=\"datetime-local\" name=\"start\" required value=\"{2}\"></label>"
        "<label>Ends (UTC)<input type=\"datetime-local\" name=\"end\" required value=\"{3}\"></label>"
        "<label>Impact type<select name=\"type\">{4}</select></label>"
        "<button type=\"submit\">Plan maintenance</button></form></section>",
        E(s->csrf), ComponentChoices(), InputTime(c.now + hours(24)), InputTime(c.now + hours(26)), types);
    return Page(c, 200, "Operations", body);
  }

  Response SignIn(RouteCall& c) {
    QueryParams form;
    if (Status s = ParseForm(c.request.body, &form); !s.ok()) return Page(c, 400, "Sign in", SignInForm(s.message()));
    const std::string* token = form.Find("token");
    auth::TokenCheck check = auth::TokenCheck::kUnknown;
    auth::TokenInfo info;
    if (token == nullptr || deps_.tokens == nullptr || !deps_.tokens->Check(*token, c.now, &check, &info).ok() ||
        check != auth::TokenCheck::kValid) {
      return Page(c, 401, "Sign in", SignInForm("That token is not valid (unknown, expired or revoked)."));
    }
    if (!info.HasScope(auth::kScopeStatusWrite)) {
      return Page(c, 403, "Sign in", SignInForm("That token lacks the scope status:write."));
    }
    std::erase_if(sessions_, [&](const auto& kv) { return kv.second.expires <= c.now; });
    if (sessions_.size() >= kMaxSessions) sessions_.erase(sessions_.begin());
    std::string id = RandomHex(32);
    std::string csrf = RandomHex(32);
    if (id.empty() || csrf.empty()) return Page(c, 500, "Sign in", SignInForm("No randomness for a session."));
    sessions_[id] = Session{*token, info.name, csrf, c.now + kSessionLifetime};
    std::string cookie = fmt::format("{}={}; Path=/status/admin; HttpOnly; SameSite=Strict; Max-Age={}{}", kCookie, id,
                                     std::chrono::duration_cast<std::chrono::seconds>(kSessionLifetime).count(),
                                     IsLoopback(c.request.peer) ? "" : "; Secure");
    return Redirect(c, "/status/admin", {{"Set-Cookie", cookie}});
  }

  Response SignOut(RouteCall& c) {
    QueryParams form;
    Session* s = nullptr;
    if (auto r = Guard(c, &form, &s)) return *r;
    std::erase_if(sessions_, [&](const auto& kv) { return &kv.second == s; });
    return Redirect(
        c, "/status/admin",
        {{"Set-Cookie", fmt::format("{}=; Path=/status/admin; HttpOnly; SameSite=Strict; Max-Age=0", kCookie)}});
  }

  Response Done(const RouteCall& c, const Status& s, std::string_view what) {
    if (!s.ok())
      return Page(c, s.code() == Status::Code::kNotFound ? 404 : 400, "Not saved",
                  Message(s.message()) + "<p><a href=\"/status/admin\">Back</a></p>");
    return Redirect(c, "/status/admin?done=" + UrlEncodeComponent(std::string(what)));
  }

  Response NewIncident(RouteCall& c) {
    QueryParams form;
    Session* s = nullptr;
    if (auto r = Guard(c, &form, &s)) return *r;
    bool maintenance = form.Find("kind") != nullptr && *form.Find("kind") == "maintenance";
    statuspage::IncidentInput in;
    if (const std::string* t = form.Find("title")) in.display_name = *t;
    if (const std::string* d = form.Find("description")) in.description = *d;
    int severity = 0;
    if (!maintenance) {
      int64_t v = 0;
      const std::string* sev = form.Find("severity");
      if (sev == nullptr || !ParseIntParam("severity", *sev, 1, 100, &v).ok()) {
        return Done(c, Status::InvalidArgument("choose a severity"), "");
      }
      severity = static_cast<int>(v);
      in.published = form.Find("draft") == nullptr;
    } else {
      auto start = form.Find("start") ? ParseLocalUtc(*form.Find("start")) : std::nullopt;
      auto end = form.Find("end") ? ParseLocalUtc(*form.Find("end")) : std::nullopt;
      if (!start || !end) return Done(c, Status::InvalidArgument("maintenance needs a start and an end time"), "");
      in.began_at = *start;
      in.ended_at = *end;
    }
    std::string type = form.Find("type") ? *form.Find("type") : "";
    std::vector<statuspage::Impact> affects;
    for (const auto& comp : page().data().components) {
      if (form.Find("component-" + comp.id) != nullptr) affects.push_back({comp.id, type, severity});
    }
    if (affects.empty()) return Done(c, Status::InvalidArgument("choose at least one affected component"), "");
    in.affects = std::move(affects);
    std::string id;
    Status st = page().CreateIncident(in, c.now, &id);
    return Done(c, st, maintenance ? "Maintenance planned." : "Incident opened.");
  }

  Response AddUpdate(RouteCall& c) {
    QueryParams form;
    Session* s = nullptr;
    if (auto r = Guard(c, &form, &s)) return *r;
    const Incident* i = page().FindIncident(c.Param("id"));
    if (i == nullptr) return Done(c, Status::NotFound("no such incident"), "");
    const statuspage::PhaseGeneration* g = page().Phases();
    int64_t order = 0;
    const std::string* phase = form.Find("phase");
    if (g == nullptr || phase == nullptr ||
        !ParseIntParam("phase", *phase, 0, static_cast<int64_t>(g->phases.size()) - 1, &order).ok()) {
      return Done(c, Status::InvalidArgument("choose a phase"), "");
    }
    statuspage::IncidentInput change;
    change.phase = statuspage::PhaseRef{g->generation, static_cast<int>(order)};
    return Done(c, ChangeAndTell(*i, change, g->phases[order], form.Find("text") ? *form.Find("text") : "", c.now),
                "Update added.");
  }

  // Changes an incident and tells visitors with an update (two steps: the page's rules apply to each).
  Status ChangeAndTell(const Incident& i, const statuspage::IncidentInput& change, const std::string& title,
                       const std::string& text, TimePoint now) {
    std::string id = i.id;  // `i` may move when the incident is replaced
    CSOC_RETURN_IF_ERROR(page().UpdateIncident(id, change));
    statuspage::UpdateInput u;
    u.display_name = title;
    u.description = text;
    int order = 0;
    return page().CreateUpdate(id, u, now, &order);
  }

  Response Resolve(RouteCall& c) {
    QueryParams form;
    Session* s = nullptr;
    if (auto r = Guard(c, &form, &s)) return *r;
    const Incident* i = page().FindIncident(c.Param("id"));
    if (i == nullptr) return Done(c, Status::NotFound("no such incident"), "");
    statuspage::IncidentInput change;
    change.ended_at = std::optional<TimePoint>(c.now);
    if (const statuspage::PhaseGeneration* g = page().Phases()) {
      change.phase = statuspage::PhaseRef{g->generation, static_cast<int>(g->phases.size()) - 1};
    }
    return Done(c, ChangeAndTell(*i, change, "Resolved", "Resolved by the operators.", c.now), "Incident resolved.");
  }

  Response Cancel(RouteCall& c) {
    QueryParams form;
    Session* s = nullptr;
    if (auto r = Guard(c, &form, &s)) return *r;
    return Done(c, page().DeleteIncident(c.Param("id")), "Maintenance cancelled.");
  }

  Response Publish(RouteCall& c) {
    QueryParams form;
    Session* s = nullptr;
    if (auto r = Guard(c, &form, &s)) return *r;
    statuspage::IncidentInput change;
    change.published = true;
    return Done(c, page().UpdateIncident(c.Param("id"), change), "Published.");
  }

  StatusPageRouteDeps deps_;
  std::map<std::string, Session> sessions_;
};

}  // namespace

void AddStatusPageAdminRoutes(Router& router, const StatusPageRouteDeps& deps) {
  std::make_shared<AdminPages>(deps)->Register(router);
}

}  // namespace csoc::web

// The status page's routes: the Sovereign Cloud Stack status page API (docs/status-page.md), under
// a configurable base path, the public page and its Statuspage-compatible JSON. Reads are public
// and answered from a cache that a change of the page or of monitoring (or the passing of an
// incident's start or end) invalidates; writes need a token with the `status:write` scope.
//
// Threading: the routes run on the server's io thread, which owns the StatusPage and token store.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "auth/tokens.h"
#include "statuspage/feed.h"
#include "statuspage/status_page.h"
#include "store/store.h"
#include "web/router.h"

namespace csoc::web {

struct StatusPageRouteDeps {
  statuspage::StatusPage* page = nullptr;  // required
  statuspage::Feed* feed = nullptr;        // required for the public page and JSON
  auth::TokenStore* tokens = nullptr;      // null: every write is refused
  store::Store* history = nullptr;         // measured uptime for the 90-day bars; may be null
  std::string api_base = "/status-api/v1";
  std::string title = "Status";
  std::string description;
  std::string public_url;               // absolute base of the page for feed links, e.g. https://status.example.org
  std::string logo, logo_content_type;  // shown in the page header when set
  std::map<std::string, std::string> colors;  // header, accent
  std::string css_url;                        // the status page's stylesheet (versioned asset URL)
  std::string icon_url;
};

// The SCS API under `api_base`.
void AddStatusPageApiRoutes(Router& router, const StatusPageRouteDeps& deps);
// The public page: /status, /status/incidents/{id}, and the Statuspage-compatible JSON under
// /api/v2/ (summary.json, status.json, components.json, incidents*.json, scheduled-maintenances*.json).
void AddStatusPagePublicRoutes(Router& router, const StatusPageRouteDeps& deps);
// The operators' pages under /status/admin: sign in with a token, open and update incidents and
// maintenance through forms (CSRF-protected); not served on a public-only listener.
void AddStatusPageAdminRoutes(Router& router, const StatusPageRouteDeps& deps);

// The start of every status page HTML page, up to and including <main>: title, stylesheets (the
// theme when colours are configured), feeds, and the header with the logo. `note` follows the
// page's name in the header ("operators").
std::string StatusPageHead(const StatusPageRouteDeps& deps, std::string_view title, std::string_view note = "");

// The CSS of the configured colours (served as /status/theme.css).
std::string ThemeCss(const std::map<std::string, std::string>& colors);

// The SCS API's error body, as its reference server writes it: {"message": "…"}.
std::string ScsErrorBody(int status, const std::string& message);

}  // namespace csoc::web

// The status page's routes: the Sovereign Cloud Stack status page API (docs/status-page.md), under
// a configurable base path. Reads are public and answered from a cache that a change of the page
// (or the passing of an incident's start or end) invalidates; writes need a token with the
// `status:write` scope.
//
// Threading: the routes run on the server's io thread, which owns the StatusPage and token store.
#pragma once

#include <string>

#include "auth/tokens.h"
#include "statuspage/status_page.h"
#include "web/router.h"

namespace csoc::web {

struct StatusPageRouteDeps {
  statuspage::StatusPage* page = nullptr;  // required
  auth::TokenStore* tokens = nullptr;      // null: every write is refused
  std::string api_base = "/status-api/v1";
};

void AddStatusPageApiRoutes(Router& router, const StatusPageRouteDeps& deps);

// The SCS API's error body, as its reference server writes it: {"message": "…"}.
std::string ScsErrorBody(int status, const std::string& message);

}  // namespace csoc::web

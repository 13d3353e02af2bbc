// What every write route checks before it changes anything: a bearer token with the right scope
// (401 for a missing, wrong, expired or revoked token, 403 for a missing scope) and a JSON body
// (415 for another content type). Tokens are checked against the token store; the token itself is
// never logged or echoed.
//
// Threading: used on the server's io thread, which owns the token store connection.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "auth/tokens.h"
#include "core/time.h"
#include "web/handler.h"

namespace csoc::web {

// Builds the JSON error body of a capability's API: (status, message) → body.
using ErrorBodyFn = std::string (*)(int status, const std::string& message);

// How a request may present its token: `Authorization: Bearer <token>` always; with
// kBearerOrBasic also HTTP Basic auth with the token as the password (any user name), which is how
// Promtail's and Alloy's `basic_auth` send it.
enum class TokenSchemes { kBearer, kBearerOrBasic };

// nullopt when the request carries a valid token with `scope` (its details go to `who` if given);
// otherwise the answer to send. `tokens` null: every write is refused (503), never allowed.
std::optional<Response> RequireToken(const Request& request, auth::TokenStore* tokens, std::string_view scope,
                                     TimePoint now, ErrorBodyFn error_body, auth::TokenInfo* who = nullptr,
                                     TokenSchemes schemes = TokenSchemes::kBearer);

// nullopt when the body is declared as JSON (application/json, any parameters); otherwise 415.
std::optional<Response> RequireJsonBody(const Request& request, ErrorBodyFn error_body);

}  // namespace csoc::web

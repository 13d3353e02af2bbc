#include "web/write_guard.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

namespace csoc::web {
namespace {

Response Error(int status, const std::string& message, ErrorBodyFn error_body) {
  Response r;
  r.status = status;
  r.content_type = "application/json";
  r.body = error_body(status, message);
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

}  // namespace

std::optional<Response> RequireToken(const Request& request, auth::TokenStore* tokens, std::string_view scope,
                                     TimePoint now, ErrorBodyFn error_body, auth::TokenInfo* who) {
  auto unauthorized = [&](const std::string& message) {
    Response r = Error(401, message, error_body);
    r.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"csoc\"");
    return r;
  };
  if (tokens == nullptr) return Error(503, "writes are not available: no token store is configured", error_body);
  const std::string* header = request.Header("authorization");
  if (header == nullptr) {
    return unauthorized(fmt::format(
        "this request changes data and needs an API token with scope '{}': send 'Authorization: Bearer <token>' "
        "(create one with 'csoc token create')",
        scope));
  }
  std::string_view value = *header;
  if (value.size() < 7 || Lower(value.substr(0, 7)) != "bearer ") {
    return unauthorized("the Authorization header must be 'Bearer <token>'");
  }
  value.remove_prefix(7);
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
  auth::TokenInfo info;
  auth::TokenCheck check = auth::TokenCheck::kUnknown;
  Status s = tokens->Check(value, now, &check, &info);
  if (!s.ok()) return Error(503, "cannot check the API token: " + s.message(), error_body);
  switch (check) {
    case auth::TokenCheck::kUnknown: return unauthorized("the API token is not valid");
    case auth::TokenCheck::kExpired:
      return unauthorized(fmt::format("the API token '{}' expired at {}", info.name, FormatIso8601(*info.expires)));
    case auth::TokenCheck::kRevoked:
      return unauthorized(fmt::format("the API token '{}' was revoked at {}", info.name, FormatIso8601(*info.revoked)));
    case auth::TokenCheck::kValid: break;
  }
  if (!info.HasScope(scope)) {
    return Error(403, fmt::format("the API token '{}' lacks the scope '{}' that this request needs", info.name, scope),
                 error_body);
  }
  if (who != nullptr) *who = std::move(info);
  return std::nullopt;
}

std::optional<Response> RequireJsonBody(const Request& request, ErrorBodyFn error_body) {
  const std::string* type = request.Header("content-type");
  std::string media = type == nullptr ? "" : Lower(type->substr(0, type->find(';')));
  while (!media.empty() && media.back() == ' ') media.pop_back();
  if (media == "application/json") return std::nullopt;
  return Error(415,
               type == nullptr
                   ? "the request body must be JSON: send 'Content-Type: application/json'"
                   : fmt::format("the request body must be JSON (Content-Type: application/json), not '{}'", *type),
               error_body);
}

}  // namespace csoc::web

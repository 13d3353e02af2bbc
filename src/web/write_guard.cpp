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

// Standard base64 (RFC 4648, padding optional); nullopt for anything else.
std::optional<std::string> Base64Decode(std::string_view in) {
  while (!in.empty() && in.back() == '=') in.remove_suffix(1);
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    int v;
    if (c >= 'A' && c <= 'Z') {
      v = c - 'A';
    } else if (c >= 'a' && c <= 'z') {
      v = c - 'a' + 26;
    } else if (c >= '0' && c <= '9') {
      v = c - '0' + 52;
    } else if (c == '+') {
      v = 62;
    } else if (c == '/') {
      v = 63;
    } else {
      return std::nullopt;
    }
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  return out;
}

}  // namespace

std::optional<Response> RequireToken(const Request& request, auth::TokenStore* tokens, std::string_view scope,
                                     TimePoint now, ErrorBodyFn error_body, auth::TokenInfo* who, TokenSchemes schemes) {
  const bool basic = schemes == TokenSchemes::kBearerOrBasic;
  auto unauthorized = [&](const std::string& message) {
    Response r = Error(401, message, error_body);
    r.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"csoc\"");
    if (basic) r.headers.emplace_back("WWW-Authenticate", "Basic realm=\"csoc\"");
    return r;
  };
  if (tokens == nullptr) return Error(503, "writes are not available: no token store is configured", error_body);
  const std::string* header = request.Header("authorization");
  if (header == nullptr) {
    return unauthorized(fmt::format(
        "this request changes data and needs an API token with scope '{}': send 'Authorization: Bearer <token>'{} "
        "(create one with 'csoc token create')",
        scope, basic ? " or HTTP basic auth with the token as the password" : ""));
  }
  std::string_view value = *header;
  std::string decoded;
  if (basic && value.size() >= 6 && Lower(value.substr(0, 6)) == "basic ") {
    value.remove_prefix(6);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
    std::optional<std::string> pair = Base64Decode(value);
    const size_t colon = pair ? pair->find(':') : std::string::npos;
    if (colon == std::string::npos) {
      return unauthorized("the Authorization header's basic credentials must be base64 of 'user:<token>'");
    }
    decoded = pair->substr(colon + 1);
    value = decoded;
  } else if (value.size() < 7 || Lower(value.substr(0, 7)) != "bearer ") {
    return unauthorized(basic ? "the Authorization header must be 'Bearer <token>' or 'Basic <base64 of user:token>'"
                              : "the Authorization header must be 'Bearer <token>'");
  } else {
    value.remove_prefix(7);
  }
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

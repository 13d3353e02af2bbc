// Validation of the network addresses a config names: http(s) URLs, host names, IP literals and
// "host:port" pairs. Only what the config needs; the prober hands URLs to libcurl as they are.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"

namespace csoc::config {

struct Url {
  std::string scheme;  // "http" or "https", lower-cased
  std::string userinfo;
  std::string host;  // IPv6 literals without brackets
  std::optional<uint16_t> port;
  std::string path;   // "" or starting with '/'
  std::string query;  // after '?', without it
  std::string fragment;

  uint16_t EffectivePort() const { return port ? *port : (scheme == "https" ? 443 : 80); }
};

// Accepts absolute http and https URLs. The message says what is wrong, without repeating the URL.
Status ParseHttpUrl(std::string_view text, Url* out);

bool IsIpLiteral(std::string_view text);  // IPv4 or IPv6, without brackets
// A DNS name (letters, digits, '-' and '_' in dot-separated labels of at most 63 characters).
bool IsDnsName(std::string_view text);
// An IP literal or a DNS name.
bool IsHost(std::string_view text);

// Parses a port number 1..65535.
std::optional<uint16_t> ParsePort(std::string_view text);

// "host:port" or "[v6]:port", or only a host/IP when `port_optional` (port left unset then).
Status ParseHostPort(std::string_view text, bool ip_only, bool port_optional, std::string* host,
                     std::optional<uint16_t>* port);

}  // namespace csoc::config

#include "config/address.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <charconv>

namespace csoc::config {

namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

}  // namespace

bool IsIpLiteral(std::string_view text) {
  std::string s(text);
  unsigned char buf[16];
  return inet_pton(AF_INET, s.c_str(), buf) == 1 || inet_pton(AF_INET6, s.c_str(), buf) == 1;
}

bool IsDnsName(std::string_view text) {
  if (!text.empty() && text.back() == '.') text.remove_suffix(1);
  if (text.empty() || text.size() > 253) return false;
  size_t start = 0;
  while (true) {
    size_t dot = text.find('.', start);
    std::string_view label = text.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') return false;
    for (char c : label) {
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') return false;
    }
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

bool IsHost(std::string_view text) { return IsIpLiteral(text) || IsDnsName(text); }

std::optional<uint16_t> ParsePort(std::string_view text) {
  unsigned value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty() || value < 1 || value > 65535) {
    return std::nullopt;
  }
  return static_cast<uint16_t>(value);
}

Status ParseHostPort(std::string_view text, bool ip_only, bool port_optional, std::string* host,
                     std::optional<uint16_t>* port) {
  std::string_view host_part = text;
  std::optional<std::string_view> port_part;
  if (!text.empty() && text.front() == '[') {
    size_t close = text.find(']');
    if (close == std::string_view::npos) return Status::InvalidArgument("'[' without a closing ']'");
    host_part = text.substr(1, close - 1);
    std::string_view rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return Status::InvalidArgument("expected ':port' after ']'");
      port_part = rest.substr(1);
    }
    if (!IsIpLiteral(host_part) || host_part.find(':') == std::string_view::npos) {
      return Status::InvalidArgument("'[" + std::string(host_part) + "]' is not an IPv6 address");
    }
  } else if (std::count(text.begin(), text.end(), ':') == 1) {
    size_t colon = text.find(':');
    host_part = text.substr(0, colon);
    port_part = text.substr(colon + 1);
  } else if (text.find(':') != std::string_view::npos && !IsIpLiteral(text)) {
    return Status::InvalidArgument("write an IPv6 address with a port as [address]:port");
  }
  if (host_part.empty()) return Status::InvalidArgument("the host is empty");
  if (ip_only ? !IsIpLiteral(host_part) : !IsHost(host_part)) {
    return Status::InvalidArgument("'" + std::string(host_part) + "' is not " +
                                   (ip_only ? "an IP address" : "a host name or IP address"));
  }
  if (port_part) {
    std::optional<uint16_t> p = ParsePort(*port_part);
    if (!p) return Status::InvalidArgument("port '" + std::string(*port_part) + "' is not a number from 1 to 65535");
    *port = p;
  } else if (!port_optional) {
    return Status::InvalidArgument("expected host:port");
  } else {
    port->reset();
  }
  *host = std::string(host_part);
  return Status::Ok();
}

Status ParseHttpUrl(std::string_view text, Url* out) {
  *out = Url();
  for (char c : text) {
    if (std::isspace(static_cast<unsigned char>(c)) || std::iscntrl(static_cast<unsigned char>(c))) {
      return Status::InvalidArgument("contains a space or control character (percent-encode it)");
    }
  }
  size_t sep = text.find("://");
  if (sep == std::string_view::npos) return Status::InvalidArgument("expected an absolute URL like https://host/path");
  out->scheme = Lower(text.substr(0, sep));
  if (out->scheme != "http" && out->scheme != "https") {
    return Status::InvalidArgument("scheme '" + std::string(text.substr(0, sep)) + "' is not http or https");
  }
  std::string_view rest = text.substr(sep + 3);
  size_t authority_end = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, authority_end);
  rest = authority_end == std::string_view::npos ? std::string_view() : rest.substr(authority_end);

  size_t at = authority.rfind('@');
  if (at != std::string_view::npos) {
    out->userinfo = std::string(authority.substr(0, at));
    authority.remove_prefix(at + 1);
  }
  if (authority.empty()) return Status::InvalidArgument("the host is missing");
  Status s = ParseHostPort(authority, /*ip_only=*/false, /*port_optional=*/true, &out->host, &out->port);
  if (!s.ok()) return s;

  size_t hash = rest.find('#');
  if (hash != std::string_view::npos) {
    out->fragment = std::string(rest.substr(hash + 1));
    rest = rest.substr(0, hash);
  }
  size_t question = rest.find('?');
  if (question != std::string_view::npos) {
    out->query = std::string(rest.substr(question + 1));
    rest = rest.substr(0, question);
  }
  out->path = std::string(rest);
  return Status::Ok();
}

}  // namespace csoc::config

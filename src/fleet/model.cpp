#include "fleet/model.h"

#include <fmt/format.h>

#include <cstdint>
#include <string_view>

namespace csoc::fleet {

std::string_view CheckKindName(CheckKind k) {
  switch (k) {
    case CheckKind::kHttp: return "http";
    case CheckKind::kTcp: return "tcp";
    case CheckKind::kTls: return "tls";
    case CheckKind::kDns: return "dns";
  }
  return "unknown";
}

namespace {

// Builds an unambiguous serialisation (every field is length-prefixed, so "a"+"bc" never equals
// "ab"+"c") and hashes it as it goes.
class FingerprintBuilder {
 public:
  void Add(std::string_view field) {
    AddBytes(std::to_string(field.size()));
    AddBytes(":");
    AddBytes(field);
  }
  void Add(int64_t value) { Add(std::to_string(value)); }
  void Add(bool value) { Add(value ? std::string_view("1") : std::string_view("0")); }

  std::string Hex() const { return fmt::format("{:016x}", hash_); }

 private:
  // FNV-1a, 64 bit: stable across builds and platforms (std::hash is not), which matters because
  // fingerprints are persisted and compared after a restart.
  void AddBytes(std::string_view bytes) {
    for (unsigned char c : bytes) {
      hash_ ^= c;
      hash_ *= 0x100000001b3ULL;
    }
  }
  uint64_t hash_ = 0xcbf29ce484222325ULL;
};

// Splits "scheme://userinfo@host:port/path?query#fragment" just enough to drop the userinfo and
// the query values. The URL was validated when the config was loaded.
std::string DisplayUrl(std::string_view url) {
  std::string out;
  size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return std::string(url);
  size_t authority_start = scheme_end + 3;
  size_t authority_end = url.find_first_of("/?#", authority_start);
  if (authority_end == std::string_view::npos) authority_end = url.size();
  std::string_view authority = url.substr(authority_start, authority_end - authority_start);
  size_t at = authority.rfind('@');
  if (at != std::string_view::npos) authority.remove_prefix(at + 1);
  out.append(url.substr(0, authority_start));
  out.append(authority);

  std::string_view rest = url.substr(authority_end);
  size_t fragment = rest.find('#');
  if (fragment != std::string_view::npos) rest = rest.substr(0, fragment);
  size_t query_start = rest.find('?');
  out.append(rest.substr(0, query_start));
  if (query_start == std::string_view::npos) return out;

  // Query values can carry tokens (often expanded from ${ENV}); the names alone still tell a
  // reader which endpoint variant is probed.
  std::string_view query = rest.substr(query_start + 1);
  out.push_back('?');
  bool first = true;
  while (true) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    if (!first) out.push_back('&');
    first = false;
    size_t eq = pair.find('=');
    out.append(pair.substr(0, eq));
    if (eq != std::string_view::npos) out.append("=…");
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return out;
}

std::string HostPort(const std::string& host, uint16_t port) {
  if (host.find(':') != std::string::npos) return fmt::format("[{}]:{}", host, port);
  return fmt::format("{}:{}", host, port);
}

}  // namespace

std::string Check::Fingerprint() const {
  // What changes how the check probes or judges: the target, the timeout and the conditions.
  // Names are not part of it (the id is the key), nor are the interval, the thresholds or the
  // criticality, which the monitor applies to an existing state without resetting it. Hashed
  // because fingerprints are stored, and secret header values must not be.
  FingerprintBuilder b;
  b.Add(CheckKindName(kind));
  switch (kind) {
    case CheckKind::kHttp: {
      const auto& s = std::get<HttpSpec>(spec);
      b.Add(s.url);
      b.Add(s.method);
      b.Add(static_cast<int64_t>(s.headers.size()));
      for (const Header& h : s.headers) {
        b.Add(h.name);
        b.Add(h.value);
      }
      b.Add(s.body);
      b.Add(s.follow_redirects);
      b.Add(s.tls_verify);
      b.Add(s.ca_file);
      break;
    }
    case CheckKind::kTcp: {
      const auto& s = std::get<TcpSpec>(spec);
      b.Add(s.host);
      b.Add(int64_t{s.port});
      break;
    }
    case CheckKind::kTls: {
      const auto& s = std::get<TlsSpec>(spec);
      b.Add(s.host);
      b.Add(int64_t{s.port});
      b.Add(s.server_name);
      b.Add(s.verify);
      b.Add(s.ca_file);
      break;
    }
    case CheckKind::kDns: {
      const auto& s = std::get<DnsSpec>(spec);
      b.Add(s.name);
      b.Add(s.record_type);
      b.Add(s.server);
      break;
    }
  }
  b.Add(static_cast<int64_t>(timeout.count()));
  b.Add(static_cast<int64_t>(conditions.size()));
  for (const Condition& c : conditions) b.Add(c.text());
  b.Add(static_cast<int64_t>(degraded_conditions.size()));
  for (const Condition& c : degraded_conditions) b.Add(c.text());
  return b.Hex();
}

std::string Check::TargetDisplay() const {
  switch (kind) {
    case CheckKind::kHttp: {
      // Headers are left out entirely: they are rarely what a reader needs, and some are secret.
      const auto& s = std::get<HttpSpec>(spec);
      return fmt::format("{} {}", s.method, DisplayUrl(s.url));
    }
    case CheckKind::kTcp: {
      const auto& s = std::get<TcpSpec>(spec);
      return "tcp " + HostPort(s.host, s.port);
    }
    case CheckKind::kTls: {
      const auto& s = std::get<TlsSpec>(spec);
      std::string out = "tls " + HostPort(s.host, s.port);
      if (!s.server_name.empty() && s.server_name != s.host) out += " (server name " + s.server_name + ")";
      return out;
    }
    case CheckKind::kDns: {
      const auto& s = std::get<DnsSpec>(spec);
      std::string out = fmt::format("dns {} {}", s.record_type, s.name);
      if (!s.server.empty()) out += " @" + s.server;
      return out;
    }
  }
  return std::string(CheckKindName(kind));
}

std::vector<std::string> Fleet::Clusters() const {
  std::vector<std::string> out;
  for (const Environment& e : environments) {
    bool seen = false;
    for (const std::string& c : out) seen = seen || c == e.cluster;
    if (!seen) out.push_back(e.cluster);
  }
  return out;
}

std::vector<const Check*> Fleet::AllChecks() const {
  std::vector<const Check*> out;
  for (const Environment& e : environments) {
    for (const Service& s : e.services) {
      for (const Check& c : s.checks) out.push_back(&c);
    }
  }
  return out;
}

}  // namespace csoc::fleet

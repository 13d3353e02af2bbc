// Parsing of one check: its kind, its target and the common probing and judging settings.
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <system_error>

#include "config/loader.h"
#include "config/suggest.h"
#include "core/time.h"
#include "fleet/condition.h"

namespace csoc::config {

namespace {

using fleet::CheckKind;

const std::vector<std::string_view> kCommonKeys = {
    "name",       "type",     "description",         "interval",          "timeout",
    "conditions", "critical", "degraded_conditions", "failure_threshold", "success_threshold"};
const std::vector<std::string_view> kHttpKeys = {"url",  "path",       "method",           "headers",
                                                 "body", "tls_verify", "follow_redirects", "ca_file"};
const std::vector<std::string_view> kTcpKeys = {"host", "port"};
const std::vector<std::string_view> kTlsKeys = {"host", "port", "server_name", "verify", "ca_file"};
const std::vector<std::string_view> kDnsKeys = {"query_name", "record_type", "server"};

const std::vector<std::string_view>& KindKeys(CheckKind kind) {
  switch (kind) {
    case CheckKind::kHttp: return kHttpKeys;
    case CheckKind::kTcp: return kTcpKeys;
    case CheckKind::kTls: return kTlsKeys;
    case CheckKind::kDns: return kDnsKeys;
  }
  return kHttpKeys;
}

constexpr CheckKind kAllKinds[] = {CheckKind::kHttp, CheckKind::kTcp, CheckKind::kTls, CheckKind::kDns};

std::optional<CheckKind> ParseKind(std::string_view name) {
  for (CheckKind k : kAllKinds) {
    if (fleet::CheckKindName(k) == name) return k;
  }
  return std::nullopt;
}

// For a key that another kind of check accepts: "does not apply to a tcp check (it is for http checks)".
std::string KeyElsewhere(CheckKind kind, std::string_view key) {
  std::vector<std::string_view> kinds;
  for (CheckKind k : kAllKinds) {
    const auto& keys = KindKeys(k);
    if (k != kind && std::find(keys.begin(), keys.end(), key) != keys.end()) kinds.push_back(fleet::CheckKindName(k));
  }
  if (kinds.empty()) return "";
  return fmt::format("does not apply to {} {} check (it is for {} checks)", kind == CheckKind::kHttp ? "an" : "a",
                     fleet::CheckKindName(kind), JoinOr(kinds));
}

bool IsHeaderNameChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

void ParseHeaders(Source& src, const Field& f, fleet::HttpSpec* http, bool* ok) {
  std::optional<MapFields> map = ReadMap(src, f, "a map of header names to values");
  if (!map) {
    *ok = false;
    return;
  }
  for (const Field& h : map->fields) {
    bool name_ok = !h.name.empty() && std::all_of(h.name.begin(), h.name.end(), IsHeaderNameChar);
    if (!name_ok) {
      src.Error(h.key.Mark(), fmt::format("headers: '{}' is not a valid header name", h.name));
      *ok = false;
      continue;
    }
    for (const fleet::Header& earlier : http->headers) {
      bool same = earlier.name.size() == h.name.size() &&
                  std::equal(earlier.name.begin(), earlier.name.end(), h.name.begin(),
                             [](char a, char b) { return std::tolower(a) == std::tolower(b); });
      if (same) {
        src.Error(h.key.Mark(), fmt::format("headers: '{}' is given twice (header names ignore case)", h.name));
        *ok = false;
      }
    }
    Field value_field = h;
    value_field.name = "headers." + h.name;
    fleet::Header header;
    header.name = h.name;
    std::optional<Text> value;
    if (h.value && h.value.IsMap()) {
      std::optional<MapFields> spec = ReadMap(src, value_field, "a map");
      if (!spec) {
        *ok = false;
        continue;
      }
      CheckKeys(src, *spec, "header", {"value", "secret"});
      if (const Field* v = Require(src, *spec, "value", "header '" + h.name + "'")) value = ReadString(src, *v);
      if (const Field* s = spec->Get("secret")) {
        std::optional<bool> secret = ReadBool(src, *s);
        if (!secret) *ok = false;
        header.secret = secret.value_or(false);
      }
    } else if (h.value && h.value.IsScalar()) {
      value = ReadString(src, value_field);
    } else {
      src.Error(value_field.mark(), fmt::format("{}: expected a string or {{value: ..., secret: true}}, found {}",
                                                value_field.name, Describe(h.value)));
    }
    if (!value) {
      *ok = false;
      continue;
    }
    if (value->value.find_first_of("\r\n") != std::string::npos) {
      // The value is not repeated: it may be a secret.
      src.Error(value->mark, fmt::format("{}: a header value must not contain a line break", value_field.name));
      *ok = false;
      continue;
    }
    header.value = std::move(value->value);
    header.secret = header.secret || value->from_env;
    http->headers.push_back(std::move(header));
  }
}

bool ParseHttp(Source& src, const MapFields& map, const CheckContext& ctx, fleet::HttpSpec* http) {
  bool ok = true;
  const Field* url = map.Get("url");
  const Field* path = map.Get("path");
  if (url && path) {
    src.Error(path->key.Mark(), "a check has either url or path, not both");
    ok = false;
  } else if (!url && !path) {
    src.Error(map.mark, "an http check needs url (a full URL) or path (joined to the environment's base_url)");
    ok = false;
  } else if (url) {
    std::optional<Text> t = ReadString(src, *url);
    Url parsed;
    if (!t) {
      ok = false;
    } else if (Status s = ParseHttpUrl(t->value, &parsed); !s.ok()) {
      src.Error(t->mark, fmt::format("url: invalid URL '{}': {}", t->Shown(), s.message()));
      ok = false;
    } else {
      http->url = t->value;
    }
  } else {
    std::optional<Text> t = ReadString(src, *path);
    if (!t) {
      ok = false;
    } else if (t->value.empty() || t->value.front() != '/') {
      src.Error(t->mark, fmt::format("path: '{}' must start with '/'", t->Shown()));
      ok = false;
    } else if (ctx.base_url_broken) {
      ok = false;
    } else if (!ctx.base_url) {
      src.Error(t->mark, fmt::format("path: environment '{}' has no base_url or hostname to join the path to; "
                                     "give a full url instead",
                                     ctx.environment));
      ok = false;
    } else {
      std::string joined = ctx.base_url_text + t->value;
      Url parsed;
      if (Status s = ParseHttpUrl(joined, &parsed); !s.ok()) {
        src.Error(t->mark, fmt::format("path: '{}' does not make a valid URL: {}", t->Shown(), s.message()));
        ok = false;
      } else {
        http->url = std::move(joined);
      }
    }
  }
  if (const Field* f = map.Get("method")) {
    static const std::vector<std::string_view> kMethods = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"};
    if (std::optional<Text> t = ReadString(src, *f)) {
      std::string upper = t->value;
      std::transform(upper.begin(), upper.end(), upper.begin(), [](unsigned char c) { return std::toupper(c); });
      if (std::find(kMethods.begin(), kMethods.end(), upper) == kMethods.end()) {
        src.Error(t->mark, fmt::format("method: unknown HTTP method '{}' (expected {})", t->Shown(), JoinOr(kMethods)));
        ok = false;
      } else {
        http->method = upper;
      }
    } else {
      ok = false;
    }
  }
  if (const Field* f = map.Get("headers")) ParseHeaders(src, *f, http, &ok);
  if (const Field* f = map.Get("body")) {
    std::optional<Text> t = ReadString(src, *f);
    ok = ok && t;
    if (t) http->body = std::move(t->value);
  }
  if (const Field* f = map.Get("follow_redirects")) {
    std::optional<bool> b = ReadBool(src, *f);
    ok = ok && b;
    http->follow_redirects = b.value_or(false);
  }
  if (const Field* f = map.Get("tls_verify")) {
    std::optional<bool> b = ReadBool(src, *f);
    ok = ok && b;
    http->tls_verify = b.value_or(true);
  }
  if (const Field* f = map.Get("ca_file")) {
    std::optional<std::string> p = ReadFilePath(src, *f);
    ok = ok && p;
    if (p) http->ca_file = *p;
  }
  return ok;
}

// A host for tcp and tls checks; `fallback_host` (the environment's host name) when the key is
// absent and one exists.
std::optional<std::string> ReadHost(Source& src, const MapFields& map, std::string_view key,
                                    const std::string& fallback_host, std::string_view kind) {
  const Field* f = map.Get(key);
  if (!f) {
    if (!fallback_host.empty()) return fallback_host;
    src.Error(map.mark, fmt::format("a {} check needs '{}'{}", kind, key,
                                    kind == "tcp" ? "" : " (or an environment with a hostname or base_url)"));
    return std::nullopt;
  }
  std::optional<Text> t = ReadString(src, *f);
  if (!t) return std::nullopt;
  std::string host = t->value;
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  bool valid = key == "query_name" ? IsDnsName(host) : IsHost(host);
  if (!valid) {
    src.Error(t->mark, fmt::format("{}: '{}' is not a valid {}", key, t->Shown(),
                                   key == "query_name" ? "DNS name" : "host name or IP address"));
    return std::nullopt;
  }
  return host;
}

bool ParseTcp(Source& src, const MapFields& map, fleet::TcpSpec* tcp) {
  std::optional<std::string> host = ReadHost(src, map, "host", "", "tcp");
  std::optional<uint16_t> port;
  if (const Field* f = Require(src, map, "port", "a tcp check")) port = ReadPort(src, *f);
  if (!host || !port) return false;
  tcp->host = *host;
  tcp->port = *port;
  return true;
}

bool ParseTls(Source& src, const MapFields& map, const CheckContext& ctx, fleet::TlsSpec* tls) {
  bool ok = true;
  std::optional<std::string> host = ReadHost(src, map, "host", ctx.hostname, "tls");
  ok = ok && host;
  if (host) tls->host = *host;
  if (const Field* f = map.Get("port")) {
    std::optional<uint16_t> port = ReadPort(src, *f);
    ok = ok && port;
    if (port) tls->port = *port;
  }
  if (const Field* f = map.Get("server_name")) {
    std::optional<Text> t = ReadString(src, *f);
    if (t && !IsDnsName(t->value)) {
      src.Error(t->mark, fmt::format("server_name: '{}' is not a valid DNS name", t->Shown()));
      t.reset();
    }
    ok = ok && t;
    if (t) tls->server_name = t->value;
  }
  if (const Field* f = map.Get("verify")) {
    std::optional<bool> b = ReadBool(src, *f);
    ok = ok && b;
    tls->verify = b.value_or(true);
  }
  if (const Field* f = map.Get("ca_file")) {
    std::optional<std::string> p = ReadFilePath(src, *f);
    ok = ok && p;
    if (p) tls->ca_file = *p;
  }
  return ok;
}

bool ParseDns(Source& src, const MapFields& map, const CheckContext& ctx, fleet::DnsSpec* dns) {
  bool ok = true;
  std::optional<std::string> name = ReadHost(src, map, "query_name", ctx.hostname, "dns");
  ok = ok && name;
  if (name) dns->name = *name;
  if (const Field* f = map.Get("record_type")) {
    std::optional<Text> t = ReadString(src, *f);
    if (t) {
      std::string upper = t->value;
      std::transform(upper.begin(), upper.end(), upper.begin(), [](unsigned char c) { return std::toupper(c); });
      if (upper != "A" && upper != "AAAA") {
        src.Error(t->mark, fmt::format("record_type: expected A or AAAA, found '{}'", t->Shown()));
        ok = false;
      } else {
        dns->record_type = upper;
      }
    } else {
      ok = false;
    }
  }
  if (const Field* f = map.Get("server")) {
    std::optional<Text> t = ReadString(src, *f);
    std::string host;
    std::optional<uint16_t> port;
    if (!t) {
      ok = false;
    } else if (Status s = ParseHostPort(t->value, /*ip_only=*/true, /*port_optional=*/true, &host, &port); !s.ok()) {
      src.Error(t->mark, fmt::format("server: '{}' is not 'ip' or 'ip:port': {}", t->Shown(), s.message()));
      ok = false;
    } else {
      dns->server = t->value;
    }
  }
  return ok;
}

bool ParseConditions(Source& src, const Field& f, std::vector<fleet::Condition>* out) {
  std::optional<std::vector<Field>> items = ReadList(src, f, "conditions");
  if (!items) return false;
  bool ok = true;
  for (const Field& item : *items) {
    std::optional<Text> t = ReadString(src, item);
    if (!t) {
      ok = false;
      continue;
    }
    fleet::Condition c;
    Status s = fleet::Condition::Parse(t->value, &c);
    if (!s.ok()) {
      src.Error(t->mark, fmt::format("{}: invalid condition '{}': {}", item.name, t->Shown(), s.message()));
      ok = false;
      continue;
    }
    out->push_back(std::move(c));
  }
  return ok;
}

bool ParseSpec(Source& src, const MapFields& map, const CheckContext& ctx, fleet::Check* check) {
  switch (check->kind) {
    case CheckKind::kHttp: {
      fleet::HttpSpec http;
      bool ok = ParseHttp(src, map, ctx, &http);
      check->spec = std::move(http);
      return ok;
    }
    case CheckKind::kTcp: {
      fleet::TcpSpec tcp;
      bool ok = ParseTcp(src, map, &tcp);
      check->spec = std::move(tcp);
      return ok;
    }
    case CheckKind::kTls: {
      fleet::TlsSpec tls;
      bool ok = ParseTls(src, map, ctx, &tls);
      check->spec = std::move(tls);
      return ok;
    }
    case CheckKind::kDns: {
      fleet::DnsSpec dns;
      bool ok = ParseDns(src, map, ctx, &dns);
      check->spec = std::move(dns);
      return ok;
    }
  }
  return false;
}

}  // namespace

std::optional<std::string> ReadFilePath(Source& src, const Field& f) {
  std::optional<Text> t = ReadString(src, f);
  if (!t) return std::nullopt;
  std::filesystem::path p(t->value);
  if (p.is_relative() && !src.base_dir().empty()) p = src.base_dir() / p;
  std::error_code ec;
  if (!std::filesystem::is_regular_file(p, ec)) {
    src.Error(t->mark, fmt::format("{}: no such file '{}'{}", f.name, p.string(),
                                   p.is_relative() ? "" : " (a relative path is relative to the config file)"));
    return std::nullopt;
  }
  return p.string();
}

const std::vector<std::string_view>& CheckKeyNames(CheckKind kind) {
  static const std::vector<std::vector<std::string_view>> kByKind = [] {
    std::vector<std::vector<std::string_view>> out;
    for (CheckKind k : kAllKinds) {
      std::vector<std::string_view> keys = kCommonKeys;
      keys.insert(keys.end(), KindKeys(k).begin(), KindKeys(k).end());
      out.push_back(std::move(keys));
    }
    return out;
  }();
  return kByKind[static_cast<size_t>(kind)];
}

std::optional<fleet::Check> ParseCheck(Source& src, const Field& item, const CheckContext& ctx, std::string* name_out) {
  name_out->clear();
  std::optional<MapFields> map = ReadMap(src, item, "a check (a map with name, type, ...)");
  if (!map) return std::nullopt;
  bool ok = true;
  fleet::Check check;
  std::optional<Text> name = ReadName(src, *map, "check");
  if (name) {
    check.name = name->value;
    *name_out = name->value;
  } else {
    ok = false;
  }
  std::string context = name ? fmt::format("check '{}'", name->value) : std::string("check");

  std::optional<CheckKind> kind;
  if (const Field* f = map->Get("type")) {
    if (std::optional<Text> t = ReadString(src, *f)) {
      kind = ParseKind(t->value);
      if (!kind) {
        std::string suggestion = Suggest(t->value, {"http", "tcp", "tls", "dns"});
        src.Error(t->mark, fmt::format("type: unknown check type '{}' (expected http, tcp, tls or dns{})", t->Shown(),
                                       suggestion.empty() ? "" : "; did you mean '" + suggestion + "'?"));
      }
    }
  } else if (map->Get("url") || map->Get("path")) {
    kind = CheckKind::kHttp;
  } else {
    src.Error(map->mark,
              fmt::format("{} needs a type (http, tcp, tls or dns), or a url or path for an http check", context));
  }
  if (!kind) {
    // Without a kind the keys can only be checked against those of every kind, and only the
    // common keys below are read (so that one run still reports their problems too).
    std::vector<std::string_view> all = kCommonKeys;
    for (CheckKind k : kAllKinds) {
      for (std::string_view key : KindKeys(k)) {
        if (std::find(all.begin(), all.end(), key) == all.end()) all.push_back(key);
      }
    }
    CheckKeys(src, *map, "check", all);
    ok = false;
  } else {
    check.kind = *kind;
    CheckKeys(src, *map, "check", CheckKeyNames(*kind),
              [kind](std::string_view key) { return KeyElsewhere(*kind, key); });
    ok = ParseSpec(src, *map, ctx, &check) && ok;
  }

  const Defaults& defaults = *ctx.defaults;
  check.interval = defaults.interval.value_or(kDefaultInterval);
  if (const Field* f = map->Get("interval")) {
    std::optional<Millis> d = ReadDuration(src, *f, kMinInterval);
    ok = ok && d;
    if (d) check.interval = *d;
  }
  // An inherited timeout is shortened to the interval, so that "defaults: {timeout: 10s}" and a
  // check with "interval: 5s" work together; a timeout written on the check itself must fit.
  check.timeout = std::min(defaults.timeout.value_or(kDefaultTimeout), check.interval);
  if (const Field* f = map->Get("timeout")) {
    std::optional<Millis> d = ReadDuration(src, *f);
    if (d && *d > check.interval) {
      src.Error(f->mark(), fmt::format("timeout: {} is longer than the interval {} (a probe must end before the next "
                                       "one starts)",
                                       FormatDuration(*d), FormatDuration(check.interval)));
      d.reset();
    }
    ok = ok && d;
    if (d) check.timeout = *d;
  }
  check.failure_threshold = defaults.failure_threshold.value_or(kDefaultFailureThreshold);
  if (const Field* f = map->Get("failure_threshold")) {
    std::optional<int64_t> v = ReadInt(src, *f, 1, kMaxThreshold);
    ok = ok && v;
    if (v) check.failure_threshold = static_cast<int>(*v);
  }
  check.success_threshold = defaults.success_threshold.value_or(kDefaultSuccessThreshold);
  if (const Field* f = map->Get("success_threshold")) {
    std::optional<int64_t> v = ReadInt(src, *f, 1, kMaxThreshold);
    ok = ok && v;
    if (v) check.success_threshold = static_cast<int>(*v);
  }
  if (const Field* f = map->Get("critical")) {
    std::optional<bool> b = ReadBool(src, *f);
    ok = ok && b;
    check.critical = b.value_or(true);
  }
  if (const Field* f = map->Get("description")) {
    std::optional<Text> t = ReadString(src, *f);
    ok = ok && t;
    if (t) check.description = t->value;
  }
  if (const Field* f = map->Get("conditions")) ok = ParseConditions(src, *f, &check.conditions) && ok;
  if (const Field* f = map->Get("degraded_conditions")) {
    ok = ParseConditions(src, *f, &check.degraded_conditions) && ok;
  }

  if (!ok) return std::nullopt;
  check.environment = ctx.environment;
  check.cluster = ctx.cluster;
  check.service = ctx.service;
  check.id = ctx.environment + "/" + ctx.service + "/" + check.name;
  return check;
}

}  // namespace csoc::config

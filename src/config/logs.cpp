// The `logs:` section of the fleet configuration (docs/logs.md, docs/configuration.md): the
// access-log sources csoc follows, listens to or is pushed to, each attributed to an environment of
// the fleet; the Loki push API's and the Faro collector's mapping to environments; and how long
// aggregates are kept.
#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

#include "config/loader.h"
#include "config/suggest.h"
#include "logs/format.h"

namespace csoc::config {
namespace {

const std::vector<std::string_view> kLogsKeys = {"sources", "loki", "faro", "pseudonymise_key", "minute_retention",
                                                 "hour_retention"};
const std::vector<std::string_view> kSourceKeys = {"name", "environment", "format", "file", "syslog", "push"};
const std::vector<std::string_view> kInputKeys = {"file", "syslog", "push"};
const std::vector<std::string_view> kSyslogKeys = {"listen", "protocol"};
const std::vector<std::string_view> kProtocols = {"udp", "tcp"};
const std::vector<std::string_view> kLokiKeys = {"environment_label", "environments", "format"};
const std::vector<std::string_view> kFaroKeys = {"environment", "apps", "api_key", "origins", "rate_limit", "burst"};

bool IsName(std::string_view s) {
  return !s.empty() && s.size() <= 64 && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
  });
}

// Prometheus/Loki label names: [a-zA-Z_][a-zA-Z0-9_]*.
bool IsLabelName(std::string_view s) {
  if (s.empty() || (s[0] >= '0' && s[0] <= '9')) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  });
}

class EnvironmentNames {
 public:
  explicit EnvironmentNames(const fleet::Fleet& fleet) {
    for (const fleet::Environment& e : fleet.environments) names_.push_back(e.name);
    views_.assign(names_.begin(), names_.end());
  }
  // Reports an unknown environment (with a suggestion) at the value; true when it exists.
  bool Check(Source& src, const Text& t, std::string_view key) const {
    if (std::find(names_.begin(), names_.end(), t.value) != names_.end()) return true;
    const std::string hint = Suggest(t.value, views_);
    src.Error(t.mark, fmt::format("{}: no environment named '{}' in the fleet{}", key, t.Shown(),
                                  hint.empty() ? "" : fmt::format(" (did you mean '{}'?)", hint)));
    return false;
  }

 private:
  std::vector<std::string> names_;
  std::vector<std::string_view> views_;
};

// A format string: gen3, combined or an nginx log_format.
bool CheckFormat(Source& src, const Text& t) {
  logs::LogFormat format;
  if (const Status st = logs::LogFormat::Parse(t.value, &format); !st.ok()) {
    src.Error(t.mark, "format: " + st.message());
    return false;
  }
  return true;
}

// `syslog: {listen: "127.0.0.1:5514", protocol: udp}`.
bool ParseSyslogInput(Source& src, const Field& f, fleet::LogSource* out) {
  std::optional<MapFields> map = ReadMap(src, f, "a map with listen and protocol (udp or tcp)");
  if (!map) return false;
  CheckKeys(src, *map, "syslog", kSyslogKeys);
  bool ok = true;
  if (const Field* l = Require(src, *map, "listen", "syslog")) {
    std::string listen;
    ReadListen(src, *l, "127.0.0.1:5514", &listen);
    if (listen.empty()) ok = false;
    out->listen = listen;
  } else {
    ok = false;
  }
  if (const Field* p = map->Get("protocol")) {
    if (std::optional<Text> t = ReadString(src, *p)) {
      if (t->value == "udp" || t->value == "tcp") {
        out->syslog_tcp = t->value == "tcp";
      } else {
        const std::string hint = Suggest(t->value, kProtocols);
        src.Error(t->mark, fmt::format("protocol: '{}' must be udp or tcp{}", t->Shown(),
                                       hint.empty() ? "" : fmt::format(" (did you mean '{}'?)", hint)));
        ok = false;
      }
    } else {
      ok = false;
    }
  }
  return ok;
}

// `file: PATH`: the file may appear later (tail -F), but its directory must exist: a typo there is
// an error now rather than a source that silently never reads anything.
bool ParseFileInput(Source& src, const Field& f, fleet::LogSource* out) {
  std::optional<Text> t = ReadString(src, f);
  if (!t) return false;
  std::filesystem::path p(t->value);
  if (p.is_relative() && !src.base_dir().empty()) p = src.base_dir() / p;
  std::error_code ec;
  if (t->value.empty() || !std::filesystem::is_directory(p.parent_path(), ec) || std::filesystem::is_directory(p, ec)) {
    src.Error(t->mark, fmt::format("file: '{}' must be a file in an existing directory (a relative path is "
                                   "relative to the config file)",
                                   p.string()));
    return false;
  }
  out->file = p.lexically_normal().string();
  return true;
}

std::optional<fleet::LogSource> ParseSource(Source& src, const Field& item, const EnvironmentNames& envs,
                                            std::set<std::string>* names) {
  std::optional<MapFields> s = ReadMap(src, item, "a map with name, environment, format and one of file, syslog or push");
  if (!s) return std::nullopt;
  CheckKeys(src, *s, "a log source", kSourceKeys);
  fleet::LogSource source;
  bool ok = true;
  for (const char* key : {"name", "environment", "format"}) {
    const Field* f = Require(src, *s, key, "a log source");
    std::optional<Text> t = f ? ReadString(src, *f) : std::nullopt;
    if (!t) {
      ok = false;
      continue;
    }
    const std::string_view k = key;
    if (k == "name") {
      if (!IsName(t->value)) {
        src.Error(t->mark, fmt::format("name: '{}' must be 1-64 letters, digits, '-', '_' or '.'", t->Shown()));
        ok = false;
      } else if (!names->insert(t->value).second) {
        src.Error(t->mark, fmt::format("name: another log source is already called '{}'", t->value));
        ok = false;
      }
      source.name = t->value;
    } else if (k == "environment") {
      ok &= envs.Check(src, *t, "environment");
      source.environment = t->value;
    } else {
      ok &= CheckFormat(src, *t);
      source.format = t->value;
    }
  }
  // Exactly one input.
  const Field* input = nullptr;
  for (const std::string_view key : kInputKeys) {
    const Field* f = s->Get(key);
    if (f == nullptr) continue;
    if (input != nullptr) {
      src.Error(f->key.Mark(), fmt::format("a log source has one input: '{}' here and '{}' at {}; keep one",
                                           key, input->name, src.Where(input->key.Mark())));
      ok = false;
      continue;
    }
    input = f;
  }
  if (input == nullptr) {
    src.Error(s->mark, "a log source needs one input: file: PATH, syslog: {listen: HOST:PORT, protocol: udp|tcp} "
                       "or push: true");
    return std::nullopt;
  }
  if (input->name == "file") {
    source.kind = fleet::LogSource::Kind::kFile;
    ok &= ParseFileInput(src, *input, &source);
  } else if (input->name == "syslog") {
    source.kind = fleet::LogSource::Kind::kSyslog;
    ok &= ParseSyslogInput(src, *input, &source);
  } else {
    source.kind = fleet::LogSource::Kind::kPush;
    std::optional<bool> b = ReadBool(src, *input);
    if (b && !*b) {
      src.Error(input->mark(), "push: only 'push: true' declares a push source (leave the key out otherwise)");
      ok = false;
    }
    ok &= b.has_value();
  }
  if (!ok) return std::nullopt;
  return source;
}

// `loki: {environment_label: namespace, environments: {<label value>: <environment>}, format: gen3}`.
void ParseLoki(Source& src, const Field& field, const EnvironmentNames& envs, fleet::LokiSettings* out) {
  std::optional<MapFields> map = ReadMap(src, field, "a map with environment_label, environments and format");
  if (!map) return;
  CheckKeys(src, *map, "loki", kLokiKeys);
  bool ok = true;
  if (const Field* f = Require(src, *map, "environment_label", "loki")) {
    if (std::optional<Text> t = ReadString(src, *f)) {
      if (!IsLabelName(t->value)) {
        src.Error(t->mark, fmt::format("environment_label: '{}' is not a label name ([a-zA-Z_][a-zA-Z0-9_]*)", t->Shown()));
        ok = false;
      }
      out->environment_label = t->value;
    } else {
      ok = false;
    }
  } else {
    ok = false;
  }
  if (const Field* f = Require(src, *map, "environments", "loki")) {
    std::optional<MapFields> m = ReadMap(src, *f, "a map from label values to environments");
    if (m && m->fields.empty()) {
      src.Error(f->mark(), "environments: map at least one label value to an environment");
      ok = false;
    }
    if (m) {
      for (const Field& entry : m->fields) {
        std::optional<Text> t = ReadString(src, entry);
        if (!t || !envs.Check(src, *t, "environments." + entry.name)) {
          ok = false;
          continue;
        }
        out->environments[entry.name] = t->value;
      }
    } else {
      ok = false;
    }
  } else {
    ok = false;
  }
  if (const Field* f = map->Get("format")) {
    if (std::optional<Text> t = ReadString(src, *f); t && CheckFormat(src, *t)) {
      out->format = t->value;
    } else {
      ok = false;
    }
  }
  out->enabled = ok;
}

// `faro: {environment: ENV | apps: {<app name>: ENV}, api_key: KEY, origins: [...], rate_limit: N, burst: N}`.
void ParseFaro(Source& src, const Field& field, const EnvironmentNames& envs, fleet::FaroSettings* out) {
  std::optional<MapFields> map = ReadMap(src, field, "a map with api_key and environment (or apps)");
  if (!map) return;
  CheckKeys(src, *map, "faro", kFaroKeys);
  bool ok = true;
  const Field* env = map->Get("environment");
  const Field* apps = map->Get("apps");
  if (env != nullptr && apps != nullptr) {
    src.Error(apps->key.Mark(), fmt::format("faro: give either environment (every app) or apps (per app), not both; "
                                            "environment is at {}",
                                            src.Where(env->key.Mark())));
    ok = false;
  } else if (env == nullptr && apps == nullptr) {
    src.Error(map->mark, "faro: say where search terms count: environment: ENV (every app) or apps: {APP: ENV}");
    ok = false;
  }
  if (env != nullptr) {
    std::optional<Text> t = ReadString(src, *env);
    if (t && envs.Check(src, *t, "environment")) {
      out->environment = t->value;
    } else {
      ok = false;
    }
  }
  if (apps != nullptr) {
    std::optional<MapFields> m = ReadMap(src, *apps, "a map from Faro app names (meta.app.name) to environments");
    if (m && m->fields.empty()) {
      src.Error(apps->mark(), "apps: map at least one app name to an environment");
      ok = false;
    }
    if (m) {
      for (const Field& entry : m->fields) {
        std::optional<Text> t = ReadString(src, entry);
        if (!t || !envs.Check(src, *t, "apps." + entry.name)) {
          ok = false;
          continue;
        }
        out->apps[entry.name] = t->value;
      }
    } else {
      ok = false;
    }
  }
  if (const Field* f = Require(src, *map, "api_key", "faro")) {
    if (std::optional<Text> t = ReadString(src, *f)) {
      if (t->value.size() < 8 || t->value.find_first_of(" \t\r\n") != std::string::npos) {
        src.Error(t->mark, "api_key: must be at least 8 characters without spaces (the Faro SDK's apiKey)");
        ok = false;
      }
      out->api_key = t->value;
    } else {
      ok = false;
    }
  } else {
    ok = false;
  }
  if (const Field* f = map->Get("origins")) {
    if (auto list = ReadStringList(src, *f)) {
      out->origins.clear();
      for (const Text& t : *list) {
        const size_t host = t.value.find("://");
        const bool origin = t.value == "*" ||
                            ((t.value.rfind("http://", 0) == 0 || t.value.rfind("https://", 0) == 0) &&
                             t.value.size() > host + 3 && t.value.find_first_of("/?#", host + 3) == std::string::npos);
        if (!origin) {
          src.Error(t.mark, fmt::format("origins: '{}' must be \"*\" or an origin like https://portal.example.org "
                                        "(scheme and host, no path)",
                                        t.Shown()));
          ok = false;
        } else {
          out->origins.push_back(t.value);
        }
      }
      if (list->empty()) {
        src.Error(f->mark(), "origins: list at least one origin (or \"*\")");
        ok = false;
      }
    } else {
      ok = false;
    }
  }
  bool burst_given = false;
  if (const Field* f = map->Get("rate_limit")) {
    if (std::optional<int64_t> n = ReadInt(src, *f, 1, 100'000)) {
      out->rate_limit = static_cast<double>(*n);
    } else {
      ok = false;
    }
  }
  if (const Field* f = map->Get("burst")) {
    if (std::optional<int64_t> n = ReadInt(src, *f, 1, 1'000'000)) {
      out->burst = static_cast<double>(*n);
      burst_given = true;
    } else {
      ok = false;
    }
  }
  if (!burst_given) out->burst = 2 * out->rate_limit;
  out->enabled = ok;
}

}  // namespace

void ParseLogs(Source& src, const Field& field, const fleet::Fleet& fleet, fleet::LogSettings* out) {
  std::optional<MapFields> map = ReadMap(src, field, "a map with sources, loki, faro and retention settings");
  if (!map) return;
  CheckKeys(src, *map, "logs", kLogsKeys);
  if (const Field* f = map->Get("pseudonymise_key")) {
    if (auto t = ReadString(src, *f)) {
      if (t->value.size() < 16) {
        src.Error(t->mark, "pseudonymise_key: must be at least 16 characters (use ${NAME} to take it from the environment)");
      } else {
        out->pseudonymise_key = t->value;
      }
    }
  }
  if (const Field* f = map->Get("minute_retention")) {
    if (auto d = ReadDuration(src, *f, std::chrono::hours(1))) out->minute_retention = *d;
  }
  if (const Field* f = map->Get("hour_retention")) {
    if (auto d = ReadDuration(src, *f, std::chrono::hours(24))) out->hour_retention = *d;
  }
  const EnvironmentNames envs(fleet);
  if (const Field* f = map->Get("loki")) ParseLoki(src, *f, envs, &out->loki);
  if (const Field* f = map->Get("faro")) ParseFaro(src, *f, envs, &out->faro);
  const Field* sources = map->Get("sources");
  if (sources == nullptr) return;
  std::optional<std::vector<Field>> items = ReadList(src, *sources, "sources");
  if (!items) return;
  std::set<std::string> names;
  // Two syslog sources cannot listen on the same address and protocol.
  std::map<std::string, std::pair<std::string, YAML::Mark>> listeners;
  for (const Field& item : *items) {
    std::optional<fleet::LogSource> source = ParseSource(src, item, envs, &names);
    if (!source) continue;
    if (source->kind == fleet::LogSource::Kind::kSyslog) {
      const std::string key = (source->syslog_tcp ? "tcp " : "udp ") + source->listen;
      auto [it, added] = listeners.emplace(key, std::make_pair(source->name, item.value.Mark()));
      if (!added && !source->listen.ends_with(":0")) {
        src.Error(item.value.Mark(), fmt::format("syslog: log source '{}' already listens on {} ({}); one source per "
                                                 "address and protocol",
                                                 it->second.first, key, src.Where(it->second.second)));
        continue;
      }
    }
    out->sources.push_back(std::move(*source));
  }
}

}  // namespace csoc::config

// The `logs:` section of the fleet configuration (docs/logs.md): the access-log sources csoc
// follows, each attributed to an environment of the fleet, and how long aggregates are kept.
#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include "config/loader.h"
#include "config/suggest.h"
#include "logs/format.h"

namespace csoc::config {
namespace {

const std::vector<std::string_view> kLogsKeys = {"sources", "pseudonymise_key", "minute_retention", "hour_retention"};
const std::vector<std::string_view> kSourceKeys = {"name", "environment", "format", "file"};

bool IsName(std::string_view s) {
  return !s.empty() && s.size() <= 64 && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
  });
}

}  // namespace

void ParseLogs(Source& src, const Field& field, const fleet::Fleet& fleet, fleet::LogSettings* out) {
  std::optional<MapFields> map = ReadMap(src, field, "a map with sources and retention settings");
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
  std::vector<std::string> env_names;
  for (const fleet::Environment& e : fleet.environments) env_names.push_back(e.name);
  const std::vector<std::string_view> env_views(env_names.begin(), env_names.end());
  const Field* sources = map->Get("sources");
  if (sources == nullptr) return;
  std::optional<std::vector<Field>> items = ReadList(src, *sources, "sources");
  if (!items) return;
  std::set<std::string> names;
  for (const Field& item : *items) {
    std::optional<MapFields> s = ReadMap(src, item, "a map with name, environment, format and file");
    if (!s) continue;
    CheckKeys(src, *s, "a log source", kSourceKeys);
    fleet::LogSource source;
    bool ok = true;
    for (const char* key : {"name", "environment", "format", "file"}) {
      const Field* f = Require(src, *s, key, "a log source");
      if (f == nullptr) {
        ok = false;
        continue;
      }
      std::optional<Text> t = ReadString(src, *f);
      if (!t) {
        ok = false;
        continue;
      }
      const std::string_view k = key;
      if (k == "name") {
        if (!IsName(t->value)) {
          src.Error(t->mark, fmt::format("name: '{}' must be 1-64 letters, digits, '-', '_' or '.'", t->Shown()));
          ok = false;
        } else if (!names.insert(t->value).second) {
          src.Error(t->mark, fmt::format("name: another log source is already called '{}'", t->value));
          ok = false;
        }
        source.name = t->value;
      } else if (k == "environment") {
        if (std::find(env_names.begin(), env_names.end(), t->value) == env_names.end()) {
          const std::string hint = Suggest(t->value, env_views);
          src.Error(t->mark, fmt::format("environment: no environment named '{}' in the fleet{}", t->Shown(),
                                         hint.empty() ? "" : fmt::format(" (did you mean '{}'?)", hint)));
          ok = false;
        }
        source.environment = t->value;
      } else if (k == "format") {
        logs::LogFormat format;
        if (const Status st = logs::LogFormat::Parse(t->value, &format); !st.ok()) {
          src.Error(t->mark, "format: " + st.message());
          ok = false;
        }
        source.format = t->value;
      } else {
        // The file may appear later (tail -F), but its directory must exist: a typo there is an
        // error now rather than a source that silently never reads anything.
        std::filesystem::path p(t->value);
        if (p.is_relative() && !src.base_dir().empty()) p = src.base_dir() / p;
        std::error_code ec;
        if (!std::filesystem::is_directory(p.parent_path(), ec) || std::filesystem::is_directory(p, ec)) {
          src.Error(t->mark, fmt::format("file: '{}' must be a file in an existing directory (a relative path is "
                                         "relative to the config file)",
                                         p.string()));
          ok = false;
        }
        source.file = p.lexically_normal().string();
      }
    }
    if (ok) out->sources.push_back(std::move(source));
  }
}

}  // namespace csoc::config

// The `status_page:` section of the fleet configuration (docs/configuration.md): the public status
// page's title, API base path, CORS origins, optional public listen address, and its components
// with the fleet objects each one follows. Bindings are checked against the fleet just built, so
// a component that names an unknown environment is an error at its line, with a suggestion.
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "config/address.h"
#include "config/loader.h"
#include "config/suggest.h"

namespace csoc::config {
namespace {

const std::vector<std::string_view> kStatusPageKeys = {
    "title",      "description", "api_base", "cors_origins",        "listen",
    "public_url", "logo",        "colors",   "automatic_incidents", "components"};
const std::vector<std::string_view> kColorKeys = {"header", "accent"};
constexpr size_t kMaxLogoBytes = 256 * 1024;

bool IsHexColor(std::string_view v) {
  if ((v.size() != 4 && v.size() != 7) || v[0] != '#') return false;
  return std::all_of(v.begin() + 1, v.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); });
}
const std::vector<std::string_view> kComponentKeys = {"name",        "display_name", "group",
                                                      "description", "environments", "clusters",
                                                      "services",    "checks",       "automatic_incidents"};
const std::vector<std::string_view> kAutomaticKeys = {"enabled", "after", "publish"};

void ParseAutomatic(Source& src, const Field& f, fleet::AutomaticIncidents* out) {
  // `automatic_incidents: false` turns them off; a map sets the details.
  if (f.value.IsScalar()) {
    if (std::optional<bool> b = ReadBool(src, f)) out->enabled = *b;
    return;
  }
  std::optional<MapFields> map = ReadMap(src, f, "false, or a map with enabled, after and publish");
  if (!map) return;
  CheckKeys(src, *map, "automatic_incidents", kAutomaticKeys);
  if (const Field* e = map->Get("enabled")) {
    if (auto b = ReadBool(src, *e)) out->enabled = *b;
  }
  if (const Field* a = map->Get("after")) {
    if (auto d = ReadDuration(src, *a, std::chrono::milliseconds(0))) out->after = *d;
  }
  if (const Field* p = map->Get("publish")) {
    if (auto b = ReadBool(src, *p)) out->publish = *b;
  }
}

std::vector<std::string_view> Views(const std::vector<std::string>& names) {
  return std::vector<std::string_view>(names.begin(), names.end());
}

// Reads a list of names that must each be one of `known` (`what`: "environment").
void ReadBindings(Source& src, const MapFields& map, std::string_view key, std::string_view what,
                  const std::vector<std::string>& known, std::vector<std::string>* out) {
  const Field* f = map.Get(key);
  if (f == nullptr) return;
  std::optional<std::vector<Text>> list = ReadStringList(src, *f);
  if (!list) return;
  for (const Text& t : *list) {
    if (std::find(known.begin(), known.end(), t.value) == known.end()) {
      std::string hint = Suggest(t.value, Views(known));
      src.Error(t.mark, fmt::format("{}: no {} named '{}' in the fleet{}", key, what, t.Shown(),
                                    hint.empty() ? "" : fmt::format(" (did you mean '{}'?)", hint)));
      continue;
    }
    out->push_back(t.value);
  }
}

}  // namespace

void ParseStatusPage(Source& src, const Field& field, const fleet::Fleet& fleet, fleet::StatusPageSettings* out) {
  std::optional<MapFields> map = ReadMap(src, field, "a map with title, components and other status page settings");
  if (!map) return;
  CheckKeys(src, *map, "status_page", kStatusPageKeys);
  for (auto [key, target] : {std::pair{"title", &out->title}, std::pair{"description", &out->description}}) {
    if (const Field* f = map->Get(key)) {
      if (auto t = ReadString(src, *f)) *target = t->value;
    }
  }
  if (const Field* f = map->Get("api_base")) {
    if (auto t = ReadString(src, *f)) {
      const std::string& v = t->value;
      bool ok = v.size() > 1 && v.front() == '/' && v.back() != '/' && v.find_first_of("?#{} ") == std::string::npos;
      if (!ok) {
        src.Error(t->mark, fmt::format("api_base: '{}' must be a path like /status-api/v1 (leading '/', no "
                                       "trailing '/')",
                                       t->Shown()));
      } else {
        out->api_base = v;
      }
    }
  }
  if (const Field* f = map->Get("cors_origins")) {
    if (auto list = ReadStringList(src, *f)) {
      out->cors_origins.clear();
      for (const Text& t : *list) {
        // An origin is scheme://host[:port]: nothing after the host.
        size_t host = t.value.find("://");
        bool ok = t.value == "*" ||
                  ((t.value.rfind("http://", 0) == 0 || t.value.rfind("https://", 0) == 0) &&
                   t.value.size() > host + 3 && t.value.find_first_of("/?#", host + 3) == std::string::npos);
        if (!ok) {
          src.Error(t.mark, fmt::format("cors_origins: '{}' must be \"*\" or an origin like https://status.example.org "
                                        "(scheme and host, no path)",
                                        t.Shown()));
        } else {
          out->cors_origins.push_back(t.value);
        }
      }
    }
  }
  if (const Field* f = map->Get("listen")) ReadListen(src, *f, "0.0.0.0:8081", &out->listen);
  if (const Field* f = map->Get("public_url")) {
    if (auto t = ReadString(src, *f)) {
      const std::string& v = t->value;
      bool scheme = v.rfind("http://", 0) == 0 || v.rfind("https://", 0) == 0;
      if (!scheme || v.back() == '/' || v.find_first_of(" \"<>") != std::string::npos) {
        src.Error(t->mark, fmt::format("public_url: '{}' must be an absolute http(s) URL without a trailing '/', like "
                                       "https://status.example.org",
                                       t->Shown()));
      } else {
        out->public_url = v;
      }
    }
  }
  if (const Field* f = map->Get("automatic_incidents")) ParseAutomatic(src, *f, &out->automatic);
  if (const Field* f = map->Get("logo")) {
    if (std::optional<std::string> path = ReadFilePath(src, *f)) {
      std::string ext = std::filesystem::path(*path).extension().string();
      std::ifstream in(*path, std::ios::binary);
      std::stringstream bytes;
      bytes << in.rdbuf();
      if (ext != ".svg" && ext != ".png") {
        src.Error(f->mark(), fmt::format("logo: '{}' must be an .svg or .png file", *path));
      } else if (!in || bytes.str().empty() || bytes.str().size() > kMaxLogoBytes) {
        src.Error(f->mark(),
                  fmt::format("logo: '{}' must be readable and 1 byte to {} KiB", *path, kMaxLogoBytes / 1024));
      } else {
        out->logo = bytes.str();
        out->logo_content_type = ext == ".svg" ? "image/svg+xml" : "image/png";
      }
    }
  }
  if (const Field* f = map->Get("colors")) {
    if (std::optional<MapFields> colors = ReadMap(src, *f, "a map with header and accent colours")) {
      CheckKeys(src, *colors, "colors", kColorKeys);
      for (const Field& c : colors->fields) {
        std::optional<Text> t = ReadString(src, c);
        if (!t) continue;
        if (!IsHexColor(t->value)) {
          src.Error(t->mark,
                    fmt::format("colors.{}: '{}' must be a hex colour like #0b1220 or #fff", c.name, t->Shown()));
        } else {
          out->colors[c.name] = t->value;
        }
      }
    }
  }

  std::vector<std::string> environments, clusters = fleet.Clusters(), services, checks;
  for (const auto& env : fleet.environments) {
    environments.push_back(env.name);
    for (const auto& svc : env.services) {
      services.push_back(env.name + "/" + svc.name);
      for (const auto& chk : svc.checks) checks.push_back(chk.id);
    }
  }
  const Field* list_field = map->Get("components");
  if (list_field == nullptr) return;
  std::optional<std::vector<Field>> items = ReadList(src, *list_field, "components");
  if (!items) return;
  std::map<std::string, YAML::Mark> seen;
  for (const Field& item : *items) {
    std::optional<MapFields> c = ReadMap(src, item, "a component: a map with name, display_name and what it follows");
    if (!c) continue;
    CheckKeys(src, *c, "a status page component", kComponentKeys);
    fleet::StatusComponent comp;
    comp.automatic = out->automatic;
    comp.source_file = src.file();
    std::optional<Text> name = ReadName(src, *c, "status page component");
    if (!name) continue;
    comp.name = name->value;
    if (auto [it, fresh] = seen.emplace(comp.name, name->mark); !fresh) {
      src.Error(name->mark,
                fmt::format("duplicate component name '{}' (first defined at {})", comp.name, src.Where(it->second)));
      continue;
    }
    comp.display_name = comp.name;
    for (auto [key, target] : {std::pair{"display_name", &comp.display_name}, std::pair{"group", &comp.group},
                               std::pair{"description", &comp.description}}) {
      const Field* f = c->Get(key);
      if (f == nullptr) continue;
      std::optional<Text> t = ReadString(src, *f);
      if (!t) continue;
      if (std::string_view(key) != "description" && (t->value.empty() || t->value.size() > 200)) {
        src.Error(t->mark, fmt::format("{}: must have 1 to 200 characters", key));
        continue;
      }
      *target = t->value;
    }
    ReadBindings(src, *c, "environments", "environment", environments, &comp.environments);
    ReadBindings(src, *c, "clusters", "cluster", clusters, &comp.clusters);
    ReadBindings(src, *c, "services", "service (environment/service)", services, &comp.services);
    ReadBindings(src, *c, "checks", "check (environment/service/check)", checks, &comp.checks);
    if (const Field* f = c->Get("automatic_incidents")) ParseAutomatic(src, *f, &comp.automatic);
    out->components.push_back(std::move(comp));
  }
}

}  // namespace csoc::config

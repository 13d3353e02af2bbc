#include "config/loader.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <map>

#include "config/preset.h"
#include "config/suggest.h"
#include "core/time.h"

namespace csoc::config {

bool IsValidName(std::string_view name) {
  if (name.empty()) return false;
  auto lower_or_digit = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (!lower_or_digit(name[0])) return false;
  return std::all_of(name.begin(), name.end(),
                     [&](char c) { return lower_or_digit(c) || c == '-' || c == '_' || c == '.'; });
}

std::optional<Text> ReadName(Source& src, const MapFields& map, std::string_view context) {
  const Field* f = Require(src, map, "name", context);
  if (!f) return std::nullopt;
  std::optional<Text> t = ReadString(src, *f);
  if (!t) return std::nullopt;
  if (!IsValidName(t->value)) {
    src.Error(t->mark, fmt::format("name: '{}' is not a valid {} name (use lower-case letters, digits, '-', '_' and "
                                   "'.', starting with a letter or digit)",
                                   t->Shown(), context));
    return std::nullopt;
  }
  return t;
}

namespace {

const std::vector<std::string_view> kTopLevelKeys = {"environments", "settings", "defaults", "status_page", "logs"};
const std::vector<std::string_view> kSettingsKeys = {"listen", "data_dir", "title", "retention"};
const std::vector<std::string_view> kRetentionKeys = {"raw", "minute", "hour", "day"};
const std::vector<std::string_view> kDefaultsKeys = {"interval", "timeout", "failure_threshold", "success_threshold"};
const std::vector<std::string_view> kEnvironmentKeys = {"name",      "hostname",    "base_url",       "cluster",
                                                        "namespace", "description", "labels",         "owners",
                                                        "links",     "preset",      "preset_options", "services"};
const std::vector<std::string_view> kServiceKeys = {"name", "description", "critical", "checks"};

bool IsValidClusterName(std::string_view name) {
  if (name.empty() || !std::isalnum(static_cast<unsigned char>(name[0]))) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
  });
}

// Reads an optional string into `out`; false when present but unusable (already reported).
bool ReadOptionalString(Source& src, const MapFields& map, std::string_view key, std::string* out) {
  const Field* f = map.Get(key);
  if (!f) return true;
  std::optional<Text> t = ReadString(src, *f);
  if (!t) return false;
  *out = std::move(t->value);
  return true;
}

}  // namespace

Source& Loader::AddSource(std::string file, std::filesystem::path base_dir) {
  return sources_.emplace_back(std::move(file), std::move(base_dir), &env_, errors_);
}

void Loader::AddDocument(Source& src, const YAML::Node& root) {
  if (!root || root.IsNull()) return;
  std::optional<MapFields> top = ReadMap(src, root, YAML::Mark(), "a map with environments, settings or defaults");
  if (!top) return;
  CheckKeys(src, *top, "the top level", kTopLevelKeys);
  if (const Field* f = top->Get("settings")) {
    if (settings_) {
      src.Error(f->key.Mark(), fmt::format("settings are already defined at {} (only one file may hold settings)",
                                           settings_->src->Where(settings_->field.key.Mark())));
    } else {
      settings_ = Located{&src, *f};
    }
  }
  if (const Field* f = top->Get("defaults")) {
    if (defaults_field_) {
      src.Error(f->key.Mark(), fmt::format("defaults are already defined at {} (only one file may hold defaults)",
                                           defaults_field_->src->Where(defaults_field_->field.key.Mark())));
    } else {
      defaults_field_ = Located{&src, *f};
    }
  }
  if (const Field* f = top->Get("status_page")) {
    if (status_page_) {
      src.Error(f->key.Mark(), fmt::format("status_page is already defined at {} (only one file may hold it)",
                                           status_page_->src->Where(status_page_->field.key.Mark())));
    } else {
      status_page_ = Located{&src, *f};
    }
  }
  if (const Field* f = top->Get("logs")) {
    if (logs_) {
      src.Error(f->key.Mark(), fmt::format("logs is already defined at {} (only one file may hold it)",
                                           logs_->src->Where(logs_->field.key.Mark())));
    } else {
      logs_ = Located{&src, *f};
    }
  }
  if (const Field* f = top->Get("environments")) {
    if (std::optional<std::vector<Field>> items = ReadList(src, *f, "environments")) {
      for (Field& item : *items) environments_.push_back(Located{&src, std::move(item)});
    }
  }
}

void ReadListen(Source& src, const Field& f, std::string_view example, std::string* out) {
  std::optional<Text> t = ReadString(src, f);
  if (!t) return;
  std::string host;
  std::optional<uint16_t> port;
  Status s = ParseHostPort(t->value, /*ip_only=*/false, /*port_optional=*/false, &host, &port);
  if (s.ok()) {
    *out = t->value;
  } else {
    src.Error(t->mark, fmt::format("listen: '{}' is not an address like {}: {}", t->Shown(), example, s.message()));
  }
}

void Loader::ParseSettings(const Located& at, fleet::Settings* out) {
  Source& src = *at.src;
  std::optional<MapFields> map = ReadMap(src, at.field, "a map with listen, data_dir, title and retention");
  if (!map) return;
  CheckKeys(src, *map, "settings", kSettingsKeys);
  if (const Field* f = map->Get("listen")) ReadListen(src, *f, "127.0.0.1:8080 or [::]:8080", &out->listen);
  for (auto [key, target] : {std::pair{"data_dir", &out->data_dir}, std::pair{"title", &out->title}}) {
    const Field* f = map->Get(key);
    if (!f) continue;
    std::optional<Text> t = ReadString(src, *f);
    if (t && t->value.empty()) {
      src.Error(t->mark, fmt::format("{}: must not be empty", key));
    } else if (t) {
      *target = t->value;
    }
  }
  if (const Field* f = map->Get("retention")) {
    std::optional<MapFields> r = ReadMap(src, *f, "a map with raw, minute, hour and day");
    if (r) {
      CheckKeys(src, *r, "retention", kRetentionKeys);
      fleet::Retention& ret = out->retention;
      for (auto [key, target] : {std::pair{"raw", &ret.raw}, std::pair{"minute", &ret.minute},
                                 std::pair{"hour", &ret.hour}, std::pair{"day", &ret.day}}) {
        const Field* d = r->Get(key);
        if (!d) continue;
        if (std::optional<Millis> v = ReadDuration(src, *d)) *target = *v;
      }
    }
  }
}

void Loader::ParseDefaults(const Located& at) {
  Source& src = *at.src;
  std::optional<MapFields> map =
      ReadMap(src, at.field, "a map with interval, timeout, failure_threshold and success_threshold");
  if (!map) return;
  CheckKeys(src, *map, "defaults", kDefaultsKeys);
  if (const Field* f = map->Get("interval")) defaults_.interval = ReadDuration(src, *f, kMinInterval);
  if (const Field* f = map->Get("timeout")) {
    defaults_.timeout = ReadDuration(src, *f);
    if (defaults_.timeout && defaults_.interval && *defaults_.timeout > *defaults_.interval) {
      src.Error(f->mark(), fmt::format("timeout: {} is longer than the default interval {}",
                                       FormatDuration(*defaults_.timeout), FormatDuration(*defaults_.interval)));
    }
  }
  if (const Field* f = map->Get("failure_threshold")) {
    if (auto v = ReadInt(src, *f, 1, kMaxThreshold)) defaults_.failure_threshold = static_cast<int>(*v);
  }
  if (const Field* f = map->Get("success_threshold")) {
    if (auto v = ReadInt(src, *f, 1, kMaxThreshold)) defaults_.success_threshold = static_cast<int>(*v);
  }
}

std::optional<fleet::Service> Loader::ParseService(Source& src, const Field& item, const CheckContext& base,
                                                   std::string* name_out) {
  name_out->clear();
  std::optional<MapFields> map = ReadMap(src, item, "a service (a map with name and checks)");
  if (!map) return std::nullopt;
  CheckKeys(src, *map, "service", kServiceKeys);
  bool ok = true;
  fleet::Service service;
  std::optional<Text> name = ReadName(src, *map, "service");
  if (name) service.name = *name_out = name->value;
  ok = ok && name;
  ok = ReadOptionalString(src, *map, "description", &service.description) && ok;
  if (const Field* f = map->Get("critical")) {
    std::optional<bool> b = ReadBool(src, *f);
    ok = ok && b;
    service.critical = b.value_or(true);
  }
  const Field* checks = Require(src, *map, "checks", name ? "service '" + name->value + "'" : "service");
  if (!checks) return std::nullopt;
  std::optional<std::vector<Field>> items = ReadList(src, *checks, "checks");
  if (!items) return std::nullopt;
  if (items->empty()) {
    src.Error(checks->mark(), "checks: a service needs at least one check");
    return std::nullopt;
  }
  CheckContext ctx = base;
  ctx.service = service.name;
  std::map<std::string, YAML::Mark> seen;
  for (const Field& c : *items) {
    std::string check_name;
    std::optional<fleet::Check> check = ParseCheck(src, c, ctx, &check_name);
    if (!check_name.empty()) {
      YAML::Mark mark = c.value["name"].Mark();
      if (auto it = seen.find(check_name); it != seen.end()) {
        src.Error(mark, fmt::format("duplicate check name '{}' in service '{}' (first defined at {})", check_name,
                                    service.name, src.Where(it->second)));
        check.reset();
      } else {
        seen.emplace(check_name, mark);
      }
    }
    if (!check) {
      ok = false;
      continue;
    }
    service.checks.push_back(std::move(*check));
  }
  if (!ok) return std::nullopt;
  return service;
}

std::optional<fleet::Environment> Loader::ParseEnvironment(Source& src, const Field& item, std::string* name_out) {
  name_out->clear();
  std::optional<MapFields> map = ReadMap(src, item, "an environment (a map with name, cluster, ...)");
  if (!map) return std::nullopt;
  CheckKeys(src, *map, "environment", kEnvironmentKeys);
  bool ok = true;
  fleet::Environment env;
  env.source_file = src.file();
  std::optional<Text> name = ReadName(src, *map, "environment");
  if (name) env.name = *name_out = name->value;
  ok = ok && name;
  std::string context = name ? "environment '" + name->value + "'" : std::string("environment");

  if (const Field* f = Require(src, *map, "cluster", context)) {
    std::optional<Text> t = ReadString(src, *f);
    if (t && !IsValidClusterName(t->value)) {
      src.Error(t->mark, fmt::format("cluster: '{}' is not a valid cluster name (use letters, digits, '-', '_' and "
                                     "'.', starting with a letter or digit)",
                                     t->Shown()));
      t.reset();
    }
    ok = ok && t;
    if (t) env.cluster = t->value;
  } else {
    ok = false;
  }

  if (const Field* f = map->Get("hostname")) {
    std::optional<Text> t = ReadString(src, *f);
    if (t && !IsHost(t->value)) {
      src.Error(t->mark, fmt::format("hostname: '{}' is not a valid host name (write a port or scheme in base_url)",
                                     t->Shown()));
      t.reset();
    }
    ok = ok && t;
    if (t) env.hostname = t->value;
  }
  CheckContext ctx;
  ctx.defaults = &defaults_;
  if (const Field* f = map->Get("base_url")) {
    std::optional<Text> t = ReadString(src, *f);
    Url url;
    if (t) {
      Status s = ParseHttpUrl(t->value, &url);
      if (s.ok() &&
          (!url.query.empty() || !url.fragment.empty() || t->value.find_first_of("?#") != std::string::npos)) {
        s = Status::InvalidArgument("a base URL has no query or fragment");
      }
      if (!s.ok()) {
        src.Error(t->mark, fmt::format("base_url: invalid URL '{}': {}", t->Shown(), s.message()));
        t.reset();
      }
    }
    ok = ok && t;
    ctx.base_url_broken = !t;
    if (t) {
      ctx.base_url = url;
      ctx.base_url_text = t->value;
      while (!ctx.base_url_text.empty() && ctx.base_url_text.back() == '/') ctx.base_url_text.pop_back();
      if (env.hostname.empty()) env.hostname = url.host;
    }
  } else if (!env.hostname.empty()) {
    bool ipv6 = env.hostname.find(':') != std::string::npos;
    ctx.base_url_text = ipv6 ? "https://[" + env.hostname + "]" : "https://" + env.hostname;
    Url url;
    if (ParseHttpUrl(ctx.base_url_text, &url).ok()) ctx.base_url = url;
  }
  ok = ReadOptionalString(src, *map, "namespace", &env.namespace_) && ok;
  ok = ReadOptionalString(src, *map, "description", &env.description) && ok;
  if (const Field* f = map->Get("labels")) {
    if (std::optional<MapFields> labels = ReadMap(src, *f, "a map of label names to values")) {
      for (const Field& l : labels->fields) {
        std::optional<Text> t = ReadString(src, l);
        ok = ok && t;
        if (t) env.labels[l.name] = t->value;
      }
    } else {
      ok = false;
    }
  }
  if (const Field* f = map->Get("owners")) {
    std::optional<std::vector<Text>> owners = ReadStringList(src, *f);
    ok = ok && owners;
    if (owners) {
      for (Text& t : *owners) env.owners.push_back(std::move(t.value));
    }
  }
  if (const Field* f = map->Get("links")) {
    if (std::optional<std::vector<Field>> links = ReadList(src, *f, "links ({title, url})")) {
      for (const Field& l : *links) {
        std::optional<MapFields> m = ReadMap(src, l, "a link (a map with title and url)");
        if (!m) {
          ok = false;
          continue;
        }
        CheckKeys(src, *m, "link", {"title", "url"});
        fleet::Link link;
        std::optional<Text> title;
        std::optional<Text> url;
        if (const Field* t = Require(src, *m, "title", "link")) title = ReadString(src, *t);
        if (const Field* u = Require(src, *m, "url", "link")) url = ReadString(src, *u);
        Url parsed;
        if (url) {
          if (Status s = ParseHttpUrl(url->value, &parsed); !s.ok()) {
            src.Error(url->mark, fmt::format("url: invalid URL '{}': {}", url->Shown(), s.message()));
            url.reset();
          }
        }
        if (!title || !url) {
          ok = false;
          continue;
        }
        env.links.push_back(fleet::Link{title->value, url->value});
      }
    } else {
      ok = false;
    }
  }
  // Services are parsed even when the fields above had errors, so that one run reports everything.
  ctx.environment = env.name;
  ctx.cluster = env.cluster;
  ctx.hostname = env.hostname;

  // Explicit services first, so that the preset knows which of its services they replace.
  std::map<std::string, YAML::Mark> explicit_names;
  std::vector<fleet::Service> explicit_services;
  const Field* services_field = map->Get("services");
  if (services_field) {
    if (std::optional<std::vector<Field>> items = ReadList(src, *services_field, "services")) {
      for (const Field& s : *items) {
        std::string service_name;
        std::optional<fleet::Service> service = ParseService(src, s, ctx, &service_name);
        if (!service_name.empty()) {
          YAML::Mark mark = s.value["name"].Mark();
          if (auto it = explicit_names.find(service_name); it != explicit_names.end()) {
            src.Error(mark, fmt::format("duplicate service name '{}' in {} (first defined at {})", service_name,
                                        context, src.Where(it->second)));
            service.reset();
          } else {
            explicit_names.emplace(service_name, mark);
          }
        }
        if (!service) {
          ok = false;
          continue;
        }
        explicit_services.push_back(std::move(*service));
      }
    } else {
      ok = false;
    }
  }

  const Field* preset = map->Get("preset");
  const Field* preset_options = map->Get("preset_options");
  if (preset_options && !preset) {
    src.Error(preset_options->key.Mark(), "preset_options: there is no preset to apply them to");
    ok = false;
  }
  if (preset) {
    std::optional<Text> t = ReadString(src, *preset);
    if (t && std::find(PresetNames().begin(), PresetNames().end(), t->value) == PresetNames().end()) {
      std::string suggestion = Suggest(t->value, PresetNames());
      src.Error(t->mark, fmt::format("preset: unknown preset '{}' ({})", t->Shown(),
                                     suggestion.empty() ? "available: " + JoinOr(PresetNames())
                                                        : "did you mean '" + suggestion + "'?"));
      t.reset();
    }
    if (t && ctx.base_url_broken) {
      t.reset();
    } else if (t && !ctx.base_url) {
      src.Error(t->mark, fmt::format("preset: the {} preset needs the environment's hostname or base_url", t->value));
      t.reset();
    }
    ok = ok && t;
    if (t) {
      Source::FallbackScope scope(src, t->mark);
      for (GeneratedService& g : ExpandGen3Preset(src, *ctx.base_url, env.hostname, preset_options, explicit_names)) {
        CheckContext service_ctx = ctx;
        service_ctx.service = g.name;
        std::string check_name;
        std::optional<fleet::Check> check =
            ParseCheck(src, Field{"checks[0]", preset->key, g.check}, service_ctx, &check_name);
        if (!check) {
          ok = false;
          continue;
        }
        fleet::Service service;
        service.name = g.name;
        service.description = g.description;
        service.critical = g.critical;
        service.checks.push_back(std::move(*check));
        env.services.push_back(std::move(service));
      }
    }
  }
  for (fleet::Service& s : explicit_services) env.services.push_back(std::move(s));
  bool has_services = services_field && services_field->value.IsSequence() && services_field->value.size() > 0;
  if (!has_services && !preset) {
    src.Error(map->mark,
              fmt::format("{} has nothing to monitor (add services, or preset: gen3 with a hostname)", context));
    ok = false;
  }
  if (!ok) return std::nullopt;
  return env;
}

std::optional<fleet::Fleet> Loader::Build(const std::string& config_name) {
  fleet::Fleet fleet;
  if (settings_) ParseSettings(*settings_, &fleet.settings);
  if (defaults_field_) ParseDefaults(*defaults_field_);

  std::map<std::string, std::pair<Source*, YAML::Mark>> seen;
  for (const Located& at : environments_) {
    std::string name;
    std::optional<fleet::Environment> env = ParseEnvironment(*at.src, at.field, &name);
    if (!name.empty()) {
      YAML::Mark mark = at.field.value["name"].Mark();
      if (auto it = seen.find(name); it != seen.end()) {
        at.src->Error(mark, fmt::format("duplicate environment name '{}' (first defined at {})", name,
                                        it->second.first->Where(it->second.second)));
        continue;
      }
      seen.emplace(name, std::pair{at.src, mark});
    }
    if (env) fleet.environments.push_back(std::move(*env));
  }
  if (status_page_) ParseStatusPage(*status_page_->src, status_page_->field, fleet, &fleet.status_page);
  if (logs_) ParseLogs(*logs_->src, logs_->field, fleet, &fleet.logs);
  if (environments_.empty() && errors_->empty()) {
    errors_->push_back(ConfigError{config_name, 0, 0, "no environments are defined"});
  }
  if (!errors_->empty()) return std::nullopt;
  return fleet;
}

}  // namespace csoc::config

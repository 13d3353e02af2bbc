#include "config/preset.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "config/suggest.h"

namespace csoc::config {

const std::vector<Gen3Component>& Gen3Components() {
  // Critical: what a user needs to log in, find and download data (the portal, the proxy in front
  // of everything, fence, indexd, sheepdog, peregrine and guppy behind the exploration page). The
  // others take only one feature down, so they degrade the commons instead.
  static const std::vector<Gen3Component> kComponents = {
      {"revproxy", "/_status", true, true, "Reverse proxy in front of every Gen3 service"},
      {"fence", "/user/_status", true, true, "Authentication and authorization (fence)"},
      {"indexd", "/index/_status", true, true, "Data object index (indexd)"},
      {"sheepdog", "/api/_status", true, true, "Metadata submission (sheepdog)"},
      {"peregrine", "/peregrine/_status", true, true, "Graph metadata queries (peregrine)"},
      {"metadata", "/mds/_status", false, true, "Metadata service (MDS)"},
      {"guppy", "/guppy/_status", true, true, "Exploration page queries (guppy)"},
      {"wts", "/wts/_status", false, true, "Workspace token service (wts)"},
      {"hatchery", "/lw-workspace/_status", false, true, "Workspaces (hatchery)"},
      {"manifestservice", "/manifests/_status", false, true, "Workspace file manifests (manifestservice)"},
      {"audit", "/audit/_status", false, true, "Audit log service (audit)"},
      {"portal", "/", true, true, "Data portal (windmill)"},
      {"requestor", "/requestor/_status", false, false, "Access requests (requestor)"},
      {"sower", "/job/_status", false, false, "Job dispatch (sower)"},
  };
  return kComponents;
}

const std::vector<std::string_view>& PresetNames() {
  static const std::vector<std::string_view> kNames = {"gen3"};
  return kNames;
}

namespace {

const Gen3Component* FindComponent(std::string_view name) {
  for (const Gen3Component& c : Gen3Components()) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

std::vector<std::string_view> AllServiceNames() {
  std::vector<std::string_view> out;
  for (const Gen3Component& c : Gen3Components()) out.push_back(c.name);
  out.push_back(kCertificateService);
  return out;
}

// Reads a list of component names; reports unknown ones with a suggestion.
std::vector<Text> ReadComponentList(Source& src, const Field& f) {
  std::vector<Text> out;
  std::optional<std::vector<Text>> names = ReadStringList(src, f);
  if (!names) return out;
  for (Text& t : *names) {
    if (t.value != kCertificateService && !FindComponent(t.value)) {
      std::vector<std::string_view> all = AllServiceNames();
      std::string suggestion = Suggest(t.value, all);
      src.Error(t.mark,
                fmt::format("{}: unknown gen3 component '{}' ({})", f.name, t.Shown(),
                            suggestion.empty() ? "expected " + JoinOr(all) : "did you mean '" + suggestion + "'?"));
      continue;
    }
    out.push_back(std::move(t));
  }
  return out;
}

bool Contains(const std::vector<Text>& list, std::string_view name) {
  return std::any_of(list.begin(), list.end(), [&](const Text& t) { return t.value == name; });
}

YAML::Node HealthCheck(const Gen3Component& c) {
  YAML::Node check(YAML::NodeType::Map);
  check["name"] = "health";
  check["path"] = std::string(c.path);
  check["description"] = fmt::format("Gen3 {} health endpoint {}", c.name, c.path);
  // The portal may answer / with a redirect to its login page; every _status endpoint answers
  // 200 when healthy, and a redirect there means something in front of it is misrouted.
  if (c.name != "portal") {
    YAML::Node conditions(YAML::NodeType::Sequence);
    conditions.push_back("status == 200");
    check["conditions"] = conditions;
  }
  return check;
}

YAML::Node CertificateCheck(const Url& base, const std::string& hostname) {
  YAML::Node check(YAML::NodeType::Map);
  check["name"] = "tls";
  check["type"] = "tls";
  check["host"] = base.host;
  check["port"] = std::to_string(base.EffectivePort());
  // When the commons is reached at another address than its public name (an internal IP or load
  // balancer), the certificate must still be valid for the public name.
  bool other_name = !hostname.empty() && hostname != base.host;
  if (other_name) check["server_name"] = hostname;
  check["description"] = fmt::format("TLS certificate of {}", other_name ? hostname : base.host);
  return check;
}

}  // namespace

std::vector<GeneratedService> ExpandGen3Preset(Source& src, const Url& base, const std::string& hostname,
                                               const Field* options,
                                               const std::map<std::string, YAML::Mark>& explicit_services) {
  std::vector<Text> disabled;
  std::vector<Text> enabled;
  std::optional<MapFields> overrides;
  if (options) {
    std::optional<MapFields> map = ReadMap(src, *options, "a map with disable, enable and overrides");
    if (map) {
      CheckKeys(src, *map, "preset_options", {"disable", "enable", "overrides"});
      if (const Field* f = map->Get("disable")) disabled = ReadComponentList(src, *f);
      if (const Field* f = map->Get("enable")) enabled = ReadComponentList(src, *f);
      if (const Field* f = map->Get("overrides")) {
        overrides = ReadMap(src, *f, "a map from component name to check settings");
      }
    }
  }
  std::set<std::string> active;
  for (const Text& t : enabled) {
    const Gen3Component* c = FindComponent(t.value);
    if (!c || c->default_on) {
      src.Error(t.mark, fmt::format("enable: '{}' is generated by default (enable is for the optional components "
                                    "requestor and sower)",
                                    t.value));
    } else if (Contains(disabled, t.value)) {
      src.Error(t.mark, fmt::format("enable: '{}' is also listed under disable", t.value));
    }
  }
  for (const Gen3Component& c : Gen3Components()) {
    if ((c.default_on || Contains(enabled, c.name)) && !Contains(disabled, c.name)) active.insert(std::string(c.name));
  }
  bool with_certificate = base.scheme == "https" && !Contains(disabled, kCertificateService);
  if (with_certificate) active.insert(std::string(kCertificateService));

  std::vector<GeneratedService> out;
  auto generate = [&](std::string_view name, std::string_view description, bool critical, YAML::Node check) {
    if (!active.count(std::string(name)) || explicit_services.count(std::string(name))) return;
    out.push_back(GeneratedService{std::string(name), std::string(description), critical, std::move(check)});
  };
  for (const Gen3Component& c : Gen3Components()) generate(c.name, c.description, c.critical, HealthCheck(c));
  // An expired certificate breaks the whole commons for every browser.
  generate(kCertificateService, "TLS certificate of the commons", true, CertificateCheck(base, hostname));

  if (!overrides) return out;
  for (const Field& o : overrides->fields) {
    auto target = std::find_if(out.begin(), out.end(), [&](const GeneratedService& s) { return s.name == o.name; });
    if (target == out.end()) {
      std::string why;
      if (auto e = explicit_services.find(o.name); e != explicit_services.end()) {
        why = fmt::format("services: defines '{}' itself (at {}), which replaces the generated service", o.name,
                          src.Where(e->second));
      } else if (o.name == kCertificateService && base.scheme != "https") {
        why = "the certificate check is generated only for an https base_url";
      } else if (active.count(o.name) == 0 && (FindComponent(o.name) || o.name == kCertificateService)) {
        why = FindComponent(o.name) && !FindComponent(o.name)->default_on && !Contains(disabled, o.name)
                  ? "it is not listed under enable"
                  : "it is disabled";
      } else {
        std::vector<std::string_view> all = AllServiceNames();
        std::string suggestion = Suggest(o.name, all);
        why = suggestion.empty() ? "it is not a gen3 component (expected " + JoinOr(all) + ")"
                                 : "it is not a gen3 component (did you mean '" + suggestion + "'?)";
      }
      src.Error(o.key.Mark(), fmt::format("overrides: '{}' cannot be overridden: {}", o.name, why));
      continue;
    }
    std::optional<MapFields> settings = ReadMap(src, o, "a map of check settings");
    if (!settings) continue;
    for (const Field& f : settings->fields) {
      if (f.name == "name" || f.name == "type") {
        src.Error(f.key.Mark(), fmt::format("overrides: the {} of a generated check cannot be changed", f.name));
        continue;
      }
      if (f.name == "critical") {
        // The generated service has one check, so criticality belongs to the service: a
        // non-critical component degrades its environment instead of taking it down.
        if (std::optional<bool> b = ReadBool(src, f)) target->critical = *b;
        continue;
      }
      if (f.name == "url") target->check.remove("path");
      if (f.name == "path") target->check.remove("url");
      target->check.remove(f.name);
      target->check.force_insert(f.key, f.value);
    }
  }
  return out;
}

}  // namespace csoc::config

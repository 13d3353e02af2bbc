// Presets: a one-line way to monitor a standard deployment. `preset: gen3` generates one service
// per Gen3 component with an http check on its health path, and a certificate check when the
// environment is served over https. Documented in docs/configuration.md.
#pragma once

#include <yaml-cpp/yaml.h>

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "config/address.h"
#include "config/reader.h"

namespace csoc::config {

struct Gen3Component {
  std::string_view name;
  std::string_view path;  // behind the revproxy
  bool critical;
  bool default_on;  // otherwise generated only when listed under preset_options.enable
  std::string_view description;
};
// In the order the services are generated; the certificate service comes last.
const std::vector<Gen3Component>& Gen3Components();
inline constexpr std::string_view kCertificateService = "certificate";

const std::vector<std::string_view>& PresetNames();

struct GeneratedService {
  std::string name;
  std::string description;
  bool critical = true;
  // One check, as a map in the form written under services[].checks[]; keys from an override keep
  // their positions, generated ones have none.
  YAML::Node check;
};

// The services of the gen3 preset for an environment whose base URL is `base` and whose public
// name is `hostname`, with preset_options applied (`options` may be null). Services named in
// `explicit_services` (name → position of the name) are defined by the environment itself and not
// generated.
std::vector<GeneratedService> ExpandGen3Preset(Source& src, const Url& base, const std::string& hostname,
                                               const Field* options,
                                               const std::map<std::string, YAML::Mark>& explicit_services);

}  // namespace csoc::config

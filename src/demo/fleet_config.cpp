// Simulator::WriteFleetConfig: the fleet YAML (docs/configuration.md) for the simulator's ports.
#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <system_error>

#include "core/time.h"
#include "demo/gen3_services.h"
#include "demo/simulator.h"

namespace csoc::demo {

namespace {

// A YAML double-quoted scalar; its escapes are JSON's, which covers everything written here.
std::string Quote(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out += fmt::format("\\x{:02x}", static_cast<unsigned char>(c));
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

std::string SettingsYaml(const std::string& data_dir, std::chrono::milliseconds probe_interval) {
  constexpr std::chrono::milliseconds kTimeout{5000};
  return fmt::format(
      "# The demo fleet's settings, written by the csoc simulator. The listen address is left to the\n"
      "# command line (csoc serve --listen).\n"
      "settings:\n"
      "  title: \"csoc demo fleet\"\n"
      "  data_dir: {}\n"
      "defaults:\n"
      "  interval: {}\n"
      "  timeout: {}\n",
      Quote(data_dir), FormatDuration(probe_interval), FormatDuration(std::min(kTimeout, probe_interval)));
}

std::string EnvironmentYaml(const internal::CommonsProfile& profile, const SimulatedCommons& commons,
                            const std::string& tls_endpoint) {
  std::string region = profile.cluster == "cluster-east" ? "us" : "eu";
  std::string out = fmt::format(
      "# Written by the csoc simulator for this run's ports. Simulated behaviour: {}\n"
      "environments:\n"
      "  - name: {}\n"
      "    hostname: {}\n"
      "    base_url: {}\n"
      "    preset: gen3\n"
      "    cluster: {}\n"
      "    namespace: {}\n"
      "    description: {}\n"
      "    labels:\n"
      "      tier: {}\n"
      "      region: {}\n"
      "    owners:\n"
      "      - {}\n"
      "    links:\n"
      "      - title: \"Portal\"\n"
      "        url: {}\n"
      "      - title: \"Runbook\"\n"
      "        url: {}\n",
      commons.behaviour, Quote(profile.name), Quote(profile.name + ".example.org"), Quote(commons.base_url),
      Quote(profile.cluster), Quote(profile.name), Quote("Simulated Gen3 commons: " + commons.behaviour),
      Quote(profile.tier), Quote(region), Quote(profile.owner), Quote(commons.base_url + "/"),
      Quote("https://wiki.example.org/runbooks/" + profile.name));
  if (profile.optional_components) {
    out +=
        "    preset_options:\n"
        "      enable: [requestor, sower]\n";
  }
  if (profile.behaviour == internal::Behaviour::kSlow) {
    // Without a latency condition a slow answer is still "up"; this makes the slowness visible.
    out +=
        "    preset_options:\n"
        "      overrides:\n"
        "        guppy:\n"
        "          degraded_conditions: [\"response_time < 500ms\"]\n"
        "        peregrine:\n"
        "          degraded_conditions: [\"response_time < 500ms\"]\n";
  }
  if (profile.tls_check) {
    auto colon = tls_endpoint.rfind(':');
    std::string host = tls_endpoint.substr(0, colon);
    if (host.size() > 1 && host.front() == '[') host = host.substr(1, host.size() - 2);
    out += fmt::format(
        "    services:\n"
        "      - name: \"certificate\"\n"
        "        critical: true\n"
        "        checks:\n"
        "          - name: \"tls\"\n"
        "            type: tls\n"
        "            host: {}\n"
        "            port: {}\n"
        "            server_name: \"localhost\"\n"
        "            verify: false\n"
        "            degraded_conditions:\n"
        "              - \"cert.days_left > 14\"\n",
        Quote(host), tls_endpoint.substr(colon + 1));
  }
  return out;
}

// The public status page of the demo: one component per commons, grouped by cluster, each following
// its environment; automatic incidents open quickly so the failing commons shows one within a minute.
std::string StatusPageYaml() {
  std::string out =
      "# The demo's public status page (/status), written by the csoc simulator.\n"
      "status_page:\n"
      "  title: \"csoc demo status\"\n"
      "  description: \"Live status of the simulated Gen3 data commons, measured by csoc.\"\n"
      "  automatic_incidents:\n"
      "    after: 20s\n"
      "  components:\n";
  for (const auto& p : internal::DemoCommons()) {
    out += fmt::format(
        "    - name: {}\n"
        "      display_name: {}\n"
        "      group: {}\n"
        "      environments: [{}]\n",
        Quote(p.name), Quote("Data commons " + p.name), Quote(p.cluster), Quote(p.name));
  }
  return out;
}

// Writes through a temporary file and a rename, so a running csoc that watches the directory never
// reads half a file.
Status WriteFileAtomically(const std::filesystem::path& path, const std::string& text) {
  std::filesystem::path tmp = path;
  tmp += ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return Status::IOError(fmt::format("cannot write {}: {}", tmp.string(), std::strerror(errno)));
    out << text;
    out.close();
    if (!out) return Status::IOError(fmt::format("cannot write {}: {}", tmp.string(), std::strerror(errno)));
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) return Status::IOError(fmt::format("cannot rename {} to {}: {}", tmp.string(), path.string(), ec.message()));
  return Status::Ok();
}

}  // namespace

Status Simulator::WriteFleetConfig(const std::filesystem::path& dir, const std::string& data_dir,
                                   std::chrono::milliseconds probe_interval) const {
  if (tls_endpoint().empty()) return Status::InvalidArgument("the simulator has no ports yet: call Start() first");
  // The configuration's own lower bound on intervals (docs/configuration.md).
  if (probe_interval < std::chrono::milliseconds(100)) {
    return Status::InvalidArgument(fmt::format("probe interval {} is shorter than 100ms, the shortest a check may have",
                                               FormatDuration(probe_interval)));
  }
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::IOError(fmt::format("cannot create {}: {}", dir.string(), ec.message()));
  Status s = WriteFileAtomically(dir / "settings.yaml", SettingsYaml(data_dir, probe_interval));
  if (s.ok()) s = WriteFileAtomically(dir / "status-page.yaml", StatusPageYaml());
  const auto& profiles = internal::DemoCommons();
  for (size_t i = 0; s.ok() && i < profiles.size(); ++i) {
    s = WriteFileAtomically(dir / (profiles[i].name + ".yaml"),
                            EnvironmentYaml(profiles[i], commons()[i], tls_endpoint()));
  }
  return s;
}

}  // namespace csoc::demo

// Loading and validating the fleet configuration: one YAML file or a directory of them (*.yaml and
// *.yml, merged in name order). The format is documented in docs/configuration.md.
//
// Loading never stops at the first problem: every error is collected with its position, so that
// `csoc check-config` can list them all. A load with any error yields no fleet.
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "fleet/model.h"

namespace csoc::config {

struct ConfigError {
  std::string file;
  int line = 0;    // 1-based; 0 when the error is about the file as a whole
  int column = 0;  // 1-based
  std::string message;
  // "file:line:column: message" (or "file: message").
  std::string ToString() const;
};

// Looks up an environment variable for ${NAME} expansion; nullopt when it is not set.
using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;
EnvLookup ProcessEnvironment();

struct LoadResult {
  std::optional<fleet::Fleet> fleet;  // set only when errors is empty
  std::vector<ConfigError> errors;
  std::vector<std::filesystem::path> files;  // the files read, in merge order
};

LoadResult LoadFleet(const std::filesystem::path& path, const EnvLookup& env = ProcessEnvironment());
// Same, from YAML text already in memory (`name` is used in messages). For tests and tools.
LoadResult LoadFleetFromString(const std::string& yaml, const std::string& name,
                               const EnvLookup& env = ProcessEnvironment());

}  // namespace csoc::config

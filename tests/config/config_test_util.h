// Helpers shared by the config tests.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "config/config.h"

namespace csoc::config::testing {

// A lookup over a fixed set of variables, so tests never depend on the real environment.
inline EnvLookup FakeEnv(std::map<std::string, std::string> vars = {}) {
  return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

inline LoadResult Load(const std::string& yaml, std::map<std::string, std::string> vars = {}) {
  return LoadFleetFromString(yaml, "fleet.yaml", FakeEnv(std::move(vars)));
}

inline std::vector<std::string> Errors(const LoadResult& r) {
  std::vector<std::string> out;
  for (const ConfigError& e : r.errors) out.push_back(e.ToString());
  return out;
}

}  // namespace csoc::config::testing

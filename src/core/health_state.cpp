#include "core/health_state.h"

namespace csoc {

std::string_view HealthName(Health h) {
  switch (h) {
    case Health::kUp: return "up";
    case Health::kUnknown: return "unknown";
    case Health::kDegraded: return "degraded";
    case Health::kDown: return "down";
  }
  return "unknown";
}

std::optional<Health> ParseHealth(std::string_view name) {
  if (name == "up") return Health::kUp;
  if (name == "unknown") return Health::kUnknown;
  if (name == "degraded") return Health::kDegraded;
  if (name == "down") return Health::kDown;
  return std::nullopt;
}

}  // namespace csoc

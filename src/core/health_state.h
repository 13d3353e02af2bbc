// The four states every check, service, environment, cluster and the fleet can be in.
#pragma once

#include <optional>
#include <string_view>

namespace csoc {

// Declared in order of increasing badness for "worst first" sorting, except that kUnknown sorts
// between up and degraded: no data is more worrying than "up" but less than known trouble.
enum class Health { kUp = 0, kUnknown = 1, kDegraded = 2, kDown = 3 };

// "up", "unknown", "degraded", "down".
std::string_view HealthName(Health h);
std::optional<Health> ParseHealth(std::string_view name);
// Larger is worse.
inline int Badness(Health h) { return static_cast<int>(h); }
inline Health Worse(Health a, Health b) { return Badness(a) >= Badness(b) ? a : b; }

}  // namespace csoc

#include "store/store.h"

namespace csoc::store {

std::string_view ResolutionName(Resolution r) {
  switch (r) {
    case Resolution::kRaw: return "raw";
    case Resolution::kMinute: return "minute";
    case Resolution::kHour: return "hour";
    case Resolution::kDay: return "day";
  }
  return "raw";
}

std::optional<Resolution> ParseResolution(std::string_view name) {
  if (name == "raw") return Resolution::kRaw;
  if (name == "minute") return Resolution::kMinute;
  if (name == "hour") return Resolution::kHour;
  if (name == "day") return Resolution::kDay;
  return std::nullopt;
}

}  // namespace csoc::store

#include "alert/alert.h"

#include <fmt/format.h>

namespace csoc::alert {

std::string_view AlertSourceName(AlertSource s) {
  switch (s) {
    case AlertSource::kRule:
      return "rule";
    case AlertSource::kPrometheus:
      return "prometheus";
    case AlertSource::kAlertmanagerWebhook:
      return "alertmanager";
  }
  return "rule";
}

uint64_t Fingerprint(const LabelSet& labels) {
  uint64_t h = 14695981039346656037ull;
  auto mix = [&h](std::string_view s) {
    for (unsigned char c : s) {
      h ^= c;
      h *= 1099511628211ull;
    }
    h ^= 0xff;  // a separator no label text contains, so ("ab","c") and ("a","bc") differ
    h *= 1099511628211ull;
  };
  for (const auto& [name, value] : labels) {
    mix(name);
    mix(value);
  }
  return h;
}

std::string FingerprintHex(uint64_t fingerprint) { return fmt::format("{:016x}", fingerprint); }

size_t Notification::FiringCount() const {
  size_t n = 0;
  for (const Alert& a : alerts) n += a.FiringAt(created) ? 1 : 0;
  return n;
}

size_t Notification::ResolvedCount() const { return alerts.size() - FiringCount(); }

}  // namespace csoc::alert

#include "statuspage/model.h"

#include <fmt/format.h>
#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <stdexcept>

namespace csoc::statuspage {

std::string NewUuid() {
  std::array<unsigned char, 16> b{};
  if (RAND_bytes(b.data(), static_cast<int>(b.size())) != 1) {
    throw std::runtime_error("the system random source failed (RAND_bytes)");
  }
  b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);  // version 4
  b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);  // RFC 4122 variant
  std::string out;
  for (size_t i = 0; i < b.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    out += fmt::format("{:02x}", b[i]);
  }
  return out;
}

bool IsUuid(std::string_view text) {
  if (text.size() != 36) return false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return false;
    } else if (!std::isxdigit(static_cast<unsigned char>(c))) {
      return false;
    }
  }
  return true;
}

bool Incident::IsMaintenance() const {
  return !affects.empty() &&
         std::all_of(affects.begin(), affects.end(), [](const Impact& i) { return i.severity == 0; });
}

bool Incident::ActiveAt(TimePoint t) const {
  if (!began_at || *began_at > t) return false;
  return !ended_at || *ended_at > t;
}

int Incident::MaxSeverity() const {
  int m = -1;
  for (const auto& i : affects) m = std::max(m, i.severity);
  return m;
}

int Incident::NextUpdateOrder() const {
  int next = 0;
  for (const auto& u : updates) next = std::max(next, u.order + 1);
  return next;
}

}  // namespace csoc::statuspage

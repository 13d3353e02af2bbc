#include "web/params.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>

#include "web/text.h"

namespace csoc::web {
namespace {

// Echoed values are cut short so that an error message stays readable.
std::string Shown(std::string_view value) {
  constexpr size_t kMax = 80;
  if (value.size() <= kMax) return std::string(value);
  return std::string(value.substr(0, kMax)) + "…";
}

}  // namespace

Status QueryParams::Parse(std::string_view query, QueryParams* out) {
  out->items_.clear();
  if (query.empty()) return Status::Ok();
  size_t pos = 0;
  while (pos <= query.size()) {
    size_t amp = query.find('&', pos);
    std::string_view part = query.substr(pos, amp == std::string_view::npos ? std::string_view::npos : amp - pos);
    pos = amp == std::string_view::npos ? query.size() + 1 : amp + 1;
    if (part.empty()) continue;
    size_t eq = part.find('=');
    std::string_view raw_name = part.substr(0, eq);
    std::string_view raw_value = eq == std::string_view::npos ? std::string_view() : part.substr(eq + 1);
    auto name = PercentDecode(raw_name);
    if (!name) return Status::InvalidArgument(fmt::format("query string: malformed %-escape in '{}'", Shown(raw_name)));
    if (name->empty())
      return Status::InvalidArgument(fmt::format("query string: empty parameter name in '{}'", Shown(part)));
    auto value = PercentDecode(raw_value);
    if (!value) {
      return Status::InvalidArgument(
          fmt::format("parameter '{}': malformed %-escape in '{}'", Shown(*name), Shown(raw_value)));
    }
    if (out->Find(*name) != nullptr) {
      return Status::InvalidArgument(fmt::format("parameter '{}' is given more than once", Shown(*name)));
    }
    out->items_.emplace_back(std::move(*name), std::move(*value));
  }
  return Status::Ok();
}

const std::string* QueryParams::Find(std::string_view name) const {
  for (const auto& [n, v] : items_) {
    if (n == name) return &v;
  }
  return nullptr;
}

Status QueryParams::OnlyAllowed(std::initializer_list<std::string_view> allowed) const {
  for (const auto& [n, v] : items_) {
    bool ok = false;
    for (auto a : allowed) ok = ok || a == n;
    if (ok) continue;
    std::string list;
    for (auto a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
    if (list.empty())
      return Status::InvalidArgument(fmt::format("unknown parameter '{}' (this path takes none)", Shown(n)));
    return Status::InvalidArgument(fmt::format("unknown parameter '{}' (expected one of: {})", Shown(n), list));
  }
  return Status::Ok();
}

// A query bound far in the future ("until 2999") means "until the end": it is held as the latest
// instant a TimePoint can hold (in 2261) instead of being refused or overflowing.
constexpr int64_t kLatestMs = 9'214'646'399'999;  // 2261-12-31T23:59:59.999Z

Status ParseTimeParam(std::string_view name, std::string_view value, TimePoint* out) {
  bool digits = !value.empty();
  for (char c : value) digits = digits && std::isdigit(static_cast<unsigned char>(c));
  if (digits) {
    int64_t ms = 0;
    auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), ms);
    // Up to year 9999: anything larger is a mistake (seconds vs. microseconds), not a time.
    if (ec == std::errc() && ptr == value.data() + value.size() && ms <= 253'402'300'799'999) {
      *out = FromUnixMillis(std::min(ms, kLatestMs));
      return Status::Ok();
    }
  } else if (auto t = ParseIso8601(value)) {
    *out = *t;
    return Status::Ok();
  } else if (value.size() > 4 && value.substr(0, 4) > "2261" &&
             std::all_of(value.begin(), value.begin() + 4,
                         [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
    // A well-formed time after 2261: the same text in a (leap) year a TimePoint holds must parse.
    std::string probe = "2000" + std::string(value.substr(4));
    if (ParseIso8601(probe)) {
      *out = FromUnixMillis(kLatestMs);
      return Status::Ok();
    }
  }
  return Status::InvalidArgument(
      fmt::format("parameter '{}': expected RFC 3339 time or unix milliseconds, got '{}'", name, Shown(value)));
}

Status ParseIntParam(std::string_view name, std::string_view value, int64_t min, int64_t max, int64_t* out) {
  int64_t v = 0;
  auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
  if (value.empty() || ec != std::errc() || ptr != value.data() + value.size() || v < min || v > max) {
    return Status::InvalidArgument(
        fmt::format("parameter '{}': expected an integer from {} to {}, got '{}'", name, min, max, Shown(value)));
  }
  *out = v;
  return Status::Ok();
}

store::Resolution DefaultResolution(std::chrono::milliseconds range) {
  if (range <= std::chrono::hours(6)) return store::Resolution::kMinute;
  if (range <= std::chrono::hours(24 * 14)) return store::Resolution::kHour;
  return store::Resolution::kDay;
}

std::chrono::milliseconds BucketWidth(store::Resolution r) {
  switch (r) {
    case store::Resolution::kRaw: return std::chrono::milliseconds(0);
    case store::Resolution::kMinute: return std::chrono::minutes(1);
    case store::Resolution::kHour: return std::chrono::hours(1);
    case store::Resolution::kDay: return std::chrono::hours(24);
  }
  return std::chrono::milliseconds(0);
}

}  // namespace csoc::web

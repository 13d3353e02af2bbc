// Wall-clock time points and human durations ("30s", "1m30s", "500ms", "7d").
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace csoc {

using Clock = std::chrono::system_clock;
using TimePoint = Clock::time_point;
using Millis = std::chrono::milliseconds;

int64_t ToUnixMillis(TimePoint t);
TimePoint FromUnixMillis(int64_t ms);
// RFC 3339 in UTC with millisecond precision: 2026-11-22T10:04:05.123Z
std::string FormatIso8601(TimePoint t);
// Accepts RFC 3339 with "Z" or a numeric offset, with or without fractional seconds. Days that do
// not exist (2026-02-30) and years outside 1678..2261 (what a TimePoint can hold) are refused.
std::optional<TimePoint> ParseIso8601(std::string_view text);

// Parses a sequence of <integer><unit> with units ms, s, m, h, d (e.g. "1h30m", "250ms").
// Returns nullopt for an empty string, a missing unit, an unknown unit or overflow.
std::optional<Millis> ParseDuration(std::string_view text);
// The shortest exact form: 90000ms -> "1m30s", 0 -> "0s".
std::string FormatDuration(Millis d);

}  // namespace csoc

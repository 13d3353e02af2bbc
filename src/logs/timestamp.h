// Fast, strict parsers for the timestamps access logs carry. Each returns false for text that is
// not exactly its format or for an impossible moment (month 13, 30 February, hour 24, a year
// outside 1970..2199), so a bad timestamp is reported as such, never read as some other time.
#pragma once

#include <cstdint>
#include <string_view>

namespace csoc::logs {

// ISO 8601 / RFC 3339 as nginx's $time_iso8601 writes it: 2024-05-01T12:34:56+00:00, also with
// "Z", a space instead of "T", and fractional seconds (kept to the millisecond).
bool ParseIsoTime(std::string_view text, int64_t* unix_ms);
// nginx's $time_local and Apache's %t: 10/Oct/2000:13:55:36 -0700
bool ParseLocalTime(std::string_view text, int64_t* unix_ms);
// nginx's $msec: seconds since the epoch with a fractional part, 1700000000.123
bool ParseEpochSeconds(std::string_view text, int64_t* unix_ms);

}  // namespace csoc::logs

#include "core/time.h"

#include <fmt/format.h>

#include <cctype>
#include <ctime>
#include <limits>

namespace csoc {

int64_t ToUnixMillis(TimePoint t) { return std::chrono::duration_cast<Millis>(t.time_since_epoch()).count(); }

TimePoint FromUnixMillis(int64_t ms) { return TimePoint(std::chrono::duration_cast<Clock::duration>(Millis(ms))); }

std::string FormatIso8601(TimePoint t) {
  int64_t ms = ToUnixMillis(t);
  int64_t secs = ms >= 0 ? ms / 1000 : (ms - 999) / 1000;
  int millis = static_cast<int>(ms - secs * 1000);
  std::time_t tt = static_cast<std::time_t>(secs);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                     tm.tm_hour, tm.tm_min, tm.tm_sec, millis);
}

namespace {

bool ReadDigits(std::string_view s, size_t& pos, size_t count, int& out) {
  if (pos + count > s.size()) return false;
  out = 0;
  for (size_t i = 0; i < count; ++i) {
    char c = s[pos + i];
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
    out = out * 10 + (c - '0');
  }
  pos += count;
  return true;
}

bool Expect(std::string_view s, size_t& pos, char c) {
  if (pos < s.size() && (s[pos] == c || std::tolower(static_cast<unsigned char>(s[pos])) == std::tolower(c))) {
    ++pos;
    return true;
  }
  return false;
}

}  // namespace

std::optional<TimePoint> ParseIso8601(std::string_view s) {
  size_t pos = 0;
  std::tm tm{};
  int year, mon, day, hour, min, sec;
  if (!ReadDigits(s, pos, 4, year) || !Expect(s, pos, '-') || !ReadDigits(s, pos, 2, mon) || !Expect(s, pos, '-') ||
      !ReadDigits(s, pos, 2, day) || !Expect(s, pos, 'T') || !ReadDigits(s, pos, 2, hour) || !Expect(s, pos, ':') ||
      !ReadDigits(s, pos, 2, min) || !Expect(s, pos, ':') || !ReadDigits(s, pos, 2, sec)) {
    return std::nullopt;
  }
  if (mon < 1 || mon > 12 || day < 1 || hour > 23 || min > 59 || sec > 60) return std::nullopt;
  // A day that does not exist (February 30th) is an error, not the next month.
  static constexpr int kDaysIn[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  if (day > kDaysIn[mon - 1] + (mon == 2 && leap ? 1 : 0)) return std::nullopt;
  // TimePoint counts nanoseconds in 64 bits: it reaches from 1677 to 2262; refuse what it cannot hold.
  if (year < 1678 || year > 2261) return std::nullopt;
  int millis = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    int digits = 0;
    while (pos < s.size() && std::isdigit(static_cast<unsigned char>(s[pos]))) {
      if (digits < 3) millis = millis * 10 + (s[pos] - '0');
      ++digits;
      ++pos;
    }
    if (digits == 0) return std::nullopt;
    for (int i = digits; i < 3; ++i) millis *= 10;
  }
  int offset_minutes = 0;
  if (Expect(s, pos, 'Z')) {
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    int sign = s[pos] == '-' ? -1 : 1;
    ++pos;
    int oh, om;
    if (!ReadDigits(s, pos, 2, oh) || !Expect(s, pos, ':') || !ReadDigits(s, pos, 2, om)) return std::nullopt;
    offset_minutes = sign * (oh * 60 + om);
  } else {
    return std::nullopt;
  }
  if (pos != s.size()) return std::nullopt;
  tm.tm_year = year - 1900;
  tm.tm_mon = mon - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = min;
  tm.tm_sec = sec;
  int64_t secs = static_cast<int64_t>(timegm(&tm)) - int64_t{offset_minutes} * 60;
  return FromUnixMillis(secs * 1000 + millis);
}

std::optional<Millis> ParseDuration(std::string_view text) {
  if (text.empty()) return std::nullopt;
  int64_t total = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    if (!std::isdigit(static_cast<unsigned char>(text[pos]))) return std::nullopt;
    int64_t value = 0;
    while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos]))) {
      if (value > std::numeric_limits<int64_t>::max() / 10 - 10) return std::nullopt;
      value = value * 10 + (text[pos] - '0');
      ++pos;
    }
    int64_t unit;
    if (text.substr(pos, 2) == "ms") {
      unit = 1;
      pos += 2;
    } else if (pos < text.size() && text[pos] == 's') {
      unit = 1000;
      ++pos;
    } else if (pos < text.size() && text[pos] == 'm') {
      unit = 60'000;
      ++pos;
    } else if (pos < text.size() && text[pos] == 'h') {
      unit = 3'600'000;
      ++pos;
    } else if (pos < text.size() && text[pos] == 'd') {
      unit = 86'400'000;
      ++pos;
    } else {
      return std::nullopt;
    }
    if (value > (std::numeric_limits<int64_t>::max() - total) / unit) return std::nullopt;
    total += value * unit;
  }
  return Millis(total);
}

std::string FormatDuration(Millis d) {
  int64_t ms = d.count();
  if (ms == 0) return "0s";
  std::string out;
  if (ms < 0) {
    out = "-";
    ms = -ms;
  }
  static constexpr std::pair<int64_t, const char*> kUnits[] = {
      {86'400'000, "d"}, {3'600'000, "h"}, {60'000, "m"}, {1000, "s"}, {1, "ms"}};
  for (auto [size, name] : kUnits) {
    if (ms >= size) {
      out += fmt::format("{}{}", ms / size, name);
      ms %= size;
    }
  }
  return out;
}

}  // namespace csoc

#include "logs/timestamp.h"

namespace csoc::logs {
namespace {

constexpr int kMinYear = 1970;
constexpr int kMaxYear = 2199;

bool IsLeap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int DaysInMonth(int y, int m) {
  static constexpr int kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeap(y) ? 29 : kDays[m - 1];
}

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant, "chrono-Compatible Low-Level
// Date Algorithms", days_from_civil).
int64_t DaysFromCivil(int y, int m, int d) {
  y -= m <= 2;
  const int era = y / 400;
  const int yoe = y - era * 400;
  const int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return static_cast<int64_t>(era) * 146097 + doe - 719468;
}

// Reads exactly n decimal digits at text[pos..]; false if any is not a digit.
bool Digits(std::string_view text, size_t pos, size_t n, int* out) {
  if (pos + n > text.size()) return false;
  int v = 0;
  for (size_t i = 0; i < n; ++i) {
    const char c = text[pos + i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  *out = v;
  return true;
}

bool Compose(int y, int mo, int d, int h, int mi, int s, int millis, int offset_minutes,
             int64_t* unix_ms) {
  if (y < kMinYear || y > kMaxYear || mo < 1 || mo > 12 || d < 1 || d > DaysInMonth(y, mo) ||
      h > 23 || mi > 59 || s > 60) {
    return false;
  }
  if (s == 60) s = 59;  // a leap second is counted in the minute it belongs to
  const int64_t secs = DaysFromCivil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s -
                       static_cast<int64_t>(offset_minutes) * 60;
  *unix_ms = secs * 1000 + millis;
  return true;
}

// "+HH:MM", "+HHMM" or "Z" at text[pos..] to the end.
bool Offset(std::string_view text, size_t pos, int* minutes) {
  if (pos == text.size()) return false;
  if (text[pos] == 'Z' || text[pos] == 'z') {
    *minutes = 0;
    return pos + 1 == text.size();
  }
  if (text[pos] != '+' && text[pos] != '-') return false;
  const int sign = text[pos] == '-' ? -1 : 1;
  int hh = 0, mm = 0;
  if (!Digits(text, pos + 1, 2, &hh)) return false;
  size_t p = pos + 3;
  if (p < text.size() && text[p] == ':') ++p;
  if (!Digits(text, p, 2, &mm) || p + 2 != text.size() || hh > 23 || mm > 59) return false;
  *minutes = sign * (hh * 60 + mm);
  return true;
}

// ".123456" at text[*pos..]: advances past it and returns the milliseconds.
int Fraction(std::string_view text, size_t* pos) {
  if (*pos >= text.size() || (text[*pos] != '.' && text[*pos] != ',')) return 0;
  size_t p = *pos + 1;
  int millis = 0, scale = 100;
  while (p < text.size() && text[p] >= '0' && text[p] <= '9') {
    millis += (text[p] - '0') * scale;
    scale /= 10;
    ++p;
  }
  *pos = p;
  return millis;
}

int MonthFromName(std::string_view m) {
  static constexpr std::string_view kNames[12] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  for (int i = 0; i < 12; ++i) {
    if (m == kNames[i]) return i + 1;
  }
  return 0;
}

}  // namespace

bool ParseIsoTime(std::string_view t, int64_t* unix_ms) {
  int y, mo, d, h, mi, s;
  if (!Digits(t, 0, 4, &y) || t.size() < 19 || t[4] != '-' || !Digits(t, 5, 2, &mo) ||
      t[7] != '-' || !Digits(t, 8, 2, &d) || (t[10] != 'T' && t[10] != ' ') ||
      !Digits(t, 11, 2, &h) || t[13] != ':' || !Digits(t, 14, 2, &mi) || t[16] != ':' ||
      !Digits(t, 17, 2, &s)) {
    return false;
  }
  size_t pos = 19;
  const int millis = Fraction(t, &pos);
  int offset = 0;
  if (!Offset(t, pos, &offset)) return false;
  return Compose(y, mo, d, h, mi, s, millis, offset, unix_ms);
}

bool ParseLocalTime(std::string_view t, int64_t* unix_ms) {
  // 10/Oct/2000:13:55:36 -0700
  int d, y, h, mi, s;
  if (t.size() < 26 || !Digits(t, 0, 2, &d) || t[2] != '/' || t[6] != '/' ||
      !Digits(t, 7, 4, &y) || t[11] != ':' || !Digits(t, 12, 2, &h) || t[14] != ':' ||
      !Digits(t, 15, 2, &mi) || t[17] != ':' || !Digits(t, 18, 2, &s) || t[20] != ' ') {
    return false;
  }
  const int mo = MonthFromName(t.substr(3, 3));
  int offset = 0;
  if (mo == 0 || !Offset(t, 21, &offset)) return false;
  return Compose(y, mo, d, h, mi, s, 0, offset, unix_ms);
}

bool ParseEpochSeconds(std::string_view t, int64_t* unix_ms) {
  size_t pos = 0;
  int64_t secs = 0;
  while (pos < t.size() && t[pos] >= '0' && t[pos] <= '9' && pos < 12) {
    secs = secs * 10 + (t[pos] - '0');
    ++pos;
  }
  if (pos == 0) return false;
  const int millis = Fraction(t, &pos);
  if (pos != t.size()) return false;
  // Same range as the calendar forms: 1970 .. end of 2199.
  if (secs > DaysFromCivil(kMaxYear + 1, 1, 1) * 86400) return false;
  *unix_ms = secs * 1000 + millis;
  return true;
}

}  // namespace csoc::logs

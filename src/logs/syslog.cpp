#include "logs/syslog.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>
#include <optional>

#include "core/time.h"

namespace csoc::logs {
namespace {

constexpr int64_t kDayMs = 86'400'000;
constexpr std::string_view kBom = "\xEF\xBB\xBF";

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
// RFC 5424's PRINTUSASCII: the characters a header field may hold.
bool IsPrint(char c) { return c >= 33 && c <= 126; }

Status Malformed(std::string_view part, std::string_view what) {
  return Status::InvalidArgument(fmt::format("{}: {}", part, what));
}

std::string_view TrimNewline(std::string_view s) {
  if (!s.empty() && s.back() == '\n') s.remove_suffix(1);
  if (!s.empty() && s.back() == '\r') s.remove_suffix(1);
  return s;
}

// Reads a two-digit number at d[pos] (a leading space allowed when `space_pad`) in [lo, hi].
std::optional<int> TwoDigits(std::string_view d, size_t pos, int lo, int hi, bool space_pad = false) {
  if (pos + 2 > d.size() || !IsDigit(d[pos + 1])) return std::nullopt;
  int tens;
  if (IsDigit(d[pos])) {
    tens = d[pos] - '0';
  } else if (space_pad && d[pos] == ' ') {
    tens = 0;
  } else {
    return std::nullopt;
  }
  int v = tens * 10 + (d[pos + 1] - '0');
  if (v < lo || v > hi) return std::nullopt;
  return v;
}

// Unix milliseconds of a UTC civil time; nullopt for a day the month does not have.
std::optional<int64_t> CivilToUnixMs(int year, int month, int day, int hour, int minute, int second) {
  using namespace std::chrono;
  year_month_day date{std::chrono::year(year), std::chrono::month(static_cast<unsigned>(month)),
                      std::chrono::day(static_cast<unsigned>(day))};
  if (!date.ok()) return std::nullopt;
  milliseconds since_epoch = sys_days(date).time_since_epoch() + hours(hour) + minutes(minute) + seconds(second);
  return since_epoch.count();
}

// "Mmm dd hh:mm:ss" (15 bytes) at the start of `d`.
Status Parse3164Timestamp(std::string_view d, int64_t now_unix_ms, int64_t* out) {
  static constexpr std::array<std::string_view, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                               "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  constexpr std::string_view kPart = "RFC 3164 timestamp";
  if (d.size() < 15) return Malformed(kPart, "expected \"Mmm dd hh:mm:ss\" after PRI");
  auto month = std::find(kMonths.begin(), kMonths.end(), d.substr(0, 3));
  if (month == kMonths.end()) {
    return Malformed(kPart, fmt::format("\"{}\" is not a month (Jan..Dec)", d.substr(0, 3)));
  }
  auto day = TwoDigits(d, 4, 1, 31, /*space_pad=*/true);
  auto hour = TwoDigits(d, 7, 0, 23);
  auto minute = TwoDigits(d, 10, 0, 59);
  auto second = TwoDigits(d, 13, 0, 60);  // 60: a leap second
  if (d[3] != ' ' || d[6] != ' ' || d[9] != ':' || d[12] != ':' || !day || !hour || !minute || !second) {
    return Malformed(kPart, fmt::format("\"{}\" is not \"Mmm dd hh:mm:ss\"", d.substr(0, 15)));
  }
  int m = static_cast<int>(month - kMonths.begin()) + 1;
  using namespace std::chrono;
  int this_year =
      static_cast<int>(year_month_day(floor<days>(sys_time<milliseconds>(milliseconds(now_unix_ms)))).year());
  // The year is not sent: this year's date unless that is more than a day ahead (clocks differ by
  // less than that), in which case the message is from last year's end.
  std::optional<int64_t> t = CivilToUnixMs(this_year, m, *day, *hour, *minute, *second);
  if (!t || *t > now_unix_ms + kDayMs) t = CivilToUnixMs(this_year - 1, m, *day, *hour, *minute, *second);
  if (!t) {
    return Malformed(kPart,
                     fmt::format("{} {} is not a day of {} or {}", d.substr(0, 3), *day, this_year, this_year - 1));
  }
  *out = *t;
  return Status::Ok();
}

// An RFC 3164 TAG as a whole token: "nginx:" or "sshd[123]:". Returns the name without the pid.
std::optional<std::string_view> TagName(std::string_view token) {
  if (token.size() < 2 || token.back() != ':') return std::nullopt;
  token.remove_suffix(1);
  if (token.back() == ']') {
    size_t open = token.find('[');
    if (open == std::string_view::npos) return std::nullopt;
    token = token.substr(0, open);
  }
  if (token.empty()) return std::nullopt;
  return token;
}

// "<PRI>Mmm dd hh:mm:ss [HOSTNAME ]TAG: MSG", `d` starting after PRI.
Status Parse3164(std::string_view d, int64_t now_unix_ms, SyslogMessage* out) {
  CSOC_RETURN_IF_ERROR(Parse3164Timestamp(d, now_unix_ms, &out->unix_ms));
  if (d.size() < 17 || d[15] != ' ' || d[16] == ' ') {
    return Malformed("RFC 3164 header", "expected one space and a HOSTNAME or TAG after the timestamp");
  }
  std::string_view rest = d.substr(16);
  auto next_token = [&rest] {
    size_t end = std::min(rest.find(' '), rest.size());
    std::string_view token = rest.substr(0, end);
    rest.remove_prefix(std::min(end + 1, rest.size()));
    return token;
  };
  std::string_view first = next_token();
  // With `nohostname` nginx writes the TAG straight after the timestamp; a host name or IPv4
  // address never ends with ':', so a first token that does is the TAG.
  if (auto tag = TagName(first)) {
    out->app_name = *tag;
  } else {
    out->hostname = first;
    std::string_view before_tag = rest;
    if (auto tag2 = TagName(next_token())) {
      out->app_name = *tag2;
    } else {
      rest = before_tag;  // no TAG: the message starts right after the host name
    }
  }
  out->msg = TrimNewline(rest);
  return Status::Ok();
}

// Reads one RFC 5424 header field and the space after it; "-" (NILVALUE) reads as empty.
Status Field5424(std::string_view d, size_t& pos, std::string_view name, size_t max_len, std::string_view* out) {
  size_t start = pos;
  while (pos < d.size() && IsPrint(d[pos])) ++pos;
  size_t len = pos - start;
  if (len == 0) return Malformed(fmt::format("RFC 5424 {}", name), "missing");
  if (len > max_len) {
    return Malformed(fmt::format("RFC 5424 {}", name), fmt::format("longer than {} characters", max_len));
  }
  if (pos >= d.size() || d[pos] != ' ') {
    return Malformed(fmt::format("RFC 5424 {}", name), "expected a space after it");
  }
  *out = d.substr(start, len);
  if (*out == "-") *out = {};
  ++pos;
  return Status::Ok();
}

// STRUCTURED-DATA: "-" or one or more [SD-ID *(SP PARAM-NAME="PARAM-VALUE")]. Checked, not kept.
Status SkipStructuredData(std::string_view d, size_t& pos) {
  constexpr std::string_view kPart = "RFC 5424 STRUCTURED-DATA";
  if (pos < d.size() && d[pos] == '-') {
    ++pos;
    return Status::Ok();
  }
  if (pos >= d.size() || d[pos] != '[') return Malformed(kPart, "expected '-' or '['");
  // SD-NAME: 1 to 32 printable characters other than '=', ' ', ']' and '"'.
  auto sd_name = [&d, &pos](std::string_view what) -> Status {
    size_t start = pos;
    while (pos < d.size() && IsPrint(d[pos]) && d[pos] != '=' && d[pos] != ']' && d[pos] != '"') ++pos;
    if (pos == start || pos - start > 32) return Malformed(kPart, fmt::format("{} must be 1 to 32 characters", what));
    return Status::Ok();
  };
  while (pos < d.size() && d[pos] == '[') {
    ++pos;
    CSOC_RETURN_IF_ERROR(sd_name("SD-ID"));
    while (pos < d.size() && d[pos] == ' ') {
      ++pos;
      CSOC_RETURN_IF_ERROR(sd_name("PARAM-NAME"));
      if (d.substr(pos, 2) != "=\"") return Malformed(kPart, "expected =\"value\" after a PARAM-NAME");
      pos += 2;
      // PARAM-VALUE: '"', '\' and ']' are escaped with '\'.
      while (pos < d.size() && d[pos] != '"') pos += d[pos] == '\\' ? 2 : 1;
      if (pos >= d.size()) return Malformed(kPart, "a PARAM-VALUE is not closed with '\"'");
      ++pos;
    }
    if (pos >= d.size() || d[pos] != ']') return Malformed(kPart, "expected ' ' or ']' in an SD-ELEMENT");
    ++pos;
  }
  return Status::Ok();
}

// "1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID STRUCTURED-DATA[ MSG]", `d` starting at VERSION.
Status Parse5424(std::string_view d, SyslogMessage* out) {
  if (d.substr(0, 2) != "1 ") {
    return Malformed("RFC 5424 VERSION", "only version 1 is supported, followed by a space");
  }
  size_t pos = 2;
  std::string_view timestamp, hostname, app_name, procid, msgid;
  CSOC_RETURN_IF_ERROR(Field5424(d, pos, "TIMESTAMP", 64, &timestamp));
  CSOC_RETURN_IF_ERROR(Field5424(d, pos, "HOSTNAME", 255, &hostname));
  CSOC_RETURN_IF_ERROR(Field5424(d, pos, "APP-NAME", 48, &app_name));
  CSOC_RETURN_IF_ERROR(Field5424(d, pos, "PROCID", 128, &procid));
  CSOC_RETURN_IF_ERROR(Field5424(d, pos, "MSGID", 32, &msgid));
  CSOC_RETURN_IF_ERROR(SkipStructuredData(d, pos));
  if (!timestamp.empty()) {
    auto t = ParseIso8601(timestamp);
    if (!t) return Malformed("RFC 5424 TIMESTAMP", fmt::format("\"{}\" is not an RFC 3339 date-time", timestamp));
    out->unix_ms = ToUnixMillis(*t);
  }
  out->hostname = hostname;
  out->app_name = app_name;
  std::string_view msg;
  if (pos < d.size()) {
    if (d[pos] != ' ') return Malformed("RFC 5424 header", "expected a space before MSG");
    msg = d.substr(pos + 1);
    if (msg.substr(0, kBom.size()) == kBom) msg.remove_prefix(kBom.size());
  }
  out->msg = TrimNewline(msg);
  return Status::Ok();
}

}  // namespace

Status ParseSyslog(std::string_view datagram, int64_t now_unix_ms, SyslogMessage* out) {
  *out = SyslogMessage{};
  std::string_view d = datagram;
  size_t close = d.find('>');
  if (d.empty() || d[0] != '<' || close == std::string_view::npos || close < 2 || close > 4 ||
      !std::all_of(d.begin() + 1, d.begin() + close, IsDigit)) {
    return Malformed("PRI", "expected <0> to <191> at the start");
  }
  int pri = 0;
  for (size_t i = 1; i < close; ++i) pri = pri * 10 + (d[i] - '0');
  if (pri > 191) return Malformed("PRI", fmt::format("{} is above 191", pri));
  out->facility = pri / 8;
  out->severity = pri % 8;
  d.remove_prefix(close + 1);
  // RFC 5424 follows PRI with a version number; an RFC 3164 timestamp starts with a month name.
  if (!d.empty() && IsDigit(d[0])) return Parse5424(d, out);
  return Parse3164(d, now_unix_ms, out);
}

Status ParseSyslog(std::string_view datagram, SyslogMessage* out) {
  return ParseSyslog(datagram, ToUnixMillis(Clock::now()), out);
}

void SyslogStreamSplitter::Feed(std::string_view bytes, const std::function<void(std::string_view)>& on_message) {
  // More digits than this are not an octet count: 10 digits already count past any sane max_.
  constexpr size_t kMaxCountDigits = 10;
  auto emit_line = [&on_message](std::string_view line) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (!line.empty()) on_message(line);
  };
  size_t i = 0;
  while (i < bytes.size()) {
    switch (state_) {
      case State::kStart:
        if (bytes[i] == '\n' || bytes[i] == '\r') {
          ++i;  // blank lines between messages
        } else {
          buffer_.clear();
          state_ = IsDigit(bytes[i]) ? State::kCount : State::kLine;
        }
        break;
      case State::kCount: {
        char c = bytes[i];
        if (IsDigit(c) && buffer_.size() < kMaxCountDigits) {
          buffer_ += c;
          ++i;
        } else if (c == ' ' && buffer_[0] != '0') {
          ++i;
          remaining_ = std::stoull(buffer_);
          buffer_.clear();
          if (remaining_ > max_) {
            ++dropped_;
            state_ = State::kSkipFrame;
          } else {
            state_ = State::kFrame;
          }
        } else {
          state_ = State::kLine;  // not a count: the digits in buffer_ begin a '\n'-ended message
        }
        break;
      }
      case State::kFrame: {
        size_t take = static_cast<size_t>(std::min<uint64_t>(remaining_, bytes.size() - i));
        std::string_view part = bytes.substr(i, take);
        i += take;
        remaining_ -= take;
        if (remaining_ > 0) {
          buffer_.append(part);
        } else if (buffer_.empty()) {
          on_message(part);  // the whole message is in this chunk: no copy
          state_ = State::kStart;
        } else {
          buffer_.append(part);
          on_message(buffer_);
          state_ = State::kStart;
        }
        break;
      }
      case State::kSkipFrame: {
        size_t take = static_cast<size_t>(std::min<uint64_t>(remaining_, bytes.size() - i));
        i += take;
        remaining_ -= take;
        if (remaining_ == 0) state_ = State::kStart;
        break;
      }
      case State::kLine: {
        size_t newline = bytes.find('\n', i);
        size_t end = newline == std::string_view::npos ? bytes.size() : newline;
        std::string_view part = bytes.substr(i, end - i);
        i = newline == std::string_view::npos ? bytes.size() : newline + 1;
        if (buffer_.size() + part.size() > max_) {
          ++dropped_;
          buffer_.clear();
          state_ = newline == std::string_view::npos ? State::kSkipLine : State::kStart;
        } else if (newline == std::string_view::npos) {
          buffer_.append(part);
        } else if (buffer_.empty()) {
          emit_line(part);
          state_ = State::kStart;
        } else {
          buffer_.append(part);
          emit_line(buffer_);
          state_ = State::kStart;
        }
        break;
      }
      case State::kSkipLine: {
        size_t newline = bytes.find('\n', i);
        if (newline == std::string_view::npos) {
          i = bytes.size();
        } else {
          i = newline + 1;
          state_ = State::kStart;
        }
        break;
      }
    }
  }
}

}  // namespace csoc::logs

// Private to the logs area: the parser implementations behind MakeLineParser, and the checks
// every format shares.
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>

#include "core/status.h"
#include "logs/format.h"

namespace csoc::logs {

std::unique_ptr<LineParser> MakeGen3JsonParser();
Status MakeNginxParser(std::string_view log_format, std::unique_ptr<LineParser>* out);

// True when the line holds a byte no text log line has: NUL and other control characters
// except tab (DEL and bytes >= 0x80 are allowed: nginx escapes them, other writers may not).
// Eight bytes at a time: a word has a byte below 0x20 iff (w - 0x20..20) & ~w & 0x80..80 is not
// zero (the usual "has less than" test); only such a word is looked at byte by byte, for tabs.
inline bool HasControlBytes(std::string_view line) {
  constexpr uint64_t kOnes = 0x0101010101010101ull, kHigh = 0x8080808080808080ull;
  size_t i = 0;
  for (; i + 8 <= line.size(); i += 8) {
    uint64_t w;
    std::memcpy(&w, line.data() + i, 8);
    if (((w - kOnes * 0x20) & ~w & kHigh) == 0) continue;
    for (size_t j = i; j < i + 8; ++j) {
      const auto u = static_cast<unsigned char>(line[j]);
      if (u < 0x20 && u != '\t') return true;
    }
  }
  for (; i < line.size(); ++i) {
    const auto u = static_cast<unsigned char>(line[i]);
    if (u < 0x20 && u != '\t') return true;
  }
  return false;
}

// The last timestamp text and its value: consecutive lines mostly share their second, so most
// lines cost a compare instead of a parse.
class TimeCache {
 public:
  bool Parse(std::string_view text, bool (*parse)(std::string_view, int64_t*), int64_t* ms) {
    if (text.size() == text_.size() && text == text_) {
      *ms = ms_;
      return true;
    }
    if (!parse(text, ms)) return false;
    text_.assign(text);
    ms_ = *ms;
    return true;
  }

 private:
  std::string text_;
  int64_t ms_ = 0;
};

// Without trailing spaces, tabs and a carriage return (CRLF files).
inline std::string_view TrimRight(std::string_view s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// Gen3's user id "uid:<sub>,<username>" -> the username; "uid:null,unknown@unknown" and "-" ->
// anonymous (empty). Anything else is taken as the user name as it is.
inline std::string_view Gen3UserName(std::string_view id) {
  if (id.empty() || id == "-") return {};
  if (!id.starts_with("uid:")) return id;
  const size_t comma = id.find(',');
  if (comma == std::string_view::npos) return id.substr(4) == "null" ? std::string_view{} : id.substr(4);
  if (id.substr(4, comma - 4) == "null") return {};
  return id.substr(comma + 1);
}

}  // namespace csoc::logs

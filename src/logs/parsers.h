// Private to the logs area: the parser implementations behind MakeLineParser, and the checks
// every format shares.
#pragma once

#include <memory>
#include <string_view>

#include "core/status.h"
#include "logs/format.h"

namespace csoc::logs {

std::unique_ptr<LineParser> MakeGen3JsonParser();
Status MakeNginxParser(std::string_view log_format, std::unique_ptr<LineParser>* out);

// True when the line holds a byte no text log line has: NUL and other control characters
// except tab (DEL and bytes >= 0x80 are allowed: nginx escapes them, other writers may not).
inline bool HasControlBytes(std::string_view line) {
  bool bad = false;
  for (const char c : line) {
    const auto u = static_cast<unsigned char>(c);
    bad |= (u < 0x20) & (u != '\t');
  }
  return bad;
}

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

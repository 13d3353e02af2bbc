// Access-log formats and their line parsers.
//
// Three kinds of format are understood:
//   - "gen3": the Gen3 revproxy's JSON lines, written by nginx without escape=json, so quotes and
//     non-ASCII bytes arrive as \x22-style escapes that plain JSON forbids; they are accepted.
//   - "combined": the nginx/Apache combined format,
//     $remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent
//     "$http_referer" "$http_user_agent"
//   - any nginx log_format string (anything containing a '$' variable), so any nginx log works.
//
// A LineParser is not thread-safe: give each thread its own (they are cheap).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "core/status.h"
#include "logs/record.h"

namespace csoc::logs {

struct LogFormat {
  enum class Kind { kGen3Json, kCombined, kNginx };
  Kind kind = Kind::kCombined;
  std::string nginx;  // the log_format string, for kNginx (and the template behind kCombined)

  // "gen3" (also "gen3-json", "json"), "combined", or an nginx log_format string.
  static Status Parse(std::string_view spec, LogFormat* out);
  // The name for messages: "gen3", "combined" or "nginx".
  std::string_view Name() const;
};

inline constexpr std::string_view kCombinedLogFormat =
    R"($remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent )"
    R"("$http_referer" "$http_user_agent")";

class LineParser {
 public:
  virtual ~LineParser() = default;
  // Parses one line without its line terminator. On kNone, *out holds the fields (see LogRecord
  // for how long its views live); on an error *out is unspecified and the line must not be
  // counted.
  virtual ParseError Parse(std::string_view line, LogRecord* out) = 0;
};

// Builds the parser for a format. An nginx log_format string is checked here: two variables
// with nothing between them cannot be told apart, and a format without $status or without a time
// variable cannot be analysed; both are refused with a message naming the problem.
Status MakeLineParser(const LogFormat& format, std::unique_ptr<LineParser>* out);

}  // namespace csoc::logs

// One parsed access-log line, and the ways a line can fail to parse.
//
// A LogRecord holds views into the line it was parsed from (or into the parser's scratch buffer
// when a field had to be unescaped): it is valid until the next Parse call on the same parser.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace csoc::logs {

struct LogRecord {
  int64_t time_ms = 0;         // Unix milliseconds (UTC)
  int status = 0;              // HTTP status code, 100..599
  uint64_t bytes = 0;          // response body bytes
  double response_secs = -1;   // request time in seconds; negative when the format has none
  std::string_view verb;       // GET, POST, ...
  std::string_view uri;        // path with query string, as requested
  std::string_view user;       // user name; empty when anonymous
  std::string_view client_ip;  // the client's address
  std::string_view user_agent;
  std::string_view referer;
  std::string_view service;  // Gen3's proxy_service (the upstream service the revproxy chose)
};

// Why a line was not counted. Every rejected line is counted under exactly one kind.
enum class ParseError : uint8_t {
  kNone = 0,
  kTruncated,       // the line ends before the format does (a cut-off write)
  kBinary,          // control or NUL bytes, or bytes that are not UTF-8
  kBadJson,         // a JSON format line that is not JSON (beyond nginx's \xHH escapes)
  kWrongType,       // a field of the wrong type: a status that is not a number, bytes as text
  kBadTimestamp,    // a timestamp that is unreadable or impossible (month 13, 30 February)
  kTooLong,         // longer than the line length limit
  kFormatMismatch,  // the line does not follow the declared format (a literal is missing)
  kMissingField,    // a field the analysis needs (time, status, request) is absent
};
inline constexpr size_t kParseErrorKinds = 9;

// Stable names used in the API, the report and /metrics: "truncated", "binary", "bad_json", ...
std::string_view ParseErrorName(ParseError e);
inline constexpr std::array<ParseError, kParseErrorKinds - 1> kAllParseErrors = {
    ParseError::kTruncated,    ParseError::kBinary,  ParseError::kBadJson,
    ParseError::kWrongType,    ParseError::kBadTimestamp, ParseError::kTooLong,
    ParseError::kFormatMismatch, ParseError::kMissingField};

}  // namespace csoc::logs

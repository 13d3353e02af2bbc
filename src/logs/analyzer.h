// From raw bytes to counted requests: splitting into lines, parsing, and keeping account of the
// lines that could not be read. Shared by `csoc logs report` and live ingestion.
//
// Thread-compatible: each thread that parses owns its LineAnalyzer.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "logs/format.h"
#include "logs/record.h"

namespace csoc::logs {

inline constexpr size_t kDefaultMaxLineBytes = 64 * 1024;
inline constexpr size_t kSamplesPerKind = 3;  // rejected lines kept as examples, per kind
inline constexpr size_t kSampleBytes = 300;   // a kept example is cut to this length

struct ErrorSample {
  ParseError kind = ParseError::kNone;
  std::string source;  // file name, or the push or syslog source
  uint64_t line = 0;   // 1-based line number in the source (0 when the source has none)
  std::string text;    // the start of the line, with bytes that are not printable as \xHH
};

// Rejected lines, counted by kind, with the first few of each kind kept as samples.
class ErrorLog {
 public:
  void Add(ParseError kind, std::string_view source, uint64_t line, std::string_view text);
  void Merge(const ErrorLog& other);
  uint64_t count(ParseError kind) const { return counts_[static_cast<size_t>(kind)]; }
  uint64_t total() const;
  const std::vector<ErrorSample>& samples() const { return samples_; }

 private:
  std::array<uint64_t, kParseErrorKinds> counts_{};
  std::vector<ErrorSample> samples_;  // sorted by (source, line) after Merge
};

class LineAnalyzer {
 public:
  // `format` must be valid (LogFormat::Parse accepted it).
  LineAnalyzer(const LogFormat& format, size_t max_line_bytes = kDefaultMaxLineBytes);

  // Parses every line of `text` (complete lines; a last line without '\n' counts as a line).
  // Calls on_record(const LogRecord&) for each request; rejected lines go to errors(). Empty
  // lines are skipped. `first_line` is the line number of text's first line in `source`.
  template <typename OnRecord>
  void Feed(std::string_view text, std::string_view source, uint64_t first_line, OnRecord&& on_record) {
    uint64_t number = first_line;
    const char* p = text.data();
    const char* end = p + text.size();
    LogRecord record;
    while (p < end) {
      const void* nl = std::memchr(p, '\n', static_cast<size_t>(end - p));
      const char* line_end = nl ? static_cast<const char*>(nl) : end;
      const std::string_view line(p, static_cast<size_t>(line_end - p));
      p = line_end + 1;
      if (!line.empty() && !(line.size() == 1 && line[0] == '\r')) {
        ++lines_;
        const ParseError e = line.size() > max_line_ ? ParseError::kTooLong : parser_->Parse(line, &record);
        if (e == ParseError::kNone) {
          on_record(static_cast<const LogRecord&>(record));
        } else {
          errors_.Add(e, source, number, line);
        }
      }
      ++number;
    }
  }
  // Parses `line` as one line, whatever it holds (a syslog message body, a pushed or Loki entry:
  // a '\n' inside is not a line break). An empty line is skipped, as in Feed.
  template <typename OnRecord>
  void FeedLine(std::string_view line, std::string_view source, uint64_t number, OnRecord&& on_record) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) return;
    ++lines_;
    LogRecord record;
    const ParseError e = line.size() > max_line_ ? ParseError::kTooLong : parser_->Parse(line, &record);
    if (e == ParseError::kNone) {
      on_record(static_cast<const LogRecord&>(record));
    } else {
      errors_.Add(e, source, number, line);
    }
  }
  // Counts a line that was refused before it reached the parser (a malformed syslog header) under
  // `kind`.
  void AddRejected(ParseError kind, std::string_view source, uint64_t line, std::string_view text) {
    ++lines_;
    errors_.Add(kind, source, line, text);
  }
  // Counts a line the reader had to cut because it was longer than the limit.
  void AddTooLong(std::string_view source, uint64_t line, std::string_view start);

  uint64_t lines() const { return lines_; }
  ErrorLog& errors() { return errors_; }

 private:
  std::unique_ptr<LineParser> parser_;
  size_t max_line_;
  uint64_t lines_ = 0;
  ErrorLog errors_;
};

}  // namespace csoc::logs

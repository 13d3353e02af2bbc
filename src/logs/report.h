// `csoc logs report`: a one-shot analysis of log files, like GoAccess, on every core.
//
// One reader thread reads each input in turn (plain files, gzip files, or standard input given as
// "-"), cuts it into blocks of whole lines and hands them through a bounded queue (so memory
// stays bounded however fast it reads) to one parser thread per core. Each parser thread keeps
// its own Aggregate; they are merged at the end.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "core/status.h"
#include "logs/aggregate.h"
#include "logs/analyzer.h"
#include "logs/format.h"

namespace csoc::logs {

// Requests per minute, for the report's traffic chart.
struct MinutePoint {
  uint64_t requests = 0;
  uint64_t client_errors = 0;  // 4xx
  uint64_t server_errors = 0;  // 5xx
  uint64_t bytes = 0;
};

struct Report {
  Aggregate total;
  std::map<int64_t, MinutePoint> per_minute;  // key: Unix milliseconds of the minute's start
  ErrorLog errors;
  uint64_t lines = 0;       // non-empty lines read, parsed or not
  uint64_t input_bytes = 0;  // bytes of log text (after decompression)
  int64_t first_ms = 0, last_ms = 0;  // time range of the requests counted
  double seconds = 0;                 // wall time the analysis took
  std::string format;                 // the format's name
};

struct ReportProgress {
  uint64_t bytes_read = 0;   // of the inputs as stored (compressed bytes for gzip files)
  uint64_t bytes_total = 0;  // 0 when unknown (standard input)
  uint64_t lines = 0;        // lines parsed so far
  double seconds = 0;
};

struct ReportOptions {
  LogFormat format;
  unsigned threads = 0;  // parser threads; 0 = one per core
  size_t max_line_bytes = kDefaultMaxLineBytes;
  // Called about every 200 ms from the reader thread while the report runs, and once at the end.
  std::function<void(const ReportProgress&)> progress;
};

// Reads every input and builds the report. An input that cannot be opened or read, or a gzip
// file that is corrupt, stops the report with an error naming the file; bad lines do not.
Status BuildReport(const std::vector<std::string>& inputs, const ReportOptions& options, Report* out);

// The report as JSON (the `--json` output), with `top_n` rows per table.
std::string ReportJson(const Report& report, size_t top_n);

}  // namespace csoc::logs

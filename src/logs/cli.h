// The `csoc logs ...` commands: a one-shot report on log files, and the log generator.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "logs/report.h"

namespace csoc::logs {

struct ReportArgs {
  std::vector<std::string> inputs;  // files; "-" is standard input
  std::string format = "combined";
  bool json = false;
  std::string html_out;  // write an HTML report here
  unsigned threads = 0;
  size_t top = 10;
  bool progress = true;  // a progress line on standard error when it is a terminal
  // Renders the HTML report (the web area does; main wires it in).
  std::function<std::string(const Report&)> render_html;
};
// Returns the process exit code: 0, or 1 with the error on standard error.
int ReportCommand(const ReportArgs& args);

struct GenerateArgs {
  std::string format = "combined";
  uint64_t lines = 100'000;
  uint64_t seed = 1;
  double malformed = 0;
  double rate = 200;        // lines per second of simulated time
  std::string start;        // RFC 3339; default 2026-01-01T00:00:00Z
  std::string out = "-";    // file, or "-" for standard output
  std::string truth_out;    // write the true counts here as JSON
};
int GenerateCommand(const GenerateArgs& args);

}  // namespace csoc::logs

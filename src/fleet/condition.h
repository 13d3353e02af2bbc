// A condition on a probe result, written in csoc's condition grammar (docs/conditions.md):
//
//   status == 200            status in 200..299        status in (200, 301, 302)   status != 503
//   response_time < 500ms    body contains "ok"        body matches "^ready: \d+"  (RE2)
//   $.status == "UP"         $.db.latency_ms <= 20     $.items[0].name != "x"       $.ok == true
//   header[Content-Type] contains "json"                cert.days_left > 14
//   cert.valid == true       address == 10.0.0.1       address contains 10.0.0.1    connected == true
//
// Parse() checks the text fully (including compiling the regex) so that an invalid condition is a
// config error, never a runtime surprise. Evaluate() is const and thread-safe.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"
#include "fleet/probe_result.h"

namespace csoc::fleet {

class Condition {
 public:
  // On error the message names what was wrong and where in the text, e.g.
  // "unknown subject 'stauts' (expected status, response_time, body, header[NAME], $.path, ...)".
  static Status Parse(std::string_view text, Condition* out);

  // nullopt when the condition holds; otherwise a readable reason such as
  // "status 503 is not in 200..299" or "$.status is \"DOWN\", expected == \"UP\"".
  std::optional<std::string> Evaluate(const ProbeResult& result) const;

  const std::string& text() const { return text_; }

  struct Impl;  // the parsed form; private to condition.cpp

 private:
  std::string text_;
  std::shared_ptr<const Impl> impl_;
};

}  // namespace csoc::fleet

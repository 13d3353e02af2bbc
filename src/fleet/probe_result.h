// What one probe observed. Produced by probe/, judged by health/, summarised by store/.
// A plain value type.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/time.h"

namespace csoc::fleet {

struct ProbeResult {
  TimePoint started;
  // Time from the start of the probe to its end (for HTTP: the whole response read).
  std::chrono::microseconds latency{0};
  // The transport worked: an HTTP response arrived, a TCP connection or TLS handshake completed,
  // a DNS answer arrived. When false, `error` says why ("connection refused", "timed out after 5s").
  bool connected = false;
  std::string error;

  // HTTP
  int status_code = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased, in arrival order
  std::string body;                                          // capped at kMaxBody bytes
  bool body_truncated = false;
  std::string effective_url;  // after redirects, when they are followed

  // TLS (TLS checks, and HTTPS checks when the certificate could be read)
  std::optional<int> cert_days_left;  // whole days until notAfter of the leaf; negative once expired
  std::optional<bool> cert_chain_valid;
  std::string cert_error;  // why the chain did not verify, when it did not
  std::string cert_subject;
  std::optional<TimePoint> cert_not_after;

  // DNS
  std::vector<std::string> addresses;  // textual addresses or record values, in answer order

  static constexpr size_t kMaxBody = 64 * 1024;
};

}  // namespace csoc::fleet

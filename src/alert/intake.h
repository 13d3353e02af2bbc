// The door through which alerts from outside enter csoc's alerting (the Alertmanager v2 API's
// POST /api/v2/alerts from Prometheus, an Alertmanager's webhook), and the read side the API and
// the dashboard list alerts from. The alerting engine implements it; web routes only see this.
//
// Threading: every method may be called from any thread.
#pragma once

#include <string>
#include <vector>

#include "alert/alert.h"
#include "core/status.h"

namespace csoc::alert {

// One alert as the engine sees it now (the Alertmanager v2 API's gettableAlert).
struct AlertStatus {
  Alert alert;
  uint64_t fingerprint = 0;
  // "active", "suppressed" (silenced, inhibited or under maintenance) or "unprocessed".
  std::string state;
  std::vector<std::string> silenced_by;   // silence ids
  std::vector<std::string> inhibited_by;  // fingerprints (hex) of the alerts that inhibit it
  std::vector<std::string> receivers;     // receiver names its route leads to
  TimePoint updated_at{};
};

class AlertIntake {
 public:
  virtual ~AlertIntake() = default;
  // Takes alerts sent from outside. An alert with no end fires until it is sent again with an end,
  // or until `resolve_timeout` (settings) passes without it being sent again, as Alertmanager does.
  // Refuses (InvalidArgument, naming the alert by index and what is wrong) a batch with an alert
  // that has no labels, no alertname, an invalid label name, or an end before its start; then
  // nothing of the batch is taken.
  virtual Status Receive(std::vector<Alert> alerts, TimePoint now) = 0;
  // Every alert known now (csoc's own and received), firing ones and those resolved less than
  // `resolve_timeout` ago.
  virtual std::vector<AlertStatus> Alerts(TimePoint now) const = 0;
};

}  // namespace csoc::alert

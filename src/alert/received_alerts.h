// The alerts csoc has received from outside (Prometheus through the Alertmanager v2 API), kept in
// memory by fingerprint: the smallest AlertIntake, so that the API works end to end before the
// alerting engine (which will route, group and notify them) takes its place behind the same
// interface. It resolves alerts as Alertmanager does: by the end they are sent with, or, when they
// have none, `resolve_timeout` after they were last sent. It does not route (an alert lists no
// receivers) or inhibit; silences, when given, mark the alerts they mute as suppressed.
//
// Threading: thread-safe (one internal lock); Receive and Alerts may be called from any thread.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <vector>

#include "alert/intake.h"
#include "alert/silence.h"

namespace csoc::alert {

// Checks an alert as Receive does (InvalidArgument saying what is wrong, without the index):
// labels present with an `alertname`, valid label names, an end not before the start.
Status ValidateReceivedAlert(const Alert& a);

class ReceivedAlerts : public AlertIntake {
 public:
  struct Options {
    // How long an alert sent without an end keeps firing after it was last sent (Alertmanager's
    // resolve_timeout); also how long a resolved alert stays listed.
    std::chrono::milliseconds resolve_timeout = std::chrono::minutes(5);
  };

  // `silences` may be null (nothing is suppressed); it must outlive this object.
  explicit ReceivedAlerts(Options options, const Silences* silences = nullptr);

  // Alerts without a start start at their end, or now; alerts without an end end
  // `resolve_timeout` from now. An alert with the fingerprint of one still known is merged into it:
  // it keeps the earlier start, and takes the new end, annotations and generator URL.
  Status Receive(std::vector<Alert> alerts, TimePoint now) override;
  // Sorted by fingerprint.
  std::vector<AlertStatus> Alerts(TimePoint now) const override;

 private:
  struct Entry {
    Alert alert;
    TimePoint updated_at;
  };
  bool Listed(const Entry& e, TimePoint now) const { return e.alert.ends_at + options_.resolve_timeout > now; }

  Options options_;
  const Silences* silences_;
  mutable std::mutex mu_;
  std::map<uint64_t, Entry> alerts_;  // by fingerprint
};

}  // namespace csoc::alert

// The alerting model shared by every stage of the notification path (docs/alerting.md): an alert
// is a set of labels (its identity) with annotations and a time span, as in Prometheus and
// Alertmanager; a notification is what one receiver is sent for one group of alerts at one moment.
// Rules (csoc's own alerts), the Alertmanager v2 API (alerts Prometheus sends), silences,
// grouping, the outbox and the receivers all speak these types.
//
// Threading: plain values; no shared state.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/time.h"

namespace csoc::alert {

// Label name → value. Ordered, so equal sets compare and hash alike.
using LabelSet = std::map<std::string, std::string>;

// Where an alert came from.
enum class AlertSource { kRule, kPrometheus, kAlertmanagerWebhook };
std::string_view AlertSourceName(AlertSource s);  // "rule", "prometheus", "alertmanager"

struct Alert {
  // `alertname` always; csoc's rules add `severity` and the fleet object's labels (`environment`,
  // `cluster`, `service`, `check`, the environment's own labels).
  LabelSet labels;
  // `summary`, `description`, `runbook_url`, `dashboard_url`, ... (rendered templates).
  LabelSet annotations;
  TimePoint starts_at{};
  TimePoint ends_at{};  // zero: still firing (no end known)
  std::string generator_url;
  AlertSource source = AlertSource::kRule;

  // Firing at `now`: no end, or an end in the future (Prometheus sends an end a few minutes ahead
  // and refreshes it while the alert fires).
  bool FiringAt(TimePoint now) const { return ends_at == TimePoint{} || ends_at > now; }
};

// A stable 64-bit identity of a label set (FNV-1a over name/value pairs, in order), shown as 16 hex
// digits: the same labels always give the same fingerprint, in every run.
uint64_t Fingerprint(const LabelSet& labels);
std::string FingerprintHex(uint64_t fingerprint);

// What one receiver is sent about one group of alerts at one moment. Built by the dispatcher,
// stored in the outbox, rendered by the receiver.
struct Notification {
  // The idempotency key: unique per (receiver, group, moment); a receiver sees it (webhook header
  // and body, e-mail Message-ID) so a duplicate delivery after a crash can be recognised.
  std::string id;
  std::string receiver;   // the receiver's name in the config
  std::string group_key;  // route path + group labels, stable across restarts
  LabelSet group_labels;  // the values of the route's group_by labels
  LabelSet common_labels;       // labels every alert of the group shares
  LabelSet common_annotations;  // annotations every alert of the group shares
  bool firing = true;           // any alert of the group still firing ("firing" / "resolved")
  std::vector<Alert> alerts;    // the group's alerts: firing ones, then resolved ones
  // Alerts held back because a parent (the environment or cluster they run in) is down: listed in
  // the parent's message instead of notified on their own.
  std::vector<Alert> inhibited;
  std::string external_url;  // csoc's own address, for links (settings.external_url)
  TimePoint created{};
  bool test = false;  // a test-send from the CLI or the dashboard

  // Alerts firing / resolved as of `created`.
  size_t FiringCount() const;
  size_t ResolvedCount() const;
};

}  // namespace csoc::alert

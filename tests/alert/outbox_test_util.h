// Notifications for the outbox tests.
#pragma once

#include <string>

#include "alert/alert.h"
#include "core/time.h"

namespace csoc::alert::testing {

// A fixed moment with whole milliseconds, as the store keeps them.
inline TimePoint T0() { return FromUnixMillis(1'800'000'000'000); }

inline Alert MakeAlert(const std::string& name, TimePoint starts_at, TimePoint ends_at = {}) {
  Alert a;
  a.labels = {{"alertname", name}, {"severity", "critical"}, {"service", "api"}};
  a.annotations = {{"summary", name + " is broken"}, {"runbook_url", "https://runbooks.example/" + name}};
  a.starts_at = starts_at;
  a.ends_at = ends_at;
  a.generator_url = "https://csoc.example/checks/" + name;
  a.source = AlertSource::kPrometheus;
  return a;
}

inline Notification MakeNotification(const std::string& id, const std::string& receiver, const std::string& group_key,
                                     TimePoint created) {
  Notification n;
  n.id = id;
  n.receiver = receiver;
  n.group_key = group_key;
  n.group_labels = {{"service", "api"}};
  n.common_labels = {{"service", "api"}, {"severity", "critical"}};
  n.common_annotations = {{"summary", "api is broken"}};
  n.firing = true;
  n.alerts = {MakeAlert("ApiDown", created - std::chrono::minutes(5))};
  n.external_url = "https://csoc.example";
  n.created = created;
  return n;
}

}  // namespace csoc::alert::testing

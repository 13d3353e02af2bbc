// Notifications the receiver tests render and send: a firing group of two alerts with one
// inhibited child, and the same group resolved. Times are fixed so payloads can be pinned.
//
// Threading: plain values.
#pragma once

#include <chrono>

#include "alert/alert.h"
#include "core/time.h"

namespace csoc::alert::testing {

// 2025-12-02T18:26:40Z
inline TimePoint Created() { return FromUnixMillis(1764700000000); }

inline Notification FiringGroup() {
  using std::chrono::minutes;
  Notification n;
  n.id = "01JDX7Q8Z3-oncall-7f3a";
  n.receiver = "oncall";
  n.group_key = "{}:{alertname=\"CheckFailing\", environment=\"prod\"}";
  n.group_labels = {{"alertname", "CheckFailing"}, {"environment", "prod"}};
  n.common_labels = {{"alertname", "CheckFailing"}, {"environment", "prod"}, {"severity", "critical"}};
  n.common_annotations = {{"runbook_url", "https://runbooks.example.org/check-failing"}};
  n.firing = true;
  n.created = Created();
  n.external_url = "https://csoc.example.org";

  Alert api;
  api.labels = {{"alertname", "CheckFailing"},
                {"environment", "prod"},
                {"cluster", "eu-1"},
                {"service", "api"},
                {"severity", "critical"}};
  api.annotations = {{"summary", "API health check failing"},
                     {"description", "HTTP 503 from /health: <b>upstream</b> & \"db\" down"},
                     {"dashboard_url", "https://csoc.example.org/d/api?env=prod&x=1"},
                     {"runbook_url", "https://runbooks.example.org/check-failing"}};
  api.starts_at = Created() - minutes(5);
  api.generator_url = "https://csoc.example.org/checks/api";

  Alert web;
  web.labels = {{"alertname", "CheckFailing"},
                {"environment", "prod"},
                {"cluster", "eu-2"},
                {"service", "web"},
                {"severity", "critical"}};
  web.annotations = {{"summary", "Web check failing — 3/3 probes"},
                     {"runbook_url", "https://runbooks.example.org/check-failing"}};
  web.starts_at = Created() - minutes(3);
  web.generator_url = "javascript:alert(1)";  // not http(s): never rendered as a link

  Alert db;
  db.labels = {{"alertname", "CheckFailing"},
               {"environment", "prod"},
               {"cluster", "eu-1"},
               {"service", "db"},
               {"severity", "warning"}};
  db.annotations = {{"summary", "DB check failing"}};
  db.starts_at = Created() - minutes(4);

  n.alerts = {api, web};
  n.inhibited = {db};
  return n;
}

inline Notification ResolvedGroup() {
  Notification n = FiringGroup();
  n.id = "01JDX9K2M1-oncall-7f3a";
  n.firing = false;
  n.inhibited.clear();
  n.created = Created() + std::chrono::minutes(10);
  n.alerts[0].ends_at = Created() + std::chrono::minutes(8);
  n.alerts[1].ends_at = Created() + std::chrono::minutes(9);
  return n;
}

}  // namespace csoc::alert::testing

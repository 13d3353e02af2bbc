// The `alerting:` section of the fleet configuration as the config loader resolved it
// (docs/alerting.md): receivers, the routing tree, rules on what csoc monitors, and timing. Plain
// values: the alert area builds receivers, routes and rules from them; a reload builds new ones.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <variant>
#include <vector>

namespace csoc::fleet {

// A receiver option's value, of the kind its receiver type declares (alert/receiver.h).
using ReceiverOption = std::variant<std::string, bool, int64_t, std::vector<std::string>, std::map<std::string, std::string>>;

struct ReceiverSettings {
  std::string name;
  std::string type;  // "slack", "webhook", "email", "matrix", "teams"
  bool send_resolved = true;
  std::map<std::string, ReceiverOption> options;  // only keys that were given; secrets already read
};

// A node of the routing tree (Alertmanager's route): alerts whose labels match every matcher go to
// this node's receiver, or to the first matching child (every matching child when `continue` is set
// on it). Unset timings and grouping are inherited from the parent.
struct RouteSettings {
  std::vector<std::string> matchers;  // Alertmanager matcher syntax: name="v", name=~"re", !=, !~
  std::string receiver;               // empty: the parent's
  std::vector<std::string> group_by;  // ["..."]: every label (no grouping)
  bool group_by_set = false;
  std::chrono::milliseconds group_wait{-1}, group_interval{-1}, repeat_interval{-1};  // -1: inherited
  bool continue_matching = false;
  std::vector<RouteSettings> routes;
};

// What a rule watches.
enum class RuleTarget { kCheck, kService, kEnvironment, kCluster, kCertificate };

// One alert rule on csoc's own view of the fleet: fires for each object of `target` kind (matching
// `select`) that is down (or degraded, with state: degraded) for at least `for_duration`, or, for
// certificates, whose days left are below `days_left`.
struct AlertRule {
  std::string name;  // the alert's `alertname`
  RuleTarget target = RuleTarget::kEnvironment;
  bool degraded = false;  // state: degraded (degraded or down) instead of down
  int days_left = 0;      // kCertificate
  std::chrono::milliseconds for_duration{0};
  // Once firing, it stays firing until the object has been fine for this long (against flapping).
  std::chrono::milliseconds keep_firing_for{0};
  std::vector<std::string> select;  // matchers on the object's labels; empty: every object
  std::string severity = "warning";
  std::map<std::string, std::string> labels;       // extra labels
  std::map<std::string, std::string> annotations;  // summary, description, runbook_url, ...: templates
  std::string source_file;
};

struct AlertingSettings {
  bool enabled = false;  // the section is present
  std::string external_url;  // csoc's address for links in notifications; empty: none
  // A received alert that is not sent again for this long resolves (as in Alertmanager).
  std::chrono::milliseconds resolve_timeout = std::chrono::minutes(5);
  std::vector<ReceiverSettings> receivers;
  RouteSettings route;  // the root: receiver required, every timing set
  std::vector<AlertRule> rules;
  bool rules_set = false;  // false: the default rules (docs/alerting.md)
};

}  // namespace csoc::fleet

// Turning probe results into states: the verdict of one result, the per-check state machine that
// damps flapping, and the rollup from checks to services, environments, clusters and the fleet.
// Pure logic, no I/O; thread-compatible.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/health_state.h"
#include "core/time.h"
#include "fleet/model.h"
#include "fleet/probe_result.h"

namespace csoc::health {

struct Verdict {
  Health health = Health::kUnknown;  // up, degraded or down
  // Why it is not up: the transport error, or one reason per failing condition. Empty when up.
  std::vector<std::string> reasons;
};

// Transport failure → down with the error as reason; a failing `conditions` entry → down; else a
// failing `degraded_conditions` entry → degraded; else up. Every condition of the deciding list is
// evaluated, so `reasons` names all that failed. HTTP checks without conditions use the
// default `status in 200..399`; TLS checks without conditions use `cert.valid == true` (only when
// the spec verifies) and `cert.days_left > 0`, and, when they have no degraded_conditions either,
// degraded `cert.days_left > 14`. TCP and DNS checks without conditions are up once connected.
Verdict Judge(const fleet::Check& check, const fleet::ProbeResult& result);

struct Transition {
  Health from;
  Health to;
  TimePoint at;
  std::vector<std::string> reasons;
};

// The state of one check. Starts unknown; the first verdict sets the state at once. After that a
// worse state needs `failure_threshold` consecutive worse verdicts and a better state
// `success_threshold` consecutive better ones; the state becomes the latest verdict then. A verdict
// equal to the state, or one pointing the other way, restarts the count. An unknown verdict carries
// no information and is ignored. Thresholds below 1 count as 1.
class CheckStateMachine {
 public:
  CheckStateMachine() = default;
  CheckStateMachine(int failure_threshold, int success_threshold);

  std::optional<Transition> Observe(const Verdict& verdict, TimePoint at);
  // Resume from a persisted state (after a restart).
  void Restore(Health state, TimePoint since);
  void SetThresholds(int failure_threshold, int success_threshold);

  Health state() const { return state_; }
  TimePoint since() const { return since_; }
  // The reasons of the verdict that set the current state (empty when up).
  const std::vector<std::string>& reasons() const { return reasons_; }
  // Consecutive verdicts pointing away from the current state (0 when the last agreed).
  int pending() const { return pending_; }

 private:
  int failure_threshold_ = 2;
  int success_threshold_ = 1;
  Health state_ = Health::kUnknown;
  TimePoint since_{};
  std::vector<std::string> reasons_;
  int pending_ = 0;
  bool pending_worse_ = false;  // the direction of the pending verdicts
};

struct ChildState {
  std::string name;
  Health health;
  bool critical = true;
  std::vector<std::string> reasons;  // the child's own reasons
};

struct Rollup {
  Health health = Health::kUnknown;
  // One line per child that is not up, worst first: "fence: down — status 503 is not in 200..399".
  std::vector<std::string> reasons;
};

// Worst of the children, where a non-critical child counts at most as degraded and unknown
// children are ignored unless every child is unknown (or there are none). Reasons list the
// children that count, in the order of what they contribute, then their own state, then input
// order; a child without reasons gets "<name>: <state>". When every child is unknown, each is listed.
Rollup RollUp(const std::vector<ChildState>& children);

}  // namespace csoc::health

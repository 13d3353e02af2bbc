#include "health/judge.h"

#include <fmt/format.h>

#include <algorithm>
#include <initializer_list>
#include <stdexcept>
#include <string_view>

namespace csoc::health {
namespace {

std::vector<fleet::Condition> ParseBuiltIn(std::initializer_list<std::string_view> texts) {
  std::vector<fleet::Condition> out;
  for (std::string_view text : texts) {
    fleet::Condition condition;
    Status st = fleet::Condition::Parse(text, &condition);
    // A built-in default that does not parse is a programming error, not a configuration one.
    if (!st.ok()) throw std::logic_error(fmt::format("built-in condition '{}': {}", text, st.message()));
    out.push_back(std::move(condition));
  }
  return out;
}

bool TlsVerifies(const fleet::Check& check) {
  const auto* tls = std::get_if<fleet::TlsSpec>(&check.spec);
  return tls == nullptr || tls->verify;
}

const std::vector<fleet::Condition>& DefaultConditions(const fleet::Check& check) {
  static const std::vector<fleet::Condition> kNone;
  static const std::vector<fleet::Condition> kHttp = ParseBuiltIn({"status in 200..399"});
  static const std::vector<fleet::Condition> kTlsVerified = ParseBuiltIn({"cert.valid == true", "cert.days_left > 0"});
  static const std::vector<fleet::Condition> kTlsUnverified = ParseBuiltIn({"cert.days_left > 0"});
  switch (check.kind) {
    case fleet::CheckKind::kHttp: return kHttp;
    case fleet::CheckKind::kTls: return TlsVerifies(check) ? kTlsVerified : kTlsUnverified;
    case fleet::CheckKind::kTcp:
    case fleet::CheckKind::kDns: return kNone;
  }
  return kNone;
}

const std::vector<fleet::Condition>& DefaultDegradedConditions(const fleet::Check& check) {
  static const std::vector<fleet::Condition> kNone;
  static const std::vector<fleet::Condition> kTls = ParseBuiltIn({"cert.days_left > 14"});
  return check.kind == fleet::CheckKind::kTls ? kTls : kNone;
}

void CollectFailures(const std::vector<fleet::Condition>& conditions, const fleet::ProbeResult& result,
                     std::vector<std::string>* reasons) {
  for (const fleet::Condition& condition : conditions) {
    if (std::optional<std::string> reason = condition.Evaluate(result)) reasons->push_back(std::move(*reason));
  }
}

// What a child contributes to its parent: a non-critical child at most degrades it.
Health Contribution(const ChildState& child) {
  if (!child.critical && child.health == Health::kDown) return Health::kDegraded;
  return child.health;
}

std::string ReasonLine(const ChildState& child) {
  if (child.reasons.empty()) return fmt::format("{}: {}", child.name, HealthName(child.health));
  return fmt::format("{}: {} — {}", child.name, HealthName(child.health), child.reasons.front());
}

}  // namespace

Verdict Judge(const fleet::Check& check, const fleet::ProbeResult& result) {
  Verdict verdict;
  if (!result.connected) {
    verdict.health = Health::kDown;
    verdict.reasons.push_back(result.error.empty() ? "not connected" : result.error);
    return verdict;
  }
  bool user_conditions = !check.conditions.empty();
  CollectFailures(user_conditions ? check.conditions : DefaultConditions(check), result, &verdict.reasons);
  if (!verdict.reasons.empty()) {
    verdict.health = Health::kDown;
    return verdict;
  }
  // A check that states its own conditions has taken over judging; a default degraded rule would surprise.
  bool default_degraded = !user_conditions && check.degraded_conditions.empty();
  CollectFailures(default_degraded ? DefaultDegradedConditions(check) : check.degraded_conditions, result,
                  &verdict.reasons);
  verdict.health = verdict.reasons.empty() ? Health::kUp : Health::kDegraded;
  return verdict;
}

CheckStateMachine::CheckStateMachine(int failure_threshold, int success_threshold) {
  SetThresholds(failure_threshold, success_threshold);
}

void CheckStateMachine::SetThresholds(int failure_threshold, int success_threshold) {
  failure_threshold_ = std::max(1, failure_threshold);
  success_threshold_ = std::max(1, success_threshold);
}

void CheckStateMachine::Restore(Health state, TimePoint since) {
  state_ = state;
  since_ = since;
  reasons_.clear();
  pending_ = 0;
}

std::optional<Transition> CheckStateMachine::Observe(const Verdict& verdict, TimePoint at) {
  if (verdict.health == Health::kUnknown) return std::nullopt;
  if (verdict.health == state_) {
    pending_ = 0;
    return std::nullopt;
  }
  if (state_ != Health::kUnknown) {
    bool worse = Badness(verdict.health) > Badness(state_);
    if (pending_ > 0 && pending_worse_ == worse) {
      ++pending_;
    } else {
      pending_ = 1;
      pending_worse_ = worse;
    }
    if (pending_ < (worse ? failure_threshold_ : success_threshold_)) return std::nullopt;
  }
  Transition transition{state_, verdict.health, at, verdict.reasons};
  state_ = verdict.health;
  since_ = at;
  reasons_ = verdict.reasons;
  pending_ = 0;
  return transition;
}

Rollup RollUp(const std::vector<ChildState>& children) {
  Rollup rollup;
  std::vector<const ChildState*> counted;
  for (const ChildState& child : children) {
    if (child.health != Health::kUnknown) counted.push_back(&child);
  }
  if (counted.empty()) {
    for (const ChildState& child : children) rollup.reasons.push_back(ReasonLine(child));
    return rollup;
  }
  rollup.health = Health::kUp;
  for (const ChildState* child : counted) rollup.health = Worse(rollup.health, Contribution(*child));
  std::erase_if(counted, [](const ChildState* child) { return child->health == Health::kUp; });
  std::stable_sort(counted.begin(), counted.end(), [](const ChildState* a, const ChildState* b) {
    if (Contribution(*a) != Contribution(*b)) return Badness(Contribution(*a)) > Badness(Contribution(*b));
    return Badness(a->health) > Badness(b->health);
  });
  for (const ChildState* child : counted) rollup.reasons.push_back(ReasonLine(*child));
  return rollup;
}

}  // namespace csoc::health

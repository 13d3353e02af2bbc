#include "health/judge.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace csoc::health {
namespace {

using std::chrono::seconds;
using Reasons = std::vector<std::string>;

fleet::Condition Cond(std::string_view text) {
  fleet::Condition c;
  Status st = fleet::Condition::Parse(text, &c);
  EXPECT_TRUE(st.ok()) << st.message();
  return c;
}

fleet::Check HttpCheck(std::vector<std::string_view> conditions = {}, std::vector<std::string_view> degraded = {}) {
  fleet::Check check;
  check.id = "prod/fence/status";
  check.kind = fleet::CheckKind::kHttp;
  fleet::HttpSpec spec;
  spec.url = "http://127.0.0.1:1/user/_status";
  check.spec = spec;
  for (auto text : conditions) check.conditions.push_back(Cond(text));
  for (auto text : degraded) check.degraded_conditions.push_back(Cond(text));
  return check;
}

fleet::Check TlsCheck(bool verify = true) {
  fleet::Check check;
  check.kind = fleet::CheckKind::kTls;
  fleet::TlsSpec spec;
  spec.host = "127.0.0.1";
  spec.verify = verify;
  check.spec = spec;
  return check;
}

fleet::ProbeResult HttpResult(int status, std::string body = "") {
  fleet::ProbeResult r;
  r.connected = true;
  r.status_code = status;
  r.body = std::move(body);
  r.latency = std::chrono::milliseconds(50);
  return r;
}

fleet::ProbeResult TlsResult(bool valid, int days_left, std::string error = "") {
  fleet::ProbeResult r;
  r.connected = true;
  r.cert_chain_valid = valid;
  r.cert_days_left = days_left;
  r.cert_error = std::move(error);
  return r;
}

// ----- Judge -------------------------------------------------------------------------------------

TEST(Judge, TransportFailureIsDownWithTheError) {
  fleet::ProbeResult r;
  r.error = "connection refused";
  Verdict v = Judge(HttpCheck({"body contains \"ok\""}), r);
  EXPECT_EQ(v.health, Health::kDown);
  EXPECT_EQ(v.reasons, Reasons{"connection refused"});
  fleet::ProbeResult silent;
  EXPECT_EQ(Judge(HttpCheck(), silent).reasons, Reasons{"not connected"});
}

TEST(Judge, HttpDefaultIsStatus200To399) {
  fleet::Check check = HttpCheck();
  EXPECT_EQ(Judge(check, HttpResult(200)).health, Health::kUp);
  EXPECT_EQ(Judge(check, HttpResult(302)).health, Health::kUp);
  EXPECT_EQ(Judge(check, HttpResult(399)).health, Health::kUp);
  Verdict v = Judge(check, HttpResult(404));
  EXPECT_EQ(v.health, Health::kDown);
  EXPECT_EQ(v.reasons, Reasons{"status 404 is not in 200..399"});
  EXPECT_TRUE(Judge(check, HttpResult(200)).reasons.empty());
}

TEST(Judge, UserConditionsReplaceTheDefaultAndAllFailuresAreListed) {
  fleet::Check check = HttpCheck({"status == 503", "body contains \"ok\"", "$.db == \"up\""});
  EXPECT_EQ(Judge(check, HttpResult(503, R"({"db":"up","msg":"ok"})")).health, Health::kUp);
  Verdict v = Judge(check, HttpResult(200, R"({"db":"down"})"));
  EXPECT_EQ(v.health, Health::kDown);
  EXPECT_EQ(v.reasons, (Reasons{"status is 200, expected == 503", "body does not contain \"ok\"",
                                R"($.db is "down", expected == "up")"}));
}

TEST(Judge, DegradedConditions) {
  fleet::Check check = HttpCheck({"status == 200"}, {"response_time < 10ms", "$.lag < 5"});
  fleet::ProbeResult slow = HttpResult(200, R"({"lag": 9})");
  Verdict v = Judge(check, slow);
  EXPECT_EQ(v.health, Health::kDegraded);
  EXPECT_EQ(v.reasons, (Reasons{"response_time 50ms is not < 10ms", "$.lag 9 is not < 5"}));
  // Down wins, and its reasons are not mixed with the degraded ones.
  v = Judge(check, HttpResult(500, R"({"lag": 9})"));
  EXPECT_EQ(v.health, Health::kDown);
  EXPECT_EQ(v.reasons, Reasons{"status is 500, expected == 200"});
  fleet::ProbeResult fast = HttpResult(200, R"({"lag": 1})");
  fast.latency = std::chrono::milliseconds(2);
  EXPECT_EQ(Judge(check, fast).health, Health::kUp);
}

TEST(Judge, HttpWithOnlyDegradedConditionsKeepsTheDefaultStatusRule) {
  fleet::Check check = HttpCheck({}, {"response_time < 10ms"});
  EXPECT_EQ(Judge(check, HttpResult(500)).health, Health::kDown);
  EXPECT_EQ(Judge(check, HttpResult(200)).health, Health::kDegraded);
}

TEST(Judge, TlsDefaults) {
  fleet::Check check = TlsCheck();
  EXPECT_EQ(Judge(check, TlsResult(true, 60)).health, Health::kUp);
  Verdict v = Judge(check, TlsResult(true, 10));
  EXPECT_EQ(v.health, Health::kDegraded);
  EXPECT_EQ(v.reasons, Reasons{"certificate expires in 10 days, expected > 14"});
  v = Judge(check, TlsResult(true, 0));
  EXPECT_EQ(v.health, Health::kDown);
  EXPECT_EQ(v.reasons, Reasons{"certificate expires today, expected > 0"});
  v = Judge(check, TlsResult(false, -2, "certificate has expired"));
  EXPECT_EQ(v.health, Health::kDown);
  EXPECT_EQ(v.reasons, (Reasons{"certificate is not valid: certificate has expired",
                                "certificate expired 2 days ago, expected > 0"}));
}

TEST(Judge, TlsWithoutVerificationIgnoresTheChain) {
  fleet::Check check = TlsCheck(/*verify=*/false);
  EXPECT_EQ(Judge(check, TlsResult(false, 60, "self-signed certificate")).health, Health::kUp);
  EXPECT_EQ(Judge(check, TlsResult(false, 10)).health, Health::kDegraded);
  EXPECT_EQ(Judge(check, TlsResult(false, -1)).health, Health::kDown);
}

TEST(Judge, TlsWithOwnConditionsGetsNoDefaultDegradedRule) {
  fleet::Check check = TlsCheck();
  check.conditions.push_back(Cond("cert.days_left > 3"));
  EXPECT_EQ(Judge(check, TlsResult(true, 10)).health, Health::kUp);
  EXPECT_EQ(Judge(check, TlsResult(false, 10)).health, Health::kUp);  // the user's rule does not ask for validity
  check.degraded_conditions.push_back(Cond("cert.days_left > 30"));
  EXPECT_EQ(Judge(check, TlsResult(true, 10)).health, Health::kDegraded);
}

TEST(Judge, TlsWithOnlyDegradedConditionsKeepsTheDefaultDownRules) {
  fleet::Check check = TlsCheck();
  check.degraded_conditions.push_back(Cond("cert.days_left > 30"));
  EXPECT_EQ(Judge(check, TlsResult(true, 20)).health, Health::kDegraded);
  EXPECT_EQ(Judge(check, TlsResult(false, 60)).health, Health::kDown);
}

TEST(Judge, TcpAndDnsAreUpWhenConnected) {
  fleet::Check tcp;
  tcp.kind = fleet::CheckKind::kTcp;
  tcp.spec = fleet::TcpSpec{"127.0.0.1", 5432};
  fleet::ProbeResult connected;
  connected.connected = true;
  EXPECT_EQ(Judge(tcp, connected).health, Health::kUp);

  fleet::Check dns;
  dns.kind = fleet::CheckKind::kDns;
  fleet::DnsSpec dns_spec;
  dns_spec.name = "example.org";
  dns.spec = dns_spec;
  connected.addresses = {"10.0.0.1"};
  EXPECT_EQ(Judge(dns, connected).health, Health::kUp);
  dns.conditions.push_back(Cond("address == 10.0.0.2"));
  Verdict v = Judge(dns, connected);
  EXPECT_EQ(v.health, Health::kDown);
  EXPECT_EQ(v.reasons, Reasons{"address is 10.0.0.1, expected == 10.0.0.2"});
}

// ----- CheckStateMachine -------------------------------------------------------------------------

Verdict V(Health h, std::string reason = "") {
  Verdict v;
  v.health = h;
  if (!reason.empty()) v.reasons.push_back(std::move(reason));
  return v;
}

TimePoint T(int s) { return FromUnixMillis(1'700'000'000'000 + int64_t{s} * 1000); }

TEST(CheckStateMachine, StartsUnknownAndTakesTheFirstVerdictAtOnce) {
  CheckStateMachine m(3, 3);
  EXPECT_EQ(m.state(), Health::kUnknown);
  auto t = m.Observe(V(Health::kDown, "connection refused"), T(1));
  ASSERT_TRUE(t);
  EXPECT_EQ(t->from, Health::kUnknown);
  EXPECT_EQ(t->to, Health::kDown);
  EXPECT_EQ(t->at, T(1));
  EXPECT_EQ(t->reasons, Reasons{"connection refused"});
  EXPECT_EQ(m.state(), Health::kDown);
  EXPECT_EQ(m.since(), T(1));
  EXPECT_EQ(m.reasons(), Reasons{"connection refused"});
  EXPECT_EQ(m.pending(), 0);
}

TEST(CheckStateMachine, DefaultsAreTwoFailuresOneSuccess) {
  CheckStateMachine m;
  ASSERT_TRUE(m.Observe(V(Health::kUp), T(0)));
  EXPECT_FALSE(m.Observe(V(Health::kDown, "a"), T(1)));
  EXPECT_EQ(m.state(), Health::kUp);
  EXPECT_EQ(m.pending(), 1);
  auto t = m.Observe(V(Health::kDown, "b"), T(2));
  ASSERT_TRUE(t);
  EXPECT_EQ(t->from, Health::kUp);
  EXPECT_EQ(t->to, Health::kDown);
  EXPECT_EQ(t->reasons, Reasons{"b"});  // the latest verdict's reasons
  EXPECT_EQ(m.since(), T(2));
  EXPECT_EQ(m.pending(), 0);
  t = m.Observe(V(Health::kUp), T(3));
  ASSERT_TRUE(t);
  EXPECT_EQ(t->to, Health::kUp);
  EXPECT_TRUE(m.reasons().empty());
}

TEST(CheckStateMachine, FlappingIsDamped) {
  CheckStateMachine m(2, 2);
  ASSERT_TRUE(m.Observe(V(Health::kUp), T(0)));
  for (int i = 1; i <= 20; ++i) {
    EXPECT_FALSE(m.Observe(V(i % 2 ? Health::kDown : Health::kUp), T(i))) << i;
  }
  EXPECT_EQ(m.state(), Health::kUp);
  EXPECT_EQ(m.since(), T(0));
}

TEST(CheckStateMachine, SuccessThreshold) {
  CheckStateMachine m(1, 3);
  ASSERT_TRUE(m.Observe(V(Health::kDown, "x"), T(0)));
  EXPECT_FALSE(m.Observe(V(Health::kUp), T(1)));
  EXPECT_FALSE(m.Observe(V(Health::kUp), T(2)));
  EXPECT_EQ(m.pending(), 2);
  auto t = m.Observe(V(Health::kUp), T(3));
  ASSERT_TRUE(t);
  EXPECT_EQ(t->from, Health::kDown);
  EXPECT_EQ(t->to, Health::kUp);
  EXPECT_EQ(m.since(), T(3));
}

TEST(CheckStateMachine, FailureThresholdOneIsImmediate) {
  CheckStateMachine m(1, 1);
  ASSERT_TRUE(m.Observe(V(Health::kUp), T(0)));
  auto t = m.Observe(V(Health::kDegraded, "slow"), T(1));
  ASSERT_TRUE(t);
  EXPECT_EQ(t->to, Health::kDegraded);
}

TEST(CheckStateMachine, MixedWorseVerdictsCountTogetherAndTheLatestWins) {
  CheckStateMachine m(2, 1);
  ASSERT_TRUE(m.Observe(V(Health::kUp), T(0)));
  EXPECT_FALSE(m.Observe(V(Health::kDegraded, "slow"), T(1)));
  auto t = m.Observe(V(Health::kDown, "refused"), T(2));
  ASSERT_TRUE(t);
  EXPECT_EQ(t->to, Health::kDown);
  EXPECT_EQ(m.reasons(), Reasons{"refused"});
}

TEST(CheckStateMachine, ChangingDirectionRestartsTheCount) {
  CheckStateMachine m(2, 2);
  ASSERT_TRUE(m.Observe(V(Health::kDegraded, "slow"), T(0)));
  EXPECT_FALSE(m.Observe(V(Health::kDown), T(1)));
  EXPECT_EQ(m.pending(), 1);
  EXPECT_FALSE(m.Observe(V(Health::kUp), T(2)));
  EXPECT_EQ(m.pending(), 1);
  EXPECT_FALSE(m.Observe(V(Health::kDown), T(3)));
  EXPECT_EQ(m.pending(), 1);
  EXPECT_TRUE(m.Observe(V(Health::kDown), T(4)));
  EXPECT_EQ(m.state(), Health::kDown);
}

TEST(CheckStateMachine, AgreeingVerdictResetsPendingAndKeepsTheSettingReasons) {
  CheckStateMachine m(2, 1);
  ASSERT_TRUE(m.Observe(V(Health::kDown, "first"), T(0)));
  EXPECT_FALSE(m.Observe(V(Health::kDown, "second"), T(1)));
  EXPECT_EQ(m.reasons(), Reasons{"first"});
  EXPECT_EQ(m.since(), T(0));
  ASSERT_TRUE(m.Observe(V(Health::kUp), T(2)));
  EXPECT_FALSE(m.Observe(V(Health::kDown), T(3)));
  EXPECT_EQ(m.pending(), 1);
  EXPECT_FALSE(m.Observe(V(Health::kUp), T(4)));
  EXPECT_EQ(m.pending(), 0);
  EXPECT_FALSE(m.Observe(V(Health::kDown), T(5)));
  EXPECT_EQ(m.state(), Health::kUp);
}

TEST(CheckStateMachine, UnknownVerdictsAreIgnored) {
  CheckStateMachine m(2, 1);
  EXPECT_FALSE(m.Observe(V(Health::kUnknown), T(0)));
  EXPECT_EQ(m.state(), Health::kUnknown);
  ASSERT_TRUE(m.Observe(V(Health::kUp), T(1)));
  EXPECT_FALSE(m.Observe(V(Health::kDown), T(2)));
  EXPECT_FALSE(m.Observe(V(Health::kUnknown), T(3)));
  EXPECT_EQ(m.pending(), 1);
  EXPECT_TRUE(m.Observe(V(Health::kDown), T(4)));
}

TEST(CheckStateMachine, RestoreResumesAPersistedState) {
  CheckStateMachine m(2, 2);
  m.Restore(Health::kDown, T(-100));
  EXPECT_EQ(m.state(), Health::kDown);
  EXPECT_EQ(m.since(), T(-100));
  EXPECT_TRUE(m.reasons().empty());
  // Not a first verdict any more: the thresholds apply.
  EXPECT_FALSE(m.Observe(V(Health::kUp), T(1)));
  EXPECT_FALSE(m.Observe(V(Health::kDown), T(2)));
  EXPECT_EQ(m.since(), T(-100));
  EXPECT_FALSE(m.Observe(V(Health::kUp), T(3)));
  auto t = m.Observe(V(Health::kUp), T(4));
  ASSERT_TRUE(t);
  EXPECT_EQ(t->from, Health::kDown);
  EXPECT_EQ(t->to, Health::kUp);
}

TEST(CheckStateMachine, RestoreClearsPendingAndUnknownRestartsFresh) {
  CheckStateMachine m(2, 1);
  ASSERT_TRUE(m.Observe(V(Health::kUp), T(0)));
  EXPECT_FALSE(m.Observe(V(Health::kDown), T(1)));
  m.Restore(Health::kUp, T(5));
  EXPECT_EQ(m.pending(), 0);
  EXPECT_FALSE(m.Observe(V(Health::kDown), T(6)));
  m.Restore(Health::kUnknown, T(7));
  auto t = m.Observe(V(Health::kDegraded, "slow"), T(8));
  ASSERT_TRUE(t);
  EXPECT_EQ(t->from, Health::kUnknown);
  EXPECT_EQ(t->to, Health::kDegraded);
}

TEST(CheckStateMachine, ThresholdsBelowOneCountAsOne) {
  CheckStateMachine m(0, -5);
  ASSERT_TRUE(m.Observe(V(Health::kUp), T(0)));
  EXPECT_TRUE(m.Observe(V(Health::kDown), T(1)));
  EXPECT_TRUE(m.Observe(V(Health::kUp), T(2)));
}

TEST(CheckStateMachine, SetThresholdsAppliesToLaterVerdicts) {
  CheckStateMachine m;
  ASSERT_TRUE(m.Observe(V(Health::kUp), T(0)));
  m.SetThresholds(3, 1);
  EXPECT_FALSE(m.Observe(V(Health::kDown), T(1)));
  EXPECT_FALSE(m.Observe(V(Health::kDown), T(2)));
  EXPECT_TRUE(m.Observe(V(Health::kDown), T(3)));
}

// ----- RollUp ------------------------------------------------------------------------------------

ChildState Child(std::string name, Health h, bool critical = true, Reasons reasons = {}) {
  return ChildState{std::move(name), h, critical, std::move(reasons)};
}

TEST(RollUp, NoChildrenIsUnknown) {
  Rollup r = RollUp({});
  EXPECT_EQ(r.health, Health::kUnknown);
  EXPECT_TRUE(r.reasons.empty());
}

TEST(RollUp, AllUpIsUpWithoutReasons) {
  Rollup r = RollUp({Child("fence", Health::kUp), Child("indexd", Health::kUp)});
  EXPECT_EQ(r.health, Health::kUp);
  EXPECT_TRUE(r.reasons.empty());
}

TEST(RollUp, CriticalDownTakesTheParentDown) {
  Rollup r = RollUp(
      {Child("indexd", Health::kUp), Child("fence", Health::kDown, true, {"status 503 is not in 200..399", "second"})});
  EXPECT_EQ(r.health, Health::kDown);
  EXPECT_EQ(r.reasons, Reasons{"fence: down — status 503 is not in 200..399"});
}

TEST(RollUp, NonCriticalDownOnlyDegrades) {
  Rollup r = RollUp({Child("fence", Health::kUp), Child("portal", Health::kDown, false, {"timed out after 5s"})});
  EXPECT_EQ(r.health, Health::kDegraded);
  EXPECT_EQ(r.reasons, Reasons{"portal: down — timed out after 5s"});
  r = RollUp({Child("portal", Health::kDegraded, false, {"slow"})});
  EXPECT_EQ(r.health, Health::kDegraded);
}

TEST(RollUp, UnknownChildrenAreIgnoredWhenOthersAreKnown) {
  Rollup r = RollUp({Child("new", Health::kUnknown), Child("fence", Health::kUp)});
  EXPECT_EQ(r.health, Health::kUp);
  EXPECT_TRUE(r.reasons.empty());
  r = RollUp({Child("new", Health::kUnknown), Child("fence", Health::kDegraded, true, {"slow"})});
  EXPECT_EQ(r.health, Health::kDegraded);
  EXPECT_EQ(r.reasons, Reasons{"fence: degraded — slow"});
}

TEST(RollUp, AllUnknownIsUnknownAndListsThem) {
  Rollup r = RollUp({Child("fence", Health::kUnknown), Child("indexd", Health::kUnknown, false, {"no data yet"})});
  EXPECT_EQ(r.health, Health::kUnknown);
  EXPECT_EQ(r.reasons, (Reasons{"fence: unknown", "indexd: unknown — no data yet"}));
}

TEST(RollUp, ReasonsWorstFirstThenInputOrder) {
  Rollup r = RollUp({
      Child("a-degraded", Health::kDegraded, true, {"slow"}),
      Child("b-noncritical-down", Health::kDown, false, {"refused"}),
      Child("c-up", Health::kUp),
      Child("d-down", Health::kDown, true, {"503"}),
      Child("e-degraded", Health::kDegraded, true),
      Child("f-down", Health::kDown, true, {"timeout"}),
  });
  EXPECT_EQ(r.health, Health::kDown);
  EXPECT_EQ(r.reasons, (Reasons{"d-down: down — 503", "f-down: down — timeout", "b-noncritical-down: down — refused",
                                "a-degraded: degraded — slow", "e-degraded: degraded"}));
}

TEST(RollUp, NestedRollupsChainTheFirstReason) {
  Rollup service = RollUp({Child("status", Health::kDown, true, {"status 503 is not in 200..399"})});
  Rollup env = RollUp({Child("fence", service.health, true, service.reasons), Child("indexd", Health::kUp)});
  EXPECT_EQ(env.reasons, Reasons{"fence: down — status: down — status 503 is not in 200..399"});
}

}  // namespace
}  // namespace csoc::health

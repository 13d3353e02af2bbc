// The link from monitoring to the status page, with hand-built fleet snapshots and time passed
// explicitly: how a component's condition follows what it is bound to (Evaluate), how declared
// components are synced from the configuration, the life of an automatic incident (opened after
// `after`, updated while bad, resolved on recovery, left alone once an operator touched it, found
// again after a restart), and the public view's mapping to Statuspage's vocabulary.
#include "statuspage/feed.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "statuspage/model.h"
#include "statuspage/public_view.h"
#include "statuspage/status_page.h"
#include "statuspage/store.h"
#include "support/support.h"

namespace csoc::statuspage {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

// 2026-01-01T00:00:00Z; whole milliseconds, because the store keeps milliseconds.
const TimePoint kT0 = FromUnixMillis(1'767'225'600'000);

// ---- Hand-built fleets and snapshots ----

fleet::Check MakeCheck(const std::string& env, const std::string& cluster, const std::string& service,
                       const std::string& name) {
  fleet::Check c;
  c.id = env + "/" + service + "/" + name;
  c.name = name;
  c.service = service;
  c.environment = env;
  c.cluster = cluster;
  c.kind = fleet::CheckKind::kHttp;
  fleet::HttpSpec spec;
  spec.url = "https://" + env + ".example.org/" + service;
  c.spec = spec;
  c.interval = seconds(30);
  return c;
}

// Cluster "east": prod (api: http, tcp; web: home) and stage (api: http). Cluster "west": dev (api: http).
std::shared_ptr<fleet::Fleet> TestFleet() {
  auto f = std::make_shared<fleet::Fleet>();
  auto env = [&](const std::string& name, const std::string& cluster,
                 const std::vector<std::pair<std::string, std::vector<std::string>>>& services) {
    fleet::Environment e;
    e.name = name;
    e.cluster = cluster;
    e.hostname = name + ".example.org";
    for (const auto& [svc, checks] : services) {
      fleet::Service s;
      s.name = svc;
      s.critical = true;
      for (const auto& c : checks) s.checks.push_back(MakeCheck(name, cluster, svc, c));
      e.services.push_back(s);
    }
    f->environments.push_back(e);
  };
  env("prod", "east", {{"api", {"http", "tcp"}}, {"web", {"home"}}});
  env("stage", "east", {{"api", {"http"}}});
  env("dev", "west", {{"api", {"http"}}});
  return f;
}

struct St {
  Health health = Health::kUp;
  TimePoint since = kT0 - hours(1);
  std::vector<std::string> reasons;
};

// The views of `fleet` with the given check states (others up since an hour before kT0), rolled up
// worst-of: service from its checks, environment from its services, cluster from its environments.
monitor::FleetSnapshot Snap(const std::shared_ptr<const fleet::Fleet>& fleet, const std::map<std::string, St>& states,
                            TimePoint generated = kT0) {
  monitor::FleetSnapshot snap;
  snap.fleet = fleet;
  snap.version = 1;
  snap.generated = generated;
  snap.health = Health::kUp;
  std::map<std::string, size_t> cluster_index;
  for (const auto& env : fleet->environments) {
    monitor::EnvironmentView ev;
    ev.environment = &env;
    ev.health = Health::kUp;
    bool env_seen = false;
    for (const auto& service : env.services) {
      monitor::ServiceView sv;
      sv.name = service.name;
      sv.critical = service.critical;
      bool svc_seen = false;
      for (const auto& check : service.checks) {
        monitor::CheckView cv;
        cv.check = std::shared_ptr<const fleet::Check>(fleet, &check);
        St st;
        if (auto it = states.find(check.id); it != states.end()) st = it->second;
        cv.state = st.health;
        cv.since = st.since;
        cv.reasons = st.reasons;
        sv.health = svc_seen ? Worse(sv.health, st.health) : st.health;
        svc_seen = true;
        for (const auto& r : st.reasons) sv.reasons.push_back(check.name + ": " + r);
        sv.checks.push_back(snap.checks.size());
        snap.checks.push_back(std::move(cv));
      }
      ev.health = env_seen ? Worse(ev.health, sv.health) : sv.health;
      env_seen = true;
      if (sv.health != Health::kUp) ev.reasons.push_back(sv.name + ": " + std::string(HealthName(sv.health)));
      ev.services.push_back(std::move(sv));
    }
    auto [it, inserted] = cluster_index.try_emplace(env.cluster, snap.clusters.size());
    if (inserted) snap.clusters.push_back(monitor::ClusterView{env.cluster, ev.health, {}, {}});
    auto& cluster = snap.clusters[it->second];
    cluster.environments.push_back(snap.environments.size());
    cluster.health = Worse(cluster.health, ev.health);
    if (ev.health != Health::kUp) cluster.reasons.push_back(env.name + ": " + std::string(HealthName(ev.health)));
    snap.health = Worse(snap.health, ev.health);
    snap.environments.push_back(std::move(ev));
  }
  return snap;
}

St Down(TimePoint since = kT0, std::vector<std::string> reasons = {"status 503 is not in 200..399"}) {
  return {Health::kDown, since, std::move(reasons)};
}
St Degraded(TimePoint since = kT0, std::vector<std::string> reasons = {"latency 2300ms is not < 1000ms"}) {
  return {Health::kDegraded, since, std::move(reasons)};
}
St Unknown() { return {Health::kUnknown, kT0 - hours(1), {}}; }

fleet::StatusComponent Spec(const std::string& name, const std::string& display, const std::string& group = "") {
  fleet::StatusComponent c;
  c.name = name;
  c.display_name = display;
  c.group = group;
  c.automatic.after = minutes(2);
  return c;
}

// Everything about the incidents of a page, as text (to show that nothing changed).
std::string DumpIncidents(const Data& d) {
  std::ostringstream out;
  auto time = [](const std::optional<TimePoint>& t) { return t ? std::to_string(ToUnixMillis(*t)) : "null"; };
  for (const auto& i : d.incidents) {
    out << "incident " << i.id << "|" << i.display_name << "|" << i.description << "|" << time(i.began_at) << "|"
        << time(i.ended_at) << "|"
        << (i.phase ? std::to_string(i.phase->generation) + "." + std::to_string(i.phase->order) : "nophase") << "|"
        << i.published << "|" << i.automatic_for << "\n";
    for (const auto& m : i.affects)
      out << "  impact " << m.component_id << "|" << m.type_id << "|" << m.severity << "\n";
    for (const auto& u : i.updates) {
      out << "  update " << u.order << "|" << u.display_name << "|" << u.description << "|"
          << ToUnixMillis(u.created_at) << "\n";
    }
  }
  return out.str();
}

// ---- Evaluate ----

class EvaluateTest : public ::testing::Test {
 protected:
  std::shared_ptr<fleet::Fleet> fleet_ = TestFleet();
};

TEST_F(EvaluateTest, AnEnvironmentBindingFollowsTheEnvironmentsHealth) {
  fleet::StatusComponent spec = Spec("prod", "Prod");
  spec.environments = {"prod"};
  EXPECT_EQ(Evaluate(spec, Snap(fleet_, {})).condition, Condition::kUp);
  EXPECT_EQ(Evaluate(spec, Snap(fleet_, {{"prod/web/home", Down()}})).condition, Condition::kMajorOutage);
  EXPECT_EQ(Evaluate(spec, Snap(fleet_, {{"prod/api/tcp", Degraded()}})).condition, Condition::kDegraded);
  // Trouble elsewhere does not count.
  EXPECT_EQ(Evaluate(spec, Snap(fleet_, {{"stage/api/http", Down()}})).condition, Condition::kUp);
}

TEST_F(EvaluateTest, AClusterBindingFollowsTheClustersHealth) {
  fleet::StatusComponent spec = Spec("east", "East");
  spec.clusters = {"east"};
  EXPECT_EQ(Evaluate(spec, Snap(fleet_, {})).condition, Condition::kUp);
  EXPECT_EQ(Evaluate(spec, Snap(fleet_, {{"stage/api/http", Down()}})).condition, Condition::kMajorOutage);
  EXPECT_EQ(Evaluate(spec, Snap(fleet_, {{"dev/api/http", Down()}})).condition, Condition::kUp);
  // Two clusters: one down is part of it.
  spec.clusters = {"east", "west"};
  EXPECT_EQ(Evaluate(spec, Snap(fleet_, {{"dev/api/http", Down()}})).condition, Condition::kPartialOutage);
  EXPECT_EQ(Evaluate(spec, Snap(fleet_, {{"dev/api/http", Down()}, {"prod/api/http", Down()}})).condition,
            Condition::kMajorOutage);
}

TEST_F(EvaluateTest, AServiceBindingFollowsTheService) {
  fleet::StatusComponent spec = Spec("api", "API");
  spec.services = {"prod/api"};
  EXPECT_EQ(Evaluate(spec, Snap(fleet_, {})).condition, Condition::kUp);
  EXPECT_EQ(Evaluate(spec, Snap(fleet_, {{"prod/api/tcp", Down()}})).condition, Condition::kMajorOutage);
  // Another service of the same environment, and the same service elsewhere, do not count.
  EXPECT_EQ(Evaluate(spec, Snap(fleet_, {{"prod/web/home", Down()}, {"stage/api/http", Down()}})).condition,
            Condition::kUp);
  spec.services = {"prod/api", "stage/api"};
  EXPECT_EQ(Evaluate(spec, Snap(fleet_, {{"stage/api/http", Down()}})).condition, Condition::kPartialOutage);
}

TEST_F(EvaluateTest, CheckBindingsAllDownPartDownAnyDegradedAllUnknown) {
  fleet::StatusComponent spec = Spec("api", "API");
  spec.checks = {"prod/api/http", "prod/api/tcp", "stage/api/http"};
  auto eval = [&](const std::map<std::string, St>& states) { return Evaluate(spec, Snap(fleet_, states)).condition; };
  EXPECT_EQ(eval({}), Condition::kUp);
  EXPECT_EQ(eval({{"prod/api/http", Down()}, {"prod/api/tcp", Down()}, {"stage/api/http", Down()}}),
            Condition::kMajorOutage);
  EXPECT_EQ(eval({{"prod/api/http", Down()}}), Condition::kPartialOutage);
  EXPECT_EQ(eval({{"prod/api/http", Down()}, {"prod/api/tcp", Down()}}), Condition::kPartialOutage);
  // Down beats degraded: part down with the rest degraded is a partial outage.
  EXPECT_EQ(eval({{"prod/api/http", Down()}, {"prod/api/tcp", Degraded()}, {"stage/api/http", Degraded()}}),
            Condition::kPartialOutage);
  EXPECT_EQ(eval({{"prod/api/http", Degraded()}}), Condition::kDegraded);
  EXPECT_EQ(eval({{"prod/api/http", Degraded()}, {"prod/api/tcp", Degraded()}, {"stage/api/http", Degraded()}}),
            Condition::kDegraded);
  EXPECT_EQ(eval({{"prod/api/http", Unknown()}, {"prod/api/tcp", Unknown()}, {"stage/api/http", Unknown()}}),
            Condition::kUnknown);
  // Some unknown, the rest up: up. Some unknown, one down: part of it is down.
  EXPECT_EQ(eval({{"prod/api/http", Unknown()}, {"prod/api/tcp", Unknown()}}), Condition::kUp);
  EXPECT_EQ(eval({{"prod/api/http", Unknown()}, {"prod/api/tcp", Unknown()}, {"stage/api/http", Down()}}),
            Condition::kPartialOutage);
}

TEST_F(EvaluateTest, MixedBindingsCountEachBoundObjectOnce) {
  fleet::StatusComponent spec = Spec("mixed", "Mixed");
  spec.environments = {"stage"};
  spec.clusters = {"west"};
  spec.services = {"prod/web"};
  spec.checks = {"prod/api/tcp"};
  auto eval = [&](const std::map<std::string, St>& states) { return Evaluate(spec, Snap(fleet_, states)).condition; };
  EXPECT_EQ(eval({}), Condition::kUp);
  EXPECT_EQ(eval({{"stage/api/http", Down()}}), Condition::kPartialOutage);
  EXPECT_EQ(eval({{"prod/web/home", Degraded()}}), Condition::kDegraded);
  EXPECT_EQ(
      eval({{"stage/api/http", Down()}, {"dev/api/http", Down()}, {"prod/web/home", Down()}, {"prod/api/tcp", Down()}}),
      Condition::kMajorOutage);
  // Not bound: prod/api/http.
  EXPECT_EQ(eval({{"prod/api/http", Down()}}), Condition::kUp);
}

TEST_F(EvaluateTest, NamesThatMatchNothingAreUnknown) {
  fleet::StatusComponent spec = Spec("ghost", "Ghost");
  spec.environments = {"nowhere"};
  spec.clusters = {"north"};
  spec.services = {"prod/nothing", "nowhere/api"};
  spec.checks = {"prod/api/none"};
  ComponentCondition c = Evaluate(spec, Snap(fleet_, {{"prod/api/http", Down()}}));
  EXPECT_EQ(c.condition, Condition::kUnknown);
  EXPECT_FALSE(c.bad_since.has_value());
  EXPECT_THAT(c.reasons, IsEmpty());
  // A name that matches nothing does not dilute one that does.
  spec.checks = {"prod/api/none", "prod/api/http"};
  EXPECT_EQ(Evaluate(spec, Snap(fleet_, {{"prod/api/http", Down()}})).condition, Condition::kMajorOutage);
}

TEST_F(EvaluateTest, BadSinceIsTheEarliestSinceOfTheBadChecksBehindTheBindings) {
  fleet::StatusComponent spec = Spec("prod", "Prod");
  spec.environments = {"prod"};
  ComponentCondition c = Evaluate(spec, Snap(fleet_, {{"prod/api/http", Degraded(kT0 - minutes(3))},
                                                      {"prod/web/home", Down(kT0 - minutes(10))},
                                                      // Up for longer: not bad, does not count.
                                                      {"prod/api/tcp", St{Health::kUp, kT0 - hours(5), {}}},
                                                      // Bad for longer, but not behind the binding.
                                                      {"stage/api/http", Down(kT0 - hours(2))}}));
  EXPECT_EQ(c.condition, Condition::kMajorOutage);
  ASSERT_TRUE(c.bad_since.has_value());
  EXPECT_EQ(*c.bad_since, kT0 - minutes(10));

  // Through a cluster, the checks of all its environments count.
  spec = Spec("east", "East");
  spec.clusters = {"east"};
  c = Evaluate(spec, Snap(fleet_, {{"prod/api/http", Down(kT0 - minutes(1))},
                                   {"stage/api/http", Down(kT0 - minutes(7))},
                                   {"dev/api/http", Down(kT0 - hours(3))}}));
  ASSERT_TRUE(c.bad_since.has_value());
  EXPECT_EQ(*c.bad_since, kT0 - minutes(7));

  // Through check bindings.
  spec = Spec("checks", "Checks");
  spec.checks = {"prod/api/http", "dev/api/http"};
  c = Evaluate(spec,
               Snap(fleet_, {{"prod/api/http", Degraded(kT0 - minutes(4))}, {"dev/api/http", Down(kT0 - minutes(2))}}));
  EXPECT_EQ(c.condition, Condition::kPartialOutage);
  ASSERT_TRUE(c.bad_since.has_value());
  EXPECT_EQ(*c.bad_since, kT0 - minutes(4));
}

TEST_F(EvaluateTest, UpHasNoBadSinceAndNoReasons) {
  fleet::StatusComponent spec = Spec("prod", "Prod");
  spec.environments = {"prod"};
  ComponentCondition c = Evaluate(spec, Snap(fleet_, {{"stage/api/http", Down()}}));
  EXPECT_EQ(c.condition, Condition::kUp);
  EXPECT_FALSE(c.bad_since.has_value());
  EXPECT_THAT(c.reasons, IsEmpty());
}

TEST_F(EvaluateTest, ReasonsComeFromTheWorstObjectsAtMostThreeWithoutRepeats) {
  fleet::StatusComponent spec = Spec("checks", "Checks");
  spec.checks = {"prod/api/http", "prod/api/tcp", "stage/api/http"};
  ComponentCondition c = Evaluate(spec, Snap(fleet_, {{"prod/api/http", Down(kT0, {"r1", "r2"})},
                                                      {"prod/api/tcp", Down(kT0, {"r2", "r3", "r4", "r5"})},
                                                      {"stage/api/http", Degraded(kT0, {"slow"})}}));
  EXPECT_EQ(c.condition, Condition::kPartialOutage);
  EXPECT_THAT(c.reasons, ElementsAre("r1", "r2", "r3"));

  // Only degraded: the degraded objects' reasons.
  c = Evaluate(spec, Snap(fleet_, {{"prod/api/http", Degraded(kT0, {"slow"})}}));
  EXPECT_THAT(c.reasons, ElementsAre("slow"));

  // One object with many reasons.
  spec.checks = {"prod/api/http"};
  c = Evaluate(spec, Snap(fleet_, {{"prod/api/http", Down(kT0, {"a", "b", "c", "d", "e"})}}));
  EXPECT_THAT(c.reasons, ElementsAre("a", "b", "c"));
}

TEST(ConditionNameTest, NamesEachCondition) {
  EXPECT_EQ(ConditionName(Condition::kUnknown), "unknown");
  EXPECT_EQ(ConditionName(Condition::kUp), "up");
  EXPECT_EQ(ConditionName(Condition::kDegraded), "degraded");
  EXPECT_EQ(ConditionName(Condition::kPartialOutage), "partial outage");
  EXPECT_EQ(ConditionName(Condition::kMajorOutage), "major outage");
}

// ---- Feed over a real status page ----

class FeedTest : public ::testing::Test {
 protected:
  void SetUp() override {
    page_ = OpenPage();
    ASSERT_NE(page_, nullptr);
    feed_ = std::make_unique<Feed>(page_.get());
    connectivity_ = page_->FindImpactTypeByName("Connectivity Problems")->id;
    performance_ = page_->FindImpactTypeByName("Performance Degration")->id;
  }

  std::unique_ptr<StatusPage> OpenPage() {
    std::unique_ptr<StatusPageStore> store;
    Status s = OpenSqliteStatusPageStore(path_, &store);
    EXPECT_TRUE(s.ok()) << s.ToString();
    if (!s.ok()) return nullptr;
    std::unique_ptr<StatusPage> page;
    s = StatusPage::Open(std::move(store), Defaults(), &page);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return page;
  }

  // One component "api" following prod's api service; opens after 2 minutes.
  void ConfigureApi(std::function<void(fleet::StatusComponent&)> edit = nullptr) {
    fleet::StatusPageSettings settings;
    fleet::StatusComponent api = Spec("api", "Prod API", "Backend");
    api.services = {"prod/api"};
    if (edit) edit(api);
    settings.components.push_back(api);
    Status s = feed_->Configure(settings);
    ASSERT_TRUE(s.ok()) << s.ToString();
    const Component* c = page_->FindComponentByKey("api");
    ASSERT_NE(c, nullptr);
    api_ = c->id;
  }

  void Tick(const std::map<std::string, St>& states, TimePoint now) {
    Status s = feed_->Tick(Snap(fleet_, states, now), now);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }

  // Every incident of the page (monitoring's and operators'), in creation order.
  std::vector<const Incident*> Incidents() const {
    std::vector<const Incident*> out;
    for (const auto& i : page_->data().incidents) out.push_back(&i);
    return out;
  }

  std::string NewManualIncident(IncidentInput in, TimePoint now) {
    std::string id;
    Status s = page_->CreateIncident(in, now, &id);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return id;
  }

  csoc::testing::TempDir dir_;
  std::filesystem::path path_ = dir_.path() / "csoc.db";
  std::shared_ptr<fleet::Fleet> fleet_ = TestFleet();
  std::unique_ptr<StatusPage> page_;
  std::unique_ptr<Feed> feed_;
  std::string connectivity_, performance_, api_;
};

// ---- Configure ----

TEST_F(FeedTest, ConfigureCreatesTheDeclaredComponentsWithTheirGroupAsALabel) {
  std::string manual;
  ASSERT_TRUE(
      page_->CreateComponent({"Made by the API", std::map<std::string, std::string>{{"k", "v"}}}, &manual).ok());
  fleet::StatusPageSettings settings;
  settings.components.push_back(Spec("api", "Prod API", "Backend"));
  settings.components.push_back(Spec("web", "Website"));
  ASSERT_TRUE(feed_->Configure(settings).ok());

  const Component* api = page_->FindComponentByKey("api");
  const Component* web = page_->FindComponentByKey("web");
  ASSERT_NE(api, nullptr);
  ASSERT_NE(web, nullptr);
  EXPECT_TRUE(IsUuid(api->id));
  EXPECT_EQ(api->display_name, "Prod API");
  EXPECT_EQ(api->labels, (std::map<std::string, std::string>{{"group", "Backend"}}));
  EXPECT_EQ(web->display_name, "Website");
  EXPECT_THAT(web->labels, IsEmpty());
  EXPECT_EQ(page_->data().components.size(), 3u);
  EXPECT_NE(page_->FindComponent(manual), nullptr);
  EXPECT_EQ(feed_->settings().components.size(), 2u);
  ASSERT_NE(feed_->SpecOf(api->id), nullptr);
  EXPECT_EQ(feed_->SpecOf(api->id)->name, "api");
  EXPECT_EQ(feed_->SpecOf(manual), nullptr);
  EXPECT_EQ(feed_->SpecOf("no-such-id"), nullptr);
}

TEST_F(FeedTest, ConfigureRenamesRegroupsAndRemovesComponentsByKey) {
  fleet::StatusPageSettings settings;
  settings.components.push_back(Spec("api", "Prod API", "Backend"));
  settings.components.push_back(Spec("web", "Website", "Frontend"));
  ASSERT_TRUE(feed_->Configure(settings).ok());
  std::string api = page_->FindComponentByKey("api")->id;
  std::string web = page_->FindComponentByKey("web")->id;
  uint64_t version = feed_->version();

  settings.components = {Spec("api", "Production API")};  // renamed, group dropped; web dropped
  ASSERT_TRUE(feed_->Configure(settings).ok());
  EXPECT_GT(feed_->version(), version);
  const Component* c = page_->FindComponentByKey("api");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->id, api);  // same component, same id
  EXPECT_EQ(c->display_name, "Production API");
  EXPECT_THAT(c->labels, IsEmpty());
  EXPECT_EQ(page_->FindComponentByKey("web"), nullptr);
  EXPECT_EQ(page_->FindComponent(web), nullptr);
  EXPECT_EQ(page_->data().components.size(), 1u);

  // What was synced is what is stored.
  std::unique_ptr<StatusPage> reopened = OpenPage();
  ASSERT_NE(reopened, nullptr);
  ASSERT_NE(reopened->FindComponentByKey("api"), nullptr);
  EXPECT_EQ(reopened->FindComponentByKey("api")->display_name, "Production API");
  EXPECT_EQ(reopened->FindComponentByKey("web"), nullptr);
}

TEST_F(FeedTest, RemovingAComponentFromTheConfigRemovesItFromItsIncidents) {
  ConfigureApi();
  Tick({{"prod/api/http", Down(kT0)}}, kT0 + minutes(2));
  ASSERT_EQ(Incidents().size(), 1u);
  ASSERT_TRUE(feed_->Configure(fleet::StatusPageSettings{}).ok());
  EXPECT_EQ(page_->FindComponent(api_), nullptr);
  ASSERT_EQ(Incidents().size(), 1u);
  EXPECT_THAT(Incidents()[0]->affects, IsEmpty());
}

// Dropping a component from the config while its automatic incident is open, then declaring it
// again: the component comes back with a new id. Monitoring must then follow an incident that
// affects the component, and must not add an update on every tick.
TEST_F(FeedTest, AComponentDroppedAndDeclaredAgainGetsAnIncidentThatAffectsIt) {
  ConfigureApi();
  Tick({{"prod/api/http", Down(kT0)}}, kT0 + minutes(2));
  ASSERT_EQ(Incidents().size(), 1u);
  fleet::StatusPageSettings settings = feed_->settings();
  ASSERT_TRUE(feed_->Configure(fleet::StatusPageSettings{}).ok());
  Tick({{"prod/api/http", Down(kT0)}}, kT0 + minutes(3));
  ASSERT_TRUE(feed_->Configure(settings).ok());
  std::string again = page_->FindComponentByKey("api")->id;

  for (int n = 4; n < 10; ++n) Tick({{"prod/api/http", Down(kT0)}}, kT0 + minutes(n));
  size_t updates = 0;
  bool affected = false;
  for (const auto* i : Incidents()) {
    updates += i->updates.size();
    for (const auto& m : i->affects) affected |= m.component_id == again && !i->ended_at;
  }
  EXPECT_TRUE(affected) << DumpIncidents(page_->data());
  EXPECT_LE(updates, 3u) << DumpIncidents(page_->data());
}

TEST_F(FeedTest, TickTracksConditionsOfBoundComponentsAndBumpsTheVersionOnChange) {
  fleet::StatusPageSettings settings;
  fleet::StatusComponent api = Spec("api", "Prod API");
  api.services = {"prod/api"};
  api.automatic.enabled = false;
  settings.components = {api, Spec("unbound", "Not bound")};
  ASSERT_TRUE(feed_->Configure(settings).ok());
  std::string id = page_->FindComponentByKey("api")->id;
  std::string unbound = page_->FindComponentByKey("unbound")->id;

  EXPECT_EQ(feed_->ConditionOf(id), nullptr);
  Tick({}, kT0);
  ASSERT_NE(feed_->ConditionOf(id), nullptr);
  EXPECT_EQ(feed_->ConditionOf(id)->condition, Condition::kUp);
  EXPECT_EQ(feed_->ConditionOf(unbound), nullptr);
  EXPECT_THAT(feed_->CheckIdsOf(id), ElementsAre("prod/api/http", "prod/api/tcp"));
  EXPECT_THAT(feed_->CheckIdsOf(unbound), IsEmpty());

  uint64_t v = feed_->version();
  Tick({}, kT0 + seconds(1));
  EXPECT_EQ(feed_->version(), v);  // nothing changed
  Tick({{"prod/api/tcp", Down()}}, kT0 + seconds(2));
  EXPECT_GT(feed_->version(), v);
  EXPECT_EQ(feed_->ConditionOf(id)->condition, Condition::kMajorOutage);
  // Disabled automatic incidents: the condition is tracked, nothing is opened.
  EXPECT_THAT(Incidents(), IsEmpty());
}

TEST_F(FeedTest, CheckIdsOfCoversEveryKindOfBinding) {
  fleet::StatusPageSettings settings;
  fleet::StatusComponent c = Spec("mixed", "Mixed");
  c.environments = {"stage"};
  c.clusters = {"west"};
  c.services = {"prod/web"};
  c.checks = {"prod/api/tcp"};
  settings.components = {c};
  ASSERT_TRUE(feed_->Configure(settings).ok());
  std::string id = page_->FindComponentByKey("mixed")->id;
  EXPECT_THAT(feed_->CheckIdsOf(id), IsEmpty());  // no snapshot yet
  Tick({}, kT0);
  EXPECT_THAT(feed_->CheckIdsOf(id),
              UnorderedElementsAre("prod/api/tcp", "prod/web/home", "stage/api/http", "dev/api/http"));
}

// ---- Automatic incidents ----

TEST_F(FeedTest, NothingOpensBeforeAfterHasPassedSinceBadSince) {
  ConfigureApi();
  Tick({{"prod/api/http", Down(kT0)}}, kT0);
  Tick({{"prod/api/http", Down(kT0)}}, kT0 + minutes(1));
  Tick({{"prod/api/http", Down(kT0)}}, kT0 + minutes(2) - std::chrono::milliseconds(1));
  EXPECT_THAT(Incidents(), IsEmpty());
}

TEST_F(FeedTest, AnOutageOpensAPublishedIncidentOnceAfterHasPassed) {
  ConfigureApi();
  TimePoint now = kT0 + minutes(2);
  Tick({{"prod/api/http", Down(kT0, {"status 503 is not in 200..399"})}, {"prod/api/tcp", Down(kT0 + seconds(20))}},
       now);
  ASSERT_EQ(Incidents().size(), 1u);
  const Incident& i = *Incidents()[0];
  EXPECT_TRUE(IsUuid(i.id));
  EXPECT_EQ(i.automatic_for, "api");
  EXPECT_TRUE(i.published);
  EXPECT_THAT(i.display_name, HasSubstr("Prod API"));
  EXPECT_THAT(i.description, HasSubstr("Prod API"));
  ASSERT_TRUE(i.began_at.has_value());
  EXPECT_EQ(*i.began_at, kT0);  // when it went bad, not when the incident opened
  EXPECT_FALSE(i.ended_at.has_value());
  ASSERT_TRUE(i.phase.has_value());
  const PhaseGeneration* g = page_->Phases(i.phase->generation);
  ASSERT_NE(g, nullptr);
  EXPECT_EQ(g->phases.at(i.phase->order), "Investigation ongoing");
  ASSERT_EQ(i.affects.size(), 1u);
  EXPECT_EQ(i.affects[0].component_id, api_);
  EXPECT_EQ(i.affects[0].type_id, connectivity_);
  EXPECT_EQ(i.affects[0].severity, 100);
  ASSERT_EQ(i.updates.size(), 1u);
  EXPECT_EQ(i.updates[0].order, 0);
  EXPECT_EQ(i.updates[0].created_at, now);
  EXPECT_THAT(i.updates[0].description, HasSubstr("status 503"));

  // Later ticks in the same condition change nothing, and open nothing more.
  std::string before = DumpIncidents(page_->data());
  Tick({{"prod/api/http", Down(kT0)}, {"prod/api/tcp", Down(kT0 + seconds(20))}}, now + minutes(1));
  Tick({{"prod/api/http", Down(kT0)}, {"prod/api/tcp", Down(kT0 + seconds(20))}}, now + minutes(30));
  EXPECT_EQ(DumpIncidents(page_->data()), before);

  // It was stored.
  std::unique_ptr<StatusPage> reopened = OpenPage();
  EXPECT_EQ(DumpIncidents(reopened->data()), before);
}

TEST_F(FeedTest, TheIncidentOpensOnTheFirstTickAfterTheThreshold) {
  ConfigureApi();
  Tick({{"prod/api/http", Down(kT0)}}, kT0 + minutes(45));
  ASSERT_EQ(Incidents().size(), 1u);
  EXPECT_EQ(*Incidents()[0]->began_at, kT0);
  EXPECT_EQ(Incidents()[0]->updates.at(0).created_at, kT0 + minutes(45));
}

TEST_F(FeedTest, AfterIsPerComponent) {
  ConfigureApi([](fleet::StatusComponent& c) { c.automatic.after = minutes(10); });
  Tick({{"prod/api/http", Down(kT0)}}, kT0 + minutes(9));
  EXPECT_THAT(Incidents(), IsEmpty());
  Tick({{"prod/api/http", Down(kT0)}}, kT0 + minutes(10));
  EXPECT_EQ(Incidents().size(), 1u);
}

TEST_F(FeedTest, ADraftWhenTheConfigSaysNotToPublish) {
  ConfigureApi([](fleet::StatusComponent& c) { c.automatic.publish = false; });
  Tick({{"prod/api/http", Down(kT0)}}, kT0 + minutes(3));
  ASSERT_EQ(Incidents().size(), 1u);
  EXPECT_FALSE(Incidents()[0]->published);
  EXPECT_EQ(Incidents()[0]->automatic_for, "api");
  // A draft is not listed publicly.
  EXPECT_THAT(OpenIncidents(*page_, kT0 + minutes(3)), IsEmpty());
}

TEST_F(FeedTest, DegradedOpensAPerformanceIncidentAndPartialOutageAConnectivityOne) {
  ConfigureApi();
  Tick({{"prod/api/http", Degraded(kT0)}}, kT0 + minutes(2));
  ASSERT_EQ(Incidents().size(), 1u);
  ASSERT_EQ(Incidents()[0]->affects.size(), 1u);
  EXPECT_EQ(Incidents()[0]->affects[0].type_id, performance_);
  EXPECT_EQ(Incidents()[0]->affects[0].severity, 33);

  // A second component, partly down.
  fleet::StatusPageSettings settings = feed_->settings();
  fleet::StatusComponent both = Spec("both", "Both APIs");
  both.services = {"prod/api", "stage/api"};
  settings.components.push_back(both);
  ASSERT_TRUE(feed_->Configure(settings).ok());
  std::string both_id = page_->FindComponentByKey("both")->id;
  Tick({{"prod/api/http", Degraded(kT0)}, {"stage/api/http", Down(kT0)}}, kT0 + minutes(3));
  const Incident* partial = nullptr;
  for (const auto* i : Incidents()) {
    if (i->automatic_for == "both") partial = i;
  }
  ASSERT_NE(partial, nullptr);
  ASSERT_EQ(partial->affects.size(), 1u);
  EXPECT_EQ(partial->affects[0].component_id, both_id);
  EXPECT_EQ(partial->affects[0].type_id, connectivity_);
  EXPECT_EQ(partial->affects[0].severity, 66);
}

TEST_F(FeedTest, WorseningAndImprovingWhileBadChangeTheSeverityWithAnUpdate) {
  ConfigureApi([](fleet::StatusComponent& c) { c.services = {"prod/api", "stage/api"}; });
  // Degraded → incident at 33.
  Tick({{"prod/api/http", Degraded(kT0)}}, kT0 + minutes(2));
  ASSERT_EQ(Incidents().size(), 1u);
  std::string id = Incidents()[0]->id;
  EXPECT_EQ(Incidents()[0]->MaxSeverity(), 33);

  // Worse: all of it down → 100, update 1.
  TimePoint t1 = kT0 + minutes(3);
  Tick({{"prod/api/http", Down(kT0 + minutes(3))}, {"stage/api/http", Down(kT0 + minutes(3))}}, t1);
  ASSERT_EQ(Incidents().size(), 1u);
  const Incident* i = page_->FindIncident(id);
  EXPECT_EQ(i->MaxSeverity(), 100);
  ASSERT_EQ(i->updates.size(), 2u);
  EXPECT_EQ(i->updates[1].order, 1);
  EXPECT_EQ(i->updates[1].created_at, t1);
  EXPECT_FALSE(i->ended_at.has_value());
  EXPECT_EQ(i->automatic_for, "api");

  // Better, but still bad: part down → 66, update 2.
  TimePoint t2 = kT0 + minutes(4);
  Tick({{"prod/api/http", Down(kT0 + minutes(3))}}, t2);
  i = page_->FindIncident(id);
  EXPECT_EQ(i->MaxSeverity(), 66);
  ASSERT_EQ(i->updates.size(), 3u);
  EXPECT_EQ(i->updates[2].order, 2);
  EXPECT_EQ(i->updates[2].created_at, t2);

  // The same condition again: nothing new.
  Tick({{"prod/api/http", Down(kT0 + minutes(3))}}, t2 + minutes(1));
  EXPECT_EQ(page_->FindIncident(id)->updates.size(), 3u);

  // Back to degraded → 33, update 3.
  Tick({{"prod/api/http", Degraded(kT0 + minutes(6))}}, kT0 + minutes(6));
  i = page_->FindIncident(id);
  EXPECT_EQ(i->MaxSeverity(), 33);
  EXPECT_EQ(i->updates.size(), 4u);
  EXPECT_EQ(Incidents().size(), 1u);
  EXPECT_EQ(*i->began_at, kT0);  // it began when it first went bad

  std::unique_ptr<StatusPage> reopened = OpenPage();
  EXPECT_EQ(DumpIncidents(reopened->data()), DumpIncidents(page_->data()));
}

TEST_F(FeedTest, RecoveryEndsTheIncidentWithPhaseDoneAndAResolvedUpdate) {
  ConfigureApi();
  Tick({{"prod/api/http", Down(kT0)}}, kT0 + minutes(2));
  ASSERT_EQ(Incidents().size(), 1u);
  std::string id = Incidents()[0]->id;

  TimePoint healthy = kT0 + minutes(9);
  Tick({}, healthy);
  const Incident* i = page_->FindIncident(id);
  ASSERT_NE(i, nullptr);
  ASSERT_TRUE(i->ended_at.has_value());
  EXPECT_EQ(*i->ended_at, healthy);
  ASSERT_TRUE(i->phase.has_value());
  const PhaseGeneration* g = page_->Phases(i->phase->generation);
  ASSERT_NE(g, nullptr);
  EXPECT_EQ(i->phase->order, static_cast<int>(g->phases.size()) - 1);
  EXPECT_EQ(g->phases.at(i->phase->order), "Done");
  ASSERT_EQ(i->updates.size(), 2u);
  EXPECT_EQ(i->updates[1].order, 1);
  EXPECT_EQ(i->updates[1].display_name, "Resolved");
  EXPECT_EQ(i->updates[1].created_at, healthy);
  EXPECT_EQ(IncidentStatus(*page_, *i, healthy), "resolved");
  EXPECT_THAT(OpenIncidents(*page_, healthy), IsEmpty());

  // Staying healthy changes nothing.
  std::string before = DumpIncidents(page_->data());
  Tick({}, healthy + minutes(5));
  EXPECT_EQ(DumpIncidents(page_->data()), before);
  EXPECT_EQ(DumpIncidents(OpenPage()->data()), before);

  // Bad again: a new incident, once `after` has passed since it went bad again.
  TimePoint again = kT0 + hours(1);
  Tick({{"prod/api/http", Down(again)}}, again + minutes(1));
  EXPECT_EQ(Incidents().size(), 1u);
  Tick({{"prod/api/http", Down(again)}}, again + minutes(2));
  ASSERT_EQ(Incidents().size(), 2u);
  EXPECT_NE(Incidents()[1]->id, id);
  EXPECT_EQ(*Incidents()[1]->began_at, again);
  EXPECT_FALSE(Incidents()[1]->ended_at.has_value());
  EXPECT_EQ(page_->FindIncident(id)->ended_at, healthy);  // the first stays as it was
}

TEST_F(FeedTest, AnUnknownConditionChangesNothing) {
  ConfigureApi();
  // Nothing is opened from unknown.
  Tick({{"prod/api/http", Unknown()}, {"prod/api/tcp", Unknown()}}, kT0 + hours(1));
  EXPECT_THAT(Incidents(), IsEmpty());

  Tick({{"prod/api/http", Down(kT0)}}, kT0 + minutes(2));
  ASSERT_EQ(Incidents().size(), 1u);
  std::string before = DumpIncidents(page_->data());
  uint64_t page_version = page_->version();
  // Monitoring lost sight: the incident is neither updated nor resolved.
  Tick({{"prod/api/http", Unknown()}, {"prod/api/tcp", Unknown()}}, kT0 + minutes(5));
  EXPECT_EQ(DumpIncidents(page_->data()), before);
  EXPECT_EQ(page_->version(), page_version);
  EXPECT_EQ(feed_->ConditionOf(api_)->condition, Condition::kUnknown);
  // When it comes back healthy, the incident is resolved.
  Tick({}, kT0 + minutes(6));
  ASSERT_EQ(Incidents().size(), 1u);
  EXPECT_EQ(Incidents()[0]->ended_at, kT0 + minutes(6));
}

TEST_F(FeedTest, DisabledAutomaticIncidentsOpenNothing) {
  ConfigureApi([](fleet::StatusComponent& c) { c.automatic.enabled = false; });
  Tick({{"prod/api/http", Down(kT0)}, {"prod/api/tcp", Down(kT0)}}, kT0 + hours(2));
  EXPECT_THAT(Incidents(), IsEmpty());
  EXPECT_EQ(feed_->ConditionOf(api_)->condition, Condition::kMajorOutage);
}

TEST_F(FeedTest, ActiveMaintenanceSuppressesOpening) {
  ConfigureApi();
  IncidentInput m;
  m.display_name = "Database upgrade";
  m.began_at = kT0 - minutes(10);
  m.ended_at = kT0 + hours(1);
  m.affects = std::vector<Impact>{{api_, performance_, 0}};
  std::string maintenance = NewManualIncident(m, kT0 - hours(1));

  Tick({{"prod/api/http", Down(kT0)}}, kT0 + minutes(5));
  Tick({{"prod/api/http", Down(kT0)}}, kT0 + minutes(59));
  ASSERT_EQ(Incidents().size(), 1u);
  EXPECT_EQ(Incidents()[0]->id, maintenance);

  // Still bad once the maintenance has ended: now monitoring opens one.
  Tick({{"prod/api/http", Down(kT0)}}, kT0 + hours(1));
  ASSERT_EQ(Incidents().size(), 2u);
  EXPECT_EQ(Incidents()[1]->automatic_for, "api");
}

TEST_F(FeedTest, MaintenanceThatHasNotBegunOrOnAnotherComponentDoesNotSuppress) {
  ConfigureApi();
  std::string other;
  ASSERT_TRUE(page_->CreateComponent({"Other", std::nullopt}, &other).ok());
  IncidentInput later;
  later.display_name = "Tomorrow's upgrade";
  later.began_at = kT0 + hours(24);
  later.ended_at = kT0 + hours(25);
  later.affects = std::vector<Impact>{{api_, performance_, 0}};
  NewManualIncident(later, kT0 - hours(1));
  IncidentInput elsewhere;
  elsewhere.display_name = "Elsewhere";
  elsewhere.began_at = kT0 - hours(1);
  elsewhere.ended_at = kT0 + hours(1);
  elsewhere.affects = std::vector<Impact>{{other, performance_, 0}};
  NewManualIncident(elsewhere, kT0 - hours(1));

  Tick({{"prod/api/http", Down(kT0)}}, kT0 + minutes(2));
  ASSERT_EQ(Incidents().size(), 3u);
  EXPECT_EQ(Incidents()[2]->automatic_for, "api");
}

TEST_F(FeedTest, AnOpenManualIncidentOnTheComponentSuppressesOpening) {
  ConfigureApi();
  IncidentInput in;
  in.display_name = "We know: the API is down";
  in.affects = std::vector<Impact>{{api_, connectivity_, 66}};
  std::string manual = NewManualIncident(in, kT0 - minutes(1));

  Tick({{"prod/api/http", Down(kT0)}}, kT0 + minutes(2));
  Tick({{"prod/api/http", Down(kT0)}, {"prod/api/tcp", Down(kT0)}}, kT0 + minutes(30));
  ASSERT_EQ(Incidents().size(), 1u);
  EXPECT_EQ(Incidents()[0]->id, manual);
  // Monitoring does not touch the operator's incident, not even when health returns.
  std::string before = DumpIncidents(page_->data());
  Tick({}, kT0 + minutes(31));
  EXPECT_EQ(DumpIncidents(page_->data()), before);
}

TEST_F(FeedTest, AResolvedManualIncidentDoesNotSuppressOpening) {
  ConfigureApi();
  IncidentInput in;
  in.display_name = "Yesterday";
  in.began_at = kT0 - hours(25);
  in.ended_at = kT0 - hours(24);
  in.affects = std::vector<Impact>{{api_, connectivity_, 100}};
  NewManualIncident(in, kT0 - hours(25));
  Tick({{"prod/api/http", Down(kT0)}}, kT0 + minutes(2));
  ASSERT_EQ(Incidents().size(), 2u);
  EXPECT_EQ(Incidents()[1]->automatic_for, "api");
}

TEST_F(FeedTest, AfterAnOperatorUpdatesTheIncidentTheFeedLeavesItAlone) {
  ConfigureApi();
  Tick({{"prod/api/http", Degraded(kT0)}}, kT0 + minutes(2));
  ASSERT_EQ(Incidents().size(), 1u);
  std::string id = Incidents()[0]->id;
  IncidentInput edit;
  edit.description = "Our database is slow; we are on it.";
  ASSERT_TRUE(page_->UpdateIncident(id, edit).ok());
  EXPECT_EQ(page_->FindIncident(id)->automatic_for, "");
  std::string before = DumpIncidents(page_->data());

  // Worse: no severity change, no update, no second incident (the operator's one covers it).
  Tick({{"prod/api/http", Down(kT0)}, {"prod/api/tcp", Down(kT0)}}, kT0 + minutes(5));
  EXPECT_EQ(DumpIncidents(page_->data()), before);
  // Healthy: not resolved by monitoring.
  Tick({}, kT0 + minutes(6));
  EXPECT_EQ(DumpIncidents(page_->data()), before);
  EXPECT_FALSE(page_->FindIncident(id)->ended_at.has_value());
}

TEST_F(FeedTest, AfterAnOperatorWritesAnUpdateTheFeedLeavesTheIncidentAlone) {
  ConfigureApi();
  Tick({{"prod/api/http", Down(kT0)}}, kT0 + minutes(2));
  ASSERT_EQ(Incidents().size(), 1u);
  std::string id = Incidents()[0]->id;
  UpdateInput u;
  u.display_name = "Identified";
  u.description = "A bad deploy; rolling back.";
  int order = -1;
  ASSERT_TRUE(page_->CreateUpdate(id, u, kT0 + minutes(3), &order).ok());
  EXPECT_EQ(order, 1);
  std::string before = DumpIncidents(page_->data());

  Tick({{"prod/api/http", Degraded(kT0)}}, kT0 + minutes(4));
  EXPECT_EQ(DumpIncidents(page_->data()), before);
  Tick({}, kT0 + minutes(5));
  EXPECT_EQ(DumpIncidents(page_->data()), before);
  EXPECT_FALSE(page_->FindIncident(id)->ended_at.has_value());
  EXPECT_EQ(Incidents().size(), 1u);
}

TEST_F(FeedTest, AfterARestartTheOpenAutomaticIncidentIsResolvedNotDuplicated) {
  ConfigureApi();
  Tick({{"prod/api/http", Down(kT0)}}, kT0 + minutes(2));
  ASSERT_EQ(Incidents().size(), 1u);
  std::string id = Incidents()[0]->id;

  // A new process: the page is opened again from the database, with a new Feed.
  feed_.reset();
  page_.reset();
  page_ = OpenPage();
  ASSERT_NE(page_, nullptr);
  feed_ = std::make_unique<Feed>(page_.get());
  ConfigureApi();
  ASSERT_EQ(page_->FindIncident(id)->automatic_for, "api");

  // Still bad: no second incident, no change.
  std::string before = DumpIncidents(page_->data());
  Tick({{"prod/api/http", Down(kT0)}}, kT0 + minutes(10));
  EXPECT_EQ(DumpIncidents(page_->data()), before);
  // A change is followed on the same incident.
  Tick({{"prod/api/http", Degraded(kT0)}}, kT0 + minutes(11));
  ASSERT_EQ(Incidents().size(), 1u);
  EXPECT_EQ(page_->FindIncident(id)->MaxSeverity(), 33);
  // Healthy: resolved.
  Tick({}, kT0 + minutes(12));
  ASSERT_EQ(Incidents().size(), 1u);
  EXPECT_EQ(page_->FindIncident(id)->ended_at, kT0 + minutes(12));
  EXPECT_EQ(page_->FindIncident(id)->updates.back().display_name, "Resolved");
}

TEST_F(FeedTest, EachComponentHasItsOwnAutomaticIncident) {
  fleet::StatusPageSettings settings;
  fleet::StatusComponent api = Spec("api", "Prod API");
  api.services = {"prod/api"};
  fleet::StatusComponent web = Spec("web", "Website");
  web.services = {"prod/web"};
  settings.components = {api, web};
  ASSERT_TRUE(feed_->Configure(settings).ok());
  Tick({{"prod/api/http", Down(kT0)}, {"prod/web/home", Down(kT0)}}, kT0 + minutes(2));
  ASSERT_EQ(Incidents().size(), 2u);
  EXPECT_THAT((std::vector<std::string>{Incidents()[0]->automatic_for, Incidents()[1]->automatic_for}),
              UnorderedElementsAre("api", "web"));
  // Only the website recovers.
  Tick({{"prod/api/http", Down(kT0)}}, kT0 + minutes(3));
  for (const auto* i : Incidents()) {
    EXPECT_EQ(i->ended_at.has_value(), i->automatic_for == "web") << i->automatic_for;
  }
}

// ---- Public view ----

class PublicViewTest : public FeedTest {
 protected:
  void SetUp() override {
    FeedTest::SetUp();
    ConfigureApi([](fleet::StatusComponent& c) { c.automatic.enabled = false; });
  }

  std::string MakeIncident(std::vector<Impact> affects, std::optional<TimePoint> began, std::optional<TimePoint> ended,
                           bool published = true) {
    IncidentInput in;
    in.display_name = "Something";
    in.began_at = began;
    in.ended_at = ended;
    in.affects = std::move(affects);
    in.published = published;
    return NewManualIncident(in, kT0);
  }

  ComponentStatus StatusNow(TimePoint now = kT0) { return StatusOf(*page_, *feed_, *page_->FindComponent(api_), now); }
};

TEST_F(PublicViewTest, StatusOfFollowsMonitoringWhenNothingIsDeclared) {
  EXPECT_EQ(StatusNow(), ComponentStatus::kOperational);  // never ticked
  Tick({}, kT0);
  EXPECT_EQ(StatusNow(), ComponentStatus::kOperational);
  Tick({{"prod/api/http", Degraded()}}, kT0);
  EXPECT_EQ(StatusNow(), ComponentStatus::kDegradedPerformance);
  Tick({{"prod/api/http", Down()}}, kT0);
  EXPECT_EQ(StatusNow(), ComponentStatus::kMajorOutage);
  ConfigureApi([](fleet::StatusComponent& c) {
    c.automatic.enabled = false;
    c.services = {"prod/api", "stage/api"};
  });
  Tick({{"prod/api/http", Down()}}, kT0);
  EXPECT_EQ(StatusNow(), ComponentStatus::kPartialOutage);
  Tick({{"prod/api/http", Unknown()}, {"prod/api/tcp", Unknown()}, {"stage/api/http", Unknown()}}, kT0);
  EXPECT_EQ(StatusNow(), ComponentStatus::kOperational);
}

TEST_F(PublicViewTest, MaintenanceBeatsMonitoring) {
  Tick({{"prod/api/http", Down()}}, kT0);
  MakeIncident({{api_, performance_, 0}}, kT0 - hours(1), kT0 + hours(1));
  EXPECT_EQ(StatusNow(), ComponentStatus::kUnderMaintenance);
  // Before it begins and once it has ended, monitoring shows again.
  EXPECT_EQ(StatusNow(kT0 - hours(2)), ComponentStatus::kMajorOutage);
  EXPECT_EQ(StatusNow(kT0 + hours(1)), ComponentStatus::kMajorOutage);
}

TEST_F(PublicViewTest, ADeclaredImpactBeatsMaintenanceAndMonitoring) {
  Tick({{"prod/api/http", Down()}}, kT0);
  MakeIncident({{api_, performance_, 0}}, kT0 - hours(1), kT0 + hours(1));
  MakeIncident({{api_, performance_, 20}}, kT0 - minutes(5), std::nullopt);
  EXPECT_EQ(StatusNow(), ComponentStatus::kDegradedPerformance);  // declared minor, though monitoring says down
  MakeIncident({{api_, connectivity_, 50}}, kT0 - minutes(5), std::nullopt);
  EXPECT_EQ(StatusNow(), ComponentStatus::kPartialOutage);  // the highest declared severity
}

TEST_F(PublicViewTest, DeclaredSeverityMapsToStatusByThreshold) {
  struct Case {
    int severity;
    ComponentStatus status;
  };
  for (Case c : {Case{1, ComponentStatus::kDegradedPerformance}, Case{33, ComponentStatus::kDegradedPerformance},
                 Case{34, ComponentStatus::kPartialOutage}, Case{66, ComponentStatus::kPartialOutage},
                 Case{67, ComponentStatus::kMajorOutage}, Case{100, ComponentStatus::kMajorOutage}}) {
    std::string id = MakeIncident({{api_, connectivity_, c.severity}}, kT0 - minutes(1), std::nullopt);
    EXPECT_EQ(StatusNow(), c.status) << c.severity;
    ASSERT_TRUE(page_->DeleteIncident(id).ok());
  }
}

TEST_F(PublicViewTest, DraftsAndInactiveIncidentsDoNotDeclare) {
  MakeIncident({{api_, connectivity_, 100}}, kT0 - minutes(5), std::nullopt, /*published=*/false);
  MakeIncident({{api_, connectivity_, 100}}, kT0 - hours(2), kT0 - hours(1));
  MakeIncident({{api_, connectivity_, 100}}, kT0 + hours(1), std::nullopt);
  MakeIncident({{api_, performance_, 0}}, kT0 - hours(1), kT0 + hours(1), /*published=*/false);
  EXPECT_EQ(StatusNow(), ComponentStatus::kOperational);
}

TEST_F(PublicViewTest, IncidentStatusFollowsThePhasePositionAndEndedAt) {
  // Default phases: Scheduled, Investigation ongoing, Working on it, Potential fix deployed, Done.
  const PhaseGeneration* g = page_->Phases();
  ASSERT_NE(g, nullptr);
  ASSERT_EQ(g->phases.size(), 5u);
  const int first = g->generation;  // `g` does not outlive adding a generation
  Incident i;
  i.began_at = kT0 - hours(1);
  EXPECT_EQ(IncidentStatus(*page_, i, kT0), "investigating");  // no phase
  const char* expected[] = {"investigating", "investigating", "identified", "monitoring", "resolved"};
  for (int order = 0; order < 5; ++order) {
    i.phase = PhaseRef{g->generation, order};
    EXPECT_EQ(IncidentStatus(*page_, i, kT0), expected[order]) << order;
  }
  // Ended: resolved whatever the phase; ending later: not yet.
  i.phase = PhaseRef{g->generation, 1};
  i.ended_at = kT0;
  EXPECT_EQ(IncidentStatus(*page_, i, kT0), "resolved");
  EXPECT_EQ(IncidentStatus(*page_, i, kT0 - seconds(1)), "investigating");
  i.ended_at.reset();

  // A longer list: positions between the second and the last split into identified, then monitoring.
  int generation = 0;
  ASSERT_TRUE(page_->AddPhaseGeneration({"a", "b", "c", "d", "e", "f", "g"}, &generation).ok());
  const char* seven[] = {"investigating", "investigating", "identified", "identified",
                         "monitoring",    "monitoring",    "resolved"};
  for (int order = 0; order < 7; ++order) {
    i.phase = PhaseRef{generation, order};
    EXPECT_EQ(IncidentStatus(*page_, i, kT0), seven[order]) << order;
  }
  // A phase of the older generation still reads against its own list.
  i.phase = PhaseRef{first, 4};
  EXPECT_EQ(IncidentStatus(*page_, i, kT0), "resolved");
  // One phase only, or an unknown generation: investigating.
  int single = 0;
  ASSERT_TRUE(page_->AddPhaseGeneration({"only"}, &single).ok());
  i.phase = PhaseRef{single, 0};
  EXPECT_EQ(IncidentStatus(*page_, i, kT0), "investigating");
  i.phase = PhaseRef{99, 1};
  EXPECT_EQ(IncidentStatus(*page_, i, kT0), "investigating");
}

TEST_F(PublicViewTest, MaintenanceStatusIsScheduledInProgressCompleted) {
  Incident m;
  m.began_at = kT0;
  m.ended_at = kT0 + hours(2);
  EXPECT_EQ(MaintenanceStatus(m, kT0 - seconds(1)), "scheduled");
  EXPECT_EQ(MaintenanceStatus(m, kT0), "in_progress");
  EXPECT_EQ(MaintenanceStatus(m, kT0 + hours(1)), "in_progress");
  EXPECT_EQ(MaintenanceStatus(m, kT0 + hours(2)), "completed");
  EXPECT_EQ(MaintenanceStatus(m, kT0 + hours(3)), "completed");
}

TEST(PublicViewNamesTest, ImpactNameThresholds) {
  EXPECT_EQ(ImpactName(-1), "none");
  EXPECT_EQ(ImpactName(0), "none");
  EXPECT_EQ(ImpactName(1), "minor");
  EXPECT_EQ(ImpactName(33), "minor");
  EXPECT_EQ(ImpactName(34), "major");
  EXPECT_EQ(ImpactName(66), "major");
  EXPECT_EQ(ImpactName(67), "critical");
  EXPECT_EQ(ImpactName(100), "critical");
}

TEST(PublicViewNamesTest, StatusNamesAndRanks) {
  EXPECT_EQ(StatuspageName(ComponentStatus::kOperational), "operational");
  EXPECT_EQ(StatuspageName(ComponentStatus::kDegradedPerformance), "degraded_performance");
  EXPECT_EQ(StatuspageName(ComponentStatus::kPartialOutage), "partial_outage");
  EXPECT_EQ(StatuspageName(ComponentStatus::kMajorOutage), "major_outage");
  EXPECT_EQ(StatuspageName(ComponentStatus::kUnderMaintenance), "under_maintenance");
  EXPECT_EQ(HumanName(ComponentStatus::kUnderMaintenance), "Under maintenance");
  EXPECT_LT(Rank(ComponentStatus::kOperational), Rank(ComponentStatus::kUnderMaintenance));
  EXPECT_LT(Rank(ComponentStatus::kUnderMaintenance), Rank(ComponentStatus::kDegradedPerformance));
  EXPECT_LT(Rank(ComponentStatus::kDegradedPerformance), Rank(ComponentStatus::kPartialOutage));
  EXPECT_LT(Rank(ComponentStatus::kPartialOutage), Rank(ComponentStatus::kMajorOutage));
}

TEST(PublicViewNamesTest, OverallIsTheWorstWithMaintenanceOnlyWhenNothingWorse) {
  using S = ComponentStatus;
  auto indicator = [](std::vector<S> v) { return OverallOf(v).indicator; };
  EXPECT_EQ(indicator({}), "none");
  EXPECT_EQ(OverallOf({}).description, "All Systems Operational");
  EXPECT_EQ(indicator({S::kOperational, S::kOperational}), "none");
  EXPECT_EQ(indicator({S::kOperational, S::kUnderMaintenance}), "maintenance");
  EXPECT_EQ(OverallOf({S::kUnderMaintenance}).description, "Service Under Maintenance");
  EXPECT_EQ(indicator({S::kUnderMaintenance, S::kDegradedPerformance}), "minor");
  EXPECT_EQ(indicator({S::kDegradedPerformance, S::kPartialOutage, S::kOperational}), "major");
  EXPECT_EQ(OverallOf({S::kPartialOutage}).description, "Partial System Outage");
  EXPECT_EQ(indicator({S::kMajorOutage, S::kUnderMaintenance, S::kPartialOutage}), "critical");
  EXPECT_EQ(OverallOf({S::kMajorOutage}).description, "Major System Outage");
}

TEST_F(PublicViewTest, OpenIncidentsAndMaintenancesListOnlyPublishedOnes) {
  std::string open = MakeIncident({{api_, connectivity_, 50}}, kT0 - minutes(5), std::nullopt);
  MakeIncident({{api_, connectivity_, 50}}, kT0 - minutes(5), std::nullopt, /*published=*/false);
  MakeIncident({{api_, connectivity_, 50}}, kT0 - hours(2), kT0 - hours(1));  // resolved
  MakeIncident({{api_, connectivity_, 50}}, kT0 + hours(1), std::nullopt);    // not begun
  std::string maint = MakeIncident({{api_, performance_, 0}}, kT0 + hours(1), kT0 + hours(2));
  MakeIncident({{api_, performance_, 0}}, kT0 + hours(1), kT0 + hours(2), /*published=*/false);
  std::vector<std::string> ids;
  for (const auto* i : OpenIncidents(*page_, kT0)) ids.push_back(i->id);
  EXPECT_THAT(ids, ElementsAre(open));
  ids.clear();
  for (const auto* i : Maintenances(*page_)) ids.push_back(i->id);
  EXPECT_THAT(ids, ElementsAre(maint));
}

}  // namespace
}  // namespace csoc::statuspage

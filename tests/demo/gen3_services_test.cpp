#include "demo/gen3_services.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>

namespace csoc::demo::internal {
namespace {

using std::chrono::milliseconds;

const CommonsProfile& Profile(Behaviour b) {
  for (const auto& c : DemoCommons()) {
    if (c.behaviour == b) return c;
  }
  throw std::logic_error("no commons with that behaviour");
}

TEST(DemoCommons, TwoClustersOfThreeWithEveryBehaviour) {
  const auto& commons = DemoCommons();
  ASSERT_EQ(commons.size(), 6u);
  std::map<std::string, int> per_cluster;
  std::set<std::string> names;
  std::set<Behaviour> behaviours;
  int tls_checks = 0;
  for (const auto& c : commons) {
    ++per_cluster[c.cluster];
    names.insert(c.name);
    behaviours.insert(c.behaviour);
    tls_checks += c.tls_check ? 1 : 0;
  }
  EXPECT_EQ(per_cluster, (std::map<std::string, int>{{"cluster-east", 3}, {"cluster-west", 3}}));
  EXPECT_EQ(names.size(), 6u);
  EXPECT_EQ(behaviours, (std::set<Behaviour>{Behaviour::kHealthy, Behaviour::kSlow, Behaviour::kFlapping,
                                             Behaviour::kFenceDown, Behaviour::kUnreachable}));
  EXPECT_EQ(tls_checks, 1);
}

TEST(Respond, HealthyCommonsAnswersEveryPathWithItsServiceBody) {
  const CommonsProfile& c = DemoCommons()[0];
  ASSERT_EQ(c.behaviour, Behaviour::kHealthy);
  TimePoint now = FromUnixMillis(1'700'000'000'000);
  for (std::string_view path : Gen3HealthPaths()) {
    Reply r = Respond(c, "GET", path, true, now);
    EXPECT_EQ(r.status, 200u) << path;
    EXPECT_FALSE(r.body.empty()) << path;
    EXPECT_EQ(r.delay, milliseconds(0)) << path;
  }
  EXPECT_EQ(Respond(c, "GET", "/user/_status", false, now).body, "Healthy");
  EXPECT_EQ(Respond(c, "GET", "/index/_status", true, now).body, "Healthy") << "only the flapping commons flaps";
  EXPECT_EQ(nlohmann::json::parse(Respond(c, "GET", "/api/_status", false, now).body)["status"], "OK");
  EXPECT_EQ(nlohmann::json::parse(Respond(c, "GET", "/_status", false, now).body)["message"], "Feelin good!");

  auto mds = nlohmann::json::parse(Respond(c, "GET", "/mds/_status", false, now).body);
  EXPECT_EQ(mds["status"], "OK");
  EXPECT_EQ(mds["timestamp"], "2023-11-14T22:13:20.000Z");

  Reply guppy = Respond(c, "GET", "/guppy/_status", false, now);
  EXPECT_EQ(guppy.content_type, "application/json");
  auto g = nlohmann::json::parse(guppy.body);
  EXPECT_EQ(g["statusCode"], 200);
  EXPECT_TRUE(g["warnings"].empty());
  EXPECT_TRUE(g["indices"].contains("gen3-prod-us_subject_0"));

  Reply portal = Respond(c, "GET", "/", false, now);
  EXPECT_EQ(portal.content_type, "text/html");
  EXPECT_NE(portal.body.find("<title>gen3-prod-us Data Commons</title>"), std::string::npos);
}

TEST(Respond, QueryStringsAreIgnoredAndUnknownPathsAre404) {
  const CommonsProfile& c = DemoCommons()[0];
  EXPECT_EQ(Respond(c, "GET", "/user/_status?verbose=1", false, {}).body, "Healthy");
  EXPECT_EQ(Respond(c, "GET", "/nope/_status", false, {}).status, 404u);
  EXPECT_EQ(Respond(c, "GET", "/user/_statusx", false, {}).status, 404u);
  EXPECT_EQ(Respond(c, "POST", "/_status", false, {}).status, 405u);
  EXPECT_EQ(Respond(c, "HEAD", "/_status", false, {}).status, 200u);
}

TEST(Respond, FenceDownCommonsFailsOnlyFence) {
  const CommonsProfile& c = Profile(Behaviour::kFenceDown);
  Reply fence = Respond(c, "GET", "/user/_status", false, {});
  EXPECT_EQ(fence.status, 503u);
  EXPECT_EQ(fence.body, R"({"error":"database unavailable"})");
  EXPECT_EQ(fence.content_type, "application/json");
  for (std::string_view path : Gen3HealthPaths()) {
    if (path == "/user/_status") continue;
    EXPECT_EQ(Respond(c, "GET", path, true, {}).status, 200u) << path;
  }
}

TEST(Respond, FlappingCommonsIndexdFollowsTheFlapState) {
  const CommonsProfile& c = Profile(Behaviour::kFlapping);
  EXPECT_EQ(Respond(c, "GET", "/index/_status", false, {}).status, 200u);
  Reply down = Respond(c, "GET", "/index/_status", true, {});
  EXPECT_EQ(down.status, 503u);
  EXPECT_EQ(down.body, "Unhealthy");
  EXPECT_EQ(Respond(c, "GET", "/user/_status", true, {}).status, 200u);
}

TEST(Respond, SlowCommonsDelaysGuppyAndPeregrineOnly) {
  const CommonsProfile& c = Profile(Behaviour::kSlow);
  EXPECT_EQ(Respond(c, "GET", "/guppy/_status", false, {}).delay, kGuppyDelay);
  EXPECT_EQ(Respond(c, "GET", "/peregrine/_status", false, {}).delay, kPeregrineDelay);
  EXPECT_EQ(Respond(c, "GET", "/user/_status", false, {}).delay, milliseconds(0));
  EXPECT_EQ(Respond(c, "GET", "/guppy/_status", false, {}).status, 200u);
  EXPECT_GT(kGuppyDelay, kPeregrineDelay);
}

TEST(FlapIsDown, AlternatesEveryPeriodStartingHealthy) {
  milliseconds period(300);
  EXPECT_FALSE(FlapIsDown(milliseconds(0), period));
  EXPECT_FALSE(FlapIsDown(milliseconds(299), period));
  EXPECT_TRUE(FlapIsDown(milliseconds(300), period));
  EXPECT_TRUE(FlapIsDown(milliseconds(599), period));
  EXPECT_FALSE(FlapIsDown(milliseconds(600), period));
  EXPECT_TRUE(FlapIsDown(milliseconds(900), period));
  EXPECT_FALSE(FlapIsDown(milliseconds(900), milliseconds(0))) << "a zero period never flaps";
}

TEST(DescribeBehaviour, NamesWhatMisbehavesAndHow) {
  EXPECT_EQ(DescribeBehaviour(DemoCommons()[0], milliseconds(300)), "healthy");
  EXPECT_EQ(DescribeBehaviour(Profile(Behaviour::kFlapping), milliseconds(20'000)),
            "flapping: indexd alternates between healthy and 503 every 20 s");
  EXPECT_EQ(DescribeBehaviour(Profile(Behaviour::kSlow), milliseconds(300)),
            "slow: guppy answers after 1.5 s, peregrine after 0.8 s");
  EXPECT_NE(DescribeBehaviour(Profile(Behaviour::kFenceDown), milliseconds(300)).find("fence returns 503"),
            std::string::npos);
  EXPECT_NE(DescribeBehaviour(Profile(Behaviour::kUnreachable), milliseconds(300)).find("connection refused"),
            std::string::npos);
}

}  // namespace
}  // namespace csoc::demo::internal

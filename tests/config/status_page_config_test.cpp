// The `status_page:` section (src/config/status_page.cpp): every key ends up in
// fleet::StatusPageSettings with its default, components are bound to fleet objects that exist, and
// every problem is reported as file:line:column with the exact message.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/config.h"
#include "config_test_util.h"
#include "support/support.h"

namespace csoc::config {
namespace {

using csoc::config::testing::Errors;
using csoc::config::testing::FakeEnv;
using csoc::config::testing::Load;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using namespace std::chrono_literals;

// Two environments on two clusters, three services, three checks: 16 lines, so that
// `status_page:` is line 17 and the first line given to WithStatusPage is line 18.
constexpr const char* kFleet = R"(environments:
  - name: prod
    cluster: east
    services:
      - name: api
        checks:
          - {name: health, url: "https://a.example.org/"}
      - name: web
        checks:
          - {name: home, url: "https://b.example.org/"}
  - name: staging
    cluster: west
    services:
      - name: api
        checks:
          - {name: health, url: "https://s.example.org/"}
)";

std::string WithStatusPage(const std::string& lines) { return std::string(kFleet) + "status_page:\n" + lines; }

// Where line `n` of the text given to WithStatusPage is in the file (n counts from 1).
constexpr int Line(int n) { return 17 + n; }

std::string At(int line, int column, const std::string& message) {
  return "fleet.yaml:" + std::to_string(line) + ":" + std::to_string(column) + ": " + message;
}

TEST(StatusPageConfigTest, AbsentSectionHasTheDefaults) {
  LoadResult r = Load(kFleet);
  ASSERT_THAT(Errors(r), IsEmpty());
  const fleet::StatusPageSettings& sp = r.fleet->status_page;
  EXPECT_EQ(sp.title, "");
  EXPECT_EQ(sp.description, "");
  EXPECT_EQ(sp.api_base, "/status-api/v1");
  EXPECT_THAT(sp.cors_origins, ElementsAre("*"));
  EXPECT_EQ(sp.listen, "");
  EXPECT_EQ(sp.public_url, "");
  EXPECT_TRUE(sp.automatic.enabled);
  EXPECT_EQ(sp.automatic.after, 2min);
  EXPECT_TRUE(sp.automatic.publish);
  EXPECT_THAT(sp.components, IsEmpty());
}

TEST(StatusPageConfigTest, EmptyMapHasTheDefaults) {
  LoadResult r = Load(std::string(kFleet) + "status_page: {}\n");
  ASSERT_THAT(Errors(r), IsEmpty());
  const fleet::StatusPageSettings& sp = r.fleet->status_page;
  EXPECT_EQ(sp.api_base, "/status-api/v1");
  EXPECT_THAT(sp.cors_origins, ElementsAre("*"));
  EXPECT_TRUE(sp.automatic.enabled);
  EXPECT_THAT(sp.components, IsEmpty());
}

// Everything but public_url (which has its own test below, so that one key cannot hide the rest).
// The section's automatic_incidents comes after the components on purpose: components inherit it
// whatever the order of the keys.
TEST(StatusPageConfigTest, FullSection) {
  LoadResult r = Load(WithStatusPage(R"(  title: "Gen3 status"
  description: "What works & what doesn't"
  api_base: /api/scs
  cors_origins: ["https://status.example.org", "http://localhost:3000"]
  listen: "0.0.0.0:8081"
  components:
    - name: everything
      display_name: "Everything in prod"
      group: Production
      description: "All of prod"
      environments: [prod]
    - name: clusters
      clusters: [east, west]
    - name: apis
      services: [prod/api, staging/api]
      automatic_incidents: {after: 30s}
    - name: home
      checks: [prod/web/home]
      automatic_incidents: false
    - name: unbound
      display_name: "Announcements only"
  automatic_incidents:
    after: 5m
    publish: false
)"));
  ASSERT_THAT(Errors(r), IsEmpty());
  const fleet::StatusPageSettings& sp = r.fleet->status_page;
  EXPECT_EQ(sp.title, "Gen3 status");
  EXPECT_EQ(sp.description, "What works & what doesn't");
  EXPECT_EQ(sp.api_base, "/api/scs");
  EXPECT_THAT(sp.cors_origins, ElementsAre("https://status.example.org", "http://localhost:3000"));
  EXPECT_EQ(sp.listen, "0.0.0.0:8081");
  EXPECT_EQ(sp.public_url, "");
  EXPECT_TRUE(sp.automatic.enabled);
  EXPECT_EQ(sp.automatic.after, 5min);
  EXPECT_FALSE(sp.automatic.publish);

  ASSERT_EQ(sp.components.size(), 5u);
  const fleet::StatusComponent& everything = sp.components[0];
  EXPECT_EQ(everything.name, "everything");
  EXPECT_EQ(everything.display_name, "Everything in prod");
  EXPECT_EQ(everything.group, "Production");
  EXPECT_EQ(everything.description, "All of prod");
  EXPECT_THAT(everything.environments, ElementsAre("prod"));
  EXPECT_THAT(everything.clusters, IsEmpty());
  EXPECT_THAT(everything.services, IsEmpty());
  EXPECT_THAT(everything.checks, IsEmpty());
  EXPECT_TRUE(everything.bound());
  EXPECT_EQ(everything.source_file, "fleet.yaml");
  // No override: the section's settings.
  EXPECT_TRUE(everything.automatic.enabled);
  EXPECT_EQ(everything.automatic.after, 5min);
  EXPECT_FALSE(everything.automatic.publish);

  const fleet::StatusComponent& clusters = sp.components[1];
  EXPECT_EQ(clusters.name, "clusters");
  EXPECT_EQ(clusters.display_name, "clusters") << "display_name defaults to the name";
  EXPECT_EQ(clusters.group, "");
  EXPECT_THAT(clusters.clusters, ElementsAre("east", "west"));

  // A partial override keeps the section's other settings.
  const fleet::StatusComponent& apis = sp.components[2];
  EXPECT_THAT(apis.services, ElementsAre("prod/api", "staging/api"));
  EXPECT_TRUE(apis.automatic.enabled);
  EXPECT_EQ(apis.automatic.after, 30s);
  EXPECT_FALSE(apis.automatic.publish) << "inherited from the section";

  const fleet::StatusComponent& home = sp.components[3];
  EXPECT_THAT(home.checks, ElementsAre("prod/web/home"));
  EXPECT_FALSE(home.automatic.enabled);
  EXPECT_EQ(home.automatic.after, 5min) << "`false` changes only enabled";
  EXPECT_FALSE(home.automatic.publish);

  const fleet::StatusComponent& unbound = sp.components[4];
  EXPECT_EQ(unbound.display_name, "Announcements only");
  EXPECT_FALSE(unbound.bound());
}

TEST(StatusPageConfigTest, PublicUrl) {
  LoadResult r = Load(WithStatusPage("  public_url: https://status.example.org\n"));
  ASSERT_THAT(Errors(r), IsEmpty());
  EXPECT_EQ(r.fleet->status_page.public_url, "https://status.example.org");

  r = Load(WithStatusPage("  public_url: \"http://example.org/status\"\n"));
  ASSERT_THAT(Errors(r), IsEmpty());
  EXPECT_EQ(r.fleet->status_page.public_url, "http://example.org/status");
}

TEST(StatusPageConfigTest, AutomaticIncidentsOffForTheSectionCanBeTurnedOnPerComponent) {
  LoadResult r = Load(WithStatusPage(R"(  automatic_incidents: false
  components:
    - {name: quiet, environments: [prod]}
    - {name: loud, environments: [staging], automatic_incidents: {enabled: true}}
    - {name: fast, environments: [staging], automatic_incidents: {enabled: true, after: 0s, publish: false}}
)"));
  ASSERT_THAT(Errors(r), IsEmpty());
  const fleet::StatusPageSettings& sp = r.fleet->status_page;
  EXPECT_FALSE(sp.automatic.enabled);
  EXPECT_EQ(sp.automatic.after, 2min);
  EXPECT_TRUE(sp.automatic.publish);
  ASSERT_EQ(sp.components.size(), 3u);
  EXPECT_FALSE(sp.components[0].automatic.enabled);
  EXPECT_TRUE(sp.components[1].automatic.enabled);
  EXPECT_EQ(sp.components[1].automatic.after, 2min);
  EXPECT_TRUE(sp.components[1].automatic.publish);
  EXPECT_TRUE(sp.components[2].automatic.enabled);
  EXPECT_EQ(sp.components[2].automatic.after, 0s);
  EXPECT_FALSE(sp.components[2].automatic.publish);
}

TEST(StatusPageConfigTest, AutomaticIncidentsAsAMap) {
  LoadResult r = Load(WithStatusPage("  automatic_incidents: {enabled: false, after: 90s, publish: true}\n"));
  ASSERT_THAT(Errors(r), IsEmpty());
  const fleet::AutomaticIncidents& a = r.fleet->status_page.automatic;
  EXPECT_FALSE(a.enabled);
  EXPECT_EQ(a.after, 90s);
  EXPECT_TRUE(a.publish);
}

// ---- Errors ----

TEST(StatusPageConfigTest, UnknownKeyInTheSectionWithSuggestion) {
  LoadResult r =
      Load(WithStatusPage("  title: x\n"
                          "  componets: []\n"));
  EXPECT_THAT(Errors(r),
              ElementsAre(At(Line(2), 3, "unknown key 'componets' in status_page (did you mean 'components'?)")));
  EXPECT_FALSE(r.fleet);
}

TEST(StatusPageConfigTest, UnknownKeysInComponentAndAutomaticIncidents) {
  LoadResult r =
      Load(WithStatusPage("  components:\n"
                          "    - name: a\n"
                          "      enviroments: [prod]\n"
                          "      automatic_incidents: {afterr: 1m}\n"));
  EXPECT_THAT(
      Errors(r),
      ElementsAre(At(Line(3), 7, "unknown key 'enviroments' in a status page component (did you mean 'environments'?)"),
                  At(Line(4), 29, "unknown key 'afterr' in automatic_incidents (did you mean 'after'?)")));
}

TEST(StatusPageConfigTest, UnknownEnvironmentWithSuggestion) {
  LoadResult r =
      Load(WithStatusPage("  components:\n"
                          "    - name: a\n"
                          "      environments: [prod, prd]\n"));
  EXPECT_THAT(
      Errors(r),
      ElementsAre(At(Line(3), 28, "environments: no environment named 'prd' in the fleet (did you mean 'prod'?)")));
  EXPECT_FALSE(r.fleet);
}

TEST(StatusPageConfigTest, UnknownClusterServiceAndCheck) {
  LoadResult r =
      Load(WithStatusPage("  components:\n"
                          "    - name: a\n"
                          "      clusters: [est]\n"
                          "      services:\n"
                          "        - prod/ap\n"
                          "        - api\n"
                          "      checks: [prod/api/helth, prod/api/nothing-like-it]\n"));
  EXPECT_THAT(
      Errors(r),
      ElementsAre(At(Line(3), 18, "clusters: no cluster named 'est' in the fleet (did you mean 'east'?)"),
                  At(Line(5), 11,
                     "services: no service (environment/service) named 'prod/ap' in the fleet (did you mean "
                     "'prod/api'?)"),
                  At(Line(6), 11, "services: no service (environment/service) named 'api' in the fleet"),
                  At(Line(7), 16,
                     "checks: no check (environment/service/check) named 'prod/api/helth' in the fleet (did you mean "
                     "'prod/api/health'?)"),
                  At(Line(7), 32,
                     "checks: no check (environment/service/check) named 'prod/api/nothing-like-it' in the fleet")));
}

TEST(StatusPageConfigTest, DuplicateComponentNamePointsAtTheFirst) {
  LoadResult r =
      Load(WithStatusPage("  components:\n"
                          "    - name: api\n"
                          "      environments: [prod]\n"
                          "    - name: web\n"
                          "    - name: api\n"
                          "      display_name: Again\n"));
  EXPECT_THAT(Errors(r), ElementsAre(At(Line(5), 13,
                                        "duplicate component name 'api' (first defined at fleet.yaml:" +
                                            std::to_string(Line(2)) + ":13)")));
  EXPECT_FALSE(r.fleet);
}

TEST(StatusPageConfigTest, InvalidOrMissingComponentName) {
  LoadResult r =
      Load(WithStatusPage("  components:\n"
                          "    - name: Bad Name\n"
                          "    - display_name: Nameless\n"));
  EXPECT_THAT(Errors(r),
              ElementsAre(At(Line(2), 13,
                             "name: 'Bad Name' is not a valid status page component name (use lower-case letters, "
                             "digits, '-', '_' and '.', starting with a letter or digit)"),
                          At(Line(3), 7, "status page component is missing required key 'name'")));
}

TEST(StatusPageConfigTest, EmptyOrTooLongDisplayNameAndGroup) {
  LoadResult r =
      Load(WithStatusPage("  components:\n"
                          "    - name: a\n"
                          "      display_name: \"\"\n"
                          "    - name: b\n"
                          "      group: \"" +
                          std::string(201, 'g') +
                          "\"\n"
                          "    - name: c\n"
                          "      display_name: \"" +
                          std::string(200, 'd') + "\"\n"));
  EXPECT_THAT(Errors(r), ElementsAre(At(Line(3), 21, "display_name: must have 1 to 200 characters"),
                                     At(Line(5), 14, "group: must have 1 to 200 characters")));
}

TEST(StatusPageConfigTest, BadApiBase) {
  LoadResult r = Load(WithStatusPage("  api_base: status-api/v1\n"));
  EXPECT_THAT(Errors(r), ElementsAre(At(Line(1), 13,
                                        "api_base: 'status-api/v1' must be a path like /status-api/v1 (leading '/', no "
                                        "trailing '/')")));
  r = Load(WithStatusPage("  api_base: /status-api/v1/\n"));
  EXPECT_THAT(Errors(r), ElementsAre(At(Line(1), 13,
                                        "api_base: '/status-api/v1/' must be a path like /status-api/v1 (leading '/', "
                                        "no trailing '/')")));
  r = Load(WithStatusPage("  api_base: /\n"));
  EXPECT_THAT(
      Errors(r),
      ElementsAre(At(Line(1), 13, "api_base: '/' must be a path like /status-api/v1 (leading '/', no trailing '/')")));
  r = Load(WithStatusPage("  api_base: \"/status?x=1\"\n"));
  EXPECT_THAT(Errors(r), ElementsAre(At(Line(1), 13,
                                        "api_base: '/status?x=1' must be a path like /status-api/v1 (leading '/', no "
                                        "trailing '/')")));
}

TEST(StatusPageConfigTest, BadCorsOrigins) {
  const std::string why = "' must be \"*\" or an origin like https://status.example.org (scheme and host, no path)";
  // An origin is scheme://host[:port]: a path (even a bare '/') is not part of it, and a browser never sends one.
  LoadResult r =
      Load(WithStatusPage("  cors_origins:\n"
                          "    - https://ok.example.org\n"
                          "    - https://status.example.org/path\n"
                          "    - https://status.example.org/\n"
                          "    - status.example.org\n"
                          "    - \"http://localhost:3000\"\n"));
  EXPECT_THAT(Errors(r), ElementsAre(At(Line(3), 7, "cors_origins: 'https://status.example.org/path" + why),
                                     At(Line(4), 7, "cors_origins: 'https://status.example.org/" + why),
                                     At(Line(5), 7, "cors_origins: 'status.example.org" + why)));
  EXPECT_FALSE(r.fleet);
}

TEST(StatusPageConfigTest, BadPublicUrl) {
  const std::string why = "' must be an absolute http(s) URL without a trailing '/', like https://status.example.org";
  for (const std::string bad : {"status.example.org", "https://status.example.org/", "ftp://status.example.org"}) {
    LoadResult r = Load(WithStatusPage("  public_url: \"" + bad + "\"\n"));
    EXPECT_THAT(Errors(r), ElementsAre(At(Line(1), 15, "public_url: '" + bad + why))) << bad;
  }
}

TEST(StatusPageConfigTest, LogoAndColors) {
  csoc::testing::TempDir dir;
  csoc::testing::WriteFile(dir.path() / "logo.svg", "<svg xmlns=\"http://www.w3.org/2000/svg\"/>");
  csoc::testing::WriteFile(dir.path() / "logo.gif", "GIF89a");
  csoc::testing::WriteFile(dir.path() / "fleet.yaml",
                           WithStatusPage("  logo: logo.svg\n"
                                          "  colors: {header: \"#12263f\", accent: \"#fff\"}\n"));
  LoadResult r = LoadFleet(dir.path() / "fleet.yaml", FakeEnv({}));
  ASSERT_THAT(Errors(r), IsEmpty());
  EXPECT_EQ(r.fleet->status_page.logo, "<svg xmlns=\"http://www.w3.org/2000/svg\"/>");
  EXPECT_EQ(r.fleet->status_page.logo_content_type, "image/svg+xml");
  EXPECT_EQ(r.fleet->status_page.colors.at("accent"), "#fff");

  // A missing file, a format browsers would need another type for, a colour that is not hex, a
  // colour key that does not exist.
  csoc::testing::WriteFile(dir.path() / "fleet.yaml", WithStatusPage("  logo: nope.svg\n"
                                                                     "  colors: {header: red, acent: \"#000\"}\n"));
  r = LoadFleet(dir.path() / "fleet.yaml", FakeEnv({}));
  std::string file = (dir.path() / "fleet.yaml").string();
  ASSERT_EQ(r.errors.size(), 3u) << ::testing::PrintToString(Errors(r));
  EXPECT_THAT(r.errors[0].message, ::testing::HasSubstr("logo: no such file"));
  EXPECT_THAT(r.errors[1].message, ::testing::HasSubstr("colors.header: 'red' must be a hex colour"));
  EXPECT_THAT(r.errors[2].message, ::testing::HasSubstr("unknown key 'acent' in colors (did you mean 'accent'?)"));
  csoc::testing::WriteFile(dir.path() / "fleet.yaml", WithStatusPage("  logo: logo.gif\n"));
  r = LoadFleet(dir.path() / "fleet.yaml", FakeEnv({}));
  EXPECT_THAT(Errors(r), ElementsAre(::testing::HasSubstr("must be an .svg or .png file"))) << file;
}

TEST(StatusPageConfigTest, BadListen) {
  LoadResult r = Load(WithStatusPage("  listen: \"0.0.0.0\"\n"));
  EXPECT_THAT(Errors(r), ElementsAre(At(Line(1), 11,
                                        "listen: '0.0.0.0' is not an address like 0.0.0.0:8081: expected host:port")));
  r = Load(WithStatusPage("  listen: \"0.0.0.0:99999\"\n"));
  EXPECT_THAT(Errors(r), ElementsAre(At(Line(1), 11,
                                        "listen: '0.0.0.0:99999' is not an address like 0.0.0.0:8081: port '99999' is "
                                        "not a number from 1 to 65535")));
}

TEST(StatusPageConfigTest, WrongTypes) {
  LoadResult r = Load(WithStatusPage(R"(  title: [a, b]
  cors_origins: "https://status.example.org"
  automatic_incidents: sometimes
  components:
    - name: a
      environments: prod
      checks: {prod: api}
      automatic_incidents: [false]
    - just-a-name
)"));
  EXPECT_THAT(
      Errors(r),
      ElementsAre(At(Line(1), 10, "title: expected a string, found a list"),
                  At(Line(2), 17, "cors_origins: expected a list of strings, found 'https://status.example.org'"),
                  At(Line(3), 24, "automatic_incidents: expected true or false, found 'sometimes'"),
                  At(Line(6), 21, "environments: expected a list of strings, found 'prod'"),
                  At(Line(7), 15, "checks: expected a list of strings, found a map"),
                  At(Line(8), 28,
                     "automatic_incidents: expected false, or a map with enabled, after and publish, found a "
                     "list"),
                  At(Line(9), 7,
                     "components[1]: expected a component: a map with name, display_name and what it "
                     "follows, found 'just-a-name'")));
}

TEST(StatusPageConfigTest, WrongTypeOfSectionAndComponents) {
  EXPECT_THAT(Errors(Load(std::string(kFleet) + "status_page: [a]\n")),
              ElementsAre("fleet.yaml:17:14: status_page: expected a map with title, components and other status page "
                          "settings, found a list"));
  EXPECT_THAT(Errors(Load(WithStatusPage("  components: {name: a}\n"))),
              ElementsAre(At(Line(1), 15, "components: expected a list of components, found a map")));
}

TEST(StatusPageConfigTest, EveryErrorIsReportedAtOnce) {
  LoadResult r = Load(WithStatusPage(R"(  api_base: v1/
  components:
    - name: a
      environments: [nope]
    - name: a
)"));
  EXPECT_EQ(r.errors.size(), 3u) << ::testing::PrintToString(Errors(r));
  EXPECT_FALSE(r.fleet);
}

TEST(StatusPageConfigTest, SectionInTwoFilesOfADirectory) {
  csoc::testing::TempDir dir;
  csoc::testing::WriteFile(dir.path() / "a-fleet.yaml", std::string(kFleet) + "status_page:\n  title: First\n");
  csoc::testing::WriteFile(dir.path() / "b-more.yaml", "status_page:\n  title: Second\n");
  LoadResult r = LoadFleet(dir.path(), FakeEnv());
  EXPECT_THAT(Errors(r),
              ElementsAre((dir.path() / "b-more.yaml").string() + ":1:1: status_page is already defined at " +
                          (dir.path() / "a-fleet.yaml").string() + ":17:1 (only one file may hold it)"));
  EXPECT_FALSE(r.fleet);
}

TEST(StatusPageConfigTest, SectionInItsOwnFileOfADirectory) {
  csoc::testing::TempDir dir;
  csoc::testing::WriteFile(dir.path() / "fleet.yaml", kFleet);
  csoc::testing::WriteFile(dir.path() / "status-page.yaml",
                           "status_page:\n  components:\n    - {name: x, environments: [staging]}\n");
  LoadResult r = LoadFleet(dir.path(), FakeEnv());
  ASSERT_THAT(Errors(r), IsEmpty());
  ASSERT_EQ(r.fleet->status_page.components.size(), 1u);
  EXPECT_THAT(r.fleet->status_page.components[0].environments, ElementsAre("staging"));
  EXPECT_EQ(r.fleet->status_page.components[0].source_file, (dir.path() / "status-page.yaml").string());

  // And an error in it names that file.
  csoc::testing::WriteFile(dir.path() / "status-page.yaml",
                           "status_page:\n  components:\n    - {name: x, environments: [stagin]}\n");
  r = LoadFleet(dir.path(), FakeEnv());
  EXPECT_THAT(Errors(r), ElementsAre((dir.path() / "status-page.yaml").string() +
                                     ":3:32: environments: no environment named 'stagin' in the fleet (did you mean "
                                     "'staging'?)"));
}

TEST(StatusPageConfigTest, EnvironmentVariablesAreExpanded) {
  LoadResult r = Load(WithStatusPage("  title: \"${SITE} status\"\n"
                                     "  public_url: \"${URL}\"\n"),
                      {{"SITE", "Gen3"}, {"URL", "https://status.example.org"}});
  ASSERT_THAT(Errors(r), IsEmpty());
  EXPECT_EQ(r.fleet->status_page.title, "Gen3 status");
  EXPECT_EQ(r.fleet->status_page.public_url, "https://status.example.org");
}

}  // namespace
}  // namespace csoc::config

// Loading valid configurations: every key ends up in the fleet model with the documented defaults.
#include "config/config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config_test_util.h"
#include "support/support.h"

namespace csoc::config {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using namespace std::chrono_literals;
using csoc::config::testing::Errors;
using csoc::config::testing::FakeEnv;
using csoc::config::testing::Load;

const fleet::Check& OnlyCheck(const fleet::Fleet& f) {
  EXPECT_EQ(f.AllChecks().size(), 1u);
  return *f.AllChecks().at(0);
}

std::vector<std::string> ConditionTexts(const std::vector<fleet::Condition>& cs) {
  std::vector<std::string> out;
  for (const auto& c : cs) out.push_back(c.text());
  return out;
}

TEST(LoadTest, MinimalEnvironmentGetsDefaults) {
  LoadResult r = Load(R"(environments:
  - name: prod
    cluster: east
    services:
      - name: api
        checks:
          - name: health
            url: https://api.example.org/health
)");
  ASSERT_THAT(Errors(r), IsEmpty());
  ASSERT_TRUE(r.fleet);
  EXPECT_THAT(r.files, ElementsAre("fleet.yaml"));
  const fleet::Fleet& f = *r.fleet;
  EXPECT_EQ(f.settings.listen, "127.0.0.1:8080");
  EXPECT_EQ(f.settings.title, "csoc");
  ASSERT_EQ(f.environments.size(), 1u);
  const fleet::Environment& env = f.environments[0];
  EXPECT_EQ(env.name, "prod");
  EXPECT_EQ(env.cluster, "east");
  EXPECT_EQ(env.source_file, "fleet.yaml");
  ASSERT_EQ(env.services.size(), 1u);
  EXPECT_TRUE(env.services[0].critical);
  const fleet::Check& c = OnlyCheck(f);
  EXPECT_EQ(c.id, "prod/api/health");
  EXPECT_EQ(c.name, "health");
  EXPECT_EQ(c.service, "api");
  EXPECT_EQ(c.environment, "prod");
  EXPECT_EQ(c.cluster, "east");
  EXPECT_EQ(c.kind, fleet::CheckKind::kHttp);
  const auto& http = std::get<fleet::HttpSpec>(c.spec);
  EXPECT_EQ(http.url, "https://api.example.org/health");
  EXPECT_EQ(http.method, "GET");
  EXPECT_TRUE(http.tls_verify);
  EXPECT_FALSE(http.follow_redirects);
  EXPECT_EQ(c.interval, 30s);
  EXPECT_EQ(c.timeout, 10s);
  EXPECT_EQ(c.failure_threshold, 2);
  EXPECT_EQ(c.success_threshold, 1);
  EXPECT_TRUE(c.critical);
  EXPECT_TRUE(c.conditions.empty());
}

TEST(LoadTest, EnvironmentFields) {
  LoadResult r = Load(R"(environments:
  - name: gen3-prod.us_1
    cluster: EKS-Prod
    hostname: data.example.org
    namespace: gen3
    description: Production commons
    labels: {tier: production, region: us}
    owners: [alice@example.org, team-data]
    links:
      - {title: Runbook, url: "https://wiki.example.org/runbook"}
    services:
      - name: portal
        description: The portal
        critical: false
        checks:
          - {name: home, path: /}
)");
  ASSERT_THAT(Errors(r), IsEmpty());
  const fleet::Environment& env = r.fleet->environments[0];
  EXPECT_EQ(env.name, "gen3-prod.us_1");
  EXPECT_EQ(env.cluster, "EKS-Prod");
  EXPECT_EQ(env.hostname, "data.example.org");
  EXPECT_EQ(env.namespace_, "gen3");
  EXPECT_EQ(env.description, "Production commons");
  EXPECT_EQ(env.labels, (std::map<std::string, std::string>{{"region", "us"}, {"tier", "production"}}));
  EXPECT_THAT(env.owners, ElementsAre("alice@example.org", "team-data"));
  ASSERT_EQ(env.links.size(), 1u);
  EXPECT_EQ(env.links[0].title, "Runbook");
  EXPECT_EQ(env.links[0].url, "https://wiki.example.org/runbook");
  EXPECT_EQ(env.services[0].description, "The portal");
  EXPECT_FALSE(env.services[0].critical);
  // A path is joined to the default base URL https://<hostname>.
  EXPECT_EQ(std::get<fleet::HttpSpec>(OnlyCheck(*r.fleet).spec).url, "https://data.example.org/");
}

TEST(LoadTest, PathIsJoinedToBaseUrl) {
  LoadResult r = Load(R"(environments:
  - name: local
    cluster: dev
    base_url: http://127.0.0.1:18101/prefix/
    services:
      - name: fence
        checks:
          - name: health
            path: /user/_status?verbose=1
)");
  ASSERT_THAT(Errors(r), IsEmpty());
  EXPECT_EQ(std::get<fleet::HttpSpec>(OnlyCheck(*r.fleet).spec).url,
            "http://127.0.0.1:18101/prefix/user/_status?verbose=1");
  // Without a hostname, the base URL's host is the environment's hostname.
  EXPECT_EQ(r.fleet->environments[0].hostname, "127.0.0.1");
}

TEST(LoadTest, HttpCheckFields) {
  LoadResult r = Load(R"(environments:
  - name: prod
    cluster: east
    services:
      - name: api
        checks:
          - name: search
            type: http
            url: https://api.example.org/search
            method: post
            headers:
              Content-Type: application/json
              Authorization: {value: "Bearer abc", secret: true}
              X-Token: ${API_TOKEN}
            body: '{"q": "x"}'
            follow_redirects: true
            tls_verify: false
            interval: 1m
            timeout: 2500ms
            failure_threshold: 3
            success_threshold: 2
            critical: false
            description: Search answers
            conditions:
              - status == 200
              - $.ok == true
            degraded_conditions: [response_time < 500ms]
)",
                      {{"API_TOKEN", "t0ken"}});
  ASSERT_THAT(Errors(r), IsEmpty());
  const fleet::Check& c = OnlyCheck(*r.fleet);
  const auto& http = std::get<fleet::HttpSpec>(c.spec);
  EXPECT_EQ(http.method, "POST");
  ASSERT_EQ(http.headers.size(), 3u);
  EXPECT_EQ(http.headers[0].name, "Content-Type");
  EXPECT_EQ(http.headers[0].value, "application/json");
  EXPECT_FALSE(http.headers[0].secret);
  EXPECT_EQ(http.headers[1].name, "Authorization");
  EXPECT_EQ(http.headers[1].value, "Bearer abc");
  EXPECT_TRUE(http.headers[1].secret);
  EXPECT_EQ(http.headers[2].name, "X-Token");
  EXPECT_EQ(http.headers[2].value, "t0ken");
  EXPECT_TRUE(http.headers[2].secret) << "a value from ${ENV} is secret";
  EXPECT_EQ(http.body, R"({"q": "x"})");
  EXPECT_TRUE(http.follow_redirects);
  EXPECT_FALSE(http.tls_verify);
  EXPECT_EQ(c.interval, 60s);
  EXPECT_EQ(c.timeout, 2500ms);
  EXPECT_EQ(c.failure_threshold, 3);
  EXPECT_EQ(c.success_threshold, 2);
  EXPECT_FALSE(c.critical);
  EXPECT_EQ(c.description, "Search answers");
  EXPECT_THAT(ConditionTexts(c.conditions), ElementsAre("status == 200", "$.ok == true"));
  EXPECT_THAT(ConditionTexts(c.degraded_conditions), ElementsAre("response_time < 500ms"));
}

TEST(LoadTest, TcpTlsAndDnsChecks) {
  LoadResult r = Load(R"(environments:
  - name: prod
    cluster: east
    hostname: gen3.example.org
    services:
      - name: infra
        checks:
          - {name: db, type: tcp, host: db.internal, port: 5432}
          - {name: cert, type: tls}
          - name: cert-ldap
            type: tls
            host: 10.0.0.7
            port: 636
            server_name: ldap.example.org
            verify: false
          - {name: dns, type: dns}
          - {name: dns6, type: dns, query_name: www.example.org, record_type: aaaa, server: "[2001:db8::53]:5353"}
          - {name: dns-v4, type: dns, query_name: example.org, server: 10.0.0.2}
)");
  ASSERT_THAT(Errors(r), IsEmpty());
  const auto checks = r.fleet->AllChecks();
  ASSERT_EQ(checks.size(), 6u);
  EXPECT_EQ(checks[0]->kind, fleet::CheckKind::kTcp);
  EXPECT_EQ(std::get<fleet::TcpSpec>(checks[0]->spec).host, "db.internal");
  EXPECT_EQ(std::get<fleet::TcpSpec>(checks[0]->spec).port, 5432);

  const auto& cert = std::get<fleet::TlsSpec>(checks[1]->spec);
  EXPECT_EQ(cert.host, "gen3.example.org") << "defaults to the environment's hostname";
  EXPECT_EQ(cert.port, 443);
  EXPECT_TRUE(cert.verify);
  const auto& ldap = std::get<fleet::TlsSpec>(checks[2]->spec);
  EXPECT_EQ(ldap.host, "10.0.0.7");
  EXPECT_EQ(ldap.port, 636);
  EXPECT_EQ(ldap.server_name, "ldap.example.org");
  EXPECT_FALSE(ldap.verify);

  EXPECT_EQ(checks[3]->kind, fleet::CheckKind::kDns);
  const auto& dns = std::get<fleet::DnsSpec>(checks[3]->spec);
  EXPECT_EQ(dns.name, "gen3.example.org");
  EXPECT_EQ(dns.record_type, "A");
  EXPECT_EQ(dns.server, "");
  const auto& dns6 = std::get<fleet::DnsSpec>(checks[4]->spec);
  EXPECT_EQ(dns6.name, "www.example.org");
  EXPECT_EQ(dns6.record_type, "AAAA");
  EXPECT_EQ(dns6.server, "[2001:db8::53]:5353");
  EXPECT_EQ(std::get<fleet::DnsSpec>(checks[5]->spec).server, "10.0.0.2");
}

TEST(LoadTest, SettingsAndDefaults) {
  LoadResult r = Load(R"(settings:
  listen: 0.0.0.0:9090
  data_dir: /var/lib/csoc
  title: Research Fleet
  retention: {raw: 2d, minute: 14d, hour: 180d, day: 730d}
defaults:
  interval: 15s
  timeout: 20s
  failure_threshold: 4
  success_threshold: 2
environments:
  - name: prod
    cluster: east
    services:
      - name: api
        checks:
          - {name: a, url: "https://a.example.org/"}
          - {name: b, url: "https://a.example.org/", interval: 5s}
          - {name: c, url: "https://a.example.org/", interval: 1m, timeout: 45s, failure_threshold: 1}
)");
  // A default timeout longer than the default interval is an error; here it is 20s > 15s.
  EXPECT_THAT(Errors(r), ElementsAre("fleet.yaml:8:12: timeout: 20s is longer than the default interval 15s"));

  r = Load(R"(settings:
  listen: "[::]:9090"
  data_dir: /var/lib/csoc
  title: Research Fleet
  retention: {raw: 2d, minute: 14d, hour: 180d, day: 730d}
defaults:
  interval: 15s
  timeout: 12s
  failure_threshold: 4
  success_threshold: 2
environments:
  - name: prod
    cluster: east
    services:
      - name: api
        checks:
          - {name: a, url: "https://a.example.org/"}
          - {name: b, url: "https://a.example.org/", interval: 5s}
          - {name: c, url: "https://a.example.org/", interval: 1m, timeout: 45s, failure_threshold: 1}
)");
  ASSERT_THAT(Errors(r), IsEmpty());
  const fleet::Settings& s = r.fleet->settings;
  EXPECT_EQ(s.listen, "[::]:9090");
  EXPECT_EQ(s.data_dir, "/var/lib/csoc");
  EXPECT_EQ(s.title, "Research Fleet");
  EXPECT_EQ(s.retention.raw, 48h);
  EXPECT_EQ(s.retention.minute, 14 * 24h);
  EXPECT_EQ(s.retention.hour, 180 * 24h);
  EXPECT_EQ(s.retention.day, 730 * 24h);
  const auto checks = r.fleet->AllChecks();
  EXPECT_EQ(checks[0]->interval, 15s);
  EXPECT_EQ(checks[0]->timeout, 12s);
  EXPECT_EQ(checks[0]->failure_threshold, 4);
  EXPECT_EQ(checks[0]->success_threshold, 2);
  // The inherited timeout is shortened to a shorter interval.
  EXPECT_EQ(checks[1]->interval, 5s);
  EXPECT_EQ(checks[1]->timeout, 5s);
  EXPECT_EQ(checks[2]->interval, 60s);
  EXPECT_EQ(checks[2]->timeout, 45s);
  EXPECT_EQ(checks[2]->failure_threshold, 1);
}

TEST(LoadTest, DefaultTimeoutIsTenSecondsOrTheInterval) {
  LoadResult r = Load(R"(environments:
  - name: prod
    cluster: east
    services:
      - name: api
        checks:
          - {name: slow, url: "https://a.example.org/", interval: 5m}
          - {name: fast, url: "https://a.example.org/", interval: 2s}
)");
  ASSERT_THAT(Errors(r), IsEmpty());
  EXPECT_EQ(r.fleet->AllChecks()[0]->timeout, 10s);
  EXPECT_EQ(r.fleet->AllChecks()[1]->timeout, 2s);
}

TEST(LoadTest, EnvironmentVariablesAreExpandedInValues) {
  LoadResult r = Load(R"(settings:
  title: "${TITLE} fleet"
environments:
  - name: ${ENV_NAME}
    cluster: east
    hostname: ${HOST}
    services:
      - name: api
        checks:
          - name: health
            url: https://${HOST}:${PORT}/health
            body: "literal $${NOT_EXPANDED} and $5"
)",
                      {{"TITLE", "Blue"}, {"ENV_NAME", "staging"}, {"HOST", "stage.example.org"}, {"PORT", "8443"}});
  ASSERT_THAT(Errors(r), IsEmpty());
  EXPECT_EQ(r.fleet->settings.title, "Blue fleet");
  EXPECT_EQ(r.fleet->environments[0].name, "staging");
  const fleet::Check& c = OnlyCheck(*r.fleet);
  EXPECT_EQ(c.id, "staging/api/health");
  EXPECT_EQ(std::get<fleet::HttpSpec>(c.spec).url, "https://stage.example.org:8443/health");
  EXPECT_EQ(std::get<fleet::HttpSpec>(c.spec).body, "literal ${NOT_EXPANDED} and $5");
}

TEST(LoadTest, ProcessEnvironmentReadsRealVariables) {
  ::setenv("CSOC_CONFIG_TEST_VARIABLE", "from-process", 1);
  EXPECT_EQ(ProcessEnvironment()("CSOC_CONFIG_TEST_VARIABLE"), "from-process");
  ::unsetenv("CSOC_CONFIG_TEST_VARIABLE");
  EXPECT_EQ(ProcessEnvironment()("CSOC_CONFIG_TEST_VARIABLE"), std::nullopt);
}

TEST(LoadTest, MultipleDocumentsInOneFile) {
  LoadResult r = Load(R"(environments:
  - {name: a, cluster: east, services: [{name: s, checks: [{name: c, url: "http://a.example.org/"}]}]}
---
environments:
  - {name: b, cluster: west, services: [{name: s, checks: [{name: c, url: "http://b.example.org/"}]}]}
)");
  ASSERT_THAT(Errors(r), IsEmpty());
  ASSERT_EQ(r.fleet->environments.size(), 2u);
  EXPECT_THAT(r.fleet->Clusters(), ElementsAre("east", "west"));
}

TEST(LoadTest, AnchorsAliasesAndMergeKeys) {
  LoadResult r = Load(R"(environments:
  - name: prod
    cluster: east
    services:
      - name: api
        checks:
          - &base
            name: one
            url: https://a.example.org/
            interval: 10s
            conditions: [status == 200]
          - <<: *base
            name: two
            interval: 20s
      - name: copy
        checks: [*base]
)");
  ASSERT_THAT(Errors(r), IsEmpty());
  const auto checks = r.fleet->AllChecks();
  ASSERT_EQ(checks.size(), 3u);
  EXPECT_EQ(checks[1]->id, "prod/api/two");
  EXPECT_EQ(checks[1]->interval, 20s) << "a key in the map wins over the merged one";
  EXPECT_EQ(std::get<fleet::HttpSpec>(checks[1]->spec).url, "https://a.example.org/");
  EXPECT_THAT(ConditionTexts(checks[1]->conditions), ElementsAre("status == 200"));
  EXPECT_EQ(checks[2]->id, "prod/copy/one");
}

TEST(LoadTest, CaFileIsResolvedAgainstTheConfigFile) {
  csoc::testing::TempDir dir;
  csoc::testing::WriteFile(dir.path() / "ca.pem", "not checked here");
  csoc::testing::WriteFile(dir.path() / "fleet.yaml", R"(environments:
  - name: prod
    cluster: east
    hostname: gen3.example.org
    services:
      - name: api
        checks:
          - {name: web, path: /, ca_file: ca.pem}
          - {name: cert, type: tls, ca_file: ca.pem}
)");
  LoadResult r = LoadFleet(dir.path() / "fleet.yaml", FakeEnv());
  ASSERT_THAT(Errors(r), IsEmpty());
  std::string expected = (dir.path() / "ca.pem").string();
  EXPECT_EQ(std::get<fleet::HttpSpec>(r.fleet->AllChecks()[0]->spec).ca_file, expected);
  EXPECT_EQ(std::get<fleet::TlsSpec>(r.fleet->AllChecks()[1]->spec).ca_file, expected);
}

TEST(LoadTest, DirectoryIsMergedInNameOrder) {
  csoc::testing::TempDir dir;
  csoc::testing::WriteFile(dir.path() / "b-env.yml", R"(environments:
  - {name: b, cluster: west, services: [{name: s, checks: [{name: c, url: "http://b.example.org/"}]}]}
)");
  csoc::testing::WriteFile(dir.path() / "a-env.yaml", R"(environments:
  - {name: a, cluster: east, services: [{name: s, checks: [{name: c, url: "http://a.example.org/"}]}]}
)");
  // Defaults in a later file still apply to checks of earlier files.
  csoc::testing::WriteFile(dir.path() / "z-settings.yaml", "settings: {title: Merged}\ndefaults: {interval: 45s}\n");
  csoc::testing::WriteFile(dir.path() / "notes.txt", "not: [yaml");
  csoc::testing::WriteFile(dir.path() / ".hidden.yaml", "not: [yaml");
  std::filesystem::create_directory(dir.path() / "sub.yaml");
  LoadResult r = LoadFleet(dir.path(), FakeEnv());
  ASSERT_THAT(Errors(r), IsEmpty());
  ASSERT_EQ(r.files.size(), 3u);
  EXPECT_EQ(r.files[0].filename(), "a-env.yaml");
  EXPECT_EQ(r.files[1].filename(), "b-env.yml");
  EXPECT_EQ(r.files[2].filename(), "z-settings.yaml");
  EXPECT_EQ(r.fleet->settings.title, "Merged");
  ASSERT_EQ(r.fleet->environments.size(), 2u);
  EXPECT_EQ(r.fleet->environments[0].name, "a");
  EXPECT_EQ(r.fleet->environments[0].source_file, (dir.path() / "a-env.yaml").string());
  EXPECT_EQ(r.fleet->environments[1].name, "b");
  EXPECT_EQ(r.fleet->AllChecks()[0]->interval, 45s);
}

// The shape `csoc simulate` writes (src/demo/fleet_config.cpp): everything quoted, an http base URL
// on 127.0.0.1 with a public-looking hostname, and a hand-written certificate service next to the
// preset.
TEST(LoadTest, SimulatorStyleConfigLoads) {
  LoadResult r = Load(R"(environments:
  - name: "gen3-prod-us"
    hostname: "gen3-prod-us.example.org"
    base_url: "http://127.0.0.1:18101"
    preset: gen3
    cluster: "cluster-east"
    namespace: "gen3-prod-us"
    description: "Simulated Gen3 commons: healthy"
    labels:
      tier: "production"
    owners:
      - "data-platform-us@example.org"
    links:
      - title: "Portal"
        url: "http://127.0.0.1:18101/"
    preset_options:
      enable: [requestor, sower]
    services:
      - name: "certificate"
        critical: true
        checks:
          - name: "tls"
            type: tls
            host: "127.0.0.1"
            port: 18110
            server_name: "localhost"
            verify: false
            degraded_conditions:
              - "cert.days_left > 14"
)");
  ASSERT_THAT(Errors(r), IsEmpty());
  const fleet::Environment& env = r.fleet->environments[0];
  EXPECT_EQ(env.hostname, "gen3-prod-us.example.org");
  EXPECT_EQ(env.services.size(), 15u);
  EXPECT_EQ(env.services.back().name, "certificate");
  EXPECT_EQ(std::get<fleet::HttpSpec>(env.services[1].checks[0].spec).url, "http://127.0.0.1:18101/user/_status");
}

TEST(LoadTest, ExampleFleetLoads) {
  LoadResult r = LoadFleet(std::filesystem::path(CSOC_SOURCE_DIR) / "examples" / "fleet",
                           FakeEnv({{"PLATFORM_API_TOKEN", "example-token"}}));
  ASSERT_THAT(Errors(r), IsEmpty());
  const fleet::Fleet& f = *r.fleet;
  EXPECT_EQ(r.files.size(), 4u);
  EXPECT_EQ(f.settings.title, "Example Research Fleet");
  // Its status page: components bound to services and environments, a logo read from its file.
  ASSERT_EQ(f.status_page.components.size(), 5u);
  EXPECT_THAT(f.status_page.components[1].services, ElementsAre("gen3-prod/fence"));
  EXPECT_FALSE(f.status_page.components[3].automatic.enabled);
  EXPECT_EQ(f.status_page.logo_content_type, "image/svg+xml");
  EXPECT_EQ(f.status_page.logo.rfind("<svg", 0), 0u);
  EXPECT_EQ(f.status_page.colors.at("header"), "#12263f");
  ASSERT_EQ(f.environments.size(), 3u);
  EXPECT_THAT(f.Clusters(), ElementsAre("aws-us-east-1", "onprem-eu"));
  std::map<fleet::CheckKind, int> kinds;
  for (const fleet::Check* c : f.AllChecks()) ++kinds[c->kind];
  EXPECT_GT(kinds[fleet::CheckKind::kHttp], 10);
  EXPECT_GE(kinds[fleet::CheckKind::kTcp], 1);
  EXPECT_GE(kinds[fleet::CheckKind::kTls], 2);
  EXPECT_GE(kinds[fleet::CheckKind::kDns], 1);
}

}  // namespace
}  // namespace csoc::config

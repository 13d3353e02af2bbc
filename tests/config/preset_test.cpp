// The gen3 preset: generated services, their criticality, disabling, enabling, overrides and
// replacement by explicit services.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/config.h"
#include "config_test_util.h"

namespace csoc::config {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using namespace std::chrono_literals;
using csoc::config::testing::Errors;
using csoc::config::testing::Load;

std::string Gen3(const std::string& extra = "", const std::string& host = "hostname: data.example.org") {
  return "environments:\n"
         "  - name: commons\n"
         "    cluster: east\n"
         "    " +
         host +
         "\n"
         "    preset: gen3\n" +
         extra;
}

std::vector<std::string> ServiceNames(const fleet::Environment& env) {
  std::vector<std::string> out;
  for (const auto& s : env.services) out.push_back(s.name);
  return out;
}

const fleet::Service& FindService(const fleet::Environment& env, const std::string& name) {
  for (const auto& s : env.services) {
    if (s.name == name) return s;
  }
  ADD_FAILURE() << "no service " << name;
  static fleet::Service none;
  return none;
}

std::string Url(const fleet::Service& s) { return std::get<fleet::HttpSpec>(s.checks.at(0).spec).url; }

TEST(Gen3PresetTest, GeneratesEveryDefaultComponent) {
  LoadResult r = Load(Gen3());
  ASSERT_THAT(Errors(r), IsEmpty());
  const fleet::Environment& env = r.fleet->environments[0];
  EXPECT_THAT(ServiceNames(env),
              ElementsAre("revproxy", "fence", "indexd", "sheepdog", "peregrine", "metadata", "guppy", "wts",
                          "hatchery", "manifestservice", "audit", "portal", "certificate"));
  std::map<std::string, std::string> paths = {{"revproxy", "/_status"},
                                              {"fence", "/user/_status"},
                                              {"indexd", "/index/_status"},
                                              {"sheepdog", "/api/_status"},
                                              {"peregrine", "/peregrine/_status"},
                                              {"metadata", "/mds/_status"},
                                              {"guppy", "/guppy/_status"},
                                              {"wts", "/wts/_status"},
                                              {"hatchery", "/lw-workspace/_status"},
                                              {"manifestservice", "/manifests/_status"},
                                              {"audit", "/audit/_status"},
                                              {"portal", "/"}};
  for (const auto& [name, path] : paths) {
    const fleet::Service& s = FindService(env, name);
    ASSERT_EQ(s.checks.size(), 1u) << name;
    const fleet::Check& c = s.checks[0];
    EXPECT_EQ(c.id, "commons/" + name + "/health");
    EXPECT_EQ(c.kind, fleet::CheckKind::kHttp);
    EXPECT_EQ(Url(s), "https://data.example.org" + path) << name;
    EXPECT_TRUE(c.critical) << "criticality is the service's";
    EXPECT_FALSE(s.description.empty());
    if (name == "portal") {
      EXPECT_TRUE(c.conditions.empty()) << "the portal may redirect";
    } else {
      ASSERT_EQ(c.conditions.size(), 1u) << name;
      EXPECT_EQ(c.conditions[0].text(), "status == 200");
    }
  }
  std::set<std::string> critical;
  for (const auto& s : env.services) {
    if (s.critical) critical.insert(s.name);
  }
  EXPECT_EQ(critical, (std::set<std::string>{"revproxy", "fence", "indexd", "sheepdog", "peregrine", "guppy", "portal",
                                             "certificate"}));
  const fleet::Check& cert = FindService(env, "certificate").checks.at(0);
  EXPECT_EQ(cert.id, "commons/certificate/tls");
  EXPECT_EQ(cert.kind, fleet::CheckKind::kTls);
  EXPECT_EQ(std::get<fleet::TlsSpec>(cert.spec).host, "data.example.org");
  EXPECT_EQ(std::get<fleet::TlsSpec>(cert.spec).port, 443);
}

TEST(Gen3PresetTest, GeneratedChecksUseTheDefaults) {
  LoadResult r = Load("defaults: {interval: 20s, failure_threshold: 3}\n" + Gen3());
  ASSERT_THAT(Errors(r), IsEmpty());
  for (const fleet::Check* c : r.fleet->AllChecks()) {
    EXPECT_EQ(c->interval, 20s) << c->id;
    EXPECT_EQ(c->timeout, 10s) << c->id;
    EXPECT_EQ(c->failure_threshold, 3) << c->id;
  }
}

TEST(Gen3PresetTest, NoCertificateCheckWithoutHttps) {
  LoadResult r = Load(Gen3("", "base_url: http://127.0.0.1:18101"));
  ASSERT_THAT(Errors(r), IsEmpty());
  const fleet::Environment& env = r.fleet->environments[0];
  EXPECT_EQ(env.services.size(), 12u);
  EXPECT_EQ(env.services.back().name, "portal");
  EXPECT_EQ(Url(FindService(env, "fence")), "http://127.0.0.1:18101/user/_status");
}

TEST(Gen3PresetTest, CertificateCheckUsesTheBaseUrlPort) {
  LoadResult r = Load(Gen3("", "base_url: https://data.example.org:8443/"));
  ASSERT_THAT(Errors(r), IsEmpty());
  const fleet::Check& cert = r.fleet->environments[0].services.back().checks.at(0);
  EXPECT_EQ(std::get<fleet::TlsSpec>(cert.spec).port, 8443);
  EXPECT_EQ(Url(FindService(r.fleet->environments[0], "portal")), "https://data.example.org:8443/");
}

TEST(Gen3PresetTest, CertificateIsVerifiedForThePublicName) {
  LoadResult r = Load(Gen3("", "hostname: data.example.org\n    base_url: https://10.0.0.5"));
  ASSERT_THAT(Errors(r), IsEmpty());
  const fleet::Environment& env = r.fleet->environments[0];
  EXPECT_EQ(env.hostname, "data.example.org");
  const auto& tls = std::get<fleet::TlsSpec>(env.services.back().checks.at(0).spec);
  EXPECT_EQ(tls.host, "10.0.0.5");
  EXPECT_EQ(tls.server_name, "data.example.org");
  EXPECT_EQ(Url(FindService(env, "fence")), "https://10.0.0.5/user/_status");
}

TEST(Gen3PresetTest, Ipv6Hostname) {
  LoadResult r = Load(Gen3("", "hostname: \"2001:db8::5\""));
  ASSERT_THAT(Errors(r), IsEmpty());
  const fleet::Environment& env = r.fleet->environments[0];
  EXPECT_EQ(Url(FindService(env, "fence")), "https://[2001:db8::5]/user/_status");
  const auto& tls = std::get<fleet::TlsSpec>(env.services.back().checks.at(0).spec);
  EXPECT_EQ(tls.host, "2001:db8::5");
  EXPECT_EQ(tls.server_name, "");
}

TEST(Gen3PresetTest, DisableAndEnable) {
  LoadResult r = Load(Gen3(R"(    preset_options:
      disable: [audit, guppy, certificate]
      enable: [sower, requestor]
)"));
  ASSERT_THAT(Errors(r), IsEmpty());
  const fleet::Environment& env = r.fleet->environments[0];
  EXPECT_THAT(ServiceNames(env), ElementsAre("revproxy", "fence", "indexd", "sheepdog", "peregrine", "metadata", "wts",
                                             "hatchery", "manifestservice", "portal", "requestor", "sower"));
  EXPECT_EQ(Url(FindService(env, "sower")), "https://data.example.org/job/_status");
  EXPECT_EQ(Url(FindService(env, "requestor")), "https://data.example.org/requestor/_status");
  EXPECT_FALSE(FindService(env, "sower").critical);
}

TEST(Gen3PresetTest, Overrides) {
  LoadResult r = Load(Gen3(R"(    preset_options:
      overrides:
        fence:
          interval: 10s
          conditions: ["status == 200", "response_time < 2s"]
          degraded_conditions: ["response_time < 500ms"]
        audit: {critical: true, failure_threshold: 5}
        portal: {critical: false, url: "https://portal.example.org/", follow_redirects: true}
        indexd: {path: "/index/_status?verbose=true", headers: {Accept: application/json}}
        certificate: {port: 8443, degraded_conditions: ["cert.days_left > 30"]}
)"));
  ASSERT_THAT(Errors(r), IsEmpty());
  const fleet::Environment& env = r.fleet->environments[0];
  const fleet::Check& fence = FindService(env, "fence").checks.at(0);
  EXPECT_EQ(fence.interval, 10s);
  ASSERT_EQ(fence.conditions.size(), 2u);
  EXPECT_EQ(fence.conditions[1].text(), "response_time < 2s");
  ASSERT_EQ(fence.degraded_conditions.size(), 1u);
  EXPECT_EQ(Url(FindService(env, "fence")), "https://data.example.org/user/_status");

  EXPECT_TRUE(FindService(env, "audit").critical);
  EXPECT_EQ(FindService(env, "audit").checks.at(0).failure_threshold, 5);
  EXPECT_FALSE(FindService(env, "portal").critical);
  EXPECT_EQ(Url(FindService(env, "portal")), "https://portal.example.org/");
  EXPECT_TRUE(std::get<fleet::HttpSpec>(FindService(env, "portal").checks.at(0).spec).follow_redirects);
  EXPECT_EQ(Url(FindService(env, "indexd")), "https://data.example.org/index/_status?verbose=true");
  EXPECT_EQ(std::get<fleet::HttpSpec>(FindService(env, "indexd").checks.at(0).spec).headers.size(), 1u);
  EXPECT_EQ(std::get<fleet::TlsSpec>(FindService(env, "certificate").checks.at(0).spec).port, 8443);
  // Untouched components keep their generated settings.
  EXPECT_EQ(FindService(env, "sheepdog").checks.at(0).interval, 30s);
}

TEST(Gen3PresetTest, ExplicitServiceReplacesGeneratedOne) {
  LoadResult r = Load(Gen3(R"(    services:
      - name: fence
        critical: false
        checks:
          - {name: login, path: /user/login, conditions: ["status in 200..399"]}
          - {name: health, path: /user/_status}
      - name: arborist
        checks:
          - {name: health, url: "http://arborist.internal/health"}
)"));
  ASSERT_THAT(Errors(r), IsEmpty());
  const fleet::Environment& env = r.fleet->environments[0];
  EXPECT_THAT(ServiceNames(env),
              ElementsAre("revproxy", "indexd", "sheepdog", "peregrine", "metadata", "guppy", "wts", "hatchery",
                          "manifestservice", "audit", "portal", "certificate", "fence", "arborist"));
  const fleet::Service& fence = FindService(env, "fence");
  EXPECT_FALSE(fence.critical);
  ASSERT_EQ(fence.checks.size(), 2u);
  EXPECT_EQ(fence.checks[0].id, "commons/fence/login");
}

TEST(Gen3PresetTest, OptionErrors) {
  LoadResult r = Load(Gen3(R"(    preset_options:
      disable: [fense, audit]
      enable: [fence, requestor]
      extra: true
      overrides:
        audit: {interval: 10s}
        sower: {interval: 10s}
        revproxy: {name: other, intervall: 5s}
        fence: {interval: 10s}
        gupy: {interval: 10s}
        portal: [x]
    services:
      - {name: fence, checks: [{name: c, path: /user/}]}
)"));
  EXPECT_THAT(
      Errors(r),
      ElementsAre(
          "fleet.yaml:7:17: disable: unknown gen3 component 'fense' (did you mean 'fence'?)",
          "fleet.yaml:8:16: enable: 'fence' is generated by default (enable is for the optional components requestor "
          "and sower)",
          "fleet.yaml:9:7: unknown key 'extra' in preset_options (expected disable, enable or overrides)",
          "fleet.yaml:11:9: overrides: 'audit' cannot be overridden: it is disabled",
          "fleet.yaml:12:9: overrides: 'sower' cannot be overridden: it is not listed under enable",
          "fleet.yaml:13:20: overrides: the name of a generated check cannot be changed",
          "fleet.yaml:13:33: unknown key 'intervall' in check (did you mean 'interval'?)",
          "fleet.yaml:14:9: overrides: 'fence' cannot be overridden: services: defines 'fence' itself (at "
          "fleet.yaml:18:16), which replaces the generated service",
          "fleet.yaml:15:9: overrides: 'gupy' cannot be overridden: it is not a gen3 component (did you mean "
          "'guppy'?)",
          "fleet.yaml:16:17: portal: expected a map of check settings, found a list"));
  EXPECT_FALSE(r.fleet);
}

TEST(Gen3PresetTest, BadOverrideValuesPointAtTheOverride) {
  LoadResult r = Load(Gen3(R"(    preset_options:
      overrides:
        fence:
          timeout: 45s
          conditions: ["stauts == 200"]
)"));
  std::vector<std::string> errors = Errors(r);
  ASSERT_EQ(errors.size(), 2u) << ::testing::PrintToString(errors);
  EXPECT_EQ(errors[0],
            "fleet.yaml:9:20: timeout: 45s is longer than the interval 30s (a probe must end before the "
            "next one starts)");
  EXPECT_THAT(errors[1], ::testing::StartsWith("fleet.yaml:10:24: conditions[0]: invalid condition 'stauts == 200'"));
}

}  // namespace
}  // namespace csoc::config

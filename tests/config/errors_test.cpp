// Bad configurations: every problem is reported, with its file:line:column, and no fleet is built.
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
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// One environment with one service around the given check lines (indented by 10 spaces), so that
// line numbers in the expectations are easy to count: the check starts on line 7.
std::string WithCheck(const std::string& check_lines) {
  return "environments:\n"
         "  - name: prod\n"
         "    cluster: east\n"
         "    services:\n"
         "      - name: api\n"
         "        checks:\n" +
         check_lines;
}

TEST(ErrorsTest, YamlSyntaxError) {
  LoadResult r = Load("environments:\n  - name: [prod\n    cluster: east\n");
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].file, "fleet.yaml");
  EXPECT_GT(r.errors[0].line, 1);
  EXPECT_THAT(r.errors[0].message, HasSubstr("YAML syntax error"));
  EXPECT_FALSE(r.fleet);
}

TEST(ErrorsTest, UnknownKeyWithSuggestion) {
  LoadResult r =
      Load(WithCheck("          - name: health\n"
                     "            url: https://a.example.org/\n"
                     "            intervall: 10s\n"));
  EXPECT_THAT(Errors(r), ElementsAre("fleet.yaml:9:13: unknown key 'intervall' in check (did you mean 'interval'?)"));
  EXPECT_FALSE(r.fleet);
}

TEST(ErrorsTest, UnknownKeyAtEveryLevel) {
  LoadResult r = Load(R"(setings: {}
settings:
  titel: x
  retention: {rawr: 1d}
defaults: {intreval: 10s}
environments:
  - name: prod
    clustr: east
    services:
      - name: api
        critcal: false
        checks:
          - name: health
            url: https://a.example.org/
            headers:
              X-A: {value: b, secrit: true}
)");
  EXPECT_THAT(Errors(r),
              ElementsAre("fleet.yaml:1:1: unknown key 'setings' in the top level (did you mean 'settings'?)",
                          "fleet.yaml:3:3: unknown key 'titel' in settings (did you mean 'title'?)",
                          "fleet.yaml:4:15: unknown key 'rawr' in retention (did you mean 'raw'?)",
                          "fleet.yaml:5:12: unknown key 'intreval' in defaults (did you mean 'interval'?)",
                          "fleet.yaml:7:5: environment 'prod' is missing required key 'cluster'",
                          "fleet.yaml:8:5: unknown key 'clustr' in environment (did you mean 'cluster'?)",
                          "fleet.yaml:11:9: unknown key 'critcal' in service (did you mean 'critical'?)",
                          "fleet.yaml:16:31: unknown key 'secrit' in header (did you mean 'secret'?)"));
}

TEST(ErrorsTest, UnknownKeyWithoutSuggestionListsTheKeys) {
  LoadResult r = Load("settings: {colour: blue}\n");
  EXPECT_THAT(Errors(r), ElementsAre("fleet.yaml:1:12: unknown key 'colour' in settings (expected listen, data_dir, "
                                     "title or retention)"));
}

TEST(ErrorsTest, KeyOfAnotherCheckType) {
  LoadResult r =
      Load(WithCheck("          - {name: db, type: tcp, host: db.internal, port: 5432, url: \"http://x.org/\"}\n"
                     "          - {name: web, url: \"http://x.org/\", port: 80}\n"));
  EXPECT_THAT(Errors(r),
              ElementsAre("fleet.yaml:7:66: key 'url' does not apply to a tcp check (it is for http checks)",
                          "fleet.yaml:8:47: key 'port' does not apply to an http check (it is for tcp or tls checks)"));
}

TEST(ErrorsTest, WrongTypes) {
  LoadResult r =
      Load(WithCheck("          - name: health\n"
                     "            url: [https://a.example.org/]\n"
                     "            interval: [30s]\n"
                     "            critical: yes\n"
                     "            failure_threshold: two\n"
                     "            conditions: status == 200\n"
                     "            headers: [a]\n"
                     "            description:\n"));
  EXPECT_THAT(Errors(r),
              ElementsAre("fleet.yaml:8:18: url: expected a string, found a list",
                          "fleet.yaml:9:23: interval: expected a duration like 30s, found a list",
                          "fleet.yaml:10:23: critical: expected true or false, found 'yes'",
                          "fleet.yaml:11:32: failure_threshold: expected an integer from 1 to 1000, found 'two'",
                          "fleet.yaml:12:25: conditions: expected a list of conditions, found 'status == 200'",
                          "fleet.yaml:13:22: headers: expected a map of header names to values, found a list",
                          "fleet.yaml:14:13: description: expected a string, found nothing"));
}

TEST(ErrorsTest, WrongTypeOfStructure) {
  EXPECT_THAT(Errors(Load("- a\n- b\n")),
              ElementsAre("fleet.yaml:1:1: expected a map with environments, settings or defaults, found a list"));
  EXPECT_THAT(Errors(Load("environments: {name: x}\n")),
              ElementsAre("fleet.yaml:1:15: environments: expected a list of environments, found a map"));
  EXPECT_THAT(Errors(Load("environments:\n  - prod\n")),
              ElementsAre("fleet.yaml:2:5: environments[0]: expected an environment (a map with name, cluster, ...), "
                          "found 'prod'"));
}

TEST(ErrorsTest, MissingRequiredFields) {
  LoadResult r = Load(R"(environments:
  - cluster: east
    services:
      - checks:
          - url: https://a.example.org/
      - name: empty
  - name: nothing
    cluster: east
)");
  EXPECT_THAT(Errors(r), ElementsAre("fleet.yaml:2:5: environment is missing required key 'name'",
                                     "fleet.yaml:4:9: service is missing required key 'name'",
                                     "fleet.yaml:5:13: check is missing required key 'name'",
                                     "fleet.yaml:6:9: service 'empty' is missing required key 'checks'",
                                     "fleet.yaml:7:5: environment 'nothing' has nothing to monitor (add services, or "
                                     "preset: gen3 with a hostname)"));
}

TEST(ErrorsTest, MissingCheckTargets) {
  LoadResult r =
      Load(WithCheck("          - {name: a}\n"
                     "          - {name: b, type: http}\n"
                     "          - {name: c, type: tcp, port: 5432}\n"
                     "          - {name: d, type: tcp, host: db.internal}\n"
                     "          - {name: e, type: tls}\n"
                     "          - {name: f, url: \"https://a.example.org/\", path: /x}\n"
                     "          - {name: g, path: /x}\n"));
  EXPECT_THAT(
      Errors(r),
      ElementsAre(
          "fleet.yaml:7:13: check 'a' needs a type (http, tcp, tls or dns), or a url or path for an http check",
          "fleet.yaml:8:13: an http check needs url (a full URL) or path (joined to the environment's base_url)",
          "fleet.yaml:9:13: a tcp check needs 'host'", "fleet.yaml:10:13: a tcp check is missing required key 'port'",
          "fleet.yaml:11:13: a tls check needs 'host' (or an environment with a hostname or base_url)",
          "fleet.yaml:12:54: a check has either url or path, not both",
          "fleet.yaml:13:29: path: environment 'prod' has no base_url or hostname to join the path to; give a full url "
          "instead"));
}

TEST(ErrorsTest, DuplicateNamesPointToTheFirst) {
  LoadResult r = Load(R"(environments:
  - name: prod
    cluster: east
    services:
      - name: api
        checks:
          - {name: health, url: "https://a.example.org/"}
          - {name: health, url: "https://a.example.org/x"}
      - name: api
        checks:
          - {name: health, url: "https://a.example.org/"}
  - name: prod
    cluster: west
    services:
      - {name: web, checks: [{name: home, url: "https://b.example.org/"}]}
)");
  EXPECT_THAT(
      Errors(r),
      ElementsAre(
          "fleet.yaml:8:20: duplicate check name 'health' in service 'api' (first defined at fleet.yaml:7:20)",
          "fleet.yaml:9:15: duplicate service name 'api' in environment 'prod' (first defined at fleet.yaml:5:15)",
          "fleet.yaml:12:11: duplicate environment name 'prod' (first defined at fleet.yaml:2:11)"));
}

TEST(ErrorsTest, DuplicateYamlKey) {
  LoadResult r =
      Load(WithCheck("          - name: health\n"
                     "            url: https://a.example.org/\n"
                     "            interval: 10s\n"
                     "            interval: 20s\n"));
  EXPECT_THAT(Errors(r), ElementsAre("fleet.yaml:10:13: duplicate key 'interval' (first at fleet.yaml:9:13)"));
}

TEST(ErrorsTest, BadDurations) {
  LoadResult r =
      Load(WithCheck("          - {name: a, url: \"https://a.example.org/\", interval: 30}\n"
                     "          - {name: b, url: \"https://a.example.org/\", interval: 10 s}\n"
                     "          - {name: c, url: \"https://a.example.org/\", interval: 50ms}\n"
                     "          - {name: d, url: \"https://a.example.org/\", interval: 10s, timeout: 0s}\n"
                     "          - {name: e, url: \"https://a.example.org/\", interval: 10s, timeout: 11s}\n"));
  EXPECT_THAT(
      Errors(r),
      ElementsAre("fleet.yaml:7:64: interval: '30' is not a duration (expected a number with a unit ms, s, m, h or d, "
                  "like 30s, 500ms or 1m30s)",
                  "fleet.yaml:8:64: interval: '10 s' is not a duration (expected a number with a unit ms, s, m, h or "
                  "d, like 30s, 500ms or 1m30s)",
                  "fleet.yaml:9:64: interval: must be at least 100ms, found 50ms",
                  "fleet.yaml:10:78: timeout: must be at least 1ms, found 0s",
                  "fleet.yaml:11:78: timeout: 11s is longer than the interval 10s (a probe must end before the next "
                  "one starts)"));
}

TEST(ErrorsTest, BadConditionIsReportedAtItsPosition) {
  LoadResult r =
      Load(WithCheck("          - name: health\n"
                     "            url: https://a.example.org/\n"
                     "            conditions:\n"
                     "              - status == 200\n"
                     "              - stauts == 200\n"
                     "            degraded_conditions: ['body matches \"(unclosed\"']\n"));
  ASSERT_EQ(r.errors.size(), 2u) << ::testing::PrintToString(Errors(r));
  EXPECT_EQ(r.errors[0].line, 11);
  EXPECT_EQ(r.errors[0].column, 17);
  EXPECT_THAT(r.errors[0].message, HasSubstr("conditions[1]: invalid condition 'stauts == 200': "));
  EXPECT_THAT(r.errors[0].message, HasSubstr("stauts"));
  EXPECT_EQ(r.errors[1].line, 12);
  EXPECT_EQ(r.errors[1].column, 35);
  EXPECT_THAT(r.errors[1].message, HasSubstr("degraded_conditions[0]: invalid condition 'body matches \"(unclosed\"'"));
}

TEST(ErrorsTest, BadPorts) {
  LoadResult r =
      Load(WithCheck("          - {name: a, type: tcp, host: db.internal, port: 0}\n"
                     "          - {name: b, type: tcp, host: db.internal, port: 70000}\n"
                     "          - {name: c, type: tls, host: db.internal, port: https}\n"));
  EXPECT_THAT(Errors(r), ElementsAre("fleet.yaml:7:59: port: expected an integer from 1 to 65535, found '0'",
                                     "fleet.yaml:8:59: port: expected an integer from 1 to 65535, found '70000'",
                                     "fleet.yaml:9:59: port: expected an integer from 1 to 65535, found 'https'"));
}

TEST(ErrorsTest, BadUrlsAndHosts) {
  LoadResult r = Load(R"(settings:
  listen: localhost
environments:
  - name: prod
    cluster: east
    hostname: https://gen3.example.org
    base_url: ftp://gen3.example.org
    links: [{title: Docs, url: "docs.example.org"}]
    services:
      - name: api
        checks:
          - {name: a, url: "htp://a.example.org/"}
          - {name: b, url: "https:///path"}
          - {name: c, url: "https://a.example.org:99999/"}
          - {name: d, url: "https://a.example.org/a b"}
          - {name: e, type: tcp, host: "bad host", port: 1}
          - {name: f, type: dns, query_name: "-x.example.org"}
          - {name: g, type: dns, query_name: a.example.org, server: "dns.example.org"}
          - {name: h, url: "https://a.example.org/", method: FETCH}
)");
  EXPECT_THAT(
      Errors(r),
      ElementsAre(
          "fleet.yaml:2:11: listen: 'localhost' is not an address like 127.0.0.1:8080 or [::]:8080: expected host:port",
          "fleet.yaml:6:15: hostname: 'https://gen3.example.org' is not a valid host name (write a port or scheme in "
          "base_url)",
          "fleet.yaml:7:15: base_url: invalid URL 'ftp://gen3.example.org': scheme 'ftp' is not http or https",
          "fleet.yaml:8:32: url: invalid URL 'docs.example.org': expected an absolute URL like https://host/path",
          "fleet.yaml:12:28: url: invalid URL 'htp://a.example.org/': scheme 'htp' is not http or https",
          "fleet.yaml:13:28: url: invalid URL 'https:///path': the host is missing",
          "fleet.yaml:14:28: url: invalid URL 'https://a.example.org:99999/': port '99999' is not a number from 1 to "
          "65535",
          "fleet.yaml:15:28: url: invalid URL 'https://a.example.org/a b': contains a space or control character "
          "(percent-encode it)",
          "fleet.yaml:16:40: host: 'bad host' is not a valid host name or IP address",
          "fleet.yaml:17:46: query_name: '-x.example.org' is not a valid DNS name",
          "fleet.yaml:18:69: server: 'dns.example.org' is not 'ip' or 'ip:port': 'dns.example.org' is not an IP "
          "address",
          "fleet.yaml:19:62: method: unknown HTTP method 'FETCH' (expected GET, HEAD, POST, PUT, PATCH, DELETE or "
          "OPTIONS)"));
}

TEST(ErrorsTest, BadNames) {
  LoadResult r = Load(R"(environments:
  - name: Prod
    cluster: "-east"
    services:
      - name: a/b
        checks: [{name: "", url: "https://a.example.org/"}]
)");
  EXPECT_THAT(
      Errors(r),
      ElementsAre("fleet.yaml:2:11: name: 'Prod' is not a valid environment name (use lower-case letters, "
                  "digits, '-', '_' and '.', starting with a letter or digit)",
                  "fleet.yaml:3:14: cluster: '-east' is not a valid cluster name (use letters, digits, '-', '_' "
                  "and '.', starting with a letter or digit)",
                  "fleet.yaml:5:15: name: 'a/b' is not a valid service name (use lower-case letters, digits, "
                  "'-', '_' and '.', starting with a letter or digit)",
                  "fleet.yaml:6:25: name: '' is not a valid check name (use lower-case letters, digits, '-', "
                  "'_' and '.', starting with a letter or digit)"));
}

TEST(ErrorsTest, UnknownCheckType) {
  LoadResult r =
      Load(WithCheck("          - {name: a, type: htp, url: \"https://a.example.org/\", interval: 1}\n"
                     "          - {name: b, type: icmp, host: a.example.org}\n"));
  EXPECT_THAT(Errors(r), ElementsAre("fleet.yaml:7:29: type: unknown check type 'htp' (expected http, tcp, tls or "
                                     "dns; did you mean 'http'?)",
                                     "fleet.yaml:7:75: interval: '1' is not a duration (expected a number with a unit "
                                     "ms, s, m, h or d, like 30s, 500ms or 1m30s)",
                                     "fleet.yaml:8:29: type: unknown check type 'icmp' (expected http, tcp, tls or "
                                     "dns)"));
}

TEST(ErrorsTest, UnknownPreset) {
  LoadResult r = Load(R"(environments:
  - name: prod
    cluster: east
    hostname: gen3.example.org
    preset: gen4
  - name: other
    cluster: east
    hostname: gen3.example.org
    preset: kubernetes
  - name: nohost
    cluster: east
    preset: gen3
  - name: options
    cluster: east
    preset_options: {disable: [audit]}
    services: [{name: s, checks: [{name: c, url: "https://a.example.org/"}]}]
)");
  EXPECT_THAT(Errors(r),
              ElementsAre("fleet.yaml:5:13: preset: unknown preset 'gen4' (did you mean 'gen3'?)",
                          "fleet.yaml:9:13: preset: unknown preset 'kubernetes' (available: gen3)",
                          "fleet.yaml:12:13: preset: the gen3 preset needs the environment's hostname or base_url",
                          "fleet.yaml:15:5: preset_options: there is no preset to apply them to"));
}

TEST(ErrorsTest, UnsetOrMalformedVariable) {
  LoadResult r = Load(WithCheck("          - name: health\n"
                                "            url: https://${HOST}/\n"
                                "            headers: {Authorization: \"Bearer ${TOKEN}\"}\n"
                                "            body: \"${not closed\"\n"
                                "            description: \"${1X}\"\n"),
                      {{"HOST", "a.example.org"}});
  EXPECT_THAT(Errors(r),
              ElementsAre("fleet.yaml:9:38: headers.Authorization: environment variable 'TOKEN' is not set (or "
                          "give a default: ${TOKEN:-default})",
                          "fleet.yaml:10:19: body: unterminated '${' (write '$${' for a literal '${')",
                          "fleet.yaml:11:26: description: invalid variable reference '${1X}' (expected "
                          "${NAME} or ${NAME:-default} with letters, digits and underscores; write '$${' for a "
                          "literal '${')"));
}

TEST(ErrorsTest, SecretsAreNotRepeatedInMessages) {
  LoadResult r = Load(WithCheck("          - name: health\n"
                                "            url: \"https://user:${PASSWORD}@a.example.org:${PORT}/\"\n"
                                "            headers: {X-Key: \"${KEY}\"}\n"),
                      {{"PASSWORD", "pa55word"}, {"PORT", "http"}, {"KEY", "line\nbreak-s3cret"}});
  std::vector<std::string> errors = Errors(r);
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0],
            "fleet.yaml:8:18: url: invalid URL 'https://user:${PASSWORD}@a.example.org:${PORT}/': port "
            "'http' is not a number from 1 to 65535");
  EXPECT_EQ(errors[1], "fleet.yaml:9:30: headers.X-Key: a header value must not contain a line break");
  for (const std::string& e : errors) {
    EXPECT_THAT(e, ::testing::Not(HasSubstr("pa55word")));
    EXPECT_THAT(e, ::testing::Not(HasSubstr("s3cret")));
  }
}

TEST(ErrorsTest, SettingsAndDefaultsInTwoFiles) {
  csoc::testing::TempDir dir;
  csoc::testing::WriteFile(dir.path() / "a.yaml", "settings: {title: A}\n");
  csoc::testing::WriteFile(dir.path() / "b.yaml", R"(defaults: {interval: 10s}
environments:
  - {name: b, cluster: west, services: [{name: s, checks: [{name: c, url: "http://b.example.org/"}]}]}
)");
  csoc::testing::WriteFile(dir.path() / "c.yaml", "settings: {title: C}\ndefaults: {interval: 20s}\n");
  LoadResult r = LoadFleet(dir.path(), FakeEnv());
  std::string a = (dir.path() / "a.yaml").string();
  std::string b = (dir.path() / "b.yaml").string();
  std::string c = (dir.path() / "c.yaml").string();
  EXPECT_THAT(Errors(r),
              ElementsAre(c + ":1:1: settings are already defined at " + a + ":1:1 (only one file may hold settings)",
                          c + ":2:1: defaults are already defined at " + b + ":1:1 (only one file may hold defaults)"));
  EXPECT_FALSE(r.fleet);
}

TEST(ErrorsTest, DuplicateEnvironmentAcrossFilesNamesBothPlaces) {
  csoc::testing::TempDir dir;
  const char* env = R"(environments:
  - {name: prod, cluster: west, services: [{name: s, checks: [{name: c, url: "http://b.example.org/"}]}]}
)";
  csoc::testing::WriteFile(dir.path() / "one.yaml", env);
  csoc::testing::WriteFile(dir.path() / "two.yaml", std::string("# the same again\n") + env);
  LoadResult r = LoadFleet(dir.path(), FakeEnv());
  EXPECT_THAT(Errors(r), ElementsAre((dir.path() / "two.yaml").string() +
                                     ":3:12: duplicate environment name 'prod' (first defined at " +
                                     (dir.path() / "one.yaml").string() + ":2:12)"));
}

TEST(ErrorsTest, ErrorsOfSeveralFilesComeInFileOrder) {
  csoc::testing::TempDir dir;
  csoc::testing::WriteFile(dir.path() / "a.yaml", "environments: [{name: a}]\n");
  csoc::testing::WriteFile(dir.path() / "b.yaml", "environments: [\n");
  csoc::testing::WriteFile(dir.path() / "c.yaml", "settings: {title: [x]}\n");
  LoadResult r = LoadFleet(dir.path(), FakeEnv());
  ASSERT_EQ(r.errors.size(), 4u) << ::testing::PrintToString(Errors(r));
  EXPECT_EQ(r.errors[0].ToString(),
            (dir.path() / "a.yaml").string() + ":1:16: environment 'a' is missing required key 'cluster'");
  EXPECT_EQ(r.errors[1].ToString(), (dir.path() / "a.yaml").string() +
                                        ":1:16: environment 'a' has nothing to monitor (add services, or preset: gen3 "
                                        "with a hostname)");
  EXPECT_EQ(r.errors[2].file, (dir.path() / "b.yaml").string());
  EXPECT_THAT(r.errors[2].message, HasSubstr("YAML syntax error"));
  EXPECT_EQ(r.errors[3].ToString(), (dir.path() / "c.yaml").string() + ":1:19: title: expected a string, found a list");
}

TEST(ErrorsTest, EmptyDirectoryAndMissingPath) {
  csoc::testing::TempDir dir;
  LoadResult r = LoadFleet(dir.path(), FakeEnv());
  EXPECT_THAT(Errors(r), ElementsAre(dir.path().string() + ": no *.yaml or *.yml files in this directory"));
  EXPECT_FALSE(r.fleet);

  r = LoadFleet(dir.path() / "missing.yaml", FakeEnv());
  EXPECT_THAT(Errors(r), ElementsAre((dir.path() / "missing.yaml").string() + ": no such file or directory"));
  EXPECT_FALSE(r.fleet);
}

TEST(ErrorsTest, NoEnvironments) {
  EXPECT_THAT(Errors(Load("")), ElementsAre("fleet.yaml: no environments are defined"));
  EXPECT_THAT(Errors(Load("settings: {title: x}\n")), ElementsAre("fleet.yaml: no environments are defined"));
}

TEST(ErrorsTest, MissingCaFile) {
  csoc::testing::TempDir dir;
  csoc::testing::WriteFile(dir.path() / "fleet.yaml", R"(environments:
  - name: prod
    cluster: east
    hostname: gen3.example.org
    services:
      - name: api
        checks: [{name: web, path: /, ca_file: missing.pem}]
)");
  LoadResult r = LoadFleet(dir.path() / "fleet.yaml", FakeEnv());
  EXPECT_THAT(Errors(r), ElementsAre((dir.path() / "fleet.yaml").string() + ":7:48: ca_file: no such file '" +
                                     (dir.path() / "missing.pem").string() +
                                     "' (a relative path is relative to the config file)"));
}

TEST(ErrorsTest, AProblemReachedThroughSeveralAliasesIsReportedOnce) {
  LoadResult r = Load(R"(environments:
  - name: prod
    cluster: east
    services:
      - name: a
        checks:
          - &bad {name: health, url: "https://a.example.org/", interval: soon}
      - {name: b, checks: [*bad]}
      - {name: c, checks: [*bad]}
)");
  EXPECT_THAT(Errors(r), ElementsAre("fleet.yaml:7:74: interval: 'soon' is not a duration (expected a number with a "
                                     "unit ms, s, m, h or d, like 30s, 500ms or 1m30s)"));
}

TEST(ErrorsTest, AllErrorsAreCollected) {
  LoadResult r = Load(R"(environments:
  - name: prod
    cluster: east
    services:
      - name: api
        checks:
          - {name: a, url: "https://a.example.org/", interval: soon}
          - {name: b, type: tcp, host: db, port: 0}
      - name: web
        checks:
          - {name: c, url: "nope"}
  - name: stage
    cluster: east
    services:
      - {name: web, checks: [{name: d, type: dns, record_type: MX, query_name: a.org}]}
)");
  EXPECT_EQ(r.errors.size(), 4u) << ::testing::PrintToString(Errors(r));
  EXPECT_FALSE(r.fleet);
}

}  // namespace
}  // namespace csoc::config

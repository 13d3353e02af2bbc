#include "fleet/model.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace csoc::fleet {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

Condition MustParse(std::string_view text) {
  Condition c;
  Status st = Condition::Parse(text, &c);
  EXPECT_TRUE(st.ok()) << text << " -> " << st.message();
  return c;
}

Check HttpCheck(std::string url) {
  Check c;
  c.id = "prod/fence/health";
  c.name = "health";
  c.service = "fence";
  c.environment = "prod";
  c.kind = CheckKind::kHttp;
  HttpSpec http;
  http.url = std::move(url);
  c.spec = http;
  return c;
}

HttpSpec& Http(Check& c) { return std::get<HttpSpec>(c.spec); }

TEST(CheckKindNameTest, NamesEveryKind) {
  EXPECT_EQ(CheckKindName(CheckKind::kHttp), "http");
  EXPECT_EQ(CheckKindName(CheckKind::kTcp), "tcp");
  EXPECT_EQ(CheckKindName(CheckKind::kTls), "tls");
  EXPECT_EQ(CheckKindName(CheckKind::kDns), "dns");
}

TEST(FingerprintTest, EqualForIdenticalChecksAndStable) {
  Check a = HttpCheck("https://gen3.example.org/user/_status");
  Check b = HttpCheck("https://gen3.example.org/user/_status");
  a.conditions.push_back(MustParse("status == 200"));
  b.conditions.push_back(MustParse("status == 200"));
  EXPECT_EQ(a.Fingerprint(), b.Fingerprint());
  EXPECT_EQ(a.Fingerprint(), a.Fingerprint());
  EXPECT_EQ(a.Fingerprint().size(), 16u);
}

TEST(FingerprintTest, ChangesWithWhatProbesOrJudges) {
  const Check base = HttpCheck("https://gen3.example.org/user/_status");
  const std::string fp = base.Fingerprint();

  Check c = base;
  Http(c).url = "https://gen3.example.org/index/_status";
  EXPECT_NE(c.Fingerprint(), fp) << "url";
  c = base;
  Http(c).method = "HEAD";
  EXPECT_NE(c.Fingerprint(), fp) << "method";
  c = base;
  Http(c).headers.push_back({"Authorization", "Bearer a", true});
  std::string with_token_a = c.Fingerprint();
  EXPECT_NE(with_token_a, fp) << "header";
  Http(c).headers[0].value = "Bearer b";
  EXPECT_NE(c.Fingerprint(), with_token_a) << "header value";
  c = base;
  Http(c).body = "{}";
  EXPECT_NE(c.Fingerprint(), fp) << "body";
  c = base;
  Http(c).follow_redirects = true;
  EXPECT_NE(c.Fingerprint(), fp) << "follow_redirects";
  c = base;
  Http(c).tls_verify = false;
  EXPECT_NE(c.Fingerprint(), fp) << "tls_verify";
  c = base;
  c.timeout = std::chrono::seconds(3);
  EXPECT_NE(c.Fingerprint(), fp) << "timeout";
  c = base;
  c.conditions.push_back(MustParse("status == 200"));
  EXPECT_NE(c.Fingerprint(), fp) << "conditions";
  Check degraded = base;
  degraded.degraded_conditions.push_back(MustParse("status == 200"));
  EXPECT_NE(degraded.Fingerprint(), fp) << "degraded_conditions";
  EXPECT_NE(degraded.Fingerprint(), c.Fingerprint()) << "the same text as a condition or a degraded condition";
}

TEST(FingerprintTest, FieldBoundariesAreUnambiguous) {
  Check a = HttpCheck("https://x.org/");
  Check b = HttpCheck("https://x.org/");
  Http(a).headers.push_back({"X-Ab", "c", false});
  Http(b).headers.push_back({"X-A", "bc", false});
  EXPECT_NE(a.Fingerprint(), b.Fingerprint());
}

TEST(FingerprintTest, IgnoresWhatDoesNotChangeAProbe) {
  const Check base = HttpCheck("https://gen3.example.org/user/_status");
  Check c = base;
  c.interval = std::chrono::seconds(5);
  c.failure_threshold = 5;
  c.success_threshold = 3;
  c.critical = false;
  c.description = "other words";
  EXPECT_EQ(c.Fingerprint(), base.Fingerprint());
}

TEST(FingerprintTest, DistinguishesKindsAndTheirTargets) {
  Check tcp;
  tcp.kind = CheckKind::kTcp;
  tcp.spec = TcpSpec{"db.internal", 5432};
  Check tcp2 = tcp;
  std::get<TcpSpec>(tcp2.spec).port = 5433;
  EXPECT_NE(tcp.Fingerprint(), tcp2.Fingerprint());

  Check tls;
  tls.kind = CheckKind::kTls;
  tls.spec = TlsSpec{"db.internal", 5432, "", true, ""};
  EXPECT_NE(tls.Fingerprint(), tcp.Fingerprint());
  Check tls2 = tls;
  std::get<TlsSpec>(tls2.spec).server_name = "other.internal";
  EXPECT_NE(tls.Fingerprint(), tls2.Fingerprint());

  Check dns;
  dns.kind = CheckKind::kDns;
  dns.spec = DnsSpec{"gen3.example.org", "A", ""};
  Check dns2 = dns;
  std::get<DnsSpec>(dns2.spec).record_type = "AAAA";
  EXPECT_NE(dns.Fingerprint(), dns2.Fingerprint());
}

TEST(FingerprintTest, DoesNotContainSecrets) {
  Check c = HttpCheck("https://gen3.example.org/");
  Http(c).headers.push_back({"Authorization", "Bearer s3cr3t-token", true});
  EXPECT_THAT(c.Fingerprint(), Not(HasSubstr("s3cr3t")));
}

TEST(TargetDisplayTest, HttpShowsMethodAndUrl) {
  Check c = HttpCheck("https://gen3.example.org/user/_status");
  EXPECT_EQ(c.TargetDisplay(), "GET https://gen3.example.org/user/_status");
  Http(c).method = "POST";
  Http(c).url = "http://127.0.0.1:8080";
  EXPECT_EQ(c.TargetDisplay(), "POST http://127.0.0.1:8080");
}

TEST(TargetDisplayTest, RemovesUrlCredentials) {
  Check c = HttpCheck("https://admin:hunter2@gen3.example.org:8443/api/_status");
  EXPECT_EQ(c.TargetDisplay(), "GET https://gen3.example.org:8443/api/_status");
  Http(c).url = "https://token@[::1]:8443/";
  EXPECT_EQ(c.TargetDisplay(), "GET https://[::1]:8443/");
}

TEST(TargetDisplayTest, HidesQueryValuesAndFragment) {
  Check c = HttpCheck("https://gen3.example.org/status?token=abc123&verbose&x=1#part");
  std::string shown = c.TargetDisplay();
  EXPECT_EQ(shown, "GET https://gen3.example.org/status?token=…&verbose&x=…");
  EXPECT_THAT(shown, Not(HasSubstr("abc123")));
}

TEST(TargetDisplayTest, NeverShowsHeaderValues) {
  Check c = HttpCheck("https://gen3.example.org/");
  Http(c).headers.push_back({"Authorization", "Bearer s3cr3t-token", true});
  Http(c).headers.push_back({"X-Api-Key", "also-s3cr3t", true});
  std::string shown = c.TargetDisplay();
  EXPECT_THAT(shown, Not(HasSubstr("s3cr3t")));
  EXPECT_EQ(shown, "GET https://gen3.example.org/");
}

TEST(TargetDisplayTest, OtherKinds) {
  Check tcp;
  tcp.kind = CheckKind::kTcp;
  tcp.spec = TcpSpec{"db.internal", 5432};
  EXPECT_EQ(tcp.TargetDisplay(), "tcp db.internal:5432");
  std::get<TcpSpec>(tcp.spec).host = "::1";
  EXPECT_EQ(tcp.TargetDisplay(), "tcp [::1]:5432");

  Check tls;
  tls.kind = CheckKind::kTls;
  tls.spec = TlsSpec{"10.0.0.5", 443, "gen3.example.org", true, ""};
  EXPECT_EQ(tls.TargetDisplay(), "tls 10.0.0.5:443 (server name gen3.example.org)");
  std::get<TlsSpec>(tls.spec).server_name = "";
  EXPECT_EQ(tls.TargetDisplay(), "tls 10.0.0.5:443");

  Check dns;
  dns.kind = CheckKind::kDns;
  dns.spec = DnsSpec{"gen3.example.org", "AAAA", ""};
  EXPECT_EQ(dns.TargetDisplay(), "dns AAAA gen3.example.org");
  std::get<DnsSpec>(dns.spec).server = "10.0.0.2:53";
  EXPECT_EQ(dns.TargetDisplay(), "dns AAAA gen3.example.org @10.0.0.2:53");
}

Environment Env(std::string name, std::string cluster, std::vector<std::string> check_names) {
  Environment e;
  e.name = std::move(name);
  e.cluster = std::move(cluster);
  Service s;
  s.name = "svc";
  for (auto& n : check_names) {
    Check c = HttpCheck("https://x.org/");
    c.name = n;
    c.id = e.name + "/svc/" + n;
    s.checks.push_back(c);
  }
  e.services.push_back(s);
  return e;
}

TEST(FleetTest, ClustersInFirstSeenOrderWithoutRepeats) {
  Fleet f;
  f.environments.push_back(Env("a", "west", {}));
  f.environments.push_back(Env("b", "east", {}));
  f.environments.push_back(Env("c", "west", {}));
  f.environments.push_back(Env("d", "north", {}));
  EXPECT_THAT(f.Clusters(), ElementsAre("west", "east", "north"));
  EXPECT_TRUE(Fleet().Clusters().empty());
}

TEST(FleetTest, AllChecksInConfigOrder) {
  Fleet f;
  f.environments.push_back(Env("a", "west", {"one", "two"}));
  f.environments.push_back(Env("b", "east", {}));
  f.environments.push_back(Env("c", "west", {"three"}));
  Service extra;
  extra.name = "extra";
  Check four = HttpCheck("https://y.org/");
  four.id = "c/extra/four";
  extra.checks.push_back(four);
  f.environments[2].services.push_back(extra);
  std::vector<std::string> ids;
  for (const Check* c : f.AllChecks()) ids.push_back(c->id);
  EXPECT_THAT(ids, ElementsAre("a/svc/one", "a/svc/two", "c/svc/three", "c/extra/four"));
  EXPECT_EQ(f.AllChecks()[0], &f.environments[0].services[0].checks[0]);
}

}  // namespace
}  // namespace csoc::fleet

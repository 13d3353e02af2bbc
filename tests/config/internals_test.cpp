// The config loader's building blocks: ${NAME} expansion, suggestions and address validation.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/address.h"
#include "config/expand.h"
#include "config/suggest.h"
#include "config_test_util.h"

namespace csoc::config {
namespace {

using csoc::config::testing::FakeEnv;

std::string Expand(std::string_view text, bool* used_env = nullptr) {
  Expanded out;
  Status s = ExpandEnv(text, FakeEnv({{"A", "alpha"}, {"EMPTY", ""}, {"_U1", "u"}}), &out);
  EXPECT_TRUE(s.ok()) << s.message();
  if (used_env) *used_env = out.used_env;
  return out.text;
}

std::string ExpandError(std::string_view text) {
  Expanded out;
  Status s = ExpandEnv(text, FakeEnv({{"A", "alpha"}}), &out);
  EXPECT_FALSE(s.ok()) << text;
  return s.message();
}

TEST(ExpandEnvTest, ReplacesVariables) {
  bool used = true;
  EXPECT_EQ(Expand("plain text", &used), "plain text");
  EXPECT_FALSE(used);
  EXPECT_EQ(Expand("${A}", &used), "alpha");
  EXPECT_TRUE(used);
  EXPECT_EQ(Expand("x${A}y${_U1}z${EMPTY}"), "xalphayuz");
  EXPECT_EQ(Expand("${A}${A}"), "alphaalpha");
}

TEST(ExpandEnvTest, DefaultsForUnsetOrEmptyVariables) {
  bool used = false;
  EXPECT_EQ(Expand("${MISSING:-fallback}", &used), "fallback");
  EXPECT_TRUE(used) << "a default in a ${...} is still treated as a possible secret";
  EXPECT_EQ(Expand("${EMPTY:-fallback}"), "fallback");
  EXPECT_EQ(Expand("${A:-fallback}"), "alpha");
  EXPECT_EQ(Expand("[${MISSING:-}]"), "[]");
}

TEST(ExpandEnvTest, DollarsThatAreNotReferences) {
  bool used = true;
  EXPECT_EQ(Expand("$${A}", &used), "${A}");
  EXPECT_FALSE(used);
  EXPECT_EQ(Expand("$$${A}"), "$${A}") << "read left to right: '$', then the escape '$${'";
  EXPECT_EQ(Expand("$A $ 5$ $.status"), "$A $ 5$ $.status");
  EXPECT_EQ(Expand("trailing $"), "trailing $");
  EXPECT_EQ(Expand("a $${ b"), "a ${ b");
}

TEST(ExpandEnvTest, Errors) {
  EXPECT_EQ(ExpandError("${MISSING}"),
            "environment variable 'MISSING' is not set (or give a default: ${MISSING:-default})");
  EXPECT_THAT(ExpandError("${9A:-x}"), ::testing::HasSubstr("invalid variable reference '${9A}'"));
  EXPECT_EQ(ExpandError("x ${A"), "unterminated '${' (write '$${' for a literal '${')");
  EXPECT_THAT(ExpandError("${}"), ::testing::HasSubstr("invalid variable reference '${}'"));
  EXPECT_THAT(ExpandError("${A-B}"), ::testing::HasSubstr("invalid variable reference '${A-B}'"));
  EXPECT_THAT(ExpandError("${9A}"), ::testing::HasSubstr("invalid variable reference '${9A}'"));
}

TEST(SuggestTest, Levenshtein) {
  EXPECT_EQ(Levenshtein("", ""), 0u);
  EXPECT_EQ(Levenshtein("abc", ""), 3u);
  EXPECT_EQ(Levenshtein("interval", "intervall"), 1u);
  EXPECT_EQ(Levenshtein("kitten", "sitting"), 3u);
  EXPECT_EQ(Levenshtein("title", "titel"), 2u);
}

TEST(SuggestTest, SuggestsOnlyLikelyTypos) {
  std::vector<std::string_view> keys = {"interval", "timeout", "conditions", "critical", "url", "path"};
  EXPECT_EQ(Suggest("intervall", keys), "interval");
  EXPECT_EQ(Suggest("timout", keys), "timeout");
  EXPECT_EQ(Suggest("condition", keys), "conditions");
  EXPECT_EQ(Suggest("uri", keys), "url");
  EXPECT_EQ(Suggest("xyz", keys), "");
  EXPECT_EQ(Suggest("colour", keys), "");
  EXPECT_EQ(Suggest("", keys), "");
  EXPECT_EQ(Suggest("icmp", {"http", "tcp", "tls", "dns"}), "");
}

TEST(SuggestTest, JoinOr) {
  EXPECT_EQ(JoinOr({}), "");
  EXPECT_EQ(JoinOr({"a"}), "a");
  EXPECT_EQ(JoinOr({"a", "b"}), "a or b");
  EXPECT_EQ(JoinOr({"a", "b", "c"}), "a, b or c");
}

TEST(AddressTest, ParsesHttpUrls) {
  Url u;
  ASSERT_TRUE(ParseHttpUrl("HTTPS://user:pw@Data.Example.org:8443/a/b?x=1#frag", &u).ok());
  EXPECT_EQ(u.scheme, "https");
  EXPECT_EQ(u.userinfo, "user:pw");
  EXPECT_EQ(u.host, "Data.Example.org");
  EXPECT_EQ(u.port, 8443);
  EXPECT_EQ(u.path, "/a/b");
  EXPECT_EQ(u.query, "x=1");
  EXPECT_EQ(u.fragment, "frag");
  EXPECT_EQ(u.EffectivePort(), 8443);

  ASSERT_TRUE(ParseHttpUrl("http://[::1]:8080", &u).ok());
  EXPECT_EQ(u.host, "::1");
  EXPECT_EQ(u.port, 8080);
  EXPECT_EQ(u.path, "");

  ASSERT_TRUE(ParseHttpUrl("http://10.1.2.3?x", &u).ok());
  EXPECT_EQ(u.host, "10.1.2.3");
  EXPECT_EQ(u.port, std::nullopt);
  EXPECT_EQ(u.EffectivePort(), 80);
  ASSERT_TRUE(ParseHttpUrl("https://h.org", &u).ok());
  EXPECT_EQ(u.EffectivePort(), 443);
}

TEST(AddressTest, RejectsBadUrls) {
  Url u;
  EXPECT_EQ(ParseHttpUrl("example.org/x", &u).message(), "expected an absolute URL like https://host/path");
  EXPECT_EQ(ParseHttpUrl("ftp://example.org/", &u).message(), "scheme 'ftp' is not http or https");
  EXPECT_EQ(ParseHttpUrl("http://", &u).message(), "the host is missing");
  EXPECT_EQ(ParseHttpUrl("http://user@/x", &u).message(), "the host is missing");
  EXPECT_EQ(ParseHttpUrl("http://h.org:0/", &u).message(), "port '0' is not a number from 1 to 65535");
  EXPECT_EQ(ParseHttpUrl("http://h.org:/", &u).message(), "port '' is not a number from 1 to 65535");
  EXPECT_EQ(ParseHttpUrl("http://[::1/", &u).message(), "'[' without a closing ']'");
  EXPECT_EQ(ParseHttpUrl("http://[example.org]/", &u).message(), "'[example.org]' is not an IPv6 address");
  EXPECT_EQ(ParseHttpUrl("http://h_o st.org/", &u).message(),
            "contains a space or control character (percent-encode it)");
  EXPECT_EQ(ParseHttpUrl("http://ex ample.org/", &u).message(),
            "contains a space or control character (percent-encode it)");
  EXPECT_EQ(ParseHttpUrl("http://-bad.org/", &u).message(), "'-bad.org' is not a host name or IP address");
}

TEST(AddressTest, HostsAndNames) {
  EXPECT_TRUE(IsIpLiteral("10.0.0.1"));
  EXPECT_TRUE(IsIpLiteral("2001:db8::1"));
  EXPECT_FALSE(IsIpLiteral("10.0.0.256"));
  EXPECT_FALSE(IsIpLiteral("example.org"));
  EXPECT_TRUE(IsDnsName("example.org"));
  EXPECT_TRUE(IsDnsName("example.org."));
  EXPECT_TRUE(IsDnsName("_sip._tcp.example.org"));
  EXPECT_TRUE(IsDnsName("localhost"));
  EXPECT_FALSE(IsDnsName(""));
  EXPECT_FALSE(IsDnsName("a..b"));
  EXPECT_FALSE(IsDnsName("a-.b"));
  EXPECT_FALSE(IsDnsName(std::string(64, 'a') + ".org"));
  EXPECT_FALSE(IsDnsName("a b"));
  EXPECT_TRUE(IsHost("::1"));
  EXPECT_FALSE(IsHost("a:b"));
}

TEST(AddressTest, HostPort) {
  std::string host;
  std::optional<uint16_t> port;
  ASSERT_TRUE(ParseHostPort("10.0.0.2:53", true, true, &host, &port).ok());
  EXPECT_EQ(host, "10.0.0.2");
  EXPECT_EQ(port, 53);
  ASSERT_TRUE(ParseHostPort("2001:db8::53", true, true, &host, &port).ok());
  EXPECT_EQ(host, "2001:db8::53");
  EXPECT_EQ(port, std::nullopt);
  ASSERT_TRUE(ParseHostPort("[2001:db8::53]:5353", true, false, &host, &port).ok());
  EXPECT_EQ(host, "2001:db8::53");
  EXPECT_EQ(port, 5353);
  ASSERT_TRUE(ParseHostPort("localhost:8080", false, false, &host, &port).ok());
  EXPECT_EQ(host, "localhost");
  EXPECT_EQ(ParseHostPort("localhost", false, false, &host, &port).message(), "expected host:port");
  EXPECT_EQ(ParseHostPort(":8080", false, false, &host, &port).message(), "the host is empty");
  EXPECT_EQ(ParseHostPort("dns.example.org", true, true, &host, &port).message(),
            "'dns.example.org' is not an IP address");
  EXPECT_EQ(ParseHostPort("[::1]x", true, true, &host, &port).message(), "expected ':port' after ']'");
  EXPECT_EQ(ParseHostPort("a:b:c", false, true, &host, &port).message(),
            "write an IPv6 address with a port as [address]:port");
}

}  // namespace
}  // namespace csoc::config

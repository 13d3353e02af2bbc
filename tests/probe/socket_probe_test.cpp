// TCP connects, TLS handshakes and DNS lookups on Asio (and c-ares), against servers started in
// the test.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "probe/prober.h"
#include "test_servers.h"

namespace csoc::probe {
namespace {

using namespace std::chrono_literals;
using namespace csoc::probe::testing;
using fleet::ProbeResult;

Reply Hello(const http::request<http::string_body>&) { return TextReply(200, "hello"); }

// --- TCP ------------------------------------------------------------------------------------

TEST(TcpProbeTest, Connects) {
  TestHttpServer server(Hello);
  ProbeResult r = RunOne(TcpCheck("127.0.0.1", server.port()));
  EXPECT_TRUE(r.connected);
  EXPECT_EQ(r.error, "");
  EXPECT_GT(r.latency.count(), 0);
  EXPECT_TRUE(csoc::testing::WaitFor([&] { return server.connections() == 1; }, 2s));
}

TEST(TcpProbeTest, ResolvesHostNamesThroughTheHostsFile) {
  TestHttpServer server(Hello);
  ProbeResult r = RunOne(TcpCheck("localhost", server.port()));
  EXPECT_TRUE(r.connected) << r.error;
}

TEST(TcpProbeTest, ConnectionRefused) {
  ProbeResult r = RunOne(TcpCheck("127.0.0.1", static_cast<uint16_t>(csoc::testing::FreePort())));
  EXPECT_FALSE(r.connected);
  EXPECT_EQ(r.error, "connection refused");
}

TEST(TcpProbeTest, UnansweredSynTimesOut) {
  SynBlackHole hole;
  ProbeResult r = RunOne(TcpCheck("127.0.0.1", hole.port(), 300ms));
  EXPECT_FALSE(r.connected);
  EXPECT_EQ(r.error, "timed out after 300ms");
  EXPECT_GE(r.latency, 300ms);
}

TEST(TcpProbeTest, TimeoutDoesNotDelayAFastProbe) {
  SynBlackHole hole;
  TestHttpServer server(Hello);
  asio::io_context io;
  Prober prober(io);
  std::vector<std::string> order;
  prober.Run(TcpCheck("127.0.0.1", hole.port(), 400ms), [&](ProbeResult r) {
    EXPECT_EQ(r.error, "timed out after 400ms");
    order.push_back("hole");
  });
  prober.Run(TcpCheck("127.0.0.1", server.port()), [&](ProbeResult r) {
    EXPECT_TRUE(r.connected);
    order.push_back("fast");
  });
  ASSERT_TRUE(RunUntil(io, [&] { return order.size() == 2; }));
  EXPECT_EQ(order, (std::vector<std::string>{"fast", "hole"}));
}

// --- TLS ------------------------------------------------------------------------------------

class TlsProbeTest : public ::testing::Test {
 protected:
  TlsProbeTest()
      : ca_(MakeCertificate("csoc test CA", nullptr, true, std::chrono::hours(24 * 30), "")),
        leaf_(MakeCertificate("localhost", &ca_, false, std::chrono::hours(24 * 5 + 1), "DNS:localhost,IP:127.0.0.1")),
        ca_file_((dir_.path() / "ca.pem").string()) {
    csoc::testing::WriteFile(ca_file_, ca_.CertPem());
  }

  csoc::testing::TempDir dir_;
  KeyAndCert ca_, leaf_;
  std::string ca_file_;
};

TEST_F(TlsProbeTest, SelfSignedCertificateIsEvidenceNotAFailure) {
  KeyAndCert self_signed =
      MakeCertificate("localhost", nullptr, false, std::chrono::hours(24 * 5 + 1), "DNS:localhost,IP:127.0.0.1");
  TestHttpServer server(Hello, ServerContext(self_signed));
  const TimePoint now = Clock::now();
  ProbeResult r = RunOne(TlsCheck("127.0.0.1", server.port(), "localhost"));
  EXPECT_TRUE(r.connected) << r.error;
  EXPECT_EQ(r.error, "");
  EXPECT_EQ(r.cert_days_left, 5);
  ASSERT_TRUE(r.cert_not_after.has_value());
  EXPECT_LT(std::chrono::abs(*r.cert_not_after - (now + std::chrono::hours(24 * 5 + 1))), std::chrono::minutes(1));
  EXPECT_EQ(r.cert_subject, "CN=localhost,O=csoc tests");
  EXPECT_EQ(r.cert_chain_valid, false);
  EXPECT_EQ(r.cert_error, "self-signed certificate");
}

TEST_F(TlsProbeTest, CaFileMakesTheChainValid) {
  TestHttpServer server(Hello, ServerContext(leaf_));
  ProbeResult r = RunOne(TlsCheck("127.0.0.1", server.port(), "localhost", ca_file_));
  EXPECT_TRUE(r.connected) << r.error;
  EXPECT_EQ(r.cert_chain_valid, true);
  EXPECT_EQ(r.cert_error, "");
  EXPECT_EQ(r.cert_days_left, 5);
}

TEST_F(TlsProbeTest, AnAddressIsCheckedAgainstTheIpSan) {
  TestHttpServer server(Hello, ServerContext(leaf_));
  ProbeResult r = RunOne(TlsCheck("127.0.0.1", server.port(), "", ca_file_));
  EXPECT_EQ(r.cert_chain_valid, true) << r.cert_error;
}

TEST_F(TlsProbeTest, HostNameTarget) {
  TestHttpServer server(Hello, ServerContext(leaf_));
  ProbeResult r = RunOne(TlsCheck("localhost", server.port(), "", ca_file_));
  EXPECT_TRUE(r.connected) << r.error;
  EXPECT_EQ(r.cert_chain_valid, true) << r.cert_error;
}

TEST_F(TlsProbeTest, SystemStoreDoesNotTrustTheTestCa) {
  TestHttpServer server(Hello, ServerContext(leaf_));
  ProbeResult r = RunOne(TlsCheck("127.0.0.1", server.port(), "localhost"));
  EXPECT_TRUE(r.connected) << r.error;
  EXPECT_EQ(r.cert_chain_valid, false);
  EXPECT_EQ(r.cert_error, "unable to get local issuer certificate");
}

TEST_F(TlsProbeTest, HostNameMismatch) {
  TestHttpServer server(Hello, ServerContext(leaf_));
  ProbeResult r = RunOne(TlsCheck("127.0.0.1", server.port(), "db.example.org", ca_file_));
  EXPECT_TRUE(r.connected) << r.error;
  EXPECT_EQ(r.cert_chain_valid, false);
  EXPECT_EQ(r.cert_error, "hostname mismatch");
}

TEST_F(TlsProbeTest, ExpiredCertificate) {
  KeyAndCert expired =
      MakeCertificate("localhost", &ca_, false, -std::chrono::hours(24 * 2 + 1), "DNS:localhost,IP:127.0.0.1");
  TestHttpServer server(Hello, ServerContext(expired));
  ProbeResult r = RunOne(TlsCheck("127.0.0.1", server.port(), "localhost", ca_file_));
  EXPECT_TRUE(r.connected) << r.error;
  EXPECT_EQ(r.cert_days_left, -3);  // 2 days and an hour ago: floor
  EXPECT_EQ(r.cert_chain_valid, false);
  EXPECT_EQ(r.cert_error, "certificate has expired");
}

TEST_F(TlsProbeTest, PlainServerFailsTheHandshake) {
  TestHttpServer server(Hello);
  ProbeResult r = RunOne(TlsCheck("127.0.0.1", server.port(), "localhost", ca_file_));
  EXPECT_FALSE(r.connected);
  EXPECT_EQ(r.error.rfind("TLS handshake failed: ", 0), 0u) << r.error;
  EXPECT_FALSE(r.cert_days_left.has_value());
  EXPECT_FALSE(r.cert_chain_valid.has_value());
}

TEST_F(TlsProbeTest, SilentServerTimesOut) {
  BlackHole hole;
  ProbeResult r = RunOne(TlsCheck("127.0.0.1", hole.port(), "localhost", "", 300ms));
  EXPECT_FALSE(r.connected);
  EXPECT_EQ(r.error, "timed out after 300ms");
}

TEST_F(TlsProbeTest, MissingCaFile) {
  TestHttpServer server(Hello, ServerContext(leaf_));
  const std::string missing = (dir_.path() / "nope.pem").string();
  ProbeResult r = RunOne(TlsCheck("127.0.0.1", server.port(), "localhost", missing));
  EXPECT_FALSE(r.connected);
  EXPECT_EQ(r.error.rfind("cannot read CA file " + missing + ": ", 0), 0u) << r.error;
}

TEST_F(TlsProbeTest, RefusedConnection) {
  ProbeResult r = RunOne(TlsCheck("127.0.0.1", static_cast<uint16_t>(csoc::testing::FreePort()), "localhost"));
  EXPECT_FALSE(r.connected);
  EXPECT_EQ(r.error, "connection refused");
}

// --- DNS ------------------------------------------------------------------------------------

class DnsProbeTest : public ::testing::Test {
 protected:
  DnsProbeTest() {
    dns_.a["found.test"] = {"192.0.2.10", "192.0.2.7", "198.51.100.1"};
    dns_.aaaa["found.test"] = {"2001:db8::1"};
    dns_.a["v4only.test"] = {"192.0.2.20"};
    dns_.silent = {"silent.test"};
    dns_.Start();
  }
  TestDnsServer dns_;
};

TEST_F(DnsProbeTest, LocalhostFromTheHostsFile) {
  ProbeResult r = RunOne(DnsCheck("localhost", "A", ""));
  EXPECT_TRUE(r.connected) << r.error;
  EXPECT_EQ(r.addresses, std::vector<std::string>{"127.0.0.1"});
}

TEST_F(DnsProbeTest, AskedServerAnswersInOrder) {
  ProbeResult r = RunOne(DnsCheck("found.test", "A", dns_.Address()));
  EXPECT_TRUE(r.connected) << r.error;
  EXPECT_EQ(r.error, "");
  EXPECT_EQ(r.addresses, (std::vector<std::string>{"192.0.2.10", "192.0.2.7", "198.51.100.1"}));
  EXPECT_GT(r.latency.count(), 0);
}

TEST_F(DnsProbeTest, Aaaa) {
  ProbeResult r = RunOne(DnsCheck("found.test", "AAAA", dns_.Address()));
  EXPECT_TRUE(r.connected) << r.error;
  EXPECT_EQ(r.addresses, std::vector<std::string>{"2001:db8::1"});
}

TEST_F(DnsProbeTest, UnknownNameFails) {
  ProbeResult r = RunOne(DnsCheck("missing.test", "A", dns_.Address()));
  EXPECT_FALSE(r.connected);
  EXPECT_EQ(r.error, "could not resolve host missing.test: domain name not found");
  EXPECT_TRUE(r.addresses.empty());
}

TEST_F(DnsProbeTest, NameWithoutTheRequestedRecordFails) {
  ProbeResult r = RunOne(DnsCheck("v4only.test", "AAAA", dns_.Address()));
  EXPECT_FALSE(r.connected);
  EXPECT_EQ(r.error.rfind("could not resolve host v4only.test: ", 0), 0u) << r.error;
}

TEST_F(DnsProbeTest, SilentServerTimesOut) {
  ProbeResult r = RunOne(DnsCheck("silent.test", "A", dns_.Address(), 300ms));
  EXPECT_FALSE(r.connected);
  EXPECT_EQ(r.error, "timed out after 300ms");
  EXPECT_GE(dns_.queries(), 1);
}

TEST_F(DnsProbeTest, BadServerAndRecordTypeAreErrors) {
  ProbeResult bad_server = RunOne(DnsCheck("found.test", "A", "not-an-ip"));
  EXPECT_FALSE(bad_server.connected);
  EXPECT_EQ(bad_server.error, "invalid DNS server 'not-an-ip' (expected ip, ip:port or [ipv6]:port)");

  ProbeResult bad_type = RunOne(DnsCheck("found.test", "MX", dns_.Address()));
  EXPECT_FALSE(bad_type.connected);
  EXPECT_EQ(bad_type.error, "unsupported DNS record type 'MX' (expected A or AAAA)");
}

TEST_F(DnsProbeTest, ShutdownCancelsLookupsWithoutCallbacks) {
  asio::io_context io;
  Prober prober(io);
  int calls = 0;
  for (int i = 0; i < 3; ++i)
    prober.Run(DnsCheck("silent.test", "A", dns_.Address(), 300ms), [&](ProbeResult) { ++calls; });
  prober.Run(TcpCheck("127.0.0.1", static_cast<uint16_t>(csoc::testing::FreePort())), [&](ProbeResult) { ++calls; });
  EXPECT_EQ(prober.in_flight(), 4u);
  RunFor(io, 0ms);
  prober.Shutdown();
  EXPECT_EQ(prober.in_flight(), 0u);
  RunFor(io, 500ms);
  EXPECT_EQ(calls, 0);
}

TEST_F(DnsProbeTest, DestroyingTheProberMidFlightIsClean) {
  BlackHole hole;
  asio::io_context io;
  int calls = 0;
  {
    Prober prober(io);
    prober.Run(DnsCheck("silent.test", "A", dns_.Address(), 5s), [&](ProbeResult) { ++calls; });
    prober.Run(HttpCheck("http://127.0.0.1:" + std::to_string(hole.port()) + "/", 5s), [&](ProbeResult) { ++calls; });
    prober.Run(TlsCheck("127.0.0.1", hole.port(), "localhost", "", 5s), [&](ProbeResult) { ++calls; });
    RunFor(io, 100ms);
    EXPECT_EQ(prober.in_flight(), 3u);
  }
  RunFor(io, 200ms);  // handlers that were pending run against nothing
  EXPECT_EQ(calls, 0);
}

}  // namespace
}  // namespace csoc::probe

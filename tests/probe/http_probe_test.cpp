// HTTP(S) probes through libcurl multi on Asio, against servers started in the test.
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

Reply Route(const http::request<http::string_body>& req) {
  const std::string target(req.target());
  if (target == "/ok") {
    Reply r = TextReply(200, "hello");
    r.response.set("X-Test", "Yes");
    return r;
  }
  if (target == "/redirect") {
    Reply r = TextReply(302, "moved");
    r.response.set(http::field::location, "/ok");
    return r;
  }
  if (target == "/loop") {
    Reply r = TextReply(302, "again");
    r.response.set(http::field::location, "/loop");
    return r;
  }
  if (target == "/big") return TextReply(200, std::string(200 * 1024, 'x'));
  if (target == "/echo") return TextReply(201, std::string(req.method_string()) + ":" + req.body());
  return TextReply(404, "not found");
}

std::string Header(const ProbeResult& r, const std::string& name) {
  for (const auto& [k, v] : r.headers) {
    if (k == name) return v;
  }
  return "<missing>";
}

class HttpProbeTest : public ::testing::Test {
 protected:
  TestHttpServer server_{Route};
};

TEST_F(HttpProbeTest, CapturesStatusHeadersBodyAndTiming) {
  const TimePoint before = Clock::now();
  ProbeResult r = RunOne(HttpCheck(server_.Url("/ok")));
  EXPECT_TRUE(r.connected);
  EXPECT_EQ(r.error, "");
  EXPECT_EQ(r.status_code, 200);
  EXPECT_EQ(r.body, "hello");
  EXPECT_FALSE(r.body_truncated);
  EXPECT_EQ(Header(r, "x-test"), "Yes");  // names lower-cased, values as sent
  EXPECT_EQ(Header(r, "content-type"), "text/plain");
  EXPECT_EQ(Header(r, "content-length"), "5");
  EXPECT_EQ(r.effective_url, server_.Url("/ok"));
  EXPECT_GT(r.latency.count(), 0);
  EXPECT_GE(r.started, before);
  EXPECT_LE(r.started, Clock::now());
  EXPECT_FALSE(r.cert_days_left.has_value());  // plain HTTP has no certificate
  EXPECT_FALSE(r.cert_chain_valid.has_value());
}

TEST_F(HttpProbeTest, SendsMethodHeadersAndBody) {
  fleet::Check check = HttpCheck(server_.Url("/echo"));
  auto& spec = std::get<fleet::HttpSpec>(check.spec);
  spec.method = "PUT";
  spec.headers = {{"X-Token", "abc", true}, {"Content-Type", "application/json", false}};
  spec.body = R"({"a":1})";
  ProbeResult r = RunOne(check);
  EXPECT_EQ(r.status_code, 201);
  EXPECT_EQ(r.body, R"(PUT:{"a":1})");
  std::vector<SeenRequest> seen = server_.requests();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].method, "PUT");
  EXPECT_EQ(seen[0].target, "/echo");
  EXPECT_EQ(seen[0].body, R"({"a":1})");
  EXPECT_EQ(seen[0].headers["x-token"], "abc");
  EXPECT_EQ(seen[0].headers["content-type"], "application/json");
  EXPECT_EQ(seen[0].headers["user-agent"], "csoc-probe/0.1");
  EXPECT_EQ(seen[0].headers.count("expect"), 0u);
}

TEST_F(HttpProbeTest, PostWithoutBodyGetWithBodyAndHead) {
  fleet::Check post = HttpCheck(server_.Url("/echo"));
  std::get<fleet::HttpSpec>(post.spec).method = "POST";
  EXPECT_EQ(RunOne(post).body, "POST:");

  fleet::Check get = HttpCheck(server_.Url("/echo"));
  std::get<fleet::HttpSpec>(get.spec).body = "q";
  EXPECT_EQ(RunOne(get).body, "GET:q");

  fleet::Check head = HttpCheck(server_.Url("/ok"));
  std::get<fleet::HttpSpec>(head.spec).method = "HEAD";
  ProbeResult r = RunOne(head);
  EXPECT_TRUE(r.connected);
  EXPECT_EQ(r.status_code, 200);
  EXPECT_EQ(r.body, "");
  EXPECT_EQ(server_.requests().back().method, "HEAD");
}

TEST_F(HttpProbeTest, CustomUserAgent) {
  ProberOptions options;
  options.user_agent = "ops-check/2";
  RunOne(HttpCheck(server_.Url("/ok")), options);
  EXPECT_EQ(server_.requests().back().headers["user-agent"], "ops-check/2");
}

TEST_F(HttpProbeTest, DoesNotFollowRedirectsByDefault) {
  ProbeResult r = RunOne(HttpCheck(server_.Url("/redirect")));
  EXPECT_TRUE(r.connected);
  EXPECT_EQ(r.status_code, 302);
  EXPECT_EQ(Header(r, "location"), "/ok");
  EXPECT_EQ(r.body, "moved");
  EXPECT_EQ(r.effective_url, server_.Url("/redirect"));
  EXPECT_EQ(server_.requests().size(), 1u);
}

TEST_F(HttpProbeTest, FollowsRedirectsWhenAsked) {
  fleet::Check check = HttpCheck(server_.Url("/redirect"));
  std::get<fleet::HttpSpec>(check.spec).follow_redirects = true;
  ProbeResult r = RunOne(check);
  EXPECT_TRUE(r.connected);
  EXPECT_EQ(r.status_code, 200);
  EXPECT_EQ(r.body, "hello");
  EXPECT_EQ(Header(r, "x-test"), "Yes");
  EXPECT_EQ(Header(r, "location"), "<missing>");  // only the final response's headers
  EXPECT_EQ(r.effective_url, server_.Url("/ok"));
  EXPECT_EQ(server_.requests().size(), 2u);
}

TEST_F(HttpProbeTest, RedirectLoopFails) {
  fleet::Check check = HttpCheck(server_.Url("/loop"));
  std::get<fleet::HttpSpec>(check.spec).follow_redirects = true;
  ProbeResult r = RunOne(check);
  EXPECT_FALSE(r.connected);
  EXPECT_EQ(r.error, "too many redirects (more than 10)");
}

TEST_F(HttpProbeTest, CapsTheBody) {
  ProbeResult r = RunOne(HttpCheck(server_.Url("/big")));
  EXPECT_TRUE(r.connected);
  EXPECT_EQ(r.status_code, 200);
  EXPECT_EQ(r.body.size(), ProbeResult::kMaxBody);
  EXPECT_EQ(r.body, std::string(ProbeResult::kMaxBody, 'x'));
  EXPECT_TRUE(r.body_truncated);
}

TEST_F(HttpProbeTest, ConnectionRefused) {
  ProbeResult r = RunOne(HttpCheck("http://127.0.0.1:" + std::to_string(csoc::testing::FreePort()) + "/"));
  EXPECT_FALSE(r.connected);
  EXPECT_EQ(r.error, "connection refused");
  EXPECT_EQ(r.status_code, 0);
}

TEST_F(HttpProbeTest, InvalidUrlIsAnErrorResult) {
  ProbeResult r = RunOne(HttpCheck("ftp://127.0.0.1/file"));
  EXPECT_FALSE(r.connected);
  EXPECT_EQ(r.error.rfind("invalid URL: ", 0), 0u) << r.error;
}

TEST_F(HttpProbeTest, BlackHoleTimesOutWithoutDelayingAFastProbe) {
  BlackHole hole;
  asio::io_context io;
  Prober prober(io);
  std::vector<std::string> order;
  ProbeResult slow, fast;
  int slow_calls = 0;
  prober.Run(HttpCheck("http://127.0.0.1:" + std::to_string(hole.port()) + "/", 800ms), [&](ProbeResult r) {
    ++slow_calls;
    order.push_back("black hole");
    slow = std::move(r);
  });
  prober.Run(HttpCheck(server_.Url("/ok")), [&](ProbeResult r) {
    order.push_back("fast");
    fast = std::move(r);
  });
  EXPECT_EQ(prober.in_flight(), 2u);
  ASSERT_TRUE(RunUntil(io, [&] { return order.size() == 2; }));
  RunFor(io, 20ms);
  EXPECT_EQ(order, (std::vector<std::string>{"fast", "black hole"}));
  EXPECT_EQ(slow_calls, 1);
  EXPECT_TRUE(fast.connected);
  EXPECT_EQ(fast.status_code, 200);
  EXPECT_FALSE(slow.connected);
  EXPECT_EQ(slow.error, "timed out after 800ms");
  EXPECT_GE(slow.latency, 800ms);
  EXPECT_LT(fast.latency, slow.latency);
}

TEST_F(HttpProbeTest, ShutdownCancelsWithoutCallbacksAndTheProberStaysUsable) {
  BlackHole hole;
  asio::io_context io;
  Prober prober(io);
  int calls = 0;
  for (int i = 0; i < 3; ++i) {
    prober.Run(HttpCheck("http://127.0.0.1:" + std::to_string(hole.port()) + "/", 300ms),
               [&](ProbeResult) { ++calls; });
  }
  RunFor(io, 50ms);
  EXPECT_EQ(prober.in_flight(), 3u);
  prober.Shutdown();
  EXPECT_EQ(prober.in_flight(), 0u);
  RunFor(io, 500ms);  // past the probes' timeout
  EXPECT_EQ(calls, 0);

  ProbeResult after;
  prober.Run(HttpCheck(server_.Url("/ok")), [&](ProbeResult r) {
    ++calls;
    after = std::move(r);
  });
  ASSERT_TRUE(RunUntil(io, [&] { return calls == 1; }));
  EXPECT_EQ(after.status_code, 200);
}

TEST_F(HttpProbeTest, ShutdownInsideACallbackStopsTheRest) {
  asio::io_context io;
  Prober prober(io);
  int calls = 0;
  for (int i = 0; i < 20; ++i) {
    prober.Run(HttpCheck(server_.Url("/ok")), [&](ProbeResult) {
      ++calls;
      prober.Shutdown();
    });
  }
  RunFor(io, 300ms);
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(prober.in_flight(), 0u);
}

TEST_F(HttpProbeTest, ManyConcurrentProbesEachOnAFreshConnection) {
  asio::io_context io;
  Prober prober(io);
  std::vector<ProbeResult> results;
  for (int round = 0; round < 3; ++round) {  // later rounds reuse pooled handles
    for (int i = 0; i < 40; ++i) {
      prober.Run(HttpCheck(server_.Url("/ok")), [&](ProbeResult r) { results.push_back(std::move(r)); });
    }
    ASSERT_TRUE(RunUntil(io, [&] { return results.size() == static_cast<size_t>(40 * (round + 1)); }));
  }
  for (const ProbeResult& r : results) {
    EXPECT_EQ(r.status_code, 200);
    EXPECT_EQ(r.body, "hello");
    EXPECT_EQ(r.headers.size(), 3u);  // nothing left over from the handle's previous transfer
  }
  EXPECT_EQ(server_.connections(), 120);
}

TEST_F(HttpProbeTest, ReusesConnectionsWhenAllowed) {
  asio::io_context io;
  ProberOptions options;
  options.reuse_connections = true;
  Prober prober(io, options);
  int done = 0;
  for (int i = 0; i < 4; ++i) {
    prober.Run(HttpCheck(server_.Url("/ok")), [&](ProbeResult r) {
      EXPECT_EQ(r.status_code, 200);
      ++done;
    });
    ASSERT_TRUE(RunUntil(io, [&] { return done == i + 1; }));
  }
  EXPECT_EQ(server_.connections(), 1);
}

// --- HTTPS ----------------------------------------------------------------------------------

class HttpsProbeTest : public ::testing::Test {
 protected:
  HttpsProbeTest()
      : ca_(MakeCertificate("csoc test CA", nullptr, true, std::chrono::hours(24 * 30), "")),
        leaf_(MakeCertificate("localhost", &ca_, false, std::chrono::hours(24 * 5 + 1), "DNS:localhost,IP:127.0.0.1")),
        self_signed_(
            MakeCertificate("localhost", nullptr, false, std::chrono::hours(24 * 5 + 1), "DNS:localhost,IP:127.0.0.1")),
        ca_file_(dir_.path() / "ca.pem") {
    csoc::testing::WriteFile(ca_file_, ca_.CertPem());
  }

  static fleet::Check Https(const std::string& url, bool verify, const std::string& ca_file = "") {
    fleet::Check check = HttpCheck(url);
    auto& spec = std::get<fleet::HttpSpec>(check.spec);
    spec.tls_verify = verify;
    spec.ca_file = ca_file;
    return check;
  }

  csoc::testing::TempDir dir_;
  KeyAndCert ca_, leaf_, self_signed_;
  std::filesystem::path ca_file_;
};

TEST_F(HttpsProbeTest, SelfSignedFailsVerification) {
  TestHttpServer server(Route, ServerContext(self_signed_));
  ProbeResult r = RunOne(Https(server.Url("/ok"), true));
  EXPECT_FALSE(r.connected);
  EXPECT_EQ(r.status_code, 0);
  EXPECT_EQ(r.error, "TLS certificate problem: self-signed certificate");
  EXPECT_EQ(r.cert_chain_valid, false);
  EXPECT_EQ(r.cert_error, "self-signed certificate");
}

TEST_F(HttpsProbeTest, CaFileMakesTheChainValidAndCertificateIsReported) {
  TestHttpServer server(Route, ServerContext(leaf_));
  const TimePoint now = Clock::now();
  ProbeResult r = RunOne(Https(server.Url("/ok"), true, ca_file_.string()));
  EXPECT_TRUE(r.connected) << r.error;
  EXPECT_EQ(r.status_code, 200);
  EXPECT_EQ(r.body, "hello");
  EXPECT_EQ(r.cert_chain_valid, true);
  EXPECT_EQ(r.cert_error, "");
  EXPECT_EQ(r.cert_days_left, 5);
  ASSERT_TRUE(r.cert_not_after.has_value());
  EXPECT_LT(std::chrono::abs(*r.cert_not_after - (now + std::chrono::hours(24 * 5 + 1))), std::chrono::minutes(1));
  EXPECT_EQ(r.cert_subject, "CN=localhost,O=csoc tests");
}

TEST_F(HttpsProbeTest, ByHostNameWithCaFile) {
  TestHttpServer server(Route, ServerContext(leaf_));
  ProbeResult r = RunOne(Https("https://localhost:" + std::to_string(server.port()) + "/ok", true, ca_file_.string()));
  EXPECT_TRUE(r.connected) << r.error;
  EXPECT_EQ(r.cert_chain_valid, true);
}

TEST_F(HttpsProbeTest, WithoutVerificationTheChainProblemIsStillReported) {
  TestHttpServer server(Route, ServerContext(self_signed_));
  ProbeResult r = RunOne(Https(server.Url("/ok"), false));
  EXPECT_TRUE(r.connected) << r.error;
  EXPECT_EQ(r.status_code, 200);
  EXPECT_EQ(r.cert_chain_valid, false);
  EXPECT_EQ(r.cert_error, "self-signed certificate");
  EXPECT_EQ(r.cert_days_left, 5);
}

TEST_F(HttpsProbeTest, WithoutVerificationAHostMismatchIsReported) {
  KeyAndCert other =
      MakeCertificate("other.example", &ca_, false, std::chrono::hours(24 * 40 + 1), "DNS:other.example");
  TestHttpServer server(Route, ServerContext(other));
  ProbeResult r = RunOne(Https(server.Url("/ok"), false, ca_file_.string()));
  EXPECT_TRUE(r.connected) << r.error;
  EXPECT_EQ(r.cert_chain_valid, false);
  EXPECT_EQ(r.cert_error, "IP address mismatch");  // the URL names 127.0.0.1
  EXPECT_EQ(r.cert_days_left, 40);

  ProbeResult verified = RunOne(Https(server.Url("/ok"), true, ca_file_.string()));
  EXPECT_FALSE(verified.connected);
  EXPECT_EQ(verified.error.rfind("TLS certificate problem: ", 0), 0u) << verified.error;
  EXPECT_NE(verified.error.find("127.0.0.1"), std::string::npos) << verified.error;
  EXPECT_EQ(verified.cert_chain_valid, false);
}

TEST_F(HttpsProbeTest, MissingCaFile) {
  TestHttpServer server(Route, ServerContext(leaf_));
  ProbeResult r = RunOne(Https(server.Url("/ok"), true, (dir_.path() / "missing.pem").string()));
  EXPECT_FALSE(r.connected);
  EXPECT_EQ(r.error, "cannot read CA file " + (dir_.path() / "missing.pem").string());
}

TEST_F(HttpsProbeTest, RedirectFromHttpToHttpsReportsTheCertificate) {
  TestHttpServer https(Route, ServerContext(leaf_));
  TestHttpServer http([&](const http::request<http::string_body>&) {
    Reply r = TextReply(301, "");
    r.response.set(http::field::location, https.Url("/ok"));
    return r;
  });
  fleet::Check check = Https(http.Url("/"), true, ca_file_.string());
  std::get<fleet::HttpSpec>(check.spec).follow_redirects = true;
  ProbeResult r = RunOne(check);
  EXPECT_TRUE(r.connected) << r.error;
  EXPECT_EQ(r.status_code, 200);
  EXPECT_EQ(r.effective_url, https.Url("/ok"));
  EXPECT_EQ(r.cert_days_left, 5);
  EXPECT_EQ(r.cert_chain_valid, true);
}

}  // namespace
}  // namespace csoc::probe

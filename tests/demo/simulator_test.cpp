#include "demo/simulator.h"

#include <gtest/gtest.h>
#include <openssl/x509v3.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <future>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <thread>

#include "demo/gen3_services.h"
#include "support/support.h"

namespace csoc::demo {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using csoc::testing::HttpGet;
using csoc::testing::WaitFor;
using std::chrono::milliseconds;

uint16_t PortOf(const std::string& url) { return static_cast<uint16_t>(std::stoi(url.substr(url.rfind(':') + 1))); }

// A blocking HTTP/1.1 client on one connection, for what HttpGet (a fresh connection per call)
// cannot show: keep-alive, HEAD, and what happens to an open connection on Stop().
class RawClient {
 public:
  explicit RawClient(uint16_t port) : socket_(io_) {
    socket_.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  }
  http::response<http::string_body> Send(http::verb verb, const std::string& target) {
    http::request<http::empty_body> req(verb, target, 11);
    req.set(http::field::host, "localhost");
    http::write(socket_, req);
    http::response_parser<http::string_body> parser;
    parser.skip(verb == http::verb::head);
    http::read(socket_, buffer_, parser);
    return parser.release();
  }
  beast::error_code ReadUntilClosed() {
    char byte;
    beast::error_code ec;
    socket_.read_some(asio::buffer(&byte, 1), ec);
    return ec;
  }

 private:
  asio::io_context io_;
  tcp::socket socket_;
  beast::flat_buffer buffer_;
};

beast::error_code ConnectError(uint16_t port) {
  asio::io_context io;
  tcp::socket socket(io);
  beast::error_code ec;
  socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), ec);
  return ec;
}

class SimulatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SimulatorOptions options;
    options.flap_period = milliseconds(300);
    sim_ = std::make_unique<Simulator>(io_, options);
    Status s = sim_->Start();
    ASSERT_TRUE(s.ok()) << s.ToString();
    io_thread_ = std::thread([this] { io_.run(); });
  }
  void TearDown() override {
    sim_->Stop();
    if (io_thread_.joinable()) io_thread_.join();
  }

  const SimulatedCommons& Commons(const std::string& name) const {
    for (const auto& c : sim_->commons()) {
      if (c.name == name) return c;
    }
    throw std::logic_error("no commons " + name);
  }
  std::string Url(const std::string& name, const std::string& path) const { return Commons(name).base_url + path; }

  asio::io_context io_;
  std::unique_ptr<Simulator> sim_;
  std::thread io_thread_;
};

TEST_F(SimulatorTest, ReportsSixCommonsOnTwoClustersWithRealPorts) {
  const auto& commons = sim_->commons();
  ASSERT_EQ(commons.size(), 6u);
  std::set<uint16_t> ports;
  for (const auto& c : commons) {
    EXPECT_EQ(c.base_url.rfind("http://127.0.0.1:", 0), 0u) << c.base_url;
    uint16_t port = PortOf(c.base_url);
    EXPECT_NE(port, 0) << c.name;
    ports.insert(port);
    EXPECT_FALSE(c.behaviour.empty()) << c.name;
  }
  ports.insert(PortOf(sim_->tls_endpoint()));
  EXPECT_EQ(ports.size(), 7u) << "every listener and the reserved port are distinct";
  EXPECT_EQ(commons[0].cluster, "cluster-east");
  EXPECT_EQ(commons[5].cluster, "cluster-west");
  EXPECT_EQ(sim_->tls_endpoint().rfind("127.0.0.1:", 0), 0u);
}

TEST_F(SimulatorTest, HealthyCommonsAnswersEveryGen3HealthPath) {
  for (std::string_view path : internal::Gen3HealthPaths()) {
    auto r = HttpGet(Url("gen3-prod-us", std::string(path)));
    EXPECT_EQ(r.status, 200) << path << " " << r.error;
    EXPECT_FALSE(r.body.empty()) << path;
  }
  EXPECT_EQ(HttpGet(Url("gen3-prod-us", "/user/_status")).body, "Healthy");
  EXPECT_EQ(HttpGet(Url("gen3-prod-us", "/index/_status")).body, "Healthy");
  auto revproxy = HttpGet(Url("gen3-prod-us", "/_status"));
  EXPECT_EQ(revproxy.headers["content-type"], "application/json");
  EXPECT_EQ(nlohmann::json::parse(revproxy.body)["message"], "Feelin good!");
  EXPECT_EQ(nlohmann::json::parse(HttpGet(Url("gen3-prod-us", "/peregrine/_status")).body)["status"], "OK");
  auto guppy = nlohmann::json::parse(HttpGet(Url("gen3-prod-us", "/guppy/_status")).body);
  EXPECT_EQ(guppy["statusCode"], 200);
  EXPECT_FALSE(guppy["indices"].empty());
  EXPECT_EQ(nlohmann::json::parse(HttpGet(Url("gen3-prod-us", "/mds/_status")).body)["status"], "OK");
  auto portal = HttpGet(Url("gen3-prod-us", "/"));
  EXPECT_EQ(portal.headers["content-type"], "text/html");
  EXPECT_NE(portal.body.find("gen3-prod-us Data Commons"), std::string::npos);
}

TEST_F(SimulatorTest, UnknownPathIs404AndPostIs405) {
  EXPECT_EQ(HttpGet(Url("gen3-prod-us", "/no/such/_status")).status, 404);
  EXPECT_EQ(csoc::testing::HttpRequest("POST", Url("gen3-prod-us", "/_status"), "{}").status, 405);
}

TEST_F(SimulatorTest, DownCommonsFenceAnswers503WhileTheRestIsUp) {
  auto fence = HttpGet(Url("gen3-prod-eu", "/user/_status"));
  EXPECT_EQ(fence.status, 503);
  EXPECT_EQ(fence.body, R"({"error":"database unavailable"})");
  EXPECT_EQ(HttpGet(Url("gen3-prod-eu", "/_status")).status, 200);
  EXPECT_EQ(HttpGet(Url("gen3-prod-eu", "/index/_status")).status, 200);
  EXPECT_EQ(HttpGet(Url("gen3-prod-eu", "/")).status, 200);
}

TEST_F(SimulatorTest, FlappingIndexdIsSeenHealthyAndUnhealthy) {
  std::set<int> seen;
  std::set<std::string> bodies;
  bool both = WaitFor(
      [&] {
        auto r = HttpGet(Url("gen3-research", "/index/_status"));
        seen.insert(r.status);
        bodies.insert(r.body);
        return seen.count(200) && seen.count(503);
      },
      std::chrono::seconds(10));
  EXPECT_TRUE(both);
  EXPECT_EQ(seen, (std::set<int>{200, 503}));
  EXPECT_EQ(bodies, (std::set<std::string>{"Healthy", "Unhealthy"}));
  EXPECT_EQ(HttpGet(Url("gen3-research", "/user/_status")).status, 200) << "only indexd flaps";
}

TEST_F(SimulatorTest, SlowCommonsGuppyAndPeregrineAnswerLaterThanOnAHealthyOne) {
  auto timed = [](const std::string& url) {
    auto start = std::chrono::steady_clock::now();
    auto r = HttpGet(url);
    EXPECT_EQ(r.status, 200) << url << " " << r.error;
    return std::chrono::steady_clock::now() - start;
  };
  auto healthy_guppy = timed(Url("gen3-prod-us", "/guppy/_status"));
  auto slow_guppy = timed(Url("gen3-staging-us", "/guppy/_status"));
  auto healthy_peregrine = timed(Url("gen3-prod-us", "/peregrine/_status"));
  auto slow_peregrine = timed(Url("gen3-staging-us", "/peregrine/_status"));
  EXPECT_GT(slow_guppy, healthy_guppy);
  EXPECT_GT(slow_peregrine, healthy_peregrine);
  // Lower bounds set by the server's timers, not wall-clock limits on the machine.
  EXPECT_GE(slow_guppy, internal::kGuppyDelay);
  EXPECT_GE(slow_peregrine, internal::kPeregrineDelay);
}

TEST_F(SimulatorTest, UnreachableCommonsRefusesConnections) {
  const auto& dev = Commons("gen3-dev-eu");
  EXPECT_EQ(ConnectError(PortOf(dev.base_url)), asio::error::connection_refused);
  auto r = HttpGet(dev.base_url + "/_status");
  EXPECT_EQ(r.status, 0);
  EXPECT_FALSE(r.error.empty());
}

TEST_F(SimulatorTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  RawClient client(PortOf(Commons("gen3-prod-us").base_url));
  auto a = client.Send(http::verb::get, "/user/_status");
  auto b = client.Send(http::verb::get, "/index/_status");
  auto c = client.Send(http::verb::get, "/guppy/_status");
  EXPECT_EQ(a.result_int(), 200u);
  EXPECT_EQ(a.body(), "Healthy");
  EXPECT_TRUE(a.keep_alive());
  EXPECT_EQ(b.body(), "Healthy");
  EXPECT_EQ(c.result_int(), 200u);
  EXPECT_EQ(nlohmann::json::parse(c.body())["statusCode"], 200);
}

TEST_F(SimulatorTest, HeadAnswersWithLengthButNoBody) {
  RawClient client(PortOf(Commons("gen3-prod-us").base_url));
  auto head = client.Send(http::verb::head, "/user/_status");
  EXPECT_EQ(head.result_int(), 200u);
  EXPECT_EQ(head[http::field::content_length], "7");
  EXPECT_TRUE(head.body().empty());
  auto get = client.Send(http::verb::get, "/user/_status");
  EXPECT_EQ(get.body(), "Healthy") << "the connection is still in sync after HEAD";
}

TEST_F(SimulatorTest, StopClosesListenersAndIdleConnections) {
  uint16_t port = PortOf(Commons("gen3-prod-us").base_url);
  RawClient idle(port);
  EXPECT_EQ(idle.Send(http::verb::get, "/_status").result_int(), 200u);
  sim_->Stop();
  io_thread_.join();  // run() returns: Stop() left no work behind
  beast::error_code ec = idle.ReadUntilClosed();
  EXPECT_TRUE(ec == asio::error::eof || ec == asio::error::connection_reset) << ec.message();
  EXPECT_EQ(ConnectError(port), asio::error::connection_refused);
  EXPECT_EQ(ConnectError(PortOf(sim_->tls_endpoint())), asio::error::connection_refused);
  sim_->Stop();  // idempotent
}

TEST_F(SimulatorTest, StopDropsAnAnswerThatIsStillDelayed) {
  auto pending = std::async(std::launch::async, [&] { return HttpGet(Url("gen3-staging-us", "/guppy/_status")); });
  // Give the request time to reach the server; if it has not, it is refused, which fails it too.
  std::this_thread::sleep_for(milliseconds(300));
  sim_->Stop();
  auto r = pending.get();
  EXPECT_EQ(r.status, 0) << "the delayed guppy answer must not be sent after Stop()";
  EXPECT_FALSE(r.error.empty());
}

struct PeerCertificate {
  std::string subject_cn;
  std::vector<std::string> dns_names;
  std::vector<std::string> ip_addresses;
  int days_left = 0;
  int seconds_left = 0;
};

TEST_F(SimulatorTest, TlsEndpointServesAFiveDayCertificateForLocalhost) {
  asio::io_context io;
  asio::ssl::context ctx(asio::ssl::context::tls_client);
  ctx.set_verify_mode(asio::ssl::verify_none);
  asio::ssl::stream<tcp::socket> stream(io, ctx);
  ASSERT_EQ(SSL_set_tlsext_host_name(stream.native_handle(), "localhost"), 1);
  stream.next_layer().connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), PortOf(sim_->tls_endpoint())));
  stream.handshake(asio::ssl::stream_base::client);

  X509* cert = SSL_get1_peer_certificate(stream.native_handle());
  ASSERT_NE(cert, nullptr);
  PeerCertificate peer;
  char cn[256] = {};
  X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, sizeof cn);
  peer.subject_cn = cn;
  auto* sans = static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  ASSERT_NE(sans, nullptr);
  for (int i = 0; i < sk_GENERAL_NAME_num(sans); ++i) {
    const GENERAL_NAME* n = sk_GENERAL_NAME_value(sans, i);
    if (n->type == GEN_DNS) {
      peer.dns_names.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(n->d.dNSName)));
    } else if (n->type == GEN_IPADD && ASN1_STRING_length(n->d.iPAddress) == 4) {
      const unsigned char* b = ASN1_STRING_get0_data(n->d.iPAddress);
      peer.ip_addresses.push_back(asio::ip::address_v4({b[0], b[1], b[2], b[3]}).to_string());
    }
  }
  GENERAL_NAMES_free(sans);
  ASSERT_EQ(ASN1_TIME_diff(&peer.days_left, &peer.seconds_left, nullptr, X509_get0_notAfter(cert)), 1);
  X509_free(cert);

  EXPECT_EQ(peer.subject_cn, "localhost");
  EXPECT_EQ(peer.dns_names, std::vector<std::string>{"localhost"});
  EXPECT_EQ(peer.ip_addresses, std::vector<std::string>{"127.0.0.1"});
  // notAfter is start + 5 days + the slack: 5 whole days remain, as a probe counts them.
  EXPECT_EQ(peer.days_left, internal::kTlsCertificateDays);
  auto left = std::chrono::hours(24) * peer.days_left + std::chrono::seconds(peer.seconds_left);
  EXPECT_LE(left, std::chrono::hours(24 * internal::kTlsCertificateDays) + internal::kTlsCertificateSlack);
  EXPECT_GT(left, std::chrono::hours(24 * internal::kTlsCertificateDays));

  http::request<http::empty_body> req(http::verb::get, "/_status", 11);
  req.set(http::field::host, "localhost");
  http::write(stream, req);
  beast::flat_buffer buffer;
  http::response<http::string_body> res;
  http::read(stream, buffer, res);
  EXPECT_EQ(res.result_int(), 200u);
  EXPECT_EQ(nlohmann::json::parse(res.body())["message"], "Feelin good!");
}

TEST_F(SimulatorTest, StartTwiceIsRejected) {
  Status s = sim_->Start();
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(s.message().find("already started"), std::string::npos);
}

TEST(SimulatorStart, CommonsAreKnownBeforeStartWithoutUrls) {
  asio::io_context io;
  Simulator sim(io, {});
  ASSERT_EQ(sim.commons().size(), 6u);
  EXPECT_EQ(sim.commons()[0].name, "gen3-prod-us");
  EXPECT_TRUE(sim.commons()[0].base_url.empty());
  EXPECT_TRUE(sim.tls_endpoint().empty());
}

TEST(SimulatorStart, RejectsAHostThatIsNotAnAddress) {
  asio::io_context io;
  SimulatorOptions options;
  options.host = "localhost.invalid";
  Simulator sim(io, options);
  Status s = sim.Start();
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(s.message().find("localhost.invalid"), std::string::npos);
}

TEST(SimulatorStart, RejectsABasePortWithoutRoomForTheTlsPort) {
  asio::io_context io;
  SimulatorOptions options;
  options.base_port = 65530;
  Simulator sim(io, options);
  Status s = sim.Start();
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(s.message().find("65530"), std::string::npos);
}

TEST(SimulatorStart, APortInUseFailsStartAndLeavesNothingOpen) {
  asio::io_context io;
  for (int attempt = 0; attempt < 20; ++attempt) {
    // Occupy what would be gen3-staging-us's port (base + 1), so gen3-prod-us binds first.
    tcp::acceptor blocker(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    uint16_t taken = blocker.local_endpoint().port();
    SimulatorOptions options;
    options.base_port = static_cast<uint16_t>(taken - 1);
    Simulator sim(io, options);
    Status s = sim.Start();
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.code(), Status::Code::kIOError);
    // Another process (tests run in parallel) may hold base itself: then try another pair.
    if (s.message().starts_with("gen3-prod-us: cannot listen")) continue;
    EXPECT_NE(s.message().find("gen3-staging-us: cannot listen on 127.0.0.1:" + std::to_string(taken)),
              std::string::npos)
        << s.message();
    beast::error_code ec = ConnectError(static_cast<uint16_t>(taken - 1));
    EXPECT_EQ(ec, asio::error::connection_refused) << "gen3-prod-us's listener must be closed again";
    EXPECT_TRUE(sim.commons()[0].base_url.empty());
    return;
  }
  FAIL() << "the port below every blocker's was taken by another process";
}

TEST(SimulatorStart, FixedBasePortUsesConsecutivePortsAndTlsAtPlusTen) {
  asio::io_context io;
  std::mt19937 rng(std::random_device{}());
  std::uniform_int_distribution<int> pick(20000, 30000);
  std::unique_ptr<Simulator> sim;
  uint16_t base = 0;
  // Eleven consecutive free ports are likely but not certain: retry elsewhere on a clash.
  for (int attempt = 0; attempt < 20 && !sim; ++attempt) {
    base = static_cast<uint16_t>(pick(rng));
    SimulatorOptions options;
    options.base_port = base;
    auto candidate = std::make_unique<Simulator>(io, options);
    Status s = candidate->Start();
    if (s.ok()) {
      sim = std::move(candidate);
    } else {
      ASSERT_EQ(s.code(), Status::Code::kIOError) << s.ToString();
    }
  }
  ASSERT_TRUE(sim) << "no run of 11 free ports found";
  for (size_t i = 0; i < sim->commons().size(); ++i) {
    EXPECT_EQ(sim->commons()[i].base_url, "http://127.0.0.1:" + std::to_string(base + i));
  }
  EXPECT_EQ(sim->tls_endpoint(), "127.0.0.1:" + std::to_string(base + 10));
  std::thread runner([&] { io.run(); });
  EXPECT_EQ(HttpGet(sim->commons()[0].base_url + "/_status").status, 200);
  EXPECT_EQ(ConnectError(static_cast<uint16_t>(base + 4)), asio::error::connection_refused);
  sim->Stop();
  runner.join();
}

}  // namespace
}  // namespace csoc::demo

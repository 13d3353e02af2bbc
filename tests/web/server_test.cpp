// The real server on a free loopback port: HTTP/1.1 behaviour, limits, timeouts, the event stream,
// metrics and a graceful stop.
#include "web/server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/post.hpp>
#include <nlohmann/json.hpp>
#include <thread>

#include "auth/tokens.h"
#include "fixture.h"
#include "logs/ingest.h"
#include "logs/store.h"
#include "support/support.h"

namespace csoc::web {
namespace {

ServerOptions Options(const std::string& listen) {
  ServerOptions o;
  o.listen = listen;
  o.title = "csoc";
  return o;
}

using csoc::testing::HttpGet;
using csoc::testing::HttpRequest;
using csoc::testing::WaitFor;
using nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::seconds;
using testing::BuildSnapshot;
using testing::FakeLive;
using testing::FakeStore;
using testing::TestFleet;
using testing::TroubleStates;

// A blocking loopback client with a receive timeout, for what curl cannot show: keep-alive on one
// connection, HEAD, raw bytes, an endless event stream.
class RawClient {
 public:
  explicit RawClient(uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
    timeval tv{0, 200'000};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  }
  ~RawClient() { ::close(fd_); }
  bool connected() const { return connected_; }

  void Send(const std::string& data) {
    ASSERT_EQ(::send(fd_, data.data(), data.size(), MSG_NOSIGNAL), static_cast<ssize_t>(data.size()));
  }

  // Reads until `pred(received)` holds, the peer closes, or `timeout` passes.
  bool ReadUntil(const std::function<bool(const std::string&)>& pred, milliseconds timeout = seconds(5)) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!pred(received_)) {
      if (closed_ || std::chrono::steady_clock::now() > deadline) return false;
      char buf[4096];
      ssize_t n = ::recv(fd_, buf, sizeof(buf), 0);
      if (n == 0) closed_ = true;
      if (n < 0 && errno == ECONNRESET) closed_ = true;
      if (n > 0) received_.append(buf, static_cast<size_t>(n));
    }
    return true;
  }
  bool ReadContains(const std::string& needle, milliseconds timeout = seconds(5)) {
    return ReadUntil([&](const std::string& s) { return s.find(needle) != std::string::npos; }, timeout);
  }
  // True when the server closes the connection within `timeout`.
  bool WaitClosed(milliseconds timeout = seconds(5)) {
    ReadUntil([](const std::string&) { return false; }, timeout);
    return closed_;
  }
  const std::string& received() const { return received_; }
  void Clear() { received_.clear(); }

 private:
  int fd_ = -1;
  bool connected_ = false;
  bool closed_ = false;
  std::string received_;
};

size_t Count(const std::string& haystack, const std::string& needle) {
  size_t n = 0;
  for (size_t pos = haystack.find(needle); pos != std::string::npos; pos = haystack.find(needle, pos + 1)) ++n;
  return n;
}

class ServerTest : public ::testing::Test {
 protected:
  ServerTest() : live_(BuildSnapshot(TestFleet(), TroubleStates())) {}
  ~ServerTest() override { StopServer(); }

  void StartServer(ServerOptions options = {}, const std::function<void(ServerDeps&)>& more = nullptr) {
    options.listen = "127.0.0.1:0";
    ServerDeps deps;
    deps.live = &live_;
    deps.store = &store_;
    deps.metrics = &metrics_;
    if (more) more(deps);
    server_ = std::make_unique<Server>(io_, options, deps);
    Status s = server_->Start();
    ASSERT_TRUE(s.ok()) << s.ToString();
    thread_ = std::thread([this] { io_.run(); });
  }

  // Posts Stop() to the io thread and waits for io.run() to return: nothing may keep it busy.
  void StopServer() {
    if (!thread_.joinable()) return;
    boost::asio::post(io_, [this] { server_->Stop(); });
    thread_.join();
    server_.reset();
  }

  std::string Url(const std::string& path) { return "http://127.0.0.1:" + std::to_string(server_->port()) + path; }

  FakeLive live_;
  FakeStore store_;
  MetricsRegistry metrics_;
  boost::asio::io_context io_;
  std::unique_ptr<Server> server_;
  std::thread thread_;
};

TEST_F(ServerTest, ServesApiPagesAndHealth) {
  StartServer();
  auto r = HttpGet(Url("/api/v1/fleet"));
  ASSERT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(r.headers["content-type"], "application/json");
  EXPECT_EQ(json::parse(r.body)["health"], "down");

  r = HttpGet(Url("/"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.headers["content-type"], "text/html; charset=utf-8");
  EXPECT_EQ(r.headers["content-security-policy"],
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
            "base-uri 'none'; form-action 'self'; frame-ancestors 'none'");
  EXPECT_EQ(r.headers["x-content-type-options"], "nosniff");
  EXPECT_EQ(r.headers["referrer-policy"], "no-referrer");
  EXPECT_NE(r.body.find("gen3-prod"), std::string::npos);

  r = HttpGet(Url("/healthz"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "ok\n");
  r = HttpGet(Url("/api/v1/checks/gen3-prod/fence/status/history?from=yesterday"));
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(json::parse(r.body)["error"]["message"],
            "parameter 'from': expected RFC 3339 time or unix milliseconds, got 'yesterday'");
  r = HttpGet(Url("/api/v1/environments/atlantis"));
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(json::parse(r.body)["error"]["message"], "unknown environment 'atlantis'");
}

TEST_F(ServerTest, WritesAre405WithAllow) {
  StartServer();
  auto r = HttpRequest("POST", Url("/api/v1/checks"), "{}");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.headers["allow"], "GET, HEAD");
  EXPECT_EQ(json::parse(r.body)["error"]["status"], 405);
  r = HttpRequest("PUT", Url("/"), "x");
  EXPECT_EQ(r.status, 405);
}

TEST_F(ServerTest, KeepAliveAnswersSeveralRequestsOnOneConnection) {
  StartServer();
  RawClient c(server_->port());
  ASSERT_TRUE(c.connected());
  c.Send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_TRUE(c.ReadContains("\r\n\r\nok\n"));
  c.Send("GET /readyz HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_TRUE(c.ReadContains("ready\n"));
  EXPECT_EQ(Count(c.received(), "HTTP/1.1 200 OK"), 2u);
  // HEAD: the length of the GET answer, no body; the connection stays usable.
  c.Clear();
  c.Send("HEAD /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_TRUE(c.WaitClosed());
  EXPECT_EQ(Count(c.received(), "HTTP/1.1 200 OK"), 2u);
  EXPECT_EQ(Count(c.received(), "Content-Length: 3\r\n"), 2u);
  EXPECT_EQ(Count(c.received(), "ok\n"), 1u) << c.received();
}

TEST_F(ServerTest, OversizedBodyIs413AndMalformedRequestIs400) {
  ServerOptions o;
  o.body_limit = 1024;
  StartServer(o);
  auto r = HttpRequest("POST", Url("/api/v1/checks"), std::string(4096, 'x'));
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(json::parse(r.body)["error"]["message"], "request body is larger than 1024 bytes");

  RawClient c(server_->port());
  c.Send("NOT HTTP AT ALL\r\n\r\n");
  EXPECT_TRUE(c.WaitClosed());
  EXPECT_EQ(c.received().rfind("HTTP/1.1 400 Bad Request", 0), 0u) << c.received();
}

TEST_F(ServerTest, IdleConnectionIsClosed) {
  ServerOptions o;
  o.idle_timeout = milliseconds(300);
  StartServer(o);
  RawClient idle(server_->port());
  EXPECT_TRUE(idle.WaitClosed(seconds(10)));
  // A half-sent request is closed the same way.
  RawClient slow(server_->port());
  slow.Send("GET /healthz HTTP/1.1\r\nHost:");
  EXPECT_TRUE(slow.WaitClosed(seconds(10)));
  EXPECT_EQ(HttpGet(Url("/healthz")).status, 200);
}

TEST_F(ServerTest, StreamDeliversStateEvents) {
  StartServer();
  RawClient c(server_->port());
  c.Send("GET /api/v1/stream HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n");
  ASSERT_TRUE(c.ReadContains(": connected\n\n"));
  EXPECT_NE(c.received().find("Content-Type: text/event-stream\r\n"), std::string::npos);
  EXPECT_NE(c.received().find("Content-Security-Policy: default-src 'none'"), std::string::npos);
  EXPECT_NE(c.received().find("retry: 3000\n"), std::string::npos);
  ASSERT_TRUE(WaitFor([&] { return live_.listeners() == 1; }, seconds(5)));

  monitor::StateEvent e;
  e.sequence = 42;
  e.at = testing::TestNow();
  e.kind = "check";
  e.id = "gen3-prod/fence/status";
  e.from = Health::kUp;
  e.to = Health::kDown;
  e.reasons = {"status 503 is not in 200..399"};
  std::thread monitor_thread([&] { live_.Emit(e); });
  monitor_thread.join();
  ASSERT_TRUE(c.ReadContains("\n\n", seconds(5)));
  ASSERT_TRUE(c.ReadUntil([](const std::string& s) {
    size_t p = s.find("id: 42\n");
    return p != std::string::npos && s.find("\n\n", p) != std::string::npos;
  }));
  const std::string& got = c.received();
  size_t start = got.find("id: 42\nevent: state\ndata: ");
  ASSERT_NE(start, std::string::npos) << got;
  size_t data = start + std::string("id: 42\nevent: state\ndata: ").size();
  json j = json::parse(got.substr(data, got.find("\n\n", data) - data));
  EXPECT_EQ(j["kind"], "check");
  EXPECT_EQ(j["id"], "gen3-prod/fence/status");
  EXPECT_EQ(j["from"], "up");
  EXPECT_EQ(j["to"], "down");
  EXPECT_EQ(j["reasons"][0], "status 503 is not in 200..399");
}

TEST_F(ServerTest, StreamSendsKeepaliveComments) {
  ServerOptions o;
  o.stream_keepalive = milliseconds(100);
  StartServer(o);
  RawClient c(server_->port());
  c.Send("GET /api/v1/stream HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_TRUE(c.ReadContains(": keepalive\n\n"));
}

TEST_F(ServerTest, SlowStreamClientIsDroppedNotBuffered) {
  ServerOptions o;
  o.stream_max_backlog = 64 * 1024;
  StartServer(o);
  RawClient c(server_->port());  // never reads after the header
  c.Send("GET /api/v1/stream HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_TRUE(c.ReadContains(": connected\n\n"));
  auto open_streams = [&] {
    std::string m = metrics_.RenderPrometheus();
    size_t p = m.find("\ncsoc_http_event_streams ");
    return p == std::string::npos ? -1 : std::stoi(m.substr(p + 25));
  };
  ASSERT_TRUE(WaitFor([&] { return open_streams() == 1; }, seconds(5)));
  monitor::StateEvent e;
  e.kind = "check";
  e.id = "x";
  e.reasons = {std::string(32 * 1024, 'r')};
  // Far more than the socket buffers hold: the backlog must hit the limit and the client go.
  for (int i = 0; i < 2000 && open_streams() != 0; ++i) {
    e.sequence = static_cast<uint64_t>(i);
    live_.Emit(e);
    if (i % 50 == 49) std::this_thread::sleep_for(milliseconds(10));
  }
  EXPECT_TRUE(WaitFor([&] { return open_streams() == 0; }, seconds(10)));
}

TEST_F(ServerTest, MetricsCountRequestsByCodeAndRoute) {
  StartServer();
  EXPECT_EQ(HttpGet(Url("/healthz")).status, 200);
  EXPECT_EQ(HttpGet(Url("/api/v1/environments/gen3-prod")).status, 200);
  EXPECT_EQ(HttpGet(Url("/api/v1/environments/nope")).status, 404);
  auto r = HttpGet(Url("/metrics"));
  EXPECT_EQ(r.headers["content-type"], "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_NE(r.body.find("csoc_http_requests_total{code=\"200\",route=\"/healthz\"} 1"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("csoc_http_requests_total{code=\"404\",route=\"/api/v1/environments/{name}\"} 1"),
            std::string::npos);
  EXPECT_NE(r.body.find("csoc_http_request_duration_seconds_count{route=\"/api/v1/environments/{name}\"} 2"),
            std::string::npos);
}

TEST_F(ServerTest, StopClosesConnectionsAndLetsTheLoopEnd) {
  StartServer();
  RawClient stream(server_->port());
  stream.Send("GET /api/v1/stream HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_TRUE(stream.ReadContains(": connected\n\n"));
  RawClient keepalive(server_->port());
  keepalive.Send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_TRUE(keepalive.ReadContains("ok\n"));
  ASSERT_EQ(live_.listeners(), 1u);
  uint16_t port = server_->port();
  StopServer();  // joins the io thread: it returns only when nothing is left running
  EXPECT_EQ(live_.listeners(), 0u);
  EXPECT_TRUE(stream.WaitClosed());
  EXPECT_TRUE(keepalive.WaitClosed());
  EXPECT_FALSE(RawClient(port).connected());
}

// The log ingestion routes through the real server: the token is checked before a large body is
// read; their body limit is their own; a pushed batch is answered after the commit that stores it;
// the Faro collector answers browsers (CORS) and is guarded by its key and a rate limit.
TEST_F(ServerTest, IngestionRoutesCheckFirstTakeLargeBodiesAndAnswerAfterTheCommit) {
  csoc::testing::TempDir dir;
  std::unique_ptr<auth::TokenStore> tokens;
  ASSERT_TRUE(auth::OpenSqliteTokenStore(dir.path() / "csoc.db", &tokens).ok());
  std::string token, status_token;
  ASSERT_TRUE(tokens->Create("promtail", {"logs:ingest"}, std::nullopt, Clock::now(), &token).ok());
  ASSERT_TRUE(tokens->Create("bot", {"status:write"}, std::nullopt, Clock::now(), &status_token).ok());
  std::unique_ptr<logs::LogStore> write_store, read_store, check_store;
  ASSERT_TRUE(logs::OpenSqliteLogStore(dir.path() / "csoc.db", &write_store).ok());
  ASSERT_TRUE(logs::OpenSqliteLogStore(dir.path() / "csoc.db", &read_store).ok());
  ASSERT_TRUE(logs::OpenSqliteLogStore(dir.path() / "csoc.db", &check_store).ok());
  logs::IngestOptions io;
  logs::SourceConfig batch;
  batch.name = "batch";
  batch.environment = "gen3-prod";
  ASSERT_TRUE(logs::LogFormat::Parse("combined", &batch.format).ok());
  batch.kind = logs::SourceKind::kPush;
  io.sources = {batch};
  io.faro.enabled = true;
  io.faro.environment = "gen3-prod";
  io.faro.api_key = "faro-key-123";
  io.faro.origins = {"https://portal.example.org"};
  io.faro.rate_limit = 0.001;
  io.faro.burst = 2;
  io.commit_interval = std::chrono::hours(1);  // only the pushes commit
  io.push_commit_delay = milliseconds(50);
  io.minute_retention = io.hour_retention = std::chrono::hours(24 * 365 * 50);
  logs::Ingester ingester(io, std::move(write_store), &metrics_);
  ASSERT_TRUE(ingester.Start().ok());
  ServerOptions o;
  o.ingest_body_limit = 2 << 20;
  StartServer(o, [&](ServerDeps& d) {
    d.tokens = tokens.get();
    d.log_store = read_store.get();
    d.log_ingester = &ingester;
  });
  const std::string line =
      "10.0.0.1 - - [01/Mar/2026:10:20:30 +0000] \"GET /explorer HTTP/1.1\" 200 512 \"-\" \"curl/8\"\n";
  std::string body;
  for (int i = 0; i < 10'000; ++i) body += line;  // 0.8 MB: more than the 64 KiB of other routes
  const std::vector<std::string> text = {"Content-Type: text/plain"};

  // No token, or the wrong scope: refused before the body is read (not 413), with a challenge.
  auto r = HttpRequest("POST", Url("/api/v1/logs/push/batch"), body, text);
  EXPECT_EQ(r.status, 401) << r.body;
  EXPECT_EQ(r.headers["www-authenticate"], "Basic realm=\"csoc\"") << "the last of the two challenges";
  auto with = [&](const std::string& t) {
    std::vector<std::string> h = text;
    h.push_back("Authorization: Bearer " + t);
    return h;
  };
  r = HttpRequest("POST", Url("/api/v1/logs/push/batch"), body, with(status_token));
  EXPECT_EQ(r.status, 403) << r.body;

  // With the token: counted, committed, then answered.
  r = HttpRequest("POST", Url("/api/v1/logs/push/batch"), body, with(token), seconds(20));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json::parse(r.body), json::parse(R"({"lines": 10000, "rejected": 0})"));
  std::vector<logs::StoredAggregate> rows;
  ASSERT_TRUE(check_store->LoadAggregates({"gen3-prod"}, logs::Resolution::kDay, 0, INT64_MAX, &rows).ok());
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].aggregate.requests, 10'000u);
  // The ingestion routes' own limit.
  r = HttpRequest("POST", Url("/api/v1/logs/push/batch"), body + body + body, with(token));
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(json::parse(r.body)["error"]["message"], "request body is larger than 2097152 bytes");
  r = HttpRequest("POST", Url("/api/v1/logs/push/nope"), line, with(token));
  EXPECT_EQ(r.status, 404);

  // Faro: a browser's preflight, then posts with the key; a wrong key or origin is refused.
  const std::string payload = R"({"meta": {"app": {"name": "portal"}, "page": {"url": "https://portal.example.org/explorer?q=TP53"}}})";
  r = HttpRequest("OPTIONS", Url("/collect"), "",
                  {"Origin: https://portal.example.org", "Access-Control-Request-Method: POST",
                   "Access-Control-Request-Headers: content-type,x-api-key"});
  EXPECT_EQ(r.status, 204);
  EXPECT_EQ(r.headers["access-control-allow-origin"], "https://portal.example.org");
  EXPECT_EQ(r.headers["access-control-allow-headers"], "content-type,x-api-key");
  const std::vector<std::string> faro = {"Origin: https://portal.example.org", "Content-Type: application/json",
                                         "x-api-key: faro-key-123"};
  r = HttpRequest("POST", Url("/collect"), payload, {"Origin: https://portal.example.org", "x-api-key: nope"});
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.headers["access-control-allow-origin"], "https://portal.example.org") << "so the page can read it";
  r = HttpRequest("POST", Url("/collect"), payload, {"Origin: https://evil.example.com", "x-api-key: faro-key-123"});
  EXPECT_EQ(r.status, 403);
  r = HttpRequest("POST", Url("/collect"), payload, faro);
  EXPECT_EQ(r.status, 202) << r.body;
  EXPECT_EQ(r.body, "ok");
  EXPECT_EQ(HttpRequest("POST", Url("/collect"), "{", faro).status, 400);
  r = HttpRequest("POST", Url("/collect"), payload, faro);
  EXPECT_EQ(r.status, 429) << "a burst of 2, then the rate";
  EXPECT_EQ(r.headers["retry-after"], "1");
  ASSERT_TRUE(check_store->LoadAggregates({"gen3-prod"}, logs::Resolution::kDay, 0, INT64_MAX, &rows).ok());
  uint64_t tp53 = 0;
  for (const auto& row : rows) {
    for (const auto& e : row.aggregate.search_terms.Top(5)) tp53 += e.key == "tp53" ? e.count : 0;
  }
  EXPECT_EQ(tp53, 1u);
  const std::string metrics = metrics_.RenderPrometheus();
  EXPECT_NE(metrics.find("csoc_logs_push_rejected_total{reason=\"unauthorized\"} 2"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("csoc_logs_push_rejected_total{reason=\"rate_limited\"} 1"), std::string::npos) << metrics;
  StopServer();
  ingester.Stop();
}

TEST_F(ServerTest, BindFailureNamesTheAddress) {
  StartServer();
  boost::asio::io_context other_io;
  ServerDeps deps;
  deps.live = &live_;
  deps.metrics = &metrics_;
  std::string listen = "127.0.0.1:" + std::to_string(server_->port());
  Server second(other_io, Options(listen), deps);
  Status s = second.Start();
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.message().rfind("cannot listen on " + listen + ": bind: ", 0), 0u) << s.message();

  Server bad(other_io, Options("127.0.0.1:http"), deps);
  EXPECT_EQ(bad.Start().message(), "listen address '127.0.0.1:http': port must be a number from 0 to 65535");
}

}  // namespace
}  // namespace csoc::web

// The server in front of the real monitor: its snapshots in the API and pages, its state events on
// the stream. The monitor probes the server's own /healthz (up) and a closed port (down).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/post.hpp>
#include <nlohmann/json.hpp>
#include <thread>

#include "fixture.h"
#include "monitor/monitor.h"
#include "support/support.h"
#include "web/server.h"

namespace csoc::web {
namespace {

ServerOptions Options(const std::string& listen) {
  ServerOptions o;
  o.listen = listen;
  o.title = "csoc";
  return o;
}

using csoc::testing::FreePort;
using csoc::testing::HttpGet;
using csoc::testing::WaitFor;
using nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::seconds;

std::shared_ptr<fleet::Fleet> SelfFleet(uint16_t web_port, uint16_t closed_port) {
  auto f = std::make_shared<fleet::Fleet>();
  fleet::Environment env;
  env.name = "local";
  env.cluster = "loopback";
  env.hostname = "127.0.0.1";
  fleet::Service web{"web", "", true, {}};
  fleet::Check http;
  http.id = "local/web/healthz";
  http.name = "healthz";
  http.service = "web";
  http.environment = "local";
  http.cluster = "loopback";
  http.kind = fleet::CheckKind::kHttp;
  fleet::HttpSpec spec;
  spec.url = "http://127.0.0.1:" + std::to_string(web_port) + "/healthz";
  http.spec = spec;
  http.interval = milliseconds(300);
  http.timeout = seconds(2);
  http.conditions.push_back(testing::Cond("body contains \"ok\""));
  web.checks.push_back(http);
  fleet::Service db{"db", "", true, {}};
  fleet::Check tcp;
  tcp.id = "local/db/port";
  tcp.name = "port";
  tcp.service = "db";
  tcp.environment = "local";
  tcp.cluster = "loopback";
  tcp.kind = fleet::CheckKind::kTcp;
  tcp.spec = fleet::TcpSpec{"127.0.0.1", closed_port};
  tcp.interval = milliseconds(300);
  tcp.timeout = seconds(2);
  db.checks.push_back(tcp);
  env.services = {web, db};
  f->environments.push_back(env);
  return f;
}

TEST(LiveMonitorTest, ServesTheMonitorsStateAndStreamsItsEvents) {
  MetricsRegistry metrics;
  monitor::Monitor mon(nullptr, &metrics, monitor::MonitorOptions{milliseconds(50)});
  boost::asio::io_context io;
  ServerDeps deps;
  deps.monitor = &mon;
  deps.metrics = &metrics;
  Server server(io, Options("127.0.0.1:0"), deps);
  ASSERT_TRUE(server.Start().ok());
  std::thread io_thread([&] { io.run(); });
  std::string base = "http://127.0.0.1:" + std::to_string(server.port());

  // Listen on the stream before the monitor starts, so the first transitions arrive on it.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(server.port());
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  timeval tv{0, 200'000};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  std::string req = "GET /api/v1/stream HTTP/1.1\r\nHost: x\r\n\r\n";
  ASSERT_EQ(::send(fd, req.data(), req.size(), MSG_NOSIGNAL), static_cast<ssize_t>(req.size()));
  std::string stream;
  auto read_until = [&](const std::string& needle, milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (stream.find(needle) == std::string::npos && std::chrono::steady_clock::now() < deadline) {
      char buf[4096];
      ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
      if (n == 0) break;
      if (n > 0) stream.append(buf, static_cast<size_t>(n));
    }
    return stream.find(needle) != std::string::npos;
  };
  ASSERT_TRUE(read_until(": connected\n\n", seconds(5)));

  auto closed_port = static_cast<uint16_t>(FreePort());
  mon.Start(SelfFleet(server.port(), closed_port));
  json down;
  ASSERT_TRUE(WaitFor(
      [&] {
        auto r = HttpGet(base + "/api/v1/checks?state=down");
        if (r.status != 200) return false;
        down = json::parse(r.body);
        return down["total"] == 1;
      },
      seconds(15)))
      << down.dump();
  EXPECT_EQ(down["checks"][0]["id"], "local/db/port");
  EXPECT_EQ(down["checks"][0]["target"], "tcp 127.0.0.1:" + std::to_string(closed_port));
  ASSERT_FALSE(down["checks"][0]["reasons"].empty());
  ASSERT_TRUE(WaitFor(
      [&] {
        auto r = HttpGet(base + "/api/v1/checks/local/web/healthz");
        return r.status == 200 && json::parse(r.body)["state"] == "up";
      },
      seconds(15)));
  auto r = HttpGet(base + "/api/v1/fleet");
  json fleet = json::parse(r.body);
  EXPECT_EQ(fleet["health"], "down");
  EXPECT_EQ(fleet["clusters"][0]["name"], "loopback");

  r = HttpGet(base + "/");
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("data-environment=\"local\" data-health=\"down\""), std::string::npos);
  r = HttpGet(base + "/environments/local");
  EXPECT_NE(r.body.find("data-check=\"local/db/port\""), std::string::npos);

  EXPECT_TRUE(read_until("\"id\":\"local/db/port\"", seconds(10))) << stream;
  EXPECT_NE(stream.find("event: state\ndata: {\"sequence\":"), std::string::npos);
  EXPECT_NE(stream.find("\"kind\":\"check\""), std::string::npos);

  mon.Stop();
  boost::asio::post(io, [&] { server.Stop(); });
  io_thread.join();
  ::close(fd);
}

}  // namespace
}  // namespace csoc::web

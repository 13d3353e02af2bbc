// Cached status page answers (the public page, its JSON and the SCS API) share one immutable body
// instead of copying it for every request: through the router, the same bytes twice from one
// buffer, a new buffer after a change while earlier answers keep theirs; through the real server,
// identical answers on one connection and HEAD with the length and no body.
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/write.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <memory>
#include <string>
#include <thread>

#include "fixture.h"
#include "statuspage/feed.h"
#include "statuspage/status_page.h"
#include "statuspage/store.h"
#include "support/support.h"
#include "web/handler.h"
#include "web/router.h"
#include "web/server.h"
#include "web/statuspage_routes.h"

namespace csoc::web {
namespace {

using testing::BuildSnapshot;
using testing::FakeLive;
using testing::FakeStore;
using testing::TestFleet;
using testing::TestNow;
using testing::TroubleStates;

class StatusPageCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::unique_ptr<statuspage::StatusPageStore> store;
    Status s = statuspage::OpenSqliteStatusPageStore(dir_.path() / "status.db", &store);
    ASSERT_TRUE(s.ok()) << s.ToString();
    s = statuspage::StatusPage::Open(std::move(store), statuspage::Defaults(), &page_);
    ASSERT_TRUE(s.ok()) << s.ToString();
    feed_ = std::make_unique<statuspage::Feed>(page_.get());
    AddComponent("Storage");
  }

  void AddComponent(const std::string& name) {
    statuspage::ComponentInput in;
    in.display_name = name;
    std::string id;
    Status s = page_->CreateComponent(in, &id);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }

  StatusPageRouteDeps Deps() {
    StatusPageRouteDeps d;
    d.page = page_.get();
    d.feed = feed_.get();
    d.title = "Cache test";
    return d;
  }

  csoc::testing::TempDir dir_;
  std::unique_ptr<statuspage::StatusPage> page_;
  std::unique_ptr<statuspage::Feed> feed_;
};

Request Req(std::string method, std::string target) {
  Request r;
  r.method = std::move(method);
  r.target = std::move(target);
  return r;
}

TEST_F(StatusPageCacheTest, CachedAnswersShareOneBodyUntilThePageChanges) {
  Router router;
  AddStatusPageApiRoutes(router, Deps());
  AddStatusPagePublicRoutes(router, Deps());
  for (std::string target : {"/status", "/api/v2/summary.json", "/status-api/v1/components"}) {
    SCOPED_TRACE(target);
    std::optional<Response> first = router.Dispatch(Req("GET", target), TestNow());
    std::optional<Response> second = router.Dispatch(Req("GET", target), TestNow());
    ASSERT_TRUE(first && second);
    ASSERT_EQ(first->status, 200) << first->Body();
    EXPECT_NE(first->Body().find("Storage"), std::string_view::npos) << first->Body();
    // One buffer, not a copy per answer; `body` stays empty when the body is shared.
    ASSERT_NE(first->shared_body, nullptr);
    EXPECT_EQ(first->shared_body, second->shared_body);
    EXPECT_TRUE(first->body.empty());
    EXPECT_EQ(first->Body(), second->Body());
    EXPECT_EQ(first->headers, second->headers);
    EXPECT_EQ(first->content_type, second->content_type);
  }

  // A change renders a new body; an answer still being written keeps the one it has.
  std::optional<Response> before = router.Dispatch(Req("GET", "/status"), TestNow());
  std::string before_text(before->Body());
  AddComponent("Compute");
  std::optional<Response> after = router.Dispatch(Req("GET", "/status"), TestNow());
  ASSERT_EQ(after->status, 200);
  EXPECT_NE(after->shared_body, before->shared_body);
  EXPECT_NE(after->Body().find("Compute"), std::string_view::npos);
  EXPECT_EQ(before->Body(), before_text);
  EXPECT_EQ(before->Body().find("Compute"), std::string_view::npos);
}

TEST(ResponseTest, ShareBodyMovesTheBodyOnce) {
  Response r;
  r.body = "hello";
  EXPECT_EQ(r.Body(), "hello");
  r.ShareBody();
  ASSERT_NE(r.shared_body, nullptr);
  EXPECT_EQ(*r.shared_body, "hello");
  EXPECT_TRUE(r.body.empty());
  auto shared = r.shared_body;
  r.ShareBody();
  EXPECT_EQ(r.shared_body, shared);
  Response copy = r;
  EXPECT_EQ(copy.shared_body, shared);
  EXPECT_EQ(copy.Body(), "hello");
}

// The whole answer (status line, headers, body) of each request on one connection.
struct Answer {
  std::string head;
  std::string body;
  size_t content_length = 0;
};

class StatusPageServerTest : public StatusPageCacheTest {
 protected:
  StatusPageServerTest() : live_(BuildSnapshot(TestFleet(), TroubleStates())) {}
  ~StatusPageServerTest() override {
    if (thread_.joinable()) {
      boost::asio::post(io_, [this] { server_->Stop(); });
      thread_.join();
    }
  }

  void StartServer() {
    ServerOptions options;
    options.listen = "127.0.0.1:0";
    ServerDeps deps;
    deps.live = &live_;
    deps.store = &store_;
    deps.metrics = &metrics_;
    deps.status_page = page_.get();
    deps.status_feed = feed_.get();
    server_ = std::make_unique<Server>(io_, options, deps);
    Status s = server_->Start();
    ASSERT_TRUE(s.ok()) << s.ToString();
    thread_ = std::thread([this] { io_.run(); });
  }

  FakeLive live_;
  FakeStore store_;
  MetricsRegistry metrics_;
  boost::asio::io_context io_;
  std::unique_ptr<Server> server_;
  std::thread thread_;
};

TEST_F(StatusPageServerTest, CachedAnswersAreServedIdenticallyAndHeadHasNoBody) {
  StartServer();
  namespace asio = boost::asio;
  asio::io_context client_io;
  asio::ip::tcp::socket socket(client_io);
  socket.connect({asio::ip::make_address("127.0.0.1"), server_->port()});
  std::string buffer;
  // HEAD has no body, so each answer is read by its headers' Content-Length unless it is HEAD's.
  auto exchange = [&](const std::string& method, const std::string& target) {
    std::string request = method + " " + target + " HTTP/1.1\r\nHost: x\r\n\r\n";
    asio::write(socket, asio::buffer(request));
    Answer a;
    size_t end = asio::read_until(socket, asio::dynamic_buffer(buffer), "\r\n\r\n");
    a.head = buffer.substr(0, end);
    buffer.erase(0, end);
    size_t at = a.head.find("\r\nContent-Length: ");
    EXPECT_NE(at, std::string::npos) << a.head;
    if (at != std::string::npos) a.content_length = std::stoul(a.head.substr(at + 18));
    if (method != "HEAD") {
      if (buffer.size() < a.content_length) {
        asio::read(socket, asio::dynamic_buffer(buffer), asio::transfer_exactly(a.content_length - buffer.size()));
      }
      a.body = buffer.substr(0, a.content_length);
      buffer.erase(0, a.content_length);
    }
    return a;
  };
  for (std::string target : {"/status", "/api/v2/summary.json", "/status-api/v1/components"}) {
    SCOPED_TRACE(target);
    Answer first = exchange("GET", target);
    Answer second = exchange("GET", target);
    Answer head = exchange("HEAD", target);
    EXPECT_EQ(first.head.substr(0, 15), "HTTP/1.1 200 OK") << first.head;
    EXPECT_NE(first.body.find("Storage"), std::string::npos);
    EXPECT_EQ(first.body.size(), first.content_length);
    EXPECT_EQ(second.body, first.body);
    EXPECT_EQ(second.head, first.head);
    // HEAD: the same headers, the GET answer's length, and no body (the next answer starts clean).
    EXPECT_EQ(head.head, first.head);
    EXPECT_EQ(head.content_length, first.content_length);
    EXPECT_TRUE(head.body.empty());
  }
  EXPECT_TRUE(buffer.empty()) << buffer.substr(0, 200);
}

}  // namespace
}  // namespace csoc::web

#include "web/server.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/optional.hpp>
#include <cctype>
#include <deque>
#include <limits>
#include <map>
#include <memory>
#include <unordered_set>

#include "web/api_json.h"
#include "web/handler.h"
#include "web/router.h"
#include "web/logs_routes.h"
#include "web/statuspage_routes.h"

namespace csoc::web {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using boost::system::error_code;

constexpr uint32_t kHeaderLimit = 16 * 1024;

// A Beast body that is a shared immutable string (Response::shared_body): the response keeps it
// alive until written and the serializer writes it from where it is, in the same write as the
// header, without copying it.
struct SharedStringBody {
  using value_type = std::shared_ptr<const std::string>;

  static std::uint64_t size(const value_type& body) { return body ? body->size() : 0; }

  class writer {
   public:
    using const_buffers_type = asio::const_buffer;

    template <bool isRequest, class Fields>
    writer(const http::header<isRequest, Fields>&, const value_type& body) : body_(body) {}

    void init(error_code& ec) { ec = {}; }

    boost::optional<std::pair<const_buffers_type, bool>> get(error_code& ec) {
      ec = {};
      if (!body_ || body_->empty()) return boost::none;
      return {{const_buffers_type(body_->data(), body_->size()), false}};
    }

   private:
    const value_type& body_;
  };
};

class MonitorSource : public LiveSource {
 public:
  explicit MonitorSource(monitor::Monitor* m) : monitor_(m) {}
  std::shared_ptr<const monitor::FleetSnapshot> Snapshot() const override { return monitor_->Snapshot(); }
  uint64_t Subscribe(monitor::Monitor::Listener listener) override { return monitor_->Subscribe(std::move(listener)); }
  void Unsubscribe(uint64_t id) override { monitor_->Unsubscribe(id); }

 private:
  monitor::Monitor* monitor_;
};

// Splits "host:port" or "[v6]:port".
Status ParseListen(const std::string& listen, std::string* host, uint16_t* port) {
  size_t colon = listen.rfind(':');
  if (colon == std::string::npos) {
    return Status::InvalidArgument(fmt::format("listen address '{}': expected host:port", listen));
  }
  *host = listen.substr(0, colon);
  if (host->size() >= 2 && host->front() == '[' && host->back() == ']') *host = host->substr(1, host->size() - 2);
  if (host->empty()) return Status::InvalidArgument(fmt::format("listen address '{}': missing host", listen));
  std::string p = listen.substr(colon + 1);
  if (p.empty() || p.size() > 5 || p.find_first_not_of("0123456789") != std::string::npos || std::stoi(p) > 65535) {
    return Status::InvalidArgument(fmt::format("listen address '{}': port must be a number from 0 to 65535", listen));
  }
  *port = static_cast<uint16_t>(std::stoi(p));
  return Status::Ok();
}

// Every capability's routes, each added by its own route file.
std::unique_ptr<Router> BuildRouter(const ServerOptions& options, const ServerDeps& deps) {
  auto router = std::make_unique<Router>();
  router->SetCors(CorsPolicy{options.cors_origins});
  if (deps.status_page != nullptr && deps.status_feed != nullptr) {
    StatusPageRouteDeps sp;
    sp.page = deps.status_page;
    sp.feed = deps.status_feed;
    sp.tokens = deps.tokens;
    sp.history = deps.store;
    sp.api_base = options.status_api_base;
    sp.title = options.status_title;
    sp.description = options.status_description;
    sp.public_url = options.status_public_url;
    sp.logo = options.status_logo;
    sp.logo_content_type = options.status_logo_content_type;
    sp.colors = options.status_colors;
    sp.css_url = VersionedAssetUrl("status.css");
    sp.icon_url = VersionedAssetUrl("favicon.svg");
    AddStatusPageApiRoutes(*router, sp);
    AddStatusPagePublicRoutes(*router, sp);
    if (!options.public_only) AddStatusPageAdminRoutes(*router, sp);
  }
  if (deps.log_store != nullptr && !options.public_only) {
    LogsRouteDeps logs;
    logs.store = deps.log_store;
    logs.sources = deps.log_sources;
    logs.ingester = deps.log_ingester;
    logs.tokens = deps.tokens;
    logs.metrics = deps.metrics;
    logs.ingest_body_limit = options.ingest_body_limit;
    LiveSource* live = deps.live;
    monitor::Monitor* monitor = deps.monitor;
    logs.environments = [live, monitor] {
      std::vector<std::string> names;
      std::shared_ptr<const monitor::FleetSnapshot> snap = live ? live->Snapshot() : monitor ? monitor->Snapshot() : nullptr;
      if (snap) {
        for (const auto& e : snap->environments) names.push_back(e.environment->name);
      }
      return names;
    };
    logs.page.title = options.title;
    logs.page.css_url = VersionedAssetUrl("app.css");
    logs.page.js_url = VersionedAssetUrl("app.js");
    logs.page.icon_url = VersionedAssetUrl("favicon.svg");
    AddLogsRoutes(*router, logs);
  }
  return router;
}

}  // namespace

class Server::Impl : public std::enable_shared_from_this<Server::Impl> {
 public:
  class HttpSession;
  class EventStream;

  Impl(asio::io_context& io, ServerOptions options, ServerDeps deps)
      : io_(io),
        options_(std::move(options)),
        deps_(std::move(deps)),
        monitor_source_(deps_.live == nullptr && deps_.monitor != nullptr
                            ? std::make_unique<MonitorSource>(deps_.monitor)
                            : nullptr),
        live_(deps_.live != nullptr ? deps_.live : monitor_source_.get()),
        router_(BuildRouter(options_, deps_)),
        handler_(options_.title, live_, deps_.store, deps_.metrics, deps_.ready, router_.get()),
        acceptor_(io),
        keepalive_timer_(io),
        feed_timer_(io),
        stream_count_(std::make_shared<std::atomic<int64_t>>(0)) {
    if (deps_.metrics != nullptr) {
      auto count = stream_count_;
      deps_.metrics->SetGaugeFunction("csoc_http_event_streams", "Open server-sent event streams.", [count] {
        return std::vector<std::pair<Labels, double>>{{{}, static_cast<double>(count->load())}};
      });
    }
  }

  Status Start();
  void Stop();
  uint16_t port() const { return port_; }

  bool stopping() const { return stopping_; }
  const ServerOptions& options() const { return options_; }
  Response Handle(const Request& request);
  Router::BodyPlan PlanBody(const Request& head) const { return router_->PlanBody(head, Clock::now(), options_.body_limit); }
  void Record(const Response& r, std::chrono::steady_clock::time_point started);
  void AddSession(HttpSession* s) { sessions_.insert(s); }
  void RemoveSession(HttpSession* s) { sessions_.erase(s); }
  void AddStream(EventStream* s);
  void RemoveStream(EventStream* s);

 private:
  void Accept();
  void Broadcast(const monitor::StateEvent& event);
  void ScheduleKeepalive();
  void ScheduleFeed();

  asio::io_context& io_;
  ServerOptions options_;
  ServerDeps deps_;
  std::unique_ptr<MonitorSource> monitor_source_;
  LiveSource* live_;
  std::unique_ptr<Router> router_;
  Handler handler_;
  tcp::acceptor acceptor_;
  asio::steady_timer keepalive_timer_;
  asio::steady_timer feed_timer_;
  std::string last_feed_error_;
  uint16_t port_ = 0;
  bool started_ = false;
  bool stopping_ = false;
  std::optional<uint64_t> subscription_;
  std::unordered_set<HttpSession*> sessions_;
  std::unordered_set<EventStream*> streams_;
  std::shared_ptr<std::atomic<int64_t>> stream_count_;
  std::map<std::pair<int, std::string>, Counter*> request_counters_;
  std::map<std::string, Histogram*> duration_histograms_;
};

// A server-sent-events client. Owns the socket taken over from its HTTP session; writes queued
// text in order, each write bounded by the idle timeout, and drops the client when its backlog
// grows past the limit instead of buffering without bound.
class Server::Impl::EventStream : public std::enable_shared_from_this<EventStream> {
 public:
  EventStream(tcp::socket socket, std::shared_ptr<Impl> server)
      : socket_(std::move(socket)), write_timer_(socket_.get_executor()), server_(std::move(server)) {}
  ~EventStream() { server_->RemoveStream(this); }

  void Start(std::string header) {
    server_->AddStream(this);
    Send(std::move(header) + "retry: 3000\n: connected\n\n");
    WatchForClose();
  }

  void Send(std::string text) {
    if (closed_) return;
    if (backlog_ + text.size() > server_->options().stream_max_backlog) {
      spdlog::warn("web: dropping a slow event-stream client ({} bytes not sent)", backlog_);
      Close();
      return;
    }
    backlog_ += text.size();
    queue_.push_back(std::move(text));
    if (!writing_) WriteNext();
  }

  void Close() {
    if (closed_) return;
    closed_ = true;
    write_timer_.cancel();
    error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
  }

 private:
  void WriteNext() {
    writing_ = true;
    write_timer_.expires_after(server_->options().idle_timeout);
    write_timer_.async_wait([self = shared_from_this()](error_code ec) {
      if (!ec) self->Close();  // the client has not taken a write for the whole timeout
    });
    asio::async_write(socket_, asio::buffer(queue_.front()), [self = shared_from_this()](error_code ec, size_t) {
      self->writing_ = false;
      self->write_timer_.cancel();
      if (ec) {
        self->Close();
        return;
      }
      self->backlog_ -= self->queue_.front().size();
      self->queue_.pop_front();
      if (!self->queue_.empty() && !self->closed_) self->WriteNext();
    });
  }

  // The client never sends anything after its request; a completed read means it went away.
  void WatchForClose() {
    socket_.async_read_some(asio::buffer(discard_), [self = shared_from_this()](error_code ec, size_t) {
      if (ec) {
        self->Close();
        return;
      }
      self->WatchForClose();
    });
  }

  tcp::socket socket_;
  asio::steady_timer write_timer_;
  std::shared_ptr<Impl> server_;
  std::deque<std::string> queue_;
  size_t backlog_ = 0;
  bool writing_ = false;
  bool closed_ = false;
  char discard_[256];
};

// One HTTP/1.1 connection: reads requests one after another (keep-alive), answers each through
// the Handler, and hands the socket to an EventStream when the stream is asked for.
class Server::Impl::HttpSession : public std::enable_shared_from_this<HttpSession> {
 public:
  HttpSession(tcp::socket socket, std::shared_ptr<Impl> server)
      : stream_(std::move(socket)), server_(std::move(server)) {
    server_->AddSession(this);
    // The peer of a connection does not change: asked once, not for every request on it.
    error_code ec;
    auto peer = stream_.socket().remote_endpoint(ec);
    if (!ec) peer_ = peer.address().to_string();
  }
  ~HttpSession() { server_->RemoveSession(this); }

  void Start() { Read(); }

  // Called by Stop(): an idle connection closes now, a busy one after its answer.
  void Shutdown() {
    if (reading_) {
      error_code ignored;
      stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
      stream_.socket().close(ignored);
    }
  }

 private:
  // The header first: its route decides how much body to take, and may answer before the body is
  // read (router.h, BodyPlan).
  void Read() {
    if (server_->stopping()) {
      Close();
      return;
    }
    parser_.emplace();
    body_limit_ = server_->options().body_limit;
    // Beast checks Content-Length against the body limit as soon as the header is parsed: no limit
    // until the route's is known (set in OnHeader).
    parser_->body_limit(std::numeric_limits<std::uint64_t>::max());
    parser_->header_limit(kHeaderLimit);
    stream_.expires_after(server_->options().idle_timeout);
    reading_ = true;
    http::async_read_header(stream_, buffer_, *parser_,
                            [self = shared_from_this()](error_code ec, size_t) { self->OnHeader(ec); });
  }

  void OnHeader(error_code ec) {
    if (ec) {
      OnRead(ec);
      return;
    }
    const auto& req = parser_->get();
    Router::BodyPlan plan = server_->PlanBody(MakeRequest(/*with_body=*/false));
    if (plan.answer) {
      // Refused before the body was read: the connection cannot be reused.
      reading_ = false;
      started_ = std::chrono::steady_clock::now();
      Response r = std::move(*plan.answer);
      for (const auto& h : SecurityHeaders()) r.headers.push_back(h);
      Write(std::move(r), false, req.version(), req.method() == http::verb::head, /*linger=*/!parser_->is_done());
      return;
    }
    body_limit_ = plan.limit;
    parser_->body_limit(body_limit_);
    if (const auto length = parser_->content_length(); length && *length > body_limit_) {
      // Known to be too large: answered now rather than after reading up to the limit.
      OnRead(http::error::body_limit);
      return;
    }
    auto expect = req.find(http::field::expect);
    if (expect != req.end() && beast::iequals(expect->value(), "100-continue") && !parser_->is_done()) {
      // The client waits for this before it sends the body (curl does for large bodies).
      auto res = std::make_shared<http::response<http::empty_body>>(http::status::continue_, req.version());
      http::async_write(stream_, *res, [self = shared_from_this(), res](error_code ec, size_t) {
        if (ec) {
          self->Close();
          return;
        }
        self->ReadBody();
      });
      return;
    }
    ReadBody();
  }

  void ReadBody() {
    http::async_read(stream_, buffer_, *parser_, [self = shared_from_this()](error_code ec, size_t) { self->OnRead(ec); });
  }

  Request MakeRequest(bool with_body) {
    const auto& req = parser_->get();
    Request request;
    request.method = std::string(req.method_string());
    request.target = std::string(req.target());
    if (auto it = req.find(http::field::if_none_match); it != req.end())
      request.if_none_match = std::string(it->value());
    for (const auto& field : req) {
      std::string name(field.name_string());
      std::transform(name.begin(), name.end(), name.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      request.headers.emplace_back(std::move(name), std::string(field.value()));
    }
    if (with_body) request.body = std::move(parser_->get().body());  // the parser is replaced before the next request
    request.peer = peer_;
    return request;
  }

  void OnRead(error_code ec) {
    reading_ = false;
    started_ = std::chrono::steady_clock::now();
    if (ec == http::error::end_of_stream || ec == beast::error::timeout || ec == asio::error::operation_aborted ||
        ec == asio::error::connection_reset || ec == asio::error::bad_descriptor || ec == asio::error::eof) {
      Close();
      return;
    }
    if (ec) {
      int status = ec == http::error::body_limit ? 413 : ec == http::error::header_limit ? 431 : 400;
      Response r;
      r.status = status;
      r.route = "other";
      r.content_type = "application/json";
      r.body = DumpJson(ErrorJson(status, status == 413 ? fmt::format("request body is larger than {} bytes", body_limit_)
                                                        : "malformed request: " + ec.message())) +
               "\n";
      for (const auto& h : SecurityHeaders()) r.headers.push_back(h);
      Write(std::move(r), false, 11, /*head=*/false, /*linger=*/status == 413);
      return;
    }
    const auto& req = parser_->get();
    const bool head = req.method() == http::verb::head;
    const bool keep_alive = req.keep_alive();
    const unsigned version = req.version();
    Response r = server_->Handle(MakeRequest(/*with_body=*/true));
    if (r.deferred) {
      // Answered later, from another thread: the answer is written on this connection's thread.
      auto deferred = std::move(r.deferred);
      deferred([self = shared_from_this(), keep_alive, version, head](Response final) {
        asio::post(self->stream_.get_executor(), [self, keep_alive, version, head, final = std::move(final)]() mutable {
          self->Write(std::move(final), keep_alive, version, head);
        });
      });
      return;
    }
    if (r.event_stream && r.status == 200 && !head) {
      StartEventStream(std::move(r));
      return;
    }
    Write(std::move(r), keep_alive, version, head);
  }

  void Write(Response r, bool keep_alive, unsigned version, bool head, bool linger = false) {
    server_->Record(r, started_);
    auto res = std::make_shared<http::response<SharedStringBody>>(static_cast<http::status>(r.status), version);
    res->set(http::field::server, "csoc");
    if (!r.content_type.empty()) res->set(http::field::content_type, r.content_type);
    for (const auto& [name, value] : r.headers) res->insert(name, value);
    res->keep_alive(keep_alive && !server_->stopping());
    if (r.status == 304) {
      // No body and no length: the client keeps what it has.
    } else if (head) {
      res->content_length(r.Body().size());
    } else {
      // A cached answer's body is written from the cache; any other is moved, not copied.
      res->body() = r.shared_body ? std::move(r.shared_body) : std::make_shared<const std::string>(std::move(r.body));
      res->prepare_payload();
    }
    bool close = !res->keep_alive();
    stream_.expires_after(server_->options().idle_timeout);
    http::async_write(stream_, *res, [self = shared_from_this(), res, close, linger](error_code ec, size_t) {
      if (!ec && linger) {
        self->Linger();
        return;
      }
      if (ec || close) {
        self->Close();
        return;
      }
      self->Read();
    });
  }

  // After an answer sent before the request's body was read: closing at once with unread bytes
  // would reset the connection, and the client might lose the answer. So, like nginx's lingering
  // close, stop sending and read and discard what still comes, for at most 2 s.
  void Linger() {
    error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.expires_after(std::chrono::seconds(2));
    DiscardMore();
  }

  void DiscardMore() {
    stream_.async_read_some(asio::buffer(discard_), [self = shared_from_this()](error_code ec, size_t) {
      if (ec) {
        self->Close();
        return;
      }
      self->DiscardMore();
    });
  }

  void StartEventStream(Response r) {
    server_->Record(r, started_);
    std::string header = "HTTP/1.1 200 OK\r\nServer: csoc\r\nContent-Type: " + r.content_type + "\r\n";
    for (const auto& [name, value] : r.headers) header += name + ": " + value + "\r\n";
    // No length and no chunking: the body is the rest of the connection.
    header += "Connection: close\r\n\r\n";
    stream_.expires_never();
    auto es = std::make_shared<EventStream>(stream_.release_socket(), server_);
    es->Start(std::move(header));
  }

  void Close() {
    error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.socket().close(ignored);
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::shared_ptr<Impl> server_;
  std::string peer_;  // the client's address, empty when unknown
  bool reading_ = false;
  size_t body_limit_ = 0;
  char discard_[4096];
  std::chrono::steady_clock::time_point started_;
};

Status Server::Impl::Start() {
  if (started_) return Status::InvalidArgument("server already started");
  if (live_ == nullptr) return Status::InvalidArgument("server needs a monitor (or a live source)");
  std::string host;
  uint16_t port = 0;
  if (Status s = ParseListen(options_.listen, &host, &port); !s.ok()) return s;
  error_code ec;
  tcp::endpoint endpoint;
  auto address = asio::ip::make_address(host, ec);
  if (!ec) {
    endpoint = tcp::endpoint(address, port);
  } else {
    tcp::resolver resolver(io_);
    auto results = resolver.resolve(host, std::to_string(port), tcp::resolver::passive, ec);
    if (ec || results.empty()) {
      return Status::InvalidArgument(
          fmt::format("cannot listen on {}: cannot resolve host '{}': {}", options_.listen, host, ec.message()));
    }
    endpoint = results.begin()->endpoint();
  }
  auto fail = [&](std::string_view what) {
    error_code ignored;
    acceptor_.close(ignored);
    return Status::IOError(fmt::format("cannot listen on {}: {}: {}", options_.listen, what, ec.message()));
  };
  acceptor_.open(endpoint.protocol(), ec);
  if (ec) return fail("open");
  acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (ec) return fail("set SO_REUSEADDR");
  acceptor_.bind(endpoint, ec);
  if (ec) return fail("bind");
  acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return fail("listen");
  tcp::endpoint bound = acceptor_.local_endpoint(ec);
  port_ = bound.port();
  started_ = true;

  std::weak_ptr<Impl> weak = weak_from_this();
  asio::io_context& io = io_;
  subscription_ = live_->Subscribe([weak, &io](const monitor::StateEvent& event) {
    // Called on the monitor thread: hand the event to the io thread, which owns the streams.
    asio::post(io, [weak, event] {
      if (auto self = weak.lock()) self->Broadcast(event);
    });
  });
  ScheduleKeepalive();
  if (deps_.status_page != nullptr && deps_.status_feed != nullptr && !options_.public_only) ScheduleFeed();
  Accept();
  spdlog::info("web: listening on {}{}{}:{}", bound.address().is_v6() ? "[" : "", bound.address().to_string(),
               bound.address().is_v6() ? "]" : "", port_);
  return Status::Ok();
}

void Server::Impl::Accept() {
  acceptor_.async_accept([self = shared_from_this()](error_code ec, tcp::socket socket) {
    if (self->stopping_ || !self->acceptor_.is_open()) return;
    if (!ec) {
      socket.set_option(tcp::no_delay(true), ec);
      std::make_shared<HttpSession>(std::move(socket), self)->Start();
    } else {
      spdlog::warn("web: accept failed: {}", ec.message());
    }
    self->Accept();
  });
}

void Server::Impl::Stop() {
  if (stopping_ || !started_) {
    stopping_ = true;
    return;
  }
  stopping_ = true;
  error_code ignored;
  acceptor_.close(ignored);
  keepalive_timer_.cancel();
  feed_timer_.cancel();
  if (subscription_) {
    live_->Unsubscribe(*subscription_);
    subscription_.reset();
  }
  for (EventStream* s : std::vector<EventStream*>(streams_.begin(), streams_.end())) s->Close();
  for (HttpSession* s : std::vector<HttpSession*>(sessions_.begin(), sessions_.end())) s->Shutdown();
}

void Server::Impl::AddStream(EventStream* s) {
  streams_.insert(s);
  stream_count_->store(static_cast<int64_t>(streams_.size()));
}

void Server::Impl::RemoveStream(EventStream* s) {
  streams_.erase(s);
  stream_count_->store(static_cast<int64_t>(streams_.size()));
}

void Server::Impl::Broadcast(const monitor::StateEvent& event) {
  if (stopping_ || streams_.empty()) return;
  std::string text = fmt::format("id: {}\nevent: state\ndata: {}\n\n", event.sequence, DumpJson(StateEventJson(event)));
  for (EventStream* s : std::vector<EventStream*>(streams_.begin(), streams_.end())) s->Send(text);
}

void Server::Impl::ScheduleKeepalive() {
  keepalive_timer_.expires_after(options_.stream_keepalive);
  keepalive_timer_.async_wait([weak = weak_from_this()](error_code ec) {
    auto self = weak.lock();
    if (ec || !self || self->stopping_) return;
    for (EventStream* s : std::vector<EventStream*>(self->streams_.begin(), self->streams_.end())) {
      s->Send(": keepalive\n\n");
    }
    self->ScheduleKeepalive();
  });
}

Response Server::Impl::Handle(const Request& request) {
  if (options_.public_only) {
    std::string_view path = std::string_view(request.target).substr(0, request.target.find('?'));
    bool shared = path.rfind("/static/", 0) == 0 || path == "/healthz";
    if (!shared) {
      if (std::optional<Response> r = router_->Dispatch(request, Clock::now())) {
        r->Amend([](Response& x) {
          for (const auto& h : SecurityHeaders()) x.headers.push_back(h);
        });
        return std::move(*r);
      }
      Response r;
      r.status = 404;
      r.route = "other";
      r.content_type = "text/plain; charset=utf-8";
      r.body = "Not found. This address serves the public status page: /status\n";
      for (const auto& h : SecurityHeaders()) r.headers.push_back(h);
      return r;
    }
  }
  return handler_.Handle(request);
}

// The status page follows monitoring on this thread, which owns the status page.
void Server::Impl::ScheduleFeed() {
  feed_timer_.expires_after(options_.status_feed_interval);
  feed_timer_.async_wait([weak = weak_from_this()](error_code ec) {
    auto self = weak.lock();
    if (ec || !self || self->stopping_) return;
    if (auto snap = self->live_->Snapshot()) {
      Status s = self->deps_.status_feed->Tick(*snap, Clock::now());
      // Logged when it starts and when it changes, not every second.
      std::string error = s.ok() ? "" : s.ToString();
      if (error != self->last_feed_error_) {
        if (!error.empty()) spdlog::error("status page: cannot follow monitoring: {}", error);
        if (error.empty()) spdlog::info("status page: following monitoring again");
        self->last_feed_error_ = error;
      }
    }
    self->ScheduleFeed();
  });
}

void Server::Impl::Record(const Response& r, std::chrono::steady_clock::time_point started) {
  if (deps_.metrics == nullptr) return;
  auto key = std::make_pair(r.status, r.route);
  Counter*& counter = request_counters_[key];
  if (counter == nullptr) {
    counter = deps_.metrics->GetCounter("csoc_http_requests_total", "HTTP requests answered, by status code and route.",
                                        {{"code", std::to_string(r.status)}, {"route", r.route}});
  }
  counter->Add();
  Histogram*& hist = duration_histograms_[r.route];
  if (hist == nullptr) {
    hist = deps_.metrics->GetHistogram(
        "csoc_http_request_duration_seconds", "Time from a complete request to its answer being ready, by route.",
        {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5}, {{"route", r.route}});
  }
  hist->Observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
}

Server::Server(boost::asio::io_context& io, ServerOptions options, ServerDeps deps)
    : impl_(std::make_shared<Impl>(io, std::move(options), std::move(deps))) {}

Server::~Server() { impl_->Stop(); }

Status Server::Start() { return impl_->Start(); }
void Server::Stop() { impl_->Stop(); }
uint16_t Server::port() const { return impl_->port(); }

}  // namespace csoc::web

#include "demo/simulator.h"

#include <fmt/format.h>
#include <openssl/ssl.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <future>
#include <unordered_map>

#include "demo/certificate.h"
#include "demo/gen3_services.h"

namespace csoc::demo {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using internal::CommonsProfile;

namespace {

// The TLS endpoint answers like a healthy commons.
const CommonsProfile& TlsProfile() {
  static const CommonsProfile profile{
      "localhost", "cluster-west", "training", "outreach@example.org", internal::Behaviour::kHealthy, false, false};
  return profile;
}

std::string HostPort(const asio::ip::address& address, uint16_t port) {
  return address.is_v6() ? fmt::format("[{}]:{}", address.to_string(), port)
                         : fmt::format("{}:{}", address.to_string(), port);
}

class Connection {
 public:
  virtual ~Connection() = default;
  virtual void Close() = 0;
};

// What every listener and connection shares. Held through shared_ptr by their handlers, so a
// handler that the io_context runs after the Simulator is gone still finds it (and `stopped`).
struct Shared {
  std::chrono::milliseconds flap_period;
  std::chrono::steady_clock::time_point started;
  bool stopped = false;
  // Open connections, so that Stop() can close idle keep-alive ones too.
  std::unordered_map<Connection*, std::weak_ptr<Connection>> connections;
};

template <class Stream>
class HttpSession final : public Connection, public std::enable_shared_from_this<HttpSession<Stream>> {
 public:
  static constexpr bool kTls = !std::is_same_v<Stream, tcp::socket>;

  HttpSession(Stream stream, std::shared_ptr<Shared> shared, const CommonsProfile* commons)
      : stream_(std::move(stream)), delay_(stream_.get_executor()), shared_(std::move(shared)), commons_(commons) {}
  ~HttpSession() override { shared_->connections.erase(this); }

  void Start() {
    shared_->connections.emplace(this, this->weak_from_this());
    if constexpr (kTls) {
      stream_.async_handshake(asio::ssl::stream_base::server, [self = this->shared_from_this()](beast::error_code ec) {
        if (!ec && !self->shared_->stopped) self->Read();
      });
    } else {
      Read();
    }
  }

  void Close() override {
    delay_.cancel();
    beast::error_code ignored;  // closing an already broken socket is fine: the point is that it is closed
    beast::get_lowest_layer(stream_).close(ignored);
  }

 private:
  void Read() {
    request_ = {};
    http::async_read(stream_, buffer_, request_,
                     [self = this->shared_from_this()](beast::error_code ec, size_t) { self->OnRead(ec); });
  }

  void OnRead(beast::error_code ec) {
    if (ec == http::error::end_of_stream) {
      if constexpr (!kTls) stream_.shutdown(tcp::socket::shutdown_send, ec);
      return;
    }
    if (ec || shared_->stopped) return;
    bool indexd_down = internal::FlapIsDown(std::chrono::steady_clock::now() - shared_->started, shared_->flap_period);
    internal::Reply reply =
        internal::Respond(*commons_, request_.method_string(), request_.target(), indexd_down, Clock::now());
    response_ = {};
    response_.result(reply.status);
    response_.version(request_.version());
    response_.set(http::field::server, "nginx");
    response_.set(http::field::content_type, reply.content_type);
    response_.keep_alive(request_.keep_alive());
    if (request_.method() == http::verb::head) {
      response_.content_length(reply.body.size());
    } else {
      response_.body() = std::move(reply.body);
      response_.prepare_payload();
    }
    if (reply.delay.count() > 0) {
      delay_.expires_after(reply.delay);
      delay_.async_wait([self = this->shared_from_this()](beast::error_code wait_ec) {
        if (!wait_ec && !self->shared_->stopped) self->Write();
      });
    } else {
      Write();
    }
  }

  void Write() {
    http::async_write(stream_, response_, [self = this->shared_from_this()](beast::error_code ec, size_t) {
      if (ec || self->shared_->stopped) return;
      if (!self->response_.keep_alive()) {
        // The peer asked to close: the destructor closes the socket once this handler returns.
        if constexpr (!kTls) self->stream_.shutdown(tcp::socket::shutdown_send, ec);
        return;
      }
      self->Read();
    });
  }

  Stream stream_;
  beast::flat_buffer buffer_;
  http::request<http::string_body> request_;
  http::response<http::string_body> response_;
  asio::steady_timer delay_;
  std::shared_ptr<Shared> shared_;
  const CommonsProfile* commons_;
};

class Listener : public std::enable_shared_from_this<Listener> {
 public:
  Listener(asio::io_context& io, std::shared_ptr<Shared> shared, const CommonsProfile* commons,
           std::shared_ptr<asio::ssl::context> tls)
      : acceptor_(io), retry_(io), shared_(std::move(shared)), commons_(commons), tls_(std::move(tls)) {}

  Status Open(const tcp::endpoint& endpoint) {
    beast::error_code ec;
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      beast::error_code ignored;  // the bind error is what the caller needs to see
      acceptor_.close(ignored);
      return Status::IOError(fmt::format("{}: cannot listen on {}: {}", commons_->name,
                                         HostPort(endpoint.address(), endpoint.port()), ec.message()));
    }
    return Status::Ok();
  }

  uint16_t port() const {
    beast::error_code ec;
    return acceptor_.local_endpoint(ec).port();
  }

  void Accept() {
    acceptor_.async_accept([self = shared_from_this()](beast::error_code ec, tcp::socket socket) {
      if (self->shared_->stopped || ec == asio::error::operation_aborted) return;
      if (ec) {
        // Out of descriptors and the like: accepting again at once would spin, so pause briefly.
        self->retry_.expires_after(std::chrono::milliseconds(100));
        self->retry_.async_wait([self](beast::error_code wait_ec) {
          if (!wait_ec && !self->shared_->stopped) self->Accept();
        });
        return;
      }
      beast::error_code ignored;  // Nagle only costs latency; a socket that refuses the option still works
      socket.set_option(tcp::no_delay(true), ignored);
      if (self->tls_) {
        using TlsStream = asio::ssl::stream<tcp::socket>;
        std::make_shared<HttpSession<TlsStream>>(TlsStream(std::move(socket), *self->tls_), self->shared_,
                                                 self->commons_)
            ->Start();
      } else {
        std::make_shared<HttpSession<tcp::socket>>(std::move(socket), self->shared_, self->commons_)->Start();
      }
      self->Accept();
    });
  }

  void Close() {
    retry_.cancel();
    beast::error_code ignored;  // closing is best effort by nature; Stop() must not fail
    acceptor_.close(ignored);
  }

 private:
  tcp::acceptor acceptor_;
  asio::steady_timer retry_;
  std::shared_ptr<Shared> shared_;
  const CommonsProfile* commons_;
  std::shared_ptr<asio::ssl::context> tls_;
};

// A port on `address` that nothing listens on: bound, read and released.
Status ReserveUnusedPort(asio::io_context& io, const asio::ip::address& address, uint16_t* port) {
  tcp::acceptor probe(io);
  beast::error_code ec;
  probe.open(address.is_v6() ? tcp::v6() : tcp::v4(), ec);
  if (!ec) probe.bind(tcp::endpoint(address, 0), ec);
  if (!ec) *port = probe.local_endpoint(ec).port();
  if (ec) return Status::IOError(fmt::format("cannot find a free port on {}: {}", address.to_string(), ec.message()));
  return Status::Ok();
}

}  // namespace

class Simulator::Impl {
 public:
  Impl(asio::io_context& io, SimulatorOptions options) : io_(io), options_(std::move(options)) {
    for (const CommonsProfile& profile : internal::DemoCommons()) {
      commons_.push_back(SimulatedCommons{profile.name, profile.cluster, "",
                                          internal::DescribeBehaviour(profile, options_.flap_period)});
    }
  }

  Status Start() {
    if (shared_) return Status::InvalidArgument("the simulator was already started");
    if (options_.base_port > 65535 - 10) {
      return Status::InvalidArgument(
          fmt::format("base_port {} leaves no room for the TLS port base_port + 10", options_.base_port));
    }
    beast::error_code ec;
    asio::ip::address address = asio::ip::make_address(options_.host, ec);
    if (ec) return Status::InvalidArgument(fmt::format("host '{}' is not an IP address", options_.host));

    internal::SelfSignedCertificate cert;
    Status s = internal::MakeSelfSignedCertificate(
        std::chrono::hours(24 * internal::kTlsCertificateDays) + internal::kTlsCertificateSlack, &cert);
    if (!s.ok()) return s;
    auto tls = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_server);
    if (SSL_CTX_use_certificate(tls->native_handle(), cert.certificate.get()) != 1 ||
        SSL_CTX_use_PrivateKey(tls->native_handle(), cert.key.get()) != 1) {
      return Status::Internal("the TLS endpoint rejected its own self-signed certificate");
    }

    auto shared = std::make_shared<Shared>();
    shared->flap_period = options_.flap_period;
    shared->started = std::chrono::steady_clock::now();
    auto port_for = [&](uint16_t offset) -> uint16_t {
      return options_.base_port == 0 ? 0 : static_cast<uint16_t>(options_.base_port + offset);
    };

    std::vector<std::shared_ptr<Listener>> listeners;
    auto close_all = [&listeners] {
      for (auto& l : listeners) l->Close();
    };
    std::vector<uint16_t> ports(commons_.size(), 0);
    const auto& profiles = internal::DemoCommons();
    for (size_t i = 0; i < profiles.size(); ++i) {
      if (profiles[i].behaviour == internal::Behaviour::kUnreachable) continue;
      auto listener = std::make_shared<Listener>(io_, shared, &profiles[i], nullptr);
      listeners.push_back(listener);
      s = listener->Open(tcp::endpoint(address, port_for(static_cast<uint16_t>(i))));
      if (!s.ok()) {
        close_all();
        return s;
      }
      ports[i] = listener->port();
    }
    auto tls_listener = std::make_shared<Listener>(io_, shared, &TlsProfile(), tls);
    listeners.push_back(tls_listener);
    s = tls_listener->Open(tcp::endpoint(address, port_for(10)));
    if (!s.ok()) {
      close_all();
      return s;
    }
    // Reserved after every listener is bound, so the kernel cannot hand this port to one of them.
    for (size_t i = 0; i < profiles.size(); ++i) {
      if (profiles[i].behaviour != internal::Behaviour::kUnreachable) continue;
      ports[i] = port_for(static_cast<uint16_t>(i));
      if (ports[i] == 0) s = ReserveUnusedPort(io_, address, &ports[i]);
      if (!s.ok()) {
        close_all();
        return s;
      }
    }

    for (size_t i = 0; i < commons_.size(); ++i) {
      commons_[i].base_url = "http://" + HostPort(address, ports[i]);
    }
    tls_endpoint_ = HostPort(address, tls_listener->port());
    shared_ = std::move(shared);
    listeners_ = std::move(listeners);
    for (auto& l : listeners_) l->Accept();
    return Status::Ok();
  }

  // Must run on the io thread (or with the io_context stopped).
  void CloseAll() {
    if (!shared_ || shared_->stopped) return;
    shared_->stopped = true;
    for (auto& l : listeners_) l->Close();
    listeners_.clear();
    // A copy: a connection that loses its last owner here erases itself from the map.
    auto connections = shared_->connections;
    for (auto& [raw, weak] : connections) {
      if (auto connection = weak.lock()) connection->Close();
    }
  }

  bool NeedsClosing() const { return shared_ && !shared_->stopped; }

  asio::io_context& io_;
  SimulatorOptions options_;
  std::vector<SimulatedCommons> commons_;
  std::string tls_endpoint_;
  std::shared_ptr<Shared> shared_;
  std::vector<std::shared_ptr<Listener>> listeners_;
};

Simulator::Simulator(asio::io_context& io, SimulatorOptions options)
    : impl_(std::make_unique<Impl>(io, std::move(options))) {}

Simulator::~Simulator() { Stop(); }

Status Simulator::Start() { return impl_->Start(); }

void Simulator::Stop() {
  if (!impl_->NeedsClosing()) return;
  asio::io_context& io = impl_->io_;
  if (io.get_executor().running_in_this_thread() || io.stopped()) {
    impl_->CloseAll();
    return;
  }
  std::promise<void> closed;
  asio::post(io, [this, &closed] {
    impl_->CloseAll();
    closed.set_value();
  });
  closed.get_future().wait();
}

const std::vector<SimulatedCommons>& Simulator::commons() const { return impl_->commons_; }

std::string Simulator::tls_endpoint() const { return impl_->tls_endpoint_; }

}  // namespace csoc::demo

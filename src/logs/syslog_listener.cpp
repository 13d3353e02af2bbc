#include "logs/syslog_listener.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <array>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <unordered_set>

#include "logs/syslog.h"

namespace csoc::logs {
namespace {

namespace asio = boost::asio;
using boost::system::error_code;
using asio::ip::tcp;
using asio::ip::udp;

constexpr size_t kDatagramBytes = 64 * 1024;
constexpr size_t kReadBytes = 16 * 1024;

std::string PeerName(const asio::ip::address& a, uint16_t port) {
  return a.is_v6() ? fmt::format("[{}]:{}", a.to_string(), port) : fmt::format("{}:{}", a.to_string(), port);
}

// "host:port" or "[v6]:port" to an address, resolving a host name.
Status Resolve(asio::io_context& io, const std::string& listen, asio::ip::address* address, uint16_t* port) {
  const size_t colon = listen.rfind(':');
  if (colon == std::string::npos) return Status::InvalidArgument(fmt::format("'{}': expected host:port", listen));
  std::string host = listen.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  const std::string p = listen.substr(colon + 1);
  if (host.empty() || p.empty() || p.size() > 5 || p.find_first_not_of("0123456789") != std::string::npos ||
      std::stoi(p) > 65535) {
    return Status::InvalidArgument(fmt::format("'{}': expected host:port with a port from 0 to 65535", listen));
  }
  *port = static_cast<uint16_t>(std::stoi(p));
  error_code ec;
  *address = asio::ip::make_address(host, ec);
  if (!ec) return Status::Ok();
  udp::resolver resolver(io);
  auto results = resolver.resolve(host, p, udp::resolver::passive, ec);
  if (ec || results.empty()) {
    return Status::InvalidArgument(fmt::format("'{}': cannot resolve '{}': {}", listen, host, ec.message()));
  }
  *address = results.begin()->endpoint().address();
  return Status::Ok();
}

class UdpListener final : public SyslogListener, public std::enable_shared_from_this<UdpListener> {
 public:
  UdpListener(asio::io_context& io, OnMessage on_message)
      : socket_(io), on_message_(std::move(on_message)), buffer_(std::make_unique<std::array<char, kDatagramBytes>>()) {}

  Status Bind(const udp::endpoint& endpoint, const std::string& listen) {
    error_code ec;
    socket_.open(endpoint.protocol(), ec);
    if (!ec) socket_.bind(endpoint, ec);
    if (ec) return Status::IOError(fmt::format("cannot listen for syslog on udp {}: {}", listen, ec.message()));
    // A larger receive buffer rides out bursts while the ingester commits.
    socket_.set_option(asio::socket_base::receive_buffer_size(4 << 20), ec);
    port_ = socket_.local_endpoint(ec).port();
    return Status::Ok();
  }

  void Receive() {
    socket_.async_receive_from(asio::buffer(*buffer_), peer_, [self = shared_from_this()](error_code ec, size_t n) {
      if (self->closed_) return;
      if (!ec) {
        self->on_message_(std::string_view(self->buffer_->data(), n), PeerName(self->peer_.address(), self->peer_.port()));
      } else if (ec == asio::error::operation_aborted) {
        return;
      }
      // Other errors (an ICMP error reported on the socket) do not stop receiving.
      self->Receive();
    });
  }

  void Close() override {
    closed_ = true;
    error_code ignored;
    socket_.close(ignored);
  }
  uint16_t port() const override { return port_; }
  size_t connections() const override { return 0; }

 private:
  udp::socket socket_;
  OnMessage on_message_;
  std::unique_ptr<std::array<char, kDatagramBytes>> buffer_;
  udp::endpoint peer_;
  uint16_t port_ = 0;
  bool closed_ = false;
};

class TcpListener final : public SyslogListener, public std::enable_shared_from_this<TcpListener> {
 public:
  TcpListener(asio::io_context& io, SyslogListenOptions options, OnMessage on_message, OnOversize on_oversize)
      : acceptor_(io),
        options_(std::move(options)),
        on_message_(std::move(on_message)),
        on_oversize_(std::move(on_oversize)) {}

  Status Bind(const tcp::endpoint& endpoint) {
    error_code ec;
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) return Status::IOError(fmt::format("cannot listen for syslog on tcp {}: {}", options_.listen, ec.message()));
    port_ = acceptor_.local_endpoint(ec).port();
    return Status::Ok();
  }

  void Accept() {
    acceptor_.async_accept([self = shared_from_this()](error_code ec, tcp::socket socket) {
      if (self->closed_ || ec == asio::error::operation_aborted) return;
      if (!ec) {
        if (self->connections_.size() >= self->options_.max_connections) {
          if (!self->warned_full_) {
            spdlog::warn("syslog tcp {}: {} connections open, refusing more", self->options_.listen, self->connections_.size());
            self->warned_full_ = true;
          }
          error_code ignored;
          socket.close(ignored);
        } else {
          self->warned_full_ = false;
          auto c = std::make_shared<Connection>(std::move(socket), self);
          self->connections_.insert(c);
          c->Read();
        }
      }
      self->Accept();
    });
  }

  void Close() override {
    closed_ = true;
    error_code ignored;
    acceptor_.close(ignored);
    for (const auto& c : connections_) c->Close();
    connections_.clear();
  }
  uint16_t port() const override { return port_; }
  size_t connections() const override { return connections_.size(); }

 private:
  class Connection : public std::enable_shared_from_this<Connection> {
   public:
    Connection(tcp::socket socket, std::shared_ptr<TcpListener> listener)
        : socket_(std::move(socket)),
          listener_(std::move(listener)),
          splitter_(listener_->options_.max_message_bytes),
          buffer_(std::make_unique<std::array<char, kReadBytes>>()) {
      error_code ec;
      const auto remote = socket_.remote_endpoint(ec);
      if (!ec) peer_ = PeerName(remote.address(), remote.port());
      socket_.set_option(asio::socket_base::keep_alive(true), ec);
    }

    void Read() {
      socket_.async_read_some(asio::buffer(*buffer_), [self = shared_from_this()](error_code ec, size_t n) {
        if (self->closed_ || self->listener_->closed_) return;
        if (ec) {
          self->Close();
          self->listener_->connections_.erase(self);
          return;
        }
        const uint64_t dropped = self->splitter_.dropped();
        self->splitter_.Feed(std::string_view(self->buffer_->data(), n),
                             [&](std::string_view message) { self->listener_->on_message_(message, self->peer_); });
        for (uint64_t i = dropped; i < self->splitter_.dropped(); ++i) {
          if (self->listener_->on_oversize_) self->listener_->on_oversize_(self->peer_);
        }
        self->Read();
      });
    }

    void Close() {
      closed_ = true;
      error_code ignored;
      socket_.close(ignored);
    }

   private:
    tcp::socket socket_;
    std::shared_ptr<TcpListener> listener_;
    SyslogStreamSplitter splitter_;
    std::unique_ptr<std::array<char, kReadBytes>> buffer_;
    std::string peer_;
    bool closed_ = false;
  };

  tcp::acceptor acceptor_;
  SyslogListenOptions options_;
  OnMessage on_message_;
  OnOversize on_oversize_;
  std::unordered_set<std::shared_ptr<Connection>> connections_;
  uint16_t port_ = 0;
  bool closed_ = false;
  bool warned_full_ = false;
};

}  // namespace

Status SyslogListener::Open(asio::io_context& io, SyslogListenOptions options, OnMessage on_message,
                            OnOversize on_oversize, std::shared_ptr<SyslogListener>* out) {
  asio::ip::address address;
  uint16_t port = 0;
  if (Status s = Resolve(io, options.listen, &address, &port); !s.ok()) {
    return Status::InvalidArgument(fmt::format("syslog listen address {}", s.message()));
  }
  if (options.tcp) {
    auto l = std::make_shared<TcpListener>(io, options, std::move(on_message), std::move(on_oversize));
    CSOC_RETURN_IF_ERROR(l->Bind(tcp::endpoint(address, port)));
    l->Accept();
    *out = l;
  } else {
    auto l = std::make_shared<UdpListener>(io, std::move(on_message));
    CSOC_RETURN_IF_ERROR(l->Bind(udp::endpoint(address, port), options.listen));
    l->Receive();
    *out = l;
  }
  return Status::Ok();
}

}  // namespace csoc::logs

// Servers the probe tests run against, all on 127.0.0.1 with ports chosen by the kernel: an HTTP(S)
// server (Beast, its own thread), a DNS server answering from a table (UDP, its own thread), a
// black hole that accepts TCP connections and never answers, and certificates made with OpenSSL.
// Header-only: only tests/probe/*_test.cpp files are compiled into probe_tests.
#pragma once

#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <chrono>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "fleet/model.h"
#include "fleet/probe_result.h"
#include "probe/prober.h"
#include "support/support.h"

namespace csoc::probe::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace ssl = boost::asio::ssl;
using asio::ip::tcp;
using asio::ip::udp;

// ---------------------------------------------------------------------------------------------
// Certificates

struct KeyAndCert {
  std::shared_ptr<EVP_PKEY> key;
  std::shared_ptr<X509> cert;

  std::string CertPem() const {
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), &BIO_free);
    PEM_write_bio_X509(bio.get(), cert.get());
    char* data = nullptr;
    long n = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<size_t>(n));
  }
};

inline void AddExtension(X509* cert, X509V3_CTX* ctx, int nid, const std::string& value) {
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, ctx, nid, value.c_str());
  if (!ext) throw std::runtime_error("bad extension " + value);
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

// An ECDSA P-256 certificate for CN=`cn` valid from an hour ago (or a day before notAfter) until
// now + `valid_for` (negative: already expired); self-signed when
// `issuer` is null. `san` is an OpenSSL subjectAltName list such as "DNS:localhost,IP:127.0.0.1".
inline KeyAndCert MakeCertificate(const std::string& cn, const KeyAndCert* issuer, bool is_ca,
                                  std::chrono::seconds valid_for, const std::string& san) {
  static std::atomic<long> serial{1};
  KeyAndCert out;
  out.key.reset(EVP_EC_gen("P-256"), &EVP_PKEY_free);
  out.cert.reset(X509_new(), &X509_free);
  X509* x = out.cert.get();
  X509_set_version(x, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
  X509_gmtime_adj(X509_getm_notBefore(x), std::min<long>(-3600, static_cast<long>(valid_for.count()) - 86400));
  X509_gmtime_adj(X509_getm_notAfter(x), static_cast<long>(valid_for.count()));
  X509_set_pubkey(x, out.key.get());
  X509_NAME* name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("csoc tests"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer->cert.get()) : name);
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer ? issuer->cert.get() : x, x, nullptr, nullptr, 0);
  AddExtension(x, &ctx, NID_basic_constraints, is_ca ? "critical,CA:TRUE" : "CA:FALSE");
  if (is_ca) AddExtension(x, &ctx, NID_key_usage, "critical,keyCertSign,cRLSign");
  AddExtension(x, &ctx, NID_subject_key_identifier, "hash");
  if (issuer) AddExtension(x, &ctx, NID_authority_key_identifier, "keyid:always");
  if (!san.empty()) AddExtension(x, &ctx, NID_subject_alt_name, san);
  X509_sign(x, issuer ? issuer->key.get() : out.key.get(), EVP_sha256());
  return out;
}

inline std::shared_ptr<ssl::context> ServerContext(const KeyAndCert& kc) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
  SSL_CTX_use_certificate(ctx->native_handle(), kc.cert.get());
  SSL_CTX_use_PrivateKey(ctx->native_handle(), kc.key.get());
  return ctx;
}

// ---------------------------------------------------------------------------------------------
// HTTP(S) server

struct SeenRequest {
  std::string method;
  std::string target;
  std::string body;
  std::map<std::string, std::string> headers;  // lower-case names
};

struct Reply {
  http::response<http::string_body> response;
  std::chrono::milliseconds delay{0};  // wait this long before answering
};

class TestHttpServer {
 public:
  using Handler = std::function<Reply(const http::request<http::string_body>&)>;

  // Serves plain HTTP, or HTTPS when `tls` is set.
  explicit TestHttpServer(Handler handler, std::shared_ptr<ssl::context> tls = nullptr)
      : handler_(std::move(handler)), tls_(std::move(tls)), acceptor_(io_) {
    tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), 0);
    acceptor_.open(endpoint.protocol());
    acceptor_.set_option(tcp::acceptor::reuse_address(true));
    acceptor_.bind(endpoint);
    acceptor_.listen();
    port_ = acceptor_.local_endpoint().port();
    Accept();
    thread_ = std::thread([this] { io_.run(); });
  }

  ~TestHttpServer() {
    io_.stop();
    thread_.join();
  }

  uint16_t port() const { return port_; }
  std::string Url(const std::string& path) const {
    return std::string(tls_ ? "https" : "http") + "://127.0.0.1:" + std::to_string(port_) + path;
  }
  std::vector<SeenRequest> requests() const {
    std::lock_guard lock(mu_);
    return requests_;
  }
  int connections() const { return connections_.load(); }

 private:
  template <class Stream>
  class Session : public std::enable_shared_from_this<Session<Stream>> {
   public:
    template <class... Args>
    Session(TestHttpServer* server, Args&&... args)
        : server_(server), stream_(std::forward<Args>(args)...), timer_(server->io_) {}

    void Run() {
      auto self = this->shared_from_this();
      if constexpr (std::is_same_v<Stream, beast::tcp_stream>) {
        Read();
      } else {
        stream_.async_handshake(ssl::stream_base::server, [self](beast::error_code ec) {
          if (!ec) self->Read();
        });
      }
    }

   private:
    void Read() {
      request_ = {};
      auto self = this->shared_from_this();
      http::async_read(stream_, buffer_, request_, [self](beast::error_code ec, size_t) {
        if (ec) return;
        self->server_->Record(self->request_);
        self->reply_ = self->server_->handler_(self->request_);
        self->reply_.response.keep_alive(self->request_.keep_alive());
        self->reply_.response.prepare_payload();
        self->timer_.expires_after(self->reply_.delay);
        self->timer_.async_wait([self](beast::error_code) { self->Write(); });
      });
    }

    void Write() {
      auto self = this->shared_from_this();
      http::async_write(stream_, reply_.response, [self](beast::error_code ec, size_t) {
        if (ec) return;
        if (self->reply_.response.keep_alive()) {
          self->Read();
        } else {
          beast::get_lowest_layer(self->stream_).socket().shutdown(tcp::socket::shutdown_send, ec);
        }
      });
    }

    TestHttpServer* server_;
    Stream stream_;
    asio::steady_timer timer_;
    beast::flat_buffer buffer_;
    http::request<http::string_body> request_;
    Reply reply_;
  };

  void Accept() {
    acceptor_.async_accept([this](beast::error_code ec, tcp::socket socket) {
      if (ec) return;
      ++connections_;
      if (tls_) {
        std::make_shared<Session<beast::ssl_stream<beast::tcp_stream>>>(this, std::move(socket), *tls_)->Run();
      } else {
        std::make_shared<Session<beast::tcp_stream>>(this, std::move(socket))->Run();
      }
      Accept();
    });
  }

  void Record(const http::request<http::string_body>& req) {
    SeenRequest seen;
    seen.method = std::string(req.method_string());
    seen.target = std::string(req.target());
    seen.body = req.body();
    for (const auto& field : req) {
      std::string name(field.name_string());
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      seen.headers[name] = std::string(field.value());
    }
    std::lock_guard lock(mu_);
    requests_.push_back(std::move(seen));
  }

  Handler handler_;
  std::shared_ptr<ssl::context> tls_;
  asio::io_context io_;
  tcp::acceptor acceptor_;
  uint16_t port_ = 0;
  std::thread thread_;
  mutable std::mutex mu_;
  std::vector<SeenRequest> requests_;
  std::atomic<int> connections_{0};
};

inline Reply TextReply(int status, std::string body) {
  Reply r;
  r.response.result(static_cast<unsigned>(status));
  r.response.set(http::field::content_type, "text/plain");
  r.response.body() = std::move(body);
  return r;
}

// ---------------------------------------------------------------------------------------------
// A listener that never accepts: the kernel completes the TCP handshake, then nothing answers.

class BlackHole {
 public:
  BlackHole() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd_, 64) != 0) {
      throw std::runtime_error("black hole: bind/listen failed");
    }
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
  }
  ~BlackHole() { ::close(fd_); }
  BlackHole(const BlackHole&) = delete;
  BlackHole& operator=(const BlackHole&) = delete;
  uint16_t port() const { return port_; }

 private:
  int fd_ = -1;
  uint16_t port_ = 0;
};

// A listener whose accept queue is full: further SYNs are dropped, so a connect never completes.
class SynBlackHole {
 public:
  SynBlackHole() {
    listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(listener_, 0) != 0) {
      throw std::runtime_error("syn black hole: bind/listen failed");
    }
    socklen_t len = sizeof addr;
    ::getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    filler_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (::connect(filler_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      throw std::runtime_error("syn black hole: filler connect failed");
    }
  }
  ~SynBlackHole() {
    ::close(filler_);
    ::close(listener_);
  }
  SynBlackHole(const SynBlackHole&) = delete;
  SynBlackHole& operator=(const SynBlackHole&) = delete;
  uint16_t port() const { return port_; }

 private:
  int listener_ = -1;
  int filler_ = -1;
  uint16_t port_ = 0;
};

// ---------------------------------------------------------------------------------------------
// DNS server: answers A and AAAA from a table, NXDOMAIN for unknown names, nothing at all for
// names in `silent`.

class TestDnsServer {
 public:
  std::map<std::string, std::vector<std::string>> a, aaaa;
  std::vector<std::string> silent;

  TestDnsServer() : socket_(io_, udp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {}
  ~TestDnsServer() {
    io_.stop();
    if (thread_.joinable()) thread_.join();
  }
  // Call after filling the tables.
  void Start() {
    Receive();
    thread_ = std::thread([this] { io_.run(); });
  }
  std::string Address() const { return "127.0.0.1:" + std::to_string(socket_.local_endpoint().port()); }
  int queries() const { return queries_.load(); }

 private:
  void Receive() {
    socket_.async_receive_from(asio::buffer(buffer_), peer_, [this](beast::error_code ec, size_t n) {
      if (ec) return;
      ++queries_;
      std::optional<std::string> reply = Answer(std::string(buffer_.data(), n));
      if (reply) socket_.send_to(asio::buffer(*reply), peer_, 0, ec);
      Receive();
    });
  }

  std::optional<std::string> Answer(const std::string& q) {
    if (q.size() < 17) return std::nullopt;
    size_t pos = 12;
    std::string name;
    while (pos < q.size() && q[pos] != 0) {
      size_t len = static_cast<unsigned char>(q[pos]);
      if (!name.empty()) name += '.';
      name += q.substr(pos + 1, len);
      pos += len + 1;
    }
    pos += 1;
    if (pos + 4 > q.size()) return std::nullopt;
    const int qtype = (static_cast<unsigned char>(q[pos]) << 8) | static_cast<unsigned char>(q[pos + 1]);
    pos += 4;
    for (const auto& s : silent) {
      if (s == name) return std::nullopt;
    }
    std::vector<std::string> rdatas;
    bool known = a.count(name) || aaaa.count(name);
    const auto& table = qtype == 28 ? aaaa : a;
    if (auto it = table.find(name); it != table.end() && (qtype == 1 || qtype == 28)) {
      for (const auto& text : it->second) {
        if (qtype == 1) {
          auto bytes = asio::ip::make_address_v4(text).to_bytes();
          rdatas.emplace_back(bytes.begin(), bytes.end());
        } else {
          auto bytes = asio::ip::make_address_v6(text).to_bytes();
          rdatas.emplace_back(bytes.begin(), bytes.end());
        }
      }
    }
    std::string r;
    r += q.substr(0, 2);                             // id
    r += static_cast<char>(0x80 | (q[2] & 0x01));    // QR, RD copied
    r += static_cast<char>(0x80 | (known ? 0 : 3));  // RA, NOERROR or NXDOMAIN
    r += std::string("\0\x01", 2);                   // QDCOUNT 1
    r += static_cast<char>(0);
    r += static_cast<char>(rdatas.size());  // ANCOUNT
    r += std::string(4, '\0');              // NSCOUNT, ARCOUNT
    r += q.substr(12, pos - 12);            // the question
    for (const auto& rdata : rdatas) {
      r += std::string("\xc0\x0c", 2);  // name: pointer to the question
      r += static_cast<char>(0);
      r += static_cast<char>(qtype);
      r += std::string("\0\x01\0\0\0\x3c", 6);  // class IN, TTL 60
      r += static_cast<char>(0);
      r += static_cast<char>(rdata.size());
      r += rdata;
    }
    return r;
  }

  asio::io_context io_;
  udp::socket socket_;
  udp::endpoint peer_;
  std::array<char, 512> buffer_{};
  std::thread thread_;
  std::atomic<int> queries_{0};
};

// ---------------------------------------------------------------------------------------------
// Checks and running the loop

inline fleet::Check HttpCheck(const std::string& url, std::chrono::milliseconds timeout = std::chrono::seconds(3)) {
  fleet::Check c;
  c.id = "test/web/" + url;
  c.kind = fleet::CheckKind::kHttp;
  fleet::HttpSpec spec;
  spec.url = url;
  c.spec = spec;
  c.timeout = timeout;
  return c;
}

inline fleet::Check TcpCheck(const std::string& host, uint16_t port,
                             std::chrono::milliseconds timeout = std::chrono::seconds(3)) {
  fleet::Check c;
  c.id = "test/tcp/" + host + ":" + std::to_string(port);
  c.kind = fleet::CheckKind::kTcp;
  c.spec = fleet::TcpSpec{host, port};
  c.timeout = timeout;
  return c;
}

inline fleet::Check TlsCheck(const std::string& host, uint16_t port, const std::string& server_name = "",
                             const std::string& ca_file = "",
                             std::chrono::milliseconds timeout = std::chrono::seconds(3)) {
  fleet::Check c;
  c.id = "test/tls/" + host + ":" + std::to_string(port);
  c.kind = fleet::CheckKind::kTls;
  fleet::TlsSpec spec;
  spec.host = host;
  spec.port = port;
  spec.server_name = server_name;
  spec.ca_file = ca_file;
  c.spec = spec;
  c.timeout = timeout;
  return c;
}

inline fleet::Check DnsCheck(const std::string& name, const std::string& type, const std::string& server,
                             std::chrono::milliseconds timeout = std::chrono::seconds(3)) {
  fleet::Check c;
  c.id = "test/dns/" + name + "/" + type;
  c.kind = fleet::CheckKind::kDns;
  fleet::DnsSpec spec;
  spec.name = name;
  spec.record_type = type;
  spec.server = server;
  c.spec = spec;
  c.timeout = timeout;
  return c;
}

// Runs `io` until `done()` holds. The guard only keeps a broken build from hanging the suite.
inline bool RunUntil(asio::io_context& io, const std::function<bool()>& done,
                     std::chrono::milliseconds guard = std::chrono::seconds(20)) {
  const auto end = std::chrono::steady_clock::now() + guard;
  while (!done() && std::chrono::steady_clock::now() < end) {
    if (io.stopped()) io.restart();
    io.run_one_for(std::chrono::milliseconds(20));
  }
  return done();
}

// Runs `io` for `d` of wall time (for "nothing happens" checks).
inline void RunFor(asio::io_context& io, std::chrono::milliseconds d) {
  const auto end = std::chrono::steady_clock::now() + d;
  while (std::chrono::steady_clock::now() < end) {
    if (io.stopped()) io.restart();
    io.run_one_until(end);
  }
}

// Runs one probe of `check` on a fresh loop and returns its only result, checking the Prober's
// contract on the way: the callback never runs inside Run, runs exactly once, and nothing stays in
// flight after it.
inline fleet::ProbeResult RunOne(const fleet::Check& check, ProberOptions options = {}) {
  asio::io_context io;
  Prober prober(io, options);
  int calls = 0;
  fleet::ProbeResult result;
  prober.Run(check, [&](fleet::ProbeResult r) {
    ++calls;
    result = std::move(r);
  });
  EXPECT_EQ(calls, 0) << "the callback must not run inside Run";
  EXPECT_EQ(prober.in_flight(), 1u);
  EXPECT_TRUE(RunUntil(io, [&] { return calls > 0; }));
  RunFor(io, std::chrono::milliseconds(20));
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(prober.in_flight(), 0u);
  return result;
}

}  // namespace csoc::probe::testing

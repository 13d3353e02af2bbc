#include "probe/socket_probes.h"

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <optional>
#include <vector>

#include "core/time.h"
#include "probe/ares_lookup.h"
#include "probe/certificate.h"

namespace csoc::probe::internal {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
using boost::asio::ip::tcp;

AsyncProbe::AsyncProbe(asio::io_context& io, std::chrono::milliseconds timeout, Done done)
    : io_(io), timeout_(timeout), deadline_(io), done_(std::move(done)) {}

void AsyncProbe::Start(ProbeSet* set) {
  set_ = set;
  set->Add(shared_from_this());
  result_.started = Clock::now();
  start_ = std::chrono::steady_clock::now();
  deadline_.expires_after(timeout_);
  deadline_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
    if (ec || self->finished_) return;
    self->Fail(self->TimeoutText());
  });
  // From the loop, so that even an immediate failure never runs `done` inside Prober::Run.
  asio::post(io_, [self = shared_from_this()] {
    if (!self->finished_) self->Begin();
  });
}

void AsyncProbe::Cancel() {
  finished_ = true;
  deadline_.cancel();
  Stop();
  done_ = nullptr;
}

void AsyncProbe::Succeed() {
  result_.connected = true;
  Finish();
}

void AsyncProbe::Fail(std::string error) {
  result_.connected = false;
  result_.error = std::move(error);
  Finish();
}

std::string AsyncProbe::TimeoutText() const { return "timed out after " + FormatDuration(timeout_); }

void AsyncProbe::Finish() {
  if (finished_) return;
  auto self = shared_from_this();  // the set may hold the last reference
  finished_ = true;
  deadline_.cancel();
  Stop();
  result_.latency = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start_);
  set_->Remove(this);
  Done done = std::move(done_);
  done_ = nullptr;
  done(std::move(result_));
}

void ProbeSet::Add(std::shared_ptr<AsyncProbe> probe) {
  AsyncProbe* key = probe.get();
  probes_.emplace(key, std::move(probe));
}

void ProbeSet::CancelAll() {
  auto probes = std::move(probes_);
  probes_.clear();
  for (auto& [key, probe] : probes) probe->Cancel();
}

Status TlsContexts::Get(const std::string& ca_file, std::shared_ptr<ssl::context>* out) {
  auto it = contexts_.find(ca_file);
  if (it != contexts_.end()) {
    *out = it->second;
    return Status::Ok();
  }
  auto context = std::make_shared<ssl::context>(ssl::context::tls_client);
  // The handshake must finish even for a bad chain, so the evidence (expiry, subject, the
  // verification error) can be reported; the verification result is read afterwards.
  context->set_verify_mode(ssl::verify_none);
  boost::system::error_code ec;
  if (ca_file.empty()) {
    context->set_default_verify_paths(ec);
    if (ec) return Status::IOError("cannot load the system CA certificates: " + ec.message());
  } else {
    context->load_verify_file(ca_file, ec);
    if (ec) return Status::IOError("cannot read CA file " + ca_file + ": " + ec.message());
  }
  contexts_.emplace(ca_file, context);
  *out = std::move(context);
  return Status::Ok();
}

namespace {

std::string StripBrackets(const std::string& host) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') return host.substr(1, host.size() - 2);
  return host;
}

std::string ConnectError(const boost::system::error_code& ec) {
  if (ec == asio::error::connection_refused) return "connection refused";
  if (ec == asio::error::host_unreachable) return "host unreachable";
  if (ec == asio::error::network_unreachable) return "network unreachable";
  if (ec == asio::error::connection_reset) return "connection reset by peer";
  return "could not connect: " + ec.message();
}

std::string HandshakeError(const boost::system::error_code& ec) {
  if (ec == ssl::error::stream_truncated || ec == asio::error::eof) {
    return "the server closed the connection during the handshake";
  }
  if (ec == asio::error::connection_reset) return "connection reset by peer";
  return ec.message();
}

// A TCP connect, optionally followed by a TLS handshake.
class ConnectProbe : public AsyncProbe {
 public:
  ConnectProbe(asio::io_context& io, std::string host, uint16_t port, std::chrono::milliseconds timeout, Done done)
      : AsyncProbe(io, timeout, std::move(done)), host_(StripBrackets(host)), port_(port), socket_(io) {}

  // Makes the probe a TLS probe; `context_error` fails it at Begin.
  void SetTls(std::string server_name, std::shared_ptr<ssl::context> context, std::string context_error) {
    tls_ = true;
    server_name_ = server_name.empty() ? host_ : StripBrackets(server_name);
    context_ = std::move(context);
    context_error_ = std::move(context_error);
  }

 protected:
  void Begin() override {
    if (!context_error_.empty()) return Fail(context_error_);
    boost::system::error_code ec;
    asio::ip::address address = asio::ip::make_address(host_, ec);
    if (!ec) return Connect({address});
    auto self = std::static_pointer_cast<ConnectProbe>(shared_from_this());
    AresLookup::Options options;
    options.timeout = timeout_;
    Status status = AresLookup::Start(
        io_, host_, options,
        [self](int code, std::vector<asio::ip::address> addresses) {
          self->lookup_.reset();
          if (self->finished()) return;
          if (code == ARES_ETIMEOUT) return self->Fail(self->TimeoutText());
          if (code != ARES_SUCCESS) return self->Fail(LookupError(code, self->host_));
          self->Connect(addresses);
        },
        &lookup_);
    if (!status.ok()) Fail(status.message());
  }

  void Stop() override {
    if (lookup_) {
      lookup_->Cancel();
      lookup_.reset();
    }
    boost::system::error_code ignored;
    socket_.close(ignored);
  }

 private:
  void Connect(const std::vector<asio::ip::address>& addresses) {
    endpoints_.clear();
    for (const auto& a : addresses) endpoints_.emplace_back(a, port_);
    auto self = std::static_pointer_cast<ConnectProbe>(shared_from_this());
    asio::async_connect(socket_, endpoints_, [self](const boost::system::error_code& ec, const tcp::endpoint&) {
      if (self->finished()) return;
      if (ec) return self->Fail(ConnectError(ec));
      if (!self->tls_) return self->Succeed();
      self->Handshake();
    });
  }

  void Handshake() {
    stream_.emplace(socket_, *context_);
    SSL* ssl = stream_->native_handle();
    const bool ip = IsIpLiteral(server_name_);
    // SNI carries host names only (RFC 6066); an address is checked against the IP SANs.
    if (!ip) SSL_set_tlsext_host_name(ssl, server_name_.c_str());
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
    if (ip) {
      X509_VERIFY_PARAM_set1_ip_asc(param, server_name_.c_str());
    } else {
      X509_VERIFY_PARAM_set1_host(param, server_name_.c_str(), server_name_.size());
    }
    auto self = std::static_pointer_cast<ConnectProbe>(shared_from_this());
    stream_->async_handshake(ssl::stream_base::client, [self](const boost::system::error_code& ec) {
      if (self->finished()) return;
      SSL* ssl = self->stream_->native_handle();
      if (X509* leaf = SSL_get0_peer_certificate(ssl)) {
        FillLeafCertificate(leaf, &self->result_);
        FillVerifyResult(ssl, &self->result_);
      }
      if (ec) return self->Fail("TLS handshake failed: " + HandshakeError(ec));
      self->Succeed();
    });
  }

  const std::string host_;
  const uint16_t port_;
  bool tls_ = false;
  std::string server_name_;
  std::shared_ptr<ssl::context> context_;
  std::string context_error_;
  tcp::socket socket_;
  std::vector<tcp::endpoint> endpoints_;
  std::optional<ssl::stream<tcp::socket&>> stream_;
  std::shared_ptr<AresLookup> lookup_;
};

class DnsProbe : public AsyncProbe {
 public:
  DnsProbe(asio::io_context& io, const fleet::DnsSpec& spec, std::chrono::milliseconds timeout, Done done)
      : AsyncProbe(io, timeout, std::move(done)), spec_(spec) {}

 protected:
  void Begin() override {
    AresLookup::Options options;
    if (spec_.record_type == "A") {
      options.family = AF_INET;
    } else if (spec_.record_type == "AAAA") {
      options.family = AF_INET6;
    } else {
      return Fail("unsupported DNS record type '" + spec_.record_type + "' (expected A or AAAA)");
    }
    options.server = spec_.server;
    options.timeout = timeout_;
    auto self = std::static_pointer_cast<DnsProbe>(shared_from_this());
    Status status = AresLookup::Start(
        io_, spec_.name, options,
        [self](int code, std::vector<asio::ip::address> addresses) {
          self->lookup_.reset();
          if (self->finished()) return;
          if (code == ARES_ETIMEOUT) return self->Fail(self->TimeoutText());
          if (code != ARES_SUCCESS) return self->Fail(LookupError(code, self->spec_.name));
          for (const auto& a : addresses) self->result_.addresses.push_back(a.to_string());
          self->Succeed();
        },
        &lookup_);
    if (!status.ok()) Fail(status.message());
  }

  void Stop() override {
    if (lookup_) {
      lookup_->Cancel();
      lookup_.reset();
    }
  }

 private:
  const fleet::DnsSpec spec_;
  std::shared_ptr<AresLookup> lookup_;
};

}  // namespace

std::shared_ptr<AsyncProbe> MakeTcpProbe(asio::io_context& io, const fleet::TcpSpec& spec,
                                         std::chrono::milliseconds timeout, AsyncProbe::Done done) {
  return std::make_shared<ConnectProbe>(io, spec.host, spec.port, timeout, std::move(done));
}

std::shared_ptr<AsyncProbe> MakeTlsProbe(asio::io_context& io, const fleet::TlsSpec& spec,
                                         std::chrono::milliseconds timeout, AsyncProbe::Done done,
                                         TlsContexts* contexts) {
  auto probe = std::make_shared<ConnectProbe>(io, spec.host, spec.port, timeout, std::move(done));
  std::shared_ptr<ssl::context> context;
  Status status = contexts->Get(spec.ca_file, &context);
  probe->SetTls(spec.server_name, std::move(context), status.ok() ? "" : status.message());
  return probe;
}

std::shared_ptr<AsyncProbe> MakeDnsProbe(asio::io_context& io, const fleet::DnsSpec& spec,
                                         std::chrono::milliseconds timeout, AsyncProbe::Done done) {
  return std::make_shared<DnsProbe>(io, spec, timeout, std::move(done));
}

}  // namespace csoc::probe::internal

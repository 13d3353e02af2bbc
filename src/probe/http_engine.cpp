#include "probe/http_engine.h"

#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <strings.h>
#include <unistd.h>

#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <cctype>
#include <cerrno>
#include <mutex>
#include <string_view>

#include "core/time.h"
#include "probe/certificate.h"

namespace csoc::probe::internal {

namespace asio = boost::asio;

namespace {

constexpr size_t kMaxPooled = 1024;
constexpr long kMaxRedirects = 10;

void InitCurlOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

// The host part of `url` without IPv6 brackets; empty if it does not parse.
std::string UrlHost(const char* url) {
  std::string host;
  if (!url) return host;
  CURLU* u = curl_url();
  char* part = nullptr;
  if (u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
      curl_url_get(u, CURLUPART_HOST, &part, 0) == CURLUE_OK) {
    host = part;
    curl_free(part);
  }
  curl_url_cleanup(u);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  return host;
}

std::string_view StripPrefix(std::string_view text, std::string_view prefix) {
  if (text.substr(0, prefix.size()) == prefix) text.remove_prefix(prefix.size());
  return text;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n'))
    s.remove_suffix(1);
  return s;
}

}  // namespace

// One probe's state; pooled together with its easy handle.
struct HttpEngine::Transfer {
  ~Transfer() {
    curl_slist_free_all(headers);
    if (easy) curl_easy_cleanup(easy);
  }

  HttpEngine* engine = nullptr;
  CURL* easy = nullptr;
  size_t slot = 0;  // index in HttpEngine::active_
  Done done;
  fleet::ProbeResult result;
  curl_slist* headers = nullptr;
  std::string body;  // CURLOPT_POSTFIELDS is not copied by curl
  std::string ca_file;
  std::chrono::milliseconds timeout{0};
  bool verify_peer = true;
  bool cert_read = false;
  char error[CURL_ERROR_SIZE] = {};
};

// A socket curl asked us to watch. The descriptor is only borrowed: released, never closed,
// because curl closes its own sockets (through OnCloseSocket).
struct HttpEngine::Socket {
  Socket(asio::io_context& io, curl_socket_t fd) : descriptor(io), fd(fd) {}
  ~Socket() { descriptor.release(); }

  asio::posix::stream_descriptor descriptor;
  curl_socket_t fd;
  int want = 0;                           // CURL_POLL_IN / OUT / INOUT
  bool reading = false, writing = false;  // an async_wait of that direction is outstanding
  bool closed = false;
};

HttpEngine::HttpEngine(asio::io_context& io, const ProberOptions& options) : io_(io), options_(options), timer_(io) {
  InitCurlOnce();
  multi_ = curl_multi_init();
  curl_multi_setopt(multi_, CURLMOPT_SOCKETFUNCTION, &HttpEngine::OnSocket);
  curl_multi_setopt(multi_, CURLMOPT_SOCKETDATA, this);
  curl_multi_setopt(multi_, CURLMOPT_TIMERFUNCTION, &HttpEngine::OnTimer);
  curl_multi_setopt(multi_, CURLMOPT_TIMERDATA, this);
}

HttpEngine::~HttpEngine() {
  CancelAll();
  // Closes cached connections through OnCloseSocket, which still needs this object.
  curl_multi_cleanup(multi_);
  pool_.clear();
  for (auto& [fd, socket] : sockets_) {
    socket->closed = true;
    socket->descriptor.release();
  }
  sockets_.clear();
}

void HttpEngine::Start(const fleet::HttpSpec& spec, std::chrono::milliseconds timeout, Done done) {
  Transfer* t = Acquire();
  t->done = std::move(done);
  t->result.started = Clock::now();
  t->timeout = timeout;
  CURLcode rc = Configure(t, spec, timeout);
  if (rc != CURLE_OK) {
    FailSoon(t, std::string("cannot set up the HTTP request: ") + curl_easy_strerror(rc));
    return;
  }
  CURLMcode mc = curl_multi_add_handle(multi_, t->easy);
  if (mc != CURLM_OK) FailSoon(t, std::string("cannot start the HTTP request: ") + curl_multi_strerror(mc));
}

CURLcode HttpEngine::Configure(Transfer* t, const fleet::HttpSpec& spec, std::chrono::milliseconds timeout) {
  if (!t->easy) return CURLE_OUT_OF_MEMORY;
  CURL* e = t->easy;
  CURLcode rc = CURLE_OK;
  auto set = [&](CURLoption option, auto value) {
    if (rc == CURLE_OK) rc = curl_easy_setopt(e, option, value);
  };
  t->error[0] = '\0';
  t->verify_peer = spec.tls_verify;
  t->ca_file = spec.ca_file;
  set(CURLOPT_URL, spec.url.c_str());
  set(CURLOPT_PRIVATE, static_cast<void*>(t));
  set(CURLOPT_NOSIGNAL, 1L);
  set(CURLOPT_ERRORBUFFER, t->error);
  set(CURLOPT_HEADERFUNCTION, &HttpEngine::OnHeader);
  set(CURLOPT_HEADERDATA, static_cast<void*>(t));
  set(CURLOPT_WRITEFUNCTION, &HttpEngine::OnBody);
  set(CURLOPT_WRITEDATA, static_cast<void*>(t));
  set(CURLOPT_CLOSESOCKETFUNCTION, &HttpEngine::OnCloseSocket);
  set(CURLOPT_CLOSESOCKETDATA, static_cast<void*>(this));
  set(CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
  set(CURLOPT_PROTOCOLS_STR, "http,https");
  set(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  set(CURLOPT_FOLLOWLOCATION, spec.follow_redirects ? 1L : 0L);
  set(CURLOPT_MAXREDIRS, kMaxRedirects);
  set(CURLOPT_SSL_VERIFYPEER, spec.tls_verify ? 1L : 0L);
  set(CURLOPT_SSL_VERIFYHOST, spec.tls_verify ? 2L : 0L);
  if (!spec.ca_file.empty()) set(CURLOPT_CAINFO, spec.ca_file.c_str());
  // A probe measures the direct path to the target; proxy variables in csoc's environment must
  // not silently reroute it.
  set(CURLOPT_PROXY, "");
  set(CURLOPT_USERAGENT, options_.user_agent.c_str());
  if (!options_.reuse_connections) {
    set(CURLOPT_FRESH_CONNECT, 1L);
    set(CURLOPT_FORBID_REUSE, 1L);
    // A resumed TLS session skips the certificate exchange, and a new visitor would not have one.
    set(CURLOPT_SSL_SESSIONID_CACHE, 0L);
  }

  bool has_expect = false;
  for (const fleet::Header& h : spec.headers) {
    // "Name;" is curl's way to send a header with an empty value ("Name:" would remove it).
    std::string line = h.value.empty() ? h.name + ";" : h.name + ": " + h.value;
    t->headers = curl_slist_append(t->headers, line.c_str());
    if (strcasecmp(h.name.c_str(), "expect") == 0) has_expect = true;
  }
  if (!spec.body.empty() && !has_expect) {
    // No "Expect: 100-continue" round trip for larger bodies: it would add up to a second.
    t->headers = curl_slist_append(t->headers, "Expect:");
  }
  if (t->headers) set(CURLOPT_HTTPHEADER, t->headers);

  if (spec.method == "HEAD") {
    set(CURLOPT_NOBODY, 1L);
  } else {
    if (!spec.body.empty() || spec.method == "POST") {
      t->body = spec.body;
      set(CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(t->body.size()));
      set(CURLOPT_POSTFIELDS, t->body.c_str());
    }
    // POSTFIELDS makes curl send POST; any other method, GET with a body included, is named.
    if (spec.method != "POST" && (spec.method != "GET" || !spec.body.empty())) {
      set(CURLOPT_CUSTOMREQUEST, spec.method.c_str());
    }
  }
  return rc;
}

HttpEngine::Transfer* HttpEngine::Acquire() {
  std::unique_ptr<Transfer> t;
  if (!pool_.empty()) {
    t = std::move(pool_.back());
    pool_.pop_back();
  } else {
    t = std::make_unique<Transfer>();
    t->engine = this;
    t->easy = curl_easy_init();
  }
  t->slot = active_.size();
  active_.push_back(std::move(t));
  return active_.back().get();
}

void HttpEngine::Release(Transfer* t) {
  size_t slot = t->slot;
  std::unique_ptr<Transfer> owned = std::move(active_[slot]);
  if (slot + 1 != active_.size()) {
    active_[slot] = std::move(active_.back());
    active_[slot]->slot = slot;
  }
  active_.pop_back();
  if (pool_.size() >= kMaxPooled) return;
  // Reset before freeing what the handle points at, so a pooled handle holds no dangling option.
  if (owned->easy) curl_easy_reset(owned->easy);
  curl_slist_free_all(owned->headers);
  owned->headers = nullptr;
  owned->done = nullptr;
  owned->result = fleet::ProbeResult();
  owned->body.clear();
  owned->cert_read = false;
  pool_.push_back(std::move(owned));
}

void HttpEngine::FailSoon(Transfer* t, std::string error) {
  t->result.error = std::move(error);
  asio::post(io_, [this, alive = std::weak_ptr<int>(alive_), t, epoch = epoch_] {
    if (alive.expired() || epoch != epoch_) return;
    fleet::ProbeResult result = std::move(t->result);
    Done done = std::move(t->done);
    Release(t);
    done(std::move(result));
  });
}

void HttpEngine::CancelAll() {
  ++epoch_;
  // Removing a handle closes its connection (FORBID_REUSE) and tells OnSocket to forget it.
  for (auto& t : active_) curl_multi_remove_handle(multi_, t->easy);
  while (!active_.empty()) Release(active_.back().get());
}

int HttpEngine::OnSocket(CURL* /*easy*/, curl_socket_t fd, int what, void* engine, void* /*socket_data*/) {
  auto* self = static_cast<HttpEngine*>(engine);
  if (what == CURL_POLL_REMOVE) {
    self->Forget(fd);
    return 0;
  }
  std::shared_ptr<Socket>& socket = self->sockets_[fd];
  if (!socket) {
    socket = std::make_shared<Socket>(self->io_, fd);
    boost::system::error_code ec;
    socket->descriptor.assign(fd, ec);
    if (ec) {
      self->sockets_.erase(fd);
      return -1;
    }
  }
  socket->want = what;
  self->Watch(socket);
  return 0;
}

void HttpEngine::Watch(const std::shared_ptr<Socket>& socket) {
  auto on_ready = [this, alive = std::weak_ptr<int>(alive_), socket](int direction,
                                                                     const boost::system::error_code& ec) {
    (direction == CURL_POLL_IN ? socket->reading : socket->writing) = false;
    if (alive.expired() || socket->closed || ec == asio::error::operation_aborted) return;
    if (ec) {
      Action(socket->fd, CURL_CSELECT_ERR);
    } else if (socket->want & direction) {
      Action(socket->fd, direction == CURL_POLL_IN ? CURL_CSELECT_IN : CURL_CSELECT_OUT);
    } else {
      return;
    }
    // A completion callback may have cancelled everything, or (against the contract) more.
    if (!alive.expired() && !socket->closed) Watch(socket);
  };
  if ((socket->want & CURL_POLL_IN) && !socket->reading) {
    socket->reading = true;
    socket->descriptor.async_wait(asio::posix::stream_descriptor::wait_read,
                                  [on_ready](const boost::system::error_code& ec) { on_ready(CURL_POLL_IN, ec); });
  }
  if ((socket->want & CURL_POLL_OUT) && !socket->writing) {
    socket->writing = true;
    socket->descriptor.async_wait(asio::posix::stream_descriptor::wait_write,
                                  [on_ready](const boost::system::error_code& ec) { on_ready(CURL_POLL_OUT, ec); });
  }
}

void HttpEngine::Forget(curl_socket_t fd) {
  auto it = sockets_.find(fd);
  if (it == sockets_.end()) return;
  it->second->closed = true;
  it->second->descriptor.release();
  sockets_.erase(it);
}

int HttpEngine::OnCloseSocket(void* engine, curl_socket_t fd) {
  // Stop watching before the number can be reused by the next socket.
  static_cast<HttpEngine*>(engine)->Forget(fd);
  return ::close(fd);
}

int HttpEngine::OnTimer(CURLM* /*multi*/, long timeout_ms, void* engine) {
  auto* self = static_cast<HttpEngine*>(engine);
  // Each call replaces curl's previous request. Most probes ask for "now", then a connect timeout,
  // then nothing: re-programming the timer for each would be most of the engine's system calls.
  // So "now" is a post, "nothing" only forgets, and a later deadline leaves an earlier wait
  // armed, which on firing moves on to the deadline curl wants by then.
  if (timeout_ms < 0) {
    self->curl_due_.reset();
  } else if (timeout_ms == 0) {
    self->curl_due_.reset();
    asio::post(self->io_, [self, alive = std::weak_ptr<int>(self->alive_)] {
      if (!alive.expired()) self->Action(CURL_SOCKET_TIMEOUT, 0);
    });
  } else {
    self->curl_due_ = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    if (!self->timer_armed_ || self->timer_at_ > *self->curl_due_) self->ArmTimer(*self->curl_due_);
  }
  return 0;
}

void HttpEngine::ArmTimer(std::chrono::steady_clock::time_point at) {
  timer_armed_ = true;
  timer_at_ = at;
  timer_.expires_at(at);
  timer_.async_wait([this, alive = std::weak_ptr<int>(alive_)](const boost::system::error_code& ec) {
    if (alive.expired() || ec == asio::error::operation_aborted) return;
    timer_armed_ = false;
    if (!curl_due_) return;
    if (std::chrono::steady_clock::now() < *curl_due_) return ArmTimer(*curl_due_);
    curl_due_.reset();
    Action(CURL_SOCKET_TIMEOUT, 0);
  });
}

void HttpEngine::Action(curl_socket_t fd, int events) {
  int running = 0;
  curl_multi_socket_action(multi_, fd, events, &running);
  CollectDone();
}

void HttpEngine::CollectDone() {
  std::vector<std::pair<Done, fleet::ProbeResult>> finished;
  int left = 0;
  while (CURLMsg* msg = curl_multi_info_read(multi_, &left)) {
    if (msg->msg != CURLMSG_DONE) continue;
    CURL* easy = msg->easy_handle;
    CURLcode code = msg->data.result;  // msg is invalid once the handle is removed
    Transfer* t = nullptr;
    curl_easy_getinfo(easy, CURLINFO_PRIVATE, &t);
    curl_multi_remove_handle(multi_, easy);
    Complete(t, code, &finished);
  }
  // Callbacks run after curl is off the stack; one of them may cancel the rest.
  std::weak_ptr<int> alive = alive_;
  uint64_t epoch = epoch_;
  for (auto& [done, result] : finished) {
    if (alive.expired() || epoch != epoch_) return;
    done(std::move(result));
  }
}

void HttpEngine::Complete(Transfer* t, CURLcode code, std::vector<std::pair<Done, fleet::ProbeResult>>* out) {
  fleet::ProbeResult& r = t->result;
  curl_off_t total_us = 0;
  curl_easy_getinfo(t->easy, CURLINFO_TOTAL_TIME_T, &total_us);
  r.latency = std::chrono::microseconds(total_us);
  long status = 0;
  curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &status);
  r.status_code = static_cast<int>(status);
  char* effective_url = nullptr;
  curl_easy_getinfo(t->easy, CURLINFO_EFFECTIVE_URL, &effective_url);
  if (effective_url) r.effective_url = effective_url;
  r.connected = code == CURLE_OK;
  if (code != CURLE_OK) {
    r.error = ErrorText(*t, code);
    if (code == CURLE_PEER_FAILED_VERIFICATION) {
      r.cert_chain_valid = false;
      r.cert_error = r.error.substr(r.error.find(": ") + 2);
    }
  }
  out->emplace_back(std::move(t->done), std::move(r));
  Release(t);
}

std::string HttpEngine::ErrorText(const Transfer& t, CURLcode code) const {
  std::string detail = t.error[0] ? std::string(t.error) : std::string(curl_easy_strerror(code));
  long os_errno = 0;
  curl_easy_getinfo(t.easy, CURLINFO_OS_ERRNO, &os_errno);
  switch (code) {
    case CURLE_OPERATION_TIMEDOUT: return "timed out after " + FormatDuration(t.timeout);
    case CURLE_COULDNT_RESOLVE_HOST: {
      char* url = nullptr;
      curl_easy_getinfo(t.easy, CURLINFO_EFFECTIVE_URL, &url);
      return "could not resolve host " + UrlHost(url);
    }
    case CURLE_COULDNT_CONNECT:
      if (os_errno == ECONNREFUSED) return "connection refused";
      if (os_errno == EHOSTUNREACH) return "host unreachable";
      if (os_errno == ENETUNREACH) return "network unreachable";
      return "could not connect: " + detail;
    case CURLE_PEER_FAILED_VERIFICATION:
      return "TLS certificate problem: " +
             std::string(StripPrefix(StripPrefix(detail, "SSL certificate problem: "), "SSL: "));
    case CURLE_SSL_CONNECT_ERROR: return "TLS handshake failed: " + detail;
    case CURLE_SSL_CACERT_BADFILE: return "cannot read CA file " + t.ca_file;
    case CURLE_GOT_NOTHING: return "the server closed the connection without a response";
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
      if (os_errno == ECONNRESET) return "connection reset by peer";
      return detail;
    case CURLE_TOO_MANY_REDIRECTS: return "too many redirects (more than " + std::to_string(kMaxRedirects) + ")";
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL: return "invalid URL: " + detail;
    default: return detail;
  }
}

size_t HttpEngine::OnHeader(char* data, size_t size, size_t count, void* transfer) {
  auto* t = static_cast<Transfer*>(transfer);
  const size_t n = size * count;
  std::string_view line(data, n);
  fleet::ProbeResult& r = t->result;
  if (line.substr(0, 5) == "HTTP/") {
    // A new response (after a redirect or a 1xx): only the final one is evidence.
    r.headers.clear();
    r.body.clear();
    r.body_truncated = false;
    if (!t->cert_read) {
      // The handshake of this response's connection is done; read its leaf while the SSL* lives.
      const curl_tlssessioninfo* info = nullptr;
      if (curl_easy_getinfo(t->easy, CURLINFO_TLS_SSL_PTR, &info) == CURLE_OK && info &&
          info->backend == CURLSSLBACKEND_OPENSSL && info->internals) {
        auto* ssl = static_cast<SSL*>(info->internals);
        if (X509* leaf = SSL_get0_peer_certificate(ssl)) {
          t->cert_read = true;
          FillLeafCertificate(leaf, &r);
          if (t->verify_peer) {
            r.cert_chain_valid = true;  // curl checked chain and host name, or we would not be here
          } else {
            char* url = nullptr;
            curl_easy_getinfo(t->easy, CURLINFO_EFFECTIVE_URL, &url);
            std::string error;
            if (X509_STORE* store = t->engine->trust_stores_.Get(t->ca_file, &error)) {
              VerifyChain(store, leaf, SSL_get_peer_cert_chain(ssl), UrlHost(url), &r);
            } else {
              r.cert_chain_valid = false;
              r.cert_error = error;
            }
          }
        }
      }
    }
    return n;
  }
  size_t colon = line.find(':');
  if (colon == std::string_view::npos) return n;  // the blank line that ends the headers
  std::string name(Trim(line.substr(0, colon)));
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  r.headers.emplace_back(std::move(name), std::string(Trim(line.substr(colon + 1))));
  return n;
}

size_t HttpEngine::OnBody(char* data, size_t size, size_t count, void* transfer) {
  auto* t = static_cast<Transfer*>(transfer);
  const size_t n = size * count;
  fleet::ProbeResult& r = t->result;
  const size_t room = fleet::ProbeResult::kMaxBody - r.body.size();
  if (n > room) {
    r.body.append(data, room);
    r.body_truncated = true;
  } else {
    r.body.append(data, n);
  }
  // Keep reading past the cap: latency covers the whole response, as documented.
  return n;
}

}  // namespace csoc::probe::internal

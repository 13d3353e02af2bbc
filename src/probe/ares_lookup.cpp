#include "probe/ares_lookup.h"

#include <netinet/in.h>

#include <algorithm>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <cstring>
#include <mutex>

namespace csoc::probe::internal {

namespace asio = boost::asio;

namespace {

void InitAresOnce() {
  static std::once_flag once;
  std::call_once(once, [] { ares_library_init(ARES_LIB_INIT_ALL); });
}

}  // namespace

// A socket c-ares owns and asks us to watch. The descriptor is only borrowed: it is released,
// never closed, because c-ares closes its own sockets.
struct AresLookup::Watch {
  Watch(asio::io_context& io, ares_socket_t fd) : descriptor(io), fd(fd) {}
  ~Watch() { descriptor.release(); }

  asio::posix::stream_descriptor descriptor;
  ares_socket_t fd;
  bool want_read = false, want_write = false;
  bool reading = false, writing = false;  // an async_wait of that direction is outstanding
  bool closed = false;
};

AresLookup::AresLookup(asio::io_context& io, Callback done) : io_(io), done_(std::move(done)), timer_(io) {}

AresLookup::~AresLookup() { Teardown(); }

Status AresLookup::Start(asio::io_context& io, const std::string& name, const Options& options, Callback done,
                         std::shared_ptr<AresLookup>* out) {
  InitAresOnce();
  auto lookup = std::make_shared<AresLookup>(io, std::move(done));

  ares_options opts{};
  int mask = ARES_OPT_SOCK_STATE_CB | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES;
  opts.sock_state_cb = &AresLookup::OnSocketState;
  opts.sock_state_cb_data = lookup.get();
  // Two tries: the first waits a third of the budget, the retry (c-ares doubles it) the rest, so
  // one lost UDP datagram does not fail the lookup.
  opts.timeout = static_cast<int>(std::max<int64_t>(options.timeout.count() / 3, 1));
  opts.tries = 2;
  char lookups_dns_only[] = "b";
  if (!options.server.empty()) {
    mask |= ARES_OPT_LOOKUPS;
    opts.lookups = lookups_dns_only;
  }
  int rc = ares_init_options(&lookup->channel_, &opts, mask);
  if (rc != ARES_SUCCESS) {
    lookup->channel_ = nullptr;
    return Status::Internal(std::string("cannot set up a DNS resolver: ") + ares_strerror(rc));
  }
  if (!options.server.empty()) {
    rc = ares_set_servers_ports_csv(lookup->channel_, options.server.c_str());
    if (rc != ARES_SUCCESS || options.server.find(',') != std::string::npos) {
      return Status::InvalidArgument("invalid DNS server '" + options.server +
                                     "' (expected ip, ip:port or [ipv6]:port)");
    }
  }

  ares_addrinfo_hints hints{};
  hints.ai_family = options.family;
  // Keep the server's answer order: RFC 6724 sorting would reorder the evidence.
  hints.ai_flags = ARES_AI_NOSORT;
  ares_getaddrinfo(lookup->channel_, name.c_str(), nullptr, &hints, &AresLookup::OnAddrInfo, lookup.get());
  // Names from /etc/hosts and literals are answered inside ares_getaddrinfo; deliver those from
  // the loop too, so the callback never runs before Start returns.
  if (lookup->answered_) {
    asio::post(io, [lookup] {
      if (!lookup->finished_) lookup->Finish();
    });
  } else {
    lookup->ArmTimer();
  }
  *out = std::move(lookup);
  return Status::Ok();
}

void AresLookup::OnSocketState(void* data, ares_socket_t fd, int readable, int writable) {
  auto* self = static_cast<AresLookup*>(data);
  auto it = self->watches_.find(fd);
  if (!readable && !writable) {
    // c-ares is about to close the socket: stop watching it first, so epoll never sees a
    // recycled descriptor number.
    if (it != self->watches_.end()) {
      it->second->closed = true;
      it->second->descriptor.release();
      self->watches_.erase(it);
    }
    return;
  }
  if (self->finished_) return;
  std::shared_ptr<Watch> watch;
  if (it == self->watches_.end()) {
    watch = std::make_shared<Watch>(self->io_, fd);
    boost::system::error_code ec;
    watch->descriptor.assign(fd, ec);
    if (ec) return;  // c-ares then times this server out, which the probe reports
    self->watches_.emplace(fd, watch);
  } else {
    watch = it->second;
  }
  watch->want_read = readable != 0;
  watch->want_write = writable != 0;
  self->Arm(watch);
}

void AresLookup::OnAddrInfo(void* arg, int status, int /*timeouts*/, ares_addrinfo* result) {
  auto* self = static_cast<AresLookup*>(arg);
  self->answered_ = true;
  self->status_ = status;
  if (status == ARES_SUCCESS && result) {
    for (ares_addrinfo_node* node = result->nodes; node; node = node->ai_next) {
      if (node->ai_family == AF_INET) {
        const auto* sin = reinterpret_cast<const sockaddr_in*>(node->ai_addr);
        self->addresses_.push_back(asio::ip::address_v4(ntohl(sin->sin_addr.s_addr)));
      } else if (node->ai_family == AF_INET6) {
        const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(node->ai_addr);
        asio::ip::address_v6::bytes_type bytes;
        std::memcpy(bytes.data(), sin6->sin6_addr.s6_addr, bytes.size());
        self->addresses_.push_back(asio::ip::address_v6(bytes));
      }
    }
  }
  if (result) ares_freeaddrinfo(result);
}

void AresLookup::Arm(const std::shared_ptr<Watch>& watch) {
  auto self = shared_from_this();
  auto on_ready = [self, watch](bool read, const boost::system::error_code& ec) {
    (read ? watch->reading : watch->writing) = false;
    if (ec || watch->closed || self->finished_) return;
    if (!(read ? watch->want_read : watch->want_write)) return;
    ares_process_fd(self->channel_, read ? watch->fd : ARES_SOCKET_BAD, read ? ARES_SOCKET_BAD : watch->fd);
    self->AfterProcess();
    if (!watch->closed && !self->finished_) self->Arm(watch);
  };
  if (watch->want_read && !watch->reading) {
    watch->reading = true;
    watch->descriptor.async_wait(asio::posix::stream_descriptor::wait_read,
                                 [on_ready](const boost::system::error_code& ec) { on_ready(true, ec); });
  }
  if (watch->want_write && !watch->writing) {
    watch->writing = true;
    watch->descriptor.async_wait(asio::posix::stream_descriptor::wait_write,
                                 [on_ready](const boost::system::error_code& ec) { on_ready(false, ec); });
  }
}

void AresLookup::AfterProcess() {
  if (answered_) {
    Finish();
  } else {
    ArmTimer();
  }
}

void AresLookup::ArmTimer() {
  timeval tv{};
  if (!ares_timeout(channel_, nullptr, &tv)) {
    timer_.cancel();
    return;
  }
  timer_.expires_after(std::chrono::seconds(tv.tv_sec) + std::chrono::microseconds(tv.tv_usec));
  timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
    if (ec || self->finished_) return;
    ares_process_fd(self->channel_, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
    self->AfterProcess();
  });
}

void AresLookup::Finish() {
  Teardown();
  Callback done = std::move(done_);
  done_ = nullptr;
  done(status_, std::move(addresses_));
}

void AresLookup::Cancel() {
  Teardown();
  done_ = nullptr;
}

void AresLookup::Teardown() {
  finished_ = true;
  if (channel_) {
    // Runs OnSocketState(fd, 0, 0) for open sockets and OnAddrInfo(ARES_EDESTRUCTION) for a
    // pending query; both only touch this object, which is still alive.
    ares_channel channel = channel_;
    channel_ = nullptr;
    ares_destroy(channel);
  }
  timer_.cancel();
  for (auto& [fd, watch] : watches_) {
    watch->closed = true;
    watch->descriptor.release();
  }
  watches_.clear();
}

std::string LookupError(int status, const std::string& name) {
  std::string prefix = "could not resolve host " + name;
  switch (status) {
    case ARES_ENOTFOUND: return prefix + ": domain name not found";
    case ARES_ENODATA: return prefix + ": no address of the requested type";
    case ARES_ESERVFAIL: return prefix + ": server failure";
    case ARES_EREFUSED: return prefix + ": query refused";
    case ARES_ECONNREFUSED: return prefix + ": the DNS server refused the connection";
    default: return prefix + ": " + ares_strerror(status);
  }
}

}  // namespace csoc::probe::internal

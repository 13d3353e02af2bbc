// Private to probe/: one asynchronous name lookup through c-ares, driven by an Asio io_context.
// c-ares tells us which sockets it wants watched (ARES_OPT_SOCK_STATE_CB); Asio waits for them and
// for c-ares's next timeout and hands each event back to ares_process_fd. Each lookup has its own
// channel, so cancelling one (ares_destroy) never touches another, and a check's name server and
// timeout apply to its lookup alone.
//
// Threading: belongs to the io_context's thread.
#pragma once

#include <ares.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/status.h"

namespace csoc::probe::internal {

class AresLookup : public std::enable_shared_from_this<AresLookup> {
 public:
  struct Options {
    int family = AF_UNSPEC;  // AF_INET (A), AF_INET6 (AAAA) or AF_UNSPEC (both)
    // "ip", "ip:port" or "[ipv6]:port"; empty: /etc/resolv.conf and /etc/hosts. With a server
    // set, only that server is asked (no hosts file): the point is to probe it.
    std::string server;
    // c-ares gives up after about this long; the caller's own deadline is the authority.
    std::chrono::milliseconds timeout{5000};
  };
  // `status` is an ARES_* code; addresses are in answer order.
  using Callback = std::function<void(int status, std::vector<boost::asio::ip::address> addresses)>;

  // Starts looking up `name`. On success `*out` holds the lookup and `done` runs exactly once,
  // never before Start returns, unless Cancel() is called first. On error (bad server string,
  // channel set-up failure) nothing is started and `done` never runs.
  static Status Start(boost::asio::io_context& io, const std::string& name, const Options& options, Callback done,
                      std::shared_ptr<AresLookup>* out);

  // Stops the lookup; `done` does not run afterwards.
  void Cancel();

  AresLookup(boost::asio::io_context& io, Callback done);
  ~AresLookup();
  AresLookup(const AresLookup&) = delete;
  AresLookup& operator=(const AresLookup&) = delete;

 private:
  struct Watch;

  static void OnSocketState(void* data, ares_socket_t fd, int readable, int writable);
  static void OnAddrInfo(void* arg, int status, int timeouts, ares_addrinfo* result);

  void Arm(const std::shared_ptr<Watch>& watch);
  void AfterProcess();
  void ArmTimer();
  void Finish();
  void Teardown();

  boost::asio::io_context& io_;
  Callback done_;
  ares_channel channel_ = nullptr;
  boost::asio::steady_timer timer_;
  std::unordered_map<ares_socket_t, std::shared_ptr<Watch>> watches_;
  bool answered_ = false;  // c-ares delivered the result
  bool finished_ = false;  // the result went out, or the lookup was cancelled
  int status_ = ARES_SUCCESS;
  std::vector<boost::asio::ip::address> addresses_;
};

// A readable message for a failed lookup of `name`, e.g. "could not resolve host db.example:
// domain name not found". ARES_ETIMEOUT is reported by the caller as its own timeout.
std::string LookupError(int status, const std::string& name);

}  // namespace csoc::probe::internal

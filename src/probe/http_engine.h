// Private to probe/: HTTP(S) probes through one libcurl multi handle driven by Asio. curl names
// the sockets it wants watched (CURLMOPT_SOCKETFUNCTION) and when it next needs a timeout call
// (CURLMOPT_TIMERFUNCTION); Asio waits for exactly those and reports each event back with
// curl_multi_socket_action. Easy handles and their per-transfer state are pooled, so a probe
// costs no curl_easy_init and no fresh buffers in the steady state.
//
// Host names in URLs are resolved by libcurl itself: Debian's libcurl uses its threaded resolver
// (a short-lived thread per lookup, not per probe: answers are cached per multi handle for 60 s).
// Proxy variables in the environment are ignored.
//
// Threading: belongs to the io_context's thread.
#pragma once

#include <curl/curl.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <unordered_map>
#include <vector>

#include "fleet/model.h"
#include "fleet/probe_result.h"
#include "probe/certificate.h"
#include "probe/prober.h"

namespace csoc::probe::internal {

class HttpEngine {
 public:
  using Done = std::function<void(fleet::ProbeResult)>;

  HttpEngine(boost::asio::io_context& io, const ProberOptions& options);
  ~HttpEngine();
  HttpEngine(const HttpEngine&) = delete;
  HttpEngine& operator=(const HttpEngine&) = delete;

  // `done` runs exactly once, from the loop (never inside Start), unless CancelAll() comes first.
  void Start(const fleet::HttpSpec& spec, std::chrono::milliseconds timeout, Done done);
  void CancelAll();
  size_t in_flight() const { return active_.size(); }

 private:
  struct Transfer;
  struct Socket;

  static int OnSocket(CURL* easy, curl_socket_t fd, int what, void* engine, void* socket_data);
  static int OnTimer(CURLM* multi, long timeout_ms, void* engine);
  static int OnCloseSocket(void* engine, curl_socket_t fd);
  static size_t OnHeader(char* data, size_t size, size_t count, void* transfer);
  static size_t OnBody(char* data, size_t size, size_t count, void* transfer);

  Transfer* Acquire();
  void Release(Transfer* t);
  CURLcode Configure(Transfer* t, const fleet::HttpSpec& spec, std::chrono::milliseconds timeout);
  void FailSoon(Transfer* t, std::string error);
  std::string ErrorText(const Transfer& t, CURLcode code) const;
  void ArmTimer(std::chrono::steady_clock::time_point at);
  void Watch(const std::shared_ptr<Socket>& socket);
  void Forget(curl_socket_t fd);
  void Action(curl_socket_t fd, int events);
  void CollectDone();
  void Complete(Transfer* t, CURLcode code, std::vector<std::pair<Done, fleet::ProbeResult>>* out);

  boost::asio::io_context& io_;
  ProberOptions options_;
  CURLM* multi_ = nullptr;
  boost::asio::steady_timer timer_;
  bool timer_armed_ = false;  // a wait on timer_ is outstanding, for timer_at_
  std::chrono::steady_clock::time_point timer_at_;
  std::optional<std::chrono::steady_clock::time_point> curl_due_;  // when curl wants its timeout call
  std::unordered_map<curl_socket_t, std::shared_ptr<Socket>> sockets_;
  std::vector<std::unique_ptr<Transfer>> active_;  // Transfer::slot indexes this
  std::vector<std::unique_ptr<Transfer>> pool_;
  TrustStores trust_stores_;  // for HTTPS probes that do not verify but still report the chain
  // Bumped by CancelAll, so a batch of completions stops delivering once a callback cancels.
  uint64_t epoch_ = 0;
  // Handlers hold a weak_ptr to this: once it expires, the engine is gone and they do nothing.
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

}  // namespace csoc::probe::internal

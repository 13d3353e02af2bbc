// End-to-end throughput of the notification outbox (alert/outbox.h): enqueue N notifications,
// each committed to SQLite before Enqueue returns, and let the outbox's workers POST them as JSON
// (alert/notification_json.h) with libcurl, one keep-alive connection per worker, to a local HTTP
// sink that answers 200. The clock runs from the first Enqueue until every outcome is committed
// (the store counts N delivered). CPU is this process's user + system time over the same span; the
// sink runs in-process, so its own threads' CPU is measured and reported apart.
// The last line of the output is "RESULT {json}".
//
//   outbox_load [--n 10000] [--workers 4] [--groups 0] [--db /tmp/outbox.db]
//
// --groups 0 gives every notification its own group (no ordering constraint between them); a
// positive number spreads them over that many groups, whose notices then go out one at a time.
#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "alert/notification_json.h"
#include "alert/outbox.h"
#include "load_common.h"

namespace {

using csoc::alert::DeliveryResult;
using csoc::alert::Notification;

double ThreadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

// A minimal HTTP/1.1 server on 127.0.0.1: one thread per connection, answers every request with
// an empty 200 and keeps the connection open. Enough for a webhook receiver's POSTs.
class Sink {
 public:
  bool Start() {
    listen_fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    if (listen_fd_ < 0 || bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
        listen(listen_fd_, 64) != 0 || getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      std::perror("outbox_load: sink");
      return false;
    }
    port_ = ntohs(addr.sin_port);
    acceptor_ = std::thread([this] { Accept(); });
    return true;
  }

  // Call after every client closed its connections.
  void Stop() {
    shutdown(listen_fd_, SHUT_RDWR);
    close(listen_fd_);
    acceptor_.join();
    std::lock_guard lock(mu_);
    for (std::thread& t : connections_) t.join();
  }

  int port() const { return port_; }
  uint64_t requests() const { return requests_.load(); }
  double cpu_seconds() const { return cpu_micros_.load() / 1e6; }

 private:
  void Accept() {
    for (;;) {
      int fd = accept(listen_fd_, nullptr, nullptr);
      if (fd < 0) return;
      std::lock_guard lock(mu_);
      connections_.emplace_back([this, fd] { Serve(fd); });
    }
  }

  void Serve(int fd) {
    static constexpr std::string_view kAnswer = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
    std::string buffer;
    char chunk[65536];
    for (;;) {
      ssize_t n = recv(fd, chunk, sizeof(chunk), 0);
      if (n <= 0) break;
      buffer.append(chunk, static_cast<size_t>(n));
      for (;;) {
        size_t end = buffer.find("\r\n\r\n");
        if (end == std::string::npos) break;
        size_t body = 0;
        std::string head = buffer.substr(0, end);
        for (char& c : head) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (size_t at = head.find("content-length:"); at != std::string::npos) {
          body = std::stoul(head.substr(at + 15));
        }
        if (buffer.size() < end + 4 + body) break;
        buffer.erase(0, end + 4 + body);
        ++requests_;
        if (send(fd, kAnswer.data(), kAnswer.size(), MSG_NOSIGNAL) < 0) break;
      }
    }
    close(fd);
    cpu_micros_ += static_cast<uint64_t>(ThreadCpuSeconds() * 1e6);
  }

  int listen_fd_ = -1;
  int port_ = 0;
  std::thread acceptor_;
  std::mutex mu_;
  std::vector<std::thread> connections_;
  std::atomic<uint64_t> requests_{0};
  std::atomic<uint64_t> cpu_micros_{0};
};

size_t Discard(char*, size_t size, size_t count, void*) { return size * count; }

// A webhook-shaped receiver: POSTs the notification's JSON. Each delivery worker keeps its own
// curl handle (and so its own keep-alive connection).
class CurlReceiver : public csoc::alert::Receiver {
 public:
  explicit CurlReceiver(std::string url) : Receiver("sink", true), url_(std::move(url)) {}
  std::string_view type() const override { return "webhook"; }

  DeliveryResult Send(const Notification& n, std::chrono::milliseconds timeout) const override {
    struct Handle {
      CURL* easy = curl_easy_init();
      curl_slist* headers = curl_slist_append(curl_slist_append(nullptr, "Content-Type: application/json"), "Expect:");
      ~Handle() {
        curl_slist_free_all(headers);
        curl_easy_cleanup(easy);
      }
    };
    thread_local Handle handle;
    const std::string body = csoc::alert::NotificationToText(n);
    CURL* easy = handle.easy;
    curl_easy_setopt(easy, CURLOPT_URL, url_.c_str());
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, handle.headers);
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, Discard);
    curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
    curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);  // a multi-threaded program: no SIGALRM for timeouts
    curl_easy_setopt(easy, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
    const CURLcode rc = curl_easy_perform(easy);
    long status = 0;
    if (rc != CURLE_OK) return csoc::alert::ClassifyHttpStatus(0, curl_easy_strerror(rc));
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
    return csoc::alert::ClassifyHttpStatus(static_cast<int>(status), "HTTP " + std::to_string(status));
  }

 private:
  std::string url_;
};

Notification MakeNotification(size_t i, size_t groups) {
  Notification n;
  n.id = "bench-" + std::to_string(i);
  n.receiver = "sink";
  const size_t group = groups == 0 ? i : i % groups;
  n.group_key = "{}/{service=\"svc-" + std::to_string(group) + "\"}";
  n.group_labels = {{"service", "svc-" + std::to_string(group)}};
  n.common_labels = {{"alertname", "ProbeFailing"}, {"service", "svc-" + std::to_string(group)}, {"severity", "critical"}};
  n.common_annotations = {{"summary", "The probe of svc-" + std::to_string(group) + " fails"}};
  csoc::alert::Alert a;
  a.labels = n.common_labels;
  a.labels["check"] = "http-" + std::to_string(i % 7);
  a.annotations = {{"summary", n.common_annotations["summary"]}, {"runbook_url", "https://runbooks.example/probe"}};
  a.starts_at = csoc::Clock::now() - std::chrono::minutes(3);
  a.generator_url = "https://csoc.example/checks/http";
  n.alerts = {a};
  n.external_url = "https://csoc.example";
  n.created = csoc::Clock::now();
  return n;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"End-to-end throughput of the alert outbox to a local HTTP sink"};
  size_t count = 10'000, groups = 0;
  int workers = 4;
  std::string db;
  app.add_option("--n", count, "notifications to send");
  app.add_option("--workers", workers, "outbox delivery workers");
  app.add_option("--groups", groups, "groups to spread them over (0: one per notification)");
  app.add_option("--db", db, "SQLite file (default: a fresh one under /tmp, removed afterwards)");
  CLI11_PARSE(app, argc, argv);

  std::filesystem::path dir;
  if (db.empty()) {
    dir = std::filesystem::temp_directory_path() / ("csoc-outbox-load-" + std::to_string(getpid()));
    std::filesystem::create_directories(dir);
    db = (dir / "csoc.db").string();
  }
  if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
    std::fprintf(stderr, "curl_global_init failed\n");
    return 1;
  }
  Sink sink;
  if (!sink.Start()) return 1;
  auto receiver = std::make_shared<CurlReceiver>("http://127.0.0.1:" + std::to_string(sink.port()) + "/hook");

  std::vector<Notification> notifications;
  notifications.reserve(count);
  for (size_t i = 0; i < count; ++i) notifications.push_back(MakeNotification(i, groups));

  std::unique_ptr<csoc::alert::OutboxStore> store;
  csoc::Status s = csoc::alert::OpenSqliteOutboxStore(db, &store);
  if (!s.ok()) {
    std::fprintf(stderr, "outbox_load: %s\n", s.ToString().c_str());
    return 1;
  }
  csoc::alert::OutboxOptions options;
  options.workers = workers;
  std::unique_ptr<csoc::alert::Outbox> outbox;
  s = csoc::alert::Outbox::Open(std::move(store), [receiver](const std::string&) { return receiver; }, nullptr,
                                options, &outbox);
  if (!s.ok()) {
    std::fprintf(stderr, "outbox_load: %s\n", s.ToString().c_str());
    return 1;
  }

  const double cpu_start = csoc::bench::SelfCpuSeconds();
  const auto start = std::chrono::steady_clock::now();
  for (Notification& n : notifications) {
    s = outbox->Enqueue(std::move(n));
    if (!s.ok()) {
      std::fprintf(stderr, "outbox_load: enqueue: %s\n", s.ToString().c_str());
      return 1;
    }
  }
  const double enqueue_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  csoc::alert::OutboxCounts counts;
  for (;;) {
    // Cheap to wait on the sink first; then the store, for the last outcomes' commits.
    if (sink.requests() >= count) {
      s = outbox->Counts(&counts);
      if (!s.ok()) {
        std::fprintf(stderr, "outbox_load: %s\n", s.ToString().c_str());
        return 1;
      }
      if (counts.pending + counts.in_flight == 0) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double cpu = csoc::bench::SelfCpuSeconds() - cpu_start;
  outbox->Stop();
  outbox.reset();  // the workers' curl handles (and connections) are gone with their threads
  sink.Stop();
  curl_global_cleanup();
  if (!dir.empty()) std::filesystem::remove_all(dir);

  const double per_s = static_cast<double>(count) / wall;
  const double cpu_us = cpu * 1e6 / static_cast<double>(count);
  const double sink_cpu_us = sink.cpu_seconds() * 1e6 / static_cast<double>(count);
  std::printf(
      "%zu notifications through the outbox (%d workers, %s) in %.3f s: %.0f notifications/s end to end "
      "(enqueue alone %.0f/s); CPU %.1f us per notification (%.1f us without the in-process sink); "
      "delivered %lld, failed %lld, expired %lld, sink requests %llu\n",
      count, workers, groups == 0 ? "one group each" : (std::to_string(groups) + " groups").c_str(), wall, per_s,
      static_cast<double>(count) / enqueue_s, cpu_us, cpu_us - sink_cpu_us, static_cast<long long>(counts.delivered),
      static_cast<long long>(counts.failed), static_cast<long long>(counts.expired),
      static_cast<unsigned long long>(sink.requests()));
  nlohmann::ordered_json out = {
      {"tool", "csoc-outbox"},
      {"notifications", count},
      {"workers", workers},
      {"groups", groups},
      {"wall_s", wall},
      {"notifications_per_s", per_s},
      {"enqueue_per_s", static_cast<double>(count) / enqueue_s},
      {"cpu_s", cpu},
      {"cpu_us_per_notification", cpu_us},
      {"cpu_us_per_notification_without_sink", cpu_us - sink_cpu_us},
      {"delivered", counts.delivered},
      {"failed", counts.failed},
      {"expired", counts.expired},
      {"sink_requests", sink.requests()},
  };
  std::printf("RESULT %s\n", out.dump().c_str());
  return counts.delivered == static_cast<int64_t>(count) && sink.requests() == count ? 0 : 1;
}

// A Loki push client shaped like Promtail and Grafana Alloy's loki.write: it reads a log file,
// cuts it into batches of at most --batch-bytes of log lines (1 MiB, their default batch size),
// one stream with the given labels, encodes every batch as protobuf + snappy (their default
// encoding) before the clock starts, and then POSTs them to /loki/api/v1/push on keep-alive
// connections, one batch in flight per sender (Promtail's client sends one batch at a time).
// Every answer must be 204: csoc answers a push only after the commit that stores it, so when the
// last answer arrives every line is counted.
// The last line of the output is "RESULT {json}" for bench/logs_report.sh.
//
//   loki_push_load --url http://127.0.0.1:8080/loki/api/v1/push --token csoc_... --file gen3.log
//       --label namespace=bench [--batch-bytes 1048576] [--senders 1]
#include <curl/curl.h>
#include <snappy.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "load_common.h"
#include "logs/loki_push.pb.h"

namespace {

size_t Discard(char*, size_t size, size_t count, void*) { return size * count; }

struct Batch {
  std::string body;  // protobuf + snappy
  size_t lines = 0;
};

// Cuts the file's lines into batches of at most batch_bytes of line text (a longer line is a batch
// of its own), each one stream labelled `labels`, timestamped now as a shipper would.
std::vector<Batch> EncodeBatches(const std::string& path, const std::string& labels, size_t batch_bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "loki_push_load: cannot read %s\n", path.c_str());
    std::exit(2);
  }
  std::vector<Batch> batches;
  logproto::PushRequest request;
  logproto::StreamAdapter* stream = nullptr;
  size_t bytes = 0, lines = 0;
  auto flush = [&] {
    if (lines == 0) return;
    std::string raw;
    request.SerializeToString(&raw);
    Batch b;
    snappy::Compress(raw.data(), raw.size(), &b.body);
    b.lines = lines;
    batches.push_back(std::move(b));
    request.Clear();
    stream = nullptr;
    bytes = lines = 0;
  };
  std::string line;
  const int64_t now = std::time(nullptr);
  int32_t nanos = 0;
  while (std::getline(in, line)) {
    if (bytes > 0 && bytes + line.size() > batch_bytes) flush();
    if (!stream) {
      stream = request.add_streams();
      stream->set_labels(labels);
    }
    auto* entry = stream->add_entries();
    entry->mutable_timestamp()->set_seconds(now);
    entry->mutable_timestamp()->set_nanos(nanos);
    nanos = (nanos + 1) % 1'000'000'000;
    entry->set_line(line);
    bytes += line.size();
    ++lines;
  }
  flush();
  return batches;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Push a log file to a Loki push API as Promtail does (protobuf + snappy batches)"};
  std::string url, token, file, label = "namespace=bench";
  size_t batch_bytes = 1 << 20;
  unsigned senders = 1;
  app.add_option("--url", url, "the push URL, e.g. http://127.0.0.1:8080/loki/api/v1/push")->required();
  app.add_option("--token", token, "bearer token (a csoc token with the logs:ingest scope)")->required();
  app.add_option("--file", file, "the log file whose lines are pushed")->required()->check(CLI::ExistingFile);
  app.add_option("--label", label, "the stream's one label, name=value");
  app.add_option("--batch-bytes", batch_bytes, "most bytes of log lines per batch (Promtail's batchsize)")
      ->check(CLI::PositiveNumber);
  app.add_option("--senders", senders, "batches in flight at once, each on its own connection")->check(CLI::Range(1u, 64u));
  CLI11_PARSE(app, argc, argv);
  const size_t eq = label.find('=');
  if (eq == std::string::npos || eq == 0) {
    std::fprintf(stderr, "--label: '%s' is not name=value\n", label.c_str());
    return 2;
  }
  const std::string labels = "{" + label.substr(0, eq) + "=\"" + label.substr(eq + 1) + "\"}";

  std::fprintf(stderr, "encoding %s as protobuf + snappy batches of at most %zu bytes...\n", file.c_str(), batch_bytes);
  const std::vector<Batch> batches = EncodeBatches(file, labels, batch_bytes);
  size_t total_lines = 0, total_body = 0;
  for (const Batch& b : batches) {
    total_lines += b.lines;
    total_body += b.body.size();
  }
  if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
    std::fprintf(stderr, "curl_global_init failed\n");
    return 1;
  }
  const std::string auth = "Authorization: Bearer " + token;
  std::atomic<size_t> next{0}, failures{0};
  std::vector<std::string> errors(senders);
  auto send = [&](unsigned id) {
    CURL* easy = curl_easy_init();
    curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/x-protobuf");
    headers = curl_slist_append(headers, auth.c_str());
    headers = curl_slist_append(headers, "Expect:");
    curl_easy_setopt(easy, CURLOPT_URL, url.c_str());
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, Discard);
    curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, 60'000L);
    for (size_t i = next++; i < batches.size(); i = next++) {
      curl_easy_setopt(easy, CURLOPT_POSTFIELDS, batches[i].body.data());
      curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(batches[i].body.size()));
      long status = 0;
      const CURLcode rc = curl_easy_perform(easy);
      if (rc != CURLE_OK || curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status) != CURLE_OK || status != 204) {
        ++failures;
        if (errors[id].empty()) {
          errors[id] = "batch " + std::to_string(i) + ": " +
                       (rc != CURLE_OK ? curl_easy_strerror(rc) : "HTTP " + std::to_string(status));
        }
      }
    }
    curl_slist_free_all(headers);
    curl_easy_cleanup(easy);
  };
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  for (unsigned id = 0; id < senders; ++id) threads.emplace_back(send, id);
  for (std::thread& t : threads) t.join();
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  curl_global_cleanup();
  for (const std::string& e : errors) {
    if (!e.empty()) std::fprintf(stderr, "loki_push_load: %s\n", e.c_str());
  }
  std::printf("%zu lines in %zu batches (%.1f MB protobuf+snappy) pushed in %.3f s by %u sender(s): %.0f lines/s, %zu failed\n",
              total_lines, batches.size(), static_cast<double>(total_body) / 1e6, wall, senders,
              static_cast<double>(total_lines) / wall, failures.load());
  nlohmann::ordered_json out = {
      {"tool", "loki-push"},    {"lines", total_lines},       {"batches", batches.size()},
      {"body_bytes", total_body}, {"senders", senders},        {"wall_s", wall},
      {"lines_per_s", static_cast<double>(total_lines) / wall}, {"failed", failures.load()},
  };
  std::printf("RESULT %s\n", out.dump().c_str());
  return failures == 0 ? 0 : 1;
}

#include "logs/report.h"

#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>

#include "logs/json.h"

namespace csoc::logs {
namespace {

constexpr size_t kBlockBytes = 1 << 20;

struct Chunk {
  std::string buffer;  // whole lines in [begin, end); the buffer is reused and never shrinks
  size_t begin = 0, end = 0;
  size_t source = 0;  // index into the inputs
  uint64_t first_line = 0;
};

// A bounded queue of chunks: the reader waits when the parsers are behind.
class ChunkQueue {
 public:
  explicit ChunkQueue(size_t capacity) : capacity_(capacity) {}
  void Push(Chunk c) {
    std::unique_lock lock(mu_);
    not_full_.wait(lock, [&] { return queue_.size() < capacity_; });
    queue_.push_back(std::move(c));
    not_empty_.notify_one();
  }
  bool Pop(Chunk* c) {
    std::unique_lock lock(mu_);
    not_empty_.wait(lock, [&] { return !queue_.empty() || closed_; });
    if (queue_.empty()) return false;
    *c = std::move(queue_.front());
    queue_.pop_front();
    not_full_.notify_one();
    return true;
  }
  void Close() {
    std::lock_guard lock(mu_);
    closed_ = true;
    not_empty_.notify_all();
  }
  // A used chunk's buffer, returned so the reader need not allocate another.
  void Recycle(std::string buffer) {
    std::lock_guard lock(mu_);
    if (free_.size() < capacity_ + 4) free_.push_back(std::move(buffer));
  }
  std::string TakeBuffer() {
    std::lock_guard lock(mu_);
    if (free_.empty()) return {};
    std::string b = std::move(free_.back());
    free_.pop_back();
    return b;
  }

 private:
  std::mutex mu_;
  std::condition_variable not_full_, not_empty_;
  std::deque<Chunk> queue_;
  std::vector<std::string> free_;
  size_t capacity_;
  bool closed_ = false;
};

struct Worker {
  explicit Worker(const ReportOptions& o) : analyzer(o.format, o.max_line_bytes) {}
  LineAnalyzer analyzer;
  Aggregate total;
  std::map<int64_t, MinutePoint> per_minute;
  int64_t first_ms = INT64_MAX, last_ms = INT64_MIN;
  int64_t cached_minute = INT64_MIN;
  MinutePoint* cached_point = nullptr;

  void Count(const LogRecord& r) {
    total.Add(r);
    const int64_t minute = r.time_ms - r.time_ms % 60'000;
    if (minute != cached_minute) {
      cached_minute = minute;
      cached_point = &per_minute[minute];
    }
    ++cached_point->requests;
    cached_point->client_errors += r.status >= 400 && r.status < 500;
    cached_point->server_errors += r.status >= 500;
    cached_point->bytes += r.bytes;
    first_ms = std::min(first_ms, r.time_ms);
    last_ms = std::max(last_ms, r.time_ms);
  }
};

// Newlines in `text`, found with memchr (vectorised in libc) rather than a byte loop.
uint64_t CountLines(std::string_view text) {
  uint64_t n = 0;
  const char* p = text.data();
  const char* end = p + text.size();
  while (p < end) {
    const void* nl = std::memchr(p, '\n', static_cast<size_t>(end - p));
    if (nl == nullptr) break;
    ++n;
    p = static_cast<const char*>(nl) + 1;
  }
  return n;
}

std::string GzError(gzFile f, const std::string& name) {
  int code = 0;
  const char* msg = gzerror(f, &code);
  if (code == Z_ERRNO) return name + ": " + std::strerror(errno);
  return name + ": " + (msg ? msg : "read error");
}

// Reads the inputs one after another into chunks of whole lines.
class Reader {
 public:
  Reader(const std::vector<std::string>& inputs, const ReportOptions& options, ChunkQueue* queue,
         std::atomic<uint64_t>* lines_done)
      : inputs_(inputs), options_(options), queue_(queue), lines_done_(lines_done), too_long_(options.format) {
    for (const std::string& in : inputs) {
      struct stat st {};
      if (in != "-" && ::stat(in.c_str(), &st) == 0) total_bytes_ += static_cast<uint64_t>(st.st_size);
      if (in == "-") total_bytes_ = 0, unknown_total_ = true;
    }
  }

  Status Run() {
    start_ = std::chrono::steady_clock::now();
    for (size_t i = 0; i < inputs_.size(); ++i) CSOC_RETURN_IF_ERROR(ReadOne(i));
    Progress(true);
    return Status::Ok();
  }
  uint64_t text_bytes() const { return text_bytes_; }
  LineAnalyzer& too_long() { return too_long_; }

 private:
  Status ReadOne(size_t index) {
    const std::string& name = inputs_[index];
    gzFile f = name == "-" ? gzdopen(::dup(0), "rb") : gzopen(name.c_str(), "rb");
    if (f == nullptr) {
      return Status::IOError(name + ": " + (errno ? std::strerror(errno) : "cannot open"));
    }
    gzbuffer(f, 256 * 1024);
    std::string carry;
    uint64_t line_number = 1;  // of the first line in `carry`
    bool skipping = false;     // inside a line longer than the limit, discarding up to its end
    Status status;
    while (true) {
      // Read straight into the next chunk's buffer, after the partial line left from before. A
      // recycled buffer is already large enough, so it is not cleared again.
      std::string buffer = queue_->TakeBuffer();
      const size_t start = carry.size();
      if (buffer.size() < start + kBlockBytes) buffer.resize(start + kBlockBytes);
      std::memcpy(buffer.data(), carry.data(), start);
      const int n = gzread(f, buffer.data() + start, static_cast<unsigned>(kBlockBytes));
      if (n < 0) {
        status = Status::IOError(GzError(f, name));
        break;
      }
      if (n == 0) {
        // At the end of the input. Z_BUF_ERROR: it ended inside a gzip stream (a file cut short).
        int code = Z_OK;
        gzerror(f, &code);
        if (code == Z_BUF_ERROR) status = Status::IOError(name + ": the gzip data ends early (the file is cut short)");
        break;
      }
      text_bytes_ += static_cast<uint64_t>(n);
      const std::string_view data(buffer.data(), start + static_cast<size_t>(n));
      size_t from = 0;
      if (skipping) {
        const size_t nl = data.find('\n', start);
        if (nl == std::string_view::npos) {
          queue_->Recycle(std::move(buffer));
          continue;
        }
        from = nl + 1;
        ++line_number;
        skipping = false;
      }
      const size_t last_nl = data.rfind('\n');
      if (last_nl == std::string_view::npos || last_nl < from) {
        carry.assign(data.substr(from));
        queue_->Recycle(std::move(buffer));
        if (carry.size() > options_.max_line_bytes) {
          too_long_.AddTooLong(name, line_number, carry);
          carry.clear();
          skipping = true;
        }
        continue;
      }
      carry.assign(data.substr(last_nl + 1));
      const uint64_t first = line_number;
      line_number += CountLines(data.substr(from, last_nl + 1 - from));
      queue_->Push(Chunk{std::move(buffer), from, last_nl + 1, index, first});
      compressed_done_ = base_done_ + static_cast<uint64_t>(std::max<z_off_t>(gzoffset(f), 0));
      Progress(false);
    }
    if (status.ok() && !carry.empty()) {
      if (carry.size() > options_.max_line_bytes) {
        too_long_.AddTooLong(name, line_number, carry);
      } else {
        const size_t length = carry.size();
        queue_->Push(Chunk{std::move(carry), 0, length, index, line_number});
      }
    }
    struct stat st {};
    if (name != "-" && ::stat(name.c_str(), &st) == 0) base_done_ += static_cast<uint64_t>(st.st_size);
    compressed_done_ = base_done_;
    gzclose(f);
    return status;
  }

  void Progress(bool final) {
    if (!options_.progress) return;
    const auto now = std::chrono::steady_clock::now();
    if (!final && now - last_progress_ < std::chrono::milliseconds(200)) return;
    last_progress_ = now;
    ReportProgress p;
    p.bytes_read = compressed_done_;
    p.bytes_total = unknown_total_ ? 0 : total_bytes_;
    p.lines = lines_done_->load(std::memory_order_relaxed);
    p.seconds = std::chrono::duration<double>(now - start_).count();
    options_.progress(p);
  }

  const std::vector<std::string>& inputs_;
  const ReportOptions& options_;
  ChunkQueue* queue_;
  std::atomic<uint64_t>* lines_done_;
  LineAnalyzer too_long_;  // only its error log is used: lines cut by the reader
  uint64_t total_bytes_ = 0, base_done_ = 0, compressed_done_ = 0, text_bytes_ = 0;
  bool unknown_total_ = false;
  std::chrono::steady_clock::time_point start_, last_progress_;
};

}  // namespace

Status BuildReport(const std::vector<std::string>& inputs, const ReportOptions& options, Report* out) {
  const auto start = std::chrono::steady_clock::now();
  const unsigned threads = options.threads ? options.threads : std::max(1u, std::thread::hardware_concurrency());
  ChunkQueue queue(threads * 2);
  std::atomic<uint64_t> lines_done{0};
  std::vector<std::unique_ptr<Worker>> workers;
  std::vector<std::thread> pool;
  for (unsigned i = 0; i < threads; ++i) workers.push_back(std::make_unique<Worker>(options));
  for (unsigned i = 0; i < threads; ++i) {
    pool.emplace_back([&, w = workers[i].get()] {
      Chunk chunk;
      while (queue.Pop(&chunk)) {
        const uint64_t before = w->analyzer.lines();
        w->analyzer.Feed(std::string_view(chunk.buffer).substr(chunk.begin, chunk.end - chunk.begin), inputs[chunk.source], chunk.first_line,
                         [w](const LogRecord& r) { w->Count(r); });
        lines_done.fetch_add(w->analyzer.lines() - before, std::memory_order_relaxed);
        queue.Recycle(std::move(chunk.buffer));
      }
    });
  }
  Reader reader(inputs, options, &queue, &lines_done);
  const Status status = reader.Run();
  queue.Close();
  for (std::thread& t : pool) t.join();
  if (!status.ok()) return status;

  Report r;
  r.format = std::string(options.format.Name());
  r.input_bytes = reader.text_bytes();
  int64_t first = INT64_MAX, last = INT64_MIN;
  r.errors.Merge(reader.too_long().errors());
  r.lines = reader.too_long().lines();
  for (const auto& w : workers) {
    r.total.Merge(w->total);
    for (const auto& [minute, p] : w->per_minute) {
      MinutePoint& mine = r.per_minute[minute];
      mine.requests += p.requests;
      mine.client_errors += p.client_errors;
      mine.server_errors += p.server_errors;
      mine.bytes += p.bytes;
    }
    r.errors.Merge(w->analyzer.errors());
    r.lines += w->analyzer.lines();
    first = std::min(first, w->first_ms);
    last = std::max(last, w->last_ms);
  }
  if (r.total.requests > 0) {
    r.first_ms = first;
    r.last_ms = last;
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  *out = std::move(r);
  return Status::Ok();
}

std::string ReportJson(const Report& report, size_t top_n) {
  nlohmann::json j;
  j["format"] = report.format;
  j["lines"] = report.lines;
  j["input_bytes"] = report.input_bytes;
  j["seconds"] = report.seconds;
  j["from"] = report.first_ms;
  j["to"] = report.last_ms;
  j["summary"] = AggregateJson(report.total, top_n);
  j["parse_errors"] = ErrorLogJson(report.errors);
  nlohmann::json series = nlohmann::json::array();
  for (const auto& [minute, p] : report.per_minute) {
    series.push_back({{"t", minute}, {"requests", p.requests}, {"client_errors", p.client_errors},
                      {"server_errors", p.server_errors}, {"bytes", p.bytes}});
  }
  j["per_minute"] = std::move(series);
  return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);  // log text may be any bytes
}

}  // namespace csoc::logs

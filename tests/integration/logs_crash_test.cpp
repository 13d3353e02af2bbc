// Nothing lost, nothing counted twice: the real `csoc serve` follows a Gen3 log while the test
// appends generated lines (in pieces that cut lines in two), kills csoc with SIGKILL at moments
// when it has read lines it has not committed yet (and once while the file ends in half a line),
// restarts it on the same data directory, and rotates the file once while csoc is down and once
// while it runs. At the end the API's requests, status codes, sign-ins, downloads and rejected
// lines equal what `csoc logs generate --truth` says it wrote, at every resolution; a clean
// restart after that changes nothing. Processes are stopped by PID.
#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "core/time.h"
#include "support/support.h"

namespace csoc {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using testing::HttpGet;
using testing::Process;
using testing::ReadFile;
using testing::RunCommand;
using testing::TempDir;
using testing::WaitFor;
using testing::WriteFile;

namespace fs = std::filesystem;

constexpr uint64_t kLines = 40'000;
constexpr const char* kSource = "alpha-proxy";

class LogsCrash : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::create_directories(dir_.path() / "fleet" / "logs");
    log_ = dir_.path() / "fleet" / "logs" / "access.log";
    // The lines, generated up front: 40,000 Gen3 lines at 100 per second, ending ten minutes ago,
    // so that minute, hour and day rows all keep them.
    const int64_t start_ms = ToUnixMillis(Clock::now()) - (kLines / 100 + 600) * 1000;
    const fs::path all = dir_.path() / "all.log", truth = dir_.path() / "truth.json";
    const auto gen = RunCommand({CSOC_BINARY, "logs", "generate", "--format", "gen3", "--lines", std::to_string(kLines),
                                 "--seed", "21", "--rate", "100", "--malformed", "0.01", "--start",
                                 FormatIso8601(FromUnixMillis(start_ms)), "--out", all.string(), "--truth", truth.string()},
                                dir_.path());
    ASSERT_EQ(gen.code, 0) << gen.Describe();
    truth_ = json::parse(ReadFile(truth));
    const std::string text = ReadFile(all);
    for (size_t start = 0; start < text.size();) {
      const size_t nl = text.find('\n', start);
      lines_.push_back(text.substr(start, nl + 1 - start));
      start = nl + 1;
    }
    ASSERT_EQ(lines_.size(), kLines);
    WriteFile(dir_.path() / "fleet" / "fleet.yaml",
              "settings:\n"
              "  data_dir: " + (dir_.path() / "data").string() + "\n"
              "environments:\n"
              "  - name: alpha\n"
              "    cluster: test\n"
              "    services:\n"
              "      - name: web\n"
              "        checks:\n"
              "          - name: port\n"
              "            type: tcp\n"
              "            host: 127.0.0.1\n"
              "            port: " + std::to_string(testing::FreePort()) + "\n"
              "            interval: 1m\n"
              "logs:\n"
              "  sources:\n"
              "    - name: " + kSource + "\n"
              "      environment: alpha\n"
              "      format: gen3\n"
              "      file: logs/access.log\n");
  }

  void Start() {
    port_ = testing::FreePort();
    ++runs_;
    server_ = std::make_unique<Process>(std::vector<std::string>{CSOC_BINARY, "serve", "--config", (dir_.path() / "fleet").string(),
                                                                 "--listen", "127.0.0.1:" + std::to_string(port_)},
                                        dir_.path() / ("serve-" + std::to_string(runs_) + ".log"));
    ASSERT_TRUE(WaitFor([&] { return !server_->Running() || HttpGet(Url("/readyz")).status == 200; }, 20s)) << server_->Log();
    ASSERT_TRUE(server_->Running()) << server_->Log();
  }

  void Kill() {
    ASSERT_EQ(server_->Signal(SIGKILL), 128 + SIGKILL);
    server_.reset();
  }

  std::string Url(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(port_) + path; }

  json Get(const std::string& path) {
    const auto r = HttpGet(Url(path));
    if (r.status != 200) return json(json::value_t::discarded);
    return json::parse(r.body, nullptr, false);
  }

  // The source's entry in /api/v1/logs/sources (discarded when it cannot be had).
  json Source() {
    const json j = Get("/api/v1/logs/sources");
    if (j.is_discarded() || !j.contains("sources") || j["sources"].size() != 1) return json(json::value_t::discarded);
    return j["sources"][0];
  }

  // Appends lines [from, to) of the generated log to `file`, in pieces of `piece` bytes that cut
  // lines anywhere, as a writer's buffered writes do. With `stop_mid_line`, the last line is left
  // unfinished (its rest is returned).
  std::string Append(const fs::path& file, size_t from, size_t to, size_t piece = 97'001, bool stop_mid_line = false) {
    std::string text;
    for (size_t i = from; i < to; ++i) text += lines_[i];
    std::string rest;
    if (stop_mid_line) {
      rest = text.substr(text.size() - lines_[to - 1].size() / 2);
      text.resize(text.size() - rest.size());
    }
    std::ofstream out(file, std::ios::binary | std::ios::app);
    for (size_t at = 0; at < text.size(); at += piece) {
      out.write(text.data() + at, static_cast<std::streamsize>(std::min(piece, text.size() - at)));
      out.flush();
      std::this_thread::sleep_for(2ms);
    }
    appended_ = std::max(appended_, to - (stop_mid_line ? 1 : 0));
    return rest;
  }

  // Waits until csoc has read and committed every whole line appended so far.
  void WaitCommitted() {
    ASSERT_TRUE(WaitFor(
        [&] {
          const json s = Source();
          return s.is_object() && s["unread_bytes"] == 0 && s["lines"] == appended_;
        },
        15s))
        << Source().dump() << "\n" << server_->Log();
  }

  // Waits until csoc has read every line appended so far but not committed all of them (its
  // commits are 2 s apart), then kills it: the lines read since the last commit are lost with the
  // process and must be read again. If a commit comes first, more lines are appended and the wait
  // starts again. Returns the next line to append.
  size_t KillAfterRead(const fs::path& file, size_t next) {
    for (int attempt = 0; attempt < 5; ++attempt) {
      bool caught = false;
      WaitFor(
          [&] {
            const json s = Source();
            if (s.is_discarded() || s["unread_bytes"] != 0 || s["lines_since_start"] == 0) return false;
            caught = s["lines"] < appended_;
            return true;  // caught, or a commit came first
          },
          10s);
      if (caught) {
        Kill();
        ++mid_batch_kills_;
        return next;
      }
      Append(file, next, next + 500);
      next += 500;
    }
    ADD_FAILURE() << "never caught csoc between a read and its commit";
    Kill();
    return next;
  }

  void ExpectCountsEqualTheTruth(const std::string& when) {
    SCOPED_TRACE(when);
    const int64_t now = ToUnixMillis(Clock::now());
    const std::string range = "from=" + std::to_string(now - 2 * 86'400'000LL) + "&to=" + std::to_string(now + 3'600'000);
    for (const std::string& query : {range + "&resolution=minute", range + "&resolution=hour", range,
                                     range + "&environment=alpha&resolution=hour"}) {
      const json j = Get("/api/v1/logs/summary?" + query);
      ASSERT_TRUE(j.is_object()) << query << ": " << HttpGet(Url("/api/v1/logs/summary?" + query)).body;
      const json& s = j["summary"];
      EXPECT_EQ(s["requests"], truth_["requests"]) << query;
      json codes = json::object();
      for (const json& c : s["status_codes"]) codes[std::to_string(c["code"].get<int>())] = c["requests"];
      EXPECT_EQ(codes, truth_["by_status"]) << query;
      json logins = json::object();
      for (const json& l : s["logins"]) logins[l["provider"].get<std::string>()] = l["attempts"];
      EXPECT_EQ(logins, truth_["logins"]) << query;
      EXPECT_EQ(s["downloads"]["count"], truth_["downloads"]) << query;
      uint64_t series = 0;
      for (const json& b : j["series"]) series += b["requests"].get<uint64_t>();
      EXPECT_EQ(series, truth_["requests"].get<uint64_t>()) << query;
    }
    const json src = Source();
    ASSERT_TRUE(src.is_object());
    EXPECT_EQ(src["lines"], truth_["lines"]);
    uint64_t rejected = 0;
    for (const auto& [kind, n] : truth_["malformed"].items()) {
      EXPECT_EQ(src["rejected_by_kind"][kind], n) << kind;
      rejected += n.get<uint64_t>();
    }
    EXPECT_EQ(src["rejected"], rejected);
    EXPECT_EQ(src["error"], nullptr);
  }

  TempDir dir_;
  fs::path log_;
  json truth_;
  std::vector<std::string> lines_;
  size_t appended_ = 0;  // whole lines written so far
  std::unique_ptr<Process> server_;
  int port_ = 0;
  int runs_ = 0;
  int mid_batch_kills_ = 0;
};

TEST_F(LogsCrash, KillsRestartsAndRotationsNeitherLoseNorDoubleCountALine) {
  const fs::path dir = log_.parent_path();
  ASSERT_NO_FATAL_FAILURE(Start());
  Append(log_, 0, 6'000);
  ASSERT_NO_FATAL_FAILURE(WaitCommitted());
  Append(log_, 6'000, 8'000);
  size_t next = KillAfterRead(log_, 8'000);

  // Killed while the file ends in half a line: that line is read once, when it is finished.
  ASSERT_NO_FATAL_FAILURE(Start());
  const std::string rest = Append(log_, next, next + 5'000, 65'537, /*stop_mid_line=*/true);
  next += 5'000;
  const uint64_t half = lines_[next - 1].size() - rest.size();
  ASSERT_TRUE(WaitFor([&] { const json s = Source(); return s.is_object() && s["unread_bytes"] == half; }, 10s))
      << Source().dump();
  ASSERT_NO_FATAL_FAILURE(Kill());
  ASSERT_NO_FATAL_FAILURE(Start());
  std::ofstream(log_, std::ios::binary | std::ios::app) << rest;
  appended_ = next;
  ASSERT_NO_FATAL_FAILURE(WaitCommitted());
  Append(log_, next, next + 2'000);
  next = KillAfterRead(log_, next + 2'000);

  // Rotated while csoc is down: the writer still finishes lines in the renamed file, then starts a
  // new one. csoc finds the old file by its inode, reads its rest, then the new file; killed
  // before its first commit, the next run does the same again.
  fs::rename(log_, dir / "access.log.1");
  Append(dir / "access.log.1", next, next + 4'000);
  next += 4'000;
  Append(log_, next, next + 5'000);
  next += 5'000;
  ASSERT_NO_FATAL_FAILURE(Start());
  next = KillAfterRead(log_, next);

  // Rotated while csoc runs (logrotate: .1 -> .2, the log -> .1), then killed before the lines
  // read across the rotation are committed.
  ASSERT_NO_FATAL_FAILURE(Start());
  ASSERT_NO_FATAL_FAILURE(WaitCommitted());
  Append(log_, next, next + 5'000);
  next += 5'000;
  ASSERT_NO_FATAL_FAILURE(WaitCommitted());
  fs::rename(dir / "access.log.1", dir / "access.log.2");
  fs::rename(log_, dir / "access.log.1");
  Append(dir / "access.log.1", next, next + 3'000);
  next += 3'000;
  Append(log_, next, next + 3'000);
  next += 3'000;
  next = KillAfterRead(log_, next);

  // The rest, read by a run that is left to commit.
  ASSERT_NO_FATAL_FAILURE(Start());
  ASSERT_LE(next, kLines);
  Append(log_, next, kLines);
  ASSERT_NO_FATAL_FAILURE(WaitCommitted());
  EXPECT_EQ(mid_batch_kills_, 4) << "csoc was killed between a read and its commit";
  ExpectCountsEqualTheTruth("after the kills");

  // A clean stop and start reads nothing again.
  ASSERT_EQ(server_->Signal(SIGTERM), 0) << server_->Log();
  ASSERT_NO_FATAL_FAILURE(Start());
  std::this_thread::sleep_for(2500ms);  // more than a commit interval
  const json s = Source();
  ASSERT_TRUE(s.is_object());
  EXPECT_EQ(s["lines_since_start"], 0) << s.dump();
  ExpectCountsEqualTheTruth("after a clean restart");
  EXPECT_EQ(server_->Signal(SIGTERM), 0) << server_->Log();
}

}  // namespace
}  // namespace csoc

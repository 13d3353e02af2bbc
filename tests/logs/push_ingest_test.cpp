// The Ingester's live inputs besides files, against the real SQLite store: pushed batches are
// answered only after the commit that stores them, refused whole when the queue is full or the
// store refuses commits (and then never counted), answered at Stop; search terms counted per
// environment; syslog over UDP and TCP with malformed headers and oversized messages counted as
// rejected lines.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <future>
#include <thread>

#include "logs/ingest.h"
#include "logs/store.h"
#include "support/support.h"

namespace csoc::logs {
namespace {

using namespace std::chrono_literals;

// Two good lines (one 404) and what a combined line at a given status looks like.
std::string Line(int status, const std::string& path = "/") {
  return "10.0.0.1 - alice [01/Mar/2026:10:20:30 +0000] \"GET " + path + " HTTP/1.1\" " + std::to_string(status) +
         " 512 \"-\" \"curl/8\"";
}

LogFormat Combined() {
  LogFormat f;
  EXPECT_TRUE(LogFormat::Parse("combined", &f).ok());
  return f;
}

// A store that refuses commits while `fail` is set (a full disk), and otherwise is the real one.
class FlakyStore : public LogStore {
 public:
  FlakyStore(std::unique_ptr<LogStore> inner, std::shared_ptr<std::atomic<bool>> fail)
      : inner_(std::move(inner)), fail_(std::move(fail)) {}
  Status Commit(const CommitBatch& batch) override {
    if (fail_->load()) return Status::IOError("database or disk is full");
    return inner_->Commit(batch);
  }
  Status LoadPositions(std::vector<SourcePosition>* out) override { return inner_->LoadPositions(out); }
  Status LoadAggregates(const std::vector<std::string>& environments, Resolution resolution, int64_t from_ms, int64_t to_ms,
                        std::vector<StoredAggregate>* out) override {
    return inner_->LoadAggregates(environments, resolution, from_ms, to_ms, out);
  }
  Status LoadSourceErrors(std::vector<SourceErrors>* out) override { return inner_->LoadSourceErrors(out); }
  Status Prune(int64_t minutes_before_ms, int64_t hours_before_ms) override {
    return inner_->Prune(minutes_before_ms, hours_before_ms);
  }

 private:
  std::unique_ptr<LogStore> inner_;
  std::shared_ptr<std::atomic<bool>> fail_;
};

class PushIngestTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = dir_.path() / "csoc.db";
    ASSERT_TRUE(OpenSqliteLogStore(db_, &reader_).ok());
    options_.minute_retention = options_.hour_retention = std::chrono::hours(24 * 365 * 50);
    options_.poll_interval = 20ms;
    options_.commit_interval = std::chrono::hours(1);  // only pushes commit, unless a test says otherwise
    options_.push_commit_delay = 30ms;
    SourceConfig push;
    push.name = "batch";
    push.environment = "prod";
    push.format = Combined();
    push.kind = SourceKind::kPush;
    options_.sources.push_back(push);
    options_.loki.enabled = true;
    options_.loki.environment_label = "namespace";
    options_.loki.environments = {{"gen3", "staging"}};
    options_.loki.format = Combined();
  }

  void StartIngester() {
    std::unique_ptr<LogStore> store;
    ASSERT_TRUE(OpenSqliteLogStore(db_, &store).ok());
    ingester_ = std::make_unique<Ingester>(options_, std::make_unique<FlakyStore>(std::move(store), fail_), &metrics_);
    Status s = ingester_->Start();
    ASSERT_TRUE(s.ok()) << s.ToString();
  }

  // Requests stored for `env` (all when empty), read through another connection.
  uint64_t Stored(const std::string& env = "") {
    std::vector<StoredAggregate> rows;
    EXPECT_TRUE(reader_->LoadAggregates(env.empty() ? std::vector<std::string>{} : std::vector<std::string>{env},
                                        Resolution::kMinute, 0, INT64_MAX, &rows)
                    .ok());
    uint64_t n = 0;
    for (const auto& r : rows) n += r.aggregate.requests;
    return n;
  }

  // Pushes and waits for the answer; `stored_at_answer` gets what the store held when it came.
  PushResult PushAndWait(PushBatch batch, uint64_t* stored_at_answer = nullptr) {
    std::promise<PushResult> answer;
    auto reader = std::make_shared<std::unique_ptr<LogStore>>();
    EXPECT_TRUE(OpenSqliteLogStore(db_, reader.get()).ok());
    Status s = ingester_->Push(std::move(batch), [&, reader](const PushResult& r) {
      if (stored_at_answer != nullptr) {
        std::vector<StoredAggregate> rows;
        EXPECT_TRUE((*reader)->LoadAggregates({}, Resolution::kMinute, 0, INT64_MAX, &rows).ok());
        *stored_at_answer = 0;
        for (const auto& row : rows) *stored_at_answer += row.aggregate.requests;
      }
      answer.set_value(r);
    });
    if (!s.ok()) {
      PushResult r;
      r.status = s;
      return r;
    }
    auto f = answer.get_future();
    EXPECT_EQ(f.wait_for(10s), std::future_status::ready);
    return f.get();
  }

  static PushBatch Lines(const std::string& source, std::vector<std::string> lines) {
    PushBatch b;
    b.lines.push_back({source, "test", std::move(lines)});
    return b;
  }

  csoc::testing::TempDir dir_;
  std::filesystem::path db_;
  std::unique_ptr<LogStore> reader_;
  IngestOptions options_;
  MetricsRegistry metrics_;
  std::shared_ptr<std::atomic<bool>> fail_ = std::make_shared<std::atomic<bool>>(false);
  std::unique_ptr<Ingester> ingester_;
};

TEST_F(PushIngestTest, APushIsAnsweredAfterTheCommitThatStoresIt) {
  StartIngester();
  uint64_t stored = 0;
  PushResult r = PushAndWait(Lines("batch", {Line(200), Line(404), "not a log line", ""}), &stored);
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_EQ(r.lines, 3u) << "the empty line is skipped";
  EXPECT_EQ(r.rejected, 1u);
  EXPECT_EQ(stored, 2u) << "the answer came before the commit";
  EXPECT_EQ(Stored("prod"), 2u);

  // Loki's implicit source per mapped environment.
  r = PushAndWait(Lines("loki:staging", {Line(500)}));
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_EQ(Stored("staging"), 1u);

  // Sources that do not take pushes are refused at once, and nothing is counted.
  EXPECT_EQ(ingester_->Push(Lines("nope", {Line(200)}), [](const PushResult&) { FAIL(); }).code(), Status::Code::kNotFound);
  EXPECT_EQ(ingester_->Push(Lines("loki:prod", {Line(200)}), [](const PushResult&) { FAIL(); }).code(),
            Status::Code::kNotFound);

  // Search terms for an environment, at a time.
  std::promise<PushResult> answer;
  ASSERT_TRUE(ingester_
                  ->CountSearchTerms("prod", 1'772'360'430'000, {"tp53", "brca1", "tp53"},
                                     [&](const PushResult& pr) { answer.set_value(pr); })
                  .ok());
  ASSERT_TRUE(answer.get_future().get().status.ok());
  std::vector<StoredAggregate> rows;
  ASSERT_TRUE(reader_->LoadAggregates({"prod"}, Resolution::kDay, 0, INT64_MAX, &rows).ok());
  ASSERT_EQ(rows.size(), 1u);
  auto top = rows[0].aggregate.search_terms.Top(5);
  ASSERT_EQ(top.size(), 2u);
  EXPECT_EQ(top[0].key, "tp53");
  EXPECT_EQ(top[0].count, 2u);

  // Lines and rejections count for the source, in the store and in /metrics.
  std::vector<SourceErrors> list;
  ASSERT_TRUE(reader_->LoadSourceErrors(&list).ok());
  std::map<std::string, SourceErrors> errors;
  for (auto& e : list) errors[e.source] = e;
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors["batch"].lines, 3u);
  EXPECT_EQ(errors["batch"].counts[static_cast<size_t>(ParseError::kFormatMismatch)], 1u);
  EXPECT_EQ(errors["loki:staging"].lines, 1u);
  const std::string text = metrics_.RenderPrometheus();
  EXPECT_NE(text.find("csoc_logs_lines_total{source=\"batch\"} 3"), std::string::npos) << text;
  EXPECT_NE(text.find("csoc_logs_lines_total{source=\"loki:staging\"} 1"), std::string::npos) << text;
}

TEST_F(PushIngestTest, AFullQueueOrARefusingStoreRefusesWholeBatchesThatAreNeverCounted) {
  options_.max_queued_push_bytes = 200;
  options_.commit_interval = 30ms;
  StartIngester();
  std::vector<std::string> many(20, Line(200));
  EXPECT_EQ(ingester_->Push(Lines("batch", many), [](const PushResult&) { FAIL(); }).code(), Status::Code::kUnavailable);

  // The store refuses the commit: the batch is answered "not counted", and while the store
  // refuses, new pushes are refused at once.
  fail_->store(true);
  PushResult r = PushAndWait(Lines("batch", {Line(200)}));
  EXPECT_EQ(r.status.code(), Status::Code::kIOError);
  EXPECT_NE(r.status.message().find("nothing of this batch was counted"), std::string::npos) << r.status.message();
  EXPECT_EQ(ingester_->Push(Lines("batch", {Line(200)}), [](const PushResult&) {}).code(), Status::Code::kIOError);

  // Once the store takes commits again (found by the next commit), pushes are taken again, and
  // only what was acknowledged is stored.
  fail_->store(false);
  ASSERT_TRUE(csoc::testing::WaitFor(
      [&] {
        PushResult again = PushAndWait(Lines("batch", {Line(201)}));
        return again.status.ok();
      },
      5s));
  EXPECT_EQ(Stored(), 1u);
}

TEST_F(PushIngestTest, StopCommitsAndAnswersWhatItAccepted) {
  options_.push_commit_delay = std::chrono::hours(1);
  StartIngester();
  std::promise<PushResult> answer;
  ASSERT_TRUE(ingester_->Push(Lines("batch", {Line(200), Line(200)}), [&](const PushResult& r) { answer.set_value(r); }).ok());
  ingester_->Stop();
  auto f = answer.get_future();
  ASSERT_EQ(f.wait_for(0s), std::future_status::ready) << "Stop returned without answering";
  EXPECT_TRUE(f.get().status.ok());
  EXPECT_EQ(Stored(), 2u);
  EXPECT_EQ(ingester_->Push(Lines("batch", {Line(200)}), [](const PushResult&) { FAIL(); }).code(), Status::Code::kIOError);
}

// ---- syslog ----

void SendUdp(uint16_t port, const std::string& datagram) {
  int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(::sendto(fd, datagram.data(), datagram.size(), 0, reinterpret_cast<sockaddr*>(&addr), sizeof addr),
            static_cast<ssize_t>(datagram.size()));
  ::close(fd);
}

void SendTcp(uint16_t port, const std::string& bytes) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  // In pieces, so messages are split across reads.
  for (size_t i = 0; i < bytes.size(); i += 700) {
    const std::string piece = bytes.substr(i, 700);
    ASSERT_EQ(::send(fd, piece.data(), piece.size(), MSG_NOSIGNAL), static_cast<ssize_t>(piece.size()));
  }
  ::close(fd);
}

// What nginx sends: RFC 3164, local7.info, the tag "nginx".
std::string Nginx(const std::string& line) { return "<190>Mar  1 10:20:30 web-1 nginx: " + line; }

TEST_F(PushIngestTest, SyslogOverUdpAndTcpWithBadHeadersAndHugeMessagesRejected) {
  options_.commit_interval = 30ms;
  options_.max_line_bytes = 2048;
  for (bool tcp : {false, true}) {
    SourceConfig s;
    s.name = tcp ? "edge-tcp" : "edge-udp";
    s.environment = tcp ? "staging" : "prod";
    s.format = Combined();
    s.kind = SourceKind::kSyslog;
    s.listen = "127.0.0.1:0";
    s.syslog_tcp = tcp;
    options_.sources.push_back(s);
  }
  StartIngester();
  const uint16_t udp = ingester_->SyslogPort("edge-udp");
  const uint16_t tcp = ingester_->SyslogPort("edge-tcp");
  ASSERT_NE(udp, 0);
  ASSERT_NE(tcp, 0);

  SendUdp(udp, Nginx(Line(200)));
  SendUdp(udp, Nginx(Line(404, "/missing")));
  SendUdp(udp, "<13>1 2026-03-01T10:20:30.000Z web-1 nginx - - - " + Line(302));  // RFC 5424
  SendUdp(udp, "no syslog header here");

  // TCP: octet counting, then non-transparent framing, then a message over the limit, then one more.
  const std::string counted = Nginx(Line(201));
  const std::string huge = Nginx(std::string(5000, 'x'));
  SendTcp(tcp, std::to_string(counted.size()) + " " + counted + Nginx(Line(503)) + "\n" + std::to_string(huge.size()) + " " +
                   huge + Nginx(Line(200)) + "\n");

  ASSERT_TRUE(csoc::testing::WaitFor([&] { return Stored("prod") == 3 && Stored("staging") == 3; }, 10s))
      << Stored("prod") << " " << Stored("staging");
  std::vector<StoredAggregate> rows;
  ASSERT_TRUE(reader_->LoadAggregates({"prod"}, Resolution::kDay, 0, INT64_MAX, &rows).ok());
  EXPECT_EQ(rows[0].aggregate.by_status[404 - 100], 1u);
  std::map<std::string, SourceErrors> errors;
  ASSERT_TRUE(csoc::testing::WaitFor(
      [&] {
        std::vector<SourceErrors> list;
        EXPECT_TRUE(reader_->LoadSourceErrors(&list).ok());
        for (auto& e : list) errors[e.source] = e;
        return errors["edge-udp"].lines == 4 && errors["edge-tcp"].lines == 4;
      },
      5s));
  EXPECT_EQ(errors["edge-udp"].counts[static_cast<size_t>(ParseError::kFormatMismatch)], 1u);
  ASSERT_FALSE(errors["edge-udp"].samples.empty());
  EXPECT_EQ(errors["edge-udp"].samples[0].text, "no syslog header here");
  EXPECT_NE(errors["edge-udp"].samples[0].source.find("syslog from 127.0.0.1:"), std::string::npos);
  EXPECT_EQ(errors["edge-tcp"].counts[static_cast<size_t>(ParseError::kTooLong)], 1u);

  bool found = false;
  for (const SourceStatus& st : ingester_->Statuses()) {
    if (st.name == "edge-udp") {
      found = true;
      EXPECT_EQ(st.kind, "syslog");
      EXPECT_EQ(st.address, "udp 127.0.0.1:" + std::to_string(udp));
      EXPECT_EQ(st.lines, 4u);
      EXPECT_EQ(st.rejected, 1u);
    }
  }
  EXPECT_TRUE(found);
}

// A reload keeps the listener of a syslog source whose name, address and protocol stay (its TCP
// senders stay connected), closes the others, and applies new push sources at once.
TEST_F(PushIngestTest, AReloadKeepsUnchangedSyslogListenersAndClosesTheOthers) {
  options_.commit_interval = 30ms;
  SourceConfig s;
  s.name = "edge";
  s.environment = "prod";
  s.format = Combined();
  s.kind = SourceKind::kSyslog;
  s.listen = "127.0.0.1:0";
  s.syslog_tcp = true;
  options_.sources.push_back(s);
  s.name = "gone";
  options_.sources.push_back(s);
  StartIngester();
  const uint16_t port = ingester_->SyslogPort("edge");
  const uint16_t gone = ingester_->SyslogPort("gone");
  ASSERT_NE(port, 0);
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);

  IngestOptions next = options_;
  next.sources.pop_back();  // "gone"
  SourceConfig later;
  later.name = "later";
  later.environment = "staging";
  later.format = Combined();
  later.kind = SourceKind::kPush;
  next.sources.push_back(later);
  ingester_->Reconfigure(next);
  EXPECT_TRUE(ingester_->Push(Lines("later", {Line(200)}), [](const PushResult&) {}).ok()) << "new sources apply at once";
  ASSERT_TRUE(csoc::testing::WaitFor([&] { return ingester_->SyslogPort("gone") == 0; }, 5s));
  EXPECT_EQ(ingester_->SyslogPort("edge"), port);
  const std::string m = Nginx(Line(200)) + "\n";
  ASSERT_EQ(::send(fd, m.data(), m.size(), MSG_NOSIGNAL), static_cast<ssize_t>(m.size())) << "still connected";
  ::close(fd);
  ASSERT_TRUE(csoc::testing::WaitFor([&] { return Stored("prod") == 1 && Stored("staging") == 1; }, 5s));
  // The removed source's port is free again.
  int probe = ::socket(AF_INET, SOCK_STREAM, 0);
  addr.sin_port = htons(gone);
  EXPECT_NE(::connect(probe, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ::close(probe);
}

TEST_F(PushIngestTest, AnAddressInUseFailsStartNamingTheSource) {
  int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  SourceConfig s;
  s.name = "edge";
  s.environment = "prod";
  s.format = Combined();
  s.kind = SourceKind::kSyslog;
  s.listen = "127.0.0.1:" + std::to_string(ntohs(addr.sin_port));
  options_.sources.push_back(s);
  std::unique_ptr<LogStore> store;
  ASSERT_TRUE(OpenSqliteLogStore(db_, &store).ok());
  Ingester ingester(options_, std::move(store), nullptr);
  Status st = ingester.Start();
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("log source edge"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("udp 127.0.0.1:"), std::string::npos) << st.message();
  ::close(fd);
}

}  // namespace
}  // namespace csoc::logs

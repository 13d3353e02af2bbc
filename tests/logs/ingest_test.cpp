// Following files (rotation, truncation, late files, resuming) and live ingestion into the real
// SQLite store: every line counted once across restarts, minutes rolled into hours and days.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sqlite3.h>

#include <thread>

#include "logs/file_tail.h"
#include "logs/generator.h"
#include "logs/ingest.h"
#include "logs/query.h"
#include "logs/store.h"

namespace csoc::logs {
namespace {

namespace fs = std::filesystem;

class Dir {
 public:
  Dir() : path_(fs::temp_directory_path() / ("csoc-ingest-" + std::to_string(::getpid()) + "-" + std::to_string(n_++))) {
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~Dir() { fs::remove_all(path_); }
  std::string operator/(const std::string& name) const { return (path_ / name).string(); }

 private:
  static inline int n_ = 0;
  fs::path path_;
};

void Append(const std::string& file, const std::string& text) {
  std::ofstream(file, std::ios::binary | std::ios::app) << text;
}

struct Collected {
  std::vector<std::pair<std::string, uint64_t>> lines;  // (line, number)
};

size_t PollAll(FileTail& tail, Collected* c) {
  size_t consumed = 0;
  const Status s = tail.Poll(1 << 20, [&](std::string_view text, uint64_t first) {
    uint64_t n = first;
    size_t start = 0;
    while (start < text.size()) {
      const size_t nl = text.find('\n', start);
      c->lines.emplace_back(std::string(text.substr(start, nl == std::string_view::npos ? nl : nl - start)), n++);
      if (nl == std::string_view::npos) break;
      start = nl + 1;
    }
  }, &consumed);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return consumed;
}

TEST(FileTail, WaitsReadsWholeLinesAndFollowsRotationAndTruncation) {
  Dir dir;
  const std::string path = dir / "access.log";
  FileTail tail(path, "", 0, 0);
  Collected c;
  EXPECT_EQ(PollAll(tail, &c), 0u) << "no file yet";
  Append(path, "a\nb\nc\npart");
  PollAll(tail, &c);
  ASSERT_EQ(c.lines.size(), 3u);
  EXPECT_EQ(c.lines[2], (std::pair<std::string, uint64_t>{"c", 3}));
  Append(path, "ial\n");
  PollAll(tail, &c);
  ASSERT_EQ(c.lines.size(), 4u);
  EXPECT_EQ(c.lines[3].first, "partial");

  // Rotation by rename: lines written to the old file before the switch are still read.
  Append(path, "d\n");
  fs::rename(path, dir / "access.log.1");
  Append(path, "new1\n");
  PollAll(tail, &c);
  ASSERT_EQ(c.lines.size(), 6u);
  EXPECT_EQ(c.lines[4].first, "d");
  EXPECT_EQ(c.lines[5], (std::pair<std::string, uint64_t>{"new1", 1}));

  // Copy-truncate: the file shrinks, reading starts again at its beginning.
  fs::resize_file(path, 0);
  Append(path, "t1\n");
  PollAll(tail, &c);
  ASSERT_EQ(c.lines.size(), 7u);
  EXPECT_EQ(c.lines[6].first, "t1");
  EXPECT_EQ(tail.offset(), 3u);
}

// The writer finishes the old file and then starts the new one while a poll is under way (here:
// from inside the poll's callback, between its read of the old file and its look at the path).
// The lines that reached the old file are read before the tail moves to the new one.
TEST(FileTail, LinesWrittenToTheOldFileDuringAPollAreReadBeforeTheSwitch) {
  Dir dir;
  const std::string path = dir / "access.log";
  Append(path, "a\n");
  FileTail tail(path, "", 0, 0);
  Collected c;
  PollAll(tail, &c);
  fs::rename(path, dir / "access.log.1");
  Append(dir / "access.log.1", "b\n");
  bool rotated = false;
  size_t consumed = 0;
  const Status s = tail.Poll(1 << 20, [&](std::string_view text, uint64_t first) {
    for (size_t start = 0; start < text.size();) {
      const size_t nl = text.find('\n', start);
      c.lines.emplace_back(std::string(text.substr(start, nl - start)), first++);
      start = nl + 1;
    }
    if (!rotated) {
      rotated = true;
      Append(dir / "access.log.1", "c\n");  // the writer's last line in the old file
      Append(path, "new\n");               // then the new file
    }
  }, &consumed);
  ASSERT_TRUE(s.ok()) << s.ToString();
  PollAll(tail, &c);
  std::vector<std::pair<std::string, uint64_t>> expected = {{"a", 1}, {"b", 2}, {"c", 3}, {"new", 1}};
  EXPECT_EQ(c.lines, expected) << "a line written to the old file during the poll was lost";
  EXPECT_EQ(tail.line(), 1u);
}

TEST(FileTail, ResumesAtTheStoredPositionEvenAfterARotationWhileStopped) {
  Dir dir;
  const std::string path = dir / "access.log";
  Append(path, "one\ntwo\n");
  std::string id;
  uint64_t offset = 0, line = 0;
  {
    FileTail tail(path, "", 0, 0);
    Collected c;
    PollAll(tail, &c);
    id = tail.file_id();
    offset = tail.offset();
    line = tail.line();
  }
  // While stopped: more lines, then the file is rotated and a new one started.
  Append(path, "three\n");
  fs::rename(path, dir / "access.log.1");
  Append(path, "fresh\n");
  FileTail tail(path, id, offset, line);
  Collected c;
  PollAll(tail, &c);
  ASSERT_EQ(c.lines.size(), 2u);
  EXPECT_EQ(c.lines[0], (std::pair<std::string, uint64_t>{"three", 3}));
  EXPECT_EQ(c.lines[1], (std::pair<std::string, uint64_t>{"fresh", 1}));
}

TEST(FileTail, AHugeLineIsPassedOnOnceAndSkipped) {
  Dir dir;
  const std::string path = dir / "access.log";
  Append(path, std::string(3 << 20, 'x') + "\nafter\n");
  FileTail tail(path, "", 0, 0);
  Collected c;
  PollAll(tail, &c);  // one poll's budget (1 MiB) is spent on the long line
  PollAll(tail, &c);
  ASSERT_EQ(c.lines.size(), 2u);
  EXPECT_EQ(c.lines[0].first.size(), size_t{1} << 20) << "the start of the line, for the too_long count";
  EXPECT_EQ(c.lines[1], (std::pair<std::string, uint64_t>{"after", 2}));
}

uint64_t StoredRequests(LogStore* store, Resolution r) {
  std::vector<StoredAggregate> rows;
  EXPECT_TRUE(store->LoadAggregates({}, r, 0, INT64_MAX, &rows).ok());
  uint64_t n = 0;
  for (const auto& row : rows) n += row.aggregate.requests;
  return n;
}

bool WaitFor(const std::function<bool()>& done) {
  for (int i = 0; i < 400; ++i) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  return done();
}

TEST(Ingester, CountsEveryLineOnceAcrossRestartsAndRollsUp) {
  Dir dir;
  const std::string db = dir / "csoc.db";
  const std::string log = dir / "revproxy.log";
  GeneratorOptions g;
  g.format = GeneratorOptions::Format::kGen3Json;
  g.malformed_fraction = 0.05;
  LogGenerator gen(g);
  GeneratorTruth truth;
  std::string text;
  for (int i = 0; i < 3000; ++i) gen.Next(&text, &truth);
  Append(log, text);

  IngestOptions o;
  SourceConfig src;
  src.name = "prod";
  src.environment = "gen3-prod";
  ASSERT_TRUE(LogFormat::Parse("gen3", &src.format).ok());
  src.file = log;
  o.sources = {src};
  o.poll_interval = std::chrono::milliseconds(20);
  o.commit_interval = std::chrono::milliseconds(50);
  o.minute_retention = std::chrono::hours(24 * 365 * 50);  // the generated times are in 2026
  o.hour_retention = std::chrono::hours(24 * 365 * 50);

  std::unique_ptr<LogStore> reader;
  ASSERT_TRUE(OpenSqliteLogStore(db, &reader).ok());
  {
    std::unique_ptr<LogStore> store;
    ASSERT_TRUE(OpenSqliteLogStore(db, &store).ok());
    MetricsRegistry metrics;
    Ingester ingester(o, std::move(store), &metrics);
    ASSERT_TRUE(ingester.Start().ok());
    ASSERT_TRUE(WaitFor([&] { return StoredRequests(reader.get(), Resolution::kMinute) == truth.requests; }))
        << StoredRequests(reader.get(), Resolution::kMinute) << " of " << truth.requests;
    EXPECT_NE(metrics.RenderPrometheus().find("csoc_logs_lines_total{source=\"prod\"} 3000"), std::string::npos);
  }
  // More lines while stopped, then a new ingester on the same database: it resumes, no repeats.
  text.clear();
  for (int i = 0; i < 2000; ++i) gen.Next(&text, &truth);
  Append(log, text);
  {
    std::unique_ptr<LogStore> store;
    ASSERT_TRUE(OpenSqliteLogStore(db, &store).ok());
    Ingester ingester(o, std::move(store), nullptr);
    ASSERT_TRUE(ingester.Start().ok());
    ASSERT_TRUE(WaitFor([&] { return StoredRequests(reader.get(), Resolution::kMinute) >= truth.requests; }));
    std::this_thread::sleep_for(std::chrono::milliseconds(200));  // would a repeat show up?
    const auto statuses = ingester.Statuses();
    ASSERT_EQ(statuses.size(), 1u);
    EXPECT_EQ(statuses[0].lines, 2000u);
  }
  EXPECT_EQ(StoredRequests(reader.get(), Resolution::kMinute), truth.requests);
  EXPECT_EQ(StoredRequests(reader.get(), Resolution::kHour), truth.requests);
  EXPECT_EQ(StoredRequests(reader.get(), Resolution::kDay), truth.requests);

  // The rejected lines are kept per source, by kind, with samples naming file and line.
  std::vector<SourceErrors> errors;
  ASSERT_TRUE(reader->LoadSourceErrors(&errors).ok());
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].lines, 5000u);
  for (const ParseError k : kAllParseErrors) {
    EXPECT_EQ(errors[0].counts[static_cast<size_t>(k)], truth.malformed[static_cast<size_t>(k)]) << ParseErrorName(k);
  }
  ASSERT_FALSE(errors[0].samples.empty());
  EXPECT_EQ(errors[0].samples[0].source, log);
  EXPECT_GT(errors[0].samples[0].line, 0u);

  // Queried back fleet-wide and per environment.
  AnalyticsQuery q;
  q.from_ms = truth.first_ms;
  q.to_ms = truth.last_ms + 1;
  q.resolution = Resolution::kMinute;
  AnalyticsResult r;
  ASSERT_TRUE(RunQuery(reader.get(), q, &r).ok());
  EXPECT_EQ(r.total.requests, truth.requests);
  ASSERT_EQ(r.by_environment.size(), 1u);
  EXPECT_EQ(r.by_environment[0].first, "gen3-prod");
  uint64_t series = 0;
  for (const SeriesBucket& b : r.series) series += b.requests;
  EXPECT_EQ(series, truth.requests);
  q.environments = {"other"};
  ASSERT_TRUE(RunQuery(reader.get(), q, &r).ok());
  EXPECT_EQ(r.total.requests, 0u);
}

TEST(Ingester, PseudonymisesUsersAndAddresses) {
  Dir dir;
  const std::string log = dir / "a.log";
  Append(log, R"(10.9.8.7 - alice [01/Mar/2026:10:20:30 +0000] "GET / HTTP/1.1" 200 5 "-" "curl")" "\n");
  IngestOptions o;
  SourceConfig src;
  src.name = "s";
  src.environment = "e";
  ASSERT_TRUE(LogFormat::Parse("combined", &src.format).ok());
  src.file = log;
  o.sources = {src};
  o.pseudonymise_key = "0123456789abcdef-secret";
  o.poll_interval = std::chrono::milliseconds(20);
  o.commit_interval = std::chrono::milliseconds(50);
  o.minute_retention = o.hour_retention = std::chrono::hours(24 * 365 * 50);
  std::unique_ptr<LogStore> store, reader;
  ASSERT_TRUE(OpenSqliteLogStore(dir / "csoc.db", &store).ok());
  ASSERT_TRUE(OpenSqliteLogStore(dir / "csoc.db", &reader).ok());
  Ingester ingester(o, std::move(store), nullptr);
  ASSERT_TRUE(ingester.Start().ok());
  ASSERT_TRUE(WaitFor([&] { return StoredRequests(reader.get(), Resolution::kDay) == 1; }));
  std::vector<StoredAggregate> rows;
  ASSERT_TRUE(reader->LoadAggregates({}, Resolution::kDay, 0, INT64_MAX, &rows).ok());
  const auto users = rows[0].aggregate.top_users.Top(5);
  const auto ips = rows[0].aggregate.top_ips.Top(5);
  ASSERT_EQ(users.size(), 1u);
  ASSERT_EQ(ips.size(), 1u);
  EXPECT_EQ(users[0].key, Pseudonym(o.pseudonymise_key, "alice"));
  EXPECT_EQ(ips[0].key, Pseudonym(o.pseudonymise_key, "10.9.8.7"));
  EXPECT_EQ(users[0].key.size(), 17u);
  EXPECT_NE(Pseudonym("another-key-0123456", "alice"), users[0].key);
}

}  // namespace
}  // namespace csoc::logs

namespace csoc::logs {
namespace {

TEST(SqliteLogStore, MinutesKeepFewerTopEntriesAndRowsAreCompressedAndChecked) {
  Dir dir;
  std::unique_ptr<LogStore> store;
  ASSERT_TRUE(OpenSqliteLogStore(dir / "csoc.db", &store).ok());
  CommitBatch batch;
  MinuteDelta d;
  d.environment = "prod";
  d.minute_ms = 1'767'225'600'000;
  LogRecord r;
  r.status = 200;
  std::string path;
  for (int i = 0; i < 500; ++i) {
    path = "/objects/" + std::to_string(i) + "/a-fairly-long-path-segment-to-store";
    r.uri = path;
    for (int j = 0; j <= i % 7; ++j) d.delta.Add(r);
  }
  batch.deltas.push_back(std::move(d));
  ASSERT_TRUE(store->Commit(batch).ok());
  std::vector<StoredAggregate> minutes, hours;
  ASSERT_TRUE(store->LoadAggregates({}, Resolution::kMinute, 0, INT64_MAX, &minutes).ok());
  ASSERT_TRUE(store->LoadAggregates({}, Resolution::kHour, 0, INT64_MAX, &hours).ok());
  ASSERT_EQ(minutes.size(), 1u);
  ASSERT_EQ(hours.size(), 1u);
  EXPECT_EQ(minutes[0].aggregate.top_paths.size(), 32u);
  EXPECT_EQ(hours[0].aggregate.top_paths.size(), kTopCapacity);
  EXPECT_EQ(minutes[0].aggregate.requests, hours[0].aggregate.requests);

  // The stored bytes are a zlib stream; damaged ones are refused with a message, not misread.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir / "csoc.db").c_str(), &db), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT data FROM logs_aggregates WHERE resolution=60000", -1, &st, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
  EXPECT_EQ(static_cast<const unsigned char*>(sqlite3_column_blob(st, 0))[0], 0x78);
  sqlite3_finalize(st);
  ASSERT_EQ(sqlite3_exec(db, "UPDATE logs_aggregates SET data=x'789c0102' WHERE resolution=60000", nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  const Status s = store->LoadAggregates({}, Resolution::kMinute, 0, INT64_MAX, &minutes);
  EXPECT_EQ(s.code(), Status::Code::kCorruption) << s.ToString();
  EXPECT_NE(s.message().find("zlib"), std::string::npos) << s.message();
}

}  // namespace
}  // namespace csoc::logs

// The analysis against the true counts of generated logs, in both formats, plain and gzip, and
// the rejected-line bookkeeping (kinds, samples with file and line, over-long lines).
#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "logs/aggregate.h"
#include "logs/generator.h"
#include "logs/json.h"
#include "logs/report.h"

namespace csoc::logs {
namespace {

namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir() : path_(fs::temp_directory_path() / ("csoc-logs-" + std::to_string(::getpid()) + "-" + std::to_string(counter_++))) {
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  fs::path operator/(const std::string& name) const { return path_ / name; }

 private:
  static inline int counter_ = 0;
  fs::path path_;
};

GeneratorTruth Generate(const fs::path& file, GeneratorOptions::Format format, uint64_t lines, double malformed,
                        bool gzip = false, uint64_t seed = 7) {
  GeneratorOptions o;
  o.format = format;
  o.seed = seed;
  o.malformed_fraction = malformed;
  LogGenerator gen(o);
  GeneratorTruth truth;
  std::string text;
  for (uint64_t i = 0; i < lines; ++i) gen.Next(&text, &truth);
  if (gzip) {
    gzFile f = gzopen(file.c_str(), "wb");
    gzwrite(f, text.data(), static_cast<unsigned>(text.size()));
    gzclose(f);
  } else {
    std::ofstream(file, std::ios::binary) << text;
  }
  return truth;
}

Report Analyse(const std::vector<std::string>& files, std::string_view format, unsigned threads = 2) {
  ReportOptions o;
  EXPECT_TRUE(LogFormat::Parse(format, &o.format).ok());
  o.threads = threads;
  Report r;
  const Status s = BuildReport(files, o, &r);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return r;
}

void ExpectMatchesTruth(const Report& r, const GeneratorTruth& t) {
  const Aggregate& a = r.total;
  EXPECT_EQ(r.lines, t.lines);
  EXPECT_EQ(a.requests, t.requests);
  for (const auto& [code, n] : t.by_status) EXPECT_EQ(a.by_status[static_cast<size_t>(code - 100)], n) << code;
  uint64_t statuses = 0;
  for (const uint64_t n : a.by_status) statuses += n;
  EXPECT_EQ(statuses, t.requests);
  for (const ParseError k : kAllParseErrors) {
    EXPECT_EQ(r.errors.count(k), t.malformed[static_cast<size_t>(k)]) << ParseErrorName(k);
  }
  // Logins by identity provider and downloads are exact counters.
  std::map<std::string, uint64_t> logins;
  for (const auto& [idp, l] : a.logins.entries()) logins[idp] = l.attempts;
  EXPECT_EQ(logins, t.logins);
  EXPECT_EQ(a.downloads, t.downloads);
  // Distinct counts come from HyperLogLog (p = 14, 0.81% standard error): allow 4 standard errors.
  auto near = [](uint64_t estimate, size_t truth, const char* what) {
    EXPECT_LE(std::fabs(static_cast<double>(estimate) - static_cast<double>(truth)), 0.0325 * static_cast<double>(truth) + 1)
        << what << ": estimate " << estimate << ", truth " << truth;
  };
  near(a.users.Estimate(), t.users.size(), "users");
  near(a.client_ips.Estimate(), t.client_ips.size(), "client IPs");
  near(a.downloaded_objects.Estimate(), t.downloaded_objects.size(), "downloaded objects");
  // Fewer distinct search terms than the table holds: every count is exact.
  std::map<std::string, uint64_t> terms;
  for (const auto& e : a.search_terms.Top(1000)) {
    EXPECT_EQ(e.error, 0u) << e.key;
    terms[e.key] = e.count;
  }
  EXPECT_EQ(terms, t.search_terms);
  EXPECT_EQ(r.first_ms, t.first_ms);
  EXPECT_EQ(r.last_ms, t.last_ms);
}

TEST(Report, CombinedMatchesTheTruth) {
  TempDir dir;
  const auto truth = Generate(dir / "access.log", GeneratorOptions::Format::kCombined, 60'000, 0.02);
  ASSERT_GT(truth.malformed[static_cast<size_t>(ParseError::kFormatMismatch)], 0u);
  const Report r = Analyse({(dir / "access.log").string()}, "combined");
  ExpectMatchesTruth(r, truth);
  EXPECT_EQ(r.total.latency.Count(), 0u) << "combined carries no request time";
}

TEST(Report, Gen3JsonMatchesTheTruthAndHasLatencyPerService) {
  TempDir dir;
  const auto truth = Generate(dir / "revproxy.log", GeneratorOptions::Format::kGen3Json, 60'000, 0.02);
  ASSERT_GT(truth.malformed[static_cast<size_t>(ParseError::kMissingField)], 0u);
  const Report r = Analyse({(dir / "revproxy.log").string()}, "gen3");
  ExpectMatchesTruth(r, truth);
  EXPECT_EQ(r.total.latency.Count(), truth.requests);
  bool saw_guppy = false;
  for (const auto& [name, s] : r.total.by_service.entries()) {
    EXPECT_GT(s.requests, 0u);
    if (name == "guppy") {
      saw_guppy = true;
      EXPECT_GT(s.latency.Quantile(0.5), r.total.by_service.entries().front().second.latency.Quantile(0.5) * 0.0);
    }
  }
  EXPECT_TRUE(saw_guppy);
}

TEST(Report, GzipAndSeveralFilesAndOneThreadGiveTheSameCounts) {
  TempDir dir;
  const auto a = Generate(dir / "a.log.gz", GeneratorOptions::Format::kCombined, 20'000, 0.01, true, 1);
  const auto b = Generate(dir / "b.log", GeneratorOptions::Format::kCombined, 20'000, 0.01, false, 2);
  const Report two = Analyse({(dir / "a.log.gz").string(), (dir / "b.log").string()}, "combined", 2);
  const Report one = Analyse({(dir / "a.log.gz").string(), (dir / "b.log").string()}, "combined", 1);
  EXPECT_EQ(two.total.requests, a.requests + b.requests);
  EXPECT_EQ(two.lines, a.lines + b.lines);
  // Exact parts are equal however the work was split; top-N tables of merged Space-Saving
  // summaries may differ within their error bound, so they are not compared here.
  const auto j1 = AggregateJson(one.total, 20), j2 = AggregateJson(two.total, 20);
  for (const char* exact : {"requests", "bytes", "status_codes", "verbs", "logins", "downloads", "search_terms",
                            "unique_users", "unique_client_ips"}) {
    EXPECT_EQ(j1[exact], j2[exact]) << exact;
  }
  EXPECT_EQ(ErrorLogJson(one.errors).dump(), ErrorLogJson(two.errors).dump());
}

TEST(Report, SamplesNameFileAndLineAndOverLongLinesAreCut) {
  TempDir dir;
  const fs::path file = dir / "mixed.log";
  const std::string good =
      R"(10.0.0.7 - - [01/Mar/2026:10:20:30 +0000] "GET / HTTP/1.1" 200 5 "-" "curl")";
  std::ofstream(file, std::ios::binary) << good << "\n"
                                        << "garbage here\n"
                                        << std::string(3 << 20, 'x') << "\n"  // 3 MB: longer than the limit and a block
                                        << good << "\n\n"
                                        << good.substr(0, 50);  // a cut-off last line, no newline
  const Report r = Analyse({file.string()}, "combined");
  EXPECT_EQ(r.total.requests, 2u);
  EXPECT_EQ(r.lines, 5u);
  EXPECT_EQ(r.errors.count(ParseError::kFormatMismatch), 1u);
  EXPECT_EQ(r.errors.count(ParseError::kTooLong), 1u);
  EXPECT_EQ(r.errors.count(ParseError::kTruncated), 1u);
  ASSERT_EQ(r.errors.samples().size(), 3u);
  EXPECT_EQ(r.errors.samples()[0].line, 2u);
  EXPECT_EQ(r.errors.samples()[0].text, "garbage here");
  EXPECT_EQ(r.errors.samples()[1].line, 3u);
  EXPECT_EQ(r.errors.samples()[1].kind, ParseError::kTooLong);
  EXPECT_LE(r.errors.samples()[1].text.size(), kSampleBytes + 3);
  EXPECT_EQ(r.errors.samples()[2].line, 6u);
  EXPECT_EQ(r.errors.samples()[2].source, file.string());
}

TEST(Report, AMissingFileIsAnErrorNamingIt) {
  ReportOptions o;
  ASSERT_TRUE(LogFormat::Parse("combined", &o.format).ok());
  Report r;
  const Status s = BuildReport({"/nonexistent/access.log"}, o, &r);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("/nonexistent/access.log"), std::string::npos) << s.message();
}

TEST(Report, AGzipFileCutShortIsAnErrorNamingIt) {
  TempDir dir;
  Generate(dir / "whole.log.gz", GeneratorOptions::Format::kCombined, 5'000, 0, true);
  std::ifstream in(dir / "whole.log.gz", std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::ofstream(dir / "cut.log.gz", std::ios::binary) << bytes.substr(0, bytes.size() / 2);
  ReportOptions o;
  ASSERT_TRUE(LogFormat::Parse("combined", &o.format).ok());
  Report r;
  EXPECT_TRUE(BuildReport({(dir / "whole.log.gz").string()}, o, &r).ok());
  const Status s = BuildReport({(dir / "cut.log.gz").string()}, o, &r);
  ASSERT_FALSE(s.ok()) << "half a gzip file was reported as if it were all";
  EXPECT_NE(s.message().find((dir / "cut.log.gz").string()), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("ends early"), std::string::npos) << s.message();
}

TEST(Aggregate, MergeOfHalvesEqualsTheWholeAndSurvivesSerialisation) {
  TempDir dir;
  GeneratorOptions o;
  o.format = GeneratorOptions::Format::kGen3Json;
  LogGenerator gen(o);
  std::string text;
  for (int i = 0; i < 20'000; ++i) gen.Next(&text);
  auto parse_into = [&](std::string_view part, Aggregate* agg) {
    LogFormat f;
    ASSERT_TRUE(LogFormat::Parse("gen3", &f).ok());
    LineAnalyzer analyzer(f);
    analyzer.Feed(part, "mem", 1, [&](const LogRecord& r) { agg->Add(r); });
    EXPECT_EQ(analyzer.errors().total(), 0u);
  };
  const size_t mid = text.find('\n', text.size() / 2) + 1;
  Aggregate whole, first, second;
  parse_into(text, &whole);
  parse_into(std::string_view(text).substr(0, mid), &first);
  parse_into(std::string_view(text).substr(mid), &second);
  first.Merge(second);
  const auto w = AggregateJson(whole, 10), m = AggregateJson(first, 10);
  for (const char* exact : {"requests", "bytes", "status_codes", "status_classes", "verbs", "logins", "downloads",
                            "search_terms", "unique_users", "unique_client_ips"}) {
    EXPECT_EQ(w[exact], m[exact]) << exact;
  }
  EXPECT_EQ(w["latency"]["count"], m["latency"]["count"]);
  EXPECT_NEAR(w["latency"]["p99"].get<double>(), m["latency"]["p99"].get<double>(), 1e-9);

  Aggregate back;
  const Status s = Aggregate::Deserialize(whole.Serialize(), &back);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(AggregateJson(back, 10).dump(), w.dump());
  EXPECT_LT(whole.Serialize().size(), 200'000u);
}

TEST(Aggregate, CorruptBytesAreRefused) {
  Aggregate a, out;
  LogRecord r;
  r.status = 200;
  r.uri = "/x";
  a.Add(r);
  std::string bytes = a.Serialize();
  EXPECT_FALSE(Aggregate::Deserialize("not cbor", &out).ok());
  EXPECT_FALSE(Aggregate::Deserialize(bytes.substr(0, bytes.size() / 2), &out).ok());
  EXPECT_FALSE(Aggregate::Deserialize("", &out).ok());
}

TEST(Aggregate, BoundedHoweverManyDistinctValues) {
  Aggregate a;
  LogRecord r;
  r.status = 200;
  std::string user, path, service, verb;
  for (int i = 0; i < 200'000; ++i) {
    user = "user" + std::to_string(i);
    path = "/p/" + std::to_string(i);
    service = "svc" + std::to_string(i % 500);
    verb = "V" + std::to_string(i % 100);
    r.user = user;
    r.uri = path;
    r.client_ip = user;
    r.user_agent = path;
    r.service = service;
    r.verb = verb;
    a.Add(r);
  }
  EXPECT_LE(a.by_service.entries().size(), kMaxServices + 1);
  EXPECT_LE(a.by_verb.entries().size(), kMaxVerbs + 1);
  EXPECT_LE(a.top_paths.size(), kTopCapacity);
  EXPECT_LT(a.Serialize().size(), 400'000u);
}

TEST(SearchTerms, NormalisedFromQueryParameters) {
  EXPECT_EQ(NormaliseSearchTerm("Breast+Cancer"), "breast cancer");
  EXPECT_EQ(NormaliseSearchTerm("caf%C3%A9%20%20au+lait+"), "caf\xC3\xA9 au lait");
  EXPECT_EQ(NormaliseSearchTerm("+++"), "");
  EXPECT_EQ(NormaliseSearchTerm(std::string(300, 'a')).size(), 100u);
  EXPECT_TRUE(IsSearchParameter("q"));
  EXPECT_TRUE(IsSearchParameter("filter"));
  EXPECT_FALSE(IsSearchParameter("redirect"));
}

}  // namespace
}  // namespace csoc::logs

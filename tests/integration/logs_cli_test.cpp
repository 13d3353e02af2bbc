// The real `csoc logs` CLI: `generate --truth` writes a log and its exact counts; `report --json`
// on the plain file, on a gzip copy and on standard input gives those counts (status codes,
// sign-ins per provider, downloads, rejected lines by kind, search terms; unique users, addresses
// and objects within the HyperLogLog bound); the text report has its key lines; `--html` writes
// one self-contained page with the numbers; bad arguments and unreadable inputs exit non-zero
// with a message that names the problem.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <zlib.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <regex>

#include "support/support.h"

namespace csoc {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::CommandResult;
using testing::ReadFile;
using testing::RunCommand;
using testing::TempDir;
using testing::WriteFile;

namespace fs = std::filesystem;

constexpr const char* kKinds[] = {"truncated",     "binary",   "bad_json",        "wrong_type",
                                  "bad_timestamp", "too_long", "format_mismatch", "missing_field"};

CommandResult Csoc(const fs::path& scratch, std::vector<std::string> args, const fs::path& stdin_file = "/dev/null") {
  args.insert(args.begin(), CSOC_BINARY);
  return RunCommand(args, scratch, stdin_file, 60s);
}

// "12,345", as the text report writes counts.
std::string Grouped(uint64_t n) {
  std::string digits = std::to_string(n), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return out;
}

void Gzip(const fs::path& from, const fs::path& to) {
  const std::string text = ReadFile(from);
  gzFile f = gzopen(to.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  ASSERT_EQ(gzwrite(f, text.data(), static_cast<unsigned>(text.size())), static_cast<int>(text.size()));
  ASSERT_EQ(gzclose(f), Z_OK);
}

class LogsCli : public ::testing::Test {
 protected:
  // Generates `lines` lines in `format` with 3% malformed; returns the truth.
  json Generate(const std::string& format, const std::string& name, uint64_t seed, uint64_t lines = 30'000) {
    const fs::path log = dir_.path() / name, truth = dir_.path() / (name + ".truth.json");
    const CommandResult r = Csoc(dir_.path(), {"logs", "generate", "--format", format, "--lines", std::to_string(lines), "--seed",
                                               std::to_string(seed), "--malformed", "0.03", "--out", log.string(), "--truth",
                                               truth.string()});
    EXPECT_EQ(r.code, 0) << r.Describe();
    EXPECT_EQ(r.out, "") << "with --out the log goes to the file only";
    json t = json::parse(ReadFile(truth), nullptr, false);
    EXPECT_TRUE(t.is_object()) << ReadFile(truth);
    return t;
  }

  json ReportJson(const std::string& format, const std::string& input, const fs::path& stdin_file = "/dev/null") {
    const CommandResult r = Csoc(dir_.path(), {"logs", "report", "--format", format, "--json", "--threads", "2", "--top", "100",
                                               "--no-progress", input},
                                 stdin_file);
    EXPECT_EQ(r.code, 0) << r.Describe();
    json j = json::parse(r.out, nullptr, false);
    EXPECT_TRUE(j.is_object()) << r.Describe();
    return j;
  }

  TempDir dir_;
};

// Within 4 standard errors of HyperLogLog++ at p = 14 (0.81%).
void ExpectNear(const json& estimate, const json& truth, const std::string& what) {
  ASSERT_TRUE(estimate.is_number_unsigned()) << what << ": " << estimate;
  const double e = estimate.get<double>(), t = truth.get<double>();
  EXPECT_LE(std::fabs(e - t), 0.0325 * t + 1) << what << ": estimate " << e << ", truth " << t;
}

void ExpectMatchesTruth(const json& report, const json& truth, const std::string& where) {
  SCOPED_TRACE(where);
  const json& s = report["summary"];
  EXPECT_EQ(report["lines"], truth["lines"]);
  EXPECT_EQ(s["requests"], truth["requests"]);
  EXPECT_EQ(report["from"], truth["from"]);
  EXPECT_EQ(report["to"], truth["to"]);

  json codes = json::object();
  for (const json& c : s["status_codes"]) codes[std::to_string(c["code"].get<int>())] = c["requests"];
  EXPECT_EQ(codes, truth["by_status"]);
  json classes = json::object();
  for (const auto& [code, n] : truth["by_status"].items()) {
    const std::string cls = code.substr(0, 1) + "xx";
    classes[cls] = classes.value(cls, uint64_t{0}) + n.get<uint64_t>();
  }
  for (const auto& [cls, n] : s["status_classes"].items()) EXPECT_EQ(n, classes.value(cls, uint64_t{0})) << cls;

  json logins = json::object();
  for (const json& l : s["logins"]) logins[l["provider"].get<std::string>()] = l["attempts"];
  EXPECT_EQ(logins, truth["logins"]);
  EXPECT_GE(logins.size(), 3u) << "the generator signs in with several providers";
  EXPECT_EQ(s["downloads"]["count"], truth["downloads"]);
  ExpectNear(s["downloads"]["distinct_objects"], truth["distinct_objects"], "distinct objects");
  ExpectNear(s["unique_users"], truth["unique_users"], "unique users");
  ExpectNear(s["unique_client_ips"], truth["unique_client_ips"], "unique client addresses");

  // Fewer distinct terms than a top table holds: each count is exact.
  json terms = json::object();
  for (const json& t : s["search_terms"]) {
    EXPECT_EQ(t["error"], 0) << t;
    terms[t["value"].get<std::string>()] = t["count"];
  }
  EXPECT_EQ(terms, truth["search_terms"]);

  const json& errors = report["parse_errors"];
  uint64_t rejected = 0;
  for (const char* kind : kKinds) {
    EXPECT_EQ(errors["by_kind"][kind], truth["malformed"][kind]) << kind;
    rejected += truth["malformed"][kind].get<uint64_t>();
  }
  EXPECT_EQ(errors["total"], rejected);
  EXPECT_EQ(rejected + truth["requests"].get<uint64_t>(), truth["lines"].get<uint64_t>());
  EXPECT_FALSE(errors["samples"].empty());
}

TEST_F(LogsCli, ReportsOnAFileAGzipCopyAndStandardInputMatchTheTruth) {
  // The kinds of bad line each format can have: combined has no JSON to break and no field to
  // miss; gen3 no literal to mismatch.
  const std::tuple<std::string, int, size_t> formats[] = {{"combined", 5, 5}, {"gen3", 6, 6}};
  for (const auto& [format, seed, malformed_kinds] : formats) {
    SCOPED_TRACE(format);
    const std::string name = format + ".log";
    const json truth = Generate(format, name, seed);
    ASSERT_TRUE(truth.is_object());
    size_t kinds_present = 0;
    for (const auto& [kind, n] : truth["malformed"].items()) kinds_present += n.get<uint64_t>() > 0;
    ASSERT_EQ(kinds_present, malformed_kinds) << truth["malformed"] << ": every kind the format can have";
    const fs::path plain = dir_.path() / name, gz = dir_.path() / (name + ".gz");
    Gzip(plain, gz);
    ASSERT_LT(fs::file_size(gz), fs::file_size(plain) / 3) << "the copy is compressed";

    const json from_file = ReportJson(format, plain.string());
    ExpectMatchesTruth(from_file, truth, "plain file");
    const json from_gzip = ReportJson(format, gz.string());
    ExpectMatchesTruth(from_gzip, truth, "gzip copy");
    const json from_stdin = ReportJson(format, "-", plain);
    ExpectMatchesTruth(from_stdin, truth, "standard input");
    EXPECT_EQ(from_file["format"], format);
    EXPECT_EQ(from_file["input_bytes"], fs::file_size(plain));
    EXPECT_EQ(from_gzip["input_bytes"], fs::file_size(plain)) << "bytes of log text, after decompression";
    EXPECT_EQ(from_stdin["input_bytes"], fs::file_size(plain));
    // The per-minute series adds up to the total.
    uint64_t series = 0;
    for (const json& p : from_file["per_minute"]) series += p["requests"].get<uint64_t>();
    EXPECT_EQ(series, truth["requests"].get<uint64_t>());
    // A sample names the file and line it came from.
    const json& sample = from_file["parse_errors"]["samples"][0];
    EXPECT_EQ(sample["source"], plain.string()) << sample;
    EXPECT_GT(sample["line"].get<uint64_t>(), 0u) << sample;
    if (format == "gen3") {
      EXPECT_EQ(from_file["summary"]["latency"]["count"], truth["requests"]) << "every gen3 line has response_secs";
    } else {
      EXPECT_TRUE(from_file["summary"]["latency"].is_null()) << "combined has no request time";
    }
  }
}

TEST_F(LogsCli, TextReportHasTheKeyLines) {
  const json truth = Generate("combined", "access.log", 9, 20'000);
  const CommandResult r = Csoc(dir_.path(), {"logs", "report", "--threads", "2", (dir_.path() / "access.log").string()});
  ASSERT_EQ(r.code, 0) << r.Describe();
  EXPECT_EQ(r.err, "") << "no progress line when standard error is not a terminal";
  const std::string& text = r.out;
  const uint64_t requests = truth["requests"], lines = truth["lines"];
  EXPECT_THAT(text, HasSubstr("csoc logs report: " + Grouped(lines) + " lines (combined)"));
  EXPECT_THAT(text, HasSubstr("\nTime range    "));
  EXPECT_THAT(text, HasSubstr("\nRequests      " + Grouped(requests) + "   "));
  EXPECT_THAT(text, HasSubstr("\nRejected      " + Grouped(lines - requests) + " lines ("));
  for (const char* kind : {"truncated", "binary", "wrong_type", "bad_timestamp", "format_mismatch"}) {
    EXPECT_THAT(text, HasSubstr(std::string(kind) + " " + Grouped(truth["malformed"][kind].get<uint64_t>()))) << kind;
  }
  EXPECT_THAT(text, HasSubstr("\nStatus        1xx 0 (0.0%)   2xx "));
  EXPECT_THAT(text, HasSubstr("200 " + Grouped(truth["by_status"]["200"].get<uint64_t>()) + "   "));
  EXPECT_THAT(text, HasSubstr("\nVerbs         GET "));
  EXPECT_THAT(text, Not(HasSubstr("\nLatency ")));  // combined carries no request time
  EXPECT_THAT(text, HasSubstr("\nSign-ins by identity provider\n"));
  for (const auto& [idp, n] : truth["logins"].items()) {
    EXPECT_TRUE(std::regex_search(text, std::regex("\n  " + idp + " +" + Grouped(n.get<uint64_t>()) + " attempts"))) << idp;
  }
  EXPECT_THAT(text, HasSubstr("\nDownloads     " + Grouped(truth["downloads"].get<uint64_t>()) + "   "));
  for (const char* table : {"\nTop paths\n", "\nTop users\n", "\nTop client IPs\n", "\nTop user agents\n", "\nSearch terms\n"}) {
    EXPECT_THAT(text, HasSubstr(table));
  }
}

TEST_F(LogsCli, HtmlReportIsOneSelfContainedPageWithTheNumbers) {
  const json truth = Generate("gen3", "revproxy.log", 4, 20'000);
  const fs::path html_file = dir_.path() / "report.html";
  const CommandResult r = Csoc(dir_.path(), {"logs", "report", "--format", "gen3", "--threads", "2", "--html", html_file.string(),
                                             (dir_.path() / "revproxy.log").string()});
  ASSERT_EQ(r.code, 0) << r.Describe();
  EXPECT_EQ(r.out, "") << "with --html alone nothing goes to standard output";
  EXPECT_THAT(r.err, HasSubstr("wrote " + html_file.string()));
  const std::string html = ReadFile(html_file);
  ASSERT_FALSE(html.empty());
  EXPECT_THAT(html, HasSubstr("<style>")) << "the stylesheet is inline";
  // Nothing is loaded from anywhere: no scripts or stylesheets by reference, no external URLs at
  // all (the generated log has none in its paths or agents; its referers are not shown).
  EXPECT_THAT(html, Not(HasSubstr("<script")));
  EXPECT_THAT(html, Not(HasSubstr("<link")));
  EXPECT_THAT(html, Not(HasSubstr("<img")));
  EXPECT_THAT(html, Not(HasSubstr("http://")));
  EXPECT_THAT(html, Not(HasSubstr("https://")));
  EXPECT_THAT(html, Not(HasSubstr("url(")));
  EXPECT_FALSE(std::regex_search(html, std::regex(R"((src|href)\s*=\s*"//)"))) << "protocol-relative URL";
  EXPECT_THAT(html, Not(HasSubstr("href=\"/"))) << "a link to a server page, in a file";
  // The numbers: requests, 5xx count, status code rows, downloads, rejected lines by kind.
  const uint64_t requests = truth["requests"], lines = truth["lines"];
  EXPECT_THAT(html, HasSubstr("<div class=\"stat-label\">Requests</div><div class=\"stat-value\">" + Grouped(requests) + "</div>"));
  uint64_t five = 0;
  for (const auto& [code, n] : truth["by_status"].items()) five += code[0] == '5' ? n.get<uint64_t>() : 0;
  ASSERT_GT(five, 0u);
  EXPECT_THAT(html, HasSubstr(Grouped(five) + " answered 5xx"));
  for (const auto& [code, n] : truth["by_status"].items()) {
    EXPECT_THAT(html, HasSubstr("<td class=\"code\">" + code + "</td><td class=\"num\">" + Grouped(n.get<uint64_t>()) + "</td>"));
  }
  EXPECT_THAT(html, HasSubstr("<tr><td>Downloads</td><td class=\"num\">" + Grouped(truth["downloads"].get<uint64_t>()) + "</td></tr>"));
  for (const auto& [idp, n] : truth["logins"].items()) {
    EXPECT_THAT(html, HasSubstr("<tr><td>" + idp + "</td><td class=\"num\">" + Grouped(n.get<uint64_t>()) + "</td>")) << idp;
  }
  EXPECT_THAT(html, HasSubstr(">" + Grouped(lines) + "</td><td class=\"num bad\" data-label=\"Rejected\">" + Grouped(lines - requests) + " ("));
  for (const char* kind : {"truncated", "binary", "bad_json", "wrong_type", "bad_timestamp", "missing_field"}) {
    EXPECT_THAT(html, HasSubstr(std::string(kind) + " " + Grouped(truth["malformed"][kind].get<uint64_t>()))) << kind;
  }
  EXPECT_THAT(html, HasSubstr("<rect class=\"bar-ok\"")) << "the traffic chart is drawn";
  EXPECT_THAT(html, Not(HasSubstr("No latency data"))) << "a report has latency in its cards, not per minute";

  // A place that cannot be written is an error naming it.
  const CommandResult bad = Csoc(dir_.path(), {"logs", "report", "--format", "gen3", "--html", "/nonexistent-dir/report.html",
                                               (dir_.path() / "revproxy.log").string()});
  EXPECT_NE(bad.code, 0) << bad.Describe();
  EXPECT_THAT(bad.err, HasSubstr("/nonexistent-dir/report.html"));
}

TEST_F(LogsCli, BadArgumentsAndUnreadableInputsAreRefusedWithTheReason) {
  Generate("combined", "access.log", 2, 2'000);
  const std::string log = (dir_.path() / "access.log").string();
  struct Case {
    std::vector<std::string> args;
    std::vector<std::string> message;  // all of these in standard error
  };
  const std::vector<Case> cases = {
      {{"logs", "report", "--format", "apache", log}, {"--format", "unknown log format 'apache'"}},
      {{"logs", "report", "--format", "$remote_addr$remote_user [$time_local] \"$request\" $status", log}, {"--format"}},
      {{"logs", "report", "--format", "$remote_addr [$time_local] \"$request\"", log}, {"--format", "$status"}},
      {{"logs", "report", "/nonexistent/access.log"}, {"/nonexistent/access.log"}},
      {{"logs", "report", log, "/nonexistent/access.log.1"}, {"/nonexistent/access.log.1"}},
      {{"logs", "report", (dir_.path() / "broken.log.gz").string()}, {"broken.log.gz"}},
      {{"logs", "generate", "--format", "xml"}, {"--format must be combined or gen3"}},
      {{"logs", "generate", "--start", "yesterday"}, {"--start", "yesterday"}},
      {{"logs", "generate", "--malformed", "1.5"}, {"--malformed"}},
      {{"logs", "generate", "--lines", "10", "--out", "/nonexistent-dir/x.log"}, {"/nonexistent-dir/x.log"}},
  };
  // A gzip file cut in the middle.
  Gzip(log, dir_.path() / "whole.log.gz");
  const std::string whole = ReadFile(dir_.path() / "whole.log.gz");
  WriteFile(dir_.path() / "broken.log.gz", whole.substr(0, whole.size() / 2));
  for (const Case& c : cases) {
    const CommandResult r = Csoc(dir_.path(), c.args);
    std::string shown;
    for (const auto& a : c.args) shown += a + " ";
    EXPECT_NE(r.code, 0) << shown << r.Describe();
    EXPECT_NE(r.code, -1) << shown << "ran past its time";
    EXPECT_LT(r.code, 128) << shown << "crashed: " << r.Describe();
    for (const std::string& m : c.message) EXPECT_THAT(r.err, HasSubstr(m)) << shown;
    EXPECT_EQ(r.out, "") << shown << "nothing on standard output when it fails";
  }
}

}  // namespace
}  // namespace csoc

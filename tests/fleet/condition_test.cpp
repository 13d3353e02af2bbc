#include "fleet/condition.h"

#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace csoc::fleet {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;

Condition MustParse(std::string_view text) {
  Condition c;
  Status st = Condition::Parse(text, &c);
  EXPECT_TRUE(st.ok()) << text << " -> " << st.message();
  return c;
}

std::string ParseError(std::string_view text) {
  Condition c;
  Status st = Condition::Parse(text, &c);
  EXPECT_FALSE(st.ok()) << "expected a parse error for: " << text;
  EXPECT_EQ(st.code(), Status::Code::kInvalidArgument);
  return st.message();
}

ProbeResult Http(int status, std::string body = "", std::vector<std::pair<std::string, std::string>> headers = {}) {
  ProbeResult r;
  r.connected = true;
  r.status_code = status;
  r.body = std::move(body);
  r.headers = std::move(headers);
  r.latency = milliseconds(120);
  return r;
}

std::optional<std::string> Eval(std::string_view text, const ProbeResult& r) { return MustParse(text).Evaluate(r); }

// Holds: Evaluate returns nullopt. Printing the reason makes a failure readable.
#define EXPECT_HOLDS(text, result)                                               \
  do {                                                                           \
    auto reason_ = Eval(text, result);                                           \
    EXPECT_FALSE(reason_.has_value()) << text << " -> " << reason_.value_or(""); \
  } while (0)
#define EXPECT_FAILS_WITH(text, result, expected)        \
  do {                                                   \
    auto reason_ = Eval(text, result);                   \
    ASSERT_TRUE(reason_.has_value()) << text << " held"; \
    EXPECT_EQ(*reason_, expected) << text;               \
  } while (0)

// ----- status ------------------------------------------------------------------------------------

TEST(ConditionStatus, ComparisonOperators) {
  ProbeResult r = Http(503);
  EXPECT_HOLDS("status == 503", r);
  EXPECT_FAILS_WITH("status == 200", r, "status is 503, expected == 200");
  EXPECT_HOLDS("status != 200", r);
  EXPECT_FAILS_WITH("status != 503", r, "status is 503, expected != 503");
  EXPECT_HOLDS("status < 504", r);
  EXPECT_FAILS_WITH("status < 500", r, "status 503 is not < 500");
  EXPECT_HOLDS("status <= 503", r);
  EXPECT_FAILS_WITH("status <= 502", r, "status 503 is not <= 502");
  EXPECT_HOLDS("status > 502", r);
  EXPECT_FAILS_WITH("status > 503", r, "status 503 is not > 503");
  EXPECT_HOLDS("status >= 503", r);
  EXPECT_FAILS_WITH("status >= 504", r, "status 503 is not >= 504");
}

TEST(ConditionStatus, RangesAreInclusive) {
  EXPECT_HOLDS("status in 200..399", Http(200));
  EXPECT_HOLDS("status in 200..399", Http(399));
  EXPECT_FAILS_WITH("status in 200..399", Http(503), "status 503 is not in 200..399");
  EXPECT_FAILS_WITH("status in 200..399", Http(199), "status 199 is not in 200..399");
  EXPECT_HOLDS("status in 200 .. 299", Http(250));
  EXPECT_HOLDS("status not in 500..599", Http(404));
  EXPECT_FAILS_WITH("status not in 500..599", Http(503), "status 503 is in 500..599");
}

TEST(ConditionStatus, Sets) {
  EXPECT_HOLDS("status in (200, 301, 302)", Http(301));
  EXPECT_HOLDS("status in (200,301,302)", Http(302));
  EXPECT_FAILS_WITH("status in (200, 301, 302)", Http(404), "status 404 is not in (200, 301, 302)");
  EXPECT_HOLDS("status not in (500, 502)", Http(200));
  EXPECT_FAILS_WITH("status not in (500, 502)", Http(502), "status 502 is in (500, 502)");
}

TEST(ConditionStatus, NoSpacesNeeded) {
  EXPECT_HOLDS("status==200", Http(200));
  EXPECT_HOLDS("  status   in(200)  ", Http(200));
}

TEST(ConditionStatus, MissingStatusIsAReason) {
  ProbeResult r;
  r.connected = true;
  EXPECT_FAILS_WITH("status != 500", r, "no HTTP status in the result");
}

// ----- response_time -----------------------------------------------------------------------------

TEST(ConditionResponseTime, ComparesDurations) {
  ProbeResult r = Http(200);
  r.latency = milliseconds(1520);
  EXPECT_FAILS_WITH("response_time < 500ms", r, "response_time 1.52s is not < 500ms");
  EXPECT_HOLDS("response_time < 2s", r);
  EXPECT_HOLDS("response_time <= 1520ms", r);
  EXPECT_HOLDS("response_time > 1s", r);
  EXPECT_FAILS_WITH("response_time >= 1m", r, "response_time 1.52s is not >= 1m");
  EXPECT_HOLDS("response_time in 1s..2s", r);
  EXPECT_FAILS_WITH("response_time in 100ms..1s", r, "response_time 1.52s is not in 100ms..1s");
  EXPECT_HOLDS("response_time == 1520ms", r);
  EXPECT_FAILS_WITH("response_time != 1520ms", r, "response_time is 1.52s, expected != 1520ms");
}

TEST(ConditionResponseTime, FormatsLatencyForPeople) {
  ProbeResult r = Http(200);
  r.latency = microseconds(850);
  EXPECT_FAILS_WITH("response_time > 1ms", r, "response_time 850µs is not > 1ms");
  r.latency = microseconds(3200);
  EXPECT_FAILS_WITH("response_time > 5ms", r, "response_time 3.2ms is not > 5ms");
  r.latency = microseconds(412'300);
  EXPECT_FAILS_WITH("response_time > 500ms", r, "response_time 412ms is not > 500ms");
  r.latency = milliseconds(2000);
  EXPECT_FAILS_WITH("response_time < 1s", r, "response_time 2s is not < 1s");
  r.latency = milliseconds(1500);
  EXPECT_FAILS_WITH("response_time < 1s", r, "response_time 1.5s is not < 1s");
}

TEST(ConditionResponseTime, SubMillisecondPrecisionCounts) {
  ProbeResult r = Http(200);
  r.latency = microseconds(500'001);
  EXPECT_FAILS_WITH("response_time <= 500ms", r, "response_time 500ms is not <= 500ms");
  r.latency = microseconds(500'000);
  EXPECT_HOLDS("response_time <= 500ms", r);
}

// ----- body --------------------------------------------------------------------------------------

TEST(ConditionBody, Contains) {
  ProbeResult r = Http(200, "status: ok\nversion: 3");
  EXPECT_HOLDS("body contains \"ok\"", r);
  EXPECT_FAILS_WITH("body contains \"healthy\"", r, "body does not contain \"healthy\"");
  EXPECT_HOLDS("body not contains \"error\"", r);
  EXPECT_FAILS_WITH("body not contains \"version\"", r, "body contains \"version\"");
}

TEST(ConditionBody, Matches) {
  ProbeResult r = Http(200, "ready: 42");
  EXPECT_HOLDS(R"(body matches "^ready: \d+")", r);
  EXPECT_FAILS_WITH(R"(body matches "^ready: \d+$x")", r, R"(body does not match "^ready: \d+$x")");
  EXPECT_HOLDS(R"~(body not matches "fail(ed|ure)")~", r);
  EXPECT_FAILS_WITH(R"(body not matches "\d{2}")", r, R"(body matches "\d{2}")");
  // Unanchored by default, case-sensitive unless the pattern says otherwise.
  EXPECT_HOLDS(R"(body matches "42")", r);
  EXPECT_FAILS_WITH(R"(body matches "READY")", r, R"(body does not match "READY")");
  EXPECT_HOLDS(R"(body matches "(?i)READY")", r);
}

TEST(ConditionBody, EqualityShowsAnExcerpt) {
  ProbeResult r = Http(200, "OK\n");
  EXPECT_HOLDS("body == \"OK\n\"", r);
  EXPECT_FAILS_WITH("body == \"OK\"", r, R"(body is "OK\n", expected == "OK")");
  EXPECT_HOLDS("body != \"OK\"", r);
  EXPECT_HOLDS("body in (\"OK\n\", \"ok\n\")", r);
  ProbeResult long_body = Http(200, std::string(200, 'x'));
  auto reason = Eval("body == \"y\"", long_body);
  ASSERT_TRUE(reason);
  EXPECT_EQ(*reason, "body is \"" + std::string(80, 'x') + "…\", expected == \"y\"");
}

TEST(ConditionBody, EscapesInStrings) {
  ProbeResult r = Http(200, R"({"say":"he said \"hi\"", "path":"C:\\tmp"})");
  EXPECT_HOLDS(R"(body contains "\"hi\\\"")", r);
  EXPECT_HOLDS(R"(body contains "C:\\\\tmp")", r);
  EXPECT_FAILS_WITH(R"(body contains "\"bye")", r, R"(body does not contain "\"bye")");
}

TEST(ConditionBody, TruncatedBodyIsMentioned) {
  ProbeResult r = Http(200, std::string(ProbeResult::kMaxBody, 'a'));
  r.body_truncated = true;
  EXPECT_FAILS_WITH("body contains \"</html>\"", r, "body does not contain \"</html>\" (the body was cut at 64 KiB)");
}

// ----- headers -----------------------------------------------------------------------------------

TEST(ConditionHeader, NameIsCaseInsensitive) {
  ProbeResult r = Http(200, "", {{"content-type", "application/json; charset=utf-8"}});
  EXPECT_HOLDS("header[Content-Type] contains \"json\"", r);
  EXPECT_HOLDS("header[CONTENT-TYPE] contains \"json\"", r);
  EXPECT_HOLDS("header[ content-type ] contains \"json\"", r);
  ProbeResult upper = Http(200, "", {{"Content-Type", "text/html"}});
  EXPECT_FAILS_WITH("header[content-type] contains \"json\"", upper,
                    R"(header content-type "text/html" does not contain "json")");
}

TEST(ConditionHeader, StringOperators) {
  ProbeResult r = Http(200, "", {{"server", "nginx/1.22"}, {"cache-control", "no-store"}});
  EXPECT_HOLDS("header[Server] == \"nginx/1.22\"", r);
  EXPECT_FAILS_WITH("header[Server] == \"apache\"", r, R"(header server is "nginx/1.22", expected == "apache")");
  EXPECT_HOLDS("header[Server] != \"apache\"", r);
  EXPECT_HOLDS(R"(header[Server] matches "^nginx/\d+\.\d+$")", r);
  EXPECT_FAILS_WITH(R"(header[Server] matches "^apache")", r, R"(header server "nginx/1.22" does not match "^apache")");
  EXPECT_HOLDS("header[Cache-Control] not contains \"public\"", r);
  EXPECT_FAILS_WITH("header[Cache-Control] not contains \"no-\"", r,
                    R"(header cache-control "no-store" contains "no-")");
  EXPECT_HOLDS("header[Cache-Control] in (\"no-store\", \"no-cache\")", r);
}

TEST(ConditionHeader, Missing) {
  ProbeResult r = Http(200);
  EXPECT_FAILS_WITH("header[Content-Type] contains \"json\"", r, "header content-type is missing");
  EXPECT_FAILS_WITH("header[Content-Type] != \"text/html\"", r, "header content-type is missing");
  EXPECT_FAILS_WITH("header[X-Request-Id] exists", r, "header x-request-id is missing");
  EXPECT_HOLDS("header[X-Debug] not exists", r);
}

TEST(ConditionHeader, Exists) {
  ProbeResult r = Http(200, "", {{"x-debug", "1"}});
  EXPECT_HOLDS("header[X-Debug] exists", r);
  EXPECT_FAILS_WITH("header[X-Debug] not exists", r, R"(header x-debug is "1", expected not exists)");
}

TEST(ConditionHeader, NumericComparisons) {
  ProbeResult r = Http(200, "", {{"content-length", " 1024"}, {"age", "abc"}});
  EXPECT_HOLDS("header[Content-Length] < 2048", r);
  EXPECT_HOLDS("header[Content-Length] == 1024", r);
  EXPECT_HOLDS("header[Content-Length] in 1..4096", r);
  EXPECT_FAILS_WITH("header[Content-Length] > 4096", r, R"(header content-length " 1024" is not > 4096)");
  EXPECT_FAILS_WITH("header[Age] < 10", r, R"(header age is "abc", not a number)");
}

TEST(ConditionHeader, RepeatedHeadersAreJoined) {
  ProbeResult r = Http(200, "", {{"vary", "Accept"}, {"vary", "Origin"}});
  EXPECT_HOLDS("header[Vary] == \"Accept, Origin\"", r);
  EXPECT_HOLDS("header[Vary] contains \"Origin\"", r);
}

// ----- JSON paths --------------------------------------------------------------------------------

const char* kStatusJson = R"({
  "status": "UP",
  "db": {"ok": true, "latency_ms": 12.5, "pool": {"size": 10}},
  "items": [{"name": "x", "count": 3}, {"name": "y", "count": "3"}],
  "tags": ["prod", "eu", 7],
  "version": 2,
  "big": 18446744073709551615,
  "negative": -4,
  "nothing": null,
  "odd key.with dots": "yes",
  "nested": [[1, 2], [3]]
})";

TEST(ConditionJson, Strings) {
  ProbeResult r = Http(200, kStatusJson);
  EXPECT_HOLDS("$.status == \"UP\"", r);
  EXPECT_FAILS_WITH("$.status == \"DOWN\"", r, R"($.status is "UP", expected == "DOWN")");
  ProbeResult down = Http(200, R"({"status":"DOWN"})");
  EXPECT_FAILS_WITH("$.status == \"UP\"", down, R"($.status is "DOWN", expected == "UP")");
  EXPECT_HOLDS("$.status != \"DOWN\"", r);
  EXPECT_HOLDS("$.status in (\"UP\", \"OK\")", r);
  EXPECT_FAILS_WITH("$.status in (\"DOWN\", \"OUT_OF_SERVICE\")", r,
                    R"($.status "UP" is not in ("DOWN", "OUT_OF_SERVICE"))");
  EXPECT_HOLDS("$.status contains \"U\"", r);
  EXPECT_HOLDS("$.status matches \"^(UP|OK)$\"", r);
  EXPECT_FAILS_WITH("$.status not matches \"^UP\"", r, R"($.status "UP" matches "^UP")");
}

TEST(ConditionJson, NumbersAndNesting) {
  ProbeResult r = Http(200, kStatusJson);
  EXPECT_HOLDS("$.db.latency_ms <= 20", r);
  EXPECT_FAILS_WITH("$.db.latency_ms <= 10", r, "$.db.latency_ms 12.5 is not <= 10");
  EXPECT_HOLDS("$.db.pool.size == 10", r);
  EXPECT_HOLDS("$.db.pool.size == 1e1", r);
  EXPECT_HOLDS("$.db.pool.size in 5..10", r);
  EXPECT_HOLDS("$.version in (1, 2)", r);
  EXPECT_HOLDS("$.negative < 0", r);
  EXPECT_HOLDS("$.negative == -4", r);
  EXPECT_HOLDS("$.big > 1000000", r);
  EXPECT_FAILS_WITH("$.big < 5", r, "$.big 18446744073709551615 is not < 5");
  EXPECT_FAILS_WITH("$.version > 2.5", r, "$.version 2 is not > 2.5");
}

TEST(ConditionJson, ArraysAndIndexes) {
  ProbeResult r = Http(200, kStatusJson);
  EXPECT_HOLDS("$.items[0].name != \"x2\"", r);
  EXPECT_FAILS_WITH("$.items[0].name != \"x\"", r, R"($.items[0].name is "x", expected != "x")");
  EXPECT_HOLDS("$.items[1].name == \"y\"", r);
  EXPECT_HOLDS("$.nested[1][0] == 3", r);
  EXPECT_FAILS_WITH("$.items[5].name == \"z\"", r, "$.items[5] not found in body ($.items has 2 elements)");
  EXPECT_FAILS_WITH("$.status[0] == \"U\"", r, "$.status[0] not found in body ($.status is a string)");
  EXPECT_FAILS_WITH("$.items.name == \"x\"", r, "$.items.name not found in body ($.items is an array)");
  ProbeResult top = Http(200, R"([{"id": 1}])");
  EXPECT_HOLDS("$[0].id == 1", top);
}

TEST(ConditionJson, NumbersAndStringsAreDistinct) {
  ProbeResult r = Http(200, kStatusJson);
  EXPECT_HOLDS("$.items[0].count == 3", r);
  EXPECT_FAILS_WITH("$.items[0].count == \"3\"", r, R"($.items[0].count is 3, expected == "3")");
  EXPECT_FAILS_WITH("$.items[1].count == 3", r, R"($.items[1].count is "3", expected == 3)");
  EXPECT_FAILS_WITH("$.items[1].count > 2", r, R"($.items[1].count is "3", not a number)");
  EXPECT_FAILS_WITH("$.version matches \"2\"", r, "$.version is 2, not a string");
}

TEST(ConditionJson, BooleansAndNull) {
  ProbeResult r = Http(200, kStatusJson);
  EXPECT_HOLDS("$.db.ok == true", r);
  EXPECT_FAILS_WITH("$.db.ok == false", r, "$.db.ok is true, expected == false");
  EXPECT_FAILS_WITH("$.db.ok == \"true\"", r, R"($.db.ok is true, expected == "true")");
  EXPECT_HOLDS("$.nothing == null", r);
  EXPECT_FAILS_WITH("$.db == null", r, R"($.db is {"ok":true,"latency_ms":12.5,"pool":{"size":10}}, expected == null)");
  EXPECT_HOLDS("$.nothing exists", r);
}

TEST(ConditionJson, ContainsOnArraysObjectsAndStrings) {
  ProbeResult r = Http(200, kStatusJson);
  EXPECT_HOLDS("$.tags contains \"eu\"", r);
  EXPECT_HOLDS("$.tags contains 7", r);
  EXPECT_FAILS_WITH("$.tags contains \"us\"", r, R"($.tags ["prod","eu",7] does not contain "us")");
  EXPECT_HOLDS("$.tags not contains \"us\"", r);
  EXPECT_HOLDS("$.db contains \"pool\"", r);
  EXPECT_FAILS_WITH("$.db contains \"cache\"", r,
                    R"($.db {"ok":true,"latency_ms":12.5,"pool":{"size":10}} does not contain "cache")");
  EXPECT_FAILS_WITH("$.version contains 2", r, "$.version is 2, not a string, array or object");
}

TEST(ConditionJson, QuotedKeysAndRoot) {
  ProbeResult r = Http(200, kStatusJson);
  EXPECT_HOLDS(R"($["odd key.with dots"] == "yes")", r);
  EXPECT_HOLDS(R"($["db"]["pool"].size == 10)", r);
  EXPECT_HOLDS("$ contains \"status\"", r);
  ProbeResult scalar = Http(200, "42");
  EXPECT_HOLDS("$ == 42", scalar);
}

TEST(ConditionJson, MissingPath) {
  ProbeResult r = Http(200, R"({"status":"UP"})");
  EXPECT_FAILS_WITH("$.db.latency_ms < 20", r, "$.db not found in body");
  EXPECT_FAILS_WITH("$.db exists", r, "$.db not found in body");
  EXPECT_HOLDS("$.db not exists", r);
  EXPECT_HOLDS("$.db.latency_ms not exists", r);
  EXPECT_FAILS_WITH("$.status not exists", r, R"($.status is "UP", expected not exists)");
  EXPECT_FAILS_WITH("$.status.code == 1", r, "$.status.code not found in body ($.status is a string)");
}

TEST(ConditionJson, BodyThatIsNotJson) {
  auto reason = Eval("$.status == \"UP\"", Http(200, "<html>down</html>"));
  ASSERT_TRUE(reason);
  EXPECT_EQ(reason->rfind("body is not JSON (", 0), 0u) << *reason;
  EXPECT_FAILS_WITH("$.status == \"UP\"", Http(200, ""), "body is not JSON (the body is empty)");
  ProbeResult cut = Http(200, R"({"status": "UP", "rest": ")");
  cut.body_truncated = true;
  reason = Eval("$.status == \"UP\"", cut);
  ASSERT_TRUE(reason);
  EXPECT_NE(reason->find("the body was cut at 64 KiB)"), std::string::npos) << *reason;
  // A non-JSON body fails even the negative forms: the document contract is broken.
  EXPECT_TRUE(Eval("$.error not exists", Http(200, "oops")).has_value());
}

TEST(ConditionJson, UnicodeValues) {
  ProbeResult r = Http(200, R"({"name":"Zürich","tab":"a\tb"})");
  EXPECT_HOLDS("$.name == \"Zürich\"", r);
  EXPECT_FAILS_WITH("$.tab == \"ab\"", r, R"($.tab is "a\tb", expected == "ab")");
}

TEST(ConditionJson, ParsesConcurrently) {
  Condition c = MustParse("$.items[1].count == \"3\"");
  ProbeResult good = Http(200, kStatusJson);
  ProbeResult bad = Http(200, R"({"items":[]})");
  std::vector<std::thread> threads;
  std::vector<int> failures(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        bool expect_hold = (i + t) % 2 == 0;
        auto reason = c.Evaluate(expect_hold ? good : bad);
        if (reason.has_value() == expect_hold) ++failures[t];
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures, std::vector<int>(4, 0));
}

// ----- certificates ------------------------------------------------------------------------------

TEST(ConditionCert, DaysLeft) {
  ProbeResult r;
  r.connected = true;
  r.cert_days_left = 5;
  EXPECT_FAILS_WITH("cert.days_left > 14", r, "certificate expires in 5 days, expected > 14");
  EXPECT_HOLDS("cert.days_left > 0", r);
  EXPECT_HOLDS("cert.days_left in 1..30", r);
  EXPECT_FAILS_WITH("cert.days_left in 30..90", r, "certificate expires in 5 days, expected in 30..90");
  EXPECT_FAILS_WITH("cert.days_left not in 1..30", r, "certificate expires in 5 days, expected not in 1..30");
  r.cert_days_left = 1;
  EXPECT_FAILS_WITH("cert.days_left >= 7", r, "certificate expires in 1 day, expected >= 7");
  r.cert_days_left = 0;
  EXPECT_FAILS_WITH("cert.days_left > 0", r, "certificate expires today, expected > 0");
  r.cert_days_left = -3;
  EXPECT_FAILS_WITH("cert.days_left > 0", r, "certificate expired 3 days ago, expected > 0");
  EXPECT_HOLDS("cert.days_left == -3", r);
  r.cert_days_left.reset();
  EXPECT_FAILS_WITH("cert.days_left > 0", r, "no certificate was read");
}

TEST(ConditionCert, Valid) {
  ProbeResult r;
  r.connected = true;
  r.cert_chain_valid = true;
  EXPECT_HOLDS("cert.valid == true", r);
  EXPECT_FAILS_WITH("cert.valid == false", r, "cert.valid is true, expected == false");
  EXPECT_FAILS_WITH("cert.valid != true", r, "cert.valid is true, expected != true");
  r.cert_chain_valid = false;
  r.cert_error = "unable to get local issuer certificate";
  EXPECT_FAILS_WITH("cert.valid == true", r, "certificate is not valid: unable to get local issuer certificate");
  EXPECT_HOLDS("cert.valid == false", r);
  r.cert_error.clear();
  EXPECT_FAILS_WITH("cert.valid == true", r, "certificate is not valid");
  r.cert_chain_valid.reset();
  EXPECT_FAILS_WITH("cert.valid == true", r, "no certificate was read");
}

// ----- address and connected ---------------------------------------------------------------------

TEST(ConditionAddress, Equality) {
  ProbeResult r;
  r.connected = true;
  r.addresses = {"10.0.0.1"};
  EXPECT_HOLDS("address == 10.0.0.1", r);
  EXPECT_FAILS_WITH("address == 10.0.0.2", r, "address is 10.0.0.1, expected == 10.0.0.2");
  EXPECT_HOLDS("address != 10.0.0.2", r);
  EXPECT_FAILS_WITH("address != 10.0.0.1", r, "address is 10.0.0.1, expected != 10.0.0.1");
  r.addresses = {"10.0.0.1", "10.0.0.2"};
  EXPECT_FAILS_WITH("address == 10.0.0.1", r, "address is [10.0.0.1, 10.0.0.2], expected == 10.0.0.1");
}

TEST(ConditionAddress, ContainsSetsAndRegexes) {
  ProbeResult r;
  r.connected = true;
  r.addresses = {"10.0.0.1", "10.0.0.2"};
  EXPECT_HOLDS("address contains 10.0.0.2", r);
  EXPECT_FAILS_WITH("address contains 10.0.0.3", r, "address [10.0.0.1, 10.0.0.2] does not contain 10.0.0.3");
  EXPECT_HOLDS("address not contains 10.0.0.3", r);
  EXPECT_FAILS_WITH("address not contains 10.0.0.1", r, "address [10.0.0.1, 10.0.0.2] contains 10.0.0.1");
  EXPECT_HOLDS("address in (10.0.0.1, 10.0.0.2, 10.0.0.3)", r);
  EXPECT_FAILS_WITH("address in (10.0.0.1)", r, "address [10.0.0.1, 10.0.0.2] is not in (10.0.0.1)");
  EXPECT_HOLDS("address not in (192.168.0.1)", r);
  EXPECT_HOLDS(R"(address matches "^10\.0\.")", r);
  EXPECT_FAILS_WITH(R"(address matches "\.1$")", r, R"(address [10.0.0.1, 10.0.0.2] does not match "\.1$")");
  EXPECT_HOLDS(R"(address not matches "^192\.")", r);
}

TEST(ConditionAddress, Ipv6IsCanonicalised) {
  ProbeResult r;
  r.connected = true;
  r.addresses = {"2001:db8::1", "::1"};
  EXPECT_HOLDS("address contains 2001:0db8:0:0::1", r);
  EXPECT_HOLDS("address contains ::1", r);
}

TEST(ConditionAddress, RecordValuesAsStrings) {
  ProbeResult r;
  r.connected = true;
  r.addresses = {"lb.example.org."};
  EXPECT_HOLDS("address == \"lb.example.org.\"", r);
}

TEST(ConditionAddress, NoAnswer) {
  ProbeResult r;
  r.connected = true;
  EXPECT_FAILS_WITH("address == 10.0.0.1", r, "no address in the answer");
  EXPECT_FAILS_WITH("address contains 10.0.0.1", r, "no address in the answer");
  EXPECT_FAILS_WITH("address in (10.0.0.1)", r, "no address in the answer");
  EXPECT_FAILS_WITH(R"(address matches ".")", r, "no address in the answer");
  EXPECT_HOLDS("address != 10.0.0.1", r);
  EXPECT_HOLDS("address not contains 10.0.0.1", r);
}

TEST(ConditionConnected, Both) {
  ProbeResult up;
  up.connected = true;
  ProbeResult refused;
  refused.error = "connection refused";
  EXPECT_HOLDS("connected == true", up);
  EXPECT_HOLDS("connected == false", refused);
  EXPECT_HOLDS("connected != false", up);
  EXPECT_FAILS_WITH("connected == true", refused, "connected is false (connection refused), expected == true");
  EXPECT_FAILS_WITH("connected == false", up, "connected is true, expected == false");
  ProbeResult silent;
  EXPECT_FAILS_WITH("connected == true", silent, "connected is false, expected == true");
}

// ----- misc --------------------------------------------------------------------------------------

TEST(Condition, KeepsItsText) {
  Condition c = MustParse("status in 200..299");
  EXPECT_EQ(c.text(), "status in 200..299");
}

TEST(Condition, CopiesShareTheParsedForm) {
  Condition a = MustParse("body matches \"ok\"");
  Condition b = a;
  EXPECT_FALSE(b.Evaluate(Http(200, "ok")).has_value());
  EXPECT_TRUE(a.Evaluate(Http(200, "no")).has_value());
}

TEST(Condition, DefaultConstructedNeverHolds) {
  Condition c;
  EXPECT_EQ(c.Evaluate(Http(200)), "the condition was never parsed");
}

TEST(Condition, FailedParseLeavesTheTargetUnchanged) {
  Condition c = MustParse("status == 200");
  Status st = Condition::Parse("status = 200", &c);
  EXPECT_FALSE(st.ok());
  EXPECT_EQ(c.text(), "status == 200");
  EXPECT_FALSE(c.Evaluate(Http(200)).has_value());
}

// ----- parse errors ------------------------------------------------------------------------------

TEST(ConditionParseError, Empty) {
  EXPECT_EQ(ParseError(""),
            "at column 1: the condition is empty; expected a subject (status, response_time, body, header[NAME], "
            "$.path, cert.days_left, cert.valid, address or connected)");
  EXPECT_EQ(ParseError("   ").substr(0, 40), "at column 4: the condition is empty; exp");
}

TEST(ConditionParseError, UnknownSubjectWithSuggestion) {
  EXPECT_EQ(ParseError("stauts == 200"),
            "at column 1: unknown subject 'stauts' (expected status, response_time, body, header[NAME], $.path, "
            "cert.days_left, cert.valid, address or connected); did you mean 'status'?");
  EXPECT_NE(ParseError("respone_time < 1s").find("did you mean 'response_time'?"), std::string::npos);
  EXPECT_NE(ParseError("Status == 200").find("did you mean 'status'?"), std::string::npos);
  EXPECT_NE(ParseError("cert.days < 3").find("did you mean 'cert.days_left'?"), std::string::npos);
  EXPECT_NE(ParseError("latency < 1s").find("did you mean 'response_time'?"), std::string::npos);
  EXPECT_NE(ParseError("[STATUS] == 200").find("unknown subject '[STATUS]'"), std::string::npos);
  EXPECT_NE(ParseError("[STATUS] == 200").find("did you mean 'status'?"), std::string::npos);
  EXPECT_NE(ParseError("body.status == \"UP\"").find("did you mean '$.status' (a JSON path into the body)?"),
            std::string::npos);
  EXPECT_EQ(ParseError("frobnicate == 1").find("did you mean"), std::string::npos);
  EXPECT_EQ(ParseError("cert == 1").find("did you mean"), std::string::npos);  // ambiguous prefix
  EXPECT_EQ(ParseError("== 200"),
            "at column 1: expected a subject (status, response_time, body, header[NAME], $.path, cert.days_left, "
            "cert.valid, address or connected), found \"==\"");
}

TEST(ConditionParseError, BadOperator) {
  EXPECT_EQ(ParseError("status =< 200"),
            "at column 8: expected an operator (==, !=, <, <=, >, >=, in, contains, matches), found \"=<\"; did you "
            "mean '<='?");
  EXPECT_EQ(ParseError("status = 200"),
            "at column 8: expected an operator (==, !=, <, <=, >, >=, in, contains, matches), found \"=\"; did you "
            "mean '=='?");
  EXPECT_EQ(ParseError("status"),
            "at column 7: expected an operator (==, !=, <, <=, >, >=, in, contains, matches), found the end of the "
            "condition");
  EXPECT_EQ(ParseError("body contians \"ok\""),
            "at column 6: expected an operator (==, !=, <, <=, >, >=, in, contains, matches), found \"contians\"; did "
            "you mean 'contains'?");
  EXPECT_EQ(ParseError("status 200"),
            "at column 8: expected an operator (==, !=, <, <=, >, >=, in, contains, matches), found \"200\"");
  EXPECT_EQ(ParseError("body not equals \"x\""),
            "at column 10: expected in, contains, matches or exists after 'not', found \"equals\"");
}

TEST(ConditionParseError, OperatorDoesNotApply) {
  EXPECT_EQ(ParseError("status contains \"2\""),
            "at column 8: 'contains' does not apply to status (use ==, !=, <, <=, >, >=, in or not in)");
  EXPECT_EQ(ParseError("body < 5"),
            "at column 6: '<' does not apply to body (use ==, !=, in (...), contains or matches)");
  EXPECT_EQ(ParseError("response_time in (1s, 2s)"),
            "at column 15: 'in' with a set does not apply to response_time (use <, <=, >, >=, ==, != or in with a "
            "range such as 100ms..2s)");
  EXPECT_EQ(ParseError("connected contains true"),
            "at column 11: 'contains' does not apply to connected (use == or != with true or false)");
  EXPECT_EQ(ParseError("address in 1..2"),
            "at column 9: 'in' with a range does not apply to address (use ==, !=, in (...), contains or matches)");
  EXPECT_EQ(ParseError("status exists"),
            "at column 8: 'exists' does not apply to status (use ==, !=, <, <=, >, >=, in or not in)");
  EXPECT_EQ(ParseError("cert.valid not matches \"x\""),
            "at column 12: 'not matches' does not apply to cert.valid (use == or != with true or false)");
}

TEST(ConditionParseError, BadOperands) {
  EXPECT_EQ(ParseError("status == ok"), "at column 11: expected an integer, found \"ok\"");
  EXPECT_EQ(ParseError("status == 200.5"), "at column 11: expected an integer, found \"200.5\"");
  EXPECT_EQ(ParseError("status == \"200\""), "at column 11: expected an integer, found the string \"200\"");
  EXPECT_EQ(ParseError("status =="), "at column 10: expected an integer, found the end of the condition");
  EXPECT_EQ(ParseError("response_time < 500"),
            "at column 17: expected a duration such as 500ms or 2s, found \"500\" (a duration needs a unit: ms, s, m, "
            "h or d)");
  EXPECT_EQ(ParseError("response_time < 5 s"),
            "at column 17: expected a duration such as 500ms or 2s, found \"5\" (a duration needs a unit: ms, s, m, h "
            "or d)");
  EXPECT_EQ(
      ParseError("response_time < 1.5s"),
      "at column 17: expected a duration such as 500ms or 2s, found \"1.5s\" (durations take whole numbers: write "
      "1500ms, not 1.5s)");
  EXPECT_EQ(ParseError("response_time < 1.5"),
            "at column 17: expected a duration such as 500ms or 2s, found \"1.5\" (durations take whole numbers: write "
            "1500ms, not 1.5s)");
  EXPECT_EQ(ParseError("response_time < fast"),
            "at column 17: expected a duration such as 500ms or 2s, found \"fast\"");
  EXPECT_EQ(
      ParseError("body contains ok"),
      "at column 15: expected a quoted string such as \"ok\", found \"ok\" (strings are written in double quotes: "
      "\"ok\")");
  EXPECT_EQ(
      ParseError("$.status == UP"),
      "at column 13: expected a quoted string, a number, true, false or null, found \"UP\" (strings are written in "
      "double quotes: \"UP\")");
  EXPECT_EQ(ParseError("connected == yes"), "at column 14: expected true or false, found \"yes\"");
  EXPECT_EQ(ParseError("address == 10.0.0.256"),
            "at column 12: expected an IP address or a quoted string, found \"10.0.0.256\"");
  EXPECT_EQ(ParseError("$.count > \"3\""), "at column 11: expected a number, found the string \"3\"");
  EXPECT_EQ(ParseError("status == inf"), "at column 11: expected an integer, found \"inf\"");
}

TEST(ConditionParseError, Strings) {
  EXPECT_EQ(ParseError("body contains \"ok"), "at column 15: the string is not closed (a '\"' is missing)");
  EXPECT_EQ(ParseError(R"(body contains "ok\")"), "at column 15: the string is not closed (a '\"' is missing)");
}

TEST(ConditionParseError, Ranges) {
  EXPECT_EQ(ParseError("status in 399..200"),
            "at column 11: the range 399..200 is empty: its start is greater than its end");
  EXPECT_EQ(ParseError("status in 200-399"), "at column 11: expected an integer, found \"200-399\"");
  EXPECT_EQ(ParseError("status in 200"),
            "at column 14: expected '..' after the range start 200 (a range is written 200..299, a set (200, 301)), "
            "found the end of the condition");
  EXPECT_EQ(ParseError("status in 200.."), "at column 16: expected an integer, found the end of the condition");
  EXPECT_EQ(ParseError("response_time in 2s..1s"),
            "at column 18: the range 2s..1s is empty: its start is greater than its end");
}

TEST(ConditionParseError, Sets) {
  EXPECT_EQ(ParseError("status in ()"), "at column 12: the set is empty");
  EXPECT_EQ(ParseError("status in (200 301)"), "at column 16: expected ',' or ')' in the set, found \"301\"");
  EXPECT_EQ(ParseError("status in (200,"), "at column 16: expected an integer, found the end of the condition");
  EXPECT_EQ(ParseError("status in (200, \"x\")"), "at column 17: expected an integer, found the string \"x\"");
}

TEST(ConditionParseError, TrailingText) {
  EXPECT_EQ(ParseError("status == 200 and body contains \"ok\""),
            "at column 15: expected the end of the condition after 200, found \"and\"; write each condition as its own "
            "list entry (all of them must hold)");
  EXPECT_EQ(ParseError("status == 200 201"),
            "at column 15: expected the end of the condition after 200, found \"201\"");
}

TEST(ConditionParseError, Headers) {
  EXPECT_EQ(ParseError("header == \"x\""),
            "at column 8: expected '[' and a header name after 'header' (e.g. header[Content-Type]), found \"==\"");
  EXPECT_EQ(ParseError("header[Content-Type contains \"x\""), "at column 7: the header name is not closed with ']'");
  EXPECT_EQ(ParseError("header[] exists"), "at column 7: the header name between '[' and ']' is empty");
  EXPECT_EQ(ParseError("header[Content Type] exists"), "at column 15: ' ' is not allowed in a header name");
  EXPECT_NE(ParseError("heder[Content-Type] exists").find("did you mean 'header'?"), std::string::npos);
}

TEST(ConditionParseError, JsonPaths) {
  EXPECT_EQ(ParseError("$. == 1"),
            "at column 4: expected a key name after '.' in the JSON path (write $[\"odd key\"] for other keys), found "
            "\"==\"");
  EXPECT_EQ(ParseError("$status == 1"),
            "at column 2: expected '.' or '[' in the JSON path (e.g. $.status or $.items[0]), found \"status\"");
  EXPECT_EQ(ParseError("$.items[x] == 1"),
            "at column 9: expected an array index or a quoted key after '[' in the JSON path, found \"x]\"");
  EXPECT_EQ(ParseError("$.items[0 == 1"), "at column 11: expected ']' to close the '[' at column 8, found \"==\"");
  EXPECT_EQ(ParseError("$.items[99999999999999999999999] == 1"),
            "at column 9: array index 99999999999999999999999 is too large");
}

TEST(ConditionParseError, RegexErrorsNameRe2sMessage) {
  EXPECT_EQ(ParseError("body matches \"(unclosed\""),
            "at column 14: invalid regular expression \"(unclosed\": missing ): (unclosed");
  EXPECT_EQ(ParseError("header[Server] not matches \"a**\""),
            "at column 28: invalid regular expression \"a**\": bad repetition operator: **");
  EXPECT_EQ(ParseError("body matches \"x{2,1}\""),
            "at column 14: invalid regular expression \"x{2,1}\": invalid repetition size: {2,1}");
}

TEST(ConditionParseError, ColumnsCountCharactersNotBytes) {
  EXPECT_EQ(ParseError("$.größe =< 3").substr(0, 13), "at column 9: ");
}

// Every line of a ```conditions block in the user documentation must parse, so the examples people copy work.
TEST(ConditionDocs, EveryDocumentedExampleParses) {
  std::ifstream doc(std::string(CSOC_SOURCE_DIR) + "/docs/conditions.md");
  ASSERT_TRUE(doc) << "docs/conditions.md not found";
  std::string line;
  bool in_block = false;
  int examples = 0;
  while (std::getline(doc, line)) {
    if (line == "```conditions") {
      in_block = true;
    } else if (line == "```") {
      in_block = false;
    } else if (in_block) {
      MustParse(line);
      ++examples;
    }
  }
  EXPECT_GE(examples, 40);
}

}  // namespace
}  // namespace csoc::fleet

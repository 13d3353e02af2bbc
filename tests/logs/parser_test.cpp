#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "logs/format.h"
#include "logs/timestamp.h"

namespace csoc::logs {
namespace {

std::unique_ptr<LineParser> Parser(std::string_view spec) {
  LogFormat f;
  const Status s = LogFormat::Parse(spec, &f);
  EXPECT_TRUE(s.ok()) << s.ToString();
  std::unique_ptr<LineParser> p;
  EXPECT_TRUE(MakeLineParser(f, &p).ok());
  return p;
}

constexpr std::string_view kGen3Line =
    R"({"gen3log": "nginx", "date_access": "2026-03-01T10:20:30+00:00", "user_id": "uid:42,alice@example.org", )"
    R"("request_id": "abc", "session_id": "s1", "visitor_id": "v1", "network_client_ip": "10.1.2.3", )"
    R"("network_bytes_write": 1234, "response_secs": 0.125, "http_status_code": 200, )"
    R"("http_request": "/user/login/google?redirect=%2F", "http_verb": "GET", "http_referer": "-", )"
    R"("http_useragent": "Mozilla/5.0 \x22quoted\x22 caf\xC3\xA9", "http_upstream": "fence-service", )"
    R"("proxy_service": "fence", "message": ""})";

TEST(Timestamp, IsoForms) {
  int64_t ms = 0;
  ASSERT_TRUE(ParseIsoTime("2026-03-01T10:20:30+00:00", &ms));
  EXPECT_EQ(ms, 1772360430000);
  ASSERT_TRUE(ParseIsoTime("2026-03-01T12:20:30+02:00", &ms));
  EXPECT_EQ(ms, 1772360430000);
  ASSERT_TRUE(ParseIsoTime("2026-03-01 10:20:30.250Z", &ms));
  EXPECT_EQ(ms, 1772360430250);
  EXPECT_FALSE(ParseIsoTime("2026-02-30T10:20:30Z", &ms));  // no 30 February
  EXPECT_FALSE(ParseIsoTime("2026-13-01T10:20:30Z", &ms));
  EXPECT_FALSE(ParseIsoTime("2026-03-01T24:00:00Z", &ms));
  EXPECT_FALSE(ParseIsoTime("0001-03-01T10:20:30Z", &ms));
  EXPECT_FALSE(ParseIsoTime("2026-03-01T10:20:30", &ms));  // no zone: ambiguous
  EXPECT_FALSE(ParseIsoTime("2026-03-01T10:20:30+00:00x", &ms));
  EXPECT_TRUE(ParseIsoTime("2024-02-29T00:00:00Z", &ms));  // a leap day
  EXPECT_FALSE(ParseIsoTime("2023-02-29T00:00:00Z", &ms));
}

TEST(Timestamp, LocalAndEpoch) {
  int64_t ms = 0;
  ASSERT_TRUE(ParseLocalTime("01/Mar/2026:12:20:30 +0200", &ms));
  EXPECT_EQ(ms, 1772360430000);
  EXPECT_FALSE(ParseLocalTime("01/Foo/2026:12:20:30 +0200", &ms));
  EXPECT_FALSE(ParseLocalTime("31/Apr/2026:12:20:30 +0000", &ms));
  EXPECT_FALSE(ParseLocalTime("01/Mar/2026:12:20:30", &ms));
  ASSERT_TRUE(ParseEpochSeconds("1772360430.125", &ms));
  EXPECT_EQ(ms, 1772360430125);
  EXPECT_FALSE(ParseEpochSeconds("17723604x0", &ms));
  EXPECT_FALSE(ParseEpochSeconds("99999999999", &ms));  // year 5138
}

TEST(Gen3Json, ReadsEveryFieldAndNginxEscapes) {
  auto p = Parser("gen3");
  LogRecord r;
  ASSERT_EQ(p->Parse(kGen3Line, &r), ParseError::kNone);
  EXPECT_EQ(r.time_ms, 1772360430000);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.bytes, 1234u);
  EXPECT_DOUBLE_EQ(r.response_secs, 0.125);
  EXPECT_EQ(r.verb, "GET");
  EXPECT_EQ(r.uri, "/user/login/google?redirect=%2F");
  EXPECT_EQ(r.user, "alice@example.org");
  EXPECT_EQ(r.client_ip, "10.1.2.3");
  EXPECT_EQ(r.user_agent, "Mozilla/5.0 \"quoted\" caf\xC3\xA9");
  EXPECT_EQ(r.service, "fence");
}

TEST(Gen3Json, AnonymousUserAndEscapedBackslash) {
  auto p = Parser("gen3");
  std::string line(kGen3Line);
  line.replace(line.find("uid:42,alice@example.org"), 24, "uid:null,unknown@unknown");
  // A JSON escape \\ followed by "x22" must stay a backslash and the text x22.
  line.replace(line.find("\"message\": \"\""), 13, R"("message": "a\\x22")");
  LogRecord r;
  ASSERT_EQ(p->Parse(line, &r), ParseError::kNone);
  EXPECT_EQ(r.user, "");
}

TEST(Gen3Json, CrlfAndTrailingSpaceAreFine) {
  auto p = Parser("gen3");
  LogRecord r;
  EXPECT_EQ(p->Parse(std::string(kGen3Line) + " \r", &r), ParseError::kNone);
}

struct BadCase {
  const char* name;
  std::string from, to;
  ParseError want;
};

TEST(Gen3Json, EveryMalformedKind) {
  auto p = Parser("gen3");
  const std::string good(kGen3Line);
  const BadCase cases[] = {
      {"truncated", good, good.substr(0, 120), ParseError::kTruncated},
      {"truncated in a number", good, good.substr(0, good.find("0.125") + 2), ParseError::kTruncated},
      {"binary", "caf", std::string("c\x00\x01", 3), ParseError::kBinary},
      {"invalid utf-8", "caf\\xC3\\xA9", "caf\\xC3\\xC3", ParseError::kBinary},
      {"missing comma", ", \"user_id\"", " \"user_id\"", ParseError::kBadJson},
      {"an array", good, "[1, 2, 3]", ParseError::kBadJson},
      {"trailing garbage", good, good + " x", ParseError::kBadJson},
      {"status as text", "\"http_status_code\": 200", "\"http_status_code\": \"OK\"", ParseError::kWrongType},
      {"status out of range", "\"http_status_code\": 200", "\"http_status_code\": 999", ParseError::kWrongType},
      {"bytes negative", "\"network_bytes_write\": 1234", "\"network_bytes_write\": -5", ParseError::kWrongType},
      {"latency as text", "\"response_secs\": 0.125", "\"response_secs\": \"fast\"", ParseError::kWrongType},
      {"impossible date", "2026-03-01T", "2026-02-30T", ParseError::kBadTimestamp},
      {"no status", "\"http_status_code\": 200, ", "", ParseError::kMissingField},
      {"no time", "\"date_access\": \"2026-03-01T10:20:30+00:00\", ", "", ParseError::kMissingField},
  };
  for (const BadCase& c : cases) {
    std::string line = good;
    if (c.from == good) {
      line = c.to;
    } else {
      const size_t at = line.find(c.from);
      ASSERT_NE(at, std::string::npos) << c.name;
      line.replace(at, c.from.size(), c.to);
    }
    LogRecord r;
    EXPECT_EQ(ParseErrorName(p->Parse(line, &r)), ParseErrorName(c.want)) << c.name << ": " << line;
  }
  LogRecord r;
  EXPECT_EQ(p->Parse(good, &r), ParseError::kNone) << "the parser recovers after bad lines";
}

constexpr std::string_view kCombined =
    R"(10.0.0.7 - alice [01/Mar/2026:10:20:30 +0000] "GET /index/index?hash=md5:abc HTTP/1.1" 404 153 )"
    R"("https://commons.example.org/" "Mozilla/5.0 (X11) \x22q\x22")";

TEST(Combined, ReadsEveryField) {
  auto p = Parser("combined");
  LogRecord r;
  ASSERT_EQ(p->Parse(kCombined, &r), ParseError::kNone);
  EXPECT_EQ(r.client_ip, "10.0.0.7");
  EXPECT_EQ(r.user, "alice");
  EXPECT_EQ(r.time_ms, 1772360430000);
  EXPECT_EQ(r.verb, "GET");
  EXPECT_EQ(r.uri, "/index/index?hash=md5:abc");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.bytes, 153u);
  EXPECT_EQ(r.referer, "https://commons.example.org/");
  EXPECT_EQ(r.user_agent, R"(Mozilla/5.0 (X11) \x22q\x22)");
  EXPECT_LT(r.response_secs, 0) << "combined has no request time";
}

TEST(Combined, ApacheQuotesDashesAndJunkRequests) {
  auto p = Parser("combined");
  LogRecord r;
  // Apache escapes a quote inside the request as \" and writes "-" for no bytes.
  ASSERT_EQ(p->Parse(R"(::1 - - [01/Mar/2026:10:20:30 +0000] "GET /a\" b HTTP/1.0" 200 - "-" "curl/8")", &r),
            ParseError::kNone);
  EXPECT_EQ(r.uri, R"(/a\" b)") << "the request is split at its first and last space";
  EXPECT_EQ(r.bytes, 0u);
  EXPECT_EQ(r.user, "");
  EXPECT_EQ(r.referer, "");
  // A TLS handshake sent to a plain-HTTP port is a real (400) request without a verb.
  ASSERT_EQ(p->Parse(R"(1.2.3.4 - - [01/Mar/2026:10:20:30 +0000] "\x16\x03\x01" 400 157 "-" "-")", &r),
            ParseError::kNone);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.verb, "");
}

TEST(Combined, EveryMalformedKind) {
  auto p = Parser("combined");
  const std::string good(kCombined);
  const BadCase cases[] = {
      {"cut in the request", good, good.substr(0, 60), ParseError::kTruncated},
      {"cut before the agent ends", good, good.substr(0, good.size() - 1), ParseError::kTruncated},
      {"cut after the status", good, good.substr(0, good.find(" 404") + 4), ParseError::kTruncated},
      {"binary", "GET", std::string("G\x00T", 3), ParseError::kBinary},
      {"status not a number", " 404 ", " 4x4 ", ParseError::kWrongType},
      {"status four digits", " 404 ", " 4040 ", ParseError::kWrongType},
      {"bytes not a number", " 153 ", " 15k ", ParseError::kWrongType},
      {"impossible date", "01/Mar/2026", "31/Apr/2026", ParseError::kBadTimestamp},
      {"an error-log line", good, "2026/03/01 10:20:30 [error] 7#7: *1 connect() failed", ParseError::kFormatMismatch},
      {"an extra field", good, good + R"( "1.2.3.4")", ParseError::kFormatMismatch},
      {"JSON in a combined source", good, "{\"a\": 1}", ParseError::kFormatMismatch},
  };
  for (const BadCase& c : cases) {
    std::string line = good;
    if (c.from == good) {
      line = c.to;
    } else {
      const size_t at = line.find(c.from);
      ASSERT_NE(at, std::string::npos) << c.name;
      line.replace(at, c.from.size(), c.to);
    }
    LogRecord r;
    EXPECT_EQ(ParseErrorName(p->Parse(line, &r)), ParseErrorName(c.want)) << c.name << ": " << line;
  }
}

TEST(NginxFormat, CustomFormatWithTimingAndGen3Fields) {
  auto p = Parser(R"($remote_addr [$time_iso8601] "$request_method $uri?$args" $status $bytes_sent $request_time )"
                  R"($upstream_response_time "$http_user_agent" $proxy_service)");
  LogRecord r;
  ASSERT_EQ(p->Parse(R"(10.0.0.1 [2026-03-01T10:20:30+00:00] "POST /guppy/graphql?x=1" 502 10 0.500 0.250, 0.249 "gen3" guppy)", &r),
            ParseError::kNone);
  EXPECT_EQ(r.verb, "POST");
  EXPECT_EQ(r.uri, "/guppy/graphql?x=1");
  EXPECT_EQ(r.status, 502);
  EXPECT_DOUBLE_EQ(r.response_secs, 0.5);
  EXPECT_EQ(r.service, "guppy");
  EXPECT_EQ(r.user_agent, "gen3");
}

TEST(NginxFormat, UpstreamTimeWhenNoRequestTime) {
  auto p = Parser(R"($msec $status "$request" $upstream_response_time)");
  LogRecord r;
  ASSERT_EQ(p->Parse(R"(1772360430.500 200 "GET / HTTP/1.1" 0.010 : 0.020)", &r), ParseError::kNone);
  EXPECT_EQ(r.time_ms, 1772360430500);
  EXPECT_DOUBLE_EQ(r.response_secs, 0.02);
  ASSERT_EQ(p->Parse(R"(1772360430.500 200 "GET / HTTP/1.1" -)", &r), ParseError::kNone);
  EXPECT_LT(r.response_secs, 0);
}

TEST(NginxFormat, RefusedFormatsSayWhy) {
  LogFormat f;
  Status s = LogFormat::Parse("$remote_addr$status $time_local $request", &f);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("$remote_addr and $status have nothing between them"), std::string::npos) << s.message();
  s = LogFormat::Parse("$remote_addr $time_local $request", &f);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("needs $status"), std::string::npos) << s.message();
  s = LogFormat::Parse("$remote_addr $status $request", &f);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("needs a time"), std::string::npos) << s.message();
  s = LogFormat::Parse("apache", &f);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("unknown log format 'apache'"), std::string::npos) << s.message();
  EXPECT_FALSE(LogFormat::Parse("${status", &f).ok());
}

TEST(NginxFormat, BracedVariablesAndNames) {
  LogFormat f;
  ASSERT_TRUE(LogFormat::Parse("${remote_addr}|${time_local}|${status}|$request", &f).ok());
  EXPECT_EQ(f.Name(), "nginx");
  std::unique_ptr<LineParser> p;
  ASSERT_TRUE(MakeLineParser(f, &p).ok());
  LogRecord r;
  ASSERT_EQ(p->Parse("1.1.1.1|01/Mar/2026:10:20:30 +0000|201|PUT /x HTTP/2.0", &r), ParseError::kNone);
  EXPECT_EQ(r.status, 201);
  EXPECT_EQ(r.uri, "/x");
}

}  // namespace
}  // namespace csoc::logs

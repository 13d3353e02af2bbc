#include "logs/syslog.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "core/time.h"

namespace csoc::logs {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

int64_t Ms(std::string_view iso8601) { return ToUnixMillis(*ParseIso8601(iso8601)); }

// What nginx sends for `access_log syslog:server=127.0.0.1:5514,tag=nginx combined;`: local7.info,
// "<PRI>Mmm dd hh:mm:ss HOSTNAME TAG: MSG" from ngx_syslog_add_header, the day space-padded.
constexpr std::string_view kNginxLine =
    "<190>Dec  2 15:30:29 web-1 nginx: 10.0.0.1 - - [02/Dec/2026:15:30:29 +0000] \"GET /explorer?q=tp53 HTTP/1.1\" "
    "200 612 \"-\" \"Mozilla/5.0\"";

TEST(Syslog, ParsesWhatNginxSends) {
  SyslogMessage m;
  Status s = ParseSyslog(kNginxLine, Ms("2026-12-02T15:30:30Z"), &m);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(m.facility, 23);  // local7
  EXPECT_EQ(m.severity, 6);   // info
  EXPECT_EQ(m.hostname, "web-1");
  EXPECT_EQ(m.app_name, "nginx");
  EXPECT_EQ(m.unix_ms, Ms("2026-12-02T15:30:29Z"));
  EXPECT_EQ(m.msg,
            R"(10.0.0.1 - - [02/Dec/2026:15:30:29 +0000] "GET /explorer?q=tp53 HTTP/1.1" 200 612 "-" "Mozilla/5.0")");
  // A view into the datagram, not a copy.
  EXPECT_GE(m.msg.data(), kNginxLine.data());
  EXPECT_EQ(m.msg.data() + m.msg.size(), kNginxLine.data() + kNginxLine.size());
}

TEST(Syslog, ParsesRfc3164Variants) {
  SyslogMessage m;
  int64_t now = Ms("2026-12-02T16:00:00Z");
  // nginx with `nohostname`: the TAG straight after the timestamp.
  ASSERT_TRUE(ParseSyslog("<190>Dec  2 15:30:29 nginx: GET / 200", now, &m).ok());
  EXPECT_EQ(m.hostname, "");
  EXPECT_EQ(m.app_name, "nginx");
  EXPECT_EQ(m.msg, "GET / 200");
  // RFC 3164's own example: a TAG with a pid; a zero-padded day; a trailing newline.
  ASSERT_TRUE(ParseSyslog("<34>Oct 02 22:14:15 mymachine su[230]: 'su root' failed on /dev/pts/8\r\n", now, &m).ok());
  EXPECT_EQ(m.facility, 4);
  EXPECT_EQ(m.severity, 2);
  EXPECT_EQ(m.hostname, "mymachine");
  EXPECT_EQ(m.app_name, "su");
  EXPECT_EQ(m.unix_ms, Ms("2026-10-02T22:14:15Z"));
  EXPECT_EQ(m.msg, "'su root' failed on /dev/pts/8");
  // No TAG: the message starts after the host name.
  ASSERT_TRUE(ParseSyslog("<13>Dec  2 15:30:29 host just a message", now, &m).ok());
  EXPECT_EQ(m.hostname, "host");
  EXPECT_EQ(m.app_name, "");
  EXPECT_EQ(m.msg, "just a message");
  // A TAG and nothing after it.
  ASSERT_TRUE(ParseSyslog("<13>Dec  2 15:30:29 host nginx:", now, &m).ok());
  EXPECT_EQ(m.app_name, "nginx");
  EXPECT_EQ(m.msg, "");
  EXPECT_TRUE(ParseSyslog("<0>Dec  2 15:30:29 host x: y", now, &m).ok());
  EXPECT_EQ(m.facility, 0);
  EXPECT_EQ(m.severity, 0);
}

TEST(Syslog, TakesTheYearThatDoesNotPutTheTimeInTheFuture) {
  SyslogMessage m;
  // Read just after New Year: a message from New Year's Eve is last year's.
  ASSERT_TRUE(ParseSyslog("<190>Dec 31 23:59:58 h nginx: x", Ms("2027-01-01T00:00:03Z"), &m).ok());
  EXPECT_EQ(m.unix_ms, Ms("2026-12-31T23:59:58Z"));
  // A sender whose clock is a little ahead is still this year.
  ASSERT_TRUE(ParseSyslog("<190>Jan  1 00:20:00 h nginx: x", Ms("2027-01-01T00:00:03Z"), &m).ok());
  EXPECT_EQ(m.unix_ms, Ms("2027-01-01T00:20:00Z"));
  // More than a day ahead: last year.
  ASSERT_TRUE(ParseSyslog("<190>Jan  3 00:00:00 h nginx: x", Ms("2027-01-01T00:00:03Z"), &m).ok());
  EXPECT_EQ(m.unix_ms, Ms("2026-01-03T00:00:00Z"));
  // February 29th: this year when it is a leap year, else last year if that was one.
  ASSERT_TRUE(ParseSyslog("<190>Feb 29 12:00:00 h nginx: x", Ms("2028-03-01T00:00:00Z"), &m).ok());
  EXPECT_EQ(m.unix_ms, Ms("2028-02-29T12:00:00Z"));
  ASSERT_TRUE(ParseSyslog("<190>Feb 29 12:00:00 h nginx: x", Ms("2029-01-10T00:00:00Z"), &m).ok());
  EXPECT_EQ(m.unix_ms, Ms("2028-02-29T12:00:00Z"));
  Status s = ParseSyslog("<190>Feb 29 12:00:00 h nginx: x", Ms("2027-03-01T00:00:00Z"), &m);
  EXPECT_THAT(s.message(), HasSubstr("Feb 29 is not a day of 2027 or 2026"));
}

TEST(Syslog, ParsesRfc5424WithStructuredDataAndBom) {
  // RFC 5424's example 3, with a BOM before MSG.
  std::string datagram =
      "<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut=\"3\" "
      "eventSource=\"Application\" eventID=\"1011\"][examplePriority@32473 class=\"high\"] "
      "\xEF\xBB\xBF"
      "An application event log entry...";
  SyslogMessage m;
  Status s = ParseSyslog(datagram, &m);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(m.facility, 20);
  EXPECT_EQ(m.severity, 5);
  EXPECT_EQ(m.unix_ms, Ms("2003-10-11T22:14:15.003Z"));
  EXPECT_EQ(m.hostname, "mymachine.example.com");
  EXPECT_EQ(m.app_name, "evntslog");
  EXPECT_EQ(m.msg, "An application event log entry...");
}

TEST(Syslog, ParsesRfc5424WithoutStructuredDataOrBom) {
  SyslogMessage m;
  ASSERT_TRUE(
      ParseSyslog("<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - 'su root' failed", &m).ok());
  EXPECT_EQ(m.facility, 4);
  EXPECT_EQ(m.severity, 2);
  EXPECT_EQ(m.app_name, "su");
  EXPECT_EQ(m.msg, "'su root' failed");
  // A numeric offset and microseconds (RFC 5424 example 2).
  ASSERT_TRUE(ParseSyslog("<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - %% It's time", &m).ok());
  EXPECT_EQ(m.unix_ms, Ms("2003-08-24T12:14:15Z"));
  EXPECT_EQ(m.hostname, "192.0.2.1");
  EXPECT_EQ(m.app_name, "myproc");
  EXPECT_EQ(m.msg, "%% It's time");
  // Every field nil and no MSG at all.
  ASSERT_TRUE(ParseSyslog("<165>1 - - - - - -", &m).ok());
  EXPECT_EQ(m.unix_ms, 0);
  EXPECT_EQ(m.hostname, "");
  EXPECT_EQ(m.app_name, "");
  EXPECT_EQ(m.msg, "");
  // Escaped '"' and ']' inside a PARAM-VALUE do not end the element.
  ASSERT_TRUE(ParseSyslog(R"(<165>1 - h app - - [a@1 x="q\"]u\\" y=""][b@2] msg)", &m).ok());
  EXPECT_EQ(m.msg, "msg");
}

TEST(Syslog, RefusesBadPri) {
  for (std::string_view bad : {"", "Dec  2 15:30:29 h t: m", "<>Dec  2 15:30:29 h t: m", "<192>Dec  2 15:30:29 h t: m",
                               "<1a>Dec  2 15:30:29 h t: m", "<1234>Dec  2 15:30:29 h t: m", "<13 Dec  2 15:30:29"}) {
    SyslogMessage m;
    Status s = ParseSyslog(bad, &m);
    EXPECT_FALSE(s.ok()) << bad;
    EXPECT_THAT(s.message(), HasSubstr("PRI")) << bad;
  }
}

TEST(Syslog, RefusesBadHeadersNamingThePart) {
  struct Case {
    std::string_view datagram, error;
  };
  for (const Case& c : {
           Case{"<13>Dek  2 15:30:29 h t: m", "RFC 3164 timestamp: \"Dek\" is not a month"},
           Case{"<13>Dec 32 15:30:29 h t: m", "RFC 3164 timestamp: \"Dec 32 15:30:29\" is not"},
           Case{"<13>Dec  2 24:30:29 h t: m", "RFC 3164 timestamp"},
           Case{"<13>Dec  2 15:30", "RFC 3164 timestamp: expected \"Mmm dd hh:mm:ss\""},
           Case{"<13>Dec  2 15:30:29", "RFC 3164 header: expected one space and a HOSTNAME or TAG"},
           Case{"<13>Dec  2 15:30:29  t: m", "RFC 3164 header"},
           Case{"<13>Apr 31 10:00:00 h t: m", "Apr 31 is not a day of"},
           Case{"<165>2 2003-10-11T22:14:15Z h a - - - m", "RFC 5424 VERSION"},
           Case{"<165>1 2003-13-11T22:14:15Z h a - - - m", "RFC 5424 TIMESTAMP: \"2003-13-11T22:14:15Z\" is not"},
           Case{"<165>1 2003-10-11 h a - - - m", "RFC 5424 TIMESTAMP"},
           Case{"<165>1 - h a - -", "RFC 5424 MSGID: expected a space after it"},
           Case{"<165>1 - h a - - x m", "RFC 5424 STRUCTURED-DATA: expected '-' or '['"},
           Case{"<165>1 - h a - - [id x=\"y m", "RFC 5424 STRUCTURED-DATA: a PARAM-VALUE is not closed"},
           Case{"<165>1 - h a - - [id x=\"y\" m", "RFC 5424 STRUCTURED-DATA: expected =\"value\" after a PARAM-NAME"},
           Case{"<165>1 - h a - - [id x=y] m", "RFC 5424 STRUCTURED-DATA: expected =\"value\""},
           Case{"<165>1 - h a - - [] m", "SD-ID must be 1 to 32 characters"},
           Case{"<165>1 - h a - - [id]m", "RFC 5424 header: expected a space before MSG"},
           Case{"<165>1 - h an-app-name-that-is-much-longer-than-forty-eight-chars - - - m",
                "RFC 5424 APP-NAME: longer than 48 characters"},
       }) {
    SyslogMessage m;
    Status s = ParseSyslog(c.datagram, Ms("2026-12-02T16:00:00Z"), &m);
    EXPECT_FALSE(s.ok()) << c.datagram;
    EXPECT_THAT(s.message(), HasSubstr(std::string(c.error))) << c.datagram << " → " << s.message();
  }
}

// Feeds `chunks` in turn and returns every message, copied.
std::vector<std::string> Split(SyslogStreamSplitter& splitter, const std::vector<std::string_view>& chunks) {
  std::vector<std::string> out;
  for (std::string_view chunk : chunks) {
    splitter.Feed(chunk, [&out](std::string_view message) { out.emplace_back(message); });
  }
  return out;
}

std::vector<std::string_view> Bytes(std::string_view s) {
  std::vector<std::string_view> out;
  for (size_t i = 0; i < s.size(); ++i) out.push_back(s.substr(i, 1));
  return out;
}

TEST(SyslogStreamSplitter, NonTransparentFraming) {
  SyslogStreamSplitter splitter(1024);
  EXPECT_THAT(Split(splitter, {"<13>a\n<13>b\r\n\n<13>c"}), ElementsAre("<13>a", "<13>b"));
  // The partial message is kept until its newline arrives.
  EXPECT_THAT(Split(splitter, {"-continued", "\n"}), ElementsAre("<13>c-continued"));
  EXPECT_EQ(splitter.dropped(), 0u);
}

TEST(SyslogStreamSplitter, OctetCountingAndMixedFraming) {
  SyslogStreamSplitter splitter(1024);
  // Octet counting lets a message hold newlines; the framings can follow one another.
  EXPECT_THAT(Split(splitter, {"11 <13>a\nb\nc d5 <13>e<13>f\n9 <13>g h i"}),
              ElementsAre("<13>a\nb\nc d", "<13>e", "<13>f", "<13>g h i"));
  // A count that is not followed by a space is the start of a newline-ended message, and so is 0.
  EXPECT_THAT(Split(splitter, {"12x\n0 <13>z\n"}), ElementsAre("12x", "0 <13>z"));
  EXPECT_EQ(splitter.dropped(), 0u);
}

TEST(SyslogStreamSplitter, SameMessagesWhateverTheChunkBoundaries) {
  std::string counted = "<165>1 2003-10-11T22:14:15.003Z host app - - - two\nlines here";
  std::string stream = std::string(kNginxLine) + "\n" + std::to_string(counted.size()) + " " + counted +
                       std::string(kNginxLine) + "\r\n\n" + "5 <13>x" + "4 <1>y";
  SyslogStreamSplitter whole(4096);
  std::vector<std::string> expected = Split(whole, {stream});
  ASSERT_THAT(expected, ElementsAre(kNginxLine, counted, kNginxLine, "<13>x", "<1>y"));
  SyslogStreamSplitter byte_by_byte(4096);
  EXPECT_EQ(Split(byte_by_byte, Bytes(stream)), expected);
  std::mt19937 random(42);
  for (int round = 0; round < 200; ++round) {
    std::vector<std::string_view> chunks;
    for (size_t at = 0; at < stream.size();) {
      size_t n = std::min<size_t>(std::uniform_int_distribution<size_t>(1, 40)(random), stream.size() - at);
      chunks.push_back(std::string_view(stream).substr(at, n));
      at += n;
    }
    SyslogStreamSplitter splitter(4096);
    EXPECT_EQ(Split(splitter, chunks), expected) << "round " << round;
  }
}

TEST(SyslogStreamSplitter, DropsAndCountsOverLongMessages) {
  std::string_view stream = "20 <13>sixteen bytes...5 <13>a<13>this line is too long\n<13>ok\n";
  for (bool byte_by_byte : {false, true}) {
    SyslogStreamSplitter splitter(10);
    std::vector<std::string> messages = byte_by_byte ? Split(splitter, Bytes(stream)) : Split(splitter, {stream});
    EXPECT_THAT(messages, ElementsAre("<13>a", "<13>ok")) << byte_by_byte;
    EXPECT_EQ(splitter.dropped(), 2u) << byte_by_byte;
  }
  // A huge count is skipped without buffering: the next message still comes through.
  SyslogStreamSplitter splitter(10);
  std::string big = "9999999 " + std::string(9'999'999, 'x') + "5 <13>b";
  EXPECT_THAT(Split(splitter, {std::string_view(big).substr(0, 100), std::string_view(big).substr(100)}),
              ElementsAre("<13>b"));
  EXPECT_EQ(splitter.dropped(), 1u);
}

}  // namespace
}  // namespace csoc::logs

#include "web/text.h"

#include <gtest/gtest.h>

#include "web/params.h"

namespace csoc::web {
namespace {

TEST(HtmlEscapeTest, EscapesMarkupCharacters) {
  EXPECT_EQ(HtmlEscape("<script>alert(\"x\") & 'y'</script>"),
            "&lt;script&gt;alert(&quot;x&quot;) &amp; &#39;y&#39;&lt;/script&gt;");
  EXPECT_EQ(HtmlEscape("plain text 123"), "plain text 123");
  EXPECT_EQ(HtmlEscape(""), "");
  EXPECT_EQ(HtmlEscape("&amp;"), "&amp;amp;");
}

TEST(HtmlEscapeTest, KeepsValidUtf8AndWhitespace) {
  EXPECT_EQ(HtmlEscape("caf\xC3\xA9 \xE6\x97\xA5\xE6\x9C\xAC \xF0\x9F\x9A\x80"),
            "caf\xC3\xA9 \xE6\x97\xA5\xE6\x9C\xAC \xF0\x9F\x9A\x80");
  EXPECT_EQ(HtmlEscape("a\tb\nc\r"), "a\tb\nc\r");
}

TEST(HtmlEscapeTest, ReplacesInvalidUtf8AndControlCharacters) {
  const std::string r = "\xEF\xBF\xBD";
  EXPECT_EQ(HtmlEscape(std::string("a\0b", 3)), "a" + r + "b");
  EXPECT_EQ(HtmlEscape("\x1B[31mred"), r + "[31mred");
  EXPECT_EQ(HtmlEscape("\x7F"), r);
  EXPECT_EQ(HtmlEscape("\xFF<"), r + "&lt;");
  EXPECT_EQ(HtmlEscape("\xC0\xBC"), r + r);                  // overlong '<' must not become '<'
  EXPECT_EQ(HtmlEscape("\xED\xA0\x80"), r + r + r);          // UTF-16 surrogate
  EXPECT_EQ(HtmlEscape("ok\xE6\x97"), "ok" + r + r);         // truncated at the end
  EXPECT_EQ(HtmlEscape("\xF4\x90\x80\x80"), r + r + r + r);  // above U+10FFFF
}

TEST(HtmlEscapeTest, HostileAttributeValueCannotBreakOut) {
  std::string attr = "<a title=\"" + HtmlEscape("\" onmouseover=\"alert(1)") + "\">";
  EXPECT_EQ(attr, "<a title=\"&quot; onmouseover=&quot;alert(1)\">");
}

TEST(ValidUtf8Test, ReplacesOnlyInvalidBytes) {
  EXPECT_EQ(ValidUtf8("a<b\xC3\xA9"), "a<b\xC3\xA9");
  EXPECT_EQ(ValidUtf8("x\xFFy"), "x\xEF\xBF\xBDy");
}

TEST(UrlTest, EncodesAndDecodesComponents) {
  EXPECT_EQ(UrlEncodeComponent("gen3-prod_1.x~"), "gen3-prod_1.x~");
  EXPECT_EQ(UrlEncodeComponent("a b/c?d#e%&<"), "a%20b%2Fc%3Fd%23e%25%26%3C");
  EXPECT_EQ(UrlEncodeComponent("\xC3\xA9"), "%C3%A9");
  EXPECT_EQ(PercentDecode("a%20b%2Fc%3fd"), "a b/c?d");
  EXPECT_EQ(PercentDecode("1+1"), "1+1");
  std::string hostile = "<script>alert('x')</script>/../é";
  EXPECT_EQ(PercentDecode(UrlEncodeComponent(hostile)), hostile);
}

TEST(UrlTest, RejectsMalformedEscapes) {
  EXPECT_FALSE(PercentDecode("%G1"));
  EXPECT_FALSE(PercentDecode("abc%2"));
  EXPECT_FALSE(PercentDecode("abc%"));
  EXPECT_FALSE(PercentDecode("a%00b"));
}

TEST(UrlTest, OnlyHttpLinksAreSafe) {
  EXPECT_EQ(SafeHttpUrl("https://grafana.example.org/d/x?a=1"), "https://grafana.example.org/d/x?a=1");
  EXPECT_EQ(SafeHttpUrl("HTTP://example.org"), "HTTP://example.org");
  EXPECT_FALSE(SafeHttpUrl("javascript:alert(1)"));
  EXPECT_FALSE(SafeHttpUrl("JavaScript:alert(1)"));
  EXPECT_FALSE(SafeHttpUrl("data:text/html,<script>"));
  EXPECT_FALSE(SafeHttpUrl(" https://example.org"));
  EXPECT_FALSE(SafeHttpUrl("https://example.org/a b"));
  EXPECT_FALSE(SafeHttpUrl("//example.org"));
}

TEST(FormatTest, Percent) {
  EXPECT_EQ(FormatPercent(1.0), "100%");
  EXPECT_EQ(FormatPercent(0.99999), "99.99%");
  EXPECT_EQ(FormatPercent(0.9995), "99.95%");
  EXPECT_EQ(FormatPercent(0.5), "50.0%");
  EXPECT_EQ(FormatPercent(0.0), "0%");
}

TEST(FormatTest, TimesAndSpans) {
  TimePoint t = FromUnixMillis(1'795'000'000'000);
  EXPECT_EQ(FormatTimeUtc(t), "2026-11-18 11:06:40 UTC");
  EXPECT_EQ(FormatAgo(t, t + std::chrono::seconds(2)), "just now");
  EXPECT_EQ(FormatAgo(t, t + std::chrono::seconds(42)), "42s ago");
  EXPECT_EQ(FormatAgo(t, t + std::chrono::minutes(5)), "5m ago");
  EXPECT_EQ(FormatAgo(t, t + std::chrono::minutes(184)), "3h 4m ago");
  EXPECT_EQ(FormatAgo(t, t + std::chrono::hours(53)), "2d 5h ago");
  EXPECT_EQ(FormatAgo(t + std::chrono::minutes(5), t), "in 5m");
  EXPECT_EQ(FormatSpan(std::chrono::hours(3)), "3h");
  EXPECT_EQ(FormatSpan(std::chrono::hours(48)), "2d");
}

TEST(FormatTest, Latency) {
  EXPECT_EQ(FormatLatencyMs(0.84), "0.8 ms");
  EXPECT_EQ(FormatLatencyMs(42.4), "42 ms");
  EXPECT_EQ(FormatLatencyMs(1250), "1.25 s");
}

TEST(QueryParamsTest, ParsesAndDecodes) {
  QueryParams p;
  ASSERT_TRUE(QueryParams::Parse("a=1&b=x%20y&from=2026-11-22T10:00:00+01:00&empty=&flag", &p).ok());
  EXPECT_EQ(*p.Find("a"), "1");
  EXPECT_EQ(*p.Find("b"), "x y");
  EXPECT_EQ(*p.Find("from"), "2026-11-22T10:00:00+01:00");
  EXPECT_EQ(*p.Find("empty"), "");
  EXPECT_EQ(*p.Find("flag"), "");
  EXPECT_EQ(p.Find("missing"), nullptr);
  ASSERT_TRUE(QueryParams::Parse("", &p).ok());
  EXPECT_TRUE(p.empty());
}

TEST(QueryParamsTest, RejectsBadQueries) {
  QueryParams p;
  Status s = QueryParams::Parse("limit=1&limit=2", &p);
  EXPECT_EQ(s.message(), "parameter 'limit' is given more than once");
  s = QueryParams::Parse("from=%ZZ", &p);
  EXPECT_EQ(s.message(), "parameter 'from': malformed %-escape in '%ZZ'");
  s = QueryParams::Parse("=x", &p);
  EXPECT_FALSE(s.ok());
  ASSERT_TRUE(QueryParams::Parse("limt=5", &p).ok());
  s = p.OnlyAllowed({"limit", "before"});
  EXPECT_EQ(s.message(), "unknown parameter 'limt' (expected one of: limit, before)");
  EXPECT_EQ(p.OnlyAllowed({}).message(), "unknown parameter 'limt' (this path takes none)");
}

TEST(ParamValueTest, Times) {
  TimePoint t;
  ASSERT_TRUE(ParseTimeParam("from", "2026-11-22T10:00:00Z", &t).ok());
  EXPECT_EQ(FormatIso8601(t), "2026-11-22T10:00:00.000Z");
  ASSERT_TRUE(ParseTimeParam("from", "2026-11-22T11:00:00+01:00", &t).ok());
  EXPECT_EQ(FormatIso8601(t), "2026-11-22T10:00:00.000Z");
  ASSERT_TRUE(ParseTimeParam("to", "1795000000123", &t).ok());
  EXPECT_EQ(ToUnixMillis(t), 1795000000123);
  Status s = ParseTimeParam("from", "yesterday", &t);
  EXPECT_EQ(s.message(), "parameter 'from': expected RFC 3339 time or unix milliseconds, got 'yesterday'");
  EXPECT_FALSE(ParseTimeParam("from", "", &t).ok());
  EXPECT_FALSE(ParseTimeParam("from", "99999999999999999999", &t).ok());
  EXPECT_FALSE(ParseTimeParam("from", "-5", &t).ok());
}

TEST(ParamValueTest, Integers) {
  int64_t v = 0;
  ASSERT_TRUE(ParseIntParam("limit", "1000", 1, 1000, &v).ok());
  EXPECT_EQ(v, 1000);
  EXPECT_EQ(ParseIntParam("limit", "1001", 1, 1000, &v).message(),
            "parameter 'limit': expected an integer from 1 to 1000, got '1001'");
  EXPECT_FALSE(ParseIntParam("limit", "0", 1, 1000, &v).ok());
  EXPECT_FALSE(ParseIntParam("limit", "12abc", 1, 1000, &v).ok());
  EXPECT_FALSE(ParseIntParam("limit", "", 1, 1000, &v).ok());
}

TEST(ParamValueTest, DefaultResolutionFollowsRange) {
  using namespace std::chrono;
  EXPECT_EQ(DefaultResolution(hours(1)), store::Resolution::kMinute);
  EXPECT_EQ(DefaultResolution(hours(6)), store::Resolution::kMinute);
  EXPECT_EQ(DefaultResolution(hours(6) + milliseconds(1)), store::Resolution::kHour);
  EXPECT_EQ(DefaultResolution(hours(24 * 14)), store::Resolution::kHour);
  EXPECT_EQ(DefaultResolution(hours(24 * 14) + milliseconds(1)), store::Resolution::kDay);
  EXPECT_EQ(BucketWidth(store::Resolution::kHour), hours(1));
}

}  // namespace
}  // namespace csoc::web

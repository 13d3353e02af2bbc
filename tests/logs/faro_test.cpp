#include "logs/faro.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "core/time.h"

namespace csoc::logs {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

int64_t Ms(std::string_view iso8601) { return ToUnixMillis(*ParseIso8601(iso8601)); }

// Made by @grafana/faro-core 2.12.1 (npm) itself: initializeFaro with a transport that keeps what
// it is given, then setSession, setUser, setPage, pushEvent("search_submitted", {query:
// "lung adenocarcinoma", results: 12}, "explorer"), pushLog, pushMeasurement and pushError, and
// the items put together by the SDK's getTransportBody, as its fetch transport posts them in one
// batch. The SDK made the number 12 a string.
constexpr std::string_view kSdkPayload = R"({
 "meta": {
  "sdk": {"version": "2.12.1", "name": "faro"},
  "app": {"name": "gen3-portal", "version": "1.2.3", "environment": "production"},
  "session": {"id": "sess-7f3a"},
  "user": {"id": "user-42", "username": "alice"},
  "page": {"url": "https://portal.example.org/explorer?search=breast%20cancer&filter=tcga"}
 },
 "events": [
  {"name": "search_submitted", "domain": "explorer",
   "attributes": {"query": "lung adenocarcinoma", "results": "12"},
   "timestamp": "2026-12-02T15:31:59.008Z"}
 ],
 "logs": [{"message": "opened explorer", "level": "log", "timestamp": "2026-12-02T15:31:59.023Z"}],
 "measurements": [{"type": "custom", "values": {"load_ms": 123}, "timestamp": "2026-12-02T15:31:59.023Z"}],
 "exceptions": [{"type": "Error", "value": "boom", "timestamp": "2026-12-02T15:31:59.024Z"}]
})";

TEST(Faro, ParsesWhatTheSdkSends) {
  FaroPayload p;
  Status s = ParseFaroPayload(kSdkPayload, &p);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(p.app_name, "gen3-portal");
  EXPECT_EQ(p.page_url, "https://portal.example.org/explorer?search=breast%20cancer&filter=tcga");
  EXPECT_EQ(p.session_id, "sess-7f3a");
  EXPECT_EQ(p.user_id, "user-42");
  ASSERT_EQ(p.events.size(), 1u);
  EXPECT_EQ(p.events[0].name, "search_submitted");
  EXPECT_EQ(p.events[0].domain, "explorer");
  EXPECT_EQ(p.events[0].unix_ms, Ms("2026-12-02T15:31:59.008Z"));
  EXPECT_EQ(p.events[0].attributes,
            (std::map<std::string, std::string>{{"query", "lung adenocarcinoma"}, {"results", "12"}}));
  EXPECT_EQ(p.logs, 1u);
  EXPECT_EQ(p.measurements, 1u);
  EXPECT_EQ(p.exceptions, 1u);
  EXPECT_THAT(FaroSearchTerms(p), ElementsAre("lung adenocarcinoma", "breast cancer", "tcga"));
}

// Shaped like the payload in Grafana Alloy's faro.receiver tests
// (internal/component/faro/receiver/testdata/payload.json): trace contexts, an event without
// domain or attributes, meta parts this parser does not read, and OTLP traces.
constexpr std::string_view kReceiverPayload = R"({
  "events": [
    {"name": "click_login_button", "domain": "frontend", "attributes": {"foo": "bar", "one": "two"},
     "timestamp": "2021-09-30T10:46:17.680Z", "trace": {"trace_id": "abcd", "span_id": "def"}},
    {"name": "click_reset_password_button", "timestamp": "2021-09-30T10:46:17.680Z"}
  ],
  "meta": {
    "sdk": {"name": "grafana-frontend-agent", "version": "1.0.0"},
    "app": {"name": "testapp", "release": "0.8.2", "version": "abcdefg", "environment": "production"},
    "user": {"username": "domasx2", "id": "123", "email": "geralt@kaermorhen.org", "attributes": {"foo": "bar"}},
    "session": {"id": "abcd", "attributes": {"time_elapsed": "100s"}},
    "page": {"url": "https://example.com/page"},
    "browser": {"name": "chrome", "version": "88.12.1", "os": "linux", "mobile": false},
    "view": {"name": "foobar"}
  },
  "traces": {"resourceSpans": [{"resource": {"attributes": [{"key": "host.name", "value": {"stringValue": "testHost"}}]},
    "scopeSpans": [{"scope": {"name": "name", "version": "version"},
      "spans": [{"traceId": "", "spanId": "", "parentSpanId": "", "name": "testSpan", "status": {}}]}]}]}
})";

TEST(Faro, ParsesTheReceiverTestPayloadToleratingWhatItDoesNotRead) {
  FaroPayload p;
  Status s = ParseFaroPayload(kReceiverPayload, &p);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(p.app_name, "testapp");
  EXPECT_EQ(p.page_url, "https://example.com/page");
  EXPECT_EQ(p.session_id, "abcd");
  EXPECT_EQ(p.user_id, "123");
  ASSERT_EQ(p.events.size(), 2u);
  EXPECT_EQ(p.events[0].attributes.at("one"), "two");
  EXPECT_EQ(p.events[1].name, "click_reset_password_button");
  EXPECT_EQ(p.events[1].domain, "");
  EXPECT_THAT(p.events[1].attributes, IsEmpty());
  EXPECT_EQ(p.events[1].unix_ms, Ms("2021-09-30T10:46:17.680Z"));
  EXPECT_EQ(p.logs + p.measurements + p.exceptions, 0u);
  EXPECT_THAT(FaroSearchTerms(p), IsEmpty());
}

TEST(Faro, MinimalPayloadsAndNullAsAbsent) {
  FaroPayload p;
  ASSERT_TRUE(ParseFaroPayload(R"({"meta": {}})", &p).ok());
  EXPECT_EQ(p.app_name, "");
  EXPECT_THAT(p.events, IsEmpty());
  ASSERT_TRUE(ParseFaroPayload(R"({})", &p).ok());
  ASSERT_TRUE(ParseFaroPayload(
                  R"({"meta": {"app": {"name": null}, "page": null, "user": {"id": null}}, "events": null, "logs": null,
                      "traces": null})",
                  &p)
                  .ok());
  EXPECT_EQ(p.app_name, "");
  EXPECT_EQ(p.events.size(), 0u);
}

FaroPayload WithEvents(std::vector<FaroEvent> events, std::string page_url = "") {
  FaroPayload p;
  p.events = std::move(events);
  p.page_url = std::move(page_url);
  return p;
}

TEST(FaroSearchTerms, FromSearchAttributesAndSearchEvents) {
  FaroPayload p = WithEvents({
      {"faro.view.changed", "browser", 1, {{"value", "not a search"}, {"fromView", "/"}}},
      {"explorer_filter_changed", "", 2, {{"value", "Breast"}, {"field", "primary_site"}}},
      {"click", "", 3, {{"searchTerm", "TP53"}, {"search_query", "kras"}, {"Filter-Value", "lung"}, {"q", ""}}},
      {"SiteSearch", "", 4, {{"value", "brca1"}, {"results", "3"}}},
      {"click", "", 5, {{"q", "TP53"}}},  // already found
  });
  // Attributes come in key order (Filter-Value, q, searchTerm, search_query); the empty q is skipped.
  EXPECT_THAT(FaroSearchTerms(p), ElementsAre("Breast", "lung", "TP53", "kras", "brca1"));
}

TEST(FaroSearchTerms, FromThePageUrlPercentDecoded) {
  EXPECT_THAT(
      FaroSearchTerms(WithEvents({}, "https://h/explorer?Search=lung+cancer&page=2&q=%E2%9C%93%2Bx&term=&bad=%zz")),
      ElementsAre("lung cancer", "✓+x"));
  // A '%' without two hex digits stays as it is.
  EXPECT_THAT(FaroSearchTerms(WithEvents({}, "https://h/?query=100%&filter=%4")), ElementsAre("100%", "%4"));
  // Single-page apps that route in the fragment; a fragment that is not a query is skipped.
  EXPECT_THAT(FaroSearchTerms(WithEvents({}, "https://h/#/explorer?q=tp53&x=1")), ElementsAre("tp53"));
  EXPECT_THAT(FaroSearchTerms(WithEvents({}, "https://h/files?filter=bam#results")), ElementsAre("bam"));
  EXPECT_THAT(FaroSearchTerms(WithEvents({}, "https://h/explorer#q=not-a-query")), IsEmpty());
  EXPECT_THAT(FaroSearchTerms(WithEvents({}, "")), IsEmpty());
}

void ExpectError(std::string_view body, std::string_view expected) {
  FaroPayload p;
  p.app_name = "left over";
  Status s = ParseFaroPayload(body, &p);
  EXPECT_FALSE(s.ok()) << body;
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr(std::string(expected))) << body << " → " << s.message();
  EXPECT_EQ(p.app_name, "") << body;
  EXPECT_THAT(p.events, IsEmpty()) << body;
}

TEST(Faro, RefusesMalformedBodiesAndWrongTypesNamingTheField) {
  ExpectError(R"({"meta": )", "malformed JSON: parse error");
  ExpectError("\xff", "malformed JSON");
  ExpectError(R"({"measurements": [{"values": {"ttfb": 1e400}}]})", "malformed JSON: number overflow");
  ExpectError(R"([{"meta": {}}])", "payload: expected an object, got an array");
  ExpectError(R"({"meta": "x"})", "meta: expected an object, got a string");
  ExpectError(R"({"meta": {"app": []}})", "meta.app: expected an object, got an array");
  ExpectError(R"({"meta": {"page": {"url": 7}}})", "meta.page.url: expected a string, got a number");
  ExpectError(R"({"meta": {"session": {"id": 7}}})", "meta.session.id: expected a string, got a number");
  ExpectError(R"({"meta": {"user": {"id": true}}})", "meta.user.id: expected a string, got a boolean");
  ExpectError(R"({"events": {}})", "events: expected an array, got an object");
  ExpectError(R"({"events": ["x"]})", "events[0]: expected an object, got a string");
  ExpectError(R"({"events": [{"timestamp": "2026-12-02T15:31:59.008Z"}]})", "events[0].name: missing");
  ExpectError(R"({"events": [{"name": 1, "timestamp": "2026-12-02T15:31:59.008Z"}]})",
              "events[0].name: expected a string, got a number");
  ExpectError(R"({"events": [{"name": "a", "timestamp": "2026-12-02T15:31:59.008Z"}, {"name": "b"}]})",
              "events[1].timestamp: missing");
  ExpectError(R"({"events": [{"name": "a", "timestamp": 1796225519008}]})",
              "events[0].timestamp: expected a string, got a number");
  ExpectError(R"({"events": [{"name": "a", "timestamp": "yesterday"}]})",
              "events[0].timestamp: \"yesterday\" is not an RFC 3339 date-time");
  ExpectError(R"({"events": [{"name": "a", "domain": 3, "timestamp": "2026-12-02T15:31:59.008Z"}]})",
              "events[0].domain: expected a string, got a number");
  ExpectError(R"({"events": [{"name": "a", "attributes": [], "timestamp": "2026-12-02T15:31:59.008Z"}]})",
              "events[0].attributes: expected an object of strings, got an array");
  ExpectError(R"({"events": [{"name": "a", "attributes": {"q": 12}, "timestamp": "2026-12-02T15:31:59.008Z"}]})",
              "events[0].attributes.q: expected a string, got a number");
  ExpectError(R"({"logs": {}})", "logs: expected an array, got an object");
  ExpectError(R"({"measurements": 1})", "measurements: expected an array, got a number");
  ExpectError(R"({"exceptions": "x"})", "exceptions: expected an array, got a string");
  ExpectError(R"({"traces": []})", "traces: expected an object, got an array");
}

TEST(Faro, RefusesOversizeBodiesTooManyEventsAndDeepNesting) {
  std::string big = R"({"logs": [")" + std::string(kMaxFaroPayloadBytes, 'x') + R"("]})";
  ExpectError(big, "more than the 1048576 accepted");
  std::string events = R"({"events": [)";
  for (size_t i = 0; i <= kMaxFaroEvents; ++i) {
    events += std::string(i ? "," : "") + R"({"name": "e", "timestamp": "2026-12-02T15:31:59.008Z"})";
  }
  events += "]}";
  ASSERT_LT(events.size(), kMaxFaroPayloadBytes);
  ExpectError(events, "events: 1001 events, more than the 1000 accepted");
  ExpectError(R"({"traces": )" + std::string(100, '[') + std::string(100, ']') + "}", "nested deeper than 64");
}

}  // namespace
}  // namespace csoc::logs

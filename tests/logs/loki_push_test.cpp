#include "logs/loki_push.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <snappy.h>
#include <zlib.h>

#include <string>

#include "logs/loki_push.pb.h"

namespace csoc::logs {
namespace {

using ::testing::HasSubstr;
using Labels = std::map<std::string, std::string>;

constexpr int64_t kNanos = 1'000'000'000;

// What Promtail and Alloy's loki.write do: marshal a logproto.PushRequest and compress it with
// snappy's block format (snappy.Encode in Go).
std::string PromtailBody(const logproto::PushRequest& request) {
  std::string raw, compressed;
  EXPECT_TRUE(request.SerializeToString(&raw));
  snappy::Compress(raw.data(), raw.size(), &compressed);
  return compressed;
}

std::string Gzip(std::string_view data) {
  z_stream zs{};
  EXPECT_EQ(deflateInit2(&zs, Z_BEST_SPEED, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
  std::string out(deflateBound(&zs, data.size()), '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&zs, Z_FINISH), Z_STREAM_END);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

std::string FromHex(std::string_view hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2)
    out += static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16));
  return out;
}

void AddEntry(logproto::StreamAdapter* stream, int64_t seconds, int32_t nanos, const std::string& line) {
  auto* entry = stream->add_entries();
  entry->mutable_timestamp()->set_seconds(seconds);
  entry->mutable_timestamp()->set_nanos(nanos);
  entry->set_line(line);
}

logproto::PushRequest TwoStreams() {
  logproto::PushRequest request;
  auto* proxy = request.add_streams();
  // Promtail writes labels with Prometheus' LabelSet.String(): ", " between pairs.
  proxy->set_labels(R"({app="revproxy", namespace="gen3"})");
  AddEntry(proxy, 1'796'225'541, 779'000'000, R"(10.0.0.1 - - "GET /explorer?q=tp53 HTTP/1.1" 200 512)");
  AddEntry(proxy, 1'796'225'542, 5, R"(10.0.0.2 - - "GET / HTTP/1.1" 304 0)");
  auto* meta = proxy->mutable_entries(1)->add_structuredmetadata();
  meta->set_name("trace_id");
  meta->set_value("0242ac120002");
  auto* fence = request.add_streams();
  fence->set_labels(R"({app="fence"})");
  AddEntry(fence, 1'796'225'600, 0, "token issued");
  return request;
}

constexpr std::string_view kJsonPush = R"({"streams": [
  {"stream": {"app": "revproxy", "namespace": "gen3"},
   "values": [["1796225541779000000", "GET /explorer 200"],
              ["1796225542000000005", "GET / 304", {"trace_id": "0242ac120002"}]]},
  {"stream": {"app": "fence"}, "values": []}
]})";

TEST(LokiPush, DecodesProtobufAsPromtailSendsIt) {
  std::vector<LokiStream> streams;
  ASSERT_TRUE(DecodeLokiPush(PromtailBody(TwoStreams()), "application/x-protobuf", "", &streams).ok());
  ASSERT_EQ(streams.size(), 2u);
  EXPECT_EQ(streams[0].labels, (Labels{{"app", "revproxy"}, {"namespace", "gen3"}}));
  ASSERT_EQ(streams[0].entries.size(), 2u);
  EXPECT_EQ(streams[0].entries[0].unix_nanos, 1'796'225'541 * kNanos + 779'000'000);
  EXPECT_EQ(streams[0].entries[0].line, R"(10.0.0.1 - - "GET /explorer?q=tp53 HTTP/1.1" 200 512)");
  EXPECT_EQ(streams[0].entries[1].unix_nanos, 1'796'225'542 * kNanos + 5);
  EXPECT_EQ(streams[1].labels, (Labels{{"app", "fence"}}));
  ASSERT_EQ(streams[1].entries.size(), 1u);
  EXPECT_EQ(streams[1].entries[0].line, "token issued");
}

TEST(LokiPush, DecodesWhatWinstonLokiSent) {
  // The body winston-loki 6.1.7 (npm; protobufjs + the snappy package) POSTed to
  // /loki/api/v1/push for two log calls, captured from a local HTTP server. Its labels have no
  // spaces and it adds a level label: two streams.
  std::string body = FromHex(
      "e801f0790a760a2e7b6c6576656c3d22696e666f222c6170703d2272657670726f7879222c6e616d6573706163653d2267656e33"
      "227d12440a0c0885f4c0d80610c0b1baf302123431302e302e302e31202d202d2022474554202f6578706c6f7265723f713d7470"
      "353320485454502f312e312220323030203531320a6e1978107761726e22867800043c0a367800002c0d784c32202d202d202250"
      "4f5354202f6772617068716c1d7114353030203137");
  std::vector<LokiStream> streams;
  Status s = DecodeLokiPush(body, "application/x-protobuf", "", &streams);
  ASSERT_TRUE(s.ok()) << s.ToString();
  ASSERT_EQ(streams.size(), 2u);
  EXPECT_EQ(streams[0].labels, (Labels{{"app", "revproxy"}, {"level", "info"}, {"namespace", "gen3"}}));
  ASSERT_EQ(streams[0].entries.size(), 1u);
  EXPECT_EQ(streams[0].entries[0].unix_nanos, 1'796'225'541'779'000'000);
  EXPECT_EQ(streams[0].entries[0].line, R"(10.0.0.1 - - "GET /explorer?q=tp53 HTTP/1.1" 200 512)");
  EXPECT_EQ(streams[1].labels, (Labels{{"app", "revproxy"}, {"level", "warn"}, {"namespace", "gen3"}}));
  ASSERT_EQ(streams[1].entries.size(), 1u);
  EXPECT_EQ(streams[1].entries[0].line, R"(10.0.0.2 - - "POST /graphql HTTP/1.1" 500 17)");
}

TEST(LokiPush, ProtobufWithoutContentTypeGzipOrSnappyEncoding) {
  std::string body = PromtailBody(TwoStreams());
  std::vector<LokiStream> streams;
  // Loki reads a body without Content-Type as protobuf.
  EXPECT_TRUE(DecodeLokiPush(body, "", "", &streams).ok());
  EXPECT_EQ(streams.size(), 2u);
  EXPECT_TRUE(DecodeLokiPush(body, "Application/X-Protobuf; charset=binary", "snappy", &streams).ok());
  EXPECT_EQ(streams.size(), 2u);
  Status s = DecodeLokiPush(Gzip(body), "application/x-protobuf", "gzip", &streams);
  ASSERT_TRUE(s.ok()) << s.ToString();
  ASSERT_EQ(streams.size(), 2u);
  EXPECT_EQ(streams[1].entries[0].line, "token issued");
}

TEST(LokiPush, ReadsConcatenatedGzipMembersAsGoDoes) {
  std::string_view json = kJsonPush;
  std::string body = Gzip(json.substr(0, 40)) + Gzip(json.substr(40));
  std::vector<LokiStream> streams;
  Status s = DecodeLokiPush(body, "application/json", "gzip", &streams);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(streams.size(), 2u);
}

TEST(LokiPush, KeepsLinesThatAreNotUtf8) {
  logproto::PushRequest request;
  auto* stream = request.add_streams();
  stream->set_labels(R"({job="legacy"})");
  AddEntry(stream, 1'796'225'541, 0, "caf\xe9 latin-1");
  std::vector<LokiStream> streams;
  Status s = DecodeLokiPush(PromtailBody(request), "application/x-protobuf", "", &streams);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(streams[0].entries[0].line, "caf\xe9 latin-1");
}

TEST(LokiPush, DecodesJsonPlainAndGzipped) {
  for (bool gzip : {false, true}) {
    std::vector<LokiStream> streams;
    Status s = gzip ? DecodeLokiPush(Gzip(kJsonPush), "application/json", "gzip", &streams)
                    : DecodeLokiPush(kJsonPush, "application/json; charset=utf-8", "", &streams);
    ASSERT_TRUE(s.ok()) << s.ToString();
    ASSERT_EQ(streams.size(), 2u);
    EXPECT_EQ(streams[0].labels, (Labels{{"app", "revproxy"}, {"namespace", "gen3"}}));
    ASSERT_EQ(streams[0].entries.size(), 2u);
    EXPECT_EQ(streams[0].entries[0].unix_nanos, 1'796'225'541'779'000'000);
    EXPECT_EQ(streams[0].entries[0].line, "GET /explorer 200");
    EXPECT_EQ(streams[0].entries[1].unix_nanos, 1'796'225'542'000'000'005);
    EXPECT_EQ(streams[1].labels, (Labels{{"app", "fence"}}));
    EXPECT_TRUE(streams[1].entries.empty());
  }
}

// Decodes a body that must fail, checks that the message has `expected` and that nothing is left.
void ExpectError(std::string_view body, std::string_view type, std::string_view encoding, std::string_view expected) {
  std::vector<LokiStream> streams(1);
  Status s = DecodeLokiPush(body, type, encoding, &streams);
  EXPECT_FALSE(s.ok()) << body;
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr(std::string(expected))) << s.message();
  EXPECT_TRUE(streams.empty());
}

TEST(LokiPush, RefusesBadSnappyAndBadProtobuf) {
  ExpectError("\xff\xff\xff\xff\xff\xff\xff", "application/x-protobuf", "", "not snappy block-compressed");
  std::string truncated = PromtailBody(TwoStreams());
  truncated.resize(truncated.size() - 10);
  ExpectError(truncated, "application/x-protobuf", "", "snappy data is corrupt");
  std::string garbage = "\xff\xfe not a protobuf", compressed;
  snappy::Compress(garbage.data(), garbage.size(), &compressed);
  ExpectError(compressed, "application/x-protobuf", "", "not a valid protobuf logproto.PushRequest");
  // Snappy's framed format (what `snappy` streams and some libraries write) is not the block format.
  ExpectError(std::string("\xff\x06\x00\x00sNaPpY", 10), "application/x-protobuf", "", "snappy");
}

TEST(LokiPush, RefusesBadLabelsAndTimestampsInProtobufNamingTheStream) {
  logproto::PushRequest request = TwoStreams();
  request.mutable_streams(1)->set_labels(R"({app="fence")");
  ExpectError(PromtailBody(request), "application/x-protobuf", "", "streams[1].labels: label set at byte 12");
  request.mutable_streams(1)->set_labels("{}");
  ExpectError(PromtailBody(request), "application/x-protobuf", "",
              "streams[1].labels: a stream needs at least one label");
  request = TwoStreams();
  request.mutable_streams(0)->mutable_entries(1)->clear_timestamp();
  ExpectError(PromtailBody(request), "application/x-protobuf", "", "streams[0].entries[1]: no timestamp");
  request = TwoStreams();
  request.mutable_streams(0)->mutable_entries(0)->mutable_timestamp()->set_nanos(-1);
  ExpectError(PromtailBody(request), "application/x-protobuf", "", "streams[0].entries[0]: timestamp nanos -1");
  request.mutable_streams(0)->mutable_entries(0)->mutable_timestamp()->set_nanos(0);
  request.mutable_streams(0)->mutable_entries(0)->mutable_timestamp()->set_seconds(10'000'000'000);
  ExpectError(PromtailBody(request), "application/x-protobuf", "", "streams[0].entries[0]: timestamp 10000000000s");
}

TEST(LokiPush, RefusesMalformedJsonNamingThePlace) {
  ExpectError(R"({"streams": [{"stream": {"a": "b"}, "values": [["1", "x"], ["2", "y"], ["12x", "z"]]}]})",
              "application/json", "", "streams[0].values[2][0]: timestamp is not a decimal number of nanoseconds");
  ExpectError(R"({"streams": [{"stream": {"a": "b"}, "values": [["-5", "x"]]}]})", "application/json", "",
              "values[0][0]: timestamp is not a decimal number");
  ExpectError(R"({"streams": [{"stream": {"a": "b"}, "values": [["", "x"]]}]})", "application/json", "",
              "values[0][0]: timestamp is not a decimal number");
  ExpectError(R"({"streams": [{"stream": {"a": "b"}, "values": [["99999999999999999999", "x"]]}]})", "application/json",
              "", "values[0][0]: timestamp 99999999999999999999 is past");
  ExpectError(R"({"streams": [{"stream": {"a": "b"}, "values": [[1796225541, "x"]]}]})", "application/json", "",
              "streams[0].values[0][0]: expected a string of unix nanoseconds, got a number");
  ExpectError(R"({"streams": [{"stream": {"a": "b"}, "values": [["1", 7]]}]})", "application/json", "",
              "streams[0].values[0][1]: expected a string, got a number");
  ExpectError(R"({"streams": [{"stream": {"a": "b"}, "values": [["1"]]}]})", "application/json", "",
              "streams[0].values[0]: expected [");
  ExpectError(R"({"streams": [{"stream": {"a": "b"}, "values": [["1", "x", {"k": 1}]]}]})", "application/json", "",
              "streams[0].values[0][2].k: expected a string, got a number");
  ExpectError(R"({"streams": [{"stream": {"a": "b"}, "values": []}, {"stream": {}, "values": []}]})",
              "application/json", "", "streams[1].stream: a stream needs at least one label");
  ExpectError(R"({"streams": [{"stream": {"1a": "b"}, "values": []}]})", "application/json", "",
              "streams[0].stream: \"1a\" is not a label name");
  ExpectError(R"({"streams": [{"stream": {"a": 1}, "values": []}]})", "application/json", "",
              "streams[0].stream.a: expected a string, got a number");
  ExpectError(R"({"streams": [{"values": []}]})", "application/json", "", "streams[0].stream: missing");
  ExpectError(R"({"streams": [{"stream": {"a": "b"}}]})", "application/json", "", "streams[0].values: missing");
  ExpectError(R"({"streams": {}})", "application/json", "", "streams: expected an array, got an object");
  ExpectError(R"({})", "application/json", "", "streams: missing");
  ExpectError(R"([])", "application/json", "", "body: expected an object, got an array");
  ExpectError(R"({"streams": [)", "application/json", "", "malformed JSON: parse error");
  ExpectError(R"({"streams": [], "x": 1e400})", "application/json", "", "malformed JSON: number overflow");
  ExpectError(std::string(100, '[') + std::string(100, ']'), "application/json", "", "nested deeper than 16");
}

TEST(LokiPush, RefusesUnknownContentTypesEncodingsAndBadGzip) {
  ExpectError(kJsonPush, "text/plain", "", "Content-Type \"text/plain\" is not supported");
  ExpectError(kJsonPush, "application/json", "br", "Content-Encoding \"br\" is not supported");
  ExpectError(kJsonPush, "application/json", "snappy", "Content-Encoding snappy is only for protobuf");
  ExpectError(kJsonPush, "application/json", "gzip", "not valid gzip data");
  std::string truncated = Gzip(kJsonPush);
  truncated.resize(truncated.size() / 2);
  ExpectError(truncated, "application/json", "gzip", "gzip data is truncated");
  ExpectError("", "application/json", "gzip", "gzip data is truncated");
}

TEST(LokiPush, RefusesBodiesThatDecompressPast64MiB) {
  // A snappy block whose header claims 64 MiB + 1: refused from the header, before allocating.
  std::string header;
  uint64_t n = kMaxLokiPushBytes + 1;
  for (; n >= 0x80; n >>= 7) header += static_cast<char>((n & 0x7f) | 0x80);
  header += static_cast<char>(n);
  ExpectError(header + std::string("\x00\x01", 2), "application/x-protobuf", "", "more than 64 MiB");
  // A gzip bomb: 65 gzip members of 1 MiB of spaces each, 65 MiB from under 1 MiB.
  std::string member = Gzip(std::string(1 << 20, ' ')), bomb;
  for (int i = 0; i < 65; ++i) bomb += member;
  ASSERT_LT(bomb.size(), 1u << 20);
  ExpectError(bomb, "application/json", "gzip", "more than 64 MiB");
  ExpectError(std::string(kMaxLokiPushBytes + 1, ' '), "application/json", "", "more than 64 MiB");
}

TEST(LabelSet, ParsesPrometheusTextFormWithEscapes) {
  Labels labels;
  Status s = ParseLabelSet(R"( { path="C:\\logs", msg = "say \"hi\"\nbye" , _x9="" , } )", &labels);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(labels, (Labels{{"_x9", ""}, {"msg", "say \"hi\"\nbye"}, {"path", "C:\\logs"}}));
  ASSERT_TRUE(ParseLabelSet("{}", &labels).ok());
  EXPECT_TRUE(labels.empty());
  ASSERT_TRUE(ParseLabelSet(R"({app="café ☕"})", &labels).ok());
  EXPECT_EQ(labels.at("app"), "café ☕");
}

TEST(LabelSet, RefusesMalformedSetsSayingWhere) {
  struct Case {
    std::string_view text, error;
  };
  for (const Case& c : {
           Case{R"(app="x")", "at byte 0: expected '{'"},
           Case{R"({9app="x"})", "at byte 1: expected a label name"},
           Case{R"({app-name="x"})", "at byte 4: expected '=' after label name app"},
           Case{R"({app=x})", "at byte 5: expected '\"' to open the value of app"},
           Case{R"({app="x)", "the value of app is not closed"},
           Case{R"({app="\t"})", "unknown escape in the value of app"},
           Case{R"({app="x",app="y"})", "label app is repeated"},
           Case{R"({app="x" job="y"})", "expected ',' or '}'"},
           Case{R"({app="x"} extra)", "unexpected text after '}'"},
           Case{R"({,})", "expected a label name"},
           Case{"", "expected '{'"},
       }) {
    Labels labels{{"left", "over"}};
    Status s = ParseLabelSet(c.text, &labels);
    EXPECT_FALSE(s.ok()) << c.text;
    EXPECT_THAT(s.message(), HasSubstr(std::string(c.error))) << c.text << " → " << s.message();
    EXPECT_TRUE(labels.empty()) << c.text;
  }
}

}  // namespace
}  // namespace csoc::logs

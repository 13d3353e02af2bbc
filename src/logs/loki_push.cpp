#include "logs/loki_push.h"

#include <fmt/format.h>
#include <snappy.h>
#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <limits>
#include <nlohmann/json.hpp>

#include "logs/loki_push.pb.h"

namespace csoc::logs {
namespace {

using Json = nlohmann::json;

constexpr int64_t kNanosPerSecond = 1'000'000'000;
// A Loki JSON push is five levels deep (body, streams, stream, values, value); nlohmann's parser is
// iterative, but every level of a DOM costs memory, so nesting far beyond that is refused early.
constexpr int kMaxJsonDepth = 16;

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// A header value without parameters ("application/json; charset=utf-8" → "application/json"),
// lowercased: media types and content codings are case-insensitive.
std::string HeaderToken(std::string_view header) {
  std::string out(Trim(header.substr(0, header.find(';'))));
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

// ASCII only, whatever the locale.
bool IsNameStart(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool IsNameChar(char c) { return IsNameStart(c) || (c >= '0' && c <= '9'); }

bool IsLabelName(std::string_view name) {
  return !name.empty() && IsNameStart(name[0]) && std::all_of(name.begin(), name.end(), IsNameChar);
}

std::string TooLarge() {
  return fmt::format("the body is more than {} MiB once decompressed, the most accepted", kMaxLokiPushBytes >> 20);
}

// Inflates gzip data (one member or several, as concatenated by some clients and read by Go's
// gzip.Reader), stopping as soon as the output would pass the limit.
Status Gunzip(std::string_view in, std::string* out) {
  z_stream zs{};
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) return Status::Internal("zlib: inflateInit2 failed");
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  out->clear();
  char chunk[64 * 1024];
  Status status;
  while (true) {
    zs.next_out = reinterpret_cast<Bytef*>(chunk);
    zs.avail_out = sizeof(chunk);
    int rc = inflate(&zs, Z_NO_FLUSH);
    size_t produced = sizeof(chunk) - zs.avail_out;
    if (out->size() + produced > kMaxLokiPushBytes) {
      status = Status::InvalidArgument(TooLarge());
      break;
    }
    out->append(chunk, produced);
    if (rc == Z_STREAM_END) {
      if (zs.avail_in == 0) break;
      inflateReset(&zs);
      continue;
    }
    // With room in the output, no progress means the input ran out before the stream ended.
    if (rc == Z_BUF_ERROR) {
      status = Status::InvalidArgument("Content-Encoding gzip: the gzip data is truncated");
      break;
    }
    if (rc != Z_OK) {
      status = Status::InvalidArgument(
          fmt::format("Content-Encoding gzip: the body is not valid gzip data ({})", zs.msg ? zs.msg : "no detail"));
      break;
    }
  }
  inflateEnd(&zs);
  if (!status.ok()) out->clear();
  return status;
}

Status Unsnappy(std::string_view in, std::string* out) {
  size_t length = 0;
  if (!snappy::GetUncompressedLength(in.data(), in.size(), &length)) {
    return Status::InvalidArgument("the protobuf body is not snappy block-compressed data");
  }
  // The length is read from the header before anything is allocated.
  if (length > kMaxLokiPushBytes) return Status::InvalidArgument(TooLarge());
  if (!snappy::Uncompress(in.data(), in.size(), out)) {
    return Status::InvalidArgument("the protobuf body's snappy data is corrupt");
  }
  return Status::Ok();
}

Status TimestampToNanos(const google::protobuf::Timestamp& ts, int64_t* out) {
  if (ts.nanos() < 0 || ts.nanos() >= kNanosPerSecond) {
    return Status::InvalidArgument(fmt::format("timestamp nanos {} is outside 0..999999999", ts.nanos()));
  }
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  if (ts.seconds() > (kMax - ts.nanos()) / kNanosPerSecond || ts.seconds() < kMin / kNanosPerSecond) {
    return Status::InvalidArgument(
        fmt::format("timestamp {}s is outside what 64-bit nanoseconds hold (1677..2262)", ts.seconds()));
  }
  *out = ts.seconds() * kNanosPerSecond + ts.nanos();
  return Status::Ok();
}

Status DecodeProtobuf(std::string_view raw, std::vector<LokiStream>* out) {
  logproto::PushRequest request;
  if (!request.ParseFromArray(raw.data(), static_cast<int>(raw.size()))) {
    return Status::InvalidArgument("the body is not a valid protobuf logproto.PushRequest");
  }
  out->reserve(request.streams_size());
  for (int i = 0; i < request.streams_size(); ++i) {
    const auto& in = request.streams(i);
    LokiStream stream;
    Status s = ParseLabelSet(in.labels(), &stream.labels);
    if (!s.ok()) return Status::InvalidArgument(fmt::format("streams[{}].labels: {}", i, s.message()));
    if (stream.labels.empty()) {
      return Status::InvalidArgument(fmt::format("streams[{}].labels: a stream needs at least one label", i));
    }
    stream.entries.reserve(in.entries_size());
    for (int j = 0; j < in.entries_size(); ++j) {
      const auto& e = in.entries(j);
      if (!e.has_timestamp()) {
        return Status::InvalidArgument(fmt::format("streams[{}].entries[{}]: no timestamp", i, j));
      }
      LokiEntry entry;
      s = TimestampToNanos(e.timestamp(), &entry.unix_nanos);
      if (!s.ok()) return Status::InvalidArgument(fmt::format("streams[{}].entries[{}]: {}", i, j, s.message()));
      entry.line = e.line();
      stream.entries.push_back(std::move(entry));
    }
    out->push_back(std::move(stream));
  }
  return Status::Ok();
}

std::string_view TypeName(const Json& j) {
  switch (j.type()) {
    case Json::value_t::null: return "null";
    case Json::value_t::boolean: return "a boolean";
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
    case Json::value_t::number_float: return "a number";
    case Json::value_t::string: return "a string";
    case Json::value_t::array: return "an array";
    case Json::value_t::object: return "an object";
    default: return "something else";
  }
}

Status WrongType(std::string_view path, std::string_view expected, const Json& got) {
  return Status::InvalidArgument(fmt::format("{}: expected {}, got {}", path, expected, TypeName(got)));
}

struct TooDeep {};

Status ParseJson(std::string_view text, Json* out) {
  try {
    *out = Json::parse(text.begin(), text.end(), [](int depth, Json::parse_event_t, Json&) {
      if (depth > kMaxJsonDepth) throw TooDeep{};
      return true;
    });
  } catch (const Json::exception& e) {
    // Not only parse_error: a number too large for a double ("1e400") throws out_of_range.
    // "[json.exception.parse_error.101] parse error at line 1, column 2: …" → from "parse error".
    std::string what = e.what();
    size_t at = what.find("] ");
    return Status::InvalidArgument("malformed JSON: " + (at == std::string::npos ? what : what.substr(at + 2)));
  } catch (const TooDeep&) {
    return Status::InvalidArgument(fmt::format("JSON nested deeper than {} levels", kMaxJsonDepth));
  }
  return Status::Ok();
}

// A JSON object of string values: the labels of a stream, or an entry's structured metadata.
Status StringMap(const Json& j, const std::string& path, bool label_names, std::map<std::string, std::string>* out) {
  if (!j.is_object()) return WrongType(path, "an object of strings", j);
  for (const auto& [name, value] : j.items()) {
    if (!value.is_string()) return WrongType(fmt::format("{}.{}", path, name), "a string", value);
    if (label_names && !IsLabelName(name)) {
      return Status::InvalidArgument(
          fmt::format("{}: \"{}\" is not a label name ([a-zA-Z_][a-zA-Z0-9_]*)", path, name));
    }
    if (out) (*out)[name] = value.get<std::string>();
  }
  return Status::Ok();
}

Status ParseNanos(std::string_view text, int64_t* out) {
  // from_chars alone would accept a leading '-' and stop quietly at the first non-digit.
  bool digits = !text.empty() && std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isdigit(c); });
  if (!digits) return Status::InvalidArgument("timestamp is not a decimal number of nanoseconds");
  if (std::from_chars(text.data(), text.data() + text.size(), *out).ec != std::errc()) {
    return Status::InvalidArgument(fmt::format("timestamp {} is past what 64-bit nanoseconds hold (2262)", text));
  }
  return Status::Ok();
}

Status DecodeJson(std::string_view raw, std::vector<LokiStream>* out) {
  Json root;
  CSOC_RETURN_IF_ERROR(ParseJson(raw, &root));
  if (!root.is_object()) return WrongType("body", "an object", root);
  auto streams = root.find("streams");
  // Loki takes a body without "streams" as an empty push; here it is more likely the wrong client.
  if (streams == root.end()) return Status::InvalidArgument("streams: missing");
  if (!streams->is_array()) return WrongType("streams", "an array", *streams);
  out->reserve(streams->size());
  for (size_t i = 0; i < streams->size(); ++i) {
    const Json& in = (*streams)[i];
    std::string path = fmt::format("streams[{}]", i);
    if (!in.is_object()) return WrongType(path, "an object", in);
    LokiStream stream;
    auto labels = in.find("stream");
    if (labels == in.end()) return Status::InvalidArgument(path + ".stream: missing");
    CSOC_RETURN_IF_ERROR(StringMap(*labels, path + ".stream", /*label_names=*/true, &stream.labels));
    if (stream.labels.empty()) {
      return Status::InvalidArgument(path + ".stream: a stream needs at least one label");
    }
    auto values = in.find("values");
    if (values == in.end()) return Status::InvalidArgument(path + ".values: missing");
    if (!values->is_array()) return WrongType(path + ".values", "an array", *values);
    stream.entries.reserve(values->size());
    for (size_t j = 0; j < values->size(); ++j) {
      const Json& v = (*values)[j];
      std::string at = fmt::format("{}.values[{}]", path, j);
      if (!v.is_array() || v.size() < 2 || v.size() > 3) {
        return Status::InvalidArgument(at +
                                       ": expected [\"<unix nanoseconds>\", \"<line>\"] with optional "
                                       "structured metadata as a third value");
      }
      if (!v[0].is_string()) return WrongType(at + "[0]", "a string of unix nanoseconds", v[0]);
      if (!v[1].is_string()) return WrongType(at + "[1]", "a string", v[1]);
      LokiEntry entry;
      Status s = ParseNanos(v[0].get_ref<const std::string&>(), &entry.unix_nanos);
      if (!s.ok()) return Status::InvalidArgument(fmt::format("{}[0]: {}", at, s.message()));
      if (v.size() == 3) CSOC_RETURN_IF_ERROR(StringMap(v[2], at + "[2]", /*label_names=*/false, nullptr));
      entry.line = v[1].get<std::string>();
      stream.entries.push_back(std::move(entry));
    }
    out->push_back(std::move(stream));
  }
  return Status::Ok();
}

Status Decode(std::string_view body, std::string_view content_type, std::string_view content_encoding,
              std::vector<LokiStream>* out) {
  std::string type = HeaderToken(content_type);
  bool json = type == "application/json";
  if (!json && !type.empty() && type != "application/x-protobuf") {
    return Status::InvalidArgument(fmt::format(
        "Content-Type \"{}\" is not supported (expected application/x-protobuf or application/json)", content_type));
  }
  std::string encoding = HeaderToken(content_encoding);
  std::string inflated;
  if (encoding == "gzip") {
    CSOC_RETURN_IF_ERROR(Gunzip(body, &inflated));
    body = inflated;
  } else if (encoding == "snappy" && json) {
    return Status::InvalidArgument("Content-Encoding snappy is only for protobuf bodies");
  } else if (!encoding.empty() && encoding != "identity" && encoding != "snappy") {
    return Status::InvalidArgument(
        fmt::format("Content-Encoding \"{}\" is not supported (expected gzip or none)", content_encoding));
  }
  if (json) {
    if (body.size() > kMaxLokiPushBytes) return Status::InvalidArgument(TooLarge());
    return DecodeJson(body, out);
  }
  std::string raw;
  CSOC_RETURN_IF_ERROR(Unsnappy(body, &raw));
  // The gunzipped bytes are not needed past this point: free them before the protobuf is parsed.
  std::string().swap(inflated);
  return DecodeProtobuf(raw, out);
}

}  // namespace

Status DecodeLokiPush(std::string_view body, std::string_view content_type, std::string_view content_encoding,
                      std::vector<LokiStream>* out) {
  out->clear();
  Status s = Decode(body, content_type, content_encoding, out);
  if (!s.ok()) out->clear();
  return s;
}

Status ParseLabelSet(std::string_view text, std::map<std::string, std::string>* out) {
  out->clear();
  size_t pos = 0;
  auto skip_space = [&] {
    while (pos < text.size() && std::isspace(static_cast<unsigned char>(text[pos]))) ++pos;
  };
  auto fail = [&](std::string_view what) {
    out->clear();
    return Status::InvalidArgument(fmt::format("label set at byte {}: {}", pos, what));
  };
  skip_space();
  if (pos >= text.size() || text[pos] != '{') return fail("expected '{'");
  ++pos;
  while (true) {
    skip_space();
    if (pos < text.size() && text[pos] == '}') break;
    size_t start = pos;
    while (pos < text.size() && IsNameChar(text[pos])) ++pos;
    std::string name(text.substr(start, pos - start));
    if (!IsLabelName(name)) {
      pos = start;
      return fail("expected a label name ([a-zA-Z_][a-zA-Z0-9_]*) or '}'");
    }
    skip_space();
    if (pos >= text.size() || text[pos] != '=') return fail(fmt::format("expected '=' after label name {}", name));
    ++pos;
    skip_space();
    if (pos >= text.size() || text[pos] != '"') return fail(fmt::format("expected '\"' to open the value of {}", name));
    ++pos;
    std::string value;
    while (true) {
      if (pos >= text.size()) return fail(fmt::format("the value of {} is not closed with '\"'", name));
      char c = text[pos];
      if (c == '"') break;
      if (c == '\\') {
        char next = pos + 1 < text.size() ? text[pos + 1] : '\0';
        if (next == '"' || next == '\\') {
          value += next;
        } else if (next == 'n') {
          value += '\n';
        } else {
          return fail(fmt::format("unknown escape in the value of {} (only \\\" \\\\ \\n)", name));
        }
        pos += 2;
        continue;
      }
      value += c;
      ++pos;
    }
    ++pos;
    if (!out->emplace(name, std::move(value)).second) return fail(fmt::format("label {} is repeated", name));
    skip_space();
    if (pos < text.size() && text[pos] == ',') {
      ++pos;
      continue;
    }
    if (pos < text.size() && text[pos] == '}') break;
    return fail("expected ',' or '}'");
  }
  ++pos;
  skip_space();
  if (pos != text.size()) return fail("unexpected text after '}'");
  return Status::Ok();
}

}  // namespace csoc::logs

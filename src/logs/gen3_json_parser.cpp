// The Gen3 revproxy's JSON access log, parsed with simdjson's DOM API (its On-Demand API is
// compiled for the build's baseline CPU only; the DOM parser picks the fastest kernel at run time).
//
// nginx writes this log without escape=json, so `"`, `\` and bytes outside printable ASCII arrive
// as \xHH escapes, which JSON does not allow. Each line is copied into a padded buffer (simdjson
// needs readable padding after the document anyway) and the \xHH escapes are rewritten on the
// way: \x22 -> \", \x5C -> \\, other control bytes -> \u00HH, bytes >= 0x80 -> the raw byte (they
// are the bytes of a UTF-8 character; simdjson then validates the UTF-8).
#include <simdjson.h>

#include <cstring>
#include <memory>

#include "logs/parsers.h"
#include "logs/timestamp.h"

namespace csoc::logs {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

class Gen3JsonParser final : public LineParser {
 public:
  ParseError Parse(std::string_view line, LogRecord* out) override {
    const std::string_view trimmed = TrimRight(line);
    if (HasControlBytes(trimmed)) return ParseError::kBinary;
    if (trimmed.empty()) return ParseError::kTruncated;
    const size_t len = CopyUnescaped(trimmed);

    simdjson::dom::element doc;
    if (auto e = parser_.parse(buffer_.get(), len, false).get(doc); e != simdjson::SUCCESS) {
      return Classify(trimmed, e);
    }
    simdjson::dom::object object;
    if (doc.get(object) != simdjson::SUCCESS) return ParseError::kBadJson;  // an array, a string...

    *out = LogRecord{};
    bool have_time = false, have_status = false, have_request = false;
    for (const auto [key, value] : object) {
      ParseError err = ParseError::kNone;
      switch (key.size()) {  // a cheap first cut before comparing names
        case 7:
          if (key == "user_id") err = String(value, &out->user);
          break;
        case 9:
          if (key == "http_verb") err = String(value, &out->verb);
          break;
        case 11:
          if (key == "date_access") {
            std::string_view text;
            err = String(value, &text);
            if (err == ParseError::kNone && !time_cache_.Parse(text, ParseIsoTime, &out->time_ms)) {
              err = ParseError::kBadTimestamp;
            }
            have_time = true;
          }
          break;
        case 12:
          if (key == "http_request") {
            err = String(value, &out->uri);
            have_request = true;
          } else if (key == "http_referer") {
            err = String(value, &out->referer);
          }
          break;
        case 13:
          if (key == "response_secs") err = Double(value, &out->response_secs);
          if (key == "proxy_service") err = String(value, &out->service);
          break;
        case 14:
          if (key == "http_useragent") err = String(value, &out->user_agent);
          break;
        case 16:
          if (key == "http_status_code") {
            err = StatusCode(value, &out->status);
            have_status = true;
          }
          break;
        case 17:
          if (key == "network_client_ip") err = String(value, &out->client_ip);
          break;
        case 19:
          if (key == "network_bytes_write") err = Unsigned(value, &out->bytes);
          break;
        default:
          break;
      }
      if (err != ParseError::kNone) return err;
    }
    if (!have_time || !have_status || !have_request) return ParseError::kMissingField;
    out->user = Gen3UserName(out->user);
    if (out->client_ip == "-") out->client_ip = {};
    return ParseError::kNone;
  }

 private:
  static ParseError Mapped(simdjson::error_code e) {
    switch (e) {
      case simdjson::SUCCESS: return ParseError::kNone;
      case simdjson::INCORRECT_TYPE:
      case simdjson::NUMBER_ERROR:
      case simdjson::NUMBER_OUT_OF_RANGE: return ParseError::kWrongType;
      case simdjson::UTF8_ERROR:
      case simdjson::UNESCAPED_CHARS: return ParseError::kBinary;
      default: return ParseError::kBadJson;
    }
  }
  // A line that never reaches the object's closing brace was cut off mid-write, whatever simdjson
  // tripped over first (a half number, an open string); otherwise the error says what is wrong.
  static ParseError Classify(std::string_view trimmed, simdjson::error_code e) {
    if (trimmed.front() == '{' && trimmed.find('}') == std::string_view::npos) return ParseError::kTruncated;
    return Mapped(e);
  }
  // null reads as absent (nginx writes "-" for an empty variable, but other writers use null).
  static ParseError String(simdjson::dom::element v, std::string_view* out) {
    if (v.is_null()) {
      *out = {};
      return ParseError::kNone;
    }
    return Mapped(v.get_string().get(*out));
  }
  static ParseError Double(simdjson::dom::element v, double* out) {
    if (v.is_null()) return ParseError::kNone;
    if (auto e = v.get_double().get(*out); e != simdjson::SUCCESS) return Mapped(e);
    return *out < 0 ? ParseError::kWrongType : ParseError::kNone;
  }
  static ParseError Unsigned(simdjson::dom::element v, uint64_t* out) {
    if (v.is_null()) return ParseError::kNone;
    return Mapped(v.get_uint64().get(*out));
  }
  static ParseError StatusCode(simdjson::dom::element v, int* out) {
    int64_t code = 0;
    if (auto e = v.get_int64().get(code); e != simdjson::SUCCESS) return Mapped(e);
    if (code < 100 || code > 599) return ParseError::kWrongType;
    *out = static_cast<int>(code);
    return ParseError::kNone;
  }
  // Copies `line` into the padded buffer, rewriting \xHH escapes; returns the length written.
  size_t CopyUnescaped(std::string_view line) {
    // A rewritten escape is at most 6 bytes for 4 (\x01 -> \u0001): 1.5x bounds the growth.
    const size_t need = line.size() + line.size() / 2 + 1 + simdjson::SIMDJSON_PADDING;
    if (need > capacity_) {
      capacity_ = std::max(need, size_t{4096});
      buffer_ = std::make_unique<char[]>(capacity_);
    }
    char* dst = buffer_.get();
    const char* src = line.data();
    const char* end = src + line.size();
    while (src < end) {
      const void* hit = std::memchr(src, '\\', static_cast<size_t>(end - src));
      const char* bs = hit ? static_cast<const char*>(hit) : end;
      std::memcpy(dst, src, static_cast<size_t>(bs - src));
      dst += bs - src;
      src = bs;
      if (src == end) break;
      int hi, lo;
      if (end - src >= 4 && src[1] == 'x' && (hi = HexValue(src[2])) >= 0 && (lo = HexValue(src[3])) >= 0) {
        const int byte = hi * 16 + lo;
        if (byte == '"' || byte == '\\') {
          *dst++ = '\\';
          *dst++ = static_cast<char>(byte);
        } else if (byte < 0x20 || byte == 0x7f) {
          std::memcpy(dst, "\\u00", 4);
          dst[4] = src[2];
          dst[5] = src[3];
          dst += 6;
        } else {
          *dst++ = static_cast<char>(byte);
        }
        src += 4;
      } else {
        // A JSON escape (\n, \", \u...) or a stray backslash: copy it with the character it
        // escapes so that an escaped backslash is never read as the start of \xHH.
        *dst++ = *src++;
        if (src < end) *dst++ = *src++;
      }
    }
    const size_t len = static_cast<size_t>(dst - buffer_.get());
    std::memset(dst, 0, simdjson::SIMDJSON_PADDING);
    return len;
  }

  simdjson::dom::parser parser_;
  TimeCache time_cache_;
  std::unique_ptr<char[]> buffer_;
  size_t capacity_ = 0;
};

}  // namespace

std::unique_ptr<LineParser> MakeGen3JsonParser() { return std::make_unique<Gen3JsonParser>(); }

}  // namespace csoc::logs

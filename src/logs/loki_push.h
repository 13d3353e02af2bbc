// Decoding the body of a Loki push request (POST /loki/api/v1/push), as Promtail, Grafana Alloy's
// loki.write and other Loki clients send it, into plain streams of log lines. Pure functions: no
// I/O, no threads; thread-safe.
//
// Accepted bodies, as Loki's own distributor reads them (grafana/loki pkg/loghttp/push/push.go):
//   - Content-Type application/x-protobuf (or none, Loki's default): a logproto.PushRequest
//     (src/logs/loki_push.proto) compressed with snappy's block format, not its framed format;
//   - Content-Type application/json: {"streams":[{"stream":{"app":"x"},"values":[["<unix ns>",
//     "<line>"], ["<unix ns>", "<line>", {"trace_id":"..."}]]}]};
//   - either wrapped in gzip when Content-Encoding is gzip. Content-Encoding snappy is accepted for
//     protobuf, which is snappy-compressed anyway (some clients say so; Loki tolerates it too).
// Structured metadata (protobuf structuredMetadata, the JSON third value) is checked for shape and
// not kept.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace csoc::logs {

// The most a body may decompress to; a larger one is refused before it is fully inflated.
inline constexpr size_t kMaxLokiPushBytes = 64 * 1024 * 1024;

struct LokiEntry {
  int64_t unix_nanos = 0;
  std::string line;
};

struct LokiStream {
  std::map<std::string, std::string> labels;  // never empty
  std::vector<LokiEntry> entries;
};

// Decodes a whole push body, all or nothing: on any error *out is left empty and the message names
// what was wrong and where ("streams[2].values[5][0]: timestamp is not a decimal number of
// nanoseconds"). Streams keep the order and the entries of the request; a stream may have no entries.
Status DecodeLokiPush(std::string_view body, std::string_view content_type, std::string_view content_encoding,
                      std::vector<LokiStream>* out);

// Parses a label set in Prometheus text form: {app="revproxy", namespace="gen3"}. Names match
// [a-zA-Z_][a-zA-Z0-9_]*; values are double-quoted with the escapes \" \\ \n; whitespace between
// tokens and a trailing comma are allowed, a repeated name is not. "{}" is an empty set; whether
// that is acceptable is the caller's call.
Status ParseLabelSet(std::string_view text, std::map<std::string, std::string>* out);

}  // namespace csoc::logs

#include "logs/format.h"

#include "logs/parsers.h"

namespace csoc::logs {

std::string_view ParseErrorName(ParseError e) {
  switch (e) {
    case ParseError::kNone: return "none";
    case ParseError::kTruncated: return "truncated";
    case ParseError::kBinary: return "binary";
    case ParseError::kBadJson: return "bad_json";
    case ParseError::kWrongType: return "wrong_type";
    case ParseError::kBadTimestamp: return "bad_timestamp";
    case ParseError::kTooLong: return "too_long";
    case ParseError::kFormatMismatch: return "format_mismatch";
    case ParseError::kMissingField: return "missing_field";
  }
  return "unknown";
}

Status LogFormat::Parse(std::string_view spec, LogFormat* out) {
  LogFormat f;
  if (spec == "gen3" || spec == "gen3-json" || spec == "json") {
    f.kind = Kind::kGen3Json;
  } else if (spec == "combined") {
    f.kind = Kind::kCombined;
    f.nginx = std::string(kCombinedLogFormat);
  } else if (spec.find('$') != std::string_view::npos) {
    f.kind = Kind::kNginx;
    f.nginx = std::string(spec);
    std::unique_ptr<LineParser> check;
    CSOC_RETURN_IF_ERROR(MakeLineParser(f, &check));
  } else {
    return Status::InvalidArgument("unknown log format '" + std::string(spec) +
                                   "': expected gen3, combined, or an nginx log_format string with $variables");
  }
  *out = std::move(f);
  return Status::Ok();
}

std::string_view LogFormat::Name() const {
  switch (kind) {
    case Kind::kGen3Json: return "gen3";
    case Kind::kCombined: return "combined";
    case Kind::kNginx: return "nginx";
  }
  return "unknown";
}

Status MakeLineParser(const LogFormat& format, std::unique_ptr<LineParser>* out) {
  switch (format.kind) {
    case LogFormat::Kind::kGen3Json: *out = MakeGen3JsonParser(); return Status::Ok();
    case LogFormat::Kind::kCombined: return MakeNginxParser(kCombinedLogFormat, out);
    case LogFormat::Kind::kNginx: return MakeNginxParser(format.nginx, out);
  }
  return Status::Internal("unknown log format kind");
}

}  // namespace csoc::logs

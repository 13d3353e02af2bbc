// Lines written by an nginx log_format (the combined format is one of them).
//
// The format is compiled once into a leading literal and a list of (variable, following literal)
// pairs. A line is read left to right: each variable's value runs up to the next occurrence of
// the literal after it. Inside double quotes an occurrence preceded by an odd number of
// backslashes does not count (Apache writes a quote in a request as \"; nginx writes \x22).
// After the last literal the line must end: a line with more or fewer fields than the format is
// refused rather than read with its fields shifted.
#include <charconv>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "logs/parsers.h"
#include "logs/timestamp.h"

namespace csoc::logs {
namespace {

enum class Field {
  kIgnore,
  kClientIp,
  kOriginalClientIp,
  kRemoteUser,
  kGen3UserId,
  kTimeLocal,
  kTimeIso,
  kMsec,
  kRequest,
  kMethod,
  kRequestUri,
  kUri,
  kArgs,
  kStatus,
  kBytes,
  kRequestTime,
  kUpstreamTime,
  kReferer,
  kUserAgent,
  kProxyService,
};

Field FieldOf(std::string_view var) {
  struct Known {
    std::string_view name;
    Field field;
  };
  static constexpr Known kKnown[] = {
      {"remote_addr", Field::kClientIp},
      {"realip_remote_addr", Field::kClientIp},
      {"original_client_ip", Field::kOriginalClientIp},
      {"remote_user", Field::kRemoteUser},
      {"userid", Field::kGen3UserId},
      {"user_id", Field::kGen3UserId},
      {"time_local", Field::kTimeLocal},
      {"time_iso8601", Field::kTimeIso},
      {"msec", Field::kMsec},
      {"request", Field::kRequest},
      {"request_method", Field::kMethod},
      {"request_uri", Field::kRequestUri},
      {"uri", Field::kUri},
      {"document_uri", Field::kUri},
      {"args", Field::kArgs},
      {"query_string", Field::kArgs},
      {"status", Field::kStatus},
      {"body_bytes_sent", Field::kBytes},
      {"bytes_sent", Field::kBytes},
      {"request_time", Field::kRequestTime},
      {"upstream_response_time", Field::kUpstreamTime},
      {"http_referer", Field::kReferer},
      {"http_user_agent", Field::kUserAgent},
      {"proxy_service", Field::kProxyService},
  };
  for (const Known& k : kKnown) {
    if (k.name == var) return k.field;
  }
  return Field::kIgnore;
}

bool IsVarChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

// A decimal number of seconds as nginx writes $request_time: "0.123". "-" means none.
bool ParseSeconds(std::string_view v, double* out) {
  if (v == "-" || v.empty()) {
    *out = -1;
    return true;
  }
  uint64_t whole = 0, frac = 0, scale = 1;
  size_t i = 0;
  for (; i < v.size() && v[i] >= '0' && v[i] <= '9' && i < 12; ++i) whole = whole * 10 + (v[i] - '0');
  if (i == 0) return false;
  if (i < v.size() && v[i] == '.') {
    for (++i; i < v.size() && v[i] >= '0' && v[i] <= '9'; ++i) {
      if (scale < 1'000'000'000) {
        frac = frac * 10 + (v[i] - '0');
        scale *= 10;
      }
    }
  }
  if (i != v.size()) return false;
  *out = static_cast<double>(whole) + static_cast<double>(frac) / static_cast<double>(scale);
  return true;
}

class NginxParser final : public LineParser {
 public:
  struct Var {
    Field field;
    std::string next;  // the literal after the variable; empty only for a variable ending the line
    bool quoted;       // the variable sits inside double quotes
  };

  NginxParser(std::string prefix, std::vector<Var> vars) : prefix_(std::move(prefix)), vars_(std::move(vars)) {}

  ParseError Parse(std::string_view raw, LogRecord* out) override {
    const std::string_view line = TrimRight(raw);
    if (HasControlBytes(line)) return ParseError::kBinary;
    if (line.substr(0, prefix_.size()) != prefix_) {
      return line.size() < prefix_.size() && prefix_.starts_with(line) ? ParseError::kTruncated
                                                                        : ParseError::kFormatMismatch;
    }
    *out = LogRecord{};
    out->response_secs = -1;
    std::string_view uri_path, uri_args, original_ip;
    double upstream_secs = -1;
    size_t pos = prefix_.size();
    for (size_t i = 0; i < vars_.size(); ++i) {
      const Var& var = vars_[i];
      std::string_view value;
      if (var.next.empty()) {
        value = line.substr(pos);
        pos = line.size();
      } else {
        const size_t at = Find(line, pos, var.next, var.quoted);
        if (at == std::string_view::npos) {
          // The first separator missing means another format; a later one, a cut-off line.
          return i == 0 ? ParseError::kFormatMismatch : ParseError::kTruncated;
        }
        value = line.substr(pos, at - pos);
        pos = at + var.next.size();
      }
      switch (var.field) {
        case Field::kIgnore: break;
        case Field::kClientIp: out->client_ip = Dash(value); break;
        case Field::kOriginalClientIp: original_ip = Dash(value); break;
        case Field::kRemoteUser: out->user = Dash(value); break;
        case Field::kGen3UserId: out->user = Gen3UserName(value); break;
        case Field::kTimeLocal:
          if (!time_cache_.Parse(value, ParseLocalTime, &out->time_ms)) return ParseError::kBadTimestamp;
          break;
        case Field::kTimeIso:
          if (!time_cache_.Parse(value, ParseIsoTime, &out->time_ms)) return ParseError::kBadTimestamp;
          break;
        case Field::kMsec:
          if (!ParseEpochSeconds(value, &out->time_ms)) return ParseError::kBadTimestamp;
          break;
        case Field::kRequest: SplitRequest(value, out); break;
        case Field::kMethod: out->verb = Dash(value); break;
        case Field::kRequestUri: out->uri = value; break;
        case Field::kUri: uri_path = value; break;
        case Field::kArgs: uri_args = Dash(value); break;
        case Field::kStatus:
          if (value.size() != 3 || std::from_chars(value.data(), value.data() + 3, out->status).ptr !=
                                       value.data() + 3 ||
              out->status < 100 || out->status > 599) {
            return ParseError::kWrongType;
          }
          break;
        case Field::kBytes:
          if (value != "-" && (value.empty() || std::from_chars(value.data(), value.data() + value.size(), out->bytes).ptr !=
                                                    value.data() + value.size())) {
            return ParseError::kWrongType;
          }
          break;
        case Field::kRequestTime:
          if (!ParseSeconds(value, &out->response_secs)) return ParseError::kWrongType;
          break;
        case Field::kUpstreamTime: {
          // "0.004, 0.002" or "0.004 : 0.002" when nginx tried several upstreams: the last one.
          const size_t sep = value.find_last_of(",:");
          std::string_view last = sep == std::string_view::npos ? value : value.substr(sep + 1);
          while (!last.empty() && last.front() == ' ') last.remove_prefix(1);
          if (!ParseSeconds(last, &upstream_secs)) return ParseError::kWrongType;
          break;
        }
        case Field::kReferer: out->referer = Dash(value); break;
        case Field::kUserAgent: out->user_agent = Dash(value); break;
        case Field::kProxyService: out->service = Dash(value); break;
      }
    }
    if (pos != line.size()) return ParseError::kFormatMismatch;
    if (!original_ip.empty()) out->client_ip = original_ip;
    if (out->response_secs < 0) out->response_secs = upstream_secs;
    if (out->uri.empty() && !uri_path.empty()) {
      if (uri_args.empty()) {
        out->uri = uri_path;
      } else {
        uri_scratch_.assign(uri_path).append("?").append(uri_args);
        out->uri = uri_scratch_;
      }
    }
    return ParseError::kNone;
  }

 private:
  static std::string_view Dash(std::string_view v) { return v == "-" ? std::string_view{} : v; }

  // "GET /path?q HTTP/1.1" -> verb and uri. A request that is not three words (a TLS handshake
  // sent to a plain port, "-") is still a request: it is counted with no verb and no path.
  static void SplitRequest(std::string_view request, LogRecord* out) {
    const size_t first = request.find(' ');
    if (first == std::string_view::npos) return;
    const size_t last = request.rfind(' ');
    out->verb = request.substr(0, first);
    out->uri = last > first ? request.substr(first + 1, last - first - 1) : request.substr(first + 1);
  }

  static size_t Find(std::string_view line, size_t from, std::string_view literal, bool quoted) {
    while (true) {
      size_t at;
      if (literal.size() == 1) {
        const void* p = from < line.size() ? std::memchr(line.data() + from, literal[0], line.size() - from) : nullptr;
        at = p ? static_cast<size_t>(static_cast<const char*>(p) - line.data()) : std::string_view::npos;
      } else {
        at = line.find(literal, from);
      }
      if (at == std::string_view::npos || !quoted) return at;
      size_t backslashes = 0;
      while (at > backslashes && line[at - 1 - backslashes] == '\\') ++backslashes;
      if (backslashes % 2 == 0) return at;
      from = at + 1;
    }
  }

  std::string prefix_;
  std::vector<Var> vars_;
  std::string uri_scratch_;
  TimeCache time_cache_;
};

}  // namespace

Status MakeNginxParser(std::string_view format, std::unique_ptr<LineParser>* out) {
  std::string prefix, literal;
  std::vector<NginxParser::Var> vars;
  std::optional<Field> pending;  // a variable still waiting for the literal after it
  std::string pending_name;
  bool has_time = false, has_status = false, has_request = false;
  auto close_pending = [&](std::string next) {
    const std::string& before = vars.empty() ? prefix : vars.back().next;
    const bool quoted = !before.empty() && before.back() == '"' && !next.empty() && next.front() == '"';
    vars.push_back({*pending, std::move(next), quoted});
    pending.reset();
  };
  for (size_t i = 0; i < format.size();) {
    if (format[i] != '$') {
      literal.push_back(format[i++]);
      continue;
    }
    size_t start = i + 1, end = start;
    const bool braced = start < format.size() && format[start] == '{';
    if (braced) {
      end = format.find('}', start);
      if (end == std::string_view::npos) {
        return Status::InvalidArgument("log format: '${' at offset " + std::to_string(i) + " has no closing '}'");
      }
      ++start;
    } else {
      while (end < format.size() && IsVarChar(format[end])) ++end;
    }
    const std::string_view name = format.substr(start, end - start);
    if (name.empty()) {
      return Status::InvalidArgument("log format: '$' at offset " + std::to_string(i) + " is not followed by a variable name");
    }
    if (pending) {
      if (literal.empty()) {
        return Status::InvalidArgument("log format: $" + pending_name + " and $" + std::string(name) +
                                       " have nothing between them, so a line cannot be split into the two");
      }
      close_pending(std::move(literal));
    } else if (vars.empty()) {
      prefix = std::move(literal);
    }
    literal.clear();
    pending = FieldOf(name);
    pending_name = std::string(name);
    has_time |= *pending == Field::kTimeLocal || *pending == Field::kTimeIso || *pending == Field::kMsec;
    has_status |= *pending == Field::kStatus;
    has_request |= *pending == Field::kRequest || *pending == Field::kRequestUri || *pending == Field::kUri;
    i = braced ? end + 1 : end;
  }
  if (!pending) return Status::InvalidArgument("log format: no $variable in it");
  close_pending(std::move(literal));
  if (!has_time) return Status::InvalidArgument("log format: needs a time ($time_local, $time_iso8601 or $msec)");
  if (!has_status) return Status::InvalidArgument("log format: needs $status");
  if (!has_request) return Status::InvalidArgument("log format: needs the request ($request, $request_uri or $uri)");
  *out = std::make_unique<NginxParser>(std::move(prefix), std::move(vars));
  return Status::Ok();
}

}  // namespace csoc::logs

#include "logs/faro.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <nlohmann/json.hpp>

#include "core/time.h"

namespace csoc::logs {
namespace {

using Json = nlohmann::json;

// The OTLP JSON under "traces" is the deepest part of a payload (resourceSpans, scopeSpans, spans,
// attributes, nested array and kvlist values); nlohmann's parser is iterative, but every level of a
// DOM costs memory, so nesting far beyond that is refused early.
constexpr int kMaxJsonDepth = 64;

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

// The member `key` of an object, or nullptr when it is absent or null: the SDK leaves out what it
// does not have, and other senders write null for it.
const Json* Member(const Json& object, std::string_view key) {
  auto it = object.find(key);
  return it == object.end() || it->is_null() ? nullptr : &*it;
}

Status GetString(const Json& object, std::string_view path, std::string_view key, std::string* out) {
  const Json* v = Member(object, key);
  if (!v) return Status::Ok();
  if (!v->is_string()) return WrongType(fmt::format("{}.{}", path, key), "a string", *v);
  *out = v->get<std::string>();
  return Status::Ok();
}

// meta.<object>.<key>, e.g. meta.page.url.
Status GetMetaString(const Json& meta, std::string_view object, std::string_view key, std::string* out) {
  const Json* o = Member(meta, object);
  if (!o) return Status::Ok();
  std::string path = fmt::format("meta.{}", object);
  if (!o->is_object()) return WrongType(path, "an object", *o);
  return GetString(*o, path, key, out);
}

Status ParseEvent(const Json& j, const std::string& path, FaroEvent* out) {
  if (!j.is_object()) return WrongType(path, "an object", j);
  CSOC_RETURN_IF_ERROR(GetString(j, path, "name", &out->name));
  if (out->name.empty()) return Status::InvalidArgument(path + ".name: missing");
  CSOC_RETURN_IF_ERROR(GetString(j, path, "domain", &out->domain));
  std::string timestamp;
  CSOC_RETURN_IF_ERROR(GetString(j, path, "timestamp", &timestamp));
  if (timestamp.empty()) return Status::InvalidArgument(path + ".timestamp: missing");
  auto t = ParseIso8601(timestamp);
  if (!t) {
    return Status::InvalidArgument(fmt::format(
        "{}.timestamp: \"{}\" is not an RFC 3339 date-time like 2026-12-02T15:31:59.008Z", path, timestamp));
  }
  out->unix_ms = ToUnixMillis(*t);
  if (const Json* attributes = Member(j, "attributes")) {
    std::string at = path + ".attributes";
    if (!attributes->is_object()) return WrongType(at, "an object of strings", *attributes);
    for (const auto& [key, value] : attributes->items()) {
      if (!value.is_string()) return WrongType(fmt::format("{}.{}", at, key), "a string", value);
      out->attributes[key] = value.get<std::string>();
    }
  }
  return Status::Ok();
}

Status CountArray(const Json& root, std::string_view key, size_t* out) {
  const Json* v = Member(root, key);
  if (!v) return Status::Ok();
  if (!v->is_array()) return WrongType(key, "an array", *v);
  *out = v->size();
  return Status::Ok();
}

Status Parse(std::string_view body, FaroPayload* p) {
  if (body.size() > kMaxFaroPayloadBytes) {
    return Status::InvalidArgument(
        fmt::format("the payload is {} bytes, more than the {} accepted", body.size(), kMaxFaroPayloadBytes));
  }
  Json root;
  CSOC_RETURN_IF_ERROR(ParseJson(body, &root));
  if (!root.is_object()) return WrongType("payload", "an object", root);
  if (const Json* meta = Member(root, "meta")) {
    if (!meta->is_object()) return WrongType("meta", "an object", *meta);
    CSOC_RETURN_IF_ERROR(GetMetaString(*meta, "app", "name", &p->app_name));
    CSOC_RETURN_IF_ERROR(GetMetaString(*meta, "page", "url", &p->page_url));
    CSOC_RETURN_IF_ERROR(GetMetaString(*meta, "session", "id", &p->session_id));
    CSOC_RETURN_IF_ERROR(GetMetaString(*meta, "user", "id", &p->user_id));
  }
  if (const Json* events = Member(root, "events")) {
    if (!events->is_array()) return WrongType("events", "an array", *events);
    if (events->size() > kMaxFaroEvents) {
      return Status::InvalidArgument(
          fmt::format("events: {} events, more than the {} accepted", events->size(), kMaxFaroEvents));
    }
    p->events.resize(events->size());
    for (size_t i = 0; i < events->size(); ++i) {
      CSOC_RETURN_IF_ERROR(ParseEvent((*events)[i], fmt::format("events[{}]", i), &p->events[i]));
    }
  }
  CSOC_RETURN_IF_ERROR(CountArray(root, "logs", &p->logs));
  CSOC_RETURN_IF_ERROR(CountArray(root, "measurements", &p->measurements));
  CSOC_RETURN_IF_ERROR(CountArray(root, "exceptions", &p->exceptions));
  if (const Json* traces = Member(root, "traces"); traces && !traces->is_object()) {
    return WrongType("traces", "an object", *traces);
  }
  return Status::Ok();
}

// Lowercased, without '_' and '-': "search_term", "searchTerm" and "Search-Term" all read "searchterm".
std::string Fold(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (c != '_' && c != '-') out += static_cast<char>(std::tolower(c));
  }
  return out;
}

bool IsSearchAttribute(std::string_view key) {
  static constexpr std::array<std::string_view, 15> kKeys = {
      "q",        "query",      "term",        "terms",      "search",       "filter",    "filters",    "keyword",
      "keywords", "searchterm", "searchquery", "searchtext", "searchstring", "querytext", "filtervalue"};
  std::string folded = Fold(key);
  return std::find(kKeys.begin(), kKeys.end(), folded) != kKeys.end();
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// application/x-www-form-urlencoded decoding; a '%' not followed by two hex digits stays as it is.
std::string PercentDecode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%' && i + 2 < s.size() && HexValue(s[i + 1]) >= 0 && HexValue(s[i + 2]) >= 0) {
      out += static_cast<char>(HexValue(s[i + 1]) * 16 + HexValue(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

}  // namespace

Status ParseFaroPayload(std::string_view body, FaroPayload* out) {
  *out = FaroPayload{};
  FaroPayload p;
  CSOC_RETURN_IF_ERROR(Parse(body, &p));
  *out = std::move(p);
  return Status::Ok();
}

std::vector<std::string> FaroSearchTerms(const FaroPayload& payload) {
  std::vector<std::string> terms;
  auto add = [&terms](std::string term) {
    if (!term.empty() && std::find(terms.begin(), terms.end(), term) == terms.end()) terms.push_back(std::move(term));
  };
  for (const FaroEvent& event : payload.events) {
    std::string name = Fold(event.name);
    bool search_event = name.find("search") != std::string::npos || name.find("filter") != std::string::npos;
    for (const auto& [key, value] : event.attributes) {
      if (IsSearchAttribute(key) || (search_event && Fold(key) == "value")) add(value);
    }
  }
  std::string_view url = payload.page_url;
  size_t query = url.find('?');
  if (query == std::string_view::npos) return terms;
  // Parameters are separated by '&'; '#' and a second '?' start the fragment's own query.
  std::string_view rest = url.substr(query + 1);
  while (!rest.empty()) {
    size_t end = std::min(rest.find_first_of("&#?"), rest.size());
    std::string_view param = rest.substr(0, end);
    rest.remove_prefix(std::min(end + 1, rest.size()));
    size_t eq = param.find('=');
    if (eq == std::string_view::npos) continue;
    std::string key = Fold(PercentDecode(param.substr(0, eq)));
    if (key == "q" || key == "query" || key == "search" || key == "term" || key == "filter") {
      add(PercentDecode(param.substr(eq + 1)));
    }
  }
  return terms;
}

}  // namespace csoc::logs

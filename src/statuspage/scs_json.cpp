#include "statuspage/scs_json.h"

#include <fmt/format.h>

#include <algorithm>
#include <initializer_list>

namespace csoc::statuspage::scs {
namespace {

std::string_view TypeName(const Json& j) {
  switch (j.type()) {
    case Json::value_t::null: return "null";
    case Json::value_t::boolean: return "a boolean";
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned: return "an integer";
    case Json::value_t::number_float: return "a number with a fraction";
    case Json::value_t::string: return "a string";
    case Json::value_t::array: return "an array";
    case Json::value_t::object: return "an object";
    default: return "something else";
  }
}

Status WrongType(std::string_view field, std::string_view expected, const Json& got) {
  return Status::InvalidArgument(fmt::format("{}: expected {}, got {}", field, expected, TypeName(got)));
}

// Parses a request body that must be one JSON object whose keys are all in `fields` or `ignored`.
Status ParseObject(std::string_view body, std::initializer_list<std::string_view> fields,
                   std::initializer_list<std::string_view> ignored, Json* out) {
  try {
    *out = Json::parse(body.begin(), body.end());
  } catch (const Json::parse_error& e) {
    std::string what = e.what();
    // "[json.exception.parse_error.101] parse error at line 1, column 2: …" → from "parse error".
    size_t at = what.find("parse error");
    return Status::InvalidArgument("malformed JSON in the request body: " +
                                   (at == std::string::npos ? what : what.substr(at)));
  } catch (const Json::out_of_range&) {  // a number such as 1e400 that no double holds
    return Status::InvalidArgument("malformed JSON in the request body: a number is out of range");
  }
  if (!out->is_object()) return WrongType("request body", "a JSON object", *out);
  for (const auto& [key, value] : out->items()) {
    bool known = std::find(fields.begin(), fields.end(), key) != fields.end();
    bool skip = std::find(ignored.begin(), ignored.end(), key) != ignored.end();
    if (!known && !skip) {
      std::string allowed;
      for (auto f : fields) allowed += (allowed.empty() ? "" : ", ") + std::string(f);
      return Status::InvalidArgument(fmt::format("{}: unknown field (expected {})", key, allowed));
    }
  }
  return Status::Ok();
}

Status GetString(const Json& obj, std::string_view field, std::optional<std::string>* out) {
  auto it = obj.find(field);
  if (it == obj.end()) return Status::Ok();
  if (!it->is_string()) return WrongType(field, "a string", *it);
  *out = it->get<std::string>();
  return Status::Ok();
}

Status GetInt(const Json& j, std::string_view field, int min, int max, int* out) {
  if (!j.is_number_integer() && !j.is_number_unsigned()) return WrongType(field, "an integer", j);
  if (j.is_number_unsigned() ? j.get<uint64_t>() > static_cast<uint64_t>(max) : j.get<int64_t>() > max) {
    return Status::InvalidArgument(fmt::format("{}: must be from {} to {}, got {}", field, min, max, j.dump()));
  }
  int64_t v = j.get<int64_t>();
  if (v < min) return Status::InvalidArgument(fmt::format("{}: must be from {} to {}, got {}", field, min, max, v));
  *out = static_cast<int>(v);
  return Status::Ok();
}

Status GetTime(const Json& j, std::string_view field, TimePoint* out) {
  if (!j.is_string()) return WrongType(field, "an RFC 3339 date-time string", j);
  auto t = ParseIso8601(j.get<std::string>());
  if (!t) {
    return Status::InvalidArgument(
        fmt::format("{}: '{}' is not an RFC 3339 date-time like 2026-12-02T10:00:00Z", field, j.get<std::string>()));
  }
  *out = *t;
  return Status::Ok();
}

// A nullable date-time; "" counts as null.
Status GetNullableTime(const Json& obj, std::string_view field, std::optional<std::optional<TimePoint>>* out) {
  auto it = obj.find(field);
  if (it == obj.end()) return Status::Ok();
  if (it->is_null() || (it->is_string() && it->get<std::string>().empty())) {
    *out = std::optional<TimePoint>();
    return Status::Ok();
  }
  TimePoint t;
  CSOC_RETURN_IF_ERROR(GetTime(*it, field, &t));
  *out = t;
  return Status::Ok();
}

Status GetId(const Json& j, std::string_view field, std::string* out) {
  if (!j.is_string()) return WrongType(field, "a UUID string", j);
  std::string v = j.get<std::string>();
  if (!IsUuid(v)) return Status::InvalidArgument(fmt::format("{}: '{}' is not a UUID", field, v));
  std::transform(v.begin(), v.end(), v.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  *out = std::move(v);
  return Status::Ok();
}

constexpr int kMaxIncremental = 1'000'000'000;

Json OptionalTimeJson(const std::optional<TimePoint>& t) { return t ? Json(FormatIso8601(*t)) : Json(nullptr); }

}  // namespace

Status ParseImpactType(std::string_view body, ImpactTypeInput* out) {
  Json j;
  CSOC_RETURN_IF_ERROR(ParseObject(body, {"displayName", "description"}, {"id"}, &j));
  CSOC_RETURN_IF_ERROR(GetString(j, "displayName", &out->display_name));
  return GetString(j, "description", &out->description);
}

Status ParseSeverity(std::string_view body, SeverityInput* out) {
  Json j;
  CSOC_RETURN_IF_ERROR(ParseObject(body, {"displayName", "value"}, {}, &j));
  CSOC_RETURN_IF_ERROR(GetString(j, "displayName", &out->display_name));
  if (auto it = j.find("value"); it != j.end()) {
    int v = 0;
    CSOC_RETURN_IF_ERROR(GetInt(*it, "value", 0, 100, &v));
    out->value = v;
  }
  return Status::Ok();
}

Status ParsePhaseList(std::string_view body, std::vector<std::string>* out) {
  Json j;
  CSOC_RETURN_IF_ERROR(ParseObject(body, {"phases"}, {"generation"}, &j));
  auto it = j.find("phases");
  if (it == j.end()) return Status::InvalidArgument("phases: required");
  if (!it->is_array()) return WrongType("phases", "an array of strings", *it);
  out->clear();
  for (size_t i = 0; i < it->size(); ++i) {
    const Json& p = (*it)[i];
    if (!p.is_string()) return WrongType(fmt::format("phases[{}]", i), "a string", p);
    out->push_back(p.get<std::string>());
  }
  return Status::Ok();
}

Status ParseComponent(std::string_view body, ComponentInput* out) {
  Json j;
  CSOC_RETURN_IF_ERROR(ParseObject(body, {"displayName", "labels"}, {"id", "activelyAffectedBy"}, &j));
  CSOC_RETURN_IF_ERROR(GetString(j, "displayName", &out->display_name));
  if (auto it = j.find("labels"); it != j.end()) {
    if (!it->is_object()) return WrongType("labels", "an object of strings", *it);
    std::map<std::string, std::string> labels;
    for (const auto& [k, v] : it->items()) {
      if (!v.is_string()) return WrongType("labels." + k, "a string", v);
      labels[k] = v.get<std::string>();
    }
    out->labels = std::move(labels);
  }
  return Status::Ok();
}

Status ParseIncident(std::string_view body, IncidentInput* out) {
  Json j;
  CSOC_RETURN_IF_ERROR(ParseObject(body, {"displayName", "description", "beganAt", "endedAt", "phase", "affects"},
                                   {"id", "updates"}, &j));
  CSOC_RETURN_IF_ERROR(GetString(j, "displayName", &out->display_name));
  CSOC_RETURN_IF_ERROR(GetString(j, "description", &out->description));
  CSOC_RETURN_IF_ERROR(GetNullableTime(j, "beganAt", &out->began_at));
  CSOC_RETURN_IF_ERROR(GetNullableTime(j, "endedAt", &out->ended_at));
  if (auto it = j.find("phase"); it != j.end()) {
    if (!it->is_object()) return WrongType("phase", "an object with generation and order", *it);
    for (const auto& [k, v] : it->items()) {
      if (k != "generation" && k != "order") {
        return Status::InvalidArgument(fmt::format("phase.{}: unknown field (expected generation, order)", k));
      }
    }
    PhaseRef ref;
    auto g = it->find("generation");
    auto o = it->find("order");
    if (g == it->end()) return Status::InvalidArgument("phase.generation: required");
    if (o == it->end()) return Status::InvalidArgument("phase.order: required");
    CSOC_RETURN_IF_ERROR(GetInt(*g, "phase.generation", 0, kMaxIncremental, &ref.generation));
    CSOC_RETURN_IF_ERROR(GetInt(*o, "phase.order", 0, kMaxIncremental, &ref.order));
    out->phase = ref;
  }
  if (auto it = j.find("affects"); it != j.end()) {
    if (!it->is_array()) return WrongType("affects", "an array of impacts", *it);
    std::vector<Impact> affects;
    for (size_t n = 0; n < it->size(); ++n) {
      const Json& m = (*it)[n];
      std::string field = fmt::format("affects[{}]", n);
      if (!m.is_object()) return WrongType(field, "an object with reference, type and severity", m);
      for (const auto& [k, v] : m.items()) {
        if (k != "reference" && k != "type" && k != "severity") {
          return Status::InvalidArgument(
              fmt::format("{}.{}: unknown field (expected reference, type, severity)", field, k));
        }
      }
      Impact impact;
      for (std::string_view required : {"reference", "type", "severity"}) {
        if (!m.contains(required)) return Status::InvalidArgument(fmt::format("{}.{}: required", field, required));
      }
      CSOC_RETURN_IF_ERROR(GetId(m["reference"], field + ".reference", &impact.component_id));
      CSOC_RETURN_IF_ERROR(GetId(m["type"], field + ".type", &impact.type_id));
      CSOC_RETURN_IF_ERROR(GetInt(m["severity"], field + ".severity", 0, 100, &impact.severity));
      affects.push_back(std::move(impact));
    }
    out->affects = std::move(affects);
  }
  return Status::Ok();
}

Status ParseIncidentUpdate(std::string_view body, UpdateInput* out) {
  Json j;
  CSOC_RETURN_IF_ERROR(ParseObject(body, {"displayName", "description", "createdAt"}, {"order", "id"}, &j));
  CSOC_RETURN_IF_ERROR(GetString(j, "displayName", &out->display_name));
  CSOC_RETURN_IF_ERROR(GetString(j, "description", &out->description));
  if (auto it = j.find("createdAt"); it != j.end() && !it->is_null()) {
    TimePoint t;
    CSOC_RETURN_IF_ERROR(GetTime(*it, "createdAt", &t));
    out->created_at = t;
  }
  return Status::Ok();
}

Json ImpactTypeJson(const ImpactType& t) {
  return Json{{"id", t.id}, {"displayName", t.display_name}, {"description", t.description}};
}

Json SeverityJson(const Severity& s) { return Json{{"displayName", s.display_name}, {"value", s.value}}; }

Json PhaseListJson(const PhaseGeneration& g) { return Json{{"generation", g.generation}, {"phases", g.phases}}; }

Json ComponentJson(const Component& c, const std::vector<ActiveImpact>& active) {
  Json labels = Json::object();
  for (const auto& [k, v] : c.labels) labels[k] = v;
  Json impacts = Json::array();
  for (const auto& a : active) {
    impacts.push_back(Json{{"reference", a.incident->id}, {"type", a.type_id}, {"severity", a.severity}});
  }
  return Json{{"id", c.id}, {"displayName", c.display_name}, {"labels", labels}, {"activelyAffectedBy", impacts}};
}

Json IncidentJson(const Incident& i) {
  Json affects = Json::array();
  for (const auto& m : i.affects) {
    affects.push_back(Json{{"reference", m.component_id}, {"type", m.type_id}, {"severity", m.severity}});
  }
  Json updates = Json::array();
  for (const auto& u : i.updates) updates.push_back(u.order);
  Json j{{"id", i.id},
         {"displayName", i.display_name},
         {"description", i.description},
         {"updates", updates},
         {"affects", affects},
         {"beganAt", OptionalTimeJson(i.began_at)},
         {"endedAt", OptionalTimeJson(i.ended_at)}};
  if (i.phase) j["phase"] = Json{{"generation", i.phase->generation}, {"order", i.phase->order}};
  return j;
}

Json IncidentUpdateJson(const IncidentUpdate& u) {
  return Json{{"order", u.order},
              {"displayName", u.display_name},
              {"description", u.description},
              {"createdAt", FormatIso8601(u.created_at)}};
}

}  // namespace csoc::statuspage::scs

#include "alert/notification_json.h"

#include <fmt/format.h>

namespace csoc::alert {
namespace {

using nlohmann::json;

json LabelsToJson(const LabelSet& labels) {
  json out = json::object();
  for (const auto& [name, value] : labels) out[name] = value;
  return out;
}

// The readers below check every type themselves rather than relying on json::get throwing, so a
// malformed document is an InvalidArgument naming the field, never an exception.
Status LabelsFromJson(const json& j, std::string_view field, LabelSet* out) {
  out->clear();
  auto it = j.find(field);
  if (it == j.end() || !it->is_object()) return Status::InvalidArgument(fmt::format("{}: not an object", field));
  for (const auto& [name, value] : it->items()) {
    if (!value.is_string()) return Status::InvalidArgument(fmt::format("{}.{}: not a string", field, name));
    (*out)[name] = value.get_ref<const std::string&>();
  }
  return Status::Ok();
}

Status StringField(const json& j, std::string_view field, std::string* out) {
  auto it = j.find(field);
  if (it == j.end() || !it->is_string()) return Status::InvalidArgument(fmt::format("{}: not a string", field));
  *out = it->get_ref<const std::string&>();
  return Status::Ok();
}

Status BoolField(const json& j, std::string_view field, bool* out) {
  auto it = j.find(field);
  if (it == j.end() || !it->is_boolean()) return Status::InvalidArgument(fmt::format("{}: not a boolean", field));
  *out = it->get<bool>();
  return Status::Ok();
}

Status TimeField(const json& j, std::string_view field, TimePoint* out) {
  auto it = j.find(field);
  if (it == j.end() || !it->is_number_integer()) {
    return Status::InvalidArgument(fmt::format("{}: not an integer (Unix milliseconds)", field));
  }
  *out = FromUnixMillis(it->get<int64_t>());
  return Status::Ok();
}

Status SourceFromName(std::string_view name, AlertSource* out) {
  for (AlertSource s : {AlertSource::kRule, AlertSource::kPrometheus, AlertSource::kAlertmanagerWebhook}) {
    if (AlertSourceName(s) == name) {
      *out = s;
      return Status::Ok();
    }
  }
  return Status::InvalidArgument(fmt::format("source: unknown source \"{}\"", name));
}

Status AlertsFromJson(const json& j, std::string_view field, std::vector<Alert>* out) {
  out->clear();
  auto it = j.find(field);
  if (it == j.end() || !it->is_array()) return Status::InvalidArgument(fmt::format("{}: not an array", field));
  for (size_t i = 0; i < it->size(); ++i) {
    Alert a;
    Status s = AlertFromJson((*it)[i], &a);
    if (!s.ok()) return Status::InvalidArgument(fmt::format("{}[{}].{}", field, i, s.message()));
    out->push_back(std::move(a));
  }
  return Status::Ok();
}

}  // namespace

json AlertToJson(const Alert& a) {
  return json{{"labels", LabelsToJson(a.labels)},
              {"annotations", LabelsToJson(a.annotations)},
              {"starts_at_ms", ToUnixMillis(a.starts_at)},
              {"ends_at_ms", ToUnixMillis(a.ends_at)},
              {"generator_url", a.generator_url},
              {"source", AlertSourceName(a.source)},
              {"fingerprint", FingerprintHex(Fingerprint(a.labels))}};
}

Status AlertFromJson(const json& j, Alert* out) {
  if (!j.is_object()) return Status::InvalidArgument("alert: not an object");
  Alert a;
  CSOC_RETURN_IF_ERROR(LabelsFromJson(j, "labels", &a.labels));
  CSOC_RETURN_IF_ERROR(LabelsFromJson(j, "annotations", &a.annotations));
  CSOC_RETURN_IF_ERROR(TimeField(j, "starts_at_ms", &a.starts_at));
  CSOC_RETURN_IF_ERROR(TimeField(j, "ends_at_ms", &a.ends_at));
  CSOC_RETURN_IF_ERROR(StringField(j, "generator_url", &a.generator_url));
  std::string source;
  CSOC_RETURN_IF_ERROR(StringField(j, "source", &source));
  CSOC_RETURN_IF_ERROR(SourceFromName(source, &a.source));
  *out = std::move(a);
  return Status::Ok();
}

json NotificationToJson(const Notification& n) {
  json alerts = json::array();
  for (const Alert& a : n.alerts) alerts.push_back(AlertToJson(a));
  json inhibited = json::array();
  for (const Alert& a : n.inhibited) inhibited.push_back(AlertToJson(a));
  return json{{"id", n.id},
              {"receiver", n.receiver},
              {"group_key", n.group_key},
              {"group_labels", LabelsToJson(n.group_labels)},
              {"common_labels", LabelsToJson(n.common_labels)},
              {"common_annotations", LabelsToJson(n.common_annotations)},
              {"status", n.firing ? "firing" : "resolved"},
              {"alerts", std::move(alerts)},
              {"inhibited", std::move(inhibited)},
              {"external_url", n.external_url},
              {"created_ms", ToUnixMillis(n.created)},
              {"test", n.test}};
}

Status NotificationFromJson(const json& j, Notification* out) {
  if (!j.is_object()) return Status::InvalidArgument("notification: not an object");
  Notification n;
  CSOC_RETURN_IF_ERROR(StringField(j, "id", &n.id));
  CSOC_RETURN_IF_ERROR(StringField(j, "receiver", &n.receiver));
  CSOC_RETURN_IF_ERROR(StringField(j, "group_key", &n.group_key));
  CSOC_RETURN_IF_ERROR(LabelsFromJson(j, "group_labels", &n.group_labels));
  CSOC_RETURN_IF_ERROR(LabelsFromJson(j, "common_labels", &n.common_labels));
  CSOC_RETURN_IF_ERROR(LabelsFromJson(j, "common_annotations", &n.common_annotations));
  std::string status;
  CSOC_RETURN_IF_ERROR(StringField(j, "status", &status));
  if (status != "firing" && status != "resolved") {
    return Status::InvalidArgument(fmt::format("status: \"{}\" is neither \"firing\" nor \"resolved\"", status));
  }
  n.firing = status == "firing";
  CSOC_RETURN_IF_ERROR(AlertsFromJson(j, "alerts", &n.alerts));
  CSOC_RETURN_IF_ERROR(AlertsFromJson(j, "inhibited", &n.inhibited));
  CSOC_RETURN_IF_ERROR(StringField(j, "external_url", &n.external_url));
  CSOC_RETURN_IF_ERROR(TimeField(j, "created_ms", &n.created));
  CSOC_RETURN_IF_ERROR(BoolField(j, "test", &n.test));
  *out = std::move(n);
  return Status::Ok();
}

std::string NotificationToText(const Notification& notification) {
  return NotificationToJson(notification).dump(-1, ' ', false, json::error_handler_t::replace);
}

Status NotificationFromText(std::string_view text, Notification* out) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Status::InvalidArgument("notification: not valid JSON");
  return NotificationFromJson(j, out);
}

}  // namespace csoc::alert

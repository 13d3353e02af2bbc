#include "alert/received_alerts.h"

#include <fmt/format.h>

namespace csoc::alert {
namespace {

bool ValidLabelName(std::string_view name) {
  if (name.empty()) return false;
  auto start = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; };
  if (!start(name[0])) return false;
  for (char c : name) {
    if (!start(c) && !(c >= '0' && c <= '9')) return false;
  }
  return true;
}

}  // namespace

Status ValidateReceivedAlert(const Alert& a) {
  if (a.labels.empty()) return Status::InvalidArgument("labels: at least one label is required");
  for (const auto& [name, value] : a.labels) {
    if (!ValidLabelName(name)) {
      return Status::InvalidArgument(
          fmt::format("labels: '{}' is not a valid label name ([a-zA-Z_][a-zA-Z0-9_]*)", name));
    }
  }
  auto it = a.labels.find("alertname");
  if (it == a.labels.end() || it->second.empty()) {
    return Status::InvalidArgument("labels: the label 'alertname' is required");
  }
  if (a.ends_at != TimePoint{} && a.starts_at != TimePoint{} && a.ends_at < a.starts_at) {
    return Status::InvalidArgument(fmt::format("endsAt: the end ({}) is before the start ({})",
                                               FormatIso8601(a.ends_at), FormatIso8601(a.starts_at)));
  }
  return Status::Ok();
}

ReceivedAlerts::ReceivedAlerts(Options options, const Silences* silences) : options_(options), silences_(silences) {}

Status ReceivedAlerts::Receive(std::vector<Alert> alerts, TimePoint now) {
  for (size_t i = 0; i < alerts.size(); ++i) {
    Status s = ValidateReceivedAlert(alerts[i]);
    if (!s.ok()) return Status::InvalidArgument(fmt::format("alert {}: {}", i, s.message()));
  }
  std::lock_guard lock(mu_);
  std::erase_if(alerts_, [&](const auto& kv) { return !Listed(kv.second, now); });
  for (Alert& a : alerts) {
    if (a.starts_at == TimePoint{}) a.starts_at = a.ends_at != TimePoint{} ? a.ends_at : now;
    if (a.ends_at == TimePoint{}) a.ends_at = now + options_.resolve_timeout;
    const uint64_t fp = Fingerprint(a.labels);
    auto it = alerts_.find(fp);
    // The same alert still firing, or sent again for a span that overlaps the known one: one
    // alert, not two.
    if (it != alerts_.end() && it->second.alert.ends_at >= a.starts_at) {
      a.starts_at = std::min(a.starts_at, it->second.alert.starts_at);
    }
    alerts_[fp] = Entry{std::move(a), now};
  }
  return Status::Ok();
}

std::vector<AlertStatus> ReceivedAlerts::Alerts(TimePoint now) const {
  std::vector<AlertStatus> out;
  std::lock_guard lock(mu_);
  for (const auto& [fp, e] : alerts_) {
    if (!Listed(e, now)) continue;
    AlertStatus st;
    st.alert = e.alert;
    st.fingerprint = fp;
    st.updated_at = e.updated_at;
    if (silences_ != nullptr && e.alert.FiringAt(now)) st.silenced_by = silences_->MutedBy(e.alert.labels, now);
    st.state = st.silenced_by.empty() ? "active" : "suppressed";
    out.push_back(std::move(st));
  }
  return out;
}

}  // namespace csoc::alert

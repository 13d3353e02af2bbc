#include "alert/receivers/text.h"

#include <ctime>

#include "alert/receivers/options.h"

namespace csoc::alert::receivers {

namespace {

std::string Join(const std::vector<std::string>& parts, std::string_view sep) {
  std::string out;
  for (const std::string& p : parts) {
    if (!out.empty()) out += sep;
    out += p;
  }
  return out;
}

std::string Value(const LabelSet& set, const std::string& key) {
  auto it = set.find(key);
  return it == set.end() ? std::string() : it->second;
}

// The subject of GroupTitle, without its parenthesised scope.
std::string Subject(const Notification& n) {
  std::vector<std::string> parts;
  std::string alertname = Value(n.common_labels, "alertname");
  if (!alertname.empty() && n.group_labels.count("alertname") == 0) parts.push_back(alertname);
  for (const auto& [name, value] : n.group_labels) parts.push_back(value);
  if (parts.empty()) return std::to_string(n.alerts.size()) + " alerts";
  return Join(parts, " ");
}

void AddLink(std::vector<std::pair<std::string, std::string>>* links, std::string label, const std::string& url) {
  if (!url.empty() && ParseHttpUrl(url)) links->emplace_back(std::move(label), url);
}

std::string More(size_t n) { return "and " + std::to_string(n) + " more"; }

}  // namespace

std::string_view StateEmoji(bool firing) { return firing ? "\U0001F525" : "\u2705"; }

std::string GroupTitle(const Notification& n) {
  std::string title = n.test ? "[TEST] " : "";
  title += n.firing ? "[FIRING:" + std::to_string(n.FiringCount()) + "] " : "[RESOLVED] ";
  title += Subject(n);
  std::vector<std::string> scope;
  for (const char* key : {"environment", "cluster", "service"}) {
    std::string v = Value(n.common_labels, key);
    if (!v.empty() && n.group_labels.count(key) == 0) scope.push_back(v);
  }
  if (!scope.empty()) title += " (" + Join(scope, " ") + ")";
  return title;
}

std::string AlertTitle(const Alert& a) {
  std::string title = Value(a.labels, "alertname");
  std::vector<std::string> scope;
  for (const char* key : {"environment", "cluster", "service"}) {
    std::string v = Value(a.labels, key);
    if (!v.empty()) scope.push_back(v);
  }
  if (!scope.empty()) title += " (" + Join(scope, "/") + ")";
  return title;
}

AlertView ViewOf(const Alert& a, TimePoint now) {
  AlertView v;
  v.firing = a.FiringAt(now);
  v.title = AlertTitle(a);
  v.summary = TruncateUtf8(Value(a.annotations, "summary"), kMaxSummary);
  v.evidence = TruncateUtf8(Value(a.annotations, "description"), kMaxEvidence);
  for (auto [key, label] : {std::pair{"environment", "Environment"}, {"cluster", "Cluster"}, {"service", "Service"}}) {
    std::string value = Value(a.labels, key);
    if (!value.empty()) v.scope.emplace_back(label, value);
  }
  v.starts = FormatDisplayTime(a.starts_at);
  if (a.ends_at != TimePoint{} && !v.firing) v.ends = FormatDisplayTime(a.ends_at);
  AddLink(&v.links, "Dashboard", Value(a.annotations, "dashboard_url"));
  AddLink(&v.links, "Runbook", Value(a.annotations, "runbook_url"));
  AddLink(&v.links, "Source", a.generator_url);
  return v;
}

std::string ParentName(const Notification& n) {
  for (const char* key : {"cluster", "environment"}) {
    std::string v = Value(n.common_labels, key);
    if (!v.empty()) return v;
  }
  return Subject(n);
}

std::string HeldBackIntro(const Notification& n) { return "Held back while " + ParentName(n) + " is down"; }

std::string FormatDisplayTime(TimePoint t) {
  std::time_t secs = std::chrono::system_clock::to_time_t(std::chrono::floor<std::chrono::seconds>(t));
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &tm);
  return buf;
}

std::string RenderPlainText(const Notification& n, size_t max_alerts) {
  std::string out = std::string(StateEmoji(n.firing)) + " " + GroupTitle(n) + "\n";
  size_t shown = 0;
  for (const Alert& a : n.alerts) {
    if (shown == max_alerts) break;
    ++shown;
    AlertView v = ViewOf(a, n.created);
    out += "\n" + std::string(StateEmoji(v.firing)) + " " + v.title;
    if (!v.summary.empty()) out += " — " + v.summary;
    out += "\n";
    if (!v.scope.empty()) {
      std::vector<std::string> parts;
      for (const auto& [label, value] : v.scope) parts.push_back(label + ": " + value);
      out += "  " + Join(parts, " · ") + "\n";
    }
    if (!v.evidence.empty()) out += "  Evidence: " + v.evidence + "\n";
    out += "  Started: " + v.starts;
    if (!v.ends.empty()) out += " · Ended: " + v.ends;
    out += "\n";
    if (!v.links.empty()) {
      std::vector<std::string> parts;
      for (const auto& [label, url] : v.links) parts.push_back(label + ": " + url);
      out += "  " + Join(parts, " · ") + "\n";
    }
  }
  if (shown < n.alerts.size()) out += "\n" + More(n.alerts.size() - shown) + "\n";
  if (!n.inhibited.empty()) {
    out += "\n" + HeldBackIntro(n) + ":\n";
    for (const Alert& a : n.inhibited) out += "  - " + AlertTitle(a) + "\n";
  }
  return out;
}

std::string RenderHtml(const Notification& n, size_t max_alerts) {
  std::string out = "<h3>" + std::string(StateEmoji(n.firing)) + " " + HtmlEscape(GroupTitle(n)) + "</h3>\n<ul>\n";
  size_t shown = 0;
  for (const Alert& a : n.alerts) {
    if (shown == max_alerts) break;
    ++shown;
    AlertView v = ViewOf(a, n.created);
    out += "<li>" + std::string(StateEmoji(v.firing)) + " <strong>" + HtmlEscape(v.title) + "</strong>";
    if (!v.summary.empty()) out += " — " + HtmlEscape(v.summary);
    if (!v.scope.empty()) {
      std::vector<std::string> parts;
      for (const auto& [label, value] : v.scope) parts.push_back(label + ": " + HtmlEscape(value));
      out += "<br>" + Join(parts, " · ");
    }
    if (!v.evidence.empty()) out += "<br>Evidence: " + HtmlEscape(v.evidence);
    out += "<br>Started: " + v.starts;
    if (!v.ends.empty()) out += " · Ended: " + v.ends;
    if (!v.links.empty()) {
      std::vector<std::string> parts;
      for (const auto& [label, url] : v.links) parts.push_back("<a href=\"" + HtmlEscape(url) + "\">" + label + "</a>");
      out += "<br>" + Join(parts, " · ");
    }
    out += "</li>\n";
  }
  out += "</ul>\n";
  if (shown < n.alerts.size()) out += "<p>" + More(n.alerts.size() - shown) + "</p>\n";
  if (!n.inhibited.empty()) {
    out += "<p><em>" + HtmlEscape(HeldBackIntro(n)) + ":</em></p>\n<ul>\n";
    for (const Alert& a : n.inhibited) out += "<li>" + HtmlEscape(AlertTitle(a)) + "</li>\n";
    out += "</ul>\n";
  }
  return out;
}

std::string HtmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string TruncateUtf8(std::string_view text, size_t max_chars) {
  if (max_chars == 0) return "";
  // Byte offsets of the first max_chars code points (a code point starts at every byte that is
  // not a continuation byte 10xxxxxx).
  size_t chars = 0;
  size_t cut = std::string_view::npos;  // where code point number max_chars - 1 starts
  for (size_t i = 0; i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) == 0x80) continue;
    if (chars + 1 == max_chars) cut = i;
    if (++chars > max_chars) return std::string(text.substr(0, cut)) + "\u2026";
  }
  return std::string(text);
}

}  // namespace csoc::alert::receivers

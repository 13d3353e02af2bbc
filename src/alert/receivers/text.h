// What the human-readable receivers (Slack, Teams, Matrix, e-mail) say about a notification, in
// one place so every channel titles, orders and links alerts the same way: the group's one-line
// title ("[FIRING:2] HostDown (prod)"), an alert's view (title, summary, scope, evidence, times,
// links), the line about inhibited alerts, a plain-text and an HTML rendering (Matrix and
// e-mail), and the escaping and UTF-8-aware truncation the channels' limits need.
//
// Links come only from http(s) URLs: an annotation such as "javascript:..." is dropped rather
// than turned into something clickable.
//
// Threading: pure functions.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "alert/alert.h"

namespace csoc::alert::receivers {

// "🔥" while firing, "✅" once resolved.
std::string_view StateEmoji(bool firing);

// "[FIRING:<firing count>] <subject>" or "[RESOLVED] <subject>". The subject is the common
// alertname (when not a group label), then the group labels' values in name order, then, in
// parentheses, the common environment, cluster and service not already named; "<n> alerts" when
// nothing is common. A test-send (Notification::test) starts with "[TEST] ".
std::string GroupTitle(const Notification& n);

// An alert's one-line title: "<alertname> (<environment>/<cluster>/<service>)", naming the parts
// it has.
std::string AlertTitle(const Alert& a);

// Where an alert's summary and evidence are cut, in every channel: one long description must not
// push the links out of a Slack section (3000 characters) or a Matrix event over its 64 KiB.
inline constexpr size_t kMaxSummary = 300;
inline constexpr size_t kMaxEvidence = 1500;

struct AlertView {
  bool firing = true;
  std::string title;     // AlertTitle
  std::string summary;   // the `summary` annotation, at most kMaxSummary characters; may be empty
  std::string evidence;  // the `description` annotation, at most kMaxEvidence characters
  std::vector<std::pair<std::string, std::string>> scope;  // ("Environment", "prod"), Cluster, Service
  std::string starts;                                      // FormatDisplayTime
  std::string ends;                                        // empty while no end is known
  std::vector<std::pair<std::string, std::string>> links;  // ("Dashboard", url), Runbook, Source
};
AlertView ViewOf(const Alert& a, TimePoint now);

// What inhibited alerts are held back for: the common cluster, else the common environment, else
// the group's subject.
std::string ParentName(const Notification& n);
// "Held back while <parent> is down" (no list; each channel formats the titles its own way).
std::string HeldBackIntro(const Notification& n);

// "2026-11-22 10:04:05 UTC".
std::string FormatDisplayTime(TimePoint t);

// Plain text and HTML renderings of the whole notification, listing at most `max_alerts` alerts
// (then "and N more") and every inhibited alert's title. The HTML escapes all alert text.
std::string RenderPlainText(const Notification& n, size_t max_alerts);
std::string RenderHtml(const Notification& n, size_t max_alerts);

// Escapes & < > " ' for HTML text and attribute values.
std::string HtmlEscape(std::string_view text);

// `text` cut to at most `max_chars` Unicode code points, ending in "…" when cut, never inside a
// UTF-8 sequence.
std::string TruncateUtf8(std::string_view text, size_t max_chars);

}  // namespace csoc::alert::receivers

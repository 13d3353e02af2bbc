// Text helpers for the web layer: HTML escaping, URL encoding and decoding, and the human forms of
// times, durations, latencies and percentages used by the dashboard. Pure functions; thread-safe.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "core/time.h"

namespace csoc::web {

// Escapes text for an HTML text node or a double- or single-quoted attribute value: & < > " ' are
// replaced by entities, bytes that are not valid UTF-8 and control characters other than tab,
// newline and carriage return become U+FFFD, so hostile or binary input cannot break the markup.
std::string HtmlEscape(std::string_view text);
// Appends HtmlEscape(text) to `out`.
void AppendEscaped(std::string& out, std::string_view text);

// Replaces bytes that are not valid UTF-8 by U+FFFD (for JSON answers, which must be UTF-8).
std::string ValidUtf8(std::string_view text);

// Percent-encodes everything except unreserved characters (A-Z a-z 0-9 - . _ ~), for one path
// segment or one query value.
std::string UrlEncodeComponent(std::string_view text);
// Decodes %XX sequences ("+" stays "+": paths, not forms). Nullopt for a malformed sequence or a
// decoded NUL byte.
std::optional<std::string> PercentDecode(std::string_view text);

// The URL when its scheme is http or https (case-insensitive), else nullopt: links from the
// configuration are rendered as links only when following them cannot run script.
std::optional<std::string> SafeHttpUrl(std::string_view url);

// "2026-11-22 10:04:05 UTC".
std::string FormatTimeUtc(TimePoint t);
// "just now", "42s ago", "5m ago", "3h 4m ago", "2d 5h ago"; "in 5m" for the future.
std::string FormatAgo(TimePoint t, TimePoint now);
// Compact duration: "45s", "5m", "3h 4m", "2d 5h".
std::string FormatSpan(std::chrono::milliseconds d);
// "0.8 ms", "42 ms", "1.25 s".
std::string FormatLatencyMs(double ms);
// Uptime ratio 0..1 as "99.95%", "100%", "87.3%": enough digits to tell 99.9 from 99.99.
std::string FormatPercent(double ratio);

}  // namespace csoc::web

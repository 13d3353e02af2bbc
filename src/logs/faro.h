// Grafana Faro web SDK payloads, as the SDK posts them to a collector URL (and Grafana Alloy's
// faro.receiver reads them): what a portal page reports about page views, events and searches.
// Pure functions: no I/O, no threads; thread-safe.
//
// The shape, from @grafana/faro-core's getTransportBody (packages/core/src/transports/utils.ts) and
// Alloy's internal/component/faro/receiver/internal/payload/payload.go:
//   {"meta": {"sdk": {...}, "app": {"name": "gen3-portal", ...}, "session": {"id": "..."},
//             "user": {"id": "...", ...}, "page": {"url": "https://host/explorer?search=x"}, ...},
//    "events": [{"name": "...", "domain": "...", "attributes": {"k": "v"},
//                "timestamp": "2026-12-02T15:31:59.008Z", "trace": {...}}],
//    "logs": [...], "measurements": [...], "exceptions": [...], "traces": {OTLP JSON}}
// Every key but meta is left out when empty. Timestamps are JavaScript's Date.toISOString()
// (RFC 3339, UTC, milliseconds); the SDK turns every event attribute into a string.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace csoc::logs {

inline constexpr size_t kMaxFaroPayloadBytes = 1024 * 1024;
inline constexpr size_t kMaxFaroEvents = 1000;

struct FaroEvent {
  std::string name, domain;
  int64_t unix_ms = 0;
  std::map<std::string, std::string> attributes;
};

struct FaroPayload {
  std::string app_name, page_url, session_id, user_id;  // empty when the payload has none
  std::vector<FaroEvent> events;
  // Only counted: their content is not read.
  size_t logs = 0, measurements = 0, exceptions = 0;
};

// Parses a payload. Strict on what it reads (the fields above: meta.app.name, meta.page.url,
// meta.session.id, meta.user.id, events[].name/domain/attributes/timestamp, and that logs,
// measurements and exceptions are arrays and traces an object), where a wrong type is an error that
// names the field ("events[3].attributes.q: expected a string, got a number") and null counts as
// absent; tolerant of every other field. An event needs a name and a timestamp. A body over
// kMaxFaroPayloadBytes or with more than kMaxFaroEvents events is refused. On error *out is empty.
Status ParseFaroPayload(std::string_view body, FaroPayload* out);

// The terms a user searched or filtered for, in the order found, each once, as the user typed them
// (the caller normalises case and spacing):
//   - from each event, the attributes whose key names a search term: q, query, term, terms, search,
//     filter, filters, keyword, keywords, searchTerm, searchQuery, searchText, searchString,
//     queryText, filterValue (compared without case, '_' or '-': search_term counts); and in an
//     event whose name contains "search" or "filter" (without case), also the attribute "value";
//   - from the page URL, the query parameters q, query, search, term and filter (without case),
//     percent-decoded ('+' read as a space). A query after '#' counts too, for single-page apps
//     that route in the fragment (https://host/#/explorer?q=x).
// Empty values are skipped.
std::vector<std::string> FaroSearchTerms(const FaroPayload& payload);

}  // namespace csoc::logs

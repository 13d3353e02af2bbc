// The JSON shapes of log analytics, shared by the API and `csoc logs report --json`
// (docs/api.md documents them).
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>

#include "logs/aggregate.h"
#include "logs/analyzer.h"

namespace csoc::logs {

// Totals, status codes and classes, verbs, services with error rate and latency, unique users
// and addresses, top-N tables, logins by identity provider, downloads and search terms.
nlohmann::json AggregateJson(const Aggregate& a, size_t top_n);
// {"total": n, "by_kind": {"truncated": n, ...}, "samples": [{"kind", "source", "line", "text"}]}
nlohmann::json ErrorLogJson(const ErrorLog& errors);

}  // namespace csoc::logs

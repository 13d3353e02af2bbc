// Access-log analytics on the web: the JSON API under /api/v1/logs (docs/api.md) and the
// dashboard's /logs page, per environment or fleet-wide over a chosen range; and the ingestion
// endpoints (docs/logs.md): HTTP push of lines, the Loki push API and the Grafana Faro collector,
// which hand their batches to the Ingester and answer after the commit that stores them.
//
// Threading: the routes run on the server's io thread, which owns `store` and `tokens` (its own
// connections). Pushed batches are counted on the ingester's thread; the web thread never waits
// for SQLite writes.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "auth/tokens.h"
#include "core/metrics.h"
#include "logs/ingest.h"
#include "logs/report.h"
#include "logs/store.h"
#include "web/pages.h"
#include "web/router.h"

namespace csoc::web {

struct LogsRouteDeps {
  logs::LogStore* store = nullptr;  // required
  // The configured sources and how their ingestion goes (may be empty).
  std::function<std::vector<logs::SourceStatus>()> sources;
  // The fleet's environment names, for the page's environment switcher.
  std::function<std::vector<std::string>()> environments;
  PageContext page;  // title and asset URLs; `now` is set per request
  // Ingestion (all optional): without an ingester there are no ingestion routes.
  logs::Ingester* ingester = nullptr;
  auth::TokenStore* tokens = nullptr;  // null: every push is refused (503)
  MetricsRegistry* metrics = nullptr;
  size_t ingest_body_limit = 16 * 1024 * 1024;  // POST /api/v1/logs/push/{source}, /loki/api/v1/push
};

// GET /api/v1/logs/summary, GET /api/v1/logs/sources, GET /logs; with an ingester also
// POST /api/v1/logs/push/{source}, POST /loki/api/v1/push and POST /collect (Faro).
void AddLogsRoutes(Router& router, const LogsRouteDeps& deps);

// The ingestion routes alone (logs_ingest_routes.cpp); AddLogsRoutes calls it.
void AddLogIngestRoutes(Router& router, const LogsRouteDeps& deps);

// `csoc logs report --html`: the same page for a one-shot report, as one self-contained file (its
// stylesheet inline, no script, no links to a server).
std::string RenderLogReportHtml(const logs::Report& report, const std::vector<std::string>& inputs);

}  // namespace csoc::web

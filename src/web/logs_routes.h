// Access-log analytics on the web: the JSON API under /api/v1/logs (docs/api.md) and the
// dashboard's /logs page, per environment or fleet-wide over a chosen range.
//
// Threading: the routes run on the server's io thread, which owns `store` (its own connection).
#pragma once

#include <functional>
#include <string>
#include <vector>

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
};

// GET /api/v1/logs/summary, GET /api/v1/logs/sources, GET /logs.
void AddLogsRoutes(Router& router, const LogsRouteDeps& deps);

// `csoc logs report --html`: the same page for a one-shot report, as one self-contained file (its
// stylesheet inline, no script, no links to a server).
std::string RenderLogReportHtml(const logs::Report& report, const std::vector<std::string>& inputs);

}  // namespace csoc::web

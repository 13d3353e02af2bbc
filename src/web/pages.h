// The server-rendered dashboard: whole HTML documents built from a snapshot (and history read by
// the caller), readable without JavaScript. Every dynamic string goes through HtmlEscape; no
// inline script or style, so the pages work under the strict Content-Security-Policy.
// Pure functions; thread-safe.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "monitor/monitor.h"
#include "store/store.h"

namespace csoc::web {

struct PageContext {
  std::string title = "csoc";  // the site title (ServerOptions::title)
  TimePoint now;
  // Versioned URLs of the static assets (cache busting).
  std::string css_url = "/static/app.css";
  std::string js_url = "/static/app.js";
  std::string icon_url = "/static/favicon.svg";
  // A page saved as a file (a report) carries its stylesheet and no script.
  std::string inline_css;
};

// History shown on a page; read from the store by the caller.
struct PageHistory {
  bool available = false;  // a store is configured
  std::string error;       // non-empty when a query failed; shown instead of the data
  // Latency chart.
  std::vector<store::SeriesPoint> latency;
  TimePoint latency_from, latency_to;
  std::chrono::milliseconds latency_bucket{60'000};
  // Daily uptime bars (environment page).
  std::vector<store::SeriesPoint> daily;
  TimePoint first_day;
  int days = 90;
  // Recent state changes, newest first.
  std::vector<store::EventRecord> events;
  // Recent results, newest first (check page).
  std::vector<store::ResultRecord> results;
};

// A whole dashboard document around `main` (the page's content): head, top bar with the main
// navigation, footer. `page_class` goes on <body>.
std::string Layout(const PageContext& ctx, std::string_view page_title, std::string_view page_class,
                   const std::string& main);

std::string RenderFleetPage(const PageContext& ctx, const monitor::FleetSnapshot& snap);

std::string RenderEnvironmentPage(const PageContext& ctx, const monitor::FleetSnapshot& snap,
                                  const monitor::EnvironmentView& env, const PageHistory& history);

// `range` is the selected chart range, one of CheckPageRanges().
std::string RenderCheckPage(const PageContext& ctx, const monitor::FleetSnapshot& snap, const monitor::CheckView& check,
                            std::string_view range, const PageHistory& history);
// The ranges offered by the check page's switcher and their lengths.
const std::vector<std::pair<std::string, std::chrono::milliseconds>>& CheckPageRanges();

// A page for 4xx/5xx answers: the status, a heading and the message, with a way back.
std::string RenderErrorPage(const PageContext& ctx, int status, std::string_view heading, std::string_view message);

}  // namespace csoc::web

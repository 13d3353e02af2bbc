// Fills a csoc history database with DAYS days of results for the given checks, ending now, through
// the store interface and compacting day by day as the writer would (so the database holds what a
// csoc that ran that long holds: raw results for the last 7 days, minute rollups for 30, hour and
// day rollups for all of it). Results are shaped like a real fleet: ~80 ms median latency, 2%
// degraded, 1% down with a reason. With --openmetrics it also writes the same samples as
// probe_success and probe_duration_seconds in OpenMetrics text, for `promtool tsdb
// create-blocks-from openmetrics`, so that Prometheus can be asked the same question.
//
//   history_fill --db data/csoc.db --checks env/a/http,env/b/http --days 90 --interval 60s
#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "load_common.h"
#include "store/store.h"
#include "synthetic_results.h"

namespace {

using csoc::Health;
using csoc::store::ResultRecord;

std::vector<std::string> SplitComma(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string::npos) comma = text.size();
    if (comma > start) out.push_back(text.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

// OpenMetrics label value for a check id: the ids written by history_api.sh need no escaping.
void WriteOpenMetrics(std::ofstream& out, const std::vector<ResultRecord>& results) {
  for (const ResultRecord& r : results) {
    double seconds = std::chrono::duration<double>(r.at.time_since_epoch()).count();
    out << "probe_success{check=\"" << r.check_id << "\"} " << (r.verdict == Health::kDown ? 0 : 1) << ' ' << std::fixed
        << seconds << '\n';
    out << "probe_duration_seconds{check=\"" << r.check_id << "\"} " << static_cast<double>(r.latency_us) / 1e6 << ' '
        << seconds << '\n';
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Writes DAYS days of synthetic probe history for some checks into a csoc database"};
  std::string db, checks_text, interval_text = "60s", openmetrics;
  int days = 90;
  app.add_option("--db", db, "the csoc database (data_dir/csoc.db)")->required();
  app.add_option("--checks", checks_text, "comma-separated check ids (environment/service/check)")->required();
  app.add_option("--days", days, "days of history, ending now")->check(CLI::Range(1, 400));
  app.add_option("--interval", interval_text, "interval between results of one check");
  app.add_option("--openmetrics", openmetrics, "also write the samples here, in OpenMetrics text");
  CLI11_PARSE(app, argc, argv);
  const auto interval = csoc::bench::DurationFlag("interval", interval_text);
  const std::vector<std::string> checks = SplitComma(checks_text);

  std::unique_ptr<csoc::store::Store> store;
  csoc::Status s = csoc::store::OpenSqliteStore(db, &store);
  if (!s.ok()) {
    std::fprintf(stderr, "history_fill: %s\n", s.ToString().c_str());
    return 1;
  }
  std::ofstream om;
  if (!openmetrics.empty()) {
    om.open(openmetrics, std::ios::trunc);
    if (!om) {
      std::fprintf(stderr, "history_fill: cannot write %s\n", openmetrics.c_str());
      return 1;
    }
    om << "# TYPE probe_success gauge\n# TYPE probe_duration_seconds gauge\n";
  }

  using namespace std::chrono;
  const auto now = time_point_cast<milliseconds>(csoc::Clock::now());
  const auto start = now - days * 24h;
  const csoc::fleet::Retention retention;
  csoc::bench::SyntheticResults maker;
  csoc::store::WriteBatch batch;
  uint64_t written = 0;
  auto flush = [&]() -> bool {
    if (batch.results.empty()) return true;
    if (om.is_open()) WriteOpenMetrics(om, batch.results);
    csoc::Status w = store->Write(batch);
    if (!w.ok()) {
      std::fprintf(stderr, "history_fill: %s\n", w.ToString().c_str());
      return false;
    }
    written += batch.results.size();
    batch.results.clear();
    return true;
  };
  auto next_compact = start + 24h;
  for (auto at = start; at < now; at += interval) {
    for (const std::string& c : checks) batch.results.push_back(maker.Make(c, at));
    if (batch.results.size() >= 2000 && !flush()) return 1;
    if (at >= next_compact) {
      if (!flush()) return 1;
      if (csoc::Status c = store->Compact(at, retention); !c.ok()) {
        std::fprintf(stderr, "history_fill: %s\n", c.ToString().c_str());
        return 1;
      }
      next_compact += 24h;
    }
  }
  if (!flush()) return 1;
  if (csoc::Status c = store->Compact(now, retention); !c.ok()) {
    std::fprintf(stderr, "history_fill: %s\n", c.ToString().c_str());
    return 1;
  }
  if (om.is_open()) om << "# EOF\n";
  std::printf("wrote %llu results for %zu checks over %d days; database %.1f MiB\n",
              static_cast<unsigned long long>(written), checks.size(), days,
              static_cast<double>(store->SizeBytes()) / (1024.0 * 1024.0));
  return 0;
}

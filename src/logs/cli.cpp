#include "logs/cli.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "core/time.h"
#include "logs/generator.h"

namespace csoc::logs {
namespace {

std::string Count(uint64_t n) {
  std::string digits = std::to_string(n), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return out;
}

std::string Bytes(double b) {
  static constexpr const char* kUnits[] = {"B", "kB", "MB", "GB", "TB"};
  size_t u = 0;
  while (b >= 1000 && u + 1 < std::size(kUnits)) {
    b /= 1000;
    ++u;
  }
  return u == 0 ? fmt::format("{:.0f} B", b) : fmt::format("{:.1f} {}", b, kUnits[u]);
}

std::string Rate(double per_second) {
  if (per_second >= 1e6) return fmt::format("{:.2f}M", per_second / 1e6);
  if (per_second >= 1e3) return fmt::format("{:.1f}k", per_second / 1e3);
  return fmt::format("{:.0f}", per_second);
}

std::string Percent(uint64_t part, uint64_t whole) {
  return whole == 0 ? "-" : fmt::format("{:.1f}%", 100.0 * static_cast<double>(part) / static_cast<double>(whole));
}

std::string Secs(double s) { return s < 1 ? fmt::format("{:.0f} ms", s * 1000) : fmt::format("{:.2f} s", s); }

void Table(std::ostream& out, const char* title, const TopK& top, size_t n) {
  const auto rows = top.Top(n);
  if (rows.empty()) return;
  out << "\n" << title << "\n";
  for (const TopK::Entry& e : rows) {
    out << fmt::format("  {:>12}  {}{}\n", Count(e.count), e.key.size() > 100 ? e.key.substr(0, 97) + "..." : e.key,
                       e.error > 0 ? fmt::format("  (±{})", Count(e.error)) : "");
  }
}

void PrintText(std::ostream& out, const Report& r, size_t top) {
  const Aggregate& a = r.total;
  out << fmt::format("csoc logs report: {} lines ({}) in {}: {} lines/s, {}/s\n", Count(r.lines), r.format,
                     Secs(r.seconds), Rate(static_cast<double>(r.lines) / std::max(r.seconds, 1e-9)),
                     Bytes(static_cast<double>(r.input_bytes) / std::max(r.seconds, 1e-9)));
  if (a.requests > 0) {
    out << fmt::format("Time range    {} .. {}\n", FormatIso8601(FromUnixMillis(r.first_ms)),
                       FormatIso8601(FromUnixMillis(r.last_ms)));
  }
  out << fmt::format("Requests      {}   {}   5xx {}   unique users {}   unique client IPs {}\n", Count(a.requests),
                     Bytes(static_cast<double>(a.bytes)), Percent(a.by_class[5], a.requests),
                     Count(a.users.Estimate()), Count(a.client_ips.Estimate()));
  if (r.errors.total() > 0) {
    std::string kinds;
    for (const ParseError k : kAllParseErrors) {
      if (r.errors.count(k) > 0) kinds += fmt::format("{}{} {}", kinds.empty() ? "" : ", ", ParseErrorName(k), Count(r.errors.count(k)));
    }
    out << fmt::format("Rejected      {} lines ({}): {}\n", Count(r.errors.total()), Percent(r.errors.total(), r.lines), kinds);
    size_t shown = 0;
    for (const ErrorSample& s : r.errors.samples()) {
      if (++shown > 6) {
        out << fmt::format("  ... (--json lists {} samples)\n", r.errors.samples().size());
        break;
      }
      out << fmt::format("  {}:{} {}: {}\n", s.source, s.line, ParseErrorName(s.kind),
                         s.text.size() > 120 ? s.text.substr(0, 117) + "..." : s.text);
    }
  }
  out << "\nStatus        ";
  for (size_t c = 1; c <= 5; ++c) out << fmt::format("{}xx {} ({})   ", c, Count(a.by_class[c]), Percent(a.by_class[c], a.requests));
  out << "\n";
  std::vector<std::pair<uint64_t, int>> codes;
  for (size_t i = 0; i < a.by_status.size(); ++i) {
    if (a.by_status[i] > 0) codes.emplace_back(a.by_status[i], static_cast<int>(i + 100));
  }
  std::sort(codes.rbegin(), codes.rend());
  out << "              ";
  for (size_t i = 0; i < codes.size() && i < 12; ++i) out << fmt::format("{} {}   ", codes[i].second, Count(codes[i].first));
  out << "\n";
  if (a.latency.Count() > 0) {
    out << fmt::format("Latency       p50 {}   p90 {}   p99 {}   max {}   ({} requests timed)\n", Secs(a.latency.Quantile(0.5)),
                       Secs(a.latency.Quantile(0.9)), Secs(a.latency.Quantile(0.99)), Secs(a.latency.Max()),
                       Count(a.latency.Count()));
  }
  if (!a.by_verb.entries().empty()) {
    auto verbs = a.by_verb.entries();
    std::sort(verbs.begin(), verbs.end(), [](const auto& x, const auto& y) { return x.second > y.second; });
    out << "Verbs         ";
    for (const auto& [v, n] : verbs) out << fmt::format("{} {}   ", v, Count(n));
    out << "\n";
  }
  if (!a.by_service.entries().empty()) {
    std::vector<const std::pair<std::string, ServiceStats>*> svcs;
    for (const auto& e : a.by_service.entries()) svcs.push_back(&e);
    std::sort(svcs.begin(), svcs.end(), [](auto* x, auto* y) { return x->second.requests > y->second.requests; });
    out << fmt::format("\n{:<18} {:>12} {:>8} {:>10} {:>10} {:>10}\n", "Service", "requests", "5xx", "p50", "p99", "bytes");
    for (const auto* e : svcs) {
      const ServiceStats& s = e->second;
      const bool timed = s.latency.Count() > 0;
      out << fmt::format("{:<18} {:>12} {:>8} {:>10} {:>10} {:>10}\n", e->first, Count(s.requests), Percent(s.errors, s.requests),
                         timed ? Secs(s.latency.Quantile(0.5)) : "-", timed ? Secs(s.latency.Quantile(0.99)) : "-",
                         Bytes(static_cast<double>(s.bytes)));
    }
  }
  if (!a.logins.entries().empty()) {
    out << "\nSign-ins by identity provider\n";
    auto logins = a.logins.entries();
    std::sort(logins.begin(), logins.end(), [](const auto& x, const auto& y) { return x.second.attempts > y.second.attempts; });
    for (const auto& [idp, l] : logins) {
      out << fmt::format("  {:<16} {:>10} attempts  {:>8} failed\n", idp, Count(l.attempts), Count(l.failures));
    }
  }
  if (a.downloads + a.download_failures > 0) {
    out << fmt::format("\nDownloads     {}   {} distinct objects   {}   {} failed\n", Count(a.downloads),
                       Count(a.downloaded_objects.Estimate()), Bytes(static_cast<double>(a.download_bytes)),
                       Count(a.download_failures));
  }
  Table(out, "Top paths", a.top_paths, top);
  Table(out, "Top users", a.top_users, top);
  Table(out, "Top client IPs", a.top_ips, top);
  Table(out, "Top user agents", a.top_agents, top);
  Table(out, "Search terms", a.search_terms, top);
}

class ProgressLine {
 public:
  explicit ProgressLine(bool enabled) : enabled_(enabled && ::isatty(2)) {}
  void Update(const ReportProgress& p) {
    if (!enabled_) return;
    const double rate = p.seconds > 0 ? static_cast<double>(p.lines) / p.seconds : 0;
    std::string line = fmt::format("  {} lines  {} lines/s  {}", Count(p.lines), Rate(rate), Bytes(static_cast<double>(p.bytes_read)));
    if (p.bytes_total > 0) {
      const double done = static_cast<double>(p.bytes_read) / static_cast<double>(p.bytes_total);
      line += fmt::format(" of {} ({:.0f}%)", Bytes(static_cast<double>(p.bytes_total)), done * 100);
      if (done > 0.01 && done < 1) line += fmt::format("  ETA {:.0f} s", p.seconds * (1 - done) / done);
    }
    std::fprintf(stderr, "\r%-78s", line.c_str());
    std::fflush(stderr);
    shown_ = true;
  }
  ~ProgressLine() {
    if (shown_) std::fprintf(stderr, "\r%-78s\r", "");
  }

 private:
  bool enabled_;
  bool shown_ = false;
};

}  // namespace

int ReportCommand(const ReportArgs& args) {
  ReportOptions options;
  if (Status s = LogFormat::Parse(args.format, &options.format); !s.ok()) {
    std::cerr << "csoc logs report: --format: " << s.message() << "\n";
    return 1;
  }
  options.threads = args.threads;
  std::vector<std::string> inputs = args.inputs;
  if (inputs.empty()) inputs.push_back("-");
  Report report;
  Status status;
  {
    ProgressLine progress(args.progress);
    options.progress = [&progress](const ReportProgress& p) { progress.Update(p); };
    status = BuildReport(inputs, options, &report);
  }
  if (!status.ok()) {
    std::cerr << "csoc logs report: " << status.message() << "\n";
    return 1;
  }
  if (!args.html_out.empty()) {
    if (!args.render_html) {
      std::cerr << "csoc logs report: --html is not available in this build\n";
      return 1;
    }
    std::ofstream html(args.html_out, std::ios::binary | std::ios::trunc);
    html << args.render_html(report);
    html.close();
    if (!html) {
      std::cerr << "csoc logs report: cannot write " << args.html_out << "\n";
      return 1;
    }
    std::cerr << "csoc logs report: wrote " << args.html_out << "\n";
  }
  if (args.json) {
    std::cout << ReportJson(report, args.top) << "\n";
  } else if (args.html_out.empty()) {
    PrintText(std::cout, report, args.top);
  }
  return 0;
}

int GenerateCommand(const GenerateArgs& args) {
  GeneratorOptions options;
  if (args.format == "gen3" || args.format == "json" || args.format == "gen3-json") {
    options.format = GeneratorOptions::Format::kGen3Json;
  } else if (args.format != "combined") {
    std::cerr << "csoc logs generate: --format must be combined or gen3\n";
    return 1;
  }
  if (args.malformed < 0 || args.malformed > 1) {
    std::cerr << "csoc logs generate: --malformed must be a fraction between 0 and 1\n";
    return 1;
  }
  if (args.rate <= 0) {
    std::cerr << "csoc logs generate: --rate must be positive\n";
    return 1;
  }
  if (!args.start.empty()) {
    const auto t = ParseIso8601(args.start);
    if (!t) {
      std::cerr << "csoc logs generate: --start is not an RFC 3339 time: " << args.start << "\n";
      return 1;
    }
    options.start_ms = ToUnixMillis(*t);
  }
  options.seed = args.seed;
  options.malformed_fraction = args.malformed;
  options.lines_per_second = args.rate;
  FILE* out = args.out == "-" ? stdout : std::fopen(args.out.c_str(), "wb");
  if (out == nullptr) {
    std::cerr << "csoc logs generate: cannot write " << args.out << "\n";
    return 1;
  }
  LogGenerator gen(options);
  GeneratorTruth truth;
  const bool want_truth = !args.truth_out.empty();
  std::string buffer;
  for (uint64_t i = 0; i < args.lines; ++i) {
    gen.Next(&buffer, want_truth ? &truth : nullptr);
    if (buffer.size() > (1 << 20) || i + 1 == args.lines) {
      std::fwrite(buffer.data(), 1, buffer.size(), out);
      buffer.clear();
    }
  }
  const bool write_failed = std::ferror(out) != 0;
  if (out != stdout) std::fclose(out);
  else std::fflush(out);
  if (write_failed) {
    std::cerr << "csoc logs generate: writing " << args.out << " failed\n";
    return 1;
  }
  if (want_truth) {
    nlohmann::json j;
    j["lines"] = truth.lines;
    j["requests"] = truth.requests;
    nlohmann::json status = nlohmann::json::object();
    for (const auto& [code, n] : truth.by_status) status[std::to_string(code)] = n;
    j["by_status"] = std::move(status);
    j["logins"] = truth.logins;
    j["downloads"] = truth.downloads;
    j["distinct_objects"] = truth.downloaded_objects.size();
    j["unique_users"] = truth.users.size();
    j["unique_client_ips"] = truth.client_ips.size();
    j["search_terms"] = truth.search_terms;
    nlohmann::json malformed = nlohmann::json::object();
    for (const ParseError k : kAllParseErrors) malformed[std::string(ParseErrorName(k))] = truth.malformed[static_cast<size_t>(k)];
    j["malformed"] = std::move(malformed);
    j["from"] = truth.first_ms;
    j["to"] = truth.last_ms;
    std::ofstream f(args.truth_out);
    f << j.dump(2) << "\n";
    if (!f) {
      std::cerr << "csoc logs generate: cannot write " << args.truth_out << "\n";
      return 1;
    }
  }
  return 0;
}

}  // namespace csoc::logs

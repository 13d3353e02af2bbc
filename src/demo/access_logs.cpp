#include "demo/access_logs.h"

#include <fmt/format.h>

#include <boost/asio/steady_timer.hpp>
#include <cstdio>
#include <fstream>

#include "core/time.h"
#include "logs/generator.h"

namespace csoc::demo {

namespace asio = boost::asio;

namespace {

logs::GeneratorOptions::Format FormatOf(size_t index) {
  return index % 2 == 0 ? logs::GeneratorOptions::Format::kGen3Json : logs::GeneratorOptions::Format::kCombined;
}

}  // namespace

class AccessLogStreamer::Impl {
 public:
  Impl(asio::io_context& io, std::filesystem::path dir, std::vector<std::string> commons, double rate,
       std::chrono::minutes backfill)
      : timer_(io), dir_(std::move(dir)), commons_(std::move(commons)), rate_(rate), backfill_(backfill) {}

  Status Start() {
    std::error_code ec;
    std::filesystem::create_directories(dir_, ec);
    if (ec) return Status::IOError(fmt::format("cannot create {}: {}", dir_.string(), ec.message()));
    const int64_t now = ToUnixMillis(Clock::now());
    for (size_t i = 0; i < commons_.size(); ++i) {
      logs::GeneratorOptions o;
      o.format = FormatOf(i);
      o.seed = 1000 + i;
      o.start_ms = now - std::chrono::duration_cast<std::chrono::milliseconds>(backfill_).count();
      // Busier commons first; a small share of malformed lines, as real logs have.
      o.lines_per_second = rate_ * (1.0 + 0.5 * static_cast<double>(commons_.size() - i) / static_cast<double>(commons_.size()));
      o.malformed_fraction = 0.002;
      generators_.push_back(std::make_unique<logs::LogGenerator>(o));
    }
    CSOC_RETURN_IF_ERROR(WriteUntil(now));
    Schedule();
    return Status::Ok();
  }

  void Stop() { timer_.cancel(); }

 private:
  // Appends every line each commons "served" up to `now_ms`.
  Status WriteUntil(int64_t now_ms) {
    for (size_t i = 0; i < commons_.size(); ++i) {
      std::string text;
      while (generators_[i]->now_ms() < now_ms) generators_[i]->Next(&text);
      if (text.empty()) continue;
      const std::filesystem::path file = dir_ / (commons_[i] + ".log");
      std::ofstream out(file, std::ios::binary | std::ios::app);
      out << text;
      if (!out) return Status::IOError("cannot append to " + file.string());
    }
    return Status::Ok();
  }

  void Schedule() {
    timer_.expires_after(std::chrono::seconds(1));
    timer_.async_wait([this](boost::system::error_code e) {
      if (e) return;
      (void)WriteUntil(ToUnixMillis(Clock::now()));  // a failed write is retried with the next second's lines
      Schedule();
    });
  }

  asio::steady_timer timer_;
  std::filesystem::path dir_;
  std::vector<std::string> commons_;
  double rate_;
  std::chrono::minutes backfill_;
  std::vector<std::unique_ptr<logs::LogGenerator>> generators_;
};

AccessLogStreamer::AccessLogStreamer(asio::io_context& io, std::filesystem::path dir, std::vector<std::string> commons,
                                     double requests_per_second, std::chrono::minutes backfill)
    : impl_(std::make_unique<Impl>(io, std::move(dir), std::move(commons), requests_per_second, backfill)) {}
AccessLogStreamer::~AccessLogStreamer() = default;
Status AccessLogStreamer::Start() { return impl_->Start(); }
void AccessLogStreamer::Stop() { impl_->Stop(); }

Status WriteAccessLogConfig(const std::filesystem::path& config_dir, const std::vector<std::string>& commons) {
  std::string yaml =
      "# The demo's access logs, written by the simulator (one file per commons) and followed by csoc\n"
      "# like any nginx log. docs/logs.md describes the logs section.\n"
      "logs:\n  sources:\n";
  for (size_t i = 0; i < commons.size(); ++i) {
    yaml += fmt::format("    - name: {}-revproxy\n      environment: {}\n      format: {}\n      file: logs/{}.log\n", commons[i],
                        commons[i], FormatOf(i) == logs::GeneratorOptions::Format::kGen3Json ? "gen3" : "combined", commons[i]);
  }
  const std::filesystem::path path = config_dir / "logs.yaml";
  const std::filesystem::path tmp = config_dir / "logs.yaml.tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << yaml;
    if (!out) return Status::IOError("cannot write " + tmp.string());
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) return Status::IOError(fmt::format("cannot write {}: {}", path.string(), ec.message()));
  return Status::Ok();
}

}  // namespace csoc::demo

// csoc: parse the command line, wire the areas together, run.
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <CLI/CLI.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <filesystem>
#include <iostream>
#include <optional>
#include <thread>

#include "auth/tokens.h"
#include "config/config.h"
#include "core/metrics.h"
#include "core/time.h"
#include "demo/access_logs.h"
#include "demo/history_seed.h"
#include "demo/simulator.h"
#include "logs/cli.h"
#include "logs/ingest.h"
#include "logs/store.h"
#include "monitor/monitor.h"
#include "statuspage/feed.h"
#include "statuspage/status_page.h"
#include "store/store.h"
#include "store/writer.h"
#include "web/logs_routes.h"
#include "web/server.h"

namespace asio = boost::asio;
namespace fs = std::filesystem;
using namespace csoc;

namespace {

constexpr auto kConfigPollInterval = std::chrono::seconds(2);

void PrintErrors(const config::LoadResult& r) {
  for (const auto& e : r.errors) std::cerr << e.ToString() << "\n";
}

int CheckConfig(const std::string& path) {
  config::LoadResult r = config::LoadFleet(path);
  if (!r.errors.empty()) {
    PrintErrors(r);
    std::cerr << r.errors.size() << (r.errors.size() == 1 ? " error" : " errors") << " in " << path << "\n";
    return 1;
  }
  size_t checks = r.fleet->AllChecks().size();
  std::cout << path << ": ok — " << r.files.size() << " file(s), " << r.fleet->environments.size()
            << " environment(s) in " << r.fleet->Clusters().size() << " cluster(s), " << checks << " check(s)\n";
  return 0;
}

// What the config files look like now: a change in any name, size or mtime triggers a reload.
std::string ConfigSignature(const std::vector<fs::path>& files, const fs::path& root) {
  std::string sig;
  std::vector<fs::path> all = files;
  std::error_code ec;
  if (fs::is_directory(root, ec)) {
    all.clear();
    for (const auto& entry : fs::directory_iterator(root, ec)) all.push_back(entry.path());
    std::sort(all.begin(), all.end());
  }
  for (const auto& f : all) {
    struct stat st {};
    if (stat(f.c_str(), &st) != 0) continue;
    sig += f.string() + ":" + std::to_string(st.st_size) + ":" + std::to_string(st.st_mtim.tv_sec) + "." +
           std::to_string(st.st_mtim.tv_nsec) + "\n";
  }
  return sig;
}

struct ServeOptions {
  std::string config_path;
  std::optional<std::string> listen;
  std::optional<std::string> data_dir;
  // Runs on the main io_context before serving (the demo starts its simulator here).
  std::function<void()> on_ready;
};

logs::IngestOptions IngestOptionsOf(const fleet::LogSettings& settings) {
  logs::IngestOptions o;
  for (const fleet::LogSource& src : settings.sources) {
    logs::SourceConfig c;
    c.name = src.name;
    c.environment = src.environment;
    switch (src.kind) {
      case fleet::LogSource::Kind::kFile: c.kind = logs::SourceKind::kFile; break;
      case fleet::LogSource::Kind::kSyslog: c.kind = logs::SourceKind::kSyslog; break;
      case fleet::LogSource::Kind::kPush: c.kind = logs::SourceKind::kPush; break;
    }
    c.file = src.file;
    c.listen = src.listen;
    c.syslog_tcp = src.syslog_tcp;
    const Status st = logs::LogFormat::Parse(src.format, &c.format);  // the config checked it
    if (!st.ok()) continue;
    o.sources.push_back(std::move(c));
  }
  const fleet::LokiSettings& loki = settings.loki;
  if (loki.enabled && logs::LogFormat::Parse(loki.format, &o.loki.format).ok()) {
    o.loki.enabled = true;
    o.loki.environment_label = loki.environment_label;
    o.loki.environments = loki.environments;
  }
  const fleet::FaroSettings& faro = settings.faro;
  o.faro.enabled = faro.enabled;
  o.faro.environment = faro.environment;
  o.faro.apps = faro.apps;
  o.faro.api_key = faro.api_key;
  o.faro.origins = faro.origins;
  o.faro.rate_limit = faro.rate_limit;
  o.faro.burst = faro.burst;
  o.pseudonymise_key = settings.pseudonymise_key;
  o.minute_retention = std::chrono::duration_cast<std::chrono::hours>(settings.minute_retention);
  o.hour_retention = std::chrono::duration_cast<std::chrono::hours>(settings.hour_retention);
  return o;
}

int Serve(asio::io_context& main_io, ServeOptions opts) {
  // Taken over first, so that a signal during start-up (restoring a large history can take a while)
  // waits for its handler instead of killing the process.
  asio::signal_set stop_signals(main_io, SIGINT, SIGTERM);
  asio::signal_set hup(main_io, SIGHUP);
  config::LoadResult loaded = config::LoadFleet(opts.config_path);
  if (!loaded.errors.empty()) {
    PrintErrors(loaded);
    spdlog::error("config {} has {} error(s); not starting", opts.config_path, loaded.errors.size());
    return 2;
  }
  auto fleet = std::make_shared<fleet::Fleet>(std::move(*loaded.fleet));
  if (opts.listen) fleet->settings.listen = *opts.listen;
  if (opts.data_dir) fleet->settings.data_dir = *opts.data_dir;
  const fleet::Settings settings = fleet->settings;

  std::error_code ec;
  fs::create_directories(settings.data_dir, ec);
  if (ec) {
    spdlog::error("cannot create data directory {}: {}", settings.data_dir, ec.message());
    return 1;
  }
  fs::path db_path = fs::path(settings.data_dir) / "csoc.db";
  std::unique_ptr<store::Store> write_store, read_store;
  Status s = store::OpenSqliteStore(db_path, &write_store);
  if (s.ok()) s = store::OpenSqliteStore(db_path, &read_store);
  if (!s.ok()) {
    spdlog::error("cannot open history database {}: {}", db_path.string(), s.ToString());
    return 1;
  }

  // The web thread's own connections: the status page and the tokens that guard every write.
  std::unique_ptr<auth::TokenStore> tokens;
  std::unique_ptr<statuspage::StatusPageStore> status_store;
  std::unique_ptr<statuspage::StatusPage> status_page;
  s = auth::OpenSqliteTokenStore(db_path, &tokens);
  if (s.ok()) s = statuspage::OpenSqliteStatusPageStore(db_path, &status_store);
  if (s.ok()) s = statuspage::StatusPage::Open(std::move(status_store), statuspage::Defaults{}, &status_page);
  statuspage::Feed status_feed(status_page.get());
  if (s.ok()) s = status_feed.Configure(fleet->status_page);
  if (!s.ok()) {
    spdlog::error("cannot open the status page and token tables in {}: {}", db_path.string(), s.ToString());
    return 1;
  }

  // Access-log analytics: the ingester's connection (its thread) and the web thread's.
  std::unique_ptr<logs::LogStore> log_write_store, log_read_store;
  s = logs::OpenSqliteLogStore(db_path, &log_write_store);
  if (s.ok()) s = logs::OpenSqliteLogStore(db_path, &log_read_store);
  if (!s.ok()) {
    spdlog::error("cannot open the log analytics tables in {}: {}", db_path.string(), s.ToString());
    return 1;
  }

  MetricsRegistry metrics;
  logs::Ingester ingester(IngestOptionsOf(fleet->logs), std::move(log_write_store), &metrics);
  s = ingester.Start();
  if (!s.ok()) {
    spdlog::error("cannot start log ingestion: {}", s.ToString());
    return 1;
  }
  monitor::Monitor* monitor_ptr = nullptr;
  {
    // The writer's store is used only by the writer thread from here on; the monitor reads saved
    // states through the read connection before it starts.
    store::StoreWriter writer(std::move(write_store), settings.retention, &metrics);
    monitor::Monitor monitor(&writer, &metrics);
    monitor_ptr = &monitor;
    s = monitor.Restore(*read_store);
    if (!s.ok()) {
      spdlog::error("cannot restore saved states from {}: {}", db_path.string(), s.ToString());
      return 1;
    }
    monitor.Start(fleet);

    asio::io_context web_io;
    auto web_work = asio::make_work_guard(web_io);
    web::ServerDeps deps;
    deps.monitor = monitor_ptr;
    deps.store = read_store.get();
    deps.metrics = &metrics;
    deps.ready = [monitor_ptr] { return monitor_ptr->Snapshot() != nullptr; };
    deps.status_page = status_page.get();
    deps.status_feed = &status_feed;
    deps.tokens = tokens.get();
    deps.log_store = log_read_store.get();
    deps.log_sources = [&ingester] { return ingester.Statuses(); };
    deps.log_ingester = &ingester;
    web::ServerOptions server_options;
    server_options.listen = settings.listen;
    server_options.title = settings.title;
    server_options.status_api_base = fleet->status_page.api_base;
    server_options.cors_origins = fleet->status_page.cors_origins;
    server_options.status_title =
        fleet->status_page.title.empty() ? settings.title + " status" : fleet->status_page.title;
    server_options.status_description = fleet->status_page.description;
    server_options.status_public_url = fleet->status_page.public_url;
    server_options.status_logo = fleet->status_page.logo;
    server_options.status_logo_content_type = fleet->status_page.logo_content_type;
    server_options.status_colors = fleet->status_page.colors;
    web::Server server(web_io, server_options, deps);
    s = server.Start();
    // The optional public listener: the status page without the dashboard, on the same thread.
    std::optional<web::Server> public_server;
    if (s.ok() && !fleet->status_page.listen.empty()) {
      web::ServerOptions public_options = server_options;
      public_options.listen = fleet->status_page.listen;
      public_options.public_only = true;
      public_server.emplace(web_io, public_options, deps);
      s = public_server->Start();
      if (s.ok()) spdlog::info("csoc serves the public status page at http://{}/status", public_options.listen);
    }
    if (!s.ok()) {
      spdlog::error("{}", s.ToString());
      monitor.Stop();
      writer.Stop();
      ingester.Stop();
      return 1;
    }
    std::thread web_thread([&web_io] { web_io.run(); });
    spdlog::info("csoc is serving the dashboard at http://{}/ ({} environments, {} checks)", settings.listen,
                 fleet->environments.size(), fleet->AllChecks().size());

    std::vector<fs::path> files = loaded.files;
    std::string signature = ConfigSignature(files, opts.config_path);
    auto reload = [&](const char* why) {
      config::LoadResult next = config::LoadFleet(opts.config_path);
      if (!next.errors.empty()) {
        for (const auto& e : next.errors) spdlog::error("reload rejected: {}", e.ToString());
        spdlog::error("config reload ({}) rejected with {} error(s); the running config stays", why,
                      next.errors.size());
        return;
      }
      auto nf = std::make_shared<fleet::Fleet>(std::move(*next.fleet));
      if (nf->settings.listen != settings.listen && !opts.listen) {
        spdlog::warn("settings.listen changed; it takes effect after a restart");
      }
      nf->settings.listen = settings.listen;
      nf->settings.data_dir = settings.data_dir;
      const auto& was = fleet->status_page;
      const auto& now = nf->status_page;
      if (now.listen != was.listen || now.api_base != was.api_base || now.cors_origins != was.cors_origins ||
          now.title != was.title || now.description != was.description || now.public_url != was.public_url ||
          now.logo != was.logo || now.colors != was.colors) {
        spdlog::warn(
            "status_page: listen, api_base, cors_origins, title, description, public_url, logo and colors take "
            "effect after a restart; components and automatic incidents change now");
      }
      writer.SetRetention(nf->settings.retention);
      ingester.Reconfigure(IngestOptionsOf(nf->logs));
      spdlog::info("config reloaded ({}): {} environments, {} checks", why, nf->environments.size(),
                   nf->AllChecks().size());
      files = next.files;
      // The status page belongs to the web thread: its components change there.
      asio::post(web_io, [&status_feed, settings = nf->status_page] {
        Status st = status_feed.Configure(settings);
        if (!st.ok()) spdlog::error("status page: the reloaded components were not applied: {}", st.ToString());
      });
      monitor.Reload(std::move(nf));
    };

    asio::steady_timer poll(main_io);
    std::function<void()> schedule_poll = [&] {
      poll.expires_after(kConfigPollInterval);
      poll.async_wait([&](boost::system::error_code e) {
        if (e) return;
        std::string now = ConfigSignature(files, opts.config_path);
        if (now != signature) {
          signature = now;
          reload("file change");
        }
        schedule_poll();
      });
    };
    schedule_poll();

    std::function<void()> wait_hup = [&] {
      hup.async_wait([&](boost::system::error_code e, int) {
        if (e) return;
        signature = ConfigSignature(files, opts.config_path);
        reload("SIGHUP");
        wait_hup();
      });
    };
    wait_hup();

    stop_signals.async_wait([&](boost::system::error_code e, int sig) {
      if (e) return;
      spdlog::info("received {}; shutting down", sig == SIGINT ? "SIGINT" : "SIGTERM");
      poll.cancel();
      hup.cancel();
      main_io.stop();
    });
    if (opts.on_ready) opts.on_ready();
    main_io.run();

    // The ingester first, while the web thread still runs: it commits and answers every pushed
    // batch it accepted (later pushes are refused with 503), and those answers are written before
    // the server stops.
    ingester.Stop();
    asio::post(web_io, [&] {
      server.Stop();
      if (public_server) public_server->Stop();
    });
    web_work.reset();
    web_thread.join();
    monitor.Stop();
    s = writer.Stop();
    if (!s.ok()) {
      spdlog::error("history not fully written at shutdown: {}", s.ToString());
      return 1;
    }
  }
  spdlog::info("stopped cleanly");
  return 0;
}

// A positive duration from the command line, or nullopt after saying what was wrong.
std::optional<Millis> PositiveDurationFlag(const char* flag, const std::string& text) {
  if (auto d = ParseDuration(text); d && d->count() > 0) return d;
  std::cerr << flag << ": expected a positive duration like 20s or 500ms, got '" << text << "'\n";
  return std::nullopt;
}

// Where the `token` commands find the database: --data-dir, or settings.data_dir of --config.
std::optional<fs::path> DatabaseFor(const std::string& data_dir, const std::string& config_path) {
  if (!data_dir.empty()) return fs::path(data_dir) / "csoc.db";
  if (config_path.empty()) {
    std::cerr << "say where csoc keeps its data: --data-dir DIR, or --config FLEET to use its settings.data_dir\n";
    return std::nullopt;
  }
  config::LoadResult r = config::LoadFleet(config_path);
  if (!r.errors.empty()) {
    PrintErrors(r);
    return std::nullopt;
  }
  return fs::path(r.fleet->settings.data_dir) / "csoc.db";
}

struct TokenArgs {
  std::string data_dir, config_path, name, expires;
  std::vector<std::string> scopes;
};

int TokenCommand(const std::string& action, const TokenArgs& args) {
  std::optional<fs::path> db = DatabaseFor(args.data_dir, args.config_path);
  if (!db) return 2;
  std::unique_ptr<auth::TokenStore> tokens;
  Status s = auth::OpenSqliteTokenStore(*db, &tokens);
  if (!s.ok()) {
    std::cerr << "cannot open the token table in " << db->string() << ": " << s.ToString() << "\n";
    return 1;
  }
  TimePoint now = Clock::now();
  if (action == "create") {
    std::optional<TimePoint> expires;
    if (!args.expires.empty()) {
      std::optional<Millis> d = PositiveDurationFlag("--expires", args.expires);
      if (!d) return 2;
      expires = now + *d;
    }
    std::string secret;
    s = tokens->Create(args.name, args.scopes, expires, now, &secret);
    if (!s.ok()) {
      std::cerr << "token not created: " << s.message() << "\n";
      return s.code() == Status::Code::kInvalidArgument ? 2 : 1;
    }
    std::cerr << "created token '" << args.name << "'"
              << (expires ? " (expires " + FormatIso8601(*expires) + ")" : std::string(" (does not expire)"))
              << "; it is shown only now, store it safely:\n";
    std::cout << secret << "\n";
    return 0;
  }
  if (action == "revoke") {
    s = tokens->Revoke(args.name, now);
    if (!s.ok()) {
      std::cerr << "token not revoked: " << s.message() << "\n";
      return s.code() == Status::Code::kNotFound ? 2 : 1;
    }
    std::cout << "revoked token '" << args.name << "'\n";
    return 0;
  }
  std::vector<auth::TokenInfo> list;
  s = tokens->List(&list);
  if (!s.ok()) {
    std::cerr << "cannot list tokens: " << s.ToString() << "\n";
    return 1;
  }
  if (list.empty()) {
    std::cout << "no tokens in " << db->string() << "; create one with: csoc token create "
              << (args.data_dir.empty() ? "--config " + args.config_path : "--data-dir " + args.data_dir)
              << " --name NAME --scope status:write\n";
    return 0;
  }
  std::cout << fmt::format("{:<24} {:<22} {:<10} {:<25} {:<25}\n", "NAME", "SCOPES", "STATE", "CREATED", "EXPIRES");
  for (const auto& t : list) {
    std::string scopes;
    for (const auto& sc : t.scopes) scopes += (scopes.empty() ? "" : ",") + sc;
    std::string state = t.revoked ? "revoked" : (t.expires && *t.expires <= now) ? "expired" : "active";
    std::cout << fmt::format("{:<24} {:<22} {:<10} {:<25} {:<25}\n", t.name, scopes, state, FormatIso8601(t.created),
                             t.expires ? FormatIso8601(*t.expires) : "never");
  }
  return 0;
}

int Simulate(uint16_t base_port, const std::string& flap_period, const std::string& probe_interval,
             const std::string& write_config, const std::string& data_dir) {
  demo::SimulatorOptions options{"127.0.0.1", base_port};
  std::optional<Millis> flap = PositiveDurationFlag("--flap-period", flap_period);
  std::optional<Millis> interval = PositiveDurationFlag("--probe-interval", probe_interval);
  if (!flap || !interval) return 2;
  options.flap_period = *flap;
  asio::io_context io;
  demo::Simulator sim(io, options);
  Status s = sim.Start();
  if (!s.ok()) {
    spdlog::error("simulator: {}", s.ToString());
    return 1;
  }
  for (const auto& c : sim.commons()) {
    std::cout << c.cluster << "/" << c.name << " " << c.base_url << " — " << c.behaviour << "\n";
  }
  std::cout << "TLS endpoint " << sim.tls_endpoint() << " — certificate expires in a few days\n" << std::flush;
  if (!write_config.empty()) {
    s = sim.WriteFleetConfig(write_config, data_dir, *interval);
    if (!s.ok()) {
      spdlog::error("simulator: {}", s.ToString());
      return 1;
    }
    std::cout << "fleet config written to " << write_config << "\n" << std::flush;
  }
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](boost::system::error_code, int) {
    sim.Stop();
    io.stop();
  });
  io.run();
  return 0;
}

// A new demo data directory gets 90 days of plausible past (demo/history_seed.h); an existing
// one keeps what it has.
Status SeedDemoHistory(const fs::path& config_dir, const fs::path& data_dir) {
  fs::path db = data_dir / "csoc.db";
  if (fs::exists(db)) return Status::Ok();
  config::LoadResult loaded = config::LoadFleet(config_dir);
  if (!loaded.errors.empty()) return Status::InvalidArgument(loaded.errors.front().ToString());
  std::unique_ptr<store::Store> history;
  std::unique_ptr<statuspage::StatusPageStore> status_store;
  std::unique_ptr<statuspage::StatusPage> page;
  CSOC_RETURN_IF_ERROR(store::OpenSqliteStore(db, &history));
  CSOC_RETURN_IF_ERROR(statuspage::OpenSqliteStatusPageStore(db, &status_store));
  CSOC_RETURN_IF_ERROR(statuspage::StatusPage::Open(std::move(status_store), statuspage::Defaults{}, &page));
  statuspage::Feed feed(page.get());
  CSOC_RETURN_IF_ERROR(feed.Configure(loaded.fleet->status_page));
  spdlog::info("demo: writing 90 days of history for the status page and the dashboard");
  return demo::SeedHistory(*loaded.fleet, *history, *page, Clock::now());
}

int Demo(const std::string& listen, const std::string& data_dir, uint16_t base_port) {
  asio::io_context sim_io;
  auto sim_work = asio::make_work_guard(sim_io);
  demo::Simulator sim(sim_io, demo::SimulatorOptions{"127.0.0.1", base_port});
  Status s = sim.Start();
  if (!s.ok()) {
    spdlog::error("demo: cannot start the simulated fleet: {}", s.ToString());
    return 1;
  }
  fs::path config_dir = fs::path(data_dir) / "fleet";
  // Each commons' revproxy access log, followed by csoc's log analytics (docs/demo.md).
  std::vector<std::string> commons_names;
  for (const auto& c : sim.commons()) commons_names.push_back(c.name);
  demo::AccessLogStreamer access_logs(sim_io, config_dir / "logs", commons_names);
  s = access_logs.Start();
  if (s.ok()) s = demo::WriteAccessLogConfig(config_dir, commons_names);
  if (!s.ok()) {
    spdlog::error("demo: cannot write the simulated access logs: {}", s.ToString());
    return 1;
  }
  std::thread sim_thread([&] { sim_io.run(); });
  s = sim.WriteFleetConfig(config_dir, data_dir);
  int rc = 1;
  if (!s.ok()) {
    spdlog::error("demo: cannot write the fleet config: {}", s.ToString());
  } else if (s = SeedDemoHistory(config_dir, data_dir); !s.ok()) {
    spdlog::error("demo: cannot write the demo's 90 days of history: {}", s.ToString());
  } else {
    spdlog::info("demo: simulated fleet of {} commons is up; its config is in {}", sim.commons().size(),
                 config_dir.string());
    asio::io_context main_io;
    ServeOptions opts;
    opts.config_path = config_dir.string();
    opts.listen = listen;
    opts.data_dir = data_dir;
    opts.on_ready = [&] { std::cout << "\n  csoc demo is running: open http://" << listen << "/\n\n" << std::flush; };
    rc = Serve(main_io, opts);
  }
  asio::post(sim_io, [&] {
    access_logs.Stop();
    sim.Stop();
  });
  sim_work.reset();
  sim_thread.join();
  return rc;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"csoc — an operations center for fleets of deployments across Kubernetes clusters"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "csoc 0.1.0");

  std::string config_path, listen, data_dir;
  auto* serve = app.add_subcommand("serve", "Monitor the fleet described by --config and serve the dashboard and API");
  serve->add_option("-c,--config", config_path, "A fleet YAML file or a directory of them")->required();
  serve->add_option("-l,--listen", listen, "host:port to listen on (overrides settings.listen)");
  serve->add_option("-d,--data-dir", data_dir, "Where history is kept (overrides settings.data_dir)");

  std::string check_path;
  auto* check = app.add_subcommand("check-config", "Validate a fleet config; list every error as file:line:column");
  check->add_option("path", check_path, "A fleet YAML file or a directory of them")->required();

  uint16_t base_port = 0;
  std::string write_config, sim_data_dir = "./csoc-data", flap_period = "20s", probe_interval = "10s";
  auto* simulate = app.add_subcommand("simulate", "Run the simulated demo fleet (local Gen3-like services)");
  simulate->add_option("--base-port", base_port, "First port (0: free ports)");
  simulate->add_option("--flap-period", flap_period, "How long the flapping service stays in each state");
  simulate->add_option("--write-config", write_config, "Write a fleet config for the simulated services here");
  simulate->add_option("--data-dir", sim_data_dir, "data_dir to put in the written config");
  simulate->add_option("--probe-interval", probe_interval, "Check interval to put in the written config");

  std::string demo_listen = "127.0.0.1:8080", demo_data = "./csoc-demo-data";
  uint16_t demo_base_port = 18100;
  auto* demo = app.add_subcommand("demo", "Run the simulated fleet and csoc monitoring it, in one process");
  demo->add_option("-l,--listen", demo_listen, "host:port for the dashboard");
  demo->add_option("-d,--data-dir", demo_data, "Where the demo keeps its config and history");
  demo->add_option("--base-port", demo_base_port, "First port of the simulated services (0: free ports)");

  TokenArgs token_args;
  auto* token = app.add_subcommand("token", "Create, list and revoke API tokens (writes need one)");
  token->require_subcommand(1);
  for (auto* cmd : {token->add_subcommand("create", "Create a token and print it once"),
                    token->add_subcommand("list", "List tokens (never their secrets)"),
                    token->add_subcommand("revoke", "Revoke a token by name")}) {
    cmd->add_option("-d,--data-dir", token_args.data_dir, "csoc's data directory (where csoc.db is)");
    cmd->add_option("-c,--config", token_args.config_path, "A fleet config whose settings.data_dir to use");
    if (cmd->get_name() != "list") cmd->add_option("--name", token_args.name, "The token's name")->required();
    if (cmd->get_name() == "create") {
      cmd->add_option("--scope", token_args.scopes, "A scope: status:write, logs:ingest or admin (repeatable)")->required();
      cmd->add_option("--expires", token_args.expires, "Lifetime, e.g. 90d or 12h (default: never expires)");
    }
  }

  auto* logs = app.add_subcommand("logs", "Access-log analytics: one-shot reports on log files, a log generator");
  logs->require_subcommand(1);
  logs::ReportArgs report_args;
  auto* report = logs->add_subcommand("report", "Analyse log files (plain, gzip, or - for standard input) on every core");
  report->add_option("files", report_args.inputs, "Log files; - or none reads standard input");
  report->add_option("-f,--format", report_args.format, "combined, gen3, or an nginx log_format string")
      ->capture_default_str();
  report->add_flag("--json", report_args.json, "Print the report as JSON");
  report->add_option("--html", report_args.html_out, "Write an HTML report to this file");
  report->add_option("--threads", report_args.threads, "Parser threads (default: one per core)");
  report->add_option("--top", report_args.top, "Rows per top-N table")->capture_default_str();
  bool no_progress = false;
  report->add_flag("--no-progress", no_progress, "No progress line on standard error");
  logs::GenerateArgs gen_args;
  auto* generate = logs->add_subcommand("generate", "Write a realistic, deterministic Gen3 access log (for tests and benchmarks)");
  generate->add_option("-f,--format", gen_args.format, "combined or gen3")->capture_default_str();
  generate->add_option("-n,--lines", gen_args.lines, "How many lines")->capture_default_str();
  generate->add_option("--seed", gen_args.seed, "Random seed: the same seed gives the same log")->capture_default_str();
  generate->add_option("--malformed", gen_args.malformed, "Fraction of malformed lines (0..1)")->capture_default_str();
  generate->add_option("--rate", gen_args.rate, "Lines per second of simulated time")->capture_default_str();
  generate->add_option("--start", gen_args.start, "Time of the first line (RFC 3339)");
  generate->add_option("-o,--out", gen_args.out, "Output file (- for standard output)")->capture_default_str();
  generate->add_option("--truth", gen_args.truth_out, "Also write the true counts of what was generated as JSON here");

  CLI11_PARSE(app, argc, argv);
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e%z %^%l%$ %v");

  if (*check) return CheckConfig(check_path);
  if (*token) {
    for (const char* action : {"create", "list", "revoke"}) {
      if (*token->get_subcommand(action)) return TokenCommand(action, token_args);
    }
  }
  if (*report) {
    report_args.progress = !no_progress;
    report_args.render_html = [&report_args](const logs::Report& r) {
      return web::RenderLogReportHtml(r, report_args.inputs.empty() ? std::vector<std::string>{"-"} : report_args.inputs);
    };
    return logs::ReportCommand(report_args);
  }
  if (*generate) return logs::GenerateCommand(gen_args);
  if (*simulate) return Simulate(base_port, flap_period, probe_interval, write_config, sim_data_dir);
  if (*demo) return Demo(demo_listen, demo_data, demo_base_port);
  asio::io_context main_io;
  ServeOptions opts;
  opts.config_path = config_path;
  if (!listen.empty()) opts.listen = listen;
  if (!data_dir.empty()) opts.data_dir = data_dir;
  return Serve(main_io, opts);
}

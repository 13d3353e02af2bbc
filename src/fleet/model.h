// The fleet model: what is monitored, resolved from configuration (config/ builds it; every other
// area only reads it). Fleet → environments → services → checks; a cluster is a name that
// environments share. Immutable once built: the monitor holds it through shared_ptr<const Fleet>,
// and a reload builds a new one.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "fleet/alerting.h"
#include "fleet/condition.h"

namespace csoc::fleet {

enum class CheckKind { kHttp, kTcp, kTls, kDns };
std::string_view CheckKindName(CheckKind k);  // "http", "tcp", "tls", "dns"

struct Header {
  std::string name;
  std::string value;
  // The value came from ${ENV} expansion or the config marked it secret: never shown or logged.
  bool secret = false;
};

struct HttpSpec {
  std::string url;
  std::string method = "GET";
  std::vector<Header> headers;
  std::string body;
  bool follow_redirects = false;
  bool tls_verify = true;
  std::string ca_file;  // empty: the system trust store
};

struct TcpSpec {
  std::string host;
  uint16_t port = 0;
};

struct TlsSpec {
  std::string host;
  uint16_t port = 443;
  std::string server_name;  // SNI and name to verify; empty: host
  bool verify = true;       // when false, chain problems are reported but do not fail the check
  std::string ca_file;
};

struct DnsSpec {
  std::string name;
  std::string record_type = "A";  // A or AAAA
  std::string server;             // "ip" or "ip:port"; empty: the system resolver configuration
};

struct Check {
  // "<environment>/<service>/<check>": unique in the fleet, stable across reloads, used as the key
  // in the store and the API.
  std::string id;
  std::string name;
  std::string service;
  std::string environment;
  std::string cluster;
  std::string description;

  CheckKind kind = CheckKind::kHttp;
  std::variant<HttpSpec, TcpSpec, TlsSpec, DnsSpec> spec;

  std::chrono::milliseconds interval{30'000};
  std::chrono::milliseconds timeout{10'000};
  // Failing one of these makes a result "down".
  std::vector<Condition> conditions;
  // Failing one of these (when all `conditions` hold) makes a result "degraded".
  std::vector<Condition> degraded_conditions;
  int failure_threshold = 2;  // consecutive bad results before the state worsens
  int success_threshold = 1;  // consecutive better results before the state improves
  bool critical = true;       // a non-critical check degrades its service, never takes it down

  // Equal fingerprints mean the check probes and judges identically, so its state survives a reload.
  std::string Fingerprint() const;
  // A short human description of the target, with secrets and URL credentials removed.
  std::string TargetDisplay() const;
};

struct Service {
  std::string name;
  std::string description;
  bool critical = true;
  std::vector<Check> checks;
};

struct Link {
  std::string title;
  std::string url;
};

struct Environment {
  std::string name;
  std::string hostname;
  std::string cluster;
  std::string namespace_;
  std::string description;
  std::map<std::string, std::string> labels;
  std::vector<std::string> owners;
  std::vector<Link> links;
  std::vector<Service> services;
  std::string source_file;  // where it was defined, for messages
};

struct Retention {
  std::chrono::milliseconds raw{7LL * 86'400'000};
  std::chrono::milliseconds minute{30LL * 86'400'000};
  std::chrono::milliseconds hour{400LL * 86'400'000};
  std::chrono::milliseconds day{400LL * 86'400'000};
};

// When monitoring opens an incident for a status page component on its own (docs/status-page.md).
struct AutomaticIncidents {
  bool enabled = true;
  std::chrono::milliseconds after{120'000};  // bad for this long before an incident opens
  bool publish = true;                       // false: opened as a draft an operator publishes
};

// A component of the public status page, bound to fleet objects whose health it follows.
struct StatusComponent {
  std::string name;  // key in the configuration, stable across reloads
  std::string display_name;
  std::string group;  // components with the same group are shown together
  std::string description;
  // What it follows: environment names, cluster names, "environment/service", check ids.
  std::vector<std::string> environments, clusters, services, checks;
  AutomaticIncidents automatic;
  std::string source_file;

  bool bound() const { return !environments.empty() || !clusters.empty() || !services.empty() || !checks.empty(); }
};

struct StatusPageSettings {
  std::string title;  // empty: settings.title
  std::string description;
  std::string api_base = "/status-api/v1";
  std::vector<std::string> cors_origins = {"*"};
  std::string listen;      // optional second address that serves only the public status page and API
  std::string public_url;  // where visitors reach the page (absolute links in feeds); empty: from Host
  // The page's own look: a logo file read when the configuration loads (served by csoc itself, as
  // nothing on the page comes from another site), and colours as CSS hex values.
  std::string logo;                           // the file's bytes; empty: none
  std::string logo_content_type;              // image/svg+xml or image/png
  std::map<std::string, std::string> colors;  // header, accent: "#0b1220"
  AutomaticIncidents automatic;
  std::vector<StatusComponent> components;
};

// One access-log source (docs/logs.md), whose requests count for one environment: a file followed
// like `tail -F`, a syslog listener (UDP or TCP), or lines pushed over HTTP.
struct LogSource {
  enum class Kind { kFile, kSyslog, kPush };
  std::string name;
  std::string environment;
  std::string format;  // "gen3", "combined" or an nginx log_format string (checked by the config)
  Kind kind = Kind::kFile;
  std::string file;    // kFile: absolute, or made absolute against the config file's directory
  std::string listen;  // kSyslog: host:port
  bool syslog_tcp = false;
};

// The Loki push API: which stream label names the environment, and its values' environments.
struct LokiSettings {
  bool enabled = false;
  std::string environment_label;
  std::map<std::string, std::string> environments;  // label value → environment
  std::string format = "gen3";
};

// The Grafana Faro collector: where an app's search terms count, and how the endpoint is guarded.
struct FaroSettings {
  bool enabled = false;
  std::string environment;                  // every app, unless `apps` is set
  std::map<std::string, std::string> apps;  // meta.app.name → environment
  std::string api_key;
  std::vector<std::string> origins = {"*"};
  double rate_limit = 50;  // requests per second, all clients together
  double burst = 100;
};

struct LogSettings {
  std::vector<LogSource> sources;
  LokiSettings loki;
  FaroSettings faro;
  // Non-empty: user names and client addresses are stored only as keyed hashes (HMAC-SHA256).
  std::string pseudonymise_key;
  std::chrono::milliseconds minute_retention = std::chrono::hours(48);
  std::chrono::milliseconds hour_retention = std::chrono::hours(24 * 90);
};

struct Settings {
  std::string listen = "127.0.0.1:8080";
  std::string data_dir = "./csoc-data";
  std::string title = "csoc";
  Retention retention;
};

struct Fleet {
  Settings settings;
  StatusPageSettings status_page;
  LogSettings logs;
  AlertingSettings alerting;
  std::vector<Environment> environments;

  // Cluster names in first-seen order.
  std::vector<std::string> Clusters() const;
  // Every check, in config order.
  std::vector<const Check*> AllChecks() const;
};

}  // namespace csoc::fleet

// End to end: the live inputs of access-log analytics besides files, against the real csoc binary
// on loopback ports, counted through /api/v1/logs/summary:
//   - Debian's real nginx sending its access log as syslog over UDP
//     (`access_log syslog:server=127.0.0.1:PORT,tag=nginx combined;`), and syslog over TCP from a
//     client socket (nginx's syslog is UDP only);
//   - the Loki push API, with protobuf+snappy (built with the generated classes, as Promtail does)
//     and JSON bodies; bad batches refused whole with nothing counted; 401 without a token, 403
//     with the wrong scope; HTTP basic auth with the token as password;
//   - HTTP push of lines to a `push: true` source;
//   - the Faro collector with a payload shaped like the web SDK's.
// Processes are stopped by PID.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <snappy.h>
#include <sys/socket.h>
#include <unistd.h>

#include <ctime>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <regex>

#include "logs/loki_push.pb.h"
#include "support/support.h"

namespace csoc {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using testing::HttpGet;
using testing::HttpRequest;
using testing::Process;
using testing::TempDir;
using testing::WaitFor;
using testing::WriteFile;

constexpr const char* kNginx = "/usr/sbin/nginx";

// A combined-format line at the current time.
std::string Line(int status, const std::string& path) {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char when[64];
  std::strftime(when, sizeof when, "%d/%b/%Y:%H:%M:%S +0000", &tm);
  return "10.1.2.3 - - [" + std::string(when) + "] \"GET " + path + " HTTP/1.1\" " + std::to_string(status) +
         " 100 \"-\" \"test\"";
}

std::string Environment(const std::string& name) {
  return "  - name: " + name +
         "\n    cluster: east\n    services:\n"
         "      - {name: api, checks: [{name: port, type: tcp, host: 127.0.0.1, port: 9, interval: 60s}]}\n";
}

// A Loki JSON push body: streams of (labels, lines), each line at the current time.
std::string LokiJson(const std::vector<std::pair<std::map<std::string, std::string>, std::vector<std::string>>>& streams) {
  json list = json::array();
  const std::string ns = std::to_string(std::time(nullptr)) + "000000000";
  for (const auto& [labels, lines] : streams) {
    json values = json::array();
    for (const std::string& l : lines) values.push_back(json::array({ns, l}));
    json stream = json::object();
    for (const auto& [k, v] : labels) stream[k] = v;
    list.push_back(json{{"stream", stream}, {"values", values}});
  }
  return json{{"streams", list}}.dump();
}

class LogsIngestTest : public ::testing::Test {
 protected:
  void SetUp() override {
    udp_port_ = testing::FreePort();
    tcp_port_ = testing::FreePort();
    port_ = testing::FreePort();
    WriteFile(dir_.path() / "fleet.yaml",
              "environments:\n" + Environment("edge-udp") + Environment("edge-tcp") + Environment("pushed") +
                  Environment("loki-a") + Environment("loki-b") + Environment("portal") +
                  "logs:\n"
                  "  sources:\n"
                  "    - {name: nginx, environment: edge-udp, format: combined, syslog: {listen: \"127.0.0.1:" +
                  std::to_string(udp_port_) +
                  "\"}}\n"
                  "    - {name: relay, environment: edge-tcp, format: combined, syslog: {listen: \"127.0.0.1:" +
                  std::to_string(tcp_port_) +
                  "\", protocol: tcp}}\n"
                  "    - {name: batch, environment: pushed, format: combined, push: true}\n"
                  "  loki:\n"
                  "    environment_label: namespace\n"
                  "    environments: {gen3-a: loki-a, gen3-b: loki-b}\n"
                  "    format: combined\n"
                  "  faro:\n"
                  "    environment: portal\n"
                  "    api_key: faro-test-key\n"
                  "    origins: [\"https://portal.example.org\"]\n");
    std::filesystem::create_directories(dir_.path() / "data");
    token_ = CreateToken("ingest", "logs:ingest");
    status_token_ = CreateToken("bot", "status:write");
    server_ = std::make_unique<Process>(
        std::vector<std::string>{CSOC_BINARY, "serve", "--config", (dir_.path() / "fleet.yaml").string(), "--listen",
                                 "127.0.0.1:" + std::to_string(port_), "--data-dir", (dir_.path() / "data").string()},
        dir_.path() / "serve.log");
    ASSERT_TRUE(WaitFor([&] { return HttpGet(Url("/readyz")).status == 200; }, 20s)) << server_->Log();
  }

  void TearDown() override {
    if (server_) {
      EXPECT_EQ(server_->Signal(SIGTERM), 0) << server_->Log();
    }
  }

  std::string CreateToken(const std::string& name, const std::string& scope) {
    const auto log = dir_.path() / ("token-" + name + ".log");
    Process p({CSOC_BINARY, "token", "create", "--data-dir", (dir_.path() / "data").string(), "--name", name, "--scope", scope},
              log);
    EXPECT_EQ(p.Wait(10s), 0) << p.Log();
    std::smatch m;
    const std::string out = p.Log();
    EXPECT_TRUE(std::regex_search(out, m, std::regex("csoc_[0-9a-f]{48}"))) << out;
    return m.empty() ? "" : m[0].str();
  }

  std::string Url(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(port_) + path; }

  // The summary of one environment over the last 24 hours.
  json Summary(const std::string& env) {
    auto r = HttpGet(Url("/api/v1/logs/summary?environment=" + env));
    EXPECT_EQ(r.status, 200) << r.body;
    json j = json::parse(r.body, nullptr, false);
    return j.is_discarded() ? json() : j["summary"];
  }
  uint64_t Requests(const std::string& env) { return Summary(env).value("requests", uint64_t{0}); }
  std::map<int, uint64_t> Codes(const std::string& env) {
    std::map<int, uint64_t> out;
    const json summary = Summary(env);
    for (const json& c : summary["status_codes"]) out[c["code"].get<int>()] = c["requests"].get<uint64_t>();
    return out;
  }

  TempDir dir_;
  int udp_port_ = 0, tcp_port_ = 0, port_ = 0;
  std::string token_, status_token_;
  std::unique_ptr<Process> server_;
};

TEST_F(LogsIngestTest, NginxSyslogOverUdpAndATcpSyslogClientAreCounted) {
  if (!std::filesystem::exists(kNginx)) GTEST_SKIP() << "nginx is not installed (scripts/setup.sh installs nginx-light)";
  const int web = testing::FreePort();
  const auto ndir = dir_.path() / "nginx";
  std::filesystem::create_directories(ndir / "tmp");
  WriteFile(ndir / "nginx.conf",
            "daemon off;\nmaster_process off;\nworker_processes 1;\npid " + (ndir / "nginx.pid").string() +
                ";\nerror_log " + (ndir / "error.log").string() +
                ";\nevents { worker_connections 64; }\nhttp {\n"
                "  client_body_temp_path " + (ndir / "tmp").string() + ";\n"
                "  proxy_temp_path " + (ndir / "tmp").string() + ";\n"
                "  fastcgi_temp_path " + (ndir / "tmp").string() + ";\n"
                "  uwsgi_temp_path " + (ndir / "tmp").string() + ";\n"
                "  scgi_temp_path " + (ndir / "tmp").string() + ";\n"
                "  access_log syslog:server=127.0.0.1:" + std::to_string(udp_port_) + ",tag=nginx combined;\n"
                "  server {\n    listen 127.0.0.1:" + std::to_string(web) + ";\n"
                "    location = /ok { return 200 \"ok\\n\"; }\n"
                "    location = /missing { return 404; }\n"
                "    location = /broken { return 503; }\n  }\n}\n");
  Process nginx({kNginx, "-p", ndir.string(), "-e", (ndir / "error.log").string(), "-c", (ndir / "nginx.conf").string()},
                ndir / "stdout.log");
  const std::string base = "http://127.0.0.1:" + std::to_string(web);
  ASSERT_TRUE(WaitFor([&] { return HttpGet(base + "/ok").status == 200; }, 10s)) << nginx.Log();
  // One /ok above; then 5 more, 4 not found, 2 unavailable.
  for (int i = 0; i < 5; ++i) ASSERT_EQ(HttpGet(base + "/ok").status, 200);
  for (int i = 0; i < 4; ++i) ASSERT_EQ(HttpGet(base + "/missing").status, 404);
  for (int i = 0; i < 2; ++i) ASSERT_EQ(HttpGet(base + "/broken").status, 503);
  const std::map<int, uint64_t> want = {{200, 6}, {404, 4}, {503, 2}};
  ASSERT_TRUE(WaitFor([&] { return Codes("edge-udp") == want; }, 15s)) << Summary("edge-udp").dump() << server_->Log();
  EXPECT_EQ(Requests("edge-udp"), 12u);
  EXPECT_EQ(nginx.Signal(SIGTERM), 0);

  // TCP (RFC 6587): octet-counted and newline-ended messages, split across writes, and one
  // message whose header is not syslog.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(tcp_port_));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  std::string stream;
  for (int i = 0; i < 3; ++i) {
    const std::string m = "<190>Dec  2 10:00:00 relay nginx: " + Line(200, "/a");
    stream += std::to_string(m.size()) + " " + m;
  }
  stream += "<190>Dec  2 10:00:00 relay nginx: " + Line(500, "/b") + "\n";
  stream += "this is not syslog\n";
  for (size_t i = 0; i < stream.size(); i += 50) {
    const std::string piece = stream.substr(i, 50);
    ASSERT_EQ(::send(fd, piece.data(), piece.size(), MSG_NOSIGNAL), static_cast<ssize_t>(piece.size()));
  }
  ::close(fd);
  const std::map<int, uint64_t> want_tcp = {{200, 3}, {500, 1}};
  ASSERT_TRUE(WaitFor([&] { return Codes("edge-tcp") == want_tcp; }, 10s)) << Summary("edge-tcp").dump();

  // Lines per source and the rejected one, in the sources API and /metrics.
  ASSERT_TRUE(WaitFor([&] { return HttpGet(Url("/metrics")).body.find("csoc_logs_lines_total{source=\"relay\"} 5") != std::string::npos; }, 5s))
      << HttpGet(Url("/metrics")).body;
  const std::string metrics = HttpGet(Url("/metrics")).body;
  EXPECT_NE(metrics.find("csoc_logs_lines_total{source=\"nginx\"} 12"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("csoc_logs_rejected_lines_total{source=\"relay\",kind=\"format_mismatch\"} 1"), std::string::npos)
      << metrics;
  json sources = json::parse(HttpGet(Url("/api/v1/logs/sources")).body);
  bool relay = false;
  for (const json& s : sources["sources"]) {
    if (s["name"] != "relay") continue;
    relay = true;
    EXPECT_EQ(s["kind"], "syslog");
    EXPECT_EQ(s["address"], "tcp 127.0.0.1:" + std::to_string(tcp_port_));
  }
  EXPECT_TRUE(relay) << sources.dump();
}

TEST_F(LogsIngestTest, LokiPushesAreCountedWholeOrRefusedWhole) {
  // Protobuf + snappy, as Promtail and Alloy send it: two streams for two environments.
  logproto::PushRequest request;
  auto* a = request.add_streams();
  a->set_labels(R"({app="revproxy", namespace="gen3-a"})");
  for (int status : {200, 200, 404}) {
    auto* e = a->add_entries();
    e->mutable_timestamp()->set_seconds(std::time(nullptr));
    e->set_line(Line(status, "/x"));
  }
  auto* b = request.add_streams();
  b->set_labels(R"({namespace="gen3-b"})");
  auto* e = b->add_entries();
  e->mutable_timestamp()->set_seconds(std::time(nullptr));
  e->set_line(Line(502, "/y"));
  std::string raw, body;
  ASSERT_TRUE(request.SerializeToString(&raw));
  snappy::Compress(raw.data(), raw.size(), &body);
  const std::string push = Url("/loki/api/v1/push");
  const std::string bearer = "Authorization: Bearer " + token_;

  // Without a token, with the wrong scope: refused, nothing counted.
  EXPECT_EQ(HttpRequest("POST", push, body, {"Content-Type: application/x-protobuf"}).status, 401);
  EXPECT_EQ(HttpRequest("POST", push, body, {"Content-Type: application/x-protobuf", "Authorization: Bearer " + status_token_})
                .status,
            403);
  auto r = HttpRequest("POST", push, body, {"Content-Type: application/x-protobuf", bearer});
  ASSERT_EQ(r.status, 204) << r.body;
  // Answered after the commit: counted at once.
  EXPECT_EQ(Codes("loki-a"), (std::map<int, uint64_t>{{200, 2}, {404, 1}}));
  EXPECT_EQ(Requests("loki-b"), 1u);

  // JSON, with Promtail's basic_auth (the token as password).
  const std::string json_body = LokiJson({{{{"namespace", "gen3-b"}}, {Line(200, "/z"), Line(201, "/z")}}});
  std::string credentials;
  {
    // base64("promtail:<token>")
    static constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const std::string in = "promtail:" + token_;
    for (size_t i = 0; i < in.size(); i += 3) {
      uint32_t n = static_cast<uint8_t>(in[i]) << 16;
      if (i + 1 < in.size()) n |= static_cast<uint8_t>(in[i + 1]) << 8;
      if (i + 2 < in.size()) n |= static_cast<uint8_t>(in[i + 2]);
      credentials += kB64[(n >> 18) & 63];
      credentials += kB64[(n >> 12) & 63];
      credentials += i + 1 < in.size() ? kB64[(n >> 6) & 63] : '=';
      credentials += i + 2 < in.size() ? kB64[n & 63] : '=';
    }
  }
  r = HttpRequest("POST", push, json_body, {"Content-Type: application/json", "Authorization: Basic " + credentials});
  ASSERT_EQ(r.status, 204) << r.body;
  EXPECT_EQ(Requests("loki-b"), 3u);

  // A batch with one unmapped stream is refused whole, naming the stream; so is a corrupt body.
  const std::string unmapped =
      LokiJson({{{{"namespace", "gen3-a"}}, {Line(200, "/z")}}, {{{"namespace", "elsewhere"}, {"app", "x"}}, {"x"}}});
  r = HttpRequest("POST", push, unmapped, {"Content-Type: application/json", bearer});
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(json::parse(r.body)["error"]["message"].get<std::string>().find(
                R"(streams[1] {app="x", namespace="elsewhere"} has namespace="elsewhere", which logs.loki.environments maps to no environment)"),
            std::string::npos)
      << r.body;
  r = HttpRequest("POST", push, body.substr(0, body.size() / 2), {"Content-Type: application/x-protobuf", bearer});
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(Requests("loki-a"), 3u) << "nothing of a refused batch is counted";
  const std::string metrics = HttpGet(Url("/metrics")).body;
  EXPECT_NE(metrics.find("csoc_logs_push_rejected_total{reason=\"unmapped_stream\"} 1"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("csoc_logs_lines_total{source=\"loki:loki-a\"} 3"), std::string::npos) << metrics;
}

TEST_F(LogsIngestTest, HttpPushAndFaroAreCounted) {
  const std::string lines = Line(200, "/p") + "\n" + Line(404, "/q") + "\r\nnot a line\n";
  auto r = HttpRequest("POST", Url("/api/v1/logs/push/batch"), lines,
                       {"Content-Type: text/plain; charset=utf-8", "Authorization: Bearer " + token_});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json::parse(r.body), json::parse(R"({"lines": 3, "rejected": 1})"));
  EXPECT_EQ(Codes("pushed"), (std::map<int, uint64_t>{{200, 1}, {404, 1}}));
  EXPECT_EQ(HttpRequest("POST", Url("/api/v1/logs/push/nginx"), lines, {"Content-Type: text/plain", "Authorization: Bearer " + token_})
                .status,
            409)
      << "a syslog source takes no pushed lines";
  EXPECT_EQ(HttpRequest("POST", Url("/api/v1/logs/push/batch"), lines, {"Content-Type: text/plain"}).status, 401);

  // What the Faro web SDK posts (tests/logs/faro_test.cpp has where this shape comes from).
  const std::string payload = R"({
 "meta": {
  "sdk": {"version": "2.12.1", "name": "faro"},
  "app": {"name": "gen3-portal", "version": "1.2.3", "environment": "production"},
  "session": {"id": "sess-7f3a"},
  "user": {"id": "user-42", "username": "alice"},
  "page": {"url": "https://portal.example.org/explorer?search=breast%20cancer&filter=tcga"}
 },
 "events": [
  {"name": "search_submitted", "domain": "explorer",
   "attributes": {"query": "Lung  Adenocarcinoma", "results": "12"},
   "timestamp": "2026-12-02T15:31:59.008Z"}
 ],
 "logs": [{"message": "opened explorer", "level": "log", "timestamp": "2026-12-02T15:31:59.023Z"}]
})";
  const std::vector<std::string> faro = {"Origin: https://portal.example.org", "Content-Type: application/json",
                                         "x-api-key: faro-test-key"};
  r = HttpRequest("OPTIONS", Url("/collect"), "",
                  {"Origin: https://portal.example.org", "Access-Control-Request-Method: POST",
                   "Access-Control-Request-Headers: content-type,x-api-key,x-faro-session-id"});
  EXPECT_EQ(r.status, 204);
  EXPECT_EQ(r.headers["access-control-allow-origin"], "https://portal.example.org");
  r = HttpRequest("POST", Url("/collect"), payload, faro);
  ASSERT_EQ(r.status, 202) << r.body;
  EXPECT_EQ(r.headers["access-control-allow-origin"], "https://portal.example.org");
  EXPECT_EQ(HttpRequest("POST", Url("/collect"), payload, {"Origin: https://portal.example.org"}).status, 401);
  std::map<std::string, uint64_t> terms;
  const json portal = Summary("portal");
  for (const json& t : portal["search_terms"]) terms[t["value"]] = t["count"];
  EXPECT_EQ(terms, (std::map<std::string, uint64_t>{{"lung adenocarcinoma", 1}, {"breast cancer", 1}, {"tcga", 1}}));
}

}  // namespace
}  // namespace csoc

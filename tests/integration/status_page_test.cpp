// End to end: the status page fed by monitoring. The real csoc binary watches the real simulated
// fleet (`csoc simulate`), whose gen3-research commons flaps; the status page components bound to
// it must follow: an automatic incident opens when it goes down, is resolved when it comes back,
// survives a restart unchanged, and an operator who edits one takes it over from automation.
// Processes are stopped by PID.
#include <gtest/gtest.h>
#include <signal.h>

#include <nlohmann/json.hpp>
#include <regex>
#include <set>

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

// Three components: two follow the flapping commons (the whole environment, and its indexd check
// alone, which serves as a control that automation still runs), one follows a healthy service.
constexpr const char* kStatusPageYaml = R"(status_page:
  title: "Integration status"
  description: "Components bound to the simulated fleet."
  automatic_incidents:
    enabled: true
    after: 0s
    publish: true
  components:
    - name: research
      display_name: "Research commons"
      group: "east"
      environments: ["gen3-research"]
    - name: research-index
      display_name: "Research index"
      group: "east"
      checks: ["gen3-research/indexd/health"]
      automatic_incidents: {after: 0s, publish: true}
    - name: prod-us-login
      display_name: "Production US login"
      services: ["gen3-prod-us/fence"]
)";

constexpr const char* kAllTime = "?start=2000-01-01T00:00:00Z&end=2100-01-01T00:00:00Z";

bool Affects(const json& public_incident, const std::string& component_id) {
  for (const json& c : public_incident.value("components", json::array())) {
    if (c.value("id", "") == component_id) return true;
  }
  return false;
}

bool AffectsScs(const json& scs_incident, const std::string& component_id) {
  for (const json& m : scs_incident.value("affects", json::array())) {
    if (m.value("reference", "") == component_id) return true;
  }
  return false;
}

class StatusPageEndToEnd : public ::testing::Test {
 protected:
  void SetUp() override {
    config_dir_ = dir_.path() / "fleet";
    data_dir_ = dir_.path() / "data";
    simulator_ = std::make_unique<Process>(
        std::vector<std::string>{CSOC_BINARY, "simulate", "--base-port", "0", "--flap-period", "3s", "--probe-interval",
                                 "500ms", "--write-config", config_dir_.string(), "--data-dir", data_dir_.string()},
        dir_.path() / "simulator.log");
    ASSERT_TRUE(WaitFor([&] { return simulator_->Log().find("fleet config written") != std::string::npos; }, 20s))
        << simulator_->Log();
    // Our own components instead of the demo's (which wait 20 s before opening an incident).
    WriteFile(config_dir_ / "status-page.yaml", kStatusPageYaml);

    std::filesystem::create_directories(data_dir_);
    Process token({CSOC_BINARY, "token", "create", "--data-dir", data_dir_.string(), "--name", "operator", "--scope",
                   "status:write"},
                  dir_.path() / "token.log");
    ASSERT_EQ(token.Wait(10s), 0) << token.Log();
    std::smatch m;
    std::string out = token.Log();
    ASSERT_TRUE(std::regex_search(out, m, std::regex(R"(csoc_[0-9A-Za-z_-]{16,})"))) << out;
    token_ = m[0];
  }

  void StartServer() {
    port_ = testing::FreePort();
    server_ = std::make_unique<Process>(std::vector<std::string>{CSOC_BINARY, "serve", "--config", config_dir_.string(),
                                                                 "--listen", "127.0.0.1:" + std::to_string(port_)},
                                        dir_.path() / "serve.log");
    ASSERT_TRUE(WaitFor([&] { return HttpGet(Url("/readyz")).status == 200; }, 20s)) << server_->Log();
  }

  std::string Url(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(port_) + path; }

  // GET a JSON answer; a discarded value when it failed (for use inside polls, which retry).
  json Fetch(const std::string& path) {
    auto r = HttpGet(Url(path));
    if (r.status != 200) return json(json::value_t::discarded);
    return json::parse(r.body, nullptr, false);
  }

  // GET a JSON answer that must be there.
  json MustGet(const std::string& path) {
    auto r = HttpGet(Url(path));
    EXPECT_EQ(r.status, 200) << path << ": " << r.body;
    json j = json::parse(r.body, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << path << " is not JSON: " << r.body;
    return j;
  }

  // components.json's status of a component, "" when unavailable.
  std::string PublicStatus(const std::string& component_id) {
    json j = Fetch("/api/v2/components.json");
    if (j.is_discarded()) return "";
    for (const json& c : j.value("components", json::array())) {
      if (c.value("id", "") == component_id) return c.value("status", "");
    }
    return "";
  }

  // The open (unresolved.json) incident of a component that is not in `known`; null when none.
  json OpenIncidentOf(const std::string& component_id, const std::set<std::string>& known = {}) {
    json j = Fetch("/api/v2/incidents/unresolved.json");
    if (j.is_discarded()) return nullptr;
    for (const json& i : j.value("incidents", json::array())) {
      if (Affects(i, component_id) && !known.contains(i.value("id", ""))) return i;
    }
    return nullptr;
  }

  // Every published incident from the SCS API, each with its full updates, by id.
  std::map<std::string, json> ScsIncidents() {
    std::map<std::string, json> out;
    json list = MustGet(std::string("/status-api/v1/incidents") + kAllTime);
    for (const json& i : list.value("data", json::array())) {
      json full = i;
      full["updates_full"] = MustGet("/status-api/v1/incidents/" + i["id"].get<std::string>() + "/updates")["data"];
      out[i["id"]] = full;
    }
    return out;
  }

  json ScsIncident(const std::string& id) { return Fetch("/status-api/v1/incidents/" + id); }

  bool Ended(const std::string& id) {
    json j = ScsIncident(id);
    return !j.is_discarded() && j.contains("data") && !j["data"]["endedAt"].is_null();
  }

  std::string Diagnostics() {
    return "\nunresolved.json: " + HttpGet(Url("/api/v2/incidents/unresolved.json")).body +
           "\ncomponents.json: " + HttpGet(Url("/api/v2/components.json")).body +
           "\nindexd: " + HttpGet(Url("/api/v1/checks/gen3-research/indexd/health")).body + "\nserve.log:\n" +
           server_->Log();
  }

  TempDir dir_;
  std::filesystem::path config_dir_, data_dir_;
  std::unique_ptr<Process> simulator_;
  std::unique_ptr<Process> server_;
  std::string token_;
  int port_ = 0;
};

TEST_F(StatusPageEndToEnd, MonitoringOpensResolvesAndKeepsIncidentsAndOperatorsTakeOver) {
  StartServer();
  // The declared components, by display name.
  std::map<std::string, std::string> ids;
  json components = MustGet("/status-api/v1/components");
  for (const json& c : components["data"]) ids[c["displayName"]] = c["id"];
  ASSERT_EQ(ids.size(), 3u) << components.dump();
  const std::string research = ids["Research commons"], index = ids["Research index"],
                    login = ids["Production US login"];
  ASSERT_FALSE(research.empty());
  ASSERT_FALSE(index.empty());
  ASSERT_FALSE(login.empty());

  // 1. gen3-research goes down: its component shows an outage and an automatic incident opens,
  //    published, with an update that carries monitoring's evidence.
  json first;
  ASSERT_TRUE(WaitFor(
      [&] {
        first = OpenIncidentOf(research);
        if (first.is_null()) return false;
        std::string status = PublicStatus(research);
        return status == "major_outage" || status == "partial_outage";
      },
      25s))
      << Diagnostics();
  const std::string first_id = first["id"];
  ASSERT_GE(first["incident_updates"].size(), 1u) << first.dump();
  EXPECT_NE(first["incident_updates"].back()["body"].get<std::string>().find("503"), std::string::npos) << first.dump();
  EXPECT_EQ(first["status"], "investigating") << first.dump();
  EXPECT_EQ(first["impact"], "critical") << first.dump();
  EXPECT_TRUE(first["resolved_at"].is_null()) << first.dump();
  // The healthy service's component is not touched.
  ASSERT_TRUE(WaitFor([&] { return PublicStatus(login) == "operational"; }, 10s)) << Diagnostics();
  EXPECT_TRUE(OpenIncidentOf(login).is_null()) << Diagnostics();

  // 2. It comes back: the incident is resolved (status, resolved_at, a "Resolved" update) and the
  //    component is operational again.
  json resolved;
  ASSERT_TRUE(WaitFor(
      [&] {
        json list = Fetch("/api/v2/incidents.json");
        if (list.is_discarded()) return false;
        for (const json& i : list.value("incidents", json::array())) {
          if (i.value("id", "") == first_id && i.value("status", "") == "resolved") {
            resolved = i;
            return true;
          }
        }
        return false;
      },
      15s))
      << Diagnostics();
  EXPECT_TRUE(resolved["resolved_at"].is_string()) << resolved.dump();
  ASSERT_GE(resolved["incident_updates"].size(), 2u) << resolved.dump();
  // Newest first, as Statuspage lists them.
  EXPECT_EQ(resolved["incident_updates"][0]["body"].get<std::string>().rfind("Resolved", 0), 0u) << resolved.dump();
  EXPECT_EQ(resolved["incident_updates"][0]["status"], "resolved") << resolved.dump();
  ASSERT_TRUE(WaitFor([&] { return PublicStatus(research) == "operational"; }, 10s)) << Diagnostics();
  // In the SCS model: endedAt set, in the last phase ("Done"), and a "Resolved" update last.
  json scs_first = MustGet("/status-api/v1/incidents/" + first_id)["data"];
  EXPECT_TRUE(scs_first["endedAt"].is_string()) << scs_first.dump();
  json phases = MustGet("/status-api/v1/phases")["data"];
  ASSERT_FALSE(phases["phases"].empty()) << phases.dump();
  EXPECT_EQ(phases["phases"].back(), "Done") << phases.dump();
  EXPECT_EQ(scs_first["phase"]["order"], phases["phases"].size() - 1) << scs_first.dump();
  json first_updates = MustGet("/status-api/v1/incidents/" + first_id + "/updates")["data"];
  ASSERT_GE(first_updates.size(), 2u);
  EXPECT_EQ(first_updates.back()["displayName"], "Resolved") << first_updates.dump();

  // 3. An operator edits the next automatic incident while it is open: it is theirs from then on.
  //    Without a token the edit is refused and changes nothing.
  std::set<std::string> known = {first_id};
  std::string taken_id, control_id;
  json taken_updates;
  for (int attempt = 0; attempt < 3 && taken_id.empty(); ++attempt) {
    json inc, control;
    ASSERT_TRUE(WaitFor(
        [&] {
          inc = OpenIncidentOf(research, known);
          control = OpenIncidentOf(index, known);
          return !inc.is_null() && !control.is_null();
        },
        20s))
        << Diagnostics();
    const std::string id = inc["id"];
    known.insert(id);
    known.insert(control["id"].get<std::string>());
    const std::string body = R"({"displayName": "Research commons: engineers are on it"})";
    auto anonymous = HttpRequest("PATCH", Url("/status-api/v1/incidents/" + control["id"].get<std::string>()), body,
                                 {"Content-Type: application/json"});
    EXPECT_EQ(anonymous.status, 401) << anonymous.body;
    auto patched = HttpRequest("PATCH", Url("/status-api/v1/incidents/" + id), body,
                               {"Content-Type: application/json", "Authorization: Bearer " + token_});
    ASSERT_EQ(patched.status, 204) << patched.body;
    json now = MustGet("/status-api/v1/incidents/" + id)["data"];
    EXPECT_EQ(now["displayName"], "Research commons: engineers are on it") << now.dump();
    // Automation may have resolved it just before the edit landed; then try the next one.
    if (!now["endedAt"].is_null()) continue;
    taken_id = id;
    control_id = control["id"];
    taken_updates = MustGet("/status-api/v1/incidents/" + id + "/updates")["data"];
  }
  ASSERT_FALSE(taken_id.empty()) << "every edited incident had been resolved before the edit" << Diagnostics();
  json taken_before = MustGet("/status-api/v1/incidents/" + taken_id)["data"];

  // The control component follows the same check: once automation has resolved its incident, it
  // has seen the recovery, and left the operator's incident alone.
  ASSERT_TRUE(WaitFor([&] { return Ended(control_id); }, 15s)) << Diagnostics();
  EXPECT_EQ(MustGet("/status-api/v1/incidents/" + taken_id)["data"], taken_before);
  EXPECT_EQ(MustGet("/status-api/v1/incidents/" + taken_id + "/updates")["data"], taken_updates);
  EXPECT_FALSE(OpenIncidentOf(research).is_null()) << "the operator's incident is no longer open" << Diagnostics();
  // At the next outage automation opens a new incident for the control, but none for the component
  // the operator's open incident already covers.
  json next_control;
  ASSERT_TRUE(WaitFor(
      [&] {
        next_control = OpenIncidentOf(index, known);
        return !next_control.is_null();
      },
      20s))
      << Diagnostics();
  known.insert(next_control["id"].get<std::string>());
  for (const auto& [id, i] : ScsIncidents()) {
    if (AffectsScs(i, research) && id != taken_id) {
      EXPECT_FALSE(i["endedAt"].is_null())
          << "automation opened another incident for a covered component: " << i.dump();
    }
  }
  EXPECT_EQ(MustGet("/status-api/v1/incidents/" + taken_id)["data"], taken_before);

  // 4. Restart on the same data directory: every incident and every update is still there, the same.
  std::map<std::string, json> before = ScsIncidents();
  ASSERT_GE(before.size(), 4u);
  EXPECT_EQ(server_->Signal(SIGTERM), 0) << server_->Log();
  StartServer();
  std::map<std::string, json> after = ScsIncidents();
  std::vector<std::string> open_automatic;
  for (const auto& [id, b] : before) {
    auto it = after.find(id);
    ASSERT_NE(it, after.end()) << "lost in the restart: " << b.dump();
    const json& a = it->second;
    if (!b["endedAt"].is_null() || id == taken_id) {
      EXPECT_EQ(a, b) << "changed in the restart";
      continue;
    }
    // An automatic incident still open at the stop may have moved on since (automation runs every
    // second); what it had must be unchanged.
    open_automatic.push_back(id);
    for (const char* key : {"id", "displayName", "description", "beganAt", "affects"}) {
      EXPECT_EQ(a[key], b[key]) << key << " changed in the restart: " << b.dump() << " → " << a.dump();
    }
    ASSERT_GE(a["updates_full"].size(), b["updates_full"].size()) << a.dump();
    for (size_t n = 0; n < b["updates_full"].size(); ++n) {
      EXPECT_EQ(a["updates_full"][n], b["updates_full"][n]) << "update changed in the restart";
    }
  }
  // The public view agrees: the first incident is still resolved, with its closing update.
  bool listed = false;
  json public_list = MustGet("/api/v2/incidents.json");
  for (const json& i : public_list["incidents"]) {
    if (i["id"] != first_id) continue;
    listed = true;
    // (The embedded components carry the time of the answer; everything else must be the same.)
    json now = i, then = resolved;
    now.erase("components");
    then.erase("components");
    EXPECT_EQ(now, then) << "the resolved incident changed in the restart";
  }
  EXPECT_TRUE(listed) << first_id << " missing from incidents.json after the restart";

  // Automation picks up where it left off: incidents it had open are resolved at the next
  // recovery; the operator's stays open and untouched.
  ASSERT_TRUE(WaitFor(
      [&] {
        for (const auto& id : open_automatic) {
          if (!Ended(id)) return false;
        }
        return true;
      },
      20s))
      << Diagnostics();
  EXPECT_EQ(MustGet("/status-api/v1/incidents/" + taken_id)["data"], taken_before);
  EXPECT_EQ(server_->Signal(SIGTERM), 0) << server_->Log();
}

}  // namespace
}  // namespace csoc

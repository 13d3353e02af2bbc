#include "alert/receivers/teams.h"

#include <nlohmann/json.hpp>

#include "alert/receivers/options.h"
#include "alert/receivers/text.h"

namespace csoc::alert::receivers::teams {

namespace {

using Json = nlohmann::ordered_json;

Json TextBlock(const std::string& text) { return Json{{"type", "TextBlock"}, {"text", text}, {"wrap", true}}; }

Json Subtle(const std::string& text) {
  Json j = TextBlock(text);
  j["isSubtle"] = true;
  return j;
}

Json AlertContainer(const AlertView& v) {
  std::string heading = std::string(StateEmoji(v.firing)) + " **" + v.title + "**";
  if (!v.summary.empty()) heading += " — " + v.summary;
  Json facts = Json::array();
  for (const auto& [label, value] : v.scope) facts.push_back(Json{{"title", label}, {"value", value}});
  if (!v.evidence.empty()) facts.push_back(Json{{"title", "Evidence"}, {"value", v.evidence}});
  facts.push_back(Json{{"title", "Started"}, {"value", v.starts}});
  if (!v.ends.empty()) facts.push_back(Json{{"title", "Ended"}, {"value", v.ends}});
  Json items = Json::array({TextBlock(heading), Json{{"type", "FactSet"}, {"facts", std::move(facts)}}});
  if (!v.links.empty()) {
    std::string line;
    for (const auto& [label, url] : v.links) line += (line.empty() ? "" : " · ") + ("[" + label + "](" + url + ")");
    items.push_back(TextBlock(line));
  }
  return Json{{"type", "Container"}, {"separator", true}, {"items", std::move(items)}};
}

void AddAction(Json* actions, const std::string& title, const std::string& url) {
  if (!url.empty() && ParseHttpUrl(url))
    actions->push_back(Json{{"type", "Action.OpenUrl"}, {"title", title}, {"url", url}});
}

}  // namespace

std::optional<Config> Config::From(const ReceiverConfig& rc, std::vector<OptionError>* errors) {
  OptionReader r(rc, errors);
  Config c;
  c.url = r.Url("url", /*https_only=*/true);
  if (!r.ok()) return std::nullopt;
  return c;
}

HttpRequest BuildRequest(const Notification& n, const Config& config) {
  Json body = Json::array();
  Json title = TextBlock(std::string(StateEmoji(n.firing)) + " " + GroupTitle(n));
  title["size"] = "Large";
  title["weight"] = "Bolder";
  title["color"] = n.firing ? "Attention" : "Good";
  body.push_back(std::move(title));
  size_t shown = 0;
  for (const Alert& a : n.alerts) {
    if (shown == kMaxAlertContainers) break;
    ++shown;
    body.push_back(AlertContainer(ViewOf(a, n.created)));
  }
  if (shown < n.alerts.size()) body.push_back(Subtle("and " + std::to_string(n.alerts.size() - shown) + " more"));
  if (!n.inhibited.empty()) {
    std::string text = HeldBackIntro(n) + ": ";
    for (size_t i = 0; i < n.inhibited.size(); ++i) text += (i == 0 ? "" : ", ") + AlertTitle(n.inhibited[i]);
    body.push_back(Subtle(text));
  }
  Json actions = Json::array();
  AddAction(&actions, "Open csoc", n.external_url);
  for (const auto& [key, label] : {std::pair{"dashboard_url", "Dashboard"}, {"runbook_url", "Runbook"}}) {
    auto it = n.common_annotations.find(key);
    if (it != n.common_annotations.end()) AddAction(&actions, label, it->second);
  }
  Json card{{"$schema", "http://adaptivecards.io/schemas/adaptive-card.json"},
            {"type", "AdaptiveCard"},
            {"version", "1.4"},
            {"body", std::move(body)}};
  if (!actions.empty()) card["actions"] = std::move(actions);
  Json msg{
      {"type", "message"},
      {"attachments",
       Json::array({Json{{"contentType", "application/vnd.microsoft.card.adaptive"}, {"content", std::move(card)}}})}};
  HttpRequest req;
  req.method = "POST";
  req.url = config.url;
  req.headers = {{"Content-Type", "application/json"}, {"User-Agent", "csoc"}};
  req.body = msg.dump(-1, ' ', false, Json::error_handler_t::replace);
  return req;
}

TeamsReceiver::TeamsReceiver(std::string name, bool send_resolved, Config config)
    : Receiver(std::move(name), send_resolved), config_(std::move(config)) {}

DeliveryResult TeamsReceiver::Send(const Notification& notification, std::chrono::milliseconds timeout) const {
  return SendHttp(BuildRequest(notification, config_), timeout);
}

ReceiverType Type() {
  return ReceiverType{"teams",
                      {{"url", OptionKind::kSecret, true, "the incoming webhook's https URL"}},
                      [](const ReceiverConfig& rc, std::vector<OptionError>* errors) -> std::unique_ptr<Receiver> {
                        std::optional<Config> c = Config::From(rc, errors);
                        if (!c) return nullptr;
                        return std::make_unique<TeamsReceiver>(rc.name, rc.send_resolved, std::move(*c));
                      }};
}

}  // namespace csoc::alert::receivers::teams

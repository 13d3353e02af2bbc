#include "alert/receivers/slack.h"

#include <nlohmann/json.hpp>

#include "alert/receivers/options.h"
#include "alert/receivers/text.h"

namespace csoc::alert::receivers::slack {

namespace {

using Json = nlohmann::ordered_json;

constexpr size_t kMaxHeader = 150;
constexpr size_t kMaxText = 3000;

// A URL inside <url|label>: '|' and '>' would end it early.
std::string LinkUrl(const std::string& url) {
  std::string out;
  for (char c : url) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "%3C"; break;
      case '>': out += "%3E"; break;
      case '|': out += "%7C"; break;
      default: out += c;
    }
  }
  return out;
}

Json Mrkdwn(const std::string& text) { return Json{{"type", "mrkdwn"}, {"text", TruncateUtf8(text, kMaxText)}}; }

std::string Section(const AlertView& v) {
  std::string text = "*" + std::string(StateEmoji(v.firing)) + " " + MrkdwnEscape(v.title) + "*";
  if (!v.summary.empty()) text += " — " + MrkdwnEscape(v.summary);
  if (!v.scope.empty()) {
    std::string line;
    for (const auto& [label, value] : v.scope)
      line += (line.empty() ? "" : " · ") + ("*" + label + ":* " + MrkdwnEscape(value));
    text += "\n" + line;
  }
  if (!v.evidence.empty()) text += "\n*Evidence:* " + MrkdwnEscape(v.evidence);
  text += "\n*Started:* " + v.starts;
  if (!v.ends.empty()) text += " · *Ended:* " + v.ends;
  if (!v.links.empty()) {
    std::string line;
    for (const auto& [label, url] : v.links)
      line += (line.empty() ? "" : " · ") + ("<" + LinkUrl(url) + "|" + label + ">");
    text += "\n" + line;
  }
  return text;
}

}  // namespace

std::string MrkdwnEscape(std::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      default: out += c;
    }
  }
  return out;
}

std::optional<Config> Config::From(const ReceiverConfig& rc, std::vector<OptionError>* errors) {
  OptionReader r(rc, errors);
  Config c;
  c.url = r.Url("url", /*https_only=*/true);
  c.channel = r.String("channel", false);
  c.username = r.String("username", false);
  if (!r.ok()) return std::nullopt;
  return c;
}

HttpRequest BuildRequest(const Notification& n, const Config& config) {
  const std::string title = std::string(StateEmoji(n.firing)) + " " + GroupTitle(n);
  Json msg = Json::object();
  if (!config.channel.empty()) msg["channel"] = config.channel;
  if (!config.username.empty()) msg["username"] = config.username;
  msg["text"] = TruncateUtf8(title, kMaxText);
  Json blocks = Json::array();
  blocks.push_back(
      Json{{"type", "header"},
           {"text", Json{{"type", "plain_text"}, {"text", TruncateUtf8(title, kMaxHeader)}, {"emoji", true}}}});
  size_t shown = 0;
  for (const Alert& a : n.alerts) {
    if (shown == kMaxAlertSections) break;
    ++shown;
    blocks.push_back(Json{{"type", "section"}, {"text", Mrkdwn(Section(ViewOf(a, n.created)))}});
  }
  if (shown < n.alerts.size()) {
    blocks.push_back(
        Json{{"type", "context"},
             {"elements", Json::array({Mrkdwn("and " + std::to_string(n.alerts.size() - shown) + " more")})}});
  }
  if (!n.inhibited.empty()) {
    std::string text = "_" + MrkdwnEscape(HeldBackIntro(n)) + ":_ ";
    for (size_t i = 0; i < n.inhibited.size(); ++i)
      text += (i == 0 ? "" : ", ") + MrkdwnEscape(AlertTitle(n.inhibited[i]));
    blocks.push_back(Json{{"type", "context"}, {"elements", Json::array({Mrkdwn(text)})}});
  }
  msg["blocks"] = std::move(blocks);
  HttpRequest req;
  req.method = "POST";
  req.url = config.url;
  req.headers = {{"Content-Type", "application/json"}, {"User-Agent", "csoc"}};
  req.body = msg.dump(-1, ' ', false, Json::error_handler_t::replace);
  return req;
}

SlackReceiver::SlackReceiver(std::string name, bool send_resolved, Config config)
    : Receiver(std::move(name), send_resolved), config_(std::move(config)) {}

DeliveryResult SlackReceiver::Send(const Notification& notification, std::chrono::milliseconds timeout) const {
  return SendHttp(BuildRequest(notification, config_), timeout);
}

ReceiverType Type() {
  return ReceiverType{"slack",
                      {{"url", OptionKind::kSecret, true, "the incoming webhook's https URL"},
                       {"channel", OptionKind::kString, false, "channel to post to instead of the webhook's own"},
                       {"username", OptionKind::kString, false, "name to post as instead of the webhook's own"}},
                      [](const ReceiverConfig& rc, std::vector<OptionError>* errors) -> std::unique_ptr<Receiver> {
                        std::optional<Config> c = Config::From(rc, errors);
                        if (!c) return nullptr;
                        return std::make_unique<SlackReceiver>(rc.name, rc.send_resolved, std::move(*c));
                      }};
}

}  // namespace csoc::alert::receivers::slack

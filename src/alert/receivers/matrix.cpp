#include "alert/receivers/matrix.h"

#include <cctype>
#include <nlohmann/json.hpp>

#include "alert/receivers/options.h"
#include "alert/receivers/text.h"

namespace csoc::alert::receivers::matrix {

namespace {

using Json = nlohmann::ordered_json;

// "!opaque:server.name" (the server part may carry a port): a room *alias* ("#room:server") or a
// bare name would be answered 404 on every attempt, so it is refused when the config is loaded.
bool LooksLikeRoomId(const std::string& id) {
  if (id.size() < 4 || id.front() != '!') return false;
  size_t colon = id.find(':');
  if (colon == std::string::npos || colon == 1 || colon + 1 == id.size()) return false;
  for (unsigned char c : id) {
    if (c <= 0x20 || c == 0x7f || c == '/') return false;
  }
  return true;
}

}  // namespace

std::string PathSegment(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    }
  }
  return out;
}

std::optional<Config> Config::From(const ReceiverConfig& rc, std::vector<OptionError>* errors) {
  OptionReader r(rc, errors);
  Config c;
  c.homeserver = r.Url("homeserver", /*https_only=*/true);
  while (!c.homeserver.empty() && c.homeserver.back() == '/') c.homeserver.pop_back();
  if (c.homeserver.find_first_of("?#") != std::string::npos)
    r.Error("homeserver", "must be a base URL without query or fragment");
  c.room_id = r.String("room_id", true);
  if (!c.room_id.empty() && !LooksLikeRoomId(c.room_id)) {
    r.Error("room_id", "must be a room id like !abc123:example.org (not an alias like #room:example.org)");
  }
  c.access_token = r.String("access_token", true);
  if (!r.ok()) return std::nullopt;
  return c;
}

HttpRequest BuildRequest(const Notification& n, const Config& config) {
  // A homeserver refuses events over 64 KiB (with 413, which would give up): list fewer alerts
  // until the event fits, down to one.
  std::string dumped;
  for (size_t listed = kMaxAlerts;; listed /= 2) {
    Json body{{"msgtype", "m.text"},
              {"body", RenderPlainText(n, listed)},
              {"format", "org.matrix.custom.html"},
              {"formatted_body", RenderHtml(n, listed)}};
    dumped = body.dump(-1, ' ', false, Json::error_handler_t::replace);
    if (dumped.size() <= kMaxBody || listed <= 1) break;
  }
  HttpRequest req;
  req.method = "PUT";
  req.url = config.homeserver + "/_matrix/client/v3/rooms/" + PathSegment(config.room_id) + "/send/m.room.message/" +
            PathSegment(n.id);
  req.headers = {
      {"Authorization", "Bearer " + config.access_token}, {"Content-Type", "application/json"}, {"User-Agent", "csoc"}};
  req.body = std::move(dumped);
  return req;
}

MatrixReceiver::MatrixReceiver(std::string name, bool send_resolved, Config config)
    : Receiver(std::move(name), send_resolved), config_(std::move(config)) {}

DeliveryResult MatrixReceiver::Send(const Notification& notification, std::chrono::milliseconds timeout) const {
  return SendHttp(BuildRequest(notification, config_), timeout, {config_.access_token});
}

ReceiverType Type() {
  return ReceiverType{"matrix",
                      {{"homeserver", OptionKind::kString, true, "the homeserver's https base URL"},
                       {"room_id", OptionKind::kString, true, "the room's id, !opaque:server (not an alias)"},
                       {"access_token", OptionKind::kSecret, true, "the sending user's access token"}},
                      [](const ReceiverConfig& rc, std::vector<OptionError>* errors) -> std::unique_ptr<Receiver> {
                        std::optional<Config> c = Config::From(rc, errors);
                        if (!c) return nullptr;
                        return std::make_unique<MatrixReceiver>(rc.name, rc.send_resolved, std::move(*c));
                      }};
}

}  // namespace csoc::alert::receivers::matrix

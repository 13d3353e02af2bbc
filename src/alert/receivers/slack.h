// The Slack receiver: a message to an incoming webhook, as Block Kit blocks with a plain "text"
// fallback (shown in notifications and by clients without blocks). A header with the state emoji
// and the group title, a section per alert (at most 10, then "and N more") with its summary,
// scope, evidence, times and links, and a context block naming the inhibited alerts.
//
// Slack's limits are respected by cutting text at UTF-8 boundaries: header text ≤ 150 characters,
// section and context text ≤ 3000, at most 50 blocks (this layout uses at most 13).
//
// Idempotency: Slack's incoming webhooks have none; a duplicate after a crash is posted twice.
//
// Threading: Config and BuildRequest are plain values and a pure function; the Receiver is
// immutable and its Send may run on several threads at once.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "alert/receiver.h"
#include "alert/receivers/http.h"

namespace csoc::alert::receivers::slack {

struct Config {
  std::string url;       // secret: the webhook's path is its token
  std::string channel;   // empty: the webhook's own channel
  std::string username;  // empty: the webhook's own name

  static std::optional<Config> From(const ReceiverConfig& config, std::vector<OptionError>* errors);
};

inline constexpr size_t kMaxAlertSections = 10;

HttpRequest BuildRequest(const Notification& n, const Config& config);

// Escapes text for Slack's mrkdwn (& < >), which otherwise reads "<...>" as a link or mention.
std::string MrkdwnEscape(std::string_view text);

class SlackReceiver : public Receiver {
 public:
  SlackReceiver(std::string name, bool send_resolved, Config config);
  std::string_view type() const override { return "slack"; }
  DeliveryResult Send(const Notification& notification, std::chrono::milliseconds timeout) const override;

 private:
  Config config_;
};

ReceiverType Type();

}  // namespace csoc::alert::receivers::slack

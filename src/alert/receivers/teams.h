// The Microsoft Teams receiver: a message to an incoming webhook (a Workflows "post to a channel
// when a webhook request is received" URL, or a legacy connector URL) carrying one Adaptive Card
// (version 1.4): a title with the state emoji and the group title, a container per alert (at most
// 10, then "and N more") with its summary, facts (scope, evidence, times) and links, a line naming
// the inhibited alerts, and Action.OpenUrl buttons for csoc and the group's common dashboard and
// runbook.
//
// Idempotency: Teams webhooks have none; a duplicate after a crash is posted twice.
//
// Threading: Config and BuildRequest are plain values and a pure function; the Receiver is
// immutable and its Send may run on several threads at once.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "alert/receiver.h"
#include "alert/receivers/http.h"

namespace csoc::alert::receivers::teams {

struct Config {
  std::string url;  // secret: the webhook URL carries its signature

  static std::optional<Config> From(const ReceiverConfig& config, std::vector<OptionError>* errors);
};

inline constexpr size_t kMaxAlertContainers = 10;

HttpRequest BuildRequest(const Notification& n, const Config& config);

class TeamsReceiver : public Receiver {
 public:
  TeamsReceiver(std::string name, bool send_resolved, Config config);
  std::string_view type() const override { return "teams"; }
  DeliveryResult Send(const Notification& notification, std::chrono::milliseconds timeout) const override;

 private:
  Config config_;
};

ReceiverType Type();

}  // namespace csoc::alert::receivers::teams

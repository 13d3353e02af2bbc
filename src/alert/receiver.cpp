#include "alert/receiver.h"

#include "alert/receivers/email.h"
#include "alert/receivers/matrix.h"
#include "alert/receivers/slack.h"
#include "alert/receivers/teams.h"
#include "alert/receivers/webhook.h"

namespace csoc::alert {

DeliveryResult ClassifyHttpStatus(int http_status, std::string detail) {
  DeliveryResult r;
  r.http_status = http_status;
  r.detail = std::move(detail);
  if (http_status >= 200 && http_status < 300) {
    r.kind = DeliveryResult::Kind::kDelivered;
  } else if (http_status == 429 || http_status >= 500 || http_status == 0) {
    r.kind = DeliveryResult::Kind::kRetry;
  } else {
    r.kind = DeliveryResult::Kind::kGiveUp;
  }
  return r;
}

const std::vector<ReceiverType>& ReceiverTypes() {
  static const std::vector<ReceiverType> types = {
      receivers::webhook::Type(),  // Alertmanager-shaped JSON, optionally HMAC-signed
      receivers::slack::Type(),    // incoming webhook, Block Kit
      receivers::teams::Type(),    // incoming webhook, Adaptive Card
      receivers::matrix::Type(),   // client-server API room message
      receivers::email::Type(),    // SMTP through a smarthost
  };
  return types;
}

const ReceiverType* FindReceiverType(std::string_view type) {
  for (const ReceiverType& t : ReceiverTypes()) {
    if (t.type == type) return &t;
  }
  return nullptr;
}

}  // namespace csoc::alert

#include "alert/receiver.h"

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
  static const std::vector<ReceiverType> types = {};
  return types;
}

const ReceiverType* FindReceiverType(std::string_view type) {
  for (const ReceiverType& t : ReceiverTypes()) {
    if (t.type == type) return &t;
  }
  return nullptr;
}

}  // namespace csoc::alert

#include "alert/outbox_store.h"

namespace csoc::alert {

std::string_view OutboxStateName(OutboxState s) {
  switch (s) {
    case OutboxState::kPending:
      return "pending";
    case OutboxState::kInFlight:
      return "in_flight";
    case OutboxState::kDelivered:
      return "delivered";
    case OutboxState::kFailed:
      return "failed";
    case OutboxState::kExpired:
      return "expired";
  }
  return "pending";
}

bool IsFinal(OutboxState s) {
  return s == OutboxState::kDelivered || s == OutboxState::kFailed || s == OutboxState::kExpired;
}

std::string_view DeliveryKindName(DeliveryResult::Kind kind) {
  switch (kind) {
    case DeliveryResult::Kind::kDelivered:
      return "delivered";
    case DeliveryResult::Kind::kRetry:
      return "retry";
    case DeliveryResult::Kind::kGiveUp:
      return "give_up";
  }
  return "retry";
}

}  // namespace csoc::alert

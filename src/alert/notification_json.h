// The JSON form of a Notification (and of its alerts): how the outbox stores a notification and how
// the API's delivery log shows one. Times are Unix milliseconds (`*_ms`, 0 for "none", as in
// Alert::ends_at), so a notification read back equals the one written, to the millisecond.
// Label and annotation values that are not valid UTF-8 have the bad bytes replaced (U+FFFD): JSON
// cannot carry them, and every input path of csoc already requires UTF-8.
//
// Threading: pure functions.
#pragma once

#include <nlohmann/json.hpp>

#include "alert/alert.h"
#include "core/status.h"

namespace csoc::alert {

// {"labels", "annotations", "starts_at_ms", "ends_at_ms", "generator_url", "source", "fingerprint"}.
// "fingerprint" (16 hex digits of the labels) is for readers; AlertFromJson ignores it.
nlohmann::json AlertToJson(const Alert& alert);
Status AlertFromJson(const nlohmann::json& json, Alert* out);

// {"id", "receiver", "group_key", "group_labels", "common_labels", "common_annotations", "status"
// ("firing" | "resolved"), "alerts", "inhibited", "external_url", "created_ms", "test"}.
nlohmann::json NotificationToJson(const Notification& notification);
// InvalidArgument naming the first field that is missing or of the wrong type.
Status NotificationFromJson(const nlohmann::json& json, Notification* out);

// The stored text: NotificationToJson, compact, with invalid UTF-8 replaced.
std::string NotificationToText(const Notification& notification);
// InvalidArgument when `text` is not JSON or not a notification.
Status NotificationFromText(std::string_view text, Notification* out);

}  // namespace csoc::alert

// The Matrix receiver: one room message through the client-server API,
//   PUT {homeserver}/_matrix/client/v3/rooms/{roomId}/send/m.room.message/{txnId}
// with `Authorization: Bearer <access_token>` and an m.text body in plain text and HTML
// (org.matrix.custom.html), both rendered by text.h (at most 10 alerts, then "and N more";
// fewer when the event would not fit in the homeserver's 64 KiB).
//
// Idempotency: the notification id is the transaction id. A homeserver answers a repeated PUT with
// the same txnId (from the same access token's device) with the event it already sent, so a retry
// or a duplicate after a crash does not post twice.
//
// Threading: Config and BuildRequest are plain values and a pure function; the Receiver is
// immutable and its Send may run on several threads at once.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "alert/receiver.h"
#include "alert/receivers/http.h"

namespace csoc::alert::receivers::matrix {

struct Config {
  std::string homeserver;    // https base URL, without a trailing '/'
  std::string room_id;       // "!opaque:server"
  std::string access_token;  // secret

  static std::optional<Config> From(const ReceiverConfig& config, std::vector<OptionError>* errors);
};

inline constexpr size_t kMaxAlerts = 10;
// The body's budget, leaving room under the 64 KiB event limit for the event's own envelope.
inline constexpr size_t kMaxBody = 60000;

HttpRequest BuildRequest(const Notification& n, const Config& config);

// Percent-encodes everything but RFC 3986's unreserved characters, for one path segment.
std::string PathSegment(std::string_view text);

class MatrixReceiver : public Receiver {
 public:
  MatrixReceiver(std::string name, bool send_resolved, Config config);
  std::string_view type() const override { return "matrix"; }
  DeliveryResult Send(const Notification& notification, std::chrono::milliseconds timeout) const override;

 private:
  Config config_;
};

ReceiverType Type();

}  // namespace csoc::alert::receivers::matrix

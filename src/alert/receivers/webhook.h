// The generic webhook receiver: POSTs a JSON body shaped like Alertmanager's webhook payload
// (version "4"), plus csoc's fields (notificationId, inhibitedAlerts, test), so tools written for
// Alertmanager read it unchanged. docs/alerting.md documents the body field by field.
//
// Idempotency: the notification id travels as the `Idempotency-Key` header and the body's
// `notificationId`; a retry or a duplicate after a crash carries the same key.
//
// Signing (optional hmac_secret): `X-Csoc-Timestamp: <unix seconds>` and
// `X-Csoc-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">`. The timestamp is inside the
// MAC (as Stripe does) so a captured request cannot be replayed later with a fresh timestamp; a
// verifier rejects timestamps older than a few minutes and deduplicates by Idempotency-Key. Each
// attempt is signed when it is sent, so a retry after a long outage still carries a fresh
// timestamp.
//
// Threading: Config and the builders are plain values and pure functions; the Receiver is
// immutable and its Send may run on several threads at once.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "alert/receiver.h"
#include "alert/receivers/http.h"

namespace csoc::alert::receivers::webhook {

struct Config {
  std::string url;                             // secret: often carries a token
  std::map<std::string, std::string> headers;  // extra headers
  std::string hmac_secret;                     // empty: unsigned
  int64_t max_alerts = 0;                      // 0: all

  // Validates the options; on a problem appends OptionErrors naming the key and returns nullopt.
  static std::optional<Config> From(const ReceiverConfig& config, std::vector<OptionError>* errors);
};

// The unsigned request: POST url with Content-Type, User-Agent, Idempotency-Key, the extra
// headers, and the JSON body.
HttpRequest BuildRequest(const Notification& n, const Config& config);

// "sha256=<lower-case hex HMAC-SHA256 with key `secret` of `<unix_seconds>.<body>`>".
std::string Signature(const std::string& secret, int64_t unix_seconds, const std::string& body);

// `request` with X-Csoc-Timestamp and X-Csoc-Signature appended.
HttpRequest Sign(HttpRequest request, const std::string& secret, int64_t unix_seconds);

class WebhookReceiver : public Receiver {
 public:
  WebhookReceiver(std::string name, bool send_resolved, Config config);
  std::string_view type() const override { return "webhook"; }
  DeliveryResult Send(const Notification& notification, std::chrono::milliseconds timeout) const override;

 private:
  Config config_;
};

// The registration entry for ReceiverTypes().
ReceiverType Type();

}  // namespace csoc::alert::receivers::webhook

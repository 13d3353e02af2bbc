#include "alert/receivers/webhook.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <strings.h>

#include <cctype>
#include <memory>
#include <nlohmann/json.hpp>

#include "alert/receivers/options.h"
#include "core/time.h"

namespace csoc::alert::receivers::webhook {

namespace {

using Json = nlohmann::ordered_json;

// Headers csoc sets itself (or libcurl does); an extra header must not replace them, or a
// receiver could no longer trust the idempotency key or the signature.
constexpr const char* kReserved[] = {"content-type",      "content-length",   "host",
                                     "transfer-encoding", "expect",           "user-agent",
                                     "idempotency-key",   "x-csoc-signature", "x-csoc-timestamp"};

bool IsTokenChar(unsigned char c) {
  return std::isalnum(c) || std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
}

// Alertmanager writes Go's zero time for an alert with no end.
std::string Rfc3339OrZero(TimePoint t) { return t == TimePoint{} ? "0001-01-01T00:00:00Z" : FormatIso8601(t); }

Json LabelsJson(const LabelSet& set) {
  Json j = Json::object();
  for (const auto& [k, v] : set) j[k] = v;
  return j;
}

Json AlertJson(const Alert& a, TimePoint now) {
  return Json{{"status", a.FiringAt(now) ? "firing" : "resolved"},
              {"labels", LabelsJson(a.labels)},
              {"annotations", LabelsJson(a.annotations)},
              {"startsAt", Rfc3339OrZero(a.starts_at)},
              {"endsAt", Rfc3339OrZero(a.ends_at)},
              {"generatorURL", a.generator_url},
              {"fingerprint", FingerprintHex(Fingerprint(a.labels))}};
}

}  // namespace

std::optional<Config> Config::From(const ReceiverConfig& rc, std::vector<OptionError>* errors) {
  OptionReader r(rc, errors);
  Config c;
  // Plain http is allowed: a webhook often goes to a service inside the same network.
  c.url = r.Url("url", /*https_only=*/false);
  c.headers = r.StringMap("headers");
  c.hmac_secret = r.String("hmac_secret", false);
  c.max_alerts = r.Int("max_alerts", 0);
  if (c.max_alerts < 0) r.Error("max_alerts", "must be 0 (all) or more");
  for (const auto& [name, value] : c.headers) {
    bool token = !name.empty();
    for (unsigned char ch : name) token = token && IsTokenChar(ch);
    if (!token) {
      r.Error("headers", "'" + name + "' is not a valid header name");
      continue;
    }
    for (const char* reserved : kReserved) {
      if (strcasecmp(name.c_str(), reserved) == 0)
        r.Error("headers", "'" + name + "' is set by csoc and cannot be replaced");
    }
    if (value.find_first_of("\r\n", 0) != std::string::npos || value.find('\0') != std::string::npos) {
      r.Error("headers", "the value of '" + name + "' must be one line");
    }
  }
  // Given but empty (an unset environment variable): refusing beats silently sending unsigned.
  auto secret = rc.options.find("hmac_secret");
  if (secret != rc.options.end() && std::holds_alternative<std::string>(secret->second) && c.hmac_secret.empty()) {
    r.Error("hmac_secret", "must not be empty");
  }
  if (!r.ok()) return std::nullopt;
  return c;
}

HttpRequest BuildRequest(const Notification& n, const Config& config) {
  size_t limit = config.max_alerts > 0 ? static_cast<size_t>(config.max_alerts) : n.alerts.size();
  Json alerts = Json::array();
  for (size_t i = 0; i < n.alerts.size() && i < limit; ++i) alerts.push_back(AlertJson(n.alerts[i], n.created));
  Json inhibited = Json::array();
  for (const Alert& a : n.inhibited) inhibited.push_back(AlertJson(a, n.created));
  Json body{{"version", "4"},
            {"groupKey", n.group_key},
            {"truncatedAlerts", n.alerts.size() - alerts.size()},
            {"status", n.firing ? "firing" : "resolved"},
            {"receiver", n.receiver},
            {"groupLabels", LabelsJson(n.group_labels)},
            {"commonLabels", LabelsJson(n.common_labels)},
            {"commonAnnotations", LabelsJson(n.common_annotations)},
            {"externalURL", n.external_url},
            {"alerts", std::move(alerts)},
            {"notificationId", n.id},
            {"inhibitedAlerts", std::move(inhibited)},
            {"test", n.test}};
  HttpRequest req;
  req.method = "POST";
  req.url = config.url;
  req.headers = {{"Content-Type", "application/json"}, {"User-Agent", "csoc"}, {"Idempotency-Key", n.id}};
  for (const auto& [name, value] : config.headers) req.headers.emplace_back(name, value);
  // Label text is not guaranteed to be UTF-8; invalid bytes become U+FFFD instead of failing.
  req.body = body.dump(-1, ' ', false, Json::error_handler_t::replace);
  return req;
}

std::string Signature(const std::string& secret, int64_t unix_seconds, const std::string& body) {
  std::string signed_text = std::to_string(unix_seconds) + "." + body;
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(signed_text.data()), signed_text.size(), mac, &mac_len);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "sha256=";
  for (unsigned int i = 0; i < mac_len; ++i) {
    out += kHex[mac[i] >> 4];
    out += kHex[mac[i] & 0xf];
  }
  return out;
}

HttpRequest Sign(HttpRequest request, const std::string& secret, int64_t unix_seconds) {
  request.headers.emplace_back("X-Csoc-Timestamp", std::to_string(unix_seconds));
  request.headers.emplace_back("X-Csoc-Signature", Signature(secret, unix_seconds, request.body));
  return request;
}

WebhookReceiver::WebhookReceiver(std::string name, bool send_resolved, Config config)
    : Receiver(std::move(name), send_resolved), config_(std::move(config)) {}

DeliveryResult WebhookReceiver::Send(const Notification& notification, std::chrono::milliseconds timeout) const {
  HttpRequest req = BuildRequest(notification, config_);
  if (!config_.hmac_secret.empty()) req = Sign(std::move(req), config_.hmac_secret, ToUnixMillis(Clock::now()) / 1000);
  std::vector<std::string> secrets = {config_.hmac_secret};
  // Extra headers often carry credentials ("Authorization: Bearer ...").
  for (const auto& [name, value] : config_.headers) secrets.push_back(value);
  return SendHttp(req, timeout, secrets);
}

ReceiverType Type() {
  return ReceiverType{
      "webhook",
      {{"url", OptionKind::kSecret, true, "http(s) URL the JSON body is POSTed to (may carry a token)"},
       {"headers", OptionKind::kStringMap, false, "extra HTTP headers"},
       {"hmac_secret", OptionKind::kSecret, false,
        "key for the X-Csoc-Signature HMAC-SHA256 of \"<timestamp>.<body>\""},
       {"max_alerts", OptionKind::kInt, false, "at most this many alerts in the body; 0 (default): all"}},
      [](const ReceiverConfig& rc, std::vector<OptionError>* errors) -> std::unique_ptr<Receiver> {
        std::optional<Config> c = Config::From(rc, errors);
        if (!c) return nullptr;
        return std::make_unique<WebhookReceiver>(rc.name, rc.send_resolved, std::move(*c));
      }};
}

}  // namespace csoc::alert::receivers::webhook

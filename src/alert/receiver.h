// Receivers: where notifications go (Slack, a generic webhook, e-mail, Matrix, Microsoft Teams).
// Each receiver type is one small unit in alert/receivers/ (a file pair: its Config, a pure
// payload builder that tests pin exactly, and its Receiver), registered in ONE table,
// ReceiverTypes(): the config loader validates a receiver's options against its type's entry and
// the runtime builds receivers from the same entry, so adding a type is one file pair plus one
// line in the table.
//
// Secrets (webhook URLs with tokens, passwords, HMAC keys, access tokens) come from the
// environment (${NAME}) or from a file (`<key>_file`); they never appear in logs, pages, API
// answers or in a DeliveryResult's detail.
//
// Threading: a Receiver is immutable once built; Send may be called from several delivery threads
// at once.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "alert/alert.h"
#include "fleet/alerting.h"

namespace csoc::alert {

// The outcome of one delivery attempt. The shared rule for HTTP answers (ClassifyHttpStatus):
// 2xx delivered; 429, 5xx and transport errors retry; other 4xx give up (sending the same request
// again cannot succeed).
struct DeliveryResult {
  enum class Kind { kDelivered, kRetry, kGiveUp };
  Kind kind = Kind::kRetry;
  int http_status = 0;  // 0 when not HTTP or no answer
  std::string detail;   // for the delivery log: never contains a secret (URL, token, password)
};
DeliveryResult ClassifyHttpStatus(int http_status, std::string detail);

class Receiver {
 public:
  virtual ~Receiver() = default;
  virtual std::string_view type() const = 0;
  const std::string& name() const { return name_; }
  bool send_resolved() const { return send_resolved_; }
  // One attempt, blocking for at most `timeout`.
  virtual DeliveryResult Send(const Notification& notification, std::chrono::milliseconds timeout) const = 0;

 protected:
  Receiver(std::string name, bool send_resolved) : name_(std::move(name)), send_resolved_(send_resolved) {}

 private:
  std::string name_;
  bool send_resolved_;
};

// A receiver's options as the config loader read them (after ${NAME} expansion and reading
// `<key>_file` for secret keys). Which keys exist and of what kind is the type's ReceiverType entry.
// The config types live in the fleet model (fleet/alerting.h), which the loader fills.
using OptionValue = fleet::ReceiverOption;
using ReceiverConfig = fleet::ReceiverSettings;

enum class OptionKind {
  kString,  // a plain string
  kSecret,  // a string that must come from ${NAME} or `<key>_file`; never shown
  kBool,
  kInt,
  kDuration,  // a duration string ("10s"), read into int64_t milliseconds
  kStringList,
  kStringMap,  // e.g. extra HTTP headers
};

struct OptionSpec {
  std::string_view key;
  OptionKind kind;
  bool required;
  std::string_view help;  // one line for the configuration reference
};

// A problem with one option, for a located config error ("receivers[2].url: ...").
struct OptionError {
  std::string key;  // the option's key; empty: the receiver as a whole
  std::string message;
};

struct ReceiverType {
  std::string_view type;  // "slack", "webhook", "email", "matrix", "teams"
  std::vector<OptionSpec> options;
  // Validates the options beyond their kinds (URL scheme, addresses, ranges) and builds the
  // receiver; on any problem appends errors and returns null.
  std::function<std::unique_ptr<Receiver>(const ReceiverConfig&, std::vector<OptionError>*)> make;
};

// The one registration table.
const std::vector<ReceiverType>& ReceiverTypes();
const ReceiverType* FindReceiverType(std::string_view type);

}  // namespace csoc::alert

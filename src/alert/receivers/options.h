// Reading a receiver's options (ReceiverConfig::options) into a type's Config: typed getters that
// record an OptionError naming the key when an option is missing, of the wrong kind or invalid,
// and the URL checks every HTTP receiver shares. Every receiver's Config::From is written with
// these, so the messages read alike across types.
//
// Threading: an OptionReader is used by one thread while a config is validated.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "alert/receiver.h"

namespace csoc::alert::receivers {

// The parts of an http(s) URL the receivers need.
struct UrlParts {
  std::string scheme;  // lower case: "http" or "https"
  std::string host;    // without IPv6 brackets
};

// Parses `url` with libcurl's URL parser. Returns nullopt unless it is an absolute http(s) URL
// with a host.
std::optional<UrlParts> ParseHttpUrl(const std::string& url);

// True for the names and addresses of this machine's loopback interface.
bool IsLoopbackHost(std::string_view host);

// The host of `url` for a delivery log line ("hooks.slack.com"); empty when it does not parse.
// Never the path, query or user info, which may carry tokens.
std::string UrlHost(const std::string& url);

class OptionReader {
 public:
  OptionReader(const ReceiverConfig& config, std::vector<OptionError>* errors) : config_(config), errors_(errors) {}

  // Each getter returns the value when present and of the right kind; when absent it returns an
  // empty value or `fallback` (and records "is required" when `required`); when of the wrong kind
  // it records an error and returns the same.
  std::string String(std::string_view key, bool required);
  bool Bool(std::string_view key, bool fallback);
  int64_t Int(std::string_view key, int64_t fallback);
  std::vector<std::string> StringList(std::string_view key, bool required);
  std::map<std::string, std::string> StringMap(std::string_view key);

  // An http(s) URL. `https_only`: plain http is accepted only to a loopback host (a local relay or
  // a test), because the request carries a secret in its URL or headers. Empty when invalid.
  std::string Url(std::string_view key, bool https_only);

  void Error(std::string_view key, std::string message);
  bool ok() const { return errors_->size() == errors_at_start_; }

 private:
  const OptionValue* Find(std::string_view key) const;

  const ReceiverConfig& config_;
  std::vector<OptionError>* errors_;
  size_t errors_at_start_ = errors_->size();
};

}  // namespace csoc::alert::receivers

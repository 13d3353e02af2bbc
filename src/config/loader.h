// The config loader's internals: the two passes over the YAML documents (collect, then build) and
// the parsers for each level of the fleet. Private to config/.
#pragma once

#include <yaml-cpp/yaml.h>

#include <chrono>
#include <deque>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/address.h"
#include "config/config.h"
#include "config/reader.h"
#include "fleet/model.h"

namespace csoc::config {

// The `defaults:` section: values for checks that do not set their own.
struct Defaults {
  std::optional<std::chrono::milliseconds> interval;
  std::optional<std::chrono::milliseconds> timeout;
  std::optional<int> failure_threshold;
  std::optional<int> success_threshold;
};

inline constexpr std::chrono::milliseconds kDefaultInterval{30'000};
inline constexpr std::chrono::milliseconds kDefaultTimeout{10'000};
inline constexpr std::chrono::milliseconds kMinInterval{100};
inline constexpr int kDefaultFailureThreshold = 2;
inline constexpr int kDefaultSuccessThreshold = 1;
inline constexpr int kMaxThreshold = 1000;

// Environment, service and check names: [a-z0-9][a-z0-9-_.]* (they form check ids and URLs).
bool IsValidName(std::string_view name);
// Reads a required name key and validates it; reports and returns nullopt when absent or invalid.
std::optional<Text> ReadName(Source& src, const MapFields& map, std::string_view context);

// What a check inherits from its environment and service.
struct CheckContext {
  std::string environment;
  std::string cluster;
  std::string hostname;         // may be empty
  std::optional<Url> base_url;  // the environment's base URL, when it has one
  std::string base_url_text;    // without a trailing '/'
  // base_url was given but is invalid (and reported): checks that need it fail without another error.
  bool base_url_broken = false;
  std::string service;
  const Defaults* defaults = nullptr;
};

// Parses one entry of a service's `checks:` list. `name` receives the check's name whenever it could
// be read, even if the check has other errors, so that duplicates are still found.
std::optional<fleet::Check> ParseCheck(Source& src, const Field& item, const CheckContext& ctx, std::string* name);

// The keys a check of each kind accepts (the common ones included).
const std::vector<std::string_view>& CheckKeyNames(fleet::CheckKind kind);

// Resolves a relative file name against the config file's directory and checks that it exists, so
// that a typo is a config error rather than a failure later.
std::optional<std::string> ReadFilePath(Source& src, const Field& f);

// Reads a listen address (host:port) into `out`; `example` goes into the error message.
void ReadListen(Source& src, const Field& f, std::string_view example, std::string* out);

// The `status_page:` section, checked against the environments of `fleet`.
void ParseStatusPage(Source& src, const Field& field, const fleet::Fleet& fleet, fleet::StatusPageSettings* out);

// The `logs:` section: access-log sources, checked against the environments of `fleet`.
void ParseLogs(Source& src, const Field& field, const fleet::Fleet& fleet, fleet::LogSettings* out);

class Loader {
 public:
  Loader(const EnvLookup& env, std::vector<ConfigError>* errors) : env_(env), errors_(errors) {}

  // A source file; the reference stays valid for the loader's lifetime.
  Source& AddSource(std::string file, std::filesystem::path base_dir);
  // First pass over one YAML document: the top-level keys; remembers settings, defaults and the
  // environment entries for Build().
  void AddDocument(Source& src, const YAML::Node& root);
  // Second pass: builds the fleet. `config_name` names the whole configuration in messages that
  // are about no file in particular. Returns nullopt when any error was reported.
  std::optional<fleet::Fleet> Build(const std::string& config_name);

 private:
  struct Located {
    Source* src;
    Field field;
  };
  void ParseSettings(const Located& at, fleet::Settings* out);
  void ParseDefaults(const Located& at);
  // `name` receives the name whenever it could be read (see ParseCheck).
  std::optional<fleet::Environment> ParseEnvironment(Source& src, const Field& item, std::string* name);
  std::optional<fleet::Service> ParseService(Source& src, const Field& item, const CheckContext& base,
                                             std::string* name);

  const EnvLookup& env_;
  std::vector<ConfigError>* errors_;
  std::deque<Source> sources_;
  std::optional<Located> settings_;
  std::optional<Located> defaults_field_;
  std::optional<Located> status_page_;
  std::optional<Located> logs_;
  Defaults defaults_;
  std::vector<Located> environments_;
};

}  // namespace csoc::config

// Typed reading of YAML nodes for the config loader: every value is checked for its type, strings
// get ${NAME} expansion, and every problem becomes a ConfigError at the node's position. A reader
// never stops at the first problem; a function returns nullopt when its value was unusable (and
// has reported why).
#pragma once

#include <yaml-cpp/yaml.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"

namespace csoc::config {

// One YAML document's source file and the error list shared by the whole load.
class Source {
 public:
  Source(std::string file, std::filesystem::path base_dir, const EnvLookup* env, std::vector<ConfigError>* errors)
      : file_(std::move(file)), base_dir_(std::move(base_dir)), env_(env), errors_(errors) {}

  const std::string& file() const { return file_; }
  // Relative file references (ca_file) are resolved against this directory.
  const std::filesystem::path& base_dir() const { return base_dir_; }
  const EnvLookup& env() const { return *env_; }

  void Error(const YAML::Mark& mark, std::string message);
  // Nodes that a preset generated have no position; problems in them are reported at the preset's
  // key instead while a FallbackScope is alive.
  class FallbackScope {
   public:
    FallbackScope(Source& src, const YAML::Mark& mark) : src_(src), saved_(src.fallback_) { src.fallback_ = mark; }
    ~FallbackScope() { src_.fallback_ = saved_; }
    FallbackScope(const FallbackScope&) = delete;
    FallbackScope& operator=(const FallbackScope&) = delete;

   private:
    Source& src_;
    YAML::Mark saved_;
  };
  // "file:line:column" of a mark, for messages that point at another place.
  std::string Where(const YAML::Mark& mark) const;

 private:
  std::string file_;
  std::filesystem::path base_dir_;
  const EnvLookup* env_;
  std::vector<ConfigError>* errors_;
  YAML::Mark fallback_ = YAML::Mark::null_mark();
};

// A key and its value. For a list item, `name` is "key[i]" (0-based) and `key` the list's key node.
struct Field {
  std::string name;
  YAML::Node key;
  YAML::Node value;
  // Where to report a problem with the value: the value itself, or its key when the value is empty
  // (yaml-cpp places an empty value at the start of the next line).
  YAML::Mark mark() const;
};

// "nothing", "a list", "a map" or the quoted scalar, for "expected X, found Y" messages.
std::string Describe(const YAML::Node& node);

// A string value after ${NAME} expansion.
struct Text {
  std::string value;
  std::string raw;  // as written
  bool from_env = false;
  YAML::Mark mark;
  // For messages: the raw text when the value came from the environment (it may be a secret).
  const std::string& Shown() const { return from_env ? raw : value; }
};

// The entries of a YAML map, keyed by name, in document order. Handles YAML merge keys ("<<: *a"),
// where explicitly written keys win over merged ones.
struct MapFields {
  std::vector<Field> fields;
  YAML::Mark mark;  // of the map itself

  const Field* Get(std::string_view key) const;
};

// Reads `node` as a map; `what` ("a map of headers") is used for the type error. Reports duplicate
// and non-string keys; the caller checks the key names with CheckKeys.
std::optional<MapFields> ReadMap(Source& src, const YAML::Node& node, const YAML::Mark& mark, std::string_view what);
// The same for a field's value; a type error names the field.
std::optional<MapFields> ReadMap(Source& src, const Field& f, std::string_view what);

// Reports every key that is not in `allowed`, as "unknown key 'x' in <context> (did you mean 'y'?)".
// `elsewhere(key)` may return a better explanation for a key that is valid in another variant
// ("applies to tcp and tls checks, not http").
void CheckKeys(Source& src, const MapFields& map, std::string_view context,
               const std::vector<std::string_view>& allowed,
               const std::function<std::string(std::string_view)>& elsewhere = nullptr);

// Reports "<context> is missing required key '<key>'" at the map and returns null when absent.
const Field* Require(Source& src, const MapFields& map, std::string_view key, std::string_view context);

std::optional<Text> ReadString(Source& src, const Field& f);
std::optional<bool> ReadBool(Source& src, const Field& f);
std::optional<int64_t> ReadInt(Source& src, const Field& f, int64_t min, int64_t max);
// A duration such as "30s" or "1m30s" of at least `min`.
std::optional<std::chrono::milliseconds> ReadDuration(Source& src, const Field& f,
                                                      std::chrono::milliseconds min = std::chrono::milliseconds(1));
std::optional<uint16_t> ReadPort(Source& src, const Field& f);
// The items of a list, as fields named "key[i]"; nullopt (reported) when the value is not a list.
std::optional<std::vector<Field>> ReadList(Source& src, const Field& f, std::string_view what);
std::optional<std::vector<Text>> ReadStringList(Source& src, const Field& f);

}  // namespace csoc::config

#include "config/reader.h"

#include <fmt/format.h>

#include <charconv>
#include <set>

#include "config/expand.h"
#include "config/suggest.h"
#include "core/time.h"

namespace csoc::config {

namespace {

bool HasMark(const YAML::Mark& m) { return m.line >= 0; }

}  // namespace

void Source::Error(const YAML::Mark& mark, std::string message) {
  const YAML::Mark& m = HasMark(mark) ? mark : fallback_;
  ConfigError e;
  e.file = file_;
  if (HasMark(m)) {
    e.line = m.line + 1;
    e.column = m.column + 1;
  }
  e.message = std::move(message);
  errors_->push_back(std::move(e));
}

std::string Source::Where(const YAML::Mark& mark) const {
  if (!HasMark(mark)) return file_;
  return fmt::format("{}:{}:{}", file_, mark.line + 1, mark.column + 1);
}

YAML::Mark Field::mark() const {
  if (value && !value.IsNull() && HasMark(value.Mark())) return value.Mark();
  if (key) return key.Mark();
  return value ? value.Mark() : YAML::Mark::null_mark();
}

std::string Describe(const YAML::Node& node) {
  if (!node || node.IsNull()) return "nothing";
  if (node.IsSequence()) return "a list";
  if (node.IsMap()) return "a map";
  const std::string& s = node.Scalar();
  if (s.size() > 40) return "'" + s.substr(0, 37) + "...'";
  return "'" + s + "'";
}

const Field* MapFields::Get(std::string_view key) const {
  for (const Field& f : fields) {
    if (f.name == key) return &f;
  }
  return nullptr;
}

namespace {

std::optional<MapFields> ReadMapOf(Source& src, const YAML::Node& node, const YAML::Mark& mark, std::string_view prefix,
                                   std::string_view what) {
  if (!node || !node.IsMap()) {
    src.Error(node && !node.IsNull() ? node.Mark() : mark,
              fmt::format("{}expected {}, found {}", prefix, what, Describe(node)));
    return std::nullopt;
  }
  MapFields out;
  out.mark = node.Mark();
  std::vector<YAML::Node> merges;
  for (auto it = node.begin(); it != node.end(); ++it) {
    // Copies: yaml-cpp's operator-> returns a temporary proxy, so a reference into it would dangle.
    YAML::Node key = it->first;
    YAML::Node value = it->second;
    if (!key.IsScalar()) {
      src.Error(key.Mark(), fmt::format("a key must be a plain name, found {}", Describe(key)));
      continue;
    }
    if (key.Scalar() == "<<" && key.Tag() == "?") {
      merges.push_back(value);
      continue;
    }
    if (const Field* first = out.Get(key.Scalar())) {
      src.Error(key.Mark(),
                fmt::format("duplicate key '{}' (first at {})", key.Scalar(), src.Where(first->key.Mark())));
      continue;
    }
    out.fields.push_back(Field{key.Scalar(), key, value});
  }
  // YAML merge keys (yaml-cpp 0.7 does not resolve them): "<<: *base" or "<<: [*a, *b]", where
  // keys written in the map itself and earlier merged maps win.
  for (const YAML::Node& merge : merges) {
    std::vector<YAML::Node> sources;
    if (merge.IsSequence()) {
      for (const YAML::Node& item : merge) sources.push_back(item);
    } else {
      sources.push_back(merge);
    }
    for (const YAML::Node& m : sources) {
      std::optional<MapFields> merged = ReadMapOf(src, m, merge.Mark(), "<<: ", "a map (or a list of maps) to merge");
      if (!merged) continue;
      for (Field& f : merged->fields) {
        if (!out.Get(f.name)) out.fields.push_back(std::move(f));
      }
    }
  }
  return out;
}

}  // namespace

std::optional<MapFields> ReadMap(Source& src, const YAML::Node& node, const YAML::Mark& mark, std::string_view what) {
  return ReadMapOf(src, node, mark, "", what);
}

std::optional<MapFields> ReadMap(Source& src, const Field& f, std::string_view what) {
  return ReadMapOf(src, f.value, f.mark(), f.name + ": ", what);
}

void CheckKeys(Source& src, const MapFields& map, std::string_view context,
               const std::vector<std::string_view>& allowed,
               const std::function<std::string(std::string_view)>& elsewhere) {
  for (const Field& f : map.fields) {
    bool known = false;
    for (std::string_view a : allowed) known = known || a == f.name;
    if (known) continue;
    std::string explanation = elsewhere ? elsewhere(f.name) : "";
    if (!explanation.empty()) {
      src.Error(f.key.Mark(), fmt::format("key '{}' {}", f.name, explanation));
      continue;
    }
    std::string suggestion = Suggest(f.name, allowed);
    if (!suggestion.empty()) {
      src.Error(f.key.Mark(), fmt::format("unknown key '{}' in {} (did you mean '{}'?)", f.name, context, suggestion));
    } else {
      src.Error(f.key.Mark(), fmt::format("unknown key '{}' in {} (expected {})", f.name, context, JoinOr(allowed)));
    }
  }
}

const Field* Require(Source& src, const MapFields& map, std::string_view key, std::string_view context) {
  const Field* f = map.Get(key);
  if (!f) src.Error(map.mark, fmt::format("{} is missing required key '{}'", context, key));
  return f;
}

std::optional<Text> ReadString(Source& src, const Field& f) {
  if (!f.value || !f.value.IsScalar()) {
    src.Error(f.mark(), fmt::format("{}: expected a string, found {}", f.name, Describe(f.value)));
    return std::nullopt;
  }
  Text t;
  t.raw = f.value.Scalar();
  t.mark = f.mark();
  Expanded expanded;
  Status s = ExpandEnv(t.raw, src.env(), &expanded);
  if (!s.ok()) {
    src.Error(t.mark, fmt::format("{}: {}", f.name, s.message()));
    return std::nullopt;
  }
  t.value = std::move(expanded.text);
  t.from_env = expanded.used_env;
  return t;
}

namespace {

// The scalar of a typed value (a number, boolean or duration), expanded; reports `expected` when the
// node is not a scalar.
std::optional<Text> ReadTypedScalar(Source& src, const Field& f, std::string_view expected) {
  if (!f.value || !f.value.IsScalar()) {
    src.Error(f.mark(), fmt::format("{}: expected {}, found {}", f.name, expected, Describe(f.value)));
    return std::nullopt;
  }
  return ReadString(src, f);
}

}  // namespace

std::optional<bool> ReadBool(Source& src, const Field& f) {
  std::optional<Text> t = ReadTypedScalar(src, f, "true or false");
  if (!t) return std::nullopt;
  // Only the YAML 1.2 spellings: "yes", "on" and "y" are not booleans here (the "Norway problem").
  static const std::set<std::string> kTrue = {"true", "True", "TRUE"};
  static const std::set<std::string> kFalse = {"false", "False", "FALSE"};
  if (kTrue.count(t->value)) return true;
  if (kFalse.count(t->value)) return false;
  src.Error(t->mark, fmt::format("{}: expected true or false, found '{}'", f.name, t->Shown()));
  return std::nullopt;
}

std::optional<int64_t> ReadInt(Source& src, const Field& f, int64_t min, int64_t max) {
  std::string expected = fmt::format("an integer from {} to {}", min, max);
  std::optional<Text> t = ReadTypedScalar(src, f, expected);
  if (!t) return std::nullopt;
  int64_t value = 0;
  const std::string& s = t->value;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size() || value < min || value > max) {
    src.Error(t->mark, fmt::format("{}: expected {}, found '{}'", f.name, expected, t->Shown()));
    return std::nullopt;
  }
  return value;
}

std::optional<std::chrono::milliseconds> ReadDuration(Source& src, const Field& f, std::chrono::milliseconds min) {
  std::optional<Text> t = ReadTypedScalar(src, f, "a duration like 30s");
  if (!t) return std::nullopt;
  std::optional<Millis> d = ParseDuration(t->value);
  if (!d) {
    src.Error(t->mark, fmt::format("{}: '{}' is not a duration (expected a number with a unit ms, s, m, h or d, like "
                                   "30s, 500ms or 1m30s)",
                                   f.name, t->Shown()));
    return std::nullopt;
  }
  if (*d < min) {
    src.Error(t->mark, fmt::format("{}: must be at least {}, found {}", f.name, FormatDuration(min), t->Shown()));
    return std::nullopt;
  }
  return *d;
}

std::optional<uint16_t> ReadPort(Source& src, const Field& f) {
  std::optional<int64_t> v = ReadInt(src, f, 1, 65535);
  if (!v) return std::nullopt;
  return static_cast<uint16_t>(*v);
}

std::optional<std::vector<Field>> ReadList(Source& src, const Field& f, std::string_view what) {
  if (!f.value || !f.value.IsSequence()) {
    src.Error(f.mark(), fmt::format("{}: expected a list of {}, found {}", f.name, what, Describe(f.value)));
    return std::nullopt;
  }
  std::vector<Field> items;
  size_t i = 0;
  for (const YAML::Node& item : f.value) {
    items.push_back(Field{fmt::format("{}[{}]", f.name, i++), f.key, item});
  }
  return items;
}

std::optional<std::vector<Text>> ReadStringList(Source& src, const Field& f) {
  std::optional<std::vector<Field>> items = ReadList(src, f, "strings");
  if (!items) return std::nullopt;
  std::vector<Text> out;
  bool ok = true;
  for (const Field& item : *items) {
    std::optional<Text> t = ReadString(src, item);
    if (t) {
      out.push_back(std::move(*t));
    } else {
      ok = false;
    }
  }
  if (!ok) return std::nullopt;
  return out;
}

}  // namespace csoc::config

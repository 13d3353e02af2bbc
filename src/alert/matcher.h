// A label matcher as Alertmanager has them: a label name, an operator (=, !=, =~, !~) and a value,
// which for =~ and !~ is an RE2 regular expression matched against the whole label value (anchored
// at both ends, as Alertmanager anchors it). A label the set lacks counts as the empty string, so
// `team=""` matches alerts without a `team` label and `team!=""` only those with one.
//
// Matchers come in two forms: Alertmanager's text syntax (`name="value"`, `name=~"a.*"`, unquoted
// values, lists `{a="b", c!="d"}`), used by `amtool`, the API's `filter` parameters and silences
// typed by people; and the v2 API's JSON {name, value, isRegex, isEqual}.
//
// Threading: a Matcher is immutable once built and may be used from any thread; copies share the
// compiled expression.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "alert/alert.h"
#include "core/status.h"

namespace re2 {
class RE2;
}

namespace csoc::alert {

enum class MatchOp { kEqual, kNotEqual, kRegex, kNotRegex };
std::string_view MatchOpText(MatchOp op);  // "=", "!=", "=~", "!~"

class Matcher {
 public:
  // Checks the name (a label name: [a-zA-Z_][a-zA-Z0-9_]*) and, for the regex operators, compiles
  // the value. InvalidArgument naming the matcher otherwise.
  static Status Make(std::string name, MatchOp op, std::string value, Matcher* out);

  const std::string& name() const { return name_; }
  MatchOp op() const { return op_; }
  const std::string& value() const { return value_; }
  bool is_regex() const { return op_ == MatchOp::kRegex || op_ == MatchOp::kNotRegex; }
  bool is_equal() const { return op_ == MatchOp::kEqual || op_ == MatchOp::kRegex; }

  // Whether the value `v` satisfies the matcher, and whether the label set does (a missing label
  // is "").
  bool MatchesValue(std::string_view v) const;
  bool Matches(const LabelSet& labels) const;

  // Alertmanager's text form, the value always quoted and escaped: `name=~"a\"b.*"`. Parsing it
  // gives the same matcher.
  std::string ToString() const;

  friend bool operator==(const Matcher& a, const Matcher& b) {
    return a.name_ == b.name_ && a.op_ == b.op_ && a.value_ == b.value_;
  }

 private:
  std::string name_;
  MatchOp op_ = MatchOp::kEqual;
  std::string value_;
  std::shared_ptr<const re2::RE2> regex_;  // set for the regex operators
};

using Matchers = std::vector<Matcher>;

// True when every matcher matches the label set (an empty list matches everything).
bool MatchesAll(const Matchers& matchers, const LabelSet& labels);

// Parses one matcher in Alertmanager's text syntax: a label name, an operator, a value that is
// either double-quoted (escapes \" \\ \n) or unquoted (the rest, trimmed; it may not contain '"').
// Spaces around the name, operator and value are allowed. Errors quote the input and say what was
// expected where.
Status ParseMatcher(std::string_view text, Matcher* out);
// Parses a list: matchers separated by commas, optionally in braces (`{a="b",c=~"d"}`); a trailing
// comma is allowed. An empty list (`{}` or nothing) is an error: a list that matches everything
// is never what was meant.
Status ParseMatchers(std::string_view text, Matchers* out);

// The v2 API's JSON form: {"name", "value", "isRegex", "isEqual" (default true)}. `where` names the
// object in errors ("matchers[2]").
Status MatcherFromJson(const nlohmann::json& j, std::string_view where, Matcher* out);
nlohmann::json MatcherToJson(const Matcher& m);

}  // namespace csoc::alert

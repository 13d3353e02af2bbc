#include "alert/matcher.h"

#include <fmt/format.h>
#include <re2/re2.h>

#include <nlohmann/json.hpp>

namespace csoc::alert {
namespace {

bool NameStart(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool NameChar(char c) { return NameStart(c) || (c >= '0' && c <= '9'); }
bool Space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

Status ValidateName(std::string_view name) {
  if (name.empty()) return Status::InvalidArgument("the label name is empty");
  if (!NameStart(name[0])) {
    return Status::InvalidArgument(
        fmt::format("label name '{}' must start with a letter or '_'", name));
  }
  for (char c : name) {
    if (!NameChar(c)) {
      return Status::InvalidArgument(
          fmt::format("label name '{}' may contain only letters, digits and '_'", name));
    }
  }
  return Status::Ok();
}

// Scans matchers out of a text, keeping the position for error messages.
class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  // One matcher from the current position. In a list an unquoted value ends at ',' or '}'.
  Status Next(bool in_list, Matcher* out) {
    SkipSpace();
    size_t start = pos_;
    while (pos_ < text_.size() && NameChar(text_[pos_])) ++pos_;
    std::string name(text_.substr(start, pos_ - start));
    if (name.empty()) return Error(start, "expected a label name");
    if (!NameStart(name[0])) return Error(start, fmt::format("label name '{}' must start with a letter or '_'", name));
    SkipSpace();
    MatchOp op;
    if (Take("=~")) {
      op = MatchOp::kRegex;
    } else if (Take("!=")) {
      op = MatchOp::kNotEqual;
    } else if (Take("!~")) {
      op = MatchOp::kNotRegex;
    } else if (Take("=")) {
      op = MatchOp::kEqual;
    } else {
      return Error(pos_, fmt::format("expected an operator (=, !=, =~, !~) after the label name '{}'", name));
    }
    SkipSpace();
    std::string value;
    if (pos_ < text_.size() && text_[pos_] == '"') {
      CSOC_RETURN_IF_ERROR(Quoted(&value));
      SkipSpace();
    } else {
      size_t vstart = pos_;
      while (pos_ < text_.size() && !(in_list && (text_[pos_] == ',' || text_[pos_] == '}'))) {
        if (text_[pos_] == '"') {
          return Error(pos_, "a value with '\"' in it must be quoted as a whole: \"...\"");
        }
        ++pos_;
      }
      std::string_view raw = text_.substr(vstart, pos_ - vstart);
      while (!raw.empty() && Space(raw.back())) raw.remove_suffix(1);
      value = std::string(raw);
    }
    Status s = Matcher::Make(std::move(name), op, std::move(value), out);
    if (!s.ok()) return Status::InvalidArgument(fmt::format("matcher '{}': {}", text_, s.message()));
    return Status::Ok();
  }

  void SkipSpace() {
    while (pos_ < text_.size() && Space(text_[pos_])) ++pos_;
  }
  bool Take(std::string_view token) {
    if (text_.substr(pos_, token.size()) != token) return false;
    pos_ += token.size();
    return true;
  }
  bool AtEnd() const { return pos_ >= text_.size(); }
  size_t pos() const { return pos_; }

  Status Error(size_t at, std::string_view what) const {
    return Status::InvalidArgument(fmt::format("matcher '{}': {} at position {}", text_, what, at + 1));
  }

 private:
  // A double-quoted value; the position is on the opening quote.
  Status Quoted(std::string* out) {
    size_t open = pos_++;
    while (pos_ < text_.size()) {
      char c = text_[pos_++];
      if (c == '"') return Status::Ok();
      if (c != '\\') {
        out->push_back(c);
        continue;
      }
      if (pos_ >= text_.size()) break;
      char e = text_[pos_++];
      switch (e) {
        case '"': out->push_back('"'); break;
        case '\\': out->push_back('\\'); break;
        case 'n': out->push_back('\n'); break;
        default: return Error(pos_ - 2, fmt::format("unknown escape '\\{}' (known: \\\" \\\\ \\n)", e));
      }
    }
    return Error(open, "the quoted value is not closed");
  }

  std::string_view text_;
  size_t pos_ = 0;
};

}  // namespace

std::string_view MatchOpText(MatchOp op) {
  switch (op) {
    case MatchOp::kEqual: return "=";
    case MatchOp::kNotEqual: return "!=";
    case MatchOp::kRegex: return "=~";
    case MatchOp::kNotRegex: return "!~";
  }
  return "=";
}

Status Matcher::Make(std::string name, MatchOp op, std::string value, Matcher* out) {
  CSOC_RETURN_IF_ERROR(ValidateName(name));
  Matcher m;
  if (op == MatchOp::kRegex || op == MatchOp::kNotRegex) {
    // Anchored like Alertmanager's "^(?:" + value + ")$": the whole value must match.
    RE2::Options options;
    options.set_log_errors(false);
    auto re = std::make_shared<const RE2>("^(?:" + value + ")$", options);
    if (!re->ok()) {
      return Status::InvalidArgument(fmt::format("the regular expression '{}' of label '{}' does not compile: {}",
                                                 value, name, re->error()));
    }
    m.regex_ = std::move(re);
  }
  m.name_ = std::move(name);
  m.op_ = op;
  m.value_ = std::move(value);
  *out = std::move(m);
  return Status::Ok();
}

bool Matcher::MatchesValue(std::string_view v) const {
  switch (op_) {
    case MatchOp::kEqual: return v == value_;
    case MatchOp::kNotEqual: return v != value_;
    case MatchOp::kRegex: return RE2::FullMatch(v, *regex_);
    case MatchOp::kNotRegex: return !RE2::FullMatch(v, *regex_);
  }
  return false;
}

bool Matcher::Matches(const LabelSet& labels) const {
  auto it = labels.find(name_);
  return MatchesValue(it == labels.end() ? std::string_view() : std::string_view(it->second));
}

std::string Matcher::ToString() const {
  std::string out = name_;
  out += MatchOpText(op_);
  out += '"';
  for (char c : value_) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  out += '"';
  return out;
}

bool MatchesAll(const Matchers& matchers, const LabelSet& labels) {
  for (const Matcher& m : matchers) {
    if (!m.Matches(labels)) return false;
  }
  return true;
}

Status ParseMatcher(std::string_view text, Matcher* out) {
  Parser p(text);
  CSOC_RETURN_IF_ERROR(p.Next(/*in_list=*/false, out));
  if (!p.AtEnd()) return p.Error(p.pos(), "unexpected text after the value");
  return Status::Ok();
}

Status ParseMatchers(std::string_view text, Matchers* out) {
  out->clear();
  Parser p(text);
  p.SkipSpace();
  const bool braced = p.Take("{");
  for (;;) {
    p.SkipSpace();
    if (braced && p.Take("}")) break;
    if (p.AtEnd()) {
      if (braced) return p.Error(p.pos(), "expected '}' to close the list");
      break;
    }
    Matcher m;
    CSOC_RETURN_IF_ERROR(p.Next(/*in_list=*/true, &m));
    out->push_back(std::move(m));
    p.SkipSpace();
    if (p.Take(",")) continue;
    if (braced && p.Take("}")) break;
    if (p.AtEnd()) {
      if (braced) return p.Error(p.pos(), "expected '}' to close the list");
      break;
    }
    return p.Error(p.pos(), "expected ',' between matchers");
  }
  p.SkipSpace();
  if (!p.AtEnd()) return p.Error(p.pos(), "unexpected text after the list");
  if (out->empty()) {
    return Status::InvalidArgument(fmt::format("matchers '{}': the list is empty; give at least one matcher", text));
  }
  return Status::Ok();
}

Status MatcherFromJson(const nlohmann::json& j, std::string_view where, Matcher* out) {
  if (!j.is_object()) return Status::InvalidArgument(fmt::format("{}: expected an object", where));
  auto string_field = [&](const char* key, std::string* v) -> Status {
    auto it = j.find(key);
    if (it == j.end() || !it->is_string()) {
      return Status::InvalidArgument(fmt::format("{}.{}: expected a string", where, key));
    }
    *v = it->get<std::string>();
    return Status::Ok();
  };
  auto bool_field = [&](const char* key, bool fallback, bool required, bool* v) -> Status {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) {
      if (required) return Status::InvalidArgument(fmt::format("{}.{}: expected true or false", where, key));
      *v = fallback;
      return Status::Ok();
    }
    if (!it->is_boolean()) return Status::InvalidArgument(fmt::format("{}.{}: expected true or false", where, key));
    *v = it->get<bool>();
    return Status::Ok();
  };
  std::string name, value;
  bool is_regex = false, is_equal = true;
  CSOC_RETURN_IF_ERROR(string_field("name", &name));
  CSOC_RETURN_IF_ERROR(string_field("value", &value));
  CSOC_RETURN_IF_ERROR(bool_field("isRegex", false, /*required=*/true, &is_regex));
  CSOC_RETURN_IF_ERROR(bool_field("isEqual", true, /*required=*/false, &is_equal));
  MatchOp op = is_regex ? (is_equal ? MatchOp::kRegex : MatchOp::kNotRegex)
                        : (is_equal ? MatchOp::kEqual : MatchOp::kNotEqual);
  Status s = Matcher::Make(std::move(name), op, std::move(value), out);
  if (!s.ok()) return Status::InvalidArgument(fmt::format("{}: {}", where, s.message()));
  return Status::Ok();
}

nlohmann::json MatcherToJson(const Matcher& m) {
  return nlohmann::json{{"name", m.name()}, {"value", m.value()}, {"isRegex", m.is_regex()}, {"isEqual", m.is_equal()}};
}

}  // namespace csoc::alert

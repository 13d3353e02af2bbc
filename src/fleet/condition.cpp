#include "fleet/condition.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <re2/re2.h>
#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <vector>

#include "core/time.h"

namespace csoc::fleet {
namespace {

enum class Subject {
  kStatus,
  kResponseTime,
  kBody,
  kHeader,
  kJsonPath,
  kCertDaysLeft,
  kCertValid,
  kAddress,
  kConnected
};

enum class Op { kEq, kNe, kLt, kLe, kGt, kGe, kInRange, kInSet, kContains, kMatches, kExists };

enum class LiteralType { kNumber, kDuration, kString, kBool, kNull, kAddress };

struct Literal {
  LiteralType type = LiteralType::kNull;
  double number = 0;  // kNumber; kDuration in microseconds, so that it compares with latency directly
  bool boolean = false;
  std::string text;  // kString unescaped; kAddress in canonical inet_ntop form
};

struct PathStep {
  bool is_index = false;
  std::string key;
  size_t index = 0;
  size_t text_end = 0;  // length of the path text up to and including this step, for messages
};

}  // namespace

struct Condition::Impl {
  Subject subject = Subject::kStatus;
  std::string subject_text;  // how reasons name the subject: "status", "header content-type", "$.db.ok"
  std::string header_name;   // lower-cased
  std::vector<PathStep> path;
  Op op = Op::kEq;
  bool negated = false;  // "not in", "not contains", "not matches", "not exists"
  std::string op_text;   // "==", "in", "contains", ... without "not"
  Literal value;         // the operand of ==, !=, <, <=, >, >=, contains, matches
  Literal low, high;     // in A..B
  std::vector<Literal> set;
  std::unique_ptr<RE2> re;
  std::string operand_text;  // the operand as written, for reasons
};

namespace {

using Impl = Condition::Impl;

constexpr std::string_view kSubjectList =
    "status, response_time, body, header[NAME], $.path, cert.days_left, cert.valid, address or connected";
constexpr std::string_view kOperatorList = "==, !=, <, <=, >, >=, in, contains, matches";

// ---------------------------------------------------------------------------------------------------------------
// Small text helpers

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsOperatorChar(char c) { return c == '=' || c == '!' || c == '<' || c == '>' || c == '~'; }
char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string ToLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = Lower(c);
  return out;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (Lower(a[i]) != Lower(b[i])) return false;
  }
  return true;
}

// RFC 9110 token characters, which is what a header name may contain.
bool IsTokenChar(char c) {
  return IsAlpha(c) || IsDigit(c) || std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

// Optimal string alignment distance, so that a transposition ("stauts") counts as one edit.
size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.size()][b.size()];
}

// "; did you mean 'x'?" for the closest option within a few edits, else "".
std::string DidYouMean(std::string_view word, std::initializer_list<std::string_view> options) {
  std::string lower = ToLower(word);
  size_t limit = std::max<size_t>(2, lower.size() / 3);
  size_t best = limit + 1;
  std::string_view choice;
  for (std::string_view option : options) {
    size_t d = EditDistance(lower, option);
    if (d < best) {
      best = d;
      choice = option;
    }
  }
  if (choice.empty() || best >= lower.size()) {
    // A unique option that starts with the word ("cert.days" for cert.days_left) is also a good guess.
    choice = {};
    for (std::string_view option : options) {
      if (lower.size() < 3 || option.substr(0, lower.size()) != lower) continue;
      if (!choice.empty()) return "";
      choice = option;
    }
    if (choice.empty()) return "";
  }
  return fmt::format("; did you mean '{}'?", choice);
}

// A value seen in a result, quoted for a reason: escapes quotes, backslashes and control characters and cuts long
// text (at a UTF-8 boundary) with an ellipsis.
std::string Quote(std::string_view s, size_t max_bytes = 80) {
  bool cut = s.size() > max_bytes;
  if (cut) {
    size_t end = max_bytes;
    while (end > 0 && (static_cast<unsigned char>(s[end]) & 0xC0) == 0x80) --end;
    s = s.substr(0, end);
  }
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out += fmt::format("\\x{:02x}", static_cast<unsigned char>(c));
        } else {
          out += c;
        }
    }
  }
  if (cut) out += "…";
  out += '"';
  return out;
}

// Latency for people: "850µs", "3.2ms", "412ms", "1.52s".
std::string FormatLatency(std::chrono::microseconds latency) {
  int64_t us = latency.count();
  if (us < 1000) return fmt::format("{}µs", us);
  if (us < 10'000) return fmt::format("{:.1f}ms", static_cast<double>(us) / 1000.0);
  if (us < 1'000'000) return fmt::format("{}ms", (us + 500) / 1000);
  std::string s = fmt::format("{:.2f}", static_cast<double>(us) / 1e6);
  while (s.back() == '0') s.pop_back();
  if (s.back() == '.') s.pop_back();
  return s + "s";
}

std::string BodyCutNote() { return fmt::format("the body was cut at {} KiB", ProbeResult::kMaxBody / 1024); }

std::optional<double> ParseNumber(std::string_view s) {
  double v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

std::string_view TrimSpace(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

// ---------------------------------------------------------------------------------------------------------------
// Parsing

// What kind of literal an operand position accepts.
enum class Want { kInteger, kNumber, kDuration, kString, kBool, kAddress, kJson, kHeader };

std::string_view Describe(Want want) {
  switch (want) {
    case Want::kInteger: return "an integer";
    case Want::kNumber: return "a number";
    case Want::kDuration: return "a duration such as 500ms or 2s";
    case Want::kString: return "a quoted string such as \"ok\"";
    case Want::kBool: return "true or false";
    case Want::kAddress: return "an IP address or a quoted string";
    case Want::kJson: return "a quoted string, a number, true, false or null";
    case Want::kHeader: return "a quoted string or a number";
  }
  return "a value";
}

class Parser {
 public:
  Parser(std::string_view text, Impl* out) : s_(text), c_(out) {}

  Status Run() {
    SkipSpace();
    if (AtEnd()) return Error(pos_, fmt::format("the condition is empty; expected a subject ({})", kSubjectList));
    if (Status st = ParseSubject(); !st.ok()) return st;
    if (Status st = ParseOperator(); !st.ok()) return st;
    if (Status st = ParseOperand(); !st.ok()) return st;
    SkipSpace();
    if (!AtEnd()) {
      std::string found = Token(pos_);
      std::string hint;
      if (found == "and" || found == "or" || found == "&&" || found == "||") {
        hint = "; write each condition as its own list entry (all of them must hold)";
      }
      return Error(pos_, fmt::format("expected the end of the condition after {}, found \"{}\"{}", c_->operand_text,
                                     found, hint));
    }
    return Status::Ok();
  }

 private:
  bool AtEnd() const { return pos_ >= s_.size(); }
  void SkipSpace() {
    while (!AtEnd() && IsSpace(s_[pos_])) ++pos_;
  }

  // Columns count characters, not bytes, so that they match what an editor shows.
  size_t Column(size_t at) const {
    size_t col = 1;
    for (size_t i = 0; i < at && i < s_.size(); ++i) {
      if ((static_cast<unsigned char>(s_[i]) & 0xC0) != 0x80) ++col;
    }
    return col;
  }

  Status Error(size_t at, std::string_view message) const {
    return Status::InvalidArgument(fmt::format("at column {}: {}", Column(at), message));
  }

  // The token at `at` as shown in "found ..." messages: a quoted string, a run of operator characters, or a run of
  // other non-space characters.
  std::string Token(size_t at) const {
    if (at >= s_.size()) return "";
    size_t end = at;
    if (s_[at] == '"') {
      end = s_.find('"', at + 1);
      end = end == std::string_view::npos ? s_.size() : end + 1;
    } else if (IsOperatorChar(s_[at])) {
      while (end < s_.size() && IsOperatorChar(s_[end])) ++end;
    } else {
      auto stops = [](char c) {
        return IsSpace(c) || IsOperatorChar(c) || c == '(' || c == ')' || c == ',' || c == '"';
      };
      while (end < s_.size() && !stops(s_[end])) ++end;
      if (end == at) end = at + 1;
    }
    return std::string(s_.substr(at, end - at));
  }

  // Where the next token starts: "expected ..., found X" errors point at X, not at the space before it.
  size_t Next(size_t at) const {
    while (at < s_.size() && IsSpace(s_[at])) ++at;
    return at;
  }

  std::string Found(size_t at) const {
    at = Next(at);
    if (at >= s_.size()) return "the end of the condition";
    if (s_[at] == '"') return Token(at);
    return fmt::format("\"{}\"", Token(at));
  }

  // --- subject ---------------------------------------------------------------------------------------------------

  Status ParseSubject() {
    size_t start = pos_;
    if (s_[pos_] == '$') return ParseJsonPath();
    if (s_[pos_] == '[') {
      // Gatus writes placeholders such as [STATUS]; point people coming from there to the right name.
      size_t close = s_.find(']', pos_);
      size_t end = close == std::string_view::npos ? s_.size() : close + 1;
      std::string_view inner = s_.substr(pos_ + 1, end - pos_ - (close == std::string_view::npos ? 1 : 2));
      return Error(start, fmt::format("unknown subject '{}' (expected {}){}", s_.substr(start, end - start),
                                      kSubjectList, SuggestSubject(inner)));
    }
    while (!AtEnd() && (IsAlpha(s_[pos_]) || IsDigit(s_[pos_]) || s_[pos_] == '_' || s_[pos_] == '.')) ++pos_;
    std::string_view word = s_.substr(start, pos_ - start);
    if (word.empty()) return Error(start, fmt::format("expected a subject ({}), found {}", kSubjectList, Found(start)));
    static constexpr std::pair<std::string_view, Subject> kSubjects[] = {{"status", Subject::kStatus},
                                                                         {"response_time", Subject::kResponseTime},
                                                                         {"body", Subject::kBody},
                                                                         {"cert.days_left", Subject::kCertDaysLeft},
                                                                         {"cert.valid", Subject::kCertValid},
                                                                         {"address", Subject::kAddress},
                                                                         {"connected", Subject::kConnected}};
    if (word == "header") return ParseHeaderName();
    for (auto [name, subject] : kSubjects) {
      if (word == name) {
        c_->subject = subject;
        c_->subject_text = std::string(name);
        return Status::Ok();
      }
    }
    std::string hint;
    if (word.size() > 5 && word.substr(0, 5) == "body.") {
      hint = fmt::format("; did you mean '$.{}' (a JSON path into the body)?", word.substr(5));
    } else {
      hint = SuggestSubject(word);
    }
    return Error(start, fmt::format("unknown subject '{}' (expected {}){}", word, kSubjectList, hint));
  }

  static std::string SuggestSubject(std::string_view word) {
    static constexpr std::pair<std::string_view, std::string_view> kAliases[] = {
        {"status_code", "status"},
        {"code", "status"},
        {"latency", "response_time"},
        {"duration", "response_time"},
        {"ip", "address"},
        {"certificate_expiration", "cert.days_left"},
        {"headers", "header[NAME]"},
        {"days_left", "cert.days_left"}};
    std::string lower = ToLower(word);
    for (auto [alias, subject] : kAliases) {
      if (lower == alias) return fmt::format("; did you mean '{}'?", subject);
    }
    return DidYouMean(
        lower, {"status", "response_time", "body", "header", "cert.days_left", "cert.valid", "address", "connected"});
  }

  Status ParseHeaderName() {
    if (AtEnd() || s_[pos_] != '[') {
      return Error(Next(pos_), fmt::format("expected '[' and a header name after 'header' (e.g. header[Content-Type]), "
                                           "found {}",
                                           Found(pos_)));
    }
    size_t open = pos_;
    size_t close = s_.find(']', open);
    if (close == std::string_view::npos) return Error(open, "the header name is not closed with ']'");
    size_t name_start = open + 1;
    while (name_start < close && IsSpace(s_[name_start])) ++name_start;
    size_t name_end = close;
    while (name_end > name_start && IsSpace(s_[name_end - 1])) --name_end;
    if (name_start == name_end) return Error(open, "the header name between '[' and ']' is empty");
    for (size_t i = name_start; i < name_end; ++i) {
      if (!IsTokenChar(s_[i])) {
        return Error(i, fmt::format("'{}' is not allowed in a header name", s_.substr(i, 1)));
      }
    }
    pos_ = close + 1;
    c_->subject = Subject::kHeader;
    c_->header_name = ToLower(s_.substr(name_start, name_end - name_start));
    c_->subject_text = "header " + c_->header_name;
    return Status::Ok();
  }

  Status ParseJsonPath() {
    size_t start = pos_;
    ++pos_;  // '$'
    while (!AtEnd()) {
      PathStep step;
      if (s_[pos_] == '.') {
        ++pos_;
        size_t key_start = pos_;
        while (!AtEnd() && (IsAlpha(s_[pos_]) || IsDigit(s_[pos_]) || s_[pos_] == '_' || s_[pos_] == '-' ||
                            static_cast<unsigned char>(s_[pos_]) >= 0x80)) {
          ++pos_;
        }
        if (pos_ == key_start) {
          return Error(Next(pos_),
                       fmt::format("expected a key name after '.' in the JSON path (write $[\"odd key\"] for "
                                   "other keys), found {}",
                                   Found(pos_)));
        }
        step.key = std::string(s_.substr(key_start, pos_ - key_start));
      } else if (s_[pos_] == '[') {
        size_t open = pos_;
        ++pos_;
        if (!AtEnd() && IsDigit(s_[pos_])) {
          size_t digits_start = pos_;
          while (!AtEnd() && IsDigit(s_[pos_])) ++pos_;
          std::string_view digits = s_.substr(digits_start, pos_ - digits_start);
          auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), step.index);
          if (ec != std::errc()) return Error(digits_start, fmt::format("array index {} is too large", digits));
          step.is_index = true;
        } else if (!AtEnd() && s_[pos_] == '"') {
          if (Status st = ReadString(&step.key); !st.ok()) return st;
        } else {
          return Error(
              Next(pos_),
              fmt::format("expected an array index or a quoted key after '[' in the JSON path, found {}", Found(pos_)));
        }
        if (AtEnd() || s_[pos_] != ']') {
          return Error(Next(pos_),
                       fmt::format("expected ']' to close the '[' at column {}, found {}", Column(open), Found(pos_)));
        }
        ++pos_;
      } else if (IsAlpha(s_[pos_]) || IsDigit(s_[pos_]) || s_[pos_] == '_') {
        return Error(pos_, fmt::format("expected '.' or '[' in the JSON path (e.g. $.status or $.items[0]), found {}",
                                       Found(pos_)));
      } else {
        break;
      }
      step.text_end = pos_ - start;
      c_->path.push_back(std::move(step));
    }
    c_->subject = Subject::kJsonPath;
    c_->subject_text = std::string(s_.substr(start, pos_ - start));
    return Status::Ok();
  }

  // --- operator --------------------------------------------------------------------------------------------------

  Status ParseOperator() {
    SkipSpace();
    size_t start = pos_;
    auto unknown = [&](std::string hint) {
      return Error(start, fmt::format("expected an operator ({}), found {}{}", kOperatorList, Found(start), hint));
    };
    if (AtEnd()) return unknown("");
    if (IsOperatorChar(s_[pos_])) {
      while (!AtEnd() && IsOperatorChar(s_[pos_])) ++pos_;
      std::string_view sym = s_.substr(start, pos_ - start);
      static constexpr std::pair<std::string_view, Op> kSymbols[] = {{"==", Op::kEq}, {"!=", Op::kNe}, {"<", Op::kLt},
                                                                     {"<=", Op::kLe}, {">", Op::kGt},  {">=", Op::kGe}};
      for (auto [text, op] : kSymbols) {
        if (sym == text) {
          c_->op = op;
          c_->op_text = std::string(text);
          return CheckApplies(start);
        }
      }
      static constexpr std::pair<std::string_view, std::string_view> kMisspelt[] = {
          {"=", "=="},  {"===", "=="}, {"=<", "<="},  {"=>", ">="},      {"<>", "!="},
          {"=!", "!="}, {"!", "!="},   {"!==", "!="}, {"=~", "matches"}, {"~", "matches"}};
      for (auto [bad, good] : kMisspelt) {
        if (sym == bad) return unknown(fmt::format("; did you mean '{}'?", good));
      }
      return unknown("");
    }
    std::string_view word = ReadWord();
    if (word == "not") {
      SkipSpace();
      size_t second = pos_;
      std::string_view next = ReadWord();
      if (next != "in" && next != "contains" && next != "matches" && next != "exists") {
        return Error(second, fmt::format("expected in, contains, matches or exists after 'not', found {}{}",
                                         Found(second), DidYouMean(next, {"in", "contains", "matches", "exists"})));
      }
      c_->negated = true;
      word = next;
    }
    if (word == "in") {
      SkipSpace();
      c_->op = (!AtEnd() && s_[pos_] == '(') ? Op::kInSet : Op::kInRange;
    } else if (word == "contains") {
      c_->op = Op::kContains;
    } else if (word == "matches") {
      c_->op = Op::kMatches;
    } else if (word == "exists") {
      c_->op = Op::kExists;
    } else {
      pos_ = start;
      return unknown(word.empty() ? "" : DidYouMean(word, {"in", "contains", "matches", "exists", "not"}));
    }
    c_->op_text = std::string(word);
    return CheckApplies(start);
  }

  std::string_view ReadWord() {
    size_t start = pos_;
    while (!AtEnd() && IsAlpha(s_[pos_])) ++pos_;
    return s_.substr(start, pos_ - start);
  }

  std::string OpName() const { return (c_->negated ? "not " : "") + c_->op_text; }

  Status CheckApplies(size_t at) const {
    Op op = c_->op;
    bool ordering = op == Op::kLt || op == Op::kLe || op == Op::kGt || op == Op::kGe;
    bool equality = op == Op::kEq || op == Op::kNe;
    bool ok = false;
    std::string_view allowed;
    switch (c_->subject) {
      case Subject::kStatus:
      case Subject::kCertDaysLeft:
        ok = equality || ordering || op == Op::kInRange || op == Op::kInSet;
        allowed = "==, !=, <, <=, >, >=, in or not in";
        break;
      case Subject::kResponseTime:
        ok = equality || ordering || op == Op::kInRange;
        allowed = "<, <=, >, >=, ==, != or in with a range such as 100ms..2s";
        break;
      case Subject::kBody:
        ok = equality || op == Op::kInSet || op == Op::kContains || op == Op::kMatches;
        allowed = "==, !=, in (...), contains or matches";
        break;
      case Subject::kHeader:
      case Subject::kJsonPath: ok = true; break;
      case Subject::kCertValid:
      case Subject::kConnected:
        ok = equality;
        allowed = "== or != with true or false";
        break;
      case Subject::kAddress:
        ok = equality || op == Op::kInSet || op == Op::kContains || op == Op::kMatches;
        allowed = "==, !=, in (...), contains or matches";
        break;
    }
    if (ok) return Status::Ok();
    std::string what = op == Op::kInRange ? "'in' with a range"
                       : op == Op::kInSet ? "'in' with a set"
                                          : "'" + OpName() + "'";
    return Error(at, fmt::format("{} does not apply to {} (use {})", what, c_->subject_text, allowed));
  }

  // --- operand ---------------------------------------------------------------------------------------------------

  Want OperandWant() const {
    Op op = c_->op;
    bool numeric = op == Op::kLt || op == Op::kLe || op == Op::kGt || op == Op::kGe || op == Op::kInRange;
    switch (c_->subject) {
      case Subject::kStatus:
      case Subject::kCertDaysLeft: return Want::kInteger;
      case Subject::kResponseTime: return Want::kDuration;
      case Subject::kBody: return Want::kString;
      case Subject::kHeader:
        if (numeric) return Want::kNumber;
        return op == Op::kContains || op == Op::kMatches ? Want::kString : Want::kHeader;
      case Subject::kJsonPath:
        if (numeric) return Want::kNumber;
        return op == Op::kMatches ? Want::kString : Want::kJson;
      case Subject::kCertValid:
      case Subject::kConnected: return Want::kBool;
      case Subject::kAddress: return op == Op::kMatches ? Want::kString : Want::kAddress;
    }
    return Want::kJson;
  }

  Status ParseOperand() {
    if (c_->op == Op::kExists) return Status::Ok();
    SkipSpace();
    size_t start = pos_;
    Want want = OperandWant();
    if (c_->op == Op::kInRange) {
      if (Status st = ReadLiteral(want, &c_->low); !st.ok()) return st;
      size_t low_end = pos_;
      SkipSpace();
      if (s_.substr(pos_, 2) != "..") {
        return Error(pos_, fmt::format("expected '..' after the range start {} (a range is written 200..299, a set "
                                       "(200, 301)), found {}",
                                       s_.substr(start, low_end - start), Found(pos_)));
      }
      pos_ += 2;
      SkipSpace();
      if (Status st = ReadLiteral(want, &c_->high); !st.ok()) return st;
      if (c_->low.number > c_->high.number) {
        return Error(start, fmt::format("the range {} is empty: its start is greater than its end",
                                        s_.substr(start, pos_ - start)));
      }
    } else if (c_->op == Op::kInSet) {
      ++pos_;  // '('
      while (true) {
        SkipSpace();
        if (!AtEnd() && s_[pos_] == ')' && c_->set.empty()) return Error(pos_, "the set is empty");
        Literal item;
        if (Status st = ReadLiteral(want, &item); !st.ok()) return st;
        c_->set.push_back(std::move(item));
        SkipSpace();
        if (!AtEnd() && s_[pos_] == ',') {
          ++pos_;
          continue;
        }
        if (!AtEnd() && s_[pos_] == ')') {
          ++pos_;
          break;
        }
        return Error(pos_, fmt::format("expected ',' or ')' in the set, found {}", Found(pos_)));
      }
    } else {
      if (Status st = ReadLiteral(want, &c_->value); !st.ok()) return st;
      if (c_->op == Op::kMatches) {
        RE2::Options options;
        options.set_log_errors(false);
        c_->re = std::make_unique<RE2>(c_->value.text, options);
        if (!c_->re->ok()) {
          return Error(
              start, fmt::format("invalid regular expression {}: {}", s_.substr(start, pos_ - start), c_->re->error()));
        }
      }
    }
    c_->operand_text = std::string(s_.substr(start, pos_ - start));
    return Status::Ok();
  }

  // A double-quoted string; \" and \\ are escapes, any other backslash is kept as written so that regexes such as
  // "\d+" need no doubling.
  Status ReadString(std::string* out) {
    size_t start = pos_;
    ++pos_;
    out->clear();
    while (!AtEnd()) {
      char c = s_[pos_];
      if (c == '"') {
        ++pos_;
        return Status::Ok();
      }
      if (c == '\\' && pos_ + 1 < s_.size() && (s_[pos_ + 1] == '"' || s_[pos_ + 1] == '\\')) {
        *out += s_[pos_ + 1];
        pos_ += 2;
        continue;
      }
      *out += c;
      ++pos_;
    }
    return Error(start, "the string is not closed (a '\"' is missing)");
  }

  Status ReadLiteral(Want want, Literal* out) {
    SkipSpace();
    size_t start = pos_;
    if (AtEnd()) return Error(pos_, fmt::format("expected {}, found the end of the condition", Describe(want)));
    if (s_[pos_] == '"') {
      if (want != Want::kString && want != Want::kAddress && want != Want::kJson && want != Want::kHeader) {
        return Error(start, fmt::format("expected {}, found the string {}", Describe(want), Found(start)));
      }
      out->type = LiteralType::kString;
      return ReadString(&out->text);
    }
    // A bare word: a number, duration, boolean, null or address. '.' belongs to it unless it starts "..".
    while (!AtEnd()) {
      char c = s_[pos_];
      if (c == '.' && pos_ + 1 < s_.size() && s_[pos_ + 1] == '.') break;
      if (!(IsAlpha(c) || IsDigit(c) || c == '.' || c == '_' || c == ':' || c == '%' || c == '+' || c == '-')) break;
      ++pos_;
    }
    std::string_view word = s_.substr(start, pos_ - start);
    auto mismatch = [&](std::string hint = "") {
      return Error(start, fmt::format("expected {}, found {}{}", Describe(want), Found(start), hint));
    };
    if (word.empty()) return mismatch();
    switch (want) {
      case Want::kString: return mismatch(fmt::format(" (strings are written in double quotes: \"{}\")", word));
      case Want::kInteger:
      case Want::kNumber:
      case Want::kHeader:
      case Want::kJson: {
        if (want == Want::kJson && (word == "true" || word == "false")) {
          out->type = LiteralType::kBool;
          out->boolean = word == "true";
          return Status::Ok();
        }
        if (want == Want::kJson && word == "null") {
          out->type = LiteralType::kNull;
          return Status::Ok();
        }
        std::optional<double> v = ParseNumber(word);
        if (!v) {
          if (want == Want::kHeader || want == Want::kJson) {
            return mismatch(fmt::format(" (strings are written in double quotes: \"{}\")", word));
          }
          return mismatch();
        }
        if (want == Want::kInteger && (*v != std::floor(*v) || std::fabs(*v) > 1e9)) return mismatch();
        out->type = LiteralType::kNumber;
        out->number = *v;
        return Status::Ok();
      }
      case Want::kDuration: {
        std::optional<Millis> d = ParseDuration(word);
        if (!d) {
          if (IsDigit(word[0]) && word.find('.') != std::string_view::npos) {
            return mismatch(" (durations take whole numbers: write 1500ms, not 1.5s)");
          }
          if (ParseNumber(word)) return mismatch(" (a duration needs a unit: ms, s, m, h or d)");
          return mismatch();
        }
        out->type = LiteralType::kDuration;
        out->number = static_cast<double>(d->count()) * 1000.0;
        return Status::Ok();
      }
      case Want::kBool:
        if (word != "true" && word != "false") return mismatch();
        out->type = LiteralType::kBool;
        out->boolean = word == "true";
        return Status::Ok();
      case Want::kAddress: {
        std::string text(word);
        unsigned char buf[sizeof(in6_addr)];
        char canonical[INET6_ADDRSTRLEN];
        int family = text.find(':') == std::string::npos ? AF_INET : AF_INET6;
        if (inet_pton(family, text.c_str(), buf) != 1 || !inet_ntop(family, buf, canonical, sizeof canonical)) {
          return mismatch();
        }
        out->type = LiteralType::kAddress;
        out->text = canonical;
        return Status::Ok();
      }
    }
    return mismatch();
  }

  std::string_view s_;
  size_t pos_ = 0;
  Impl* c_;
};

// ---------------------------------------------------------------------------------------------------------------
// Evaluation

// One value seen in a result. A header value is both a string and, when it reads as one, a number; a JSON value is
// exactly one of these (or none of them for arrays and objects).
struct Observed {
  std::optional<double> number;
  std::optional<std::string_view> str;
  std::optional<bool> boolean;
  bool is_null = false;
};

bool LiteralEquals(const Literal& l, const Observed& o) {
  switch (l.type) {
    case LiteralType::kNumber:
    case LiteralType::kDuration: return o.number && *o.number == l.number;
    case LiteralType::kString:
    case LiteralType::kAddress: return o.str && *o.str == l.text;
    case LiteralType::kBool: return o.boolean && *o.boolean == l.boolean;
    case LiteralType::kNull: return o.is_null;
  }
  return false;
}

enum class Outcome { kHolds, kFails, kNotANumber, kNotAString };

Outcome Test(const Impl& c, const Observed& o) {
  bool holds = false;
  switch (c.op) {
    case Op::kEq: holds = LiteralEquals(c.value, o); break;
    case Op::kNe: holds = !LiteralEquals(c.value, o); break;
    case Op::kLt:
    case Op::kLe:
    case Op::kGt:
    case Op::kGe: {
      if (!o.number) return Outcome::kNotANumber;
      double v = *o.number, w = c.value.number;
      holds = c.op == Op::kLt ? v < w : c.op == Op::kLe ? v <= w : c.op == Op::kGt ? v > w : v >= w;
      break;
    }
    case Op::kInRange:
      if (!o.number) return Outcome::kNotANumber;
      holds = c.low.number <= *o.number && *o.number <= c.high.number;
      break;
    case Op::kInSet:
      holds = std::any_of(c.set.begin(), c.set.end(), [&](const Literal& l) { return LiteralEquals(l, o); });
      break;
    case Op::kContains:
      if (!o.str) return Outcome::kNotAString;
      holds = o.str->find(c.value.text) != std::string_view::npos;
      break;
    case Op::kMatches:
      if (!o.str) return Outcome::kNotAString;
      holds = RE2::PartialMatch(*o.str, *c.re);
      break;
    case Op::kExists: holds = true; break;
  }
  if (c.negated) holds = !holds;
  return holds ? Outcome::kHolds : Outcome::kFails;
}

std::string OpName(const Impl& c) { return (c.negated ? "not " : "") + c.op_text; }

// The reason for a failed test, e.g. "status 503 is not in 200..399", "$.status is \"DOWN\", expected == \"UP\"",
// "body does not contain \"ok\"". `value` may be empty when showing it would not help (a whole body).
std::string Reason(const Impl& c, std::string_view subject, std::string_view value, Outcome outcome) {
  std::string sv = value.empty() ? std::string(subject) : fmt::format("{} {}", subject, value);
  switch (outcome) {
    case Outcome::kHolds: return "";
    case Outcome::kNotANumber: return fmt::format("{} is {}, not a number", subject, value);
    case Outcome::kNotAString: return fmt::format("{} is {}, not a string", subject, value);
    case Outcome::kFails: break;
  }
  switch (c.op) {
    case Op::kEq:
    case Op::kNe: return fmt::format("{} is {}, expected {} {}", subject, value, OpName(c), c.operand_text);
    case Op::kExists: return fmt::format("{} is {}, expected {}", subject, value, OpName(c));
    case Op::kLt:
    case Op::kLe:
    case Op::kGt:
    case Op::kGe:
    case Op::kInRange:
    case Op::kInSet:
      if (c.negated) return fmt::format("{} is in {}", sv, c.operand_text);
      return fmt::format("{} is not {} {}", sv, c.op_text, c.operand_text);
    case Op::kContains: return fmt::format("{} {} {}", sv, c.negated ? "contains" : "does not contain", c.operand_text);
    case Op::kMatches: return fmt::format("{} {} {}", sv, c.negated ? "matches" : "does not match", c.operand_text);
  }
  return "";
}

Observed NumberObserved(double v) {
  Observed o;
  o.number = v;
  return o;
}

std::optional<std::string> EvaluateStatus(const Impl& c, const ProbeResult& r) {
  if (r.status_code == 0) return "no HTTP status in the result";
  Outcome outcome = Test(c, NumberObserved(r.status_code));
  if (outcome == Outcome::kHolds) return std::nullopt;
  return Reason(c, "status", std::to_string(r.status_code), outcome);
}

std::optional<std::string> EvaluateResponseTime(const Impl& c, const ProbeResult& r) {
  Outcome outcome = Test(c, NumberObserved(static_cast<double>(r.latency.count())));
  if (outcome == Outcome::kHolds) return std::nullopt;
  return Reason(c, "response_time", FormatLatency(r.latency), outcome);
}

std::optional<std::string> EvaluateBody(const Impl& c, const ProbeResult& r) {
  Observed o;
  o.str = std::string_view(r.body);
  Outcome outcome = Test(c, o);
  if (outcome == Outcome::kHolds) return std::nullopt;
  bool whole = c.op == Op::kEq || c.op == Op::kNe || c.op == Op::kInSet;
  std::string reason = Reason(c, "body", whole ? Quote(r.body) : "", outcome);
  if (r.body_truncated && !c.negated && (c.op == Op::kContains || c.op == Op::kMatches)) {
    reason += fmt::format(" ({})", BodyCutNote());
  }
  return reason;
}

std::optional<std::string> EvaluateHeader(const Impl& c, const ProbeResult& r) {
  const std::string* first = nullptr;
  std::string joined;  // only when the header came more than once; RFC 9110 joins repeated fields with ", "
  for (const auto& [name, value] : r.headers) {
    if (!EqualsIgnoreCase(name, c.header_name)) continue;
    if (first == nullptr) {
      first = &value;
    } else {
      if (joined.empty()) joined = *first;
      joined += ", ";
      joined += value;
    }
  }
  if (first == nullptr) {
    if (c.op == Op::kExists && c.negated) return std::nullopt;
    return fmt::format("{} is missing", c.subject_text);
  }
  std::string_view value = joined.empty() ? std::string_view(*first) : std::string_view(joined);
  Observed o;
  o.str = value;
  o.number = ParseNumber(TrimSpace(value));
  Outcome outcome = Test(c, o);
  if (outcome == Outcome::kHolds) return std::nullopt;
  return Reason(c, c.subject_text, Quote(value), outcome);
}

std::string_view JsonTypeName(const simdjson::dom::element& e) {
  switch (e.type()) {
    case simdjson::dom::element_type::ARRAY: return "an array";
    case simdjson::dom::element_type::OBJECT: return "an object";
    case simdjson::dom::element_type::STRING: return "a string";
    case simdjson::dom::element_type::INT64:
    case simdjson::dom::element_type::UINT64:
    case simdjson::dom::element_type::DOUBLE: return "a number";
    case simdjson::dom::element_type::BOOL: return "a boolean";
    case simdjson::dom::element_type::NULL_VALUE: return "null";
  }
  return "a value";
}

Observed JsonObserved(const simdjson::dom::element& e) {
  Observed o;
  switch (e.type()) {
    case simdjson::dom::element_type::STRING: o.str = e.get_string().value_unsafe(); break;
    case simdjson::dom::element_type::INT64:
    case simdjson::dom::element_type::UINT64:
    case simdjson::dom::element_type::DOUBLE: o.number = e.get_double().value_unsafe(); break;
    case simdjson::dom::element_type::BOOL: o.boolean = e.get_bool().value_unsafe(); break;
    case simdjson::dom::element_type::NULL_VALUE: o.is_null = true; break;
    case simdjson::dom::element_type::ARRAY:
    case simdjson::dom::element_type::OBJECT: break;
  }
  return o;
}

std::string JsonDisplay(const simdjson::dom::element& e) {
  switch (e.type()) {
    case simdjson::dom::element_type::STRING: return Quote(e.get_string().value_unsafe());
    case simdjson::dom::element_type::INT64: return std::to_string(e.get_int64().value_unsafe());
    case simdjson::dom::element_type::UINT64: return std::to_string(e.get_uint64().value_unsafe());
    case simdjson::dom::element_type::DOUBLE: return fmt::format("{}", e.get_double().value_unsafe());
    case simdjson::dom::element_type::BOOL: return e.get_bool().value_unsafe() ? "true" : "false";
    case simdjson::dom::element_type::NULL_VALUE: return "null";
    case simdjson::dom::element_type::ARRAY:
    case simdjson::dom::element_type::OBJECT: {
      std::string text = simdjson::minify(e);
      if (text.size() > 80) {
        size_t end = 80;
        while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
        text.resize(end);
        text += "…";
      }
      return text;
    }
  }
  return "";
}

std::optional<std::string> EvaluateJsonPath(const Impl& c, const ProbeResult& r) {
  // One parser per thread keeps its buffers between results, so parsing allocates only when a body is larger than
  // any seen before on this thread.
  thread_local simdjson::dom::parser parser;
  simdjson::dom::element e;
  if (auto error = parser.parse(r.body).get(e); error) {
    std::string why = r.body.empty() ? "the body is empty" : simdjson::error_message(error);
    if (r.body_truncated) why += "; " + BodyCutNote();
    return fmt::format("body is not JSON ({})", why);
  }
  std::string_view path = c.subject_text;
  size_t parent_end = 1;  // "$"
  for (const PathStep& step : c.path) {
    std::string_view here = path.substr(0, step.text_end);
    std::string_view parent = path.substr(0, parent_end);
    auto missing = [&](std::string detail) -> std::optional<std::string> {
      if (c.op == Op::kExists && c.negated) return std::nullopt;
      if (detail.empty()) return fmt::format("{} not found in body", here);
      return fmt::format("{} not found in body ({})", here, detail);
    };
    simdjson::dom::element next;
    if (step.is_index) {
      simdjson::dom::array array;
      if (e.get_array().get(array)) return missing(fmt::format("{} is {}", parent, JsonTypeName(e)));
      if (array.at(step.index).get(next)) {
        size_t n = array.size();
        return missing(fmt::format("{} has {} element{}", parent, n, n == 1 ? "" : "s"));
      }
    } else {
      simdjson::dom::object object;
      if (e.get_object().get(object)) return missing(fmt::format("{} is {}", parent, JsonTypeName(e)));
      if (object.at_key(step.key).get(next)) return missing("");
    }
    e = next;
    parent_end = step.text_end;
  }

  if (c.op == Op::kExists) {
    if (!c.negated) return std::nullopt;
    return Reason(c, path, JsonDisplay(e), Outcome::kFails);
  }
  simdjson::dom::array items;
  simdjson::dom::object members;
  bool is_array = e.get_array().get(items) == simdjson::SUCCESS;
  bool is_object = !is_array && e.get_object().get(members) == simdjson::SUCCESS;
  if (c.op == Op::kContains && (is_array || is_object)) {
    bool found = false;
    if (is_array) {
      for (simdjson::dom::element item : items) {
        if (LiteralEquals(c.value, JsonObserved(item))) {
          found = true;
          break;
        }
      }
    } else if (c.value.type == LiteralType::kString) {
      simdjson::dom::element ignored;
      found = members.at_key(c.value.text).get(ignored) == simdjson::SUCCESS;
    }
    if (found != c.negated) return std::nullopt;
    return Reason(c, path, JsonDisplay(e), Outcome::kFails);
  }
  Outcome outcome = Test(c, JsonObserved(e));
  if (outcome == Outcome::kHolds) return std::nullopt;
  if (outcome == Outcome::kNotAString && c.op == Op::kContains) {
    return fmt::format("{} is {}, not a string, array or object", path, JsonDisplay(e));
  }
  return Reason(c, path, JsonDisplay(e), outcome);
}

std::string DaysPhrase(int days) {
  if (days < 0) return fmt::format("certificate expired {} day{} ago", -days, days == -1 ? "" : "s");
  if (days == 0) return "certificate expires today";
  return fmt::format("certificate expires in {} day{}", days, days == 1 ? "" : "s");
}

std::optional<std::string> EvaluateCertDaysLeft(const Impl& c, const ProbeResult& r) {
  if (!r.cert_days_left) return "no certificate was read";
  if (Test(c, NumberObserved(*r.cert_days_left)) == Outcome::kHolds) return std::nullopt;
  return fmt::format("{}, expected {} {}", DaysPhrase(*r.cert_days_left), OpName(c), c.operand_text);
}

std::optional<std::string> EvaluateCertValid(const Impl& c, const ProbeResult& r) {
  if (!r.cert_chain_valid) {
    return r.cert_error.empty() ? "no certificate was read" : "no certificate was read: " + r.cert_error;
  }
  Observed o;
  o.boolean = *r.cert_chain_valid;
  if (Test(c, o) == Outcome::kHolds) return std::nullopt;
  if (!*r.cert_chain_valid) {
    return r.cert_error.empty() ? "certificate is not valid" : "certificate is not valid: " + r.cert_error;
  }
  return fmt::format("cert.valid is true, expected {} {}", OpName(c), c.operand_text);
}

std::optional<std::string> EvaluateConnected(const Impl& c, const ProbeResult& r) {
  Observed o;
  o.boolean = r.connected;
  if (Test(c, o) == Outcome::kHolds) return std::nullopt;
  std::string value = r.connected ? "true" : "false";
  if (!r.connected && !r.error.empty()) value += " (" + r.error + ")";
  return Reason(c, "connected", value, Outcome::kFails);
}

std::optional<std::string> EvaluateAddress(const Impl& c, const ProbeResult& r) {
  const std::vector<std::string>& answers = r.addresses;
  auto equals = [&](const std::string& a) { return a == c.value.text; };
  auto in_set = [&](const std::string& a) {
    return std::any_of(c.set.begin(), c.set.end(), [&](const Literal& l) { return l.text == a; });
  };
  auto matches = [&](const std::string& a) { return RE2::PartialMatch(a, *c.re); };
  // Positive forms need at least one answer and hold for all of them; negative forms hold when no answer fits.
  bool holds = false;
  switch (c.op) {
    case Op::kEq: holds = !answers.empty() && std::all_of(answers.begin(), answers.end(), equals); break;
    case Op::kNe: holds = std::none_of(answers.begin(), answers.end(), equals); break;
    case Op::kInSet:
      holds = c.negated ? std::none_of(answers.begin(), answers.end(), in_set)
                        : !answers.empty() && std::all_of(answers.begin(), answers.end(), in_set);
      break;
    case Op::kContains: holds = std::any_of(answers.begin(), answers.end(), equals) != c.negated; break;
    case Op::kMatches:
      holds = c.negated ? std::none_of(answers.begin(), answers.end(), matches)
                        : !answers.empty() && std::all_of(answers.begin(), answers.end(), matches);
      break;
    default: break;  // Parse() admits no other operator for address
  }
  if (holds) return std::nullopt;
  if (answers.empty()) return "no address in the answer";
  std::string value;
  if (answers.size() == 1) {
    value = answers[0];
  } else {
    value = "[";
    for (size_t i = 0; i < answers.size(); ++i) value += (i ? ", " : "") + answers[i];
    value += "]";
  }
  return Reason(c, "address", value, Outcome::kFails);
}

}  // namespace

Status Condition::Parse(std::string_view text, Condition* out) {
  auto impl = std::make_shared<Impl>();
  Parser parser(text, impl.get());
  if (Status st = parser.Run(); !st.ok()) return st;
  out->text_ = std::string(text);
  out->impl_ = std::move(impl);
  return Status::Ok();
}

std::optional<std::string> Condition::Evaluate(const ProbeResult& result) const {
  if (!impl_) return "the condition was never parsed";
  const Impl& c = *impl_;
  switch (c.subject) {
    case Subject::kStatus: return EvaluateStatus(c, result);
    case Subject::kResponseTime: return EvaluateResponseTime(c, result);
    case Subject::kBody: return EvaluateBody(c, result);
    case Subject::kHeader: return EvaluateHeader(c, result);
    case Subject::kJsonPath: return EvaluateJsonPath(c, result);
    case Subject::kCertDaysLeft: return EvaluateCertDaysLeft(c, result);
    case Subject::kCertValid: return EvaluateCertValid(c, result);
    case Subject::kAddress: return EvaluateAddress(c, result);
    case Subject::kConnected: return EvaluateConnected(c, result);
  }
  return "unknown subject";
}

}  // namespace csoc::fleet

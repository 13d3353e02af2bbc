#include "config/expand.h"

#include <cctype>

namespace csoc::config {

namespace {

bool IsNameStart(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool IsNameChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

}  // namespace

Status ExpandEnv(std::string_view text, const EnvLookup& env, Expanded* out) {
  out->text.clear();
  out->used_env = false;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t dollar = text.find('$', pos);
    if (dollar == std::string_view::npos) {
      out->text.append(text.substr(pos));
      break;
    }
    out->text.append(text.substr(pos, dollar - pos));
    if (text.substr(dollar, 3) == "$${") {
      out->text.append("${");
      pos = dollar + 3;
      continue;
    }
    if (text.substr(dollar, 2) != "${") {
      out->text.push_back('$');
      pos = dollar + 1;
      continue;
    }
    size_t close = text.find('}', dollar + 2);
    if (close == std::string_view::npos) {
      return Status::InvalidArgument("unterminated '${' (write '$${' for a literal '${')");
    }
    std::string name(text.substr(dollar + 2, close - dollar - 2));
    // ${NAME:-default}: the default when NAME is unset or empty, as in a shell.
    std::optional<std::string> fallback;
    if (size_t sep = name.find(":-"); sep != std::string::npos) {
      fallback = name.substr(sep + 2);
      name.resize(sep);
    }
    bool valid = !name.empty() && IsNameStart(name[0]);
    for (char c : name) valid = valid && IsNameChar(c);
    if (!valid) {
      return Status::InvalidArgument("invalid variable reference '${" + name +
                                     "}' (expected ${NAME} or ${NAME:-default} with letters, digits and underscores; "
                                     "write '$${' for a literal '${')");
    }
    std::optional<std::string> value = env ? env(name) : std::nullopt;
    if (fallback && (!value || value->empty())) value = fallback;
    if (!value) {
      return Status::NotFound("environment variable '" + name + "' is not set (or give a default: ${" + name +
                              ":-default})");
    }
    out->text.append(*value);
    out->used_env = true;
    pos = close + 1;
  }
  return Status::Ok();
}

}  // namespace csoc::config

// ${NAME} expansion of configuration strings from the process environment (or a test's lookup).
#pragma once

#include <string>
#include <string_view>

#include "config/config.h"
#include "core/status.h"

namespace csoc::config {

struct Expanded {
  std::string text;
  bool used_env = false;  // at least one ${NAME} was replaced: the value may be a secret
};

// Replaces every ${NAME} (NAME: a letter or underscore, then letters, digits and underscores) with
// the variable's value, and ${NAME:-default} with the default when NAME is unset or empty; "$${"
// stands for a literal "${"; any other '$' is kept as it is. Fails, naming the variable, when one
// without a default is unset, and on an unterminated or malformed reference.
Status ExpandEnv(std::string_view text, const EnvLookup& env, Expanded* out);

}  // namespace csoc::config

#include "core/status.h"

namespace csoc {

std::string Status::ToString() const {
  switch (code_) {
    case Code::kOk: return "ok";
    case Code::kInvalidArgument: return "invalid argument: " + message_;
    case Code::kNotFound: return "not found: " + message_;
    case Code::kConflict: return "conflict: " + message_;
    case Code::kIOError: return "I/O error: " + message_;
    case Code::kCorruption: return "corruption: " + message_;
    case Code::kUnavailable: return "unavailable: " + message_;
    case Code::kInternal: return "internal error: " + message_;
  }
  return message_;
}

}  // namespace csoc

// Status: the outcome of an operation that can fail, in the LevelDB style. An OK status carries
// nothing; an error carries a code and a human-readable message that names what was wrong.
// Cheap to copy; thread-compatible.
#pragma once

#include <string>
#include <string_view>
#include <utility>

namespace csoc {

class Status {
 public:
  // kConflict: the request is well formed but clashes with what exists (a duplicate name, removing
  // something still in use).
  enum class Code { kOk, kInvalidArgument, kNotFound, kConflict, kIOError, kCorruption, kUnavailable, kInternal };

  Status() = default;
  static Status Ok() { return Status(); }
  static Status InvalidArgument(std::string msg) { return Status(Code::kInvalidArgument, std::move(msg)); }
  static Status NotFound(std::string msg) { return Status(Code::kNotFound, std::move(msg)); }
  static Status Conflict(std::string msg) { return Status(Code::kConflict, std::move(msg)); }
  static Status IOError(std::string msg) { return Status(Code::kIOError, std::move(msg)); }
  static Status Corruption(std::string msg) { return Status(Code::kCorruption, std::move(msg)); }
  static Status Unavailable(std::string msg) { return Status(Code::kUnavailable, std::move(msg)); }
  static Status Internal(std::string msg) { return Status(Code::kInternal, std::move(msg)); }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  // "ok" or "<code name>: <message>".
  std::string ToString() const;

 private:
  Status(Code code, std::string msg) : code_(code), message_(std::move(msg)) {}
  Code code_ = Code::kOk;
  std::string message_;
};

}  // namespace csoc

// Returns the Status of `expr` from the enclosing function when it is not ok.
#define CSOC_RETURN_IF_ERROR(expr)               \
  do {                                           \
    ::csoc::Status csoc_status_ = (expr);        \
    if (!csoc_status_.ok()) return csoc_status_; \
  } while (0)

// Query-string parameters of API and page requests, and the parsing of their values, with error
// messages that name the parameter, what was expected and what arrived. Thread-compatible.
#pragma once

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"
#include "core/time.h"
#include "store/store.h"

namespace csoc::web {

class QueryParams {
 public:
  // Parses "a=1&b=x%20y". "+" is kept as a plus sign (so RFC 3339 offsets need no escaping); a
  // parameter given twice, an empty name or a malformed %-sequence is an error.
  static Status Parse(std::string_view query, QueryParams* out);

  // Null when absent.
  const std::string* Find(std::string_view name) const;
  // An error naming the first parameter not in `allowed`, listing the allowed ones.
  Status OnlyAllowed(std::initializer_list<std::string_view> allowed) const;
  bool empty() const { return items_.empty(); }

 private:
  std::vector<std::pair<std::string, std::string>> items_;
};

// RFC 3339 ("2026-11-22T10:00:00Z", "…+01:00") or unix milliseconds ("1795000000000"). A time after
// 2261 (the last a TimePoint holds) is taken as the end of 2261: as a range bound it means "until the end".
Status ParseTimeParam(std::string_view name, std::string_view value, TimePoint* out);
// A decimal integer in [min, max].
Status ParseIntParam(std::string_view name, std::string_view value, int64_t min, int64_t max, int64_t* out);

// The resolution chosen when none is asked for: up to 6 h minute, up to 14 d hour, else day.
store::Resolution DefaultResolution(std::chrono::milliseconds range);
// The width of one bucket of `r` (raw: zero).
std::chrono::milliseconds BucketWidth(store::Resolution r);

}  // namespace csoc::web

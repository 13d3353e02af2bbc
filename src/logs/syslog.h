// Syslog messages as nginx and other senders write them: parsing one message (RFC 3164 or RFC
// 5424, told apart by the version after PRI) and splitting a TCP byte stream into messages
// (RFC 6587). No I/O. ParseSyslog is a pure function, thread-safe; a SyslogStreamSplitter belongs
// to one connection and is not thread-safe.
//
// nginx (`access_log syslog:server=127.0.0.1:5514,tag=nginx combined;`) sends one RFC 3164 message
// per UDP datagram, as ngx_syslog_add_header writes it: "<PRI>Mmm dd hh:mm:ss HOSTNAME TAG: MSG",
// the day space-padded ("Dec  2"), the time nginx's local time, no year; with `nohostname` the
// HOSTNAME is left out.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "core/status.h"

namespace csoc::logs {

struct SyslogMessage {
  int facility = 0;      // 0..23 (16..23 are local0..local7; nginx's default is local7)
  int severity = 0;      // 0 (emerg) .. 7 (debug)
  std::string hostname;  // empty when the header has none (RFC 5424 "-", nginx's nohostname)
  std::string app_name;  // RFC 3164 TAG without its "[pid]" / RFC 5424 APP-NAME; empty when absent
  int64_t unix_ms = 0;   // 0 if absent (RFC 5424 "-")
  // The message after the header, a view into the datagram: valid as long as the datagram's bytes
  // are. RFC 5424's UTF-8 BOM and a trailing "\n" or "\r\n" are not part of it.
  std::string_view msg;
};

// Parses one message. An RFC 3164 timestamp carries no year and no zone: it is read as UTC (run the
// sender with TZ=UTC, as containers usually do) in the year of `now_unix_ms`, or the year before
// when that would put it more than a day after `now_unix_ms` (a December message read in January).
// A malformed header is an error that names the part ("RFC 3164 timestamp: ..."); *out is then
// unspecified.
Status ParseSyslog(std::string_view datagram, int64_t now_unix_ms, SyslogMessage* out);
// The same with now from the system clock.
Status ParseSyslog(std::string_view datagram, SyslogMessage* out);

// Splits a syslog TCP stream into messages. Each message's framing is detected on its own, as
// RFC 6587 allows senders to mix them: a message that starts with a digit is octet-counted
// ("123 <34>1 ..."), any other ends at '\n' (non-transparent framing; a '\r' before the '\n' and
// empty lines are dropped). A message longer than max_message_bytes is skipped, never buffered, and
// counted in dropped(); a malformed octet count ("12x") is read as the start of a '\n'-ended message.
class SyslogStreamSplitter {
 public:
  explicit SyslogStreamSplitter(size_t max_message_bytes) : max_(max_message_bytes) {}

  // Calls on_message for every message completed by `bytes`, in order. A message split across
  // calls is kept until its end arrives. The view is valid only during the call.
  void Feed(std::string_view bytes, const std::function<void(std::string_view message)>& on_message);

  uint64_t dropped() const { return dropped_; }

 private:
  enum class State { kStart, kCount, kFrame, kLine, kSkipFrame, kSkipLine };

  size_t max_;
  State state_ = State::kStart;
  std::string buffer_;      // the partial message (at most max_ bytes), or the digits of a count
  uint64_t remaining_ = 0;  // bytes still to come of an octet-counted message being kept or skipped
  uint64_t dropped_ = 0;
};

}  // namespace csoc::logs

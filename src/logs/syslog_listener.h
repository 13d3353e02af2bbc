// Receiving syslog over the network: a UDP socket (one message per datagram, as nginx sends) or a
// TCP listener (RFC 6587 framing, split by SyslogStreamSplitter), on an Asio io_context the caller
// runs. Messages are handed on as they arrive; parsing their header and their line is the caller's.
//
// Memory is bounded: a datagram is read into one 64 KiB buffer; a TCP connection has a 16 KiB read
// buffer and keeps at most max_message_bytes of a partial message; at most max_connections TCP
// connections are open (another one is closed at once, and a warning logged).
//
// Threading: everything, Close() too, runs on the io_context's thread.
#pragma once

#include <boost/asio/io_context.hpp>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "core/status.h"

namespace csoc::logs {

struct SyslogListenOptions {
  std::string listen;  // host:port, port 0 picks a free one
  bool tcp = false;
  size_t max_message_bytes = 64 * 1024 + 1024;  // a longer TCP message is skipped (on_oversize)
  size_t max_connections = 64;
};

class SyslogListener {
 public:
  // A whole message (header and body, without framing) and who sent it ("127.0.0.1:41234").
  using OnMessage = std::function<void(std::string_view message, const std::string& peer)>;
  // A TCP message longer than max_message_bytes was skipped.
  using OnOversize = std::function<void(const std::string& peer)>;

  // Binds and starts receiving. Fails with a message naming the address when it cannot bind.
  static Status Open(boost::asio::io_context& io, SyslogListenOptions options, OnMessage on_message,
                     OnOversize on_oversize, std::shared_ptr<SyslogListener>* out);
  virtual ~SyslogListener() = default;

  // Stops receiving and closes every connection; the callbacks are not called any more.
  virtual void Close() = 0;
  // The bound port (useful with port 0).
  virtual uint16_t port() const = 0;
  virtual size_t connections() const = 0;
};

}  // namespace csoc::logs

// The e-mail receiver: one message per notification, sent over SMTP with libcurl to a smarthost,
// with STARTTLS required by default (smtp://, CURLUSESSL_ALL) or implicit TLS on port 465
// (smtps://), and AUTH when a username is given.
//
// The message (BuildMessage, pure) is RFC 5322 + MIME: From, To, Subject ("[FIRING:2] ..."
// RFC 2047-encoded when not plain ASCII), Date (the notification's creation time),
// Message-ID `<notification-id@csoc>`, MIME-Version, Auto-Submitted: auto-generated (so
// vacation responders stay quiet), and a multipart/alternative body with a text/plain and a
// text/html part (rendered by text.h, every alert text HTML-escaped), each base64-encoded so long
// lines and any bytes travel safely.
//
// Idempotency: the Message-ID is derived from the notification id only, so a duplicate after a
// crash carries the same Message-ID and mail clients and archives can recognise it.
//
// Classification: SMTP 5xx and a refused login give up (the same message cannot succeed), a
// server without STARTTLS while require_tls is on gives up, SMTP 4xx and transport errors retry.
//
// Threading: Config and BuildMessage are plain values and a pure function; the Receiver is
// immutable and its Send may run on several threads at once.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "alert/receiver.h"

namespace csoc::alert::receivers::email {

struct Config {
  std::string host;  // the smarthost's name or address (without IPv6 brackets)
  int port = 25;
  std::string from;             // a bare address: alerts@example.com
  std::vector<std::string> to;  // bare addresses
  std::string username;         // empty: no AUTH
  std::string password;         // secret
  bool require_tls = true;      // false: STARTTLS when offered, plain SMTP otherwise
  std::string ca_file;          // empty: the system's trust store

  static std::optional<Config> From(const ReceiverConfig& config, std::vector<OptionError>* errors);
  // smtps://host:465 for port 465, smtp://host:port otherwise.
  std::string Url() const;
};

// The whole message, CRLF line endings, ready for DATA.
std::string BuildMessage(const Notification& n, const Config& config);

// "<id@csoc>" with the id's characters outside [A-Za-z0-9_-] written as =XX, so any id gives a
// valid msg-id and distinct ids stay distinct.
std::string MessageId(const std::string& notification_id);

class EmailReceiver : public Receiver {
 public:
  EmailReceiver(std::string name, bool send_resolved, Config config);
  std::string_view type() const override { return "email"; }
  DeliveryResult Send(const Notification& notification, std::chrono::milliseconds timeout) const override;

 private:
  Config config_;
};

ReceiverType Type();

}  // namespace csoc::alert::receivers::email

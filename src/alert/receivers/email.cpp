#include "alert/receivers/email.h"

#include <openssl/evp.h>

#include <cctype>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <memory>

#include "alert/receivers/http.h"
#include "alert/receivers/options.h"
#include "alert/receivers/text.h"

namespace csoc::alert::receivers::email {

namespace {

constexpr std::string_view kCrlf = "\r\n";

// A bare address, local@domain, in printable ASCII with nothing a header or an SMTP command could
// read as structure (spaces, <>, commas, quotes, CR/LF).
bool IsBareAddress(const std::string& a) {
  size_t at = a.find('@');
  if (at == std::string::npos || at == 0 || at + 1 == a.size() || a.find('@', at + 1) != std::string::npos)
    return false;
  for (unsigned char c : a) {
    if (c <= 0x20 || c >= 0x7f || std::strchr("<>()[],;:\"\\", c) != nullptr) return false;
  }
  return true;
}

// Base64 in lines of 76 characters, each ended by CRLF (RFC 2045).
std::string Base64Lines(std::string_view data) {
  std::string out;
  constexpr size_t kChunk = 57;  // 57 bytes → 76 characters
  unsigned char buf[80];
  for (size_t i = 0; i < data.size(); i += kChunk) {
    size_t n = std::min(kChunk, data.size() - i);
    int len = EVP_EncodeBlock(buf, reinterpret_cast<const unsigned char*>(data.data() + i), static_cast<int>(n));
    out.append(reinterpret_cast<const char*>(buf), static_cast<size_t>(len));
    out += kCrlf;
  }
  return out;
}

std::string Base64(std::string_view data) {
  std::string out(4 * ((data.size() + 2) / 3), '\0');
  int len = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                            reinterpret_cast<const unsigned char*>(data.data()), static_cast<int>(data.size()));
  out.resize(static_cast<size_t>(len));
  return out;
}

// A Subject value: control characters (a label with a newline would otherwise inject headers)
// become spaces; text that is not plain printable ASCII, or too long for one line, becomes RFC 2047
// encoded words of at most 75 characters, each holding whole UTF-8 sequences, folded onto
// continuation lines.
std::string EncodeSubject(std::string_view text) {
  std::string clean;
  bool ascii = true;
  for (char c : text) {
    unsigned char u = static_cast<unsigned char>(c);
    clean += (u < 0x20 || u == 0x7f) ? ' ' : c;
    if (u >= 0x80) ascii = false;
  }
  if (ascii && clean.size() <= 900) return clean;
  constexpr size_t kMaxBytes = 45;  // 45 bytes → 60 base64 characters + 12 for =?UTF-8?B?...?=
  std::string out;
  size_t i = 0;
  while (i < clean.size()) {
    size_t end = std::min(clean.size(), i + kMaxBytes);
    while (end < clean.size() && end > i + 1 && (static_cast<unsigned char>(clean[end]) & 0xC0) == 0x80) --end;
    if (!out.empty()) out += "\r\n ";
    out += "=?UTF-8?B?" + Base64(std::string_view(clean).substr(i, end - i)) + "?=";
    i = end;
  }
  return out;
}

// RFC 5322 date-time in UTC, with English names whatever the process's locale.
std::string MailDate(TimePoint t) {
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::time_t secs = std::chrono::system_clock::to_time_t(std::chrono::floor<std::chrono::seconds>(t));
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d +0000", kDays[tm.tm_wday], tm.tm_mday,
                kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return buf;
}

struct Upload {
  std::string_view data;
  size_t at = 0;
};

size_t OnRead(char* buffer, size_t size, size_t count, void* upload) {
  auto* u = static_cast<Upload*>(upload);
  size_t n = std::min(size * count, u->data.size() - u->at);
  std::memcpy(buffer, u->data.data() + u->at, n);
  u->at += n;
  return n;
}

DeliveryResult Result(DeliveryResult::Kind kind, std::string detail) {
  DeliveryResult r;
  r.kind = kind;
  r.detail = std::move(detail);
  return r;
}

}  // namespace

std::optional<Config> Config::From(const ReceiverConfig& rc, std::vector<OptionError>* errors) {
  OptionReader r(rc, errors);
  Config c;
  std::string smarthost = r.String("smarthost", true);
  if (!smarthost.empty()) {
    size_t colon = smarthost.rfind(':');
    std::string host = colon == std::string::npos ? "" : smarthost.substr(0, colon);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    std::string port = colon == std::string::npos ? "" : smarthost.substr(colon + 1);
    bool port_ok = !port.empty() && port.size() <= 5 && port.find_first_not_of("0123456789") == std::string::npos;
    if (port_ok) c.port = std::stoi(port);
    if (host.empty() || host.find_first_of(" /@?#") != std::string::npos || !port_ok || c.port < 1 || c.port > 65535) {
      r.Error("smarthost", "must be host:port (e.g. mail.example.com:587)");
    }
    c.host = host;
  }
  c.from = r.String("from", true);
  if (!c.from.empty() && !IsBareAddress(c.from)) r.Error("from", "must be an address like alerts@example.com");
  c.to = r.StringList("to", true);
  for (const std::string& a : c.to) {
    if (!IsBareAddress(a)) r.Error("to", "'" + a + "' is not an address like oncall@example.com");
  }
  c.username = r.String("username", false);
  c.password = r.String("password", false);
  if (c.username.empty() != c.password.empty()) {
    r.Error(c.username.empty() ? "username" : "password", "username and password go together");
  }
  c.require_tls = r.Bool("require_tls", true);
  c.ca_file = r.String("ca_file", false);
  std::error_code ec;
  if (!c.ca_file.empty() && !std::filesystem::is_regular_file(c.ca_file, ec))
    r.Error("ca_file", "is not a readable file");
  if (!r.ok()) return std::nullopt;
  return c;
}

std::string Config::Url() const {
  std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return (port == 465 ? "smtps://" : "smtp://") + h + ":" + std::to_string(port);
}

std::string MessageId(const std::string& notification_id) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out = "<";
  for (unsigned char c : notification_id) {
    if (std::isalnum(c) || c == '-' || c == '_') {
      out += static_cast<char>(c);
    } else {
      out += '=';
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    }
  }
  return out + "@csoc>";
}

std::string BuildMessage(const Notification& n, const Config& config) {
  // The boundary is derived from the id (pure and repeatable); "=_" never occurs in base64 text.
  const std::string boundary = "=_csoc_" + FingerprintHex(Fingerprint({{"id", n.id}}));
  std::string to;
  for (const std::string& a : config.to) to += (to.empty() ? "" : ", ") + a;
  std::string html = "<!DOCTYPE html>\r\n<html><body>\r\n" + RenderHtml(n, n.alerts.size()) + "</body></html>\r\n";

  std::string m;
  auto header = [&m](std::string_view name, std::string_view value) {
    m.append(name).append(": ").append(value).append(kCrlf);
  };
  header("From", config.from);
  header("To", to);
  header("Subject", EncodeSubject(GroupTitle(n)));
  header("Date", MailDate(n.created));
  header("Message-ID", MessageId(n.id));
  header("MIME-Version", "1.0");
  header("Auto-Submitted", "auto-generated");
  header("Content-Type", "multipart/alternative; boundary=\"" + boundary + "\"");
  m.append(kCrlf);
  m.append("--").append(boundary).append(kCrlf);
  header("Content-Type", "text/plain; charset=utf-8");
  header("Content-Transfer-Encoding", "base64");
  m.append(kCrlf).append(Base64Lines(RenderPlainText(n, n.alerts.size())));
  m.append("--").append(boundary).append(kCrlf);
  header("Content-Type", "text/html; charset=utf-8");
  header("Content-Transfer-Encoding", "base64");
  m.append(kCrlf).append(Base64Lines(html));
  m.append("--").append(boundary).append("--").append(kCrlf);
  return m;
}

EmailReceiver::EmailReceiver(std::string name, bool send_resolved, Config config)
    : Receiver(std::move(name), send_resolved), config_(std::move(config)) {}

DeliveryResult EmailReceiver::Send(const Notification& notification, std::chrono::milliseconds timeout) const {
  InitCurlOnce();
  const std::string message = BuildMessage(notification, config_);
  const std::vector<std::string> secrets = {config_.password};
  std::unique_ptr<CURL, void (*)(CURL*)> easy(curl_easy_init(), curl_easy_cleanup);
  std::unique_ptr<curl_slist, void (*)(curl_slist*)> rcpt(nullptr, curl_slist_free_all);
  if (!easy) return Result(DeliveryResult::Kind::kRetry, "cannot set up an SMTP transfer (out of memory)");
  for (const std::string& a : config_.to) {
    curl_slist* appended = curl_slist_append(rcpt.get(), ("<" + a + ">").c_str());
    if (appended == nullptr)
      return Result(DeliveryResult::Kind::kRetry, "cannot set up an SMTP transfer (out of memory)");
    rcpt.release();
    rcpt.reset(appended);
  }
  const std::string url = config_.Url();
  const std::string mail_from = "<" + config_.from + ">";
  Upload upload{message};
  char error_buffer[CURL_ERROR_SIZE] = {};
  CURL* e = easy.get();
  CURLcode rc = CURLE_OK;
  auto set = [&](CURLoption option, auto value) {
    if (rc == CURLE_OK) rc = curl_easy_setopt(e, option, value);
  };
  set(CURLOPT_URL, url.c_str());
  set(CURLOPT_PROTOCOLS_STR, "smtp,smtps");
  set(CURLOPT_NOSIGNAL, 1L);
  set(CURLOPT_ERRORBUFFER, error_buffer);
  set(CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
  set(CURLOPT_PROXY, "");
  set(CURLOPT_MAIL_FROM, mail_from.c_str());
  set(CURLOPT_MAIL_RCPT, rcpt.get());
  // smtps:// is TLS from the first byte; for smtp:// this decides whether STARTTLS is a must.
  set(CURLOPT_USE_SSL, static_cast<long>(config_.require_tls ? CURLUSESSL_ALL : CURLUSESSL_TRY));
  set(CURLOPT_SSL_VERIFYPEER, 1L);
  set(CURLOPT_SSL_VERIFYHOST, 2L);
  if (!config_.ca_file.empty()) set(CURLOPT_CAINFO, config_.ca_file.c_str());
  if (!config_.username.empty()) {
    set(CURLOPT_USERNAME, config_.username.c_str());
    set(CURLOPT_PASSWORD, config_.password.c_str());
  }
  set(CURLOPT_UPLOAD, 1L);
  set(CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(message.size()));
  set(CURLOPT_READFUNCTION, &OnRead);
  set(CURLOPT_READDATA, static_cast<void*>(&upload));
  if (rc != CURLE_OK) {
    return Result(DeliveryResult::Kind::kRetry,
                  Redact(std::string("cannot set up an SMTP transfer: ") + curl_easy_strerror(rc), secrets));
  }

  rc = curl_easy_perform(e);
  long smtp_code = 0;
  curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &smtp_code);
  if (rc == CURLE_OK)
    return Result(DeliveryResult::Kind::kDelivered, "SMTP " + std::to_string(smtp_code) + " from " + config_.host);

  std::string detail = TransportError(e, rc, error_buffer, timeout, config_.host);
  if (smtp_code >= 400 && smtp_code < 600 && detail.find(std::to_string(smtp_code)) == std::string::npos) {
    detail += " (SMTP " + std::to_string(smtp_code) + ")";
  }
  // A refused login, a refused sender or recipient, or a server without STARTTLS while it is
  // required: sending the same message again cannot succeed. SMTP 4xx is "try again later".
  bool permanent = rc == CURLE_LOGIN_DENIED || rc == CURLE_USE_SSL_FAILED || (smtp_code >= 500 && smtp_code < 600);
  return Result(permanent ? DeliveryResult::Kind::kGiveUp : DeliveryResult::Kind::kRetry,
                Redact(std::move(detail), secrets));
}

ReceiverType Type() {
  return ReceiverType{"email",
                      {{"smarthost", OptionKind::kString, true, "SMTP server as host:port (port 465: implicit TLS)"},
                       {"from", OptionKind::kString, true, "sender address"},
                       {"to", OptionKind::kStringList, true, "recipient addresses"},
                       {"username", OptionKind::kString, false, "AUTH user name (with password)"},
                       {"password", OptionKind::kSecret, false, "AUTH password (with username)"},
                       {"require_tls", OptionKind::kBool, false, "refuse to send without TLS (default true)"},
                       {"ca_file", OptionKind::kString, false, "PEM file of CAs to trust instead of the system's"}},
                      [](const ReceiverConfig& rc, std::vector<OptionError>* errors) -> std::unique_ptr<Receiver> {
                        std::optional<Config> c = Config::From(rc, errors);
                        if (!c) return nullptr;
                        return std::make_unique<EmailReceiver>(rc.name, rc.send_resolved, std::move(*c));
                      }};
}

}  // namespace csoc::alert::receivers::email

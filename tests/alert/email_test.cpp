// The e-mail receiver: the message BuildMessage produces, parsed back (headers, Subject encoding,
// Message-ID, both MIME parts, escaping); config validation naming the key; and delivery to a
// REAL local SMTP server (aiosmtpd, run with /usr/bin/python3): plain SMTP into a Maildir,
// STARTTLS + AUTH with a self-signed certificate made by openssl, a wrong password, a server
// without STARTTLS while TLS is required, and a closed port, with no password in any detail.
#include "alert/receivers/email.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>

#include "alert/receiver.h"
#include "alert/receiver_fixtures.h"
#include "support/support.h"

namespace csoc::alert {
namespace {

namespace fs = std::filesystem;
using csoc::testing::FreePort;
using csoc::testing::Process;
using csoc::testing::TempDir;
using testing::FiringGroup;
using testing::ResolvedGroup;
using Kind = DeliveryResult::Kind;

constexpr const char* kPython = "/usr/bin/python3";  // the pyenv python3 first on PATH lacks aiosmtpd

// ---- a small MIME reader -----------------------------------------------------------------------

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string Base64Decode(const std::string& text) {
  std::string clean;
  for (char c : text) {
    if (c != '\r' && c != '\n' && c != ' ') clean += c;
  }
  std::string out(clean.size() / 4 * 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(clean.data()), static_cast<int>(clean.size()));
  if (n < 0) return "<invalid base64>";
  size_t pad = 0;
  for (size_t i = clean.size(); i > 0 && clean[i - 1] == '='; --i) ++pad;
  out.resize(static_cast<size_t>(n) - pad);
  return out;
}

struct Part {
  std::map<std::string, std::string> headers;  // lower-case names, unfolded values
  std::string body;
};

// Headers and body of a message or a MIME part; CRLF or LF line ends.
Part ParsePart(std::string text) {
  std::string lf;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n') continue;
    lf += text[i];
  }
  Part p;
  size_t end = lf.find("\n\n");
  std::string head = lf.substr(0, end);
  p.body = end == std::string::npos ? "" : lf.substr(end + 2);
  std::string name;
  size_t at = 0;
  while (at < head.size()) {
    size_t nl = head.find('\n', at);
    std::string line = head.substr(at, nl == std::string::npos ? std::string::npos : nl - at);
    at = nl == std::string::npos ? head.size() : nl + 1;
    if (!line.empty() && (line[0] == ' ' || line[0] == '\t')) {
      p.headers[name] += line;  // folded: the line break goes, the whitespace stays
      continue;
    }
    size_t colon = line.find(':');
    name = Lower(line.substr(0, colon));
    std::string value = line.substr(colon + 1);
    if (!value.empty() && value[0] == ' ') value.erase(0, 1);
    p.headers[name] = value;
  }
  return p;
}

// RFC 2047 "=?UTF-8?B?...?=" words (as BuildMessage writes them), whitespace between words dropped.
std::string DecodeSubject(const std::string& value) {
  if (value.rfind("=?UTF-8?B?", 0) != 0) return value;
  std::string out;
  size_t at = 0;
  while ((at = value.find("=?UTF-8?B?", at)) != std::string::npos) {
    size_t end = value.find("?=", at + 10);
    out += Base64Decode(value.substr(at + 10, end - at - 10));
    at = end + 2;
  }
  return out;
}

struct Mail {
  Part message;
  std::string subject;
  std::string text;  // the decoded text/plain part
  std::string html;  // the decoded text/html part
};

Mail ParseMail(const std::string& raw) {
  Mail m;
  m.message = ParsePart(raw);
  m.subject = DecodeSubject(m.message.headers["subject"]);
  std::string type = m.message.headers["content-type"];
  size_t b = type.find("boundary=\"");
  EXPECT_NE(b, std::string::npos) << type;
  if (b == std::string::npos) return m;
  std::string boundary = type.substr(b + 10, type.find('"', b + 10) - b - 10);
  std::string body = m.message.body;
  size_t at = body.find("--" + boundary + "\n");
  while (at != std::string::npos) {
    size_t start = at + boundary.size() + 3;
    size_t next = body.find("\n--" + boundary, start);
    if (next == std::string::npos) break;
    Part part = ParsePart(body.substr(start, next + 1 - start));
    EXPECT_EQ(part.headers["content-transfer-encoding"], "base64");
    std::string decoded = Base64Decode(part.body);
    if (part.headers["content-type"] == "text/plain; charset=utf-8") m.text = decoded;
    if (part.headers["content-type"] == "text/html; charset=utf-8") m.html = decoded;
    at = body.compare(next + 3 + boundary.size(), 2, "--") == 0 ? std::string::npos : next + 1;
  }
  return m;
}

// ---- config ------------------------------------------------------------------------------------

ReceiverConfig EmailRc(std::map<std::string, OptionValue> options) {
  return ReceiverConfig{"mail", "email", true, std::move(options)};
}

std::map<std::string, OptionValue> BaseOptions(const std::string& smarthost) {
  return {{"smarthost", smarthost},
          {"from", std::string("csoc@example.org")},
          {"to", std::vector<std::string>{"oncall@example.org", "sre@example.org"}}};
}

receivers::email::Config MustConfig(std::map<std::string, OptionValue> options) {
  std::vector<OptionError> errors;
  std::optional<receivers::email::Config> c = receivers::email::Config::From(EmailRc(std::move(options)), &errors);
  for (const OptionError& e : errors) ADD_FAILURE() << e.key << ": " << e.message;
  return c.value_or(receivers::email::Config{});
}

std::vector<std::string> ErrorKeys(std::map<std::string, OptionValue> options) {
  std::vector<OptionError> errors;
  EXPECT_FALSE(receivers::email::Config::From(EmailRc(std::move(options)), &errors));
  std::vector<std::string> keys;
  for (const OptionError& e : errors) keys.push_back(e.key);
  return keys;
}

TEST(EmailConfigTest, ErrorsNameTheKey) {
  EXPECT_EQ(ErrorKeys({}), (std::vector<std::string>{"smarthost", "from", "to"}));
  auto with = [](std::string key, OptionValue v) {
    auto o = BaseOptions("mail.example.org:587");
    o[key] = std::move(v);
    return o;
  };
  EXPECT_EQ(ErrorKeys(with("smarthost", std::string("mail.example.org"))), std::vector<std::string>{"smarthost"});
  EXPECT_EQ(ErrorKeys(with("smarthost", std::string("mail.example.org:99999"))), std::vector<std::string>{"smarthost"});
  EXPECT_EQ(ErrorKeys(with("from", std::string("csoc <csoc@example.org>"))), std::vector<std::string>{"from"});
  EXPECT_EQ(ErrorKeys(with("to", std::vector<std::string>{"ok@example.org", "a@b\r\nRCPT TO:<x@y>"})),
            std::vector<std::string>{"to"});
  EXPECT_EQ(ErrorKeys(with("to", std::vector<std::string>{})), std::vector<std::string>{"to"});
  EXPECT_EQ(ErrorKeys(with("username", std::string("csoc"))), std::vector<std::string>{"password"});
  EXPECT_EQ(ErrorKeys(with("require_tls", std::string("yes"))), std::vector<std::string>{"require_tls"});
  EXPECT_EQ(ErrorKeys(with("ca_file", std::string("/nonexistent/ca.pem"))), std::vector<std::string>{"ca_file"});

  auto c = MustConfig(BaseOptions("[::1]:465"));
  EXPECT_EQ(c.host, "::1");
  EXPECT_EQ(c.Url(), "smtps://[::1]:465");
  EXPECT_TRUE(c.require_tls);
  EXPECT_EQ(MustConfig(BaseOptions("mail.example.org:587")).Url(), "smtp://mail.example.org:587");
}

// ---- the message -------------------------------------------------------------------------------

TEST(EmailMessageTest, ParsesBackWithBothPartsEscaped) {
  const std::string raw =
      receivers::email::BuildMessage(FiringGroup(), MustConfig(BaseOptions("mail.example.org:587")));
  // Every line ends in CRLF and stays within SMTP's 998-character limit.
  size_t at = 0;
  while (at < raw.size()) {
    size_t nl = raw.find('\n', at);
    ASSERT_NE(nl, std::string::npos);
    EXPECT_EQ(raw[nl - 1], '\r');
    EXPECT_LE(nl - at, 998u);
    at = nl + 1;
  }
  Mail m = ParseMail(raw);
  EXPECT_EQ(m.message.headers["from"], "csoc@example.org");
  EXPECT_EQ(m.message.headers["to"], "oncall@example.org, sre@example.org");
  EXPECT_EQ(m.subject, "[FIRING:2] CheckFailing prod");
  EXPECT_EQ(m.message.headers["date"], "Tue, 02 Dec 2025 18:26:40 +0000");
  EXPECT_EQ(m.message.headers["message-id"], "<01JDX7Q8Z3-oncall-7f3a@csoc>");
  EXPECT_EQ(m.message.headers["mime-version"], "1.0");
  EXPECT_EQ(m.message.headers["auto-submitted"], "auto-generated");
  EXPECT_EQ(m.message.headers["content-type"].rfind("multipart/alternative; boundary=", 0), 0u);

  EXPECT_NE(m.text.find("CheckFailing (prod/eu-1/api) — API health check failing"), std::string::npos) << m.text;
  EXPECT_NE(m.text.find("Evidence: HTTP 503 from /health: <b>upstream</b> & \"db\" down"), std::string::npos) << m.text;
  EXPECT_NE(m.text.find("Held back while prod is down:\n  - CheckFailing (prod/eu-1/db)"), std::string::npos) << m.text;

  EXPECT_NE(m.html.find("Evidence: HTTP 503 from /health: &lt;b&gt;upstream&lt;/b&gt; &amp; &quot;db&quot; down"),
            std::string::npos)
      << m.html;
  EXPECT_EQ(m.html.find("<b>upstream"), std::string::npos);
  EXPECT_NE(m.html.find("<a href=\"https://csoc.example.org/d/api?env=prod&amp;x=1\">Dashboard</a>"),
            std::string::npos);
  EXPECT_EQ(m.html.find("javascript:"), std::string::npos);
  EXPECT_EQ(m.html.rfind("<!DOCTYPE html>", 0), 0u);
}

TEST(EmailMessageTest, ResolvedSubject) {
  Mail m = ParseMail(receivers::email::BuildMessage(ResolvedGroup(), MustConfig(BaseOptions("mail.example.org:587"))));
  EXPECT_EQ(m.subject, "[RESOLVED] CheckFailing prod");
  EXPECT_EQ(m.message.headers["message-id"], "<01JDX9K2M1-oncall-7f3a@csoc>");
  EXPECT_NE(m.text.find("Ended: 2025-12-02 18:34:40 UTC"), std::string::npos) << m.text;
}

TEST(EmailMessageTest, SubjectNeitherInjectsHeadersNorBreaksOnUtf8) {
  Notification n = FiringGroup();
  n.group_labels = {{"alertname", "Disk\r\nBcc: evil@example.org"}};
  std::string raw = receivers::email::BuildMessage(n, MustConfig(BaseOptions("mail.example.org:587")));
  Mail m = ParseMail(raw);
  EXPECT_EQ(m.message.headers.count("bcc"), 0u);
  EXPECT_EQ(m.subject, "[FIRING:2] Disk  Bcc: evil@example.org (prod)");

  n.group_labels = {{"alertname", std::string(40, 'x') + "Störung — Prüfung fehlgeschlagen 🔥" + std::string(60, 'y')}};
  m = ParseMail(receivers::email::BuildMessage(n, MustConfig(BaseOptions("mail.example.org:587"))));
  EXPECT_EQ(m.subject, "[FIRING:2] " + n.group_labels["alertname"] + " (prod)");
}

TEST(EmailMessageTest, MessageIdIsValidAndDistinctForAnyId) {
  EXPECT_EQ(receivers::email::MessageId("abc-123_x"), "<abc-123_x@csoc>");
  EXPECT_EQ(receivers::email::MessageId("a b>c.d"), "<a=20b=3Ec=2Ed@csoc>");
  EXPECT_NE(receivers::email::MessageId("a.b"), receivers::email::MessageId("a_b"));
}

// ---- a real SMTP server ------------------------------------------------------------------------

bool Listening(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

std::vector<std::string> Delivered(const fs::path& maildir) {
  std::vector<std::string> mails;
  if (!fs::exists(maildir / "new")) return mails;
  for (const auto& entry : fs::directory_iterator(maildir / "new"))
    mails.push_back(csoc::testing::ReadFile(entry.path()));
  return mails;
}

// aiosmtpd's command line server: plain SMTP (no STARTTLS, no AUTH) into a Maildir.
class PlainSmtpServer {
 public:
  explicit PlainSmtpServer(const TempDir& dir)
      : port_(FreePort()),
        maildir_(dir.path() / "maildir"),
        process_({kPython, "-m", "aiosmtpd", "-n", "-l", "127.0.0.1:" + std::to_string(port_), "-c",
                  "aiosmtpd.handlers.Mailbox", maildir_.string()},
                 dir.path() / "smtp.log") {
    EXPECT_TRUE(csoc::testing::WaitFor([&] { return Listening(port_); }, std::chrono::seconds(15))) << process_.Log();
  }
  ~PlainSmtpServer() { process_.Signal(SIGTERM, std::chrono::seconds(5)); }
  int port() const { return port_; }
  const fs::path& maildir() const { return maildir_; }

 private:
  int port_;
  fs::path maildir_;
  Process process_;
};

TEST(EmailDeliveryTest, PlainSmtpToARealServer) {
  TempDir dir;
  PlainSmtpServer server(dir);
  auto options = BaseOptions("127.0.0.1:" + std::to_string(server.port()));
  options["require_tls"] = false;  // the local server offers no STARTTLS
  std::vector<OptionError> errors;
  std::unique_ptr<Receiver> receiver = FindReceiverType("email")->make(EmailRc(options), &errors);
  ASSERT_NE(receiver, nullptr);
  DeliveryResult r = receiver->Send(FiringGroup(), std::chrono::seconds(10));
  EXPECT_EQ(r.kind, Kind::kDelivered) << r.detail;
  EXPECT_EQ(r.detail, "SMTP 250 from 127.0.0.1");

  std::vector<std::string> mails = Delivered(server.maildir());
  ASSERT_EQ(mails.size(), 1u);
  Mail m = ParseMail(mails[0]);
  EXPECT_EQ(m.subject, "[FIRING:2] CheckFailing prod");
  EXPECT_EQ(m.message.headers["message-id"], "<01JDX7Q8Z3-oncall-7f3a@csoc>");
  EXPECT_EQ(m.message.headers["x-mailfrom"], "csoc@example.org");
  EXPECT_EQ(m.message.headers["x-rcptto"], "oncall@example.org, sre@example.org");
  EXPECT_NE(m.text.find("Evidence: HTTP 503 from /health: <b>upstream</b>"), std::string::npos) << m.text;
  EXPECT_NE(m.html.find("&lt;b&gt;upstream&lt;/b&gt;"), std::string::npos) << m.html;
  // What the server stored is what the builder produced (aiosmtpd adds X-Peer/X-MailFrom/X-RcptTo).
  Mail built = ParseMail(receivers::email::BuildMessage(FiringGroup(), MustConfig(options)));
  EXPECT_EQ(m.text, built.text);
  EXPECT_EQ(m.html, built.html);
}

TEST(EmailDeliveryTest, RequiredTlsRefusedByAServerWithoutStarttls) {
  TempDir dir;
  PlainSmtpServer server(dir);
  auto options = BaseOptions("127.0.0.1:" + std::to_string(server.port()));
  options["username"] = std::string("csoc");
  options["password"] = std::string("PASSWORD-sm7p");
  std::vector<OptionError> errors;
  DeliveryResult r =
      FindReceiverType("email")->make(EmailRc(options), &errors)->Send(FiringGroup(), std::chrono::seconds(10));
  EXPECT_EQ(r.kind, Kind::kGiveUp) << r.detail;
  EXPECT_EQ(r.detail, "127.0.0.1 does not offer STARTTLS");
  EXPECT_TRUE(Delivered(server.maildir()).empty());
}

TEST(EmailDeliveryTest, ClosedPortRetries) {
  auto options = BaseOptions("127.0.0.1:" + std::to_string(FreePort()));
  options["username"] = std::string("csoc");
  options["password"] = std::string("PASSWORD-sm7p");
  std::vector<OptionError> errors;
  DeliveryResult r =
      FindReceiverType("email")->make(EmailRc(options), &errors)->Send(FiringGroup(), std::chrono::seconds(10));
  EXPECT_EQ(r.kind, Kind::kRetry) << r.detail;
  EXPECT_EQ(r.detail, "connection refused by 127.0.0.1");
}

// aiosmtpd with STARTTLS required before AUTH, and AUTH required before MAIL.
constexpr const char* kTlsServer = R"py(
import ssl, sys, threading
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Mailbox
from aiosmtpd.smtp import AuthResult, LoginPassword

port, maildir, cert, key, user, password = sys.argv[1:7]
tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
tls.load_cert_chain(cert, key)

def authenticate(server, session, envelope, mechanism, auth_data):
    ok = (isinstance(auth_data, LoginPassword) and auth_data.login == user.encode()
          and auth_data.password == password.encode())
    return AuthResult(success=ok, handled=False)

controller = Controller(Mailbox(maildir), hostname="127.0.0.1", port=int(port),
                        tls_context=tls, require_starttls=True, authenticator=authenticate,
                        auth_required=True, auth_require_tls=True)
controller.start()
print("listening", flush=True)
threading.Event().wait()
)py";

class TlsSmtpServer {
 public:
  explicit TlsSmtpServer(const TempDir& dir) : port_(FreePort()), maildir_(dir.path() / "maildir") {
    cert_ = dir.path() / "cert.pem";
    fs::path key = dir.path() / "key.pem";
    csoc::testing::CommandResult made = csoc::testing::RunCommand(
        {"/usr/bin/openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key.string(), "-out",
         cert_.string(), "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"},
        dir.path());
    EXPECT_EQ(made.code, 0) << made.Describe();
    fs::path script = dir.path() / "smtpd.py";
    csoc::testing::WriteFile(script, kTlsServer);
    process_ = std::make_unique<Process>(
        std::vector<std::string>{kPython, script.string(), std::to_string(port_), maildir_.string(), cert_.string(),
                                 key.string(), "csoc", "PASSWORD-sm7p"},
        dir.path() / "smtp.log");
    EXPECT_TRUE(csoc::testing::WaitFor([&] { return Listening(port_); }, std::chrono::seconds(15))) << process_->Log();
  }
  ~TlsSmtpServer() { process_->Signal(SIGTERM, std::chrono::seconds(5)); }
  int port() const { return port_; }
  const fs::path& maildir() const { return maildir_; }
  const fs::path& cert() const { return cert_; }
  std::string Log() const { return process_->Log(); }

 private:
  int port_;
  fs::path maildir_;
  fs::path cert_;
  std::unique_ptr<Process> process_;
};

TEST(EmailDeliveryTest, StarttlsAndAuthToARealServer) {
  TempDir dir;
  TlsSmtpServer server(dir);
  auto options = BaseOptions("127.0.0.1:" + std::to_string(server.port()));
  options["username"] = std::string("csoc");
  options["password"] = std::string("PASSWORD-sm7p");
  options["ca_file"] = server.cert().string();  // require_tls stays at its default, true
  std::vector<OptionError> errors;
  std::unique_ptr<Receiver> receiver = FindReceiverType("email")->make(EmailRc(options), &errors);
  ASSERT_NE(receiver, nullptr);
  DeliveryResult r = receiver->Send(FiringGroup(), std::chrono::seconds(10));
  EXPECT_EQ(r.kind, Kind::kDelivered) << r.detail << "\n" << server.Log();
  std::vector<std::string> mails = Delivered(server.maildir());
  ASSERT_EQ(mails.size(), 1u);
  Mail m = ParseMail(mails[0]);
  EXPECT_EQ(m.subject, "[FIRING:2] CheckFailing prod");
  EXPECT_EQ(m.message.headers["message-id"], "<01JDX7Q8Z3-oncall-7f3a@csoc>");
  EXPECT_FALSE(m.text.empty());
  EXPECT_FALSE(m.html.empty());

  // A wrong password: refused, not retried, and never in the detail.
  options["password"] = std::string("WRONG-PASSWORD-x9");
  r = FindReceiverType("email")->make(EmailRc(options), &errors)->Send(FiringGroup(), std::chrono::seconds(10));
  EXPECT_EQ(r.kind, Kind::kGiveUp) << r.detail;
  EXPECT_EQ(r.detail, "127.0.0.1 refused the login (SMTP 535)");
  EXPECT_EQ(r.detail.find("WRONG-PASSWORD-x9"), std::string::npos) << r.detail;
  EXPECT_EQ(r.detail.find("PASSWORD-sm7p"), std::string::npos) << r.detail;

  // Without the CA, the self-signed certificate is not trusted.
  options["password"] = std::string("PASSWORD-sm7p");
  options.erase("ca_file");
  r = FindReceiverType("email")->make(EmailRc(options), &errors)->Send(FiringGroup(), std::chrono::seconds(10));
  EXPECT_EQ(r.kind, Kind::kRetry) << r.detail;
  EXPECT_EQ(r.detail, "TLS certificate of 127.0.0.1 not trusted: SSL certificate problem: self-signed certificate");
  EXPECT_EQ(r.detail.find("PASSWORD-sm7p"), std::string::npos) << r.detail;
  EXPECT_EQ(Delivered(server.maildir()).size(), 1u);
}

}  // namespace
}  // namespace csoc::alert

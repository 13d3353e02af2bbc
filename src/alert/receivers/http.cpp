#include "alert/receivers/http.h"

#include <curl/curl.h>
#include <strings.h>

#include <cerrno>
#include <memory>
#include <mutex>
#include <string_view>

#include "alert/receivers/options.h"
#include "core/time.h"

namespace csoc::alert::receivers {

namespace {

// How much of an answer is kept: enough for Slack's "no_service" or a JSON error, not a page.
constexpr size_t kMaxAnswer = 4096;
constexpr size_t kMaxAnswerInDetail = 200;

struct Answer {
  std::string body;
  std::string retry_after;
};

size_t OnBody(char* data, size_t size, size_t count, void* answer) {
  auto* a = static_cast<Answer*>(answer);
  size_t n = size * count;
  if (a->body.size() < kMaxAnswer) a->body.append(data, std::min(n, kMaxAnswer - a->body.size()));
  return n;
}

size_t OnHeader(char* data, size_t size, size_t count, void* answer) {
  auto* a = static_cast<Answer*>(answer);
  std::string_view line(data, size * count);
  constexpr std::string_view kName = "retry-after:";
  if (line.size() > kName.size() && strncasecmp(line.data(), kName.data(), kName.size()) == 0) {
    line.remove_prefix(kName.size());
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
    while (!line.empty() && (line.back() == '\r' || line.back() == '\n' || line.back() == ' ')) line.remove_suffix(1);
    a->retry_after = std::string(line.substr(0, 64));
  }
  return size * count;
}

// The start of an answer on one line: control characters (a server's HTML, newlines) become
// spaces so a delivery log line stays one line.
std::string OneLine(std::string_view text) {
  std::string out;
  for (char c : text.substr(0, kMaxAnswerInDetail)) {
    unsigned char u = static_cast<unsigned char>(c);
    out += (u < 0x20 || u == 0x7f) ? ' ' : c;
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

}  // namespace

std::string TransportError(CURL* easy, CURLcode code, const char* error_buffer, std::chrono::milliseconds timeout,
                           const std::string& host) {
  long os_errno = 0;
  curl_easy_getinfo(easy, CURLINFO_OS_ERRNO, &os_errno);
  std::string curl_text = error_buffer[0] != '\0' ? std::string(error_buffer) : std::string(curl_easy_strerror(code));
  switch (code) {
    case CURLE_OPERATION_TIMEDOUT: return "timed out after " + FormatDuration(timeout) + " talking to " + host;
    case CURLE_COULDNT_RESOLVE_HOST: return "could not resolve host " + host;
    case CURLE_COULDNT_CONNECT:
      if (os_errno == ECONNREFUSED) return "connection refused by " + host;
      return "could not connect to " + host + ": " + curl_text;
    case CURLE_PEER_FAILED_VERIFICATION: return "TLS certificate of " + host + " not trusted: " + curl_text;
    case CURLE_SSL_CONNECT_ERROR: return "TLS handshake with " + host + " failed: " + curl_text;
    case CURLE_USE_SSL_FAILED: return host + " does not offer STARTTLS";
    case CURLE_LOGIN_DENIED: return host + " refused the login";
    case CURLE_GOT_NOTHING: return host + " closed the connection without an answer";
    default: return curl_text + " (" + host + ")";
  }
}

void InitCurlOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

std::string Redact(std::string text, const std::vector<std::string>& secrets) {
  for (const std::string& secret : secrets) {
    if (secret.size() < 4) continue;
    for (size_t at = text.find(secret); at != std::string::npos; at = text.find(secret, at + 3)) {
      text.replace(at, secret.size(), "***");
    }
  }
  return text;
}

DeliveryResult SendHttp(const HttpRequest& request, std::chrono::milliseconds timeout,
                        const std::vector<std::string>& secrets) {
  InitCurlOnce();
  std::vector<std::string> redact = secrets;
  redact.push_back(request.url);
  for (const auto& [name, value] : request.headers) {
    if (strcasecmp(name.c_str(), "authorization") == 0) redact.push_back(value);
  }
  // The URL's path and query alone (Slack's and Teams' tokens live there) are secrets too: an
  // answer may echo "Cannot POST /services/T0/B0/token".
  if (size_t scheme_end = request.url.find("://"); scheme_end != std::string::npos) {
    if (size_t path = request.url.find('/', scheme_end + 3); path != std::string::npos) {
      redact.push_back(request.url.substr(path));
    }
  }
  const std::string host = UrlHost(request.url);

  std::unique_ptr<CURL, void (*)(CURL*)> easy(curl_easy_init(), curl_easy_cleanup);
  std::unique_ptr<curl_slist, void (*)(curl_slist*)> headers(nullptr, curl_slist_free_all);
  if (!easy) return ClassifyHttpStatus(0, "cannot set up an HTTP request (out of memory)");
  for (const auto& [name, value] : request.headers) {
    curl_slist* appended = curl_slist_append(headers.get(), (name + ": " + value).c_str());
    if (appended == nullptr) return ClassifyHttpStatus(0, "cannot set up an HTTP request (out of memory)");
    headers.release();
    headers.reset(appended);
  }
  // No "Expect: 100-continue" round trip for larger bodies.
  curl_slist* appended = curl_slist_append(headers.get(), "Expect:");
  if (appended == nullptr) return ClassifyHttpStatus(0, "cannot set up an HTTP request (out of memory)");
  headers.release();
  headers.reset(appended);

  Answer answer;
  char error_buffer[CURL_ERROR_SIZE] = {};
  CURL* e = easy.get();
  CURLcode rc = CURLE_OK;
  auto set = [&](CURLoption option, auto value) {
    if (rc == CURLE_OK) rc = curl_easy_setopt(e, option, value);
  };
  set(CURLOPT_URL, request.url.c_str());
  set(CURLOPT_NOSIGNAL, 1L);
  set(CURLOPT_ERRORBUFFER, error_buffer);
  set(CURLOPT_PROTOCOLS_STR, "http,https");
  set(CURLOPT_FOLLOWLOCATION, 0L);
  set(CURLOPT_SSL_VERIFYPEER, 1L);
  set(CURLOPT_SSL_VERIFYHOST, 2L);
  set(CURLOPT_PROXY, "");
  set(CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
  set(CURLOPT_HTTPHEADER, headers.get());
  set(CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
  set(CURLOPT_POSTFIELDS, request.body.c_str());
  // POSTFIELDS makes a POST; any other method (Matrix's PUT) is named.
  if (request.method != "POST") set(CURLOPT_CUSTOMREQUEST, request.method.c_str());
  set(CURLOPT_WRITEFUNCTION, &OnBody);
  set(CURLOPT_WRITEDATA, static_cast<void*>(&answer));
  set(CURLOPT_HEADERFUNCTION, &OnHeader);
  set(CURLOPT_HEADERDATA, static_cast<void*>(&answer));
  if (rc != CURLE_OK) {
    return ClassifyHttpStatus(0,
                              Redact(std::string("cannot set up an HTTP request: ") + curl_easy_strerror(rc), redact));
  }

  rc = curl_easy_perform(e);
  if (rc != CURLE_OK) return ClassifyHttpStatus(0, Redact(TransportError(e, rc, error_buffer, timeout, host), redact));

  long status = 0;
  curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
  std::string detail = "HTTP " + std::to_string(status) + " from " + host;
  if (status < 200 || status >= 300) {
    // Redacted before it is cut, so a secret straddling the cut cannot leave a piece behind.
    std::string start = OneLine(Redact(answer.body, redact));
    if (!start.empty()) detail += ": " + start;
    // DeliveryResult has no field for it; the delivery log at least shows what the server asked.
    if (!answer.retry_after.empty()) detail += " (Retry-After: " + OneLine(Redact(answer.retry_after, redact)) + ")";
    if (status >= 300 && status < 400) detail += " (redirects are not followed)";
  }
  return ClassifyHttpStatus(static_cast<int>(status), Redact(std::move(detail), redact));
}

}  // namespace csoc::alert::receivers

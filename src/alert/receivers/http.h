// The one HTTP sender every HTTP receiver (webhook, Slack, Teams, Matrix) uses: a request as the
// pure payload builders produce it, sent with libcurl's easy interface, and the answer classified
// by ClassifyHttpStatus (2xx delivered; 429, 5xx and transport errors retry; other 4xx give up).
//
// The sender never follows redirects (a redirected POST would be re-sent somewhere nobody
// configured, carrying its secret headers), always verifies TLS, ignores proxy variables in the
// environment (as probes do, so where a notification goes does not depend on how csoc was
// started), and writes a DeliveryResult::detail that names only the host: "HTTP 503 from
// hooks.slack.com: <start of the answer>". Because an answer or a libcurl error text can echo the
// request, every secret the caller names is cut out of the detail as a last line of defence.
//
// Threading: SendHttp is safe to call from several threads at once (one easy handle per call).
#pragma once

#include <curl/curl.h>

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "alert/receiver.h"

namespace csoc::alert::receivers {

struct HttpRequest {
  std::string method;  // "POST" or "PUT"
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;  // in the order they are sent
  std::string body;

  bool operator==(const HttpRequest&) const = default;
};

// Sends `request` once, within `timeout`. `secrets` (URL, tokens, keys) are replaced by "***" in
// the detail should any answer or error text contain them; the request's URL, its path and query,
// and an Authorization header's value are always treated as secrets.
DeliveryResult SendHttp(const HttpRequest& request, std::chrono::milliseconds timeout,
                        const std::vector<std::string>& secrets = {});

// Replaces every occurrence of each secret (of 4 characters or more: shorter ones would mangle
// ordinary words) in `text` by "***".
std::string Redact(std::string text, const std::vector<std::string>& secrets);

// A failed transfer in words, naming `host` and never the URL: "connection refused by
// mail.example.com", "timed out after 10s sending to hooks.slack.com". Shared with e-mail.
std::string TransportError(CURL* easy, CURLcode code, const char* error_buffer, std::chrono::milliseconds timeout,
                           const std::string& host);

// Initialises libcurl's global state once per process (curl_global_init is not thread-safe).
void InitCurlOnce();

}  // namespace csoc::alert::receivers

#include "alert/receivers/options.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>

namespace csoc::alert::receivers {

namespace {

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// One part of a parsed URL; empty when absent.
std::string Part(CURLU* u, CURLUPart part) {
  char* text = nullptr;
  std::string out;
  if (curl_url_get(u, part, &text, 0) == CURLUE_OK && text != nullptr) out = text;
  curl_free(text);
  return out;
}

}  // namespace

std::optional<UrlParts> ParseHttpUrl(const std::string& url) {
  CURLU* u = curl_url();
  if (u == nullptr) return std::nullopt;
  std::optional<UrlParts> out;
  // No CURLU_GUESS_SCHEME: "hooks.slack.com/x" must be refused rather than read as http.
  if (curl_url_set(u, CURLUPART_URL, url.c_str(), 0) == CURLUE_OK) {
    UrlParts p{Lower(Part(u, CURLUPART_SCHEME)), Part(u, CURLUPART_HOST)};
    if (p.host.size() >= 2 && p.host.front() == '[' && p.host.back() == ']')
      p.host = p.host.substr(1, p.host.size() - 2);
    if ((p.scheme == "http" || p.scheme == "https") && !p.host.empty()) out = std::move(p);
  }
  curl_url_cleanup(u);
  return out;
}

bool IsLoopbackHost(std::string_view host) {
  return host == "localhost" || host == "::1" || host.substr(0, 4) == "127.";
}

std::string UrlHost(const std::string& url) {
  std::optional<UrlParts> p = ParseHttpUrl(url);
  return p ? p->host : std::string();
}

const OptionValue* OptionReader::Find(std::string_view key) const {
  auto it = config_.options.find(std::string(key));
  return it == config_.options.end() ? nullptr : &it->second;
}

void OptionReader::Error(std::string_view key, std::string message) {
  errors_->push_back(OptionError{std::string(key), std::move(message)});
}

std::string OptionReader::String(std::string_view key, bool required) {
  const OptionValue* v = Find(key);
  if (v == nullptr) {
    if (required) Error(key, "is required");
    return "";
  }
  const std::string* s = std::get_if<std::string>(v);
  if (s == nullptr) {
    Error(key, "must be a string");
    return "";
  }
  if (required && s->empty()) Error(key, "must not be empty");
  return *s;
}

bool OptionReader::Bool(std::string_view key, bool fallback) {
  const OptionValue* v = Find(key);
  if (v == nullptr) return fallback;
  if (const bool* b = std::get_if<bool>(v)) return *b;
  Error(key, "must be true or false");
  return fallback;
}

int64_t OptionReader::Int(std::string_view key, int64_t fallback) {
  const OptionValue* v = Find(key);
  if (v == nullptr) return fallback;
  if (const int64_t* i = std::get_if<int64_t>(v)) return *i;
  Error(key, "must be an integer");
  return fallback;
}

std::vector<std::string> OptionReader::StringList(std::string_view key, bool required) {
  const OptionValue* v = Find(key);
  if (v == nullptr) {
    if (required) Error(key, "is required");
    return {};
  }
  const auto* list = std::get_if<std::vector<std::string>>(v);
  if (list == nullptr) {
    Error(key, "must be a list of strings");
    return {};
  }
  if (required && list->empty()) Error(key, "must not be empty");
  return *list;
}

std::map<std::string, std::string> OptionReader::StringMap(std::string_view key) {
  const OptionValue* v = Find(key);
  if (v == nullptr) return {};
  const auto* map = std::get_if<std::map<std::string, std::string>>(v);
  if (map == nullptr) {
    Error(key, "must be a map of strings");
    return {};
  }
  return *map;
}

std::string OptionReader::Url(std::string_view key, bool https_only) {
  std::string url = String(key, true);
  if (url.empty()) return url;
  // The URL may carry a token: messages name the key, never the value.
  std::optional<UrlParts> p = ParseHttpUrl(url);
  if (!p) {
    Error(key, "must be an absolute http:// or https:// URL");
    return "";
  }
  if (https_only && p->scheme != "https" && !IsLoopbackHost(p->host)) {
    Error(key, "must be an https:// URL (plain http only to a loopback address)");
    return "";
  }
  return url;
}

}  // namespace csoc::alert::receivers

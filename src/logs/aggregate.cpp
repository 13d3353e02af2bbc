#include "logs/aggregate.h"

#include <nlohmann/json.hpp>

namespace csoc::logs {
namespace {

constexpr int kFormatVersion = 1;
constexpr std::string_view kLoginPrefix = "/user/login/";
constexpr std::string_view kFenceDownload = "/user/data/download/";
constexpr std::string_view kDrsObjects = "/ga4gh/drs/v1/objects/";
constexpr size_t kMaxTermBytes = 100;

std::string_view PathOf(std::string_view uri) {
  const size_t q = uri.find('?');
  return q == std::string_view::npos ? uri : uri.substr(0, q);
}

// "/user/login/google", "/user/login/google/", "/user/login/google?redirect=..." -> "google".
// The callback (/user/login/google/login/) and other deeper paths are not a new sign-in.
std::string_view LoginProvider(std::string_view path) {
  if (!path.starts_with(kLoginPrefix)) return {};
  std::string_view rest = path.substr(kLoginPrefix.size());
  if (rest.ends_with('/')) rest.remove_suffix(1);
  if (rest.empty() || rest.find('/') != std::string_view::npos) return {};
  return rest;
}

// The object a download request names, or empty when it is not a download.
std::string_view DownloadedObject(std::string_view path) {
  if (path.starts_with(kFenceDownload)) return path.substr(kFenceDownload.size());
  if (path.starts_with(kDrsObjects)) {
    const std::string_view rest = path.substr(kDrsObjects.size());
    const size_t access = rest.find("/access");
    if (access != std::string_view::npos && access > 0) return rest.substr(0, access);
  }
  return {};
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void CountSearchTerms(std::string_view uri, TopK* terms) {
  const size_t q = uri.find('?');
  if (q == std::string_view::npos) return;
  std::string_view query = uri.substr(q + 1);
  while (!query.empty()) {
    const size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    const size_t eq = pair.find('=');
    if (eq == std::string_view::npos || !IsSearchParameter(pair.substr(0, eq))) continue;
    const std::string term = NormaliseSearchTerm(pair.substr(eq + 1));
    if (!term.empty()) terms->Add(term);
  }
}

using Json = nlohmann::json;

Json Binary(const std::string& bytes) {
  return Json::binary(std::vector<uint8_t>(bytes.begin(), bytes.end()));
}

template <typename Sketch>
Status ReadSketch(const Json& j, const char* key, Sketch* out) {
  const auto it = j.find(key);
  if (it == j.end()) return Status::Ok();  // absent: empty
  if (!it->is_binary()) return Status::Corruption(std::string("log aggregate: '") + key + "' is not binary");
  const auto& bin = it->get_binary();
  const Status s =
      Sketch::Deserialize(std::string_view(reinterpret_cast<const char*>(bin.data()), bin.size()), out);
  if (!s.ok()) return Status::Corruption(std::string("log aggregate: '") + key + "': " + s.message());
  return Status::Ok();
}

uint64_t ReadCount(const Json& j) {
  if (!j.is_number_unsigned()) throw std::invalid_argument("a count is not an unsigned number");
  return j.get<uint64_t>();
}

}  // namespace

template <typename V>
V& SmallMap<V>::operator[](std::string_view key) {
  for (auto& [name, value] : entries_) {
    if (name == key) return value;
  }
  if (entries_.size() >= max_) {
    for (auto& [name, value] : entries_) {
      if (name == overflow_) return value;
    }
    return entries_.emplace_back(std::piecewise_construct, std::forward_as_tuple(overflow_), std::forward_as_tuple()).second;
  }
  return entries_.emplace_back(std::piecewise_construct, std::forward_as_tuple(key), std::forward_as_tuple()).second;
}

template class SmallMap<uint64_t>;
template class SmallMap<ServiceStats>;
template class SmallMap<LoginStats>;

Aggregate::Aggregate() = default;

bool IsSearchParameter(std::string_view name) {
  static constexpr std::string_view kNames[] = {"q",       "query",    "search",  "search_term",
                                                "term",    "terms",    "keyword", "keywords",
                                                "filter",  "filters",  "text"};
  for (const std::string_view n : kNames) {
    if (n == name) return true;
  }
  return false;
}

std::string NormaliseSearchTerm(std::string_view raw, bool url_encoded) {
  std::string out;
  out.reserve(std::min(raw.size(), kMaxTermBytes));
  for (size_t i = 0; i < raw.size() && out.size() < kMaxTermBytes; ++i) {
    char c = raw[i];
    if (!url_encoded) {
      // As typed.
    } else if (c == '+') {
      c = ' ';
    } else if (c == '%' && i + 2 < raw.size() + 0 && HexDigit(raw[i + 1]) >= 0 && HexDigit(raw[i + 2]) >= 0) {
      c = static_cast<char>(HexDigit(raw[i + 1]) * 16 + HexDigit(raw[i + 2]));
      i += 2;
    }
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (static_cast<unsigned char>(c) < 0x20) c = ' ';
    if (c == ' ' && (out.empty() || out.back() == ' ')) continue;  // trim and collapse spaces
    out.push_back(c);
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

void Aggregate::Add(const LogRecord& r) {
  ++requests;
  bytes += r.bytes;
  const int status = r.status;
  if (status >= 100 && status <= 599) {
    ++by_class[static_cast<size_t>(status / 100)];
    ++by_status[static_cast<size_t>(status - 100)];
  }
  if (!r.verb.empty()) ++by_verb[r.verb];
  const bool has_latency = r.response_secs >= 0;
  if (has_latency) latency.Add(r.response_secs);
  if (!r.service.empty()) {
    ServiceStats& s = by_service[r.service];
    ++s.requests;
    s.errors += status >= 500;
    s.bytes += r.bytes;
    if (has_latency) s.latency.Add(r.response_secs);
  }
  if (!r.user.empty()) {
    users.Add(r.user);
    top_users.Add(r.user);
  }
  if (!r.client_ip.empty()) {
    client_ips.Add(r.client_ip);
    top_ips.Add(r.client_ip);
  }
  if (!r.user_agent.empty()) top_agents.Add(r.user_agent);
  const std::string_view path = PathOf(r.uri);
  if (path.empty()) return;
  top_paths.Add(path);
  if (path.size() > 12 && path[1] == 'u') {  // only /user/... can be a login or a fence download
    if (const std::string_view idp = LoginProvider(path); !idp.empty()) {
      LoginStats& l = logins[idp];
      ++l.attempts;
      l.failures += status >= 400;
    }
  }
  if (path.size() > 20 && (path[1] == 'u' || path[1] == 'g')) {
    if (const std::string_view object = DownloadedObject(path); !object.empty()) {
      if (status >= 400) {
        ++download_failures;
      } else {
        ++downloads;
        download_bytes += r.bytes;
        downloaded_objects.Add(object);
      }
    }
  }
  if (path.size() != r.uri.size()) CountSearchTerms(r.uri, &search_terms);
}

void Aggregate::TrimTopTables(size_t k) {
  for (TopK* t : {&top_users, &top_ips, &top_paths, &top_agents, &search_terms}) {
    if (t->size() <= k) continue;
    TopK trimmed(k);
    trimmed.Merge(*t);
    *t = std::move(trimmed);
  }
}

void Aggregate::Merge(const Aggregate& o) {
  requests += o.requests;
  bytes += o.bytes;
  for (size_t i = 0; i < by_class.size(); ++i) by_class[i] += o.by_class[i];
  for (size_t i = 0; i < by_status.size(); ++i) by_status[i] += o.by_status[i];
  for (const auto& [verb, n] : o.by_verb.entries()) by_verb[verb] += n;
  for (const auto& [name, s] : o.by_service.entries()) {
    ServiceStats& mine = by_service[name];
    mine.requests += s.requests;
    mine.errors += s.errors;
    mine.bytes += s.bytes;
    mine.latency.Merge(s.latency);
  }
  latency.Merge(o.latency);
  users.Merge(o.users);
  client_ips.Merge(o.client_ips);
  top_users.Merge(o.top_users);
  top_ips.Merge(o.top_ips);
  top_paths.Merge(o.top_paths);
  top_agents.Merge(o.top_agents);
  for (const auto& [idp, l] : o.logins.entries()) {
    LoginStats& mine = logins[idp];
    mine.attempts += l.attempts;
    mine.failures += l.failures;
  }
  downloads += o.downloads;
  download_failures += o.download_failures;
  download_bytes += o.download_bytes;
  downloaded_objects.Merge(o.downloaded_objects);
  search_terms.Merge(o.search_terms);
}

std::string Aggregate::Serialize() const {
  Json j;
  j["v"] = kFormatVersion;
  j["requests"] = requests;
  j["bytes"] = bytes;
  Json status = Json::object();
  for (size_t i = 0; i < by_status.size(); ++i) {
    if (by_status[i] != 0) status[std::to_string(i + 100)] = by_status[i];
  }
  j["status"] = std::move(status);
  j["class"] = by_class;
  Json verbs = Json::object();
  for (const auto& [verb, n] : by_verb.entries()) verbs[verb] = n;
  j["verbs"] = std::move(verbs);
  Json services = Json::object();
  for (const auto& [name, s] : by_service.entries()) {
    services[name] = Json::array({s.requests, s.errors, s.bytes, Binary(s.latency.Serialize())});
  }
  j["services"] = std::move(services);
  j["latency"] = Binary(latency.Serialize());
  j["users"] = Binary(users.Serialize());
  j["ips"] = Binary(client_ips.Serialize());
  j["top_users"] = Binary(top_users.Serialize());
  j["top_ips"] = Binary(top_ips.Serialize());
  j["top_paths"] = Binary(top_paths.Serialize());
  j["top_agents"] = Binary(top_agents.Serialize());
  Json logins_json = Json::object();
  for (const auto& [idp, l] : logins.entries()) logins_json[idp] = Json::array({l.attempts, l.failures});
  j["logins"] = std::move(logins_json);
  j["downloads"] = Json::array({downloads, download_failures, download_bytes});
  j["objects"] = Binary(downloaded_objects.Serialize());
  j["search"] = Binary(search_terms.Serialize());
  const std::vector<uint8_t> cbor = Json::to_cbor(j);
  return std::string(cbor.begin(), cbor.end());
}

Status Aggregate::Deserialize(std::string_view bytes, Aggregate* out) {
  Json j = Json::from_cbor(bytes.begin(), bytes.end(), true, false);
  if (j.is_discarded() || !j.is_object()) return Status::Corruption("log aggregate: not a CBOR map");
  const auto version = j.find("v");
  if (version == j.end() || !version->is_number_integer() || version->get<int>() < 1 ||
      version->get<int>() > kFormatVersion) {
    return Status::Corruption("log aggregate: unknown format version");
  }
  Aggregate a;
  try {
    a.requests = ReadCount(j.at("requests"));
    a.bytes = ReadCount(j.at("bytes"));
    for (const auto& [code, n] : j.at("status").items()) {
      const int c = std::stoi(code);
      if (c < 100 || c > 599) return Status::Corruption("log aggregate: status code " + code + " out of range");
      a.by_status[static_cast<size_t>(c - 100)] = ReadCount(n);
    }
    const Json& classes = j.at("class");
    if (!classes.is_array() || classes.size() != a.by_class.size()) {
      return Status::Corruption("log aggregate: 'class' has the wrong length");
    }
    for (size_t i = 0; i < a.by_class.size(); ++i) a.by_class[i] = ReadCount(classes[i]);
    for (const auto& [verb, n] : j.at("verbs").items()) a.by_verb[verb] = ReadCount(n);
    for (const auto& [name, s] : j.at("services").items()) {
      if (!s.is_array() || s.size() != 4) return Status::Corruption("log aggregate: service '" + name + "' malformed");
      ServiceStats& st = a.by_service[name];
      st.requests = ReadCount(s[0]);
      st.errors = ReadCount(s[1]);
      st.bytes = ReadCount(s[2]);
      Json holder = {{"l", s[3]}};
      CSOC_RETURN_IF_ERROR(ReadSketch(holder, "l", &st.latency));
    }
    for (const auto& [idp, l] : j.at("logins").items()) {
      if (!l.is_array() || l.size() != 2) return Status::Corruption("log aggregate: login '" + idp + "' malformed");
      a.logins[idp] = LoginStats{ReadCount(l[0]), ReadCount(l[1])};
    }
    const Json& dl = j.at("downloads");
    if (!dl.is_array() || dl.size() != 3) return Status::Corruption("log aggregate: 'downloads' malformed");
    a.downloads = ReadCount(dl[0]);
    a.download_failures = ReadCount(dl[1]);
    a.download_bytes = ReadCount(dl[2]);
  } catch (const std::exception& e) {  // a missing key, a wrong type, a bad number
    return Status::Corruption(std::string("log aggregate: ") + e.what());
  }
  CSOC_RETURN_IF_ERROR(ReadSketch(j, "latency", &a.latency));
  CSOC_RETURN_IF_ERROR(ReadSketch(j, "users", &a.users));
  CSOC_RETURN_IF_ERROR(ReadSketch(j, "ips", &a.client_ips));
  CSOC_RETURN_IF_ERROR(ReadSketch(j, "top_users", &a.top_users));
  CSOC_RETURN_IF_ERROR(ReadSketch(j, "top_ips", &a.top_ips));
  CSOC_RETURN_IF_ERROR(ReadSketch(j, "top_paths", &a.top_paths));
  CSOC_RETURN_IF_ERROR(ReadSketch(j, "top_agents", &a.top_agents));
  CSOC_RETURN_IF_ERROR(ReadSketch(j, "objects", &a.downloaded_objects));
  CSOC_RETURN_IF_ERROR(ReadSketch(j, "search", &a.search_terms));
  *out = std::move(a);
  return Status::Ok();
}

}  // namespace csoc::logs

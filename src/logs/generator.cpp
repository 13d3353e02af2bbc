#include "logs/generator.h"

#include <fmt/format.h>

#include <cmath>

#include "logs/aggregate.h"

namespace csoc::logs {
namespace {

constexpr std::string_view kProviders[] = {"google", "fence", "ras", "orcid", "microsoft"};
constexpr std::string_view kSearchTerms[] = {
    "breast cancer", "lung", "tcga", "rna-seq", "wgs", "covid-19", "diabetes", "melanoma",
    "leukemia",      "brain", "glioma", "methylation", "single cell", "proteomics", "kidney",
    "pediatric",     "colon", "exome", "copy number", "survival", "imaging", "liver", "heart",
    "café au lait",  "smoking", "age>65", "female", "male", "african american", "hispanic"};
constexpr std::string_view kAgents[] = {
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
    "python-requests/2.32.3",
    "gen3-client/2024.11",
    "Gen3Python/4.25.1",
    "curl/8.5.0",
    "R/4.4.1 httr/1.4.7",
    "Mozilla/5.0 (compatible; \"quoted\" bot/1.0)",  // a quote, which nginx writes as \x22
};
constexpr std::string_view kPrograms[] = {"TCGA", "TARGET", "CPTAC", "MyProgram", "DEV"};

struct Route {
  std::string_view service;
  std::string_view verb;
  std::string_view path;  // "{id}" is replaced by an object id
  double weight;
};
constexpr Route kRoutes[] = {
    {"portal", "GET", "/", 6},
    {"portal", "GET", "/explorer", 5},
    {"portal", "GET", "/static/js/bundle.js", 4},
    {"fence", "GET", "/user/user", 8},
    {"fence", "GET", "/user/credentials/api/access_token", 2},
    {"sheepdog", "GET", "/api/v0/submission/{program}/{project}", 6},
    {"sheepdog", "PUT", "/api/v0/submission/{program}/{project}", 1},
    {"peregrine", "POST", "/api/v0/submission/graphql", 6},
    {"guppy", "POST", "/guppy/graphql", 9},
    {"indexd", "GET", "/index/index/{id}", 6},
    {"metadata", "GET", "/mds/metadata/{id}", 4},
    {"arborist", "GET", "/authz/mapping", 3},
    {"wts", "GET", "/wts/oauth2/connected", 1},
    {"hatchery", "GET", "/lw-workspace/status", 1},
    {"manifestservice", "GET", "/manifests/", 1},
};

// H. Hinnant's civil_from_days.
void CivilFromDays(int64_t z, int* y, int* m, int* d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  *d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  *m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  *y = static_cast<int>(yoe + era * 400 + (*m <= 2));
}

struct Civil {
  int y, mo, d, h, mi, s;
};
Civil ToCivil(int64_t ms) {
  const int64_t secs = ms / 1000;
  Civil c{};
  CivilFromDays(secs / 86400, &c.y, &c.mo, &c.d);
  const int64_t rem = secs % 86400;
  c.h = static_cast<int>(rem / 3600);
  c.mi = static_cast<int>(rem / 60 % 60);
  c.s = static_cast<int>(rem % 60);
  return c;
}

// nginx without escape=json: '"', '\' and bytes outside printable ASCII as \xHH.
void AppendEscaped(std::string* out, std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u == '"' || u == '\\' || u < 0x20 || u >= 0x7f) {
      out->append("\\x");
      out->push_back(kHex[u >> 4]);
      out->push_back(kHex[u & 15]);
    } else {
      out->push_back(c);
    }
  }
}

std::string UrlEncode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == ' ') {
      out.push_back('+');
    } else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.') {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 15]);
    }
  }
  return out;
}

std::string ObjectId(uint64_t n) {
  return fmt::format("dg.4503/{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}", n * 2654435761u % 0xffffffffu, n % 0xffff,
                     n % 0xfff, (n * 7) % 0xfff, n * 11400714819323198485ull % 0xffffffffffffull);
}

}  // namespace

LogGenerator::LogGenerator(GeneratorOptions options)
    : options_(options), state_(options.seed * 0x9E3779B97F4A7C15ull + 1), now_ms_(options.start_ms) {}

uint64_t LogGenerator::Rand() {  // splitmix64
  uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

double LogGenerator::Uniform() { return static_cast<double>(Rand() >> 11) * 0x1.0p-53; }

size_t LogGenerator::Zipf(size_t n) {
  // An inverse-power draw: index ~ n^u - 1 for uniform u; cheap, heavy-headed, deterministic.
  const double x = std::pow(static_cast<double>(n) + 1.0, Uniform()) - 1.0;
  return std::min(n - 1, static_cast<size_t>(x));
}

void LogGenerator::Next(std::string* out, GeneratorTruth* truth) {
  carry_ms_ += 1000.0 / options_.lines_per_second * (0.5 + Uniform());
  const auto step = static_cast<int64_t>(carry_ms_);
  carry_ms_ -= static_cast<double>(step);
  now_ms_ += step;
  if (truth) ++truth->lines;
  if (options_.malformed_fraction > 0 && Uniform() < options_.malformed_fraction) {
    Malformed(out, truth);
  } else {
    Request(out, truth);
  }
}

void LogGenerator::Request(std::string* out, GeneratorTruth* truth) {
  const double pick = Uniform();
  std::string path, query, service, verb = "GET";
  int status = 200;
  std::string login_idp, object, term;
  double secs = std::exp(std::log(0.04) + 0.9 * std::sqrt(-2 * std::log(1 - Uniform())) *
                                              std::cos(6.283185307179586 * Uniform()));
  uint64_t bytes = static_cast<uint64_t>(200 + Zipf(60000));
  if (pick < 0.05) {  // sign-in
    login_idp = std::string(kProviders[Zipf(std::size(kProviders))]);
    path = "/user/login/" + login_idp;
    query = "redirect=%2Fexplorer";
    service = "fence";
    status = Uniform() < 0.93 ? 302 : 401;
  } else if (pick < 0.13) {  // download, through fence or DRS
    object = ObjectId(Zipf(3000));
    if (Uniform() < 0.6) {
      path = "/user/data/download/" + object;
    } else {
      path = "/ga4gh/drs/v1/objects/" + object + "/access/s3";
    }
    service = "fence";
    status = Uniform() < 0.9 ? 200 : (Uniform() < 0.7 ? 403 : 404);
    bytes = 300 + Zipf(2000);
  } else if (pick < 0.19) {  // a search or filter in the portal or the API
    term = std::string(kSearchTerms[Zipf(std::size(kSearchTerms))]);
    const double where = Uniform();
    if (where < 0.5) {
      path = "/explorer";
      query = "search=" + UrlEncode(term);
      service = "portal";
    } else if (where < 0.8) {
      path = "/mds/metadata";
      query = "limit=20&q=" + UrlEncode(term);
      service = "metadata";
    } else {
      path = "/guppy/download";
      query = "filter=" + UrlEncode(term) + "&type=case";
      service = "guppy";
      verb = "POST";
    }
  } else {
    double total = 0;
    for (const Route& r : kRoutes) total += r.weight;
    double at = Uniform() * total;
    const Route* route = &kRoutes[0];
    for (const Route& r : kRoutes) {
      if ((at -= r.weight) < 0) {
        route = &r;
        break;
      }
    }
    path = std::string(route->path);
    if (const size_t p = path.find("{program}"); p != std::string::npos) {
      const std::string_view program = kPrograms[Zipf(std::size(kPrograms))];
      path.replace(p, 9, program);
      const size_t q = path.find("{project}");
      path.replace(q, 9, fmt::format("{}-{}", program, Zipf(40)));
    }
    if (const size_t p = path.find("{id}"); p != std::string::npos) path.replace(p, 4, ObjectId(Zipf(3000)));
    service = std::string(route->service);
    verb = std::string(route->verb);
    if (service == "guppy" || service == "peregrine") secs *= 4;
    const double s = Uniform();
    status = s < 0.90 ? 200 : s < 0.93 ? 304 : s < 0.96 ? 404 : s < 0.98 ? 403 : s < 0.99 ? 500 : s < 0.995 ? 502 : 503;
  }
  if (status == 304) bytes = 0;
  secs = std::min(std::round(secs * 1000) / 1000, 120.0);

  const bool signed_in = Uniform() < 0.7;
  const std::string user = signed_in ? fmt::format("user{}@example.org", Zipf(options_.users)) : "";
  const size_t ip_index = Zipf(options_.client_ips);
  const std::string ip = ip_index % 3 == 0 ? fmt::format("198.51.{}.{}", ip_index / 256 % 256, ip_index % 256)
                                           : fmt::format("10.{}.{}.{}", ip_index / 65536 % 256, ip_index / 256 % 256, ip_index % 256);
  const std::string_view agent = kAgents[Zipf(std::size(kAgents))];
  const std::string uri = query.empty() ? path : path + "?" + query;
  const Civil c = ToCivil(now_ms_);

  if (options_.format == GeneratorOptions::Format::kCombined) {
    static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                              "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    fmt::format_to(std::back_inserter(*out), "{} - {} [{:02}/{}/{}:{:02}:{:02}:{:02} +0000] \"{} {} HTTP/1.1\" {} {} \"",
                   ip, user.empty() ? "-" : user, c.d, kMonths[c.mo - 1], c.y, c.h, c.mi, c.s, verb, uri, status, bytes);
    out->append(pick < 0.19 ? "https://commons.example.org/explorer" : "-");
    out->append("\" \"");
    AppendEscaped(out, agent);
    out->append("\"\n");
  } else {
    const uint64_t rid = Rand();
    fmt::format_to(std::back_inserter(*out),
                   "{{\"gen3log\": \"nginx\", \"date_access\": \"{:04}-{:02}-{:02}T{:02}:{:02}:{:02}+00:00\", "
                   "\"user_id\": \"{}\", \"request_id\": \"{:016x}\", \"session_id\": \"{:08x}\", "
                   "\"visitor_id\": \"{:08x}\", \"network_client_ip\": \"{}\", \"network_bytes_write\": {}, "
                   "\"response_secs\": {:.3f}, \"http_status_code\": {}, \"http_request\": \"",
                   c.y, c.mo, c.d, c.h, c.mi, c.s,
                   user.empty() ? std::string("uid:null,unknown@unknown") : fmt::format("uid:{},{}", user.size() * 7919 % 100000, user),
                   rid, rid >> 32, (rid >> 8) & 0xffffffff, ip, bytes, secs, status);
    AppendEscaped(out, uri);
    fmt::format_to(std::back_inserter(*out), "\", \"http_verb\": \"{}\", \"http_referer\": \"{}\", \"http_useragent\": \"", verb,
                   pick < 0.19 ? "https://commons.example.org/explorer" : "-");
    AppendEscaped(out, agent);
    fmt::format_to(std::back_inserter(*out), "\", \"http_upstream\": \"{}-service\", \"proxy_service\": \"{}\", \"message\": \"\"}}\n",
                   service, service);
  }

  if (!truth) return;
  const int64_t written_ms = now_ms_ - now_ms_ % 1000;  // both formats write whole seconds
  if (truth->requests == 0) truth->first_ms = written_ms;
  truth->last_ms = written_ms;
  ++truth->requests;
  ++truth->by_status[status];
  if (!login_idp.empty()) ++truth->logins[login_idp];
  if (!object.empty() && status < 400) {
    ++truth->downloads;
    truth->downloaded_objects.insert(object);
  }
  if (!term.empty()) ++truth->search_terms[NormaliseSearchTerm(UrlEncode(term))];
  if (!user.empty()) truth->users.insert(user);
  truth->client_ips.insert(ip);
}

void LogGenerator::Malformed(std::string* out, GeneratorTruth* truth) {
  const bool json = options_.format == GeneratorOptions::Format::kGen3Json;
  std::string line;
  Request(&line, nullptr);
  line.pop_back();  // the '\n'
  ParseError kind;
  const double pick = Uniform();
  if (pick < 0.3) {
    kind = ParseError::kTruncated;
    // Cut after the first quote, before the end: past the address (so the line still looks like
    // the format) and short of the last character that would complete it.
    const size_t from = line.find('"') + 1;
    line.resize(from + static_cast<size_t>(Uniform() * static_cast<double>(line.size() - from - 2)));
  } else if (pick < 0.45) {
    kind = ParseError::kBinary;
    line.replace(line.size() / 2, 3, std::string("\x01\x00\x7f", 3));
  } else if (pick < 0.6) {
    kind = ParseError::kWrongType;
    if (json) {
      const size_t at = line.find("\"http_status_code\": ") + 20;
      line.replace(at, line.find(',', at) - at, "\"OK\"");
    } else {
      const size_t at = line.find("HTTP/1.1\" ") + 10;
      line.replace(at, 3, "2x0");
    }
  } else if (pick < 0.75) {
    kind = ParseError::kBadTimestamp;
    if (json) {
      const size_t at = line.find("\"date_access\": \"") + 16;
      line.replace(at, 10, "2026-02-30");
    } else {
      const size_t at = line.find('[') + 1;
      line.replace(at, 11, "30/Feb/2026");
    }
  } else if (json) {
    if (pick < 0.88) {
      kind = ParseError::kBadJson;
      const size_t at = line.find(", \"user_id\"");
      line.erase(at, 1);  // a missing comma
    } else {
      kind = ParseError::kMissingField;
      const size_t at = line.find("\"http_status_code\": ");
      line.erase(at, line.find(", ", at) + 2 - at);
    }
  } else {
    kind = ParseError::kFormatMismatch;
    line = fmt::format("2026/01/01 00:00:00 [error] 31#31: *{} connect() failed (111: Connection refused) while "
                       "connecting to upstream",
                       Rand() % 100000);
  }
  out->append(line);
  out->push_back('\n');
  if (truth) ++truth->malformed[static_cast<size_t>(kind)];
}

}  // namespace csoc::logs

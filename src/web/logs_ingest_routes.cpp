// The log ingestion endpoints (docs/logs.md, docs/api.md): HTTP push of lines to a `push: true`
// source, the Loki push API, and the Grafana Faro collector. Each checks what it can before the
// body is read (token, key, rate), decodes and validates the whole batch on the web thread, hands
// it to the Ingester's bounded queue and answers when the commit that stores it is done: a batch is
// stored whole or refused whole.
#include <fmt/format.h>
#include <openssl/crypto.h>

#include <chrono>
#include <map>
#include <memory>
#include <mutex>

#include "core/time.h"
#include "logs/aggregate.h"
#include "logs/faro.h"
#include "logs/loki_push.h"
#include "web/api_json.h"
#include "web/logs_routes.h"
#include "web/write_guard.h"

namespace csoc::web {
namespace {

std::string ErrorBody(int status, const std::string& message) { return DumpJson(ErrorJson(status, message)) + "\n"; }

// Why whole pushes were refused, for csoc_logs_push_rejected_total{reason}.
class Rejections {
 public:
  explicit Rejections(MetricsRegistry* metrics) : metrics_(metrics) {}
  void Count(const std::string& reason) {
    if (metrics_ == nullptr) return;
    std::lock_guard lock(mu_);  // deferred answers count from the ingester's thread
    Counter*& c = counters_[reason];
    if (c == nullptr) {
      c = metrics_->GetCounter("csoc_logs_push_rejected_total",
                               "Pushed log batches (HTTP push, Loki, Faro) refused whole, by reason", {{"reason", reason}});
    }
    c->Add();
  }

 private:
  MetricsRegistry* metrics_;
  std::mutex mu_;
  std::map<std::string, Counter*> counters_;
};

Response Error(int status, const std::string& message) {
  Response r;
  r.status = status;
  r.content_type = "application/json";
  r.body = ErrorBody(status, message);
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

std::string ReasonOf(int status) {
  switch (status) {
    case 401: return "unauthorized";
    case 403: return "forbidden";
    case 415: return "unsupported_media_type";
    default: return status >= 500 ? "unavailable" : "bad_request";
  }
}

// The answer for a batch the ingester refused at once.
Response Refused(const Status& s, Rejections* rejections) {
  Response r;
  if (s.code() == Status::Code::kUnavailable) {
    r = Error(429, s.message());
    r.headers.emplace_back("Retry-After", "1");
    rejections->Count("queue_full");
  } else if (s.code() == Status::Code::kNotFound) {
    r = Error(404, s.message());
    rejections->Count("unknown_source");
  } else {
    r = Error(503, s.message());
    r.headers.emplace_back("Retry-After", "5");
    rejections->Count("unavailable");
  }
  return r;
}

// Hands a batch to the ingester (`submit` calls Push or CountSearchTerms with `done`); the answer
// comes after the commit that stores it: `ok(result)`, or 503 when nothing of it was counted.
Response PushDeferred(const std::function<Status(logs::Ingester::PushDone)>& submit, std::shared_ptr<Rejections> rejections,
                      std::function<Response(const logs::PushResult&)> ok) {
  // The ingester calls `done` once, on its thread; the server then posts the answer to its own.
  auto send_slot = std::make_shared<std::optional<Response::Send>>();
  auto early = std::make_shared<std::optional<Response>>();
  auto mu = std::make_shared<std::mutex>();
  auto done = [send_slot, early, mu, rejections, ok](const logs::PushResult& result) {
    Response r;
    if (result.status.ok()) {
      r = ok(result);
    } else if (result.status.code() == Status::Code::kNotFound) {
      r = Error(404, result.status.message());
      rejections->Count("unknown_source");
    } else {
      r = Error(503, result.status.message());
      r.headers.emplace_back("Retry-After", "5");
      rejections->Count("unavailable");
    }
    std::unique_lock lock(*mu);
    if (*send_slot) {
      Response::Send send = std::move(**send_slot);
      lock.unlock();
      send(std::move(r));
    } else {
      *early = std::move(r);  // answered before the server asked (cannot happen today, but cheap)
    }
  };
  if (Status s = submit(std::move(done)); !s.ok()) return Refused(s, rejections.get());
  Response r;
  r.deferred = [send_slot, early, mu](Response::Send send) {
    std::unique_lock lock(*mu);
    if (*early) {
      Response answer = std::move(**early);
      lock.unlock();
      send(std::move(answer));
      return;
    }
    *send_slot = std::move(send);
  };
  return r;
}

std::string MediaType(const Request& request) {
  const std::string* type = request.Header("content-type");
  if (type == nullptr) return "";
  std::string media = type->substr(0, type->find(';'));
  for (char& c : media) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  while (!media.empty() && media.back() == ' ') media.pop_back();
  return media;
}

std::string LabelsText(const std::map<std::string, std::string>& labels) {
  std::string out = "{";
  for (const auto& [k, v] : labels) {
    if (out.size() > 1) out += ", ";
    out += k + "=\"";
    for (char c : v) {
      if (c == '"' || c == '\\') out.push_back('\\');
      if (c == '\n') {
        out += "\\n";
        continue;
      }
      out.push_back(c);
    }
    out += "\"";
  }
  return out + "}";
}

// A token bucket: `rate` per second, at most `burst` at once. Used on the web thread only.
class RateLimiter {
 public:
  bool Allow(double rate, double burst) {
    const auto now = std::chrono::steady_clock::now();
    if (!started_) {
      tokens_ = burst;
      started_ = true;
    } else {
      tokens_ = std::min(burst, tokens_ + rate * std::chrono::duration<double>(now - last_).count());
    }
    last_ = now;
    if (tokens_ < 1) return false;
    tokens_ -= 1;
    return true;
  }

 private:
  bool started_ = false;
  double tokens_ = 0;
  std::chrono::steady_clock::time_point last_;
};

bool OriginAllowed(const logs::FaroOptions& faro, std::string_view origin) {
  for (const std::string& o : faro.origins) {
    if (o == "*" || o == origin) return true;
  }
  return false;
}

// The Faro endpoint's checks that need no body: enabled, origin, key. nullopt: let it through.
std::optional<Response> FaroGuard(const logs::IngestOptions& o, const Request& request, Rejections* rejections) {
  if (!o.faro.enabled) {
    rejections->Count("not_enabled");
    return Error(404, "the Faro collector is off: configure logs.faro in the fleet file");
  }
  if (const std::string* origin = request.Header("origin"); origin != nullptr && !OriginAllowed(o.faro, *origin)) {
    rejections->Count("forbidden");
    return Error(403, fmt::format("origin '{}' may not send Faro data here (logs.faro.origins)", *origin));
  }
  const std::string* key = request.Header("x-api-key");
  if (key == nullptr || key->size() != o.faro.api_key.size() ||
      CRYPTO_memcmp(key->data(), o.faro.api_key.data(), key->size()) != 0) {
    rejections->Count("unauthorized");
    return Error(401, "API key not provided or incorrect: send the x-api-key header (the Faro SDK's apiKey)");
  }
  return std::nullopt;
}

}  // namespace

void AddLogIngestRoutes(Router& router, const LogsRouteDeps& deps) {
  if (deps.ingester == nullptr) return;
  logs::Ingester* ingester = deps.ingester;
  auth::TokenStore* tokens = deps.tokens;
  auto rejections = std::make_shared<Rejections>(deps.metrics);

  // The token first, before a large body is read.
  auto require_token = [tokens, rejections](const Request& request, TimePoint now) -> std::optional<Response> {
    std::optional<Response> refused = RequireToken(request, tokens, auth::kScopeLogsIngest, now, ErrorBody, nullptr,
                                                   TokenSchemes::kBearerOrBasic);
    if (refused) rejections->Count(ReasonOf(refused->status));
    return refused;
  };
  Router::Options ingest;
  ingest.error_body = ErrorBody;
  ingest.body_limit = deps.ingest_body_limit;
  ingest.before_body = require_token;

  router.Add({"POST"}, "/api/v1/logs/push/{source}", [=](RouteCall& c) -> Response {
    if (std::optional<Response> r = require_token(c.request, c.now)) return *r;
    if (Status s = c.query.OnlyAllowed({}); !s.ok()) return Error(400, s.message());
    const std::string& name = c.Param("source");
    const std::shared_ptr<const logs::IngestOptions> o = ingester->Options();
    const logs::SourceConfig* source = nullptr;
    for (const logs::SourceConfig& s : o->sources) {
      if (s.name == name) source = &s;
    }
    if (source == nullptr) {
      rejections->Count("unknown_source");
      return Error(404, fmt::format("no log source '{}' (logs.sources in the fleet file)", name));
    }
    if (source->kind != logs::SourceKind::kPush) {
      rejections->Count("unknown_source");
      return Error(409, fmt::format("log source '{}' reads {}; only sources declared with 'push: true' take pushed lines",
                                    name, source->kind == logs::SourceKind::kFile ? "a file" : "syslog"));
    }
    if (MediaType(c.request) != "text/plain") {
      rejections->Count("unsupported_media_type");
      return Error(415, "send the lines as 'Content-Type: text/plain', one per line");
    }
    if (const std::string* enc = c.request.Header("content-encoding"); enc != nullptr && *enc != "identity") {
      rejections->Count("unsupported_media_type");
      return Error(415, fmt::format("Content-Encoding '{}' is not accepted here; send plain text", *enc));
    }
    logs::PushBatch batch;
    logs::PushedLines& lines = batch.lines.emplace_back();
    lines.source = name;
    lines.origin = "push from " + (c.request.peer.empty() ? std::string("?") : c.request.peer);
    std::string_view body = c.request.body;
    while (!body.empty()) {
      const size_t nl = body.find('\n');
      lines.lines.emplace_back(body.substr(0, nl));
      if (nl == std::string_view::npos) break;
      body.remove_prefix(nl + 1);
    }
    auto submit = [ingester, &batch](logs::Ingester::PushDone done) { return ingester->Push(std::move(batch), std::move(done)); };
    return PushDeferred(submit, rejections, [](const logs::PushResult& r) {
      Json j;
      j["lines"] = r.lines;
      j["rejected"] = r.rejected;
      Response ok;
      ok.content_type = "application/json";
      ok.body = DumpJson(j) + "\n";
      ok.headers.emplace_back("Cache-Control", "no-store");
      return ok;
    });
  }, ingest);

  router.Add({"POST"}, "/loki/api/v1/push", [=](RouteCall& c) -> Response {
    if (std::optional<Response> r = require_token(c.request, c.now)) return *r;
    const std::shared_ptr<const logs::IngestOptions> o = ingester->Options();
    if (!o->loki.enabled) {
      rejections->Count("not_enabled");
      return Error(404, "the Loki push API is off: configure logs.loki in the fleet file");
    }
    const std::string* type = c.request.Header("content-type");
    const std::string* encoding = c.request.Header("content-encoding");
    std::vector<logs::LokiStream> streams;
    if (Status s = logs::DecodeLokiPush(c.request.body, type ? *type : "", encoding ? *encoding : "", &streams); !s.ok()) {
      rejections->Count("bad_request");
      return Error(400, "the push was refused whole: " + s.message());
    }
    // Every stream's environment first: a batch is counted whole or not at all.
    const std::string& label = o->loki.environment_label;
    std::vector<std::string> environments;
    for (size_t i = 0; i < streams.size(); ++i) {
      const auto& labels = streams[i].labels;
      auto it = labels.find(label);
      std::string problem;
      if (it == labels.end()) {
        problem = fmt::format("has no label '{}' (logs.loki.environment_label)", label);
      } else if (auto env = o->loki.environments.find(it->second); env == o->loki.environments.end()) {
        std::string known;
        for (const auto& [value, e] : o->loki.environments) known += (known.empty() ? "" : ", ") + value;
        problem = fmt::format("has {}=\"{}\", which logs.loki.environments maps to no environment (it maps: {})", label,
                              it->second, known);
      } else {
        environments.push_back(env->second);
        continue;
      }
      rejections->Count("unmapped_stream");
      return Error(400, fmt::format("the push was refused whole: streams[{}] {} {}", i, LabelsText(labels), problem));
    }
    logs::PushBatch batch;
    for (size_t i = 0; i < streams.size(); ++i) {
      if (streams[i].entries.empty()) continue;
      logs::PushedLines& lines = batch.lines.emplace_back();
      lines.source = std::string(logs::kLokiSourcePrefix) + environments[i];
      lines.origin = "loki " + LabelsText(streams[i].labels);
      lines.lines.reserve(streams[i].entries.size());
      for (logs::LokiEntry& e : streams[i].entries) lines.lines.push_back(std::move(e.line));
    }
    auto submit = [ingester, &batch](logs::Ingester::PushDone done) { return ingester->Push(std::move(batch), std::move(done)); };
    return PushDeferred(submit, rejections, [](const logs::PushResult&) {
      Response ok;
      ok.status = 204;
      return ok;
    });
  }, ingest);

  // Faro: called by browsers (CORS, no secret), guarded by the app key, origins, a rate limit and
  // a small body limit.
  auto limiter = std::make_shared<RateLimiter>();
  Router::Options faro;
  faro.error_body = ErrorBody;
  faro.cors = true;
  faro.body_limit = logs::kMaxFaroPayloadBytes;
  faro.cors_allows = [ingester](std::string_view origin) { return OriginAllowed(ingester->Options()->faro, origin); };
  faro.before_body = [ingester, rejections, limiter](const Request& request, TimePoint) -> std::optional<Response> {
    const std::shared_ptr<const logs::IngestOptions> o = ingester->Options();
    if (std::optional<Response> r = FaroGuard(*o, request, rejections.get())) return r;
    if (!limiter->Allow(o->faro.rate_limit, o->faro.burst)) {
      rejections->Count("rate_limited");
      Response r = Error(429, "too many Faro requests; send again shortly");
      r.headers.emplace_back("Retry-After", "1");
      return r;
    }
    return std::nullopt;
  };
  router.Add({"POST"}, "/collect", [=](RouteCall& c) -> Response {
    const std::shared_ptr<const logs::IngestOptions> o = ingester->Options();
    if (std::optional<Response> r = FaroGuard(*o, c.request, rejections.get())) return *r;
    logs::FaroPayload payload;
    if (Status s = logs::ParseFaroPayload(c.request.body, &payload); !s.ok()) {
      rejections->Count("bad_request");
      return Error(400, "the Faro payload was refused: " + s.message());
    }
    const std::string env = o->faro.EnvironmentOf(payload.app_name);
    if (env.empty()) {
      rejections->Count("unmapped_stream");
      return Error(400, fmt::format("Faro app '{}' (meta.app.name) is not in logs.faro.apps", payload.app_name));
    }
    std::vector<std::string> terms;
    for (const std::string& t : logs::FaroSearchTerms(payload)) {
      std::string n = logs::NormaliseSearchTerm(t, /*url_encoded=*/false);
      if (!n.empty()) terms.push_back(std::move(n));
    }
    auto accepted = [](const logs::PushResult&) {
      Response ok;
      ok.status = 202;
      ok.content_type = "text/plain; charset=utf-8";
      ok.body = "ok";
      return ok;
    };
    if (terms.empty()) return accepted({});
    // Counted at arrival: a browser's clock is not to be trusted.
    auto submit = [ingester, &env, &terms, now = ToUnixMillis(c.now)](logs::Ingester::PushDone done) {
      return ingester->CountSearchTerms(env, now, std::move(terms), std::move(done));
    };
    return PushDeferred(submit, rejections, accepted);
  }, faro);
}

}  // namespace csoc::web

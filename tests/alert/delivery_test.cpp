// Every HTTP receiver (webhook, Slack, Teams, Matrix), built through the registration table and
// sent to a local HTTP sink (tests/alert/http_sink.h; a stand-in for the real services that checks
// the real payload shapes): what arrives is exactly what the pure builder produced; one retry
// table for the answers 200/204/301/400/401/404/429/500/503 and a closed port; and no secret
// (URL token, access token, HMAC key, credential header) in any failure's detail, even when the
// server echoes the request back.
#include <gtest/gtest.h>

#include <functional>

#include "alert/http_sink.h"
#include "alert/receiver.h"
#include "alert/receiver_fixtures.h"
#include "alert/receivers/matrix.h"
#include "alert/receivers/slack.h"
#include "alert/receivers/teams.h"
#include "alert/receivers/webhook.h"
#include "support/support.h"

namespace csoc::alert {
namespace {

using receivers::HttpRequest;
using testing::FiringGroup;
using testing::HttpSink;
using Kind = DeliveryResult::Kind;

constexpr auto kTimeout = std::chrono::seconds(5);

struct HttpCase {
  std::string type;
  // The receiver's options for a server at `base` ("http://127.0.0.1:<port>").
  std::function<std::map<std::string, OptionValue>(const std::string& base)> options;
  std::function<HttpRequest(const Notification&, const ReceiverConfig&)> build;
  std::vector<std::string> secrets;  // must never appear in a detail
};

template <typename Config, typename Build>
std::function<HttpRequest(const Notification&, const ReceiverConfig&)> Builder(Build build) {
  return [build](const Notification& n, const ReceiverConfig& rc) {
    std::vector<OptionError> errors;
    return build(n, *Config::From(rc, &errors));
  };
}

std::vector<HttpCase> Cases() {
  using Options = std::map<std::string, OptionValue>;
  return {
      {"webhook",
       [](const std::string& base) {
         return Options{{"url", base + "/hook?token=WEBHOOKTOKEN123"},
                        {"hmac_secret", std::string("HMACKEY123456")},
                        {"headers", std::map<std::string, std::string>{{"Authorization", "Bearer HEADERTOKEN123"}}}};
       },
       Builder<receivers::webhook::Config>(&receivers::webhook::BuildRequest),
       {"WEBHOOKTOKEN123", "HMACKEY123456", "HEADERTOKEN123"}},
      {"slack",
       [](const std::string& base) {
         return Options{{"url", base + "/services/T000/B000/SLACKTOKEN123"}};
       },
       Builder<receivers::slack::Config>(&receivers::slack::BuildRequest),
       {"SLACKTOKEN123"}},
      {"teams",
       [](const std::string& base) {
         return Options{{"url", base + "/webhookb2/TEAMSTOKEN123/IncomingWebhook/x"}};
       },
       Builder<receivers::teams::Config>(&receivers::teams::BuildRequest),
       {"TEAMSTOKEN123"}},
      {"matrix",
       [](const std::string& base) {
         return Options{{"homeserver", base},
                        {"room_id", std::string("!room:example.org")},
                        {"access_token", std::string("MATRIXTOKEN123")}};
       },
       Builder<receivers::matrix::Config>(&receivers::matrix::BuildRequest),
       {"MATRIXTOKEN123"}},
  };
}

ReceiverConfig ConfigFor(const HttpCase& c, const std::string& base) {
  return ReceiverConfig{"oncall", c.type, true, c.options(base)};
}

std::unique_ptr<Receiver> Make(const ReceiverConfig& rc) {
  const ReceiverType* type = FindReceiverType(rc.type);
  EXPECT_NE(type, nullptr) << rc.type;
  std::vector<OptionError> errors;
  std::unique_ptr<Receiver> r = type->make(rc, &errors);
  for (const OptionError& e : errors) ADD_FAILURE() << rc.type << "." << e.key << ": " << e.message;
  return r;
}

const char* KindName(Kind k) {
  switch (k) {
    case Kind::kDelivered: return "delivered";
    case Kind::kRetry: return "retry";
    case Kind::kGiveUp: return "give up";
  }
  return "?";
}

TEST(HttpDeliveryTest, WhatArrivesIsWhatTheBuilderProduced) {
  for (const HttpCase& c : Cases()) {
    SCOPED_TRACE(c.type);
    HttpSink sink;
    ReceiverConfig rc = ConfigFor(c, sink.base_url());
    std::unique_ptr<Receiver> receiver = Make(rc);
    ASSERT_NE(receiver, nullptr);
    const Notification n = FiringGroup();
    const auto before = std::chrono::system_clock::now();
    DeliveryResult result = receiver->Send(n, kTimeout);
    EXPECT_EQ(result.kind, Kind::kDelivered) << result.detail;
    EXPECT_EQ(result.http_status, 200);
    EXPECT_EQ(result.detail, "HTTP 200 from 127.0.0.1");

    HttpRequest expected = c.build(n, rc);
    std::vector<HttpSink::Request> got = sink.requests();
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].method, expected.method);
    EXPECT_EQ(sink.base_url() + got[0].target, expected.url);
    EXPECT_EQ(got[0].body, expected.body);
    for (const auto& [name, value] : expected.headers) EXPECT_EQ(got[0].Header(name), value) << name;
    if (c.type == "webhook") {
      // Signed when sent, over the timestamp it carries and the exact body.
      std::string ts = got[0].Header("X-Csoc-Timestamp");
      ASSERT_FALSE(ts.empty());
      int64_t unix_seconds = std::stoll(ts);
      EXPECT_NEAR(
          static_cast<double>(unix_seconds),
          static_cast<double>(std::chrono::duration_cast<std::chrono::seconds>(before.time_since_epoch()).count()), 5);
      EXPECT_EQ(got[0].Header("X-Csoc-Signature"),
                receivers::webhook::Signature("HMACKEY123456", unix_seconds, got[0].body));
      EXPECT_EQ(got[0].Header("Idempotency-Key"), n.id);
    }
  }
}

TEST(HttpDeliveryTest, OneRetryTableForEveryHttpReceiver) {
  const std::vector<std::pair<int, Kind>> table = {
      {200, Kind::kDelivered}, {204, Kind::kDelivered}, {301, Kind::kGiveUp},
      {400, Kind::kGiveUp},    {401, Kind::kGiveUp},    {404, Kind::kGiveUp},
      {429, Kind::kRetry},     {500, Kind::kRetry},     {503, Kind::kRetry},
  };
  for (const HttpCase& c : Cases()) {
    for (const auto& [status, kind] : table) {
      SCOPED_TRACE(c.type + " answered " + std::to_string(status));
      HttpSink sink(HttpSink::Answer{status, "", {{"Location", "https://elsewhere.example.org/"}}});
      std::unique_ptr<Receiver> receiver = Make(ConfigFor(c, sink.base_url()));
      ASSERT_NE(receiver, nullptr);
      DeliveryResult result = receiver->Send(FiringGroup(), kTimeout);
      EXPECT_EQ(result.kind, kind) << KindName(result.kind) << ": " << result.detail;
      EXPECT_EQ(result.http_status, status);
      EXPECT_EQ(sink.requests().size(), 1u);  // a redirect is not followed
    }
    SCOPED_TRACE(c.type + " to a closed port");
    std::unique_ptr<Receiver> receiver =
        Make(ConfigFor(c, "http://127.0.0.1:" + std::to_string(csoc::testing::FreePort())));
    ASSERT_NE(receiver, nullptr);
    DeliveryResult result = receiver->Send(FiringGroup(), kTimeout);
    EXPECT_EQ(result.kind, Kind::kRetry) << result.detail;
    EXPECT_EQ(result.http_status, 0);
    EXPECT_EQ(result.detail, "connection refused by 127.0.0.1");
  }
}

TEST(HttpDeliveryTest, NoSecretInAnyDetail) {
  for (const HttpCase& c : Cases()) {
    std::vector<DeliveryResult> results;
    for (int status : {400, 401, 403, 404, 429, 500, 503}) {
      // The worst server: its error page repeats the request line (the URL's token) and headers.
      HttpSink sink(HttpSink::Answer{status, "", {{"Retry-After", "30"}}, /*echo=*/true});
      results.push_back(Make(ConfigFor(c, sink.base_url()))->Send(FiringGroup(), kTimeout));
      EXPECT_NE(results.back().detail.find("from 127.0.0.1: "), std::string::npos) << results.back().detail;
      // The echo did carry the secret, and it was cut out.
      EXPECT_NE(results.back().detail.find("***"), std::string::npos) << results.back().detail;
      if (status == 429) {
        EXPECT_NE(results.back().detail.find("(Retry-After: 30)"), std::string::npos) << results.back().detail;
      }
    }
    results.push_back(Make(ConfigFor(c, "http://127.0.0.1:" + std::to_string(csoc::testing::FreePort())))
                          ->Send(FiringGroup(), kTimeout));
    {
      HttpSink slow(HttpSink::Answer{200, "", {}, false, std::chrono::milliseconds(700)});
      results.push_back(Make(ConfigFor(c, slow.base_url()))->Send(FiringGroup(), std::chrono::milliseconds(200)));
      EXPECT_EQ(results.back().kind, Kind::kRetry);
      EXPECT_EQ(results.back().detail, "timed out after 200ms talking to 127.0.0.1");
    }
    for (const DeliveryResult& r : results) {
      EXPECT_NE(r.kind, Kind::kDelivered);
      for (const std::string& secret : c.secrets) {
        EXPECT_EQ(r.detail.find(secret), std::string::npos) << c.type << " leaked " << secret << " in: " << r.detail;
      }
    }
  }
}

// The detail keeps only the start of an answer: a token echoed across that cut must not leave its
// first half behind.
TEST(HttpDeliveryTest, NoPieceOfASecretCutAtTheEndOfTheDetail) {
  HttpSink sink(HttpSink::Answer{500, "", {}, /*echo=*/true});
  // "POST /ppp...?t=" puts the token across character 200 of the echo.
  std::string url = sink.base_url() + "/" + std::string(180, 'p') + "?t=STRADDLINGSECRET7890";
  std::vector<OptionError> errors;
  std::unique_ptr<Receiver> r =
      FindReceiverType("webhook")->make(ReceiverConfig{"oncall", "webhook", true, {{"url", url}}}, &errors);
  ASSERT_NE(r, nullptr);
  DeliveryResult result = r->Send(FiringGroup(), kTimeout);
  EXPECT_EQ(result.kind, Kind::kRetry);
  EXPECT_EQ(result.detail.find("STRADDL"), std::string::npos) << result.detail;
  EXPECT_EQ(result.detail.find("ppppp"), std::string::npos) << result.detail;
}

}  // namespace
}  // namespace csoc::alert

// The receivers' pure parts: every HTTP receiver's request pinned exactly (method, URL, headers,
// parsed JSON body) for a firing group of two alerts with one inhibited child and for a resolved
// group; the webhook's HMAC signature; config validation naming the key; the registration table;
// the shared text helpers (titles, escaping, UTF-8-aware truncation, Slack's limits).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "alert/receiver.h"
#include "alert/receiver_fixtures.h"
#include "alert/receivers/matrix.h"
#include "alert/receivers/slack.h"
#include "alert/receivers/teams.h"
#include "alert/receivers/text.h"
#include "alert/receivers/webhook.h"

namespace csoc::alert {
namespace {

using nlohmann::json;
using receivers::HttpRequest;
using testing::FiringGroup;
using testing::ResolvedGroup;
using Headers = std::vector<std::pair<std::string, std::string>>;

// Compares the parsed body with the expected literal; on a difference shows the actual one whole.
void ExpectJson(const std::string& body, const char* expected) {
  json actual = json::parse(body);
  EXPECT_EQ(actual, json::parse(expected)) << "actual:\n" << actual.dump(2);
}

std::vector<std::string> Keys(const std::vector<OptionError>& errors) {
  std::vector<std::string> keys;
  for (const OptionError& e : errors) keys.push_back(e.key);
  return keys;
}

template <typename Config>
Config MustConfig(const ReceiverConfig& rc) {
  std::vector<OptionError> errors;
  std::optional<Config> c = Config::From(rc, &errors);
  EXPECT_TRUE(c.has_value());
  for (const OptionError& e : errors) ADD_FAILURE() << e.key << ": " << e.message;
  return c.value_or(Config{});
}

ReceiverConfig Rc(std::string type, std::map<std::string, OptionValue> options) {
  return ReceiverConfig{"oncall", std::move(type), true, std::move(options)};
}

// ---- webhook ---------------------------------------------------------------------------------

constexpr const char* kWebhookFiring = R"json({
  "alerts": [
    {
      "annotations": {
        "dashboard_url": "https://csoc.example.org/d/api?env=prod&x=1",
        "description": "HTTP 503 from /health: <b>upstream</b> & \"db\" down",
        "runbook_url": "https://runbooks.example.org/check-failing",
        "summary": "API health check failing"
      },
      "endsAt": "0001-01-01T00:00:00Z",
      "fingerprint": "0cee69eb0b9ae6a7",
      "generatorURL": "https://csoc.example.org/checks/api",
      "labels": {
        "alertname": "CheckFailing",
        "cluster": "eu-1",
        "environment": "prod",
        "service": "api",
        "severity": "critical"
      },
      "startsAt": "2025-12-02T18:21:40.000Z",
      "status": "firing"
    },
    {
      "annotations": {
        "runbook_url": "https://runbooks.example.org/check-failing",
        "summary": "Web check failing — 3/3 probes"
      },
      "endsAt": "0001-01-01T00:00:00Z",
      "fingerprint": "b8082d7286bfc1b4",
      "generatorURL": "javascript:alert(1)",
      "labels": {
        "alertname": "CheckFailing",
        "cluster": "eu-2",
        "environment": "prod",
        "service": "web",
        "severity": "critical"
      },
      "startsAt": "2025-12-02T18:23:40.000Z",
      "status": "firing"
    }
  ],
  "commonAnnotations": {
    "runbook_url": "https://runbooks.example.org/check-failing"
  },
  "commonLabels": {
    "alertname": "CheckFailing",
    "environment": "prod",
    "severity": "critical"
  },
  "externalURL": "https://csoc.example.org",
  "groupKey": "{}:{alertname=\"CheckFailing\", environment=\"prod\"}",
  "groupLabels": {
    "alertname": "CheckFailing",
    "environment": "prod"
  },
  "inhibitedAlerts": [
    {
      "annotations": {
        "summary": "DB check failing"
      },
      "endsAt": "0001-01-01T00:00:00Z",
      "fingerprint": "a96e0eceb8603b64",
      "generatorURL": "",
      "labels": {
        "alertname": "CheckFailing",
        "cluster": "eu-1",
        "environment": "prod",
        "service": "db",
        "severity": "warning"
      },
      "startsAt": "2025-12-02T18:22:40.000Z",
      "status": "firing"
    }
  ],
  "notificationId": "01JDX7Q8Z3-oncall-7f3a",
  "receiver": "oncall",
  "status": "firing",
  "test": false,
  "truncatedAlerts": 0,
  "version": "4"
})json";
constexpr const char* kWebhookResolved = R"json({
  "alerts": [
    {
      "annotations": {
        "dashboard_url": "https://csoc.example.org/d/api?env=prod&x=1",
        "description": "HTTP 503 from /health: <b>upstream</b> & \"db\" down",
        "runbook_url": "https://runbooks.example.org/check-failing",
        "summary": "API health check failing"
      },
      "endsAt": "2025-12-02T18:34:40.000Z",
      "fingerprint": "0cee69eb0b9ae6a7",
      "generatorURL": "https://csoc.example.org/checks/api",
      "labels": {
        "alertname": "CheckFailing",
        "cluster": "eu-1",
        "environment": "prod",
        "service": "api",
        "severity": "critical"
      },
      "startsAt": "2025-12-02T18:21:40.000Z",
      "status": "resolved"
    },
    {
      "annotations": {
        "runbook_url": "https://runbooks.example.org/check-failing",
        "summary": "Web check failing — 3/3 probes"
      },
      "endsAt": "2025-12-02T18:35:40.000Z",
      "fingerprint": "b8082d7286bfc1b4",
      "generatorURL": "javascript:alert(1)",
      "labels": {
        "alertname": "CheckFailing",
        "cluster": "eu-2",
        "environment": "prod",
        "service": "web",
        "severity": "critical"
      },
      "startsAt": "2025-12-02T18:23:40.000Z",
      "status": "resolved"
    }
  ],
  "commonAnnotations": {
    "runbook_url": "https://runbooks.example.org/check-failing"
  },
  "commonLabels": {
    "alertname": "CheckFailing",
    "environment": "prod",
    "severity": "critical"
  },
  "externalURL": "https://csoc.example.org",
  "groupKey": "{}:{alertname=\"CheckFailing\", environment=\"prod\"}",
  "groupLabels": {
    "alertname": "CheckFailing",
    "environment": "prod"
  },
  "inhibitedAlerts": [],
  "notificationId": "01JDX9K2M1-oncall-7f3a",
  "receiver": "oncall",
  "status": "resolved",
  "test": false,
  "truncatedAlerts": 0,
  "version": "4"
})json";

TEST(WebhookTest, FiringRequestPinned) {
  auto config = MustConfig<receivers::webhook::Config>(
      Rc("webhook", {{"url", std::string("https://hooks.example.org/alerts?token=s3cr3t")},
                     {"headers", std::map<std::string, std::string>{{"X-Team", "sre"}}}}));
  HttpRequest req = receivers::webhook::BuildRequest(FiringGroup(), config);
  EXPECT_EQ(req.method, "POST");
  EXPECT_EQ(req.url, "https://hooks.example.org/alerts?token=s3cr3t");
  EXPECT_EQ(req.headers, (Headers{{"Content-Type", "application/json"},
                                  {"User-Agent", "csoc"},
                                  {"Idempotency-Key", "01JDX7Q8Z3-oncall-7f3a"},
                                  {"X-Team", "sre"}}));
  ExpectJson(req.body, kWebhookFiring);
}

TEST(WebhookTest, ResolvedRequestPinned) {
  auto config =
      MustConfig<receivers::webhook::Config>(Rc("webhook", {{"url", std::string("http://10.0.0.5:9000/hook")}}));
  HttpRequest req = receivers::webhook::BuildRequest(ResolvedGroup(), config);
  EXPECT_EQ(req.headers, (Headers{{"Content-Type", "application/json"},
                                  {"User-Agent", "csoc"},
                                  {"Idempotency-Key", "01JDX9K2M1-oncall-7f3a"}}));
  ExpectJson(req.body, kWebhookResolved);
}

TEST(WebhookTest, MaxAlertsTruncatesAndCounts) {
  auto config = MustConfig<receivers::webhook::Config>(
      Rc("webhook", {{"url", std::string("https://hooks.example.org/a")}, {"max_alerts", int64_t{1}}}));
  json body = json::parse(receivers::webhook::BuildRequest(FiringGroup(), config).body);
  ASSERT_EQ(body["alerts"].size(), 1u);
  EXPECT_EQ(body["alerts"][0]["labels"]["service"], "api");
  EXPECT_EQ(body["truncatedAlerts"], 1);
  EXPECT_EQ(body["inhibitedAlerts"].size(), 1u);  // max_alerts limits `alerts` only
}

TEST(WebhookTest, InvalidUtf8InLabelsStillGivesJson) {
  Notification n = FiringGroup();
  n.alerts[0].annotations["summary"] = "bad \xff\xfe bytes";
  auto config = MustConfig<receivers::webhook::Config>(Rc("webhook", {{"url", std::string("https://h.example.org/")}}));
  json body = json::parse(receivers::webhook::BuildRequest(n, config).body);
  EXPECT_EQ(body["alerts"][0]["annotations"]["summary"], "bad \xEF\xBF\xBD\xEF\xBF\xBD bytes");
}

// Known answer, computed independently with:
//   printf '%s' '1764700000.{"a":1}' | openssl dgst -sha256 -hmac 'k3y'
TEST(WebhookTest, SignatureIsHmacOfTimestampDotBody) {
  EXPECT_EQ(receivers::webhook::Signature("k3y", 1764700000, R"({"a":1})"),
            "sha256=65fe8a660286ccdc6e4b04f217a64d90809eb71bfc9ad19da0d6047e8e160421");
  HttpRequest signed_req =
      receivers::webhook::Sign(HttpRequest{"POST", "https://h/", {{"A", "b"}}, R"({"a":1})"}, "k3y", 1764700000);
  EXPECT_EQ(signed_req.headers,
            (Headers{{"A", "b"},
                     {"X-Csoc-Timestamp", "1764700000"},
                     {"X-Csoc-Signature", "sha256=65fe8a660286ccdc6e4b04f217a64d90809eb71bfc9ad19da0d6047e8e160421"}}));
  // The timestamp is covered: the same body at another time signs differently.
  EXPECT_NE(receivers::webhook::Signature("k3y", 1764700001, R"({"a":1})"),
            "sha256=65fe8a660286ccdc6e4b04f217a64d90809eb71bfc9ad19da0d6047e8e160421");
}

TEST(WebhookTest, ConfigErrorsNameTheKey) {
  std::vector<OptionError> errors;
  EXPECT_FALSE(receivers::webhook::Config::From(Rc("webhook", {}), &errors));
  EXPECT_EQ(Keys(errors), std::vector<std::string>{"url"});

  errors.clear();
  EXPECT_FALSE(
      receivers::webhook::Config::From(Rc("webhook", {{"url", std::string("ftp://h.example.org/x")}}), &errors));
  EXPECT_EQ(Keys(errors), std::vector<std::string>{"url"});

  errors.clear();
  EXPECT_FALSE(receivers::webhook::Config::From(Rc("webhook", {{"url", std::string("hooks.example.org/x")}}), &errors));
  EXPECT_EQ(Keys(errors), std::vector<std::string>{"url"});

  errors.clear();
  EXPECT_FALSE(receivers::webhook::Config::From(
      Rc("webhook", {{"url", std::string("https://h.example.org/")},
                     {"headers", std::map<std::string, std::string>{{"Idempotency-Key", "x"}}},
                     {"max_alerts", int64_t{-1}},
                     {"hmac_secret", int64_t{5}}}),
      &errors));
  EXPECT_EQ(Keys(errors), (std::vector<std::string>{"hmac_secret", "max_alerts", "headers"}));

  errors.clear();
  EXPECT_FALSE(receivers::webhook::Config::From(
      Rc("webhook", {{"url", std::string("https://h.example.org/")},
                     {"headers", std::map<std::string, std::string>{{"Bad Name", "x"}, {"X-Ok", "a\r\nInjected: 1"}}}}),
      &errors));
  EXPECT_EQ(Keys(errors), (std::vector<std::string>{"headers", "headers"}));
}

TEST(WebhookTest, ConfigErrorsNeverShowTheUrl) {
  std::vector<OptionError> errors;
  receivers::webhook::Config::From(Rc("webhook", {{"url", std::string("gopher://h/tok3n")}}), &errors);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].message.find("tok3n"), std::string::npos);
}

// ---- slack -----------------------------------------------------------------------------------

constexpr const char* kSlackFiring = R"json({
  "blocks": [
    {
      "text": {
        "emoji": true,
        "text": "🔥 [FIRING:2] CheckFailing prod",
        "type": "plain_text"
      },
      "type": "header"
    },
    {
      "text": {
        "text": "*🔥 CheckFailing (prod/eu-1/api)* — API health check failing\n*Environment:* prod · *Cluster:* eu-1 · *Service:* api\n*Evidence:* HTTP 503 from /health: &lt;b&gt;upstream&lt;/b&gt; &amp; \"db\" down\n*Started:* 2025-12-02 18:21:40 UTC\n<https://csoc.example.org/d/api?env=prod&amp;x=1|Dashboard> · <https://runbooks.example.org/check-failing|Runbook> · <https://csoc.example.org/checks/api|Source>",
        "type": "mrkdwn"
      },
      "type": "section"
    },
    {
      "text": {
        "text": "*🔥 CheckFailing (prod/eu-2/web)* — Web check failing — 3/3 probes\n*Environment:* prod · *Cluster:* eu-2 · *Service:* web\n*Started:* 2025-12-02 18:23:40 UTC\n<https://runbooks.example.org/check-failing|Runbook>",
        "type": "mrkdwn"
      },
      "type": "section"
    },
    {
      "elements": [
        {
          "text": "_Held back while prod is down:_ CheckFailing (prod/eu-1/db)",
          "type": "mrkdwn"
        }
      ],
      "type": "context"
    }
  ],
  "channel": "#oncall",
  "text": "🔥 [FIRING:2] CheckFailing prod",
  "username": "csoc"
})json";
constexpr const char* kSlackResolved = R"json({
  "blocks": [
    {
      "text": {
        "emoji": true,
        "text": "✅ [RESOLVED] CheckFailing prod",
        "type": "plain_text"
      },
      "type": "header"
    },
    {
      "text": {
        "text": "*✅ CheckFailing (prod/eu-1/api)* — API health check failing\n*Environment:* prod · *Cluster:* eu-1 · *Service:* api\n*Evidence:* HTTP 503 from /health: &lt;b&gt;upstream&lt;/b&gt; &amp; \"db\" down\n*Started:* 2025-12-02 18:21:40 UTC · *Ended:* 2025-12-02 18:34:40 UTC\n<https://csoc.example.org/d/api?env=prod&amp;x=1|Dashboard> · <https://runbooks.example.org/check-failing|Runbook> · <https://csoc.example.org/checks/api|Source>",
        "type": "mrkdwn"
      },
      "type": "section"
    },
    {
      "text": {
        "text": "*✅ CheckFailing (prod/eu-2/web)* — Web check failing — 3/3 probes\n*Environment:* prod · *Cluster:* eu-2 · *Service:* web\n*Started:* 2025-12-02 18:23:40 UTC · *Ended:* 2025-12-02 18:35:40 UTC\n<https://runbooks.example.org/check-failing|Runbook>",
        "type": "mrkdwn"
      },
      "type": "section"
    }
  ],
  "text": "✅ [RESOLVED] CheckFailing prod"
})json";

TEST(SlackTest, FiringRequestPinned) {
  auto config = MustConfig<receivers::slack::Config>(
      Rc("slack", {{"url", std::string("https://hooks.slack.com/services/T0/B0/XXXX")},
                   {"channel", std::string("#oncall")},
                   {"username", std::string("csoc")}}));
  HttpRequest req = receivers::slack::BuildRequest(FiringGroup(), config);
  EXPECT_EQ(req.method, "POST");
  EXPECT_EQ(req.url, "https://hooks.slack.com/services/T0/B0/XXXX");
  EXPECT_EQ(req.headers, (Headers{{"Content-Type", "application/json"}, {"User-Agent", "csoc"}}));
  ExpectJson(req.body, kSlackFiring);
}

TEST(SlackTest, ResolvedRequestPinned) {
  auto config = MustConfig<receivers::slack::Config>(
      Rc("slack", {{"url", std::string("https://hooks.slack.com/services/T0/B0/XXXX")}}));
  ExpectJson(receivers::slack::BuildRequest(ResolvedGroup(), config).body, kSlackResolved);
}

TEST(SlackTest, RespectsSlackLimits) {
  Notification n = FiringGroup();
  n.group_labels["alertname"] = std::string(400, 'x') + "é";
  Alert big = n.alerts[0];
  big.annotations["description"] = std::string(5000, 'y');
  big.annotations["summary"] = std::string(2000, 'z');
  big.labels["service"] = std::string(1000, 's') + "\xF0\x9F\x94\xA5";
  n.alerts.assign(60, big);
  n.inhibited.assign(500, big);
  auto config = MustConfig<receivers::slack::Config>(
      Rc("slack", {{"url", std::string("https://hooks.slack.com/services/T0/B0/XXXX")}}));
  json body = json::parse(receivers::slack::BuildRequest(n, config).body);
  const json& blocks = body["blocks"];
  EXPECT_LE(blocks.size(), 50u);
  EXPECT_EQ(blocks.size(), 1 + receivers::slack::kMaxAlertSections + 2);
  auto chars = [](const std::string& s) {
    size_t n = 0;
    for (unsigned char c : s) n += (c & 0xC0) != 0x80;
    return n;
  };
  EXPECT_LE(chars(blocks[0]["text"]["text"]), 150u);
  for (const json& b : blocks) {
    if (b["type"] == "section") {
      EXPECT_LE(chars(b["text"]["text"]), 3000u);
    } else if (b["type"] == "context") {
      EXPECT_LE(chars(b["elements"][0]["text"]), 3000u);
    }
  }
  EXPECT_EQ(blocks[11]["elements"][0]["text"], "and 50 more");
}

TEST(SlackTest, ConfigErrorsNameTheKey) {
  std::vector<OptionError> errors;
  EXPECT_FALSE(receivers::slack::Config::From(Rc("slack", {{"url", std::string("http://hooks.slack.com/services/x")}}),
                                              &errors));
  EXPECT_EQ(Keys(errors), std::vector<std::string>{"url"});
  errors.clear();
  EXPECT_FALSE(
      receivers::slack::Config::From(Rc("slack", {{"url", std::string("https://h/")}, {"channel", true}}), &errors));
  EXPECT_EQ(Keys(errors), std::vector<std::string>{"channel"});
  errors.clear();
  // Plain http only to a loopback address (a local relay or a test sink).
  EXPECT_TRUE(receivers::slack::Config::From(Rc("slack", {{"url", std::string("http://127.0.0.1:8080/x")}}), &errors));
  EXPECT_TRUE(errors.empty());
}

// ---- teams -----------------------------------------------------------------------------------

constexpr const char* kTeamsFiring = R"json({
  "attachments": [
    {
      "content": {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "actions": [
          {
            "title": "Open csoc",
            "type": "Action.OpenUrl",
            "url": "https://csoc.example.org"
          },
          {
            "title": "Runbook",
            "type": "Action.OpenUrl",
            "url": "https://runbooks.example.org/check-failing"
          }
        ],
        "body": [
          {
            "color": "Attention",
            "size": "Large",
            "text": "🔥 [FIRING:2] CheckFailing prod",
            "type": "TextBlock",
            "weight": "Bolder",
            "wrap": true
          },
          {
            "items": [
              {
                "text": "🔥 **CheckFailing (prod/eu-1/api)** — API health check failing",
                "type": "TextBlock",
                "wrap": true
              },
              {
                "facts": [
                  {
                    "title": "Environment",
                    "value": "prod"
                  },
                  {
                    "title": "Cluster",
                    "value": "eu-1"
                  },
                  {
                    "title": "Service",
                    "value": "api"
                  },
                  {
                    "title": "Evidence",
                    "value": "HTTP 503 from /health: <b>upstream</b> & \"db\" down"
                  },
                  {
                    "title": "Started",
                    "value": "2025-12-02 18:21:40 UTC"
                  }
                ],
                "type": "FactSet"
              },
              {
                "text": "[Dashboard](https://csoc.example.org/d/api?env=prod&x=1) · [Runbook](https://runbooks.example.org/check-failing) · [Source](https://csoc.example.org/checks/api)",
                "type": "TextBlock",
                "wrap": true
              }
            ],
            "separator": true,
            "type": "Container"
          },
          {
            "items": [
              {
                "text": "🔥 **CheckFailing (prod/eu-2/web)** — Web check failing — 3/3 probes",
                "type": "TextBlock",
                "wrap": true
              },
              {
                "facts": [
                  {
                    "title": "Environment",
                    "value": "prod"
                  },
                  {
                    "title": "Cluster",
                    "value": "eu-2"
                  },
                  {
                    "title": "Service",
                    "value": "web"
                  },
                  {
                    "title": "Started",
                    "value": "2025-12-02 18:23:40 UTC"
                  }
                ],
                "type": "FactSet"
              },
              {
                "text": "[Runbook](https://runbooks.example.org/check-failing)",
                "type": "TextBlock",
                "wrap": true
              }
            ],
            "separator": true,
            "type": "Container"
          },
          {
            "isSubtle": true,
            "text": "Held back while prod is down: CheckFailing (prod/eu-1/db)",
            "type": "TextBlock",
            "wrap": true
          }
        ],
        "type": "AdaptiveCard",
        "version": "1.4"
      },
      "contentType": "application/vnd.microsoft.card.adaptive"
    }
  ],
  "type": "message"
})json";
constexpr const char* kTeamsResolved = R"json({
  "attachments": [
    {
      "content": {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "actions": [
          {
            "title": "Open csoc",
            "type": "Action.OpenUrl",
            "url": "https://csoc.example.org"
          },
          {
            "title": "Runbook",
            "type": "Action.OpenUrl",
            "url": "https://runbooks.example.org/check-failing"
          }
        ],
        "body": [
          {
            "color": "Good",
            "size": "Large",
            "text": "✅ [RESOLVED] CheckFailing prod",
            "type": "TextBlock",
            "weight": "Bolder",
            "wrap": true
          },
          {
            "items": [
              {
                "text": "✅ **CheckFailing (prod/eu-1/api)** — API health check failing",
                "type": "TextBlock",
                "wrap": true
              },
              {
                "facts": [
                  {
                    "title": "Environment",
                    "value": "prod"
                  },
                  {
                    "title": "Cluster",
                    "value": "eu-1"
                  },
                  {
                    "title": "Service",
                    "value": "api"
                  },
                  {
                    "title": "Evidence",
                    "value": "HTTP 503 from /health: <b>upstream</b> & \"db\" down"
                  },
                  {
                    "title": "Started",
                    "value": "2025-12-02 18:21:40 UTC"
                  },
                  {
                    "title": "Ended",
                    "value": "2025-12-02 18:34:40 UTC"
                  }
                ],
                "type": "FactSet"
              },
              {
                "text": "[Dashboard](https://csoc.example.org/d/api?env=prod&x=1) · [Runbook](https://runbooks.example.org/check-failing) · [Source](https://csoc.example.org/checks/api)",
                "type": "TextBlock",
                "wrap": true
              }
            ],
            "separator": true,
            "type": "Container"
          },
          {
            "items": [
              {
                "text": "✅ **CheckFailing (prod/eu-2/web)** — Web check failing — 3/3 probes",
                "type": "TextBlock",
                "wrap": true
              },
              {
                "facts": [
                  {
                    "title": "Environment",
                    "value": "prod"
                  },
                  {
                    "title": "Cluster",
                    "value": "eu-2"
                  },
                  {
                    "title": "Service",
                    "value": "web"
                  },
                  {
                    "title": "Started",
                    "value": "2025-12-02 18:23:40 UTC"
                  },
                  {
                    "title": "Ended",
                    "value": "2025-12-02 18:35:40 UTC"
                  }
                ],
                "type": "FactSet"
              },
              {
                "text": "[Runbook](https://runbooks.example.org/check-failing)",
                "type": "TextBlock",
                "wrap": true
              }
            ],
            "separator": true,
            "type": "Container"
          }
        ],
        "type": "AdaptiveCard",
        "version": "1.4"
      },
      "contentType": "application/vnd.microsoft.card.adaptive"
    }
  ],
  "type": "message"
})json";

TEST(TeamsTest, FiringRequestPinned) {
  auto config = MustConfig<receivers::teams::Config>(
      Rc("teams", {{"url", std::string("https://example.webhook.office.com/webhookb2/abc/IncomingWebhook/def/ghi")}}));
  HttpRequest req = receivers::teams::BuildRequest(FiringGroup(), config);
  EXPECT_EQ(req.method, "POST");
  EXPECT_EQ(req.url, "https://example.webhook.office.com/webhookb2/abc/IncomingWebhook/def/ghi");
  EXPECT_EQ(req.headers, (Headers{{"Content-Type", "application/json"}, {"User-Agent", "csoc"}}));
  ExpectJson(req.body, kTeamsFiring);
}

TEST(TeamsTest, ResolvedRequestPinned) {
  auto config =
      MustConfig<receivers::teams::Config>(Rc("teams", {{"url", std::string("https://example.webhook.office.com/w")}}));
  ExpectJson(receivers::teams::BuildRequest(ResolvedGroup(), config).body, kTeamsResolved);
}

TEST(TeamsTest, ConfigErrorsNameTheKey) {
  std::vector<OptionError> errors;
  EXPECT_FALSE(receivers::teams::Config::From(Rc("teams", {}), &errors));
  EXPECT_EQ(Keys(errors), std::vector<std::string>{"url"});
  errors.clear();
  EXPECT_FALSE(receivers::teams::Config::From(
      Rc("teams", {{"url", std::string("http://example.webhook.office.com/w")}}), &errors));
  EXPECT_EQ(Keys(errors), std::vector<std::string>{"url"});
}

// ---- matrix ----------------------------------------------------------------------------------

constexpr const char* kMatrixFiring = R"json({
  "body": "🔥 [FIRING:2] CheckFailing prod\n\n🔥 CheckFailing (prod/eu-1/api) — API health check failing\n  Environment: prod · Cluster: eu-1 · Service: api\n  Evidence: HTTP 503 from /health: <b>upstream</b> & \"db\" down\n  Started: 2025-12-02 18:21:40 UTC\n  Dashboard: https://csoc.example.org/d/api?env=prod&x=1 · Runbook: https://runbooks.example.org/check-failing · Source: https://csoc.example.org/checks/api\n\n🔥 CheckFailing (prod/eu-2/web) — Web check failing — 3/3 probes\n  Environment: prod · Cluster: eu-2 · Service: web\n  Started: 2025-12-02 18:23:40 UTC\n  Runbook: https://runbooks.example.org/check-failing\n\nHeld back while prod is down:\n  - CheckFailing (prod/eu-1/db)\n",
  "format": "org.matrix.custom.html",
  "formatted_body": "<h3>🔥 [FIRING:2] CheckFailing prod</h3>\n<ul>\n<li>🔥 <strong>CheckFailing (prod/eu-1/api)</strong> — API health check failing<br>Environment: prod · Cluster: eu-1 · Service: api<br>Evidence: HTTP 503 from /health: &lt;b&gt;upstream&lt;/b&gt; &amp; &quot;db&quot; down<br>Started: 2025-12-02 18:21:40 UTC<br><a href=\"https://csoc.example.org/d/api?env=prod&amp;x=1\">Dashboard</a> · <a href=\"https://runbooks.example.org/check-failing\">Runbook</a> · <a href=\"https://csoc.example.org/checks/api\">Source</a></li>\n<li>🔥 <strong>CheckFailing (prod/eu-2/web)</strong> — Web check failing — 3/3 probes<br>Environment: prod · Cluster: eu-2 · Service: web<br>Started: 2025-12-02 18:23:40 UTC<br><a href=\"https://runbooks.example.org/check-failing\">Runbook</a></li>\n</ul>\n<p><em>Held back while prod is down:</em></p>\n<ul>\n<li>CheckFailing (prod/eu-1/db)</li>\n</ul>\n",
  "msgtype": "m.text"
})json";
constexpr const char* kMatrixResolved = R"json({
  "body": "✅ [RESOLVED] CheckFailing prod\n\n✅ CheckFailing (prod/eu-1/api) — API health check failing\n  Environment: prod · Cluster: eu-1 · Service: api\n  Evidence: HTTP 503 from /health: <b>upstream</b> & \"db\" down\n  Started: 2025-12-02 18:21:40 UTC · Ended: 2025-12-02 18:34:40 UTC\n  Dashboard: https://csoc.example.org/d/api?env=prod&x=1 · Runbook: https://runbooks.example.org/check-failing · Source: https://csoc.example.org/checks/api\n\n✅ CheckFailing (prod/eu-2/web) — Web check failing — 3/3 probes\n  Environment: prod · Cluster: eu-2 · Service: web\n  Started: 2025-12-02 18:23:40 UTC · Ended: 2025-12-02 18:35:40 UTC\n  Runbook: https://runbooks.example.org/check-failing\n",
  "format": "org.matrix.custom.html",
  "formatted_body": "<h3>✅ [RESOLVED] CheckFailing prod</h3>\n<ul>\n<li>✅ <strong>CheckFailing (prod/eu-1/api)</strong> — API health check failing<br>Environment: prod · Cluster: eu-1 · Service: api<br>Evidence: HTTP 503 from /health: &lt;b&gt;upstream&lt;/b&gt; &amp; &quot;db&quot; down<br>Started: 2025-12-02 18:21:40 UTC · Ended: 2025-12-02 18:34:40 UTC<br><a href=\"https://csoc.example.org/d/api?env=prod&amp;x=1\">Dashboard</a> · <a href=\"https://runbooks.example.org/check-failing\">Runbook</a> · <a href=\"https://csoc.example.org/checks/api\">Source</a></li>\n<li>✅ <strong>CheckFailing (prod/eu-2/web)</strong> — Web check failing — 3/3 probes<br>Environment: prod · Cluster: eu-2 · Service: web<br>Started: 2025-12-02 18:23:40 UTC · Ended: 2025-12-02 18:35:40 UTC<br><a href=\"https://runbooks.example.org/check-failing\">Runbook</a></li>\n</ul>\n",
  "msgtype": "m.text"
})json";

receivers::matrix::Config MatrixConfig() {
  return MustConfig<receivers::matrix::Config>(Rc("matrix", {{"homeserver", std::string("https://matrix.example.org/")},
                                                             {"room_id", std::string("!AbC123:example.org")},
                                                             {"access_token", std::string("syt_tok3n")}}));
}

TEST(MatrixTest, FiringRequestPinned) {
  HttpRequest req = receivers::matrix::BuildRequest(FiringGroup(), MatrixConfig());
  EXPECT_EQ(req.method, "PUT");
  EXPECT_EQ(req.url,
            "https://matrix.example.org/_matrix/client/v3/rooms/%21AbC123%3Aexample.org/send/m.room.message/"
            "01JDX7Q8Z3-oncall-7f3a");
  EXPECT_EQ(
      req.headers,
      (Headers{{"Authorization", "Bearer syt_tok3n"}, {"Content-Type", "application/json"}, {"User-Agent", "csoc"}}));
  ExpectJson(req.body, kMatrixFiring);
}

TEST(MatrixTest, ResolvedRequestPinned) {
  HttpRequest req = receivers::matrix::BuildRequest(ResolvedGroup(), MatrixConfig());
  EXPECT_EQ(req.url,
            "https://matrix.example.org/_matrix/client/v3/rooms/%21AbC123%3Aexample.org/send/m.room.message/"
            "01JDX9K2M1-oncall-7f3a");
  ExpectJson(req.body, kMatrixResolved);
}

TEST(MatrixTest, TxnIdIsTheNotificationIdEncoded) {
  Notification n = FiringGroup();
  n.id = "a/b c?";
  HttpRequest req = receivers::matrix::BuildRequest(n, MatrixConfig());
  EXPECT_TRUE(req.url.ends_with("/send/m.room.message/a%2Fb%20c%3F")) << req.url;
}

TEST(MatrixTest, ABigGroupStaysUnderTheEventSizeLimit) {
  Notification n = FiringGroup();
  Alert big = n.alerts[0];
  big.annotations["description"] = std::string(10000, '<');  // escaped to 4 bytes each in HTML
  big.annotations["summary"] = std::string(5000, 'z');
  n.alerts.assign(200, big);
  HttpRequest req = receivers::matrix::BuildRequest(n, MatrixConfig());
  EXPECT_LE(req.body.size(), receivers::matrix::kMaxBody);
  EXPECT_NE(json::parse(req.body)["body"].get<std::string>().find("and 195 more"), std::string::npos);
}

TEST(MatrixTest, ConfigErrorsNameTheKey) {
  auto errors_for = [](std::map<std::string, OptionValue> options) {
    std::vector<OptionError> errors;
    EXPECT_FALSE(receivers::matrix::Config::From(Rc("matrix", std::move(options)), &errors));
    return Keys(errors);
  };
  const std::string hs = "https://matrix.example.org";
  EXPECT_EQ(errors_for(
                {{"homeserver", hs}, {"room_id", std::string("#ops:example.org")}, {"access_token", std::string("t")}}),
            std::vector<std::string>{"room_id"});
  EXPECT_EQ(errors_for({{"homeserver", hs}, {"room_id", std::string("!nocolon")}, {"access_token", std::string("t")}}),
            std::vector<std::string>{"room_id"});
  EXPECT_EQ(errors_for({{"homeserver", std::string("http://matrix.example.org")},
                        {"room_id", std::string("!a:b")},
                        {"access_token", std::string("t")}}),
            std::vector<std::string>{"homeserver"});
  EXPECT_EQ(errors_for({{"homeserver", hs}, {"room_id", std::string("!a:b")}}),
            std::vector<std::string>{"access_token"});
}

// ---- the table and the shared text -----------------------------------------------------------

TEST(ReceiverTypesTest, EveryTypeRegisteredOnceAndBuilds) {
  std::vector<std::string> names;
  for (const ReceiverType& t : ReceiverTypes()) names.emplace_back(t.type);
  EXPECT_EQ(names, (std::vector<std::string>{"webhook", "slack", "teams", "matrix", "email"}));
  const ReceiverType* slack = FindReceiverType("slack");
  ASSERT_NE(slack, nullptr);
  std::vector<OptionError> errors;
  std::unique_ptr<Receiver> r =
      slack->make(Rc("slack", {{"url", std::string("https://hooks.slack.com/services/a")}}), &errors);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->type(), "slack");
  EXPECT_EQ(r->name(), "oncall");
  EXPECT_EQ(slack->make(Rc("slack", {}), &errors), nullptr);
  EXPECT_EQ(Keys(errors), std::vector<std::string>{"url"});
  // Secrets are declared as such, so the config loader insists on ${NAME} or <key>_file.
  for (const ReceiverType& t : ReceiverTypes()) {
    for (const OptionSpec& o : t.options) {
      bool secret = o.key == "url" || o.key == "hmac_secret" || o.key == "password" || o.key == "access_token";
      EXPECT_EQ(o.kind == OptionKind::kSecret, secret) << t.type << "." << o.key;
    }
  }
}

TEST(TextTest, Titles) {
  EXPECT_EQ(receivers::GroupTitle(FiringGroup()), "[FIRING:2] CheckFailing prod");
  EXPECT_EQ(receivers::GroupTitle(ResolvedGroup()), "[RESOLVED] CheckFailing prod");
  Notification n = FiringGroup();
  n.group_labels = {{"service", "api"}};
  n.common_labels = {{"alertname", "CheckFailing"}, {"environment", "prod"}, {"cluster", "eu-1"}, {"service", "api"}};
  EXPECT_EQ(receivers::GroupTitle(n), "[FIRING:2] CheckFailing api (prod eu-1)");
  n.group_labels.clear();
  n.common_labels.clear();
  EXPECT_EQ(receivers::GroupTitle(n), "[FIRING:2] 2 alerts");
  n.test = true;
  EXPECT_EQ(receivers::GroupTitle(n), "[TEST] [FIRING:2] 2 alerts");
  EXPECT_EQ(receivers::AlertTitle(FiringGroup().alerts[0]), "CheckFailing (prod/eu-1/api)");
  EXPECT_EQ(receivers::HeldBackIntro(FiringGroup()), "Held back while prod is down");
}

TEST(TextTest, HtmlEscape) {
  EXPECT_EQ(receivers::HtmlEscape(R"(<a href="x">'&'</a>)"), "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
}

TEST(TextTest, TruncateUtf8CountsCodePointsAndNeverSplitsOne) {
  EXPECT_EQ(receivers::TruncateUtf8("hello", 5), "hello");
  EXPECT_EQ(receivers::TruncateUtf8("hello!", 5), "hell\u2026");
  EXPECT_EQ(receivers::TruncateUtf8("\u00e9\u00e9\u00e9", 3), "\u00e9\u00e9\u00e9");
  EXPECT_EQ(receivers::TruncateUtf8("\u00e9\u00e9\u00e9\u00e9", 3), "\u00e9\u00e9\u2026");
  EXPECT_EQ(receivers::TruncateUtf8("\U0001F525\U0001F525", 1), "\u2026");
  EXPECT_EQ(receivers::TruncateUtf8("abc", 0), "");
}

TEST(TextTest, OnlyHttpLinks) {
  receivers::AlertView v = receivers::ViewOf(FiringGroup().alerts[1], testing::Created());
  ASSERT_EQ(v.links.size(), 1u);  // the runbook; the javascript: source is dropped
  EXPECT_EQ(v.links[0].first, "Runbook");
}

}  // namespace
}  // namespace csoc::alert

#include "alert/notification_json.h"

#include <gtest/gtest.h>

#include "outbox_test_util.h"

namespace csoc::alert {
namespace {

using namespace csoc::alert::testing;
using nlohmann::json;

Notification Full() {
  Notification n = MakeNotification("n-1", "ops-slack", "{}/{service=\"api\"}", T0());
  n.alerts.push_back(MakeAlert("ApiSlow", T0() - std::chrono::hours(1), T0() - std::chrono::minutes(1)));
  n.alerts.back().source = AlertSource::kRule;
  n.inhibited = {MakeAlert("DbDown", T0() - std::chrono::seconds(30))};
  n.inhibited.back().source = AlertSource::kAlertmanagerWebhook;
  n.firing = false;
  n.test = true;
  return n;
}

void ExpectSameAlerts(const std::vector<Alert>& a, const std::vector<Alert>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].labels, b[i].labels);
    EXPECT_EQ(a[i].annotations, b[i].annotations);
    EXPECT_EQ(a[i].starts_at, b[i].starts_at);
    EXPECT_EQ(a[i].ends_at, b[i].ends_at);
    EXPECT_EQ(a[i].generator_url, b[i].generator_url);
    EXPECT_EQ(a[i].source, b[i].source);
  }
}

TEST(NotificationJson, RoundTripKeepsEveryField) {
  const Notification n = Full();
  Notification back;
  ASSERT_TRUE(NotificationFromText(NotificationToText(n), &back).ok());
  EXPECT_EQ(back.id, n.id);
  EXPECT_EQ(back.receiver, n.receiver);
  EXPECT_EQ(back.group_key, n.group_key);
  EXPECT_EQ(back.group_labels, n.group_labels);
  EXPECT_EQ(back.common_labels, n.common_labels);
  EXPECT_EQ(back.common_annotations, n.common_annotations);
  EXPECT_EQ(back.firing, false);
  ExpectSameAlerts(back.alerts, n.alerts);
  ExpectSameAlerts(back.inhibited, n.inhibited);
  EXPECT_EQ(back.external_url, n.external_url);
  EXPECT_EQ(back.created, n.created);
  EXPECT_TRUE(back.test);
  // And the text is stable: writing what was read gives the same document.
  EXPECT_EQ(NotificationToText(back), NotificationToText(n));
}

TEST(NotificationJson, ShapeUsesMillisecondsAndNamesTheStatus) {
  const json j = NotificationToJson(Full());
  EXPECT_EQ(j["created_ms"], 1'800'000'000'000);
  EXPECT_EQ(j["status"], "resolved");
  EXPECT_EQ(j["test"], true);
  ASSERT_EQ(j["alerts"].size(), 2u);
  EXPECT_EQ(j["alerts"][0]["ends_at_ms"], 0);  // still firing
  EXPECT_EQ(j["alerts"][1]["ends_at_ms"], 1'800'000'000'000 - 60'000);
  EXPECT_EQ(j["alerts"][0]["source"], "prometheus");
  EXPECT_EQ(j["inhibited"][0]["source"], "alertmanager");
  EXPECT_EQ(j["alerts"][0]["fingerprint"], FingerprintHex(Fingerprint(Full().alerts[0].labels)));
  EXPECT_EQ(j["group_labels"], (json{{"service", "api"}}));
}

TEST(NotificationJson, TimesBeforeTheEpochAndEmptyListsSurvive) {
  Notification n = MakeNotification("n-2", "r", "g", FromUnixMillis(-1234));
  n.alerts.clear();
  Notification back;
  ASSERT_TRUE(NotificationFromText(NotificationToText(n), &back).ok());
  EXPECT_EQ(back.created, FromUnixMillis(-1234));
  EXPECT_TRUE(back.alerts.empty());
  EXPECT_TRUE(back.inhibited.empty());
}

TEST(NotificationJson, RefusesMalformedDocumentsNamingTheField) {
  Notification out;
  EXPECT_EQ(NotificationFromText("{", &out).code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(NotificationFromText("[]", &out).code(), Status::Code::kInvalidArgument);

  json j = NotificationToJson(Full());
  j["created_ms"] = "yesterday";
  Status s = NotificationFromJson(j, &out);
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(s.message().find("created_ms"), std::string::npos) << s.ToString();

  j = NotificationToJson(Full());
  j["alerts"][1]["labels"]["alertname"] = 5;
  s = NotificationFromJson(j, &out);
  EXPECT_NE(s.message().find("alerts[1].labels.alertname"), std::string::npos) << s.ToString();

  j = NotificationToJson(Full());
  j["status"] = "burning";
  EXPECT_FALSE(NotificationFromJson(j, &out).ok());

  j = NotificationToJson(Full());
  j["inhibited"][0]["source"] = "carrier-pigeon";
  s = NotificationFromJson(j, &out);
  EXPECT_NE(s.message().find("inhibited[0].source"), std::string::npos) << s.ToString();

  j = NotificationToJson(Full());
  j.erase("test");
  EXPECT_FALSE(NotificationFromJson(j, &out).ok());
}

TEST(NotificationJson, InvalidUtf8IsReplacedNotFatal) {
  Notification n = MakeNotification("n-3", "r", "g", T0());
  n.common_annotations["summary"] = "bad \xff byte";
  Notification back;
  ASSERT_TRUE(NotificationFromText(NotificationToText(n), &back).ok());
  EXPECT_EQ(back.common_annotations["summary"], "bad \xef\xbf\xbd byte");
}

}  // namespace
}  // namespace csoc::alert

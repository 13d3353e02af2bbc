// The SCS status page JSON: request bodies are parsed strictly (errors name the field), the
// read-only fields clients echo back are ignored, and objects are written with the API's field
// names and order.
#include "statuspage/scs_json.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace csoc::statuspage::scs {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;
using Code = Status::Code;

constexpr char kComponent[] = "123e4567-e89b-42d3-a456-426614174000";
constexpr char kType[] = "00000000-0000-4000-8000-000000000001";

// Expects InvalidArgument whose message starts with the field (the API's spelling of it).
void ExpectFieldError(const Status& s, const std::string& field) {
  EXPECT_EQ(s.code(), Code::kInvalidArgument) << s.ToString();
  EXPECT_THAT(s.message(), StartsWith(field)) << s.ToString();
}

// ---- Errors common to every body ----

TEST(ScsParseTest, MalformedJsonIsAnError) {
  ImpactTypeInput in;
  for (std::string body : {"", "{", "{\"displayName\": }", "{\"displayName\": \"x\"} trailing", "nul",
                           "{\"displayName\": \"x\", \"severity\": 1e400}"}) {
    Status s = ParseImpactType(body, &in);
    EXPECT_EQ(s.code(), Code::kInvalidArgument) << "'" << body << "'";
    EXPECT_THAT(s.message(), StartsWith("malformed JSON in the request body")) << s.message();
  }
}

TEST(ScsParseTest, StringsMustBeUtf8) {
  // JSON text is UTF-8; a body that is not cannot be stored and served back as JSON.
  ComponentInput in;
  EXPECT_EQ(ParseComponent("{\"displayName\": \"bad \xff byte\"}", &in).code(), Code::kInvalidArgument);
  EXPECT_EQ(ParseComponent("{\"labels\": {\"k\": \"\xc3\"}}", &in).code(), Code::kInvalidArgument);
  EXPECT_FALSE(in.display_name.has_value());
  EXPECT_FALSE(in.labels.has_value());
}

TEST(ScsParseTest, TheBodyMustBeAnObject) {
  ImpactTypeInput in;
  for (std::string body : {"[]", "\"x\"", "42", "null", "true"}) {
    ExpectFieldError(ParseImpactType(body, &in), "request body");
  }
  std::vector<std::string> phases;
  ExpectFieldError(ParsePhaseList("[\"a\"]", &phases), "request body");
}

TEST(ScsParseTest, AnUnknownFieldIsNamedWithTheAllowedOnes) {
  ImpactTypeInput type;
  Status s = ParseImpactType(R"({"displayName": "x", "colour": "red"})", &type);
  ExpectFieldError(s, "colour");
  EXPECT_THAT(s.message(), HasSubstr("displayName, description"));

  SeverityInput severity;
  ExpectFieldError(ParseSeverity(R"({"displayName": "x", "value": 1, "id": "y"})", &severity), "id");
  ComponentInput component;
  ExpectFieldError(ParseComponent(R"({"displayname": "wrong case"})", &component), "displayname");
  IncidentInput incident;
  ExpectFieldError(ParseIncident(R"({"displayName": "x", "published": false})", &incident), "published");
  UpdateInput update;
  ExpectFieldError(ParseIncidentUpdate(R"({"displayName": "x", "incident": "y"})", &update), "incident");
  std::vector<std::string> phases;
  ExpectFieldError(ParsePhaseList(R"({"phases": [], "name": "x"})", &phases), "name");
}

// ---- Impact types ----

TEST(ScsParseTest, ImpactType) {
  ImpactTypeInput in;
  Status s = ParseImpactType(R"({"displayName": "Slow", "description": "Answers late."})", &in);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(in.display_name, "Slow");
  EXPECT_EQ(in.description, "Answers late.");

  // Absent fields stay absent (a PATCH leaves them alone); `id` is echoed back and ignored.
  ImpactTypeInput partial;
  ASSERT_TRUE(ParseImpactType(R"({"id": "whatever", "description": ""})", &partial).ok());
  EXPECT_FALSE(partial.display_name.has_value());
  EXPECT_EQ(partial.description, "");

  ImpactTypeInput empty;
  ASSERT_TRUE(ParseImpactType("{}", &empty).ok());
  EXPECT_FALSE(empty.display_name.has_value());
  EXPECT_FALSE(empty.description.has_value());
}

TEST(ScsParseTest, ImpactTypeWrongTypes) {
  ImpactTypeInput in;
  Status s = ParseImpactType(R"({"displayName": 5})", &in);
  ExpectFieldError(s, "displayName");
  EXPECT_THAT(s.message(), HasSubstr("expected a string, got an integer"));
  ExpectFieldError(ParseImpactType(R"({"displayName": null})", &in), "displayName");
  ExpectFieldError(ParseImpactType(R"({"description": ["a"]})", &in), "description");
  ExpectFieldError(ParseImpactType(R"({"description": {}})", &in), "description");
}

// ---- Severities ----

TEST(ScsParseTest, Severity) {
  SeverityInput in;
  ASSERT_TRUE(ParseSeverity(R"({"displayName": "broken", "value": 100})", &in).ok());
  EXPECT_EQ(in.display_name, "broken");
  EXPECT_EQ(in.value, 100);
  SeverityInput zero;
  ASSERT_TRUE(ParseSeverity(R"({"value": 0})", &zero).ok());
  EXPECT_FALSE(zero.display_name.has_value());
  EXPECT_EQ(zero.value, 0);
}

TEST(ScsParseTest, SeverityValueMustBeAnIntegerFrom0To100) {
  SeverityInput in;
  for (std::string bad : {"101", "-1", "1000000000000", "18446744073709551615", "-9223372036854775808"}) {
    Status s = ParseSeverity(R"({"value": )" + bad + "}", &in);
    ExpectFieldError(s, "value");
    EXPECT_THAT(s.message(), HasSubstr("must be from 0 to 100")) << bad;
  }
  Status fraction = ParseSeverity(R"({"value": 50.5})", &in);
  ExpectFieldError(fraction, "value");
  EXPECT_THAT(fraction.message(), HasSubstr("a number with a fraction"));
  ExpectFieldError(ParseSeverity(R"({"value": "50"})", &in), "value");
  ExpectFieldError(ParseSeverity(R"({"value": true})", &in), "value");
  ExpectFieldError(ParseSeverity(R"({"value": null})", &in), "value");
  EXPECT_FALSE(in.value.has_value());
}

// ---- Phase lists ----

TEST(ScsParseTest, PhaseList) {
  std::vector<std::string> phases = {"stale"};
  ASSERT_TRUE(ParsePhaseList(R"({"phases": ["Open", "Closed"], "generation": 7})", &phases).ok());
  EXPECT_THAT(phases, ElementsAre("Open", "Closed"));
  // An empty list parses; the status page decides that it is not allowed.
  ASSERT_TRUE(ParsePhaseList(R"({"phases": []})", &phases).ok());
  EXPECT_TRUE(phases.empty());
}

TEST(ScsParseTest, PhaseListErrors) {
  std::vector<std::string> phases;
  ExpectFieldError(ParsePhaseList("{}", &phases), "phases");
  EXPECT_THAT(ParsePhaseList("{}", &phases).message(), HasSubstr("required"));
  ExpectFieldError(ParsePhaseList(R"({"phases": "Open"})", &phases), "phases");
  ExpectFieldError(ParsePhaseList(R"({"phases": null})", &phases), "phases");
  ExpectFieldError(ParsePhaseList(R"({"phases": ["Open", 2]})", &phases), "phases[1]");
  ExpectFieldError(ParsePhaseList(R"({"phases": [null]})", &phases), "phases[0]");
}

// ---- Components ----

TEST(ScsParseTest, Component) {
  ComponentInput in;
  Status s = ParseComponent(
      R"({"id": "x", "displayName": "Compute", "labels": {"region": "north", "tier": "1"},
          "activelyAffectedBy": [{"reference": "y"}]})",
      &in);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(in.display_name, "Compute");
  ASSERT_TRUE(in.labels.has_value());
  EXPECT_EQ(*in.labels, (std::map<std::string, std::string>{{"region", "north"}, {"tier", "1"}}));

  // An empty object clears the labels; leaving them out leaves them alone.
  ComponentInput clear;
  ASSERT_TRUE(ParseComponent(R"({"labels": {}})", &clear).ok());
  ASSERT_TRUE(clear.labels.has_value());
  EXPECT_TRUE(clear.labels->empty());
  ComponentInput keep;
  ASSERT_TRUE(ParseComponent(R"({"displayName": "x"})", &keep).ok());
  EXPECT_FALSE(keep.labels.has_value());
}

TEST(ScsParseTest, ComponentLabelErrors) {
  ComponentInput in;
  ExpectFieldError(ParseComponent(R"({"labels": ["a"]})", &in), "labels");
  ExpectFieldError(ParseComponent(R"({"labels": null})", &in), "labels");
  Status s = ParseComponent(R"({"labels": {"region": "north", "tier": 1}})", &in);
  ExpectFieldError(s, "labels.tier");
  EXPECT_THAT(s.message(), HasSubstr("expected a string, got an integer"));
  EXPECT_FALSE(in.labels.has_value());
}

// ---- Incidents ----

TEST(ScsParseTest, IncidentWithEveryField) {
  IncidentInput in;
  Status s = ParseIncident(std::string(R"({"id": "ignored", "updates": [0, 1],
      "displayName": "Outage", "description": "All down.",
      "beganAt": "2026-12-02T10:00:00Z", "endedAt": "2026-12-02T11:30:00.250+01:00",
      "phase": {"generation": 2, "order": 3},
      "affects": [{"reference": ")") +
                               kComponent + R"(", "type": ")" + kType + R"(", "severity": 100},
                  {"severity": 0, "type": ")" +
                               kType + R"(", "reference": ")" + kComponent + R"("}]})",
                           &in);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(in.display_name, "Outage");
  EXPECT_EQ(in.description, "All down.");
  ASSERT_TRUE(in.began_at.has_value() && in.began_at->has_value());
  EXPECT_EQ(FormatIso8601(**in.began_at), "2026-12-02T10:00:00.000Z");
  ASSERT_TRUE(in.ended_at.has_value() && in.ended_at->has_value());
  EXPECT_EQ(FormatIso8601(**in.ended_at), "2026-12-02T10:30:00.250Z");
  EXPECT_EQ(in.phase, (PhaseRef{2, 3}));
  ASSERT_TRUE(in.affects.has_value());
  EXPECT_THAT(*in.affects, ElementsAre(Impact{kComponent, kType, 100}, Impact{kComponent, kType, 0}));
  // Not part of the SCS API: never set from a body.
  EXPECT_FALSE(in.published.has_value());
}

TEST(ScsParseTest, IncidentAbsentFieldsStayAbsent) {
  IncidentInput in;
  ASSERT_TRUE(ParseIncident("{}", &in).ok());
  EXPECT_FALSE(in.display_name.has_value());
  EXPECT_FALSE(in.description.has_value());
  EXPECT_FALSE(in.began_at.has_value());
  EXPECT_FALSE(in.ended_at.has_value());
  EXPECT_FALSE(in.phase.has_value());
  EXPECT_FALSE(in.affects.has_value());
}

TEST(ScsParseTest, IncidentNullAndEmptyTimesMeanNull) {
  IncidentInput in;
  ASSERT_TRUE(ParseIncident(R"({"beganAt": null, "endedAt": ""})", &in).ok());
  // Given, and null: the outer optional is set, the inner is not.
  ASSERT_TRUE(in.began_at.has_value());
  EXPECT_FALSE(in.began_at->has_value());
  ASSERT_TRUE(in.ended_at.has_value());
  EXPECT_FALSE(in.ended_at->has_value());

  IncidentInput null_end;
  ASSERT_TRUE(ParseIncident(R"({"endedAt": null})", &null_end).ok());
  ASSERT_TRUE(null_end.ended_at.has_value());
  EXPECT_FALSE(null_end.ended_at->has_value());
  EXPECT_FALSE(null_end.began_at.has_value());
}

TEST(ScsParseTest, IncidentTimeErrors) {
  IncidentInput in;
  Status s = ParseIncident(R"({"beganAt": "yesterday"})", &in);
  ExpectFieldError(s, "beganAt");
  EXPECT_THAT(s.message(), HasSubstr("'yesterday'"));
  ExpectFieldError(ParseIncident(R"({"endedAt": 1795000000000})", &in), "endedAt");
  ExpectFieldError(ParseIncident(R"({"endedAt": " "})", &in), "endedAt");
  ExpectFieldError(ParseIncident(R"({"beganAt": "2026-13-01T00:00:00Z"})", &in), "beganAt");
  ExpectFieldError(ParseIncident(R"({"beganAt": {}})", &in), "beganAt");
}

TEST(ScsParseTest, IncidentPhaseErrors) {
  IncidentInput in;
  ExpectFieldError(ParseIncident(R"({"phase": 1})", &in), "phase");
  ExpectFieldError(ParseIncident(R"({"phase": null})", &in), "phase");
  ExpectFieldError(ParseIncident(R"({"phase": {"order": 1}})", &in), "phase.generation");
  ExpectFieldError(ParseIncident(R"({"phase": {"generation": 1}})", &in), "phase.order");
  ExpectFieldError(ParseIncident(R"({"phase": {"generation": 1, "order": 0, "name": "x"}})", &in), "phase.name");
  ExpectFieldError(ParseIncident(R"({"phase": {"generation": "1", "order": 0}})", &in), "phase.generation");
  ExpectFieldError(ParseIncident(R"({"phase": {"generation": 1, "order": -1}})", &in), "phase.order");
  ExpectFieldError(ParseIncident(R"({"phase": {"generation": 1, "order": 1.0}})", &in), "phase.order");
  ExpectFieldError(ParseIncident(R"({"phase": {"generation": 1000000001, "order": 0}})", &in), "phase.generation");
  EXPECT_FALSE(in.phase.has_value());
  // Zero parses (the status page says there is no generation 0).
  ASSERT_TRUE(ParseIncident(R"({"phase": {"generation": 0, "order": 0}})", &in).ok());
  EXPECT_EQ(in.phase, (PhaseRef{0, 0}));
}

TEST(ScsParseTest, IncidentImpactErrors) {
  auto impact = [](const std::string& fields) { return R"({"affects": [)" + fields + "]}"; };
  std::string ok = std::string(R"({"reference": ")") + kComponent + R"(", "type": ")" + kType + R"(", "severity": 50})";
  IncidentInput in;
  ExpectFieldError(ParseIncident(R"({"affects": {}})", &in), "affects");
  ExpectFieldError(ParseIncident(R"({"affects": null})", &in), "affects");
  ExpectFieldError(ParseIncident(impact(ok + ", 5"), &in), "affects[1]");
  ExpectFieldError(ParseIncident(impact(ok + R"(, {"type": ")" + kType + R"(", "severity": 1})"), &in),
                   "affects[1].reference");
  ExpectFieldError(ParseIncident(impact(std::string(R"({"reference": ")") + kComponent + R"(", "severity": 1})"), &in),
                   "affects[0].type");
  ExpectFieldError(
      ParseIncident(impact(std::string(R"({"reference": ")") + kComponent + R"(", "type": ")" + kType + R"("})"), &in),
      "affects[0].severity");
  ExpectFieldError(ParseIncident(impact(std::string(R"({"reference": ")") + kComponent + R"(", "type": ")" + kType +
                                        R"(", "severity": 1, "note": "x"})"),
                                 &in),
                   "affects[0].note");
  Status not_uuid =
      ParseIncident(impact(std::string(R"({"reference": "compute", "type": ")") + kType + R"(", "severity": 1})"), &in);
  ExpectFieldError(not_uuid, "affects[0].reference");
  EXPECT_THAT(not_uuid.message(), HasSubstr("'compute' is not a UUID"));
  ExpectFieldError(
      ParseIncident(impact(std::string(R"({"reference": 1, "type": ")") + kType + R"(", "severity": 1})"), &in),
      "affects[0].reference");
  ExpectFieldError(
      ParseIncident(impact(std::string(R"({"reference": ")") + kComponent + R"(", "type": "x", "severity": 1})"), &in),
      "affects[0].type");
  for (std::string bad : {"101", "-1", "\"5\"", "5.5", "null"}) {
    ExpectFieldError(ParseIncident(impact(std::string(R"({"reference": ")") + kComponent + R"(", "type": ")" + kType +
                                          R"(", "severity": )" + bad + "}"),
                                   &in),
                     "affects[0].severity");
  }
  EXPECT_FALSE(in.affects.has_value());
}

TEST(ScsParseTest, ImpactIdsAreLowerCased) {
  IncidentInput in;
  Status s = ParseIncident(
      R"({"affects": [{"reference": "123E4567-E89B-42D3-A456-426614174000",
                       "type": "00000000-0000-4000-8000-00000000000A", "severity": 5}]})",
      &in);
  ASSERT_TRUE(s.ok()) << s.ToString();
  ASSERT_EQ(in.affects->size(), 1u);
  EXPECT_EQ((*in.affects)[0].component_id, "123e4567-e89b-42d3-a456-426614174000");
  EXPECT_EQ((*in.affects)[0].type_id, "00000000-0000-4000-8000-00000000000a");
}

TEST(ScsParseTest, AnEmptyAffectsListIsGiven) {
  IncidentInput in;
  ASSERT_TRUE(ParseIncident(R"({"affects": []})", &in).ok());
  ASSERT_TRUE(in.affects.has_value());
  EXPECT_TRUE(in.affects->empty());
}

// ---- Incident updates ----

TEST(ScsParseTest, IncidentUpdate) {
  UpdateInput in;
  Status s = ParseIncidentUpdate(
      R"({"order": 3, "id": "x", "displayName": "Fixed", "description": "Done.", "createdAt": "2026-12-02T10:00:00Z"})",
      &in);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(in.display_name, "Fixed");
  EXPECT_EQ(in.description, "Done.");
  ASSERT_TRUE(in.created_at.has_value());
  EXPECT_EQ(FormatIso8601(*in.created_at), "2026-12-02T10:00:00.000Z");

  UpdateInput null_time;
  ASSERT_TRUE(ParseIncidentUpdate(R"({"createdAt": null})", &null_time).ok());
  EXPECT_FALSE(null_time.created_at.has_value());
}

TEST(ScsParseTest, IncidentUpdateErrors) {
  UpdateInput in;
  ExpectFieldError(ParseIncidentUpdate(R"({"createdAt": "soon"})", &in), "createdAt");
  ExpectFieldError(ParseIncidentUpdate(R"({"createdAt": ""})", &in), "createdAt");
  ExpectFieldError(ParseIncidentUpdate(R"({"createdAt": 5})", &in), "createdAt");
  ExpectFieldError(ParseIncidentUpdate(R"({"displayName": false})", &in), "displayName");
  ExpectFieldError(ParseIncidentUpdate(R"({"description": 1})", &in), "description");
}

// ---- Output ----

TEST(ScsJsonTest, ImpactTypeSeverityAndPhaseList) {
  EXPECT_EQ(ImpactTypeJson({kType, "Slow", "Answers \"late\"."}).dump(),
            std::string(R"({"id":")") + kType + R"(","displayName":"Slow","description":"Answers \"late\"."})");
  EXPECT_EQ(SeverityJson({"broken", 100}).dump(), R"({"displayName":"broken","value":100})");
  EXPECT_EQ(PhaseListJson({3, {"Open", "Closed"}}).dump(), R"({"generation":3,"phases":["Open","Closed"]})");
  EXPECT_EQ(PhaseListJson({1, {}}).dump(), R"({"generation":1,"phases":[]})");
}

TEST(ScsJsonTest, ComponentWithActiveImpacts) {
  Component c;
  c.id = kComponent;
  c.display_name = "Compute";
  c.labels = {{"tier", "1"}, {"region", "north"}};
  c.config_key = "compute";  // csoc's own: not in the API
  c.seq = 7;
  Incident i;
  i.id = "11111111-1111-4111-8111-111111111111";
  std::vector<ActiveImpact> active = {{&i, kType, 80}};
  EXPECT_EQ(ComponentJson(c, active).dump(),
            std::string(R"({"id":")") + kComponent +
                R"(","displayName":"Compute","labels":{"region":"north","tier":"1"},"activelyAffectedBy":[)"
                R"({"reference":"11111111-1111-4111-8111-111111111111","type":")" +
                kType + R"(","severity":80}]})");

  Component bare;
  bare.id = kComponent;
  bare.display_name = "Bare";
  EXPECT_EQ(ComponentJson(bare, {}).dump(),
            std::string(R"({"id":")") + kComponent + R"(","displayName":"Bare","labels":{},"activelyAffectedBy":[]})");
}

TEST(ScsJsonTest, Incident) {
  Incident i;
  i.id = "11111111-1111-4111-8111-111111111111";
  i.display_name = "Outage";
  i.description = "All down.";
  i.began_at = FromUnixMillis(1'795'000'000'000);
  i.ended_at = FromUnixMillis(1'795'000'060'500);
  i.phase = PhaseRef{1, 2};
  i.affects = {{kComponent, kType, 100}};
  i.updates = {{0, "a", "", i.began_at.value()}, {2, "b", "", i.began_at.value()}};
  i.published = false;          // csoc's own
  i.automatic_for = "compute";  // csoc's own
  EXPECT_EQ(IncidentJson(i).dump(),
            std::string(R"({"id":"11111111-1111-4111-8111-111111111111","displayName":"Outage",)"
                        R"("description":"All down.","updates":[0,2],"affects":[{"reference":")") +
                kComponent + R"(","type":")" + kType +
                R"(","severity":100}],"beganAt":"2026-11-18T11:06:40.000Z","endedAt":"2026-11-18T11:07:40.500Z",)"
                R"("phase":{"generation":1,"order":2}})");
}

TEST(ScsJsonTest, AnOpenIncidentWithoutPhaseHasNullEndAndNoPhase) {
  Incident i;
  i.id = "x";
  i.display_name = "Open";
  EXPECT_EQ(IncidentJson(i).dump(),
            R"({"id":"x","displayName":"Open","description":"","updates":[],"affects":[],"beganAt":null,)"
            R"("endedAt":null})");
}

TEST(ScsJsonTest, IncidentUpdate) {
  IncidentUpdate u{4, "Fixed", "Done.", FromUnixMillis(1'795'000'000'123)};
  EXPECT_EQ(IncidentUpdateJson(u).dump(),
            R"({"order":4,"displayName":"Fixed","description":"Done.","createdAt":"2026-11-18T11:06:40.123Z"})");
}

TEST(ScsJsonTest, WhatIsWrittenParsesBack) {
  // A client may GET an incident, change a field and send it all back: `id` and `updates` must
  // not make that fail, and the rest must come back as it was.
  Incident i;
  i.id = "11111111-1111-4111-8111-111111111111";
  i.display_name = "Outage";
  i.description = "d";
  i.began_at = FromUnixMillis(1'795'000'000'000);
  i.phase = PhaseRef{1, 2};
  i.affects = {{kComponent, kType, 40}};
  i.updates = {{0, "a", "", FromUnixMillis(0)}};
  IncidentInput in;
  Status s = ParseIncident(IncidentJson(i).dump(), &in);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(in.display_name, "Outage");
  EXPECT_EQ(in.began_at, std::optional<std::optional<TimePoint>>(i.began_at));
  ASSERT_TRUE(in.ended_at.has_value());
  EXPECT_FALSE(in.ended_at->has_value());
  EXPECT_EQ(in.phase, i.phase);
  EXPECT_EQ(in.affects, i.affects);

  Component c;
  c.id = kComponent;
  c.display_name = "Compute";
  c.labels = {{"a", "b"}};
  ComponentInput cin;
  ASSERT_TRUE(ParseComponent(ComponentJson(c, {}).dump(), &cin).ok());
  EXPECT_EQ(cin.labels, c.labels);

  ImpactTypeInput tin;
  ASSERT_TRUE(ParseImpactType(ImpactTypeJson({kType, "T", "D"}).dump(), &tin).ok());
  EXPECT_EQ(tin.display_name, "T");

  UpdateInput uin;
  ASSERT_TRUE(ParseIncidentUpdate(IncidentUpdateJson({1, "U", "D", FromUnixMillis(5)}).dump(), &uin).ok());
  EXPECT_EQ(uin.created_at, FromUnixMillis(5));

  std::vector<std::string> phases;
  ASSERT_TRUE(ParsePhaseList(PhaseListJson({2, {"x"}}).dump(), &phases).ok());
  EXPECT_THAT(phases, ElementsAre("x"));
}

}  // namespace
}  // namespace csoc::statuspage::scs

// The JSON of the Sovereign Cloud Stack status page API (the OpenAPI 1.1.2 document): request
// bodies into the status page's inputs, and its objects into response JSON. Parsing is strict —
// malformed JSON, a field of the wrong type and a field the API does not define are errors that
// name the field — except that the read-only fields a client may echo back (`id`, `updates`,
// `order`, `generation`, `activelyAffectedBy`) are accepted and ignored, and an empty `endedAt`
// string means null, as the SCS web frontend sends it. Pure functions; thread-safe.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "statuspage/status_page.h"

namespace csoc::statuspage::scs {

using Json = nlohmann::ordered_json;

Status ParseImpactType(std::string_view body, ImpactTypeInput* out);
Status ParseSeverity(std::string_view body, SeverityInput* out);
Status ParsePhaseList(std::string_view body, std::vector<std::string>* out);
Status ParseComponent(std::string_view body, ComponentInput* out);
Status ParseIncident(std::string_view body, IncidentInput* out);
Status ParseIncidentUpdate(std::string_view body, UpdateInput* out);

Json ImpactTypeJson(const ImpactType& t);
Json SeverityJson(const Severity& s);
Json PhaseListJson(const PhaseGeneration& g);
Json ComponentJson(const Component& c, const std::vector<ActiveImpact>& active);
Json IncidentJson(const Incident& i);
Json IncidentUpdateJson(const IncidentUpdate& u);

}  // namespace csoc::statuspage::scs

// What Didit shows of a session: the decision body, the list row, and the
// standalone checks that are saved as sessions (which api_service, decision
// feature and feature array each one fills). Pure functions of a
// SessionRecord; both profiles answer these shapes.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "sandbox/router.h"
#include "sandbox/state.h"

namespace idem::sandbox {

struct CheckService {
  Endpoint endpoint;
  std::string_view api_service;     // the session's api_service: "AML"
  std::string_view result_key;      // the check's key in its response: "aml"
  std::string_view feature;         // decision `features` / list `features[].feature`: "AML"
  std::string_view decision_array;  // the decision's feature array: "aml_screenings"
  std::string_view node_id;         // the item's node_id there: "feature_aml"
};

// The standalone check an endpoint runs; nullptr for other endpoints.
const CheckService* CheckServiceFor(Endpoint endpoint);
// By api_service; nullptr for a hosted session (empty) or an unknown name.
const CheckService* CheckServiceNamed(std::string_view api_service);
// Didit's `api_service` list filter values (OAS: GET /v3/sessions/), of
// which the sandbox produces AML, PASSIVE_LIVENESS, FACE_MATCH,
// ID_VERIFICATION, POA, FACE_SEARCH, AGE_ESTIMATION, DATABASE_VALIDATION and
// KYB_REGISTRY (a business session).
bool IsApiServiceName(std::string_view name);

// A business (KYB) session: the sandbox's only one is a KYB registry select's.
bool IsBusiness(const SessionRecord& s);

// `https://verify.didit.me/session/<token>` of a hosted session.
std::string HostedUrl(const SessionRecord& s);

// GET /v3/session/{id}/decision/.
nlohmann::json DecisionBody(const SessionRecord& s);
// One KYC row of GET /v3/sessions/ (no workflow_id, session_token or
// metadata: Didit's rows carry none).
nlohmann::json ListRow(const SessionRecord& s);

}  // namespace idem::sandbox

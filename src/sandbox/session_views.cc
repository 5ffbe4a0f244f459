#include "sandbox/session_views.h"

#include <algorithm>
#include <array>
#include <optional>

#include "sandbox/app.h"

namespace idem::sandbox {
namespace {

using nlohmann::json;

constexpr std::array<CheckService, 11> kCheckServices = {{
    {Endpoint::kAml, "AML", "aml", "AML", "aml_screenings", "feature_aml"},
    {Endpoint::kPassiveLiveness, "PASSIVE_LIVENESS", "liveness", "LIVENESS", "liveness_checks",
     "feature_liveness"},
    {Endpoint::kFaceMatch, "FACE_MATCH", "face_match", "FACE_MATCH", "face_matches",
     "feature_face_match"},
    {Endpoint::kIdVerification, "ID_VERIFICATION", "id_verification", "ID_VERIFICATION",
     "id_verifications", "feature_id_verification"},
    // OTP verifications (otp.cc): saved by the send, finished by a check.
    {Endpoint::kPhoneSend, "PHONE_VERIFICATION", "phone", "PHONE", "phone_verifications",
     "feature_phone"},
    {Endpoint::kEmailSend, "EMAIL_VERIFICATION", "email", "EMAIL_VERIFICATION",
     "email_verifications", "feature_email"},
    {Endpoint::kPoa, "POA", "poa", "POA", "poa_verifications", "feature_poa"},
    // Didit documents no decision array for face search: the sandbox's
    // assumption is face_matches, the nearest face feature.
    {Endpoint::kFaceSearch, "FACE_SEARCH", "face_search", "FACE_SEARCH", "face_matches",
     "feature_face_search"},
    // OAS: a saved age estimation shows in liveness_checks, features
    // ["AGE_ESTIMATION"].
    {Endpoint::kAgeEstimation, "AGE_ESTIMATION", "age_estimation", "AGE_ESTIMATION",
     "liveness_checks", "feature_age_estimation"},
    {Endpoint::kDatabaseValidation, "DATABASE_VALIDATION", "database_validation",
     "DATABASE_VALIDATION", "database_validations", "feature_database_validation"},
    // A KYB registry select (kyb_registry.cc) is a *business* session
    // (IsBusiness). Its decision array is the sandbox's reading of the fact
    // sheet ("KYB adds registry_checks"), the node id the OAS example's.
    {Endpoint::kKybSelect, "KYB_REGISTRY", "kyb_registry", "KYB_REGISTRY", "registry_checks",
     "feature_kyb_registry"},
}};

// A business session's decision arrays (fact sheet section 4), `null`
// until their feature ran.
constexpr std::array<const char*, 3> kBusinessArrays = {"registry_checks", "key_people_checks",
                                                        "document_verifications"};

constexpr std::array<std::string_view, 11> kApiServiceNames = {"ID_VERIFICATION",
                                                               "FACE_MATCH",
                                                               "AGE_ESTIMATION",
                                                               "FACE_SEARCH",
                                                               "POA",
                                                               "AML",
                                                               "KYB_REGISTRY",
                                                               "PASSIVE_LIVENESS",
                                                               "DATABASE_VALIDATION",
                                                               "PHONE_VERIFICATION",
                                                               "EMAIL_VERIFICATION"};

// Every KYC feature array of the decision, `null` until its feature ran.
constexpr std::array<const char*, 12> kFeatureArrays = {
    "id_verifications",        "nfc_verifications",   "liveness_checks",   "face_matches",
    "phone_verifications",     "email_verifications", "poa_verifications", "document_ai_documents",
    "questionnaire_responses", "aml_screenings",      "ip_analyses",       "database_validations"};

json Parse(const std::string& text) {
  if (text.empty()) return nullptr;
  json parsed = json::parse(text, nullptr, false);
  return parsed.is_discarded() ? json(nullptr) : parsed;
}

json OrNull(const std::optional<std::string>& s) { return s ? json(*s) : json(nullptr); }

// `object[key]` when it is a non-empty string, else null.
json StringAt(const json& object, std::string_view key) {
  if (!object.is_object()) return nullptr;
  auto it = object.find(key);
  if (it == object.end() || !it->is_string() || it->get_ref<const std::string&>().empty()) {
    return nullptr;
  }
  return *it;
}

bool IsE164(const std::string& s) {
  if (s.size() < 3 || s.size() > 16 || s[0] != '+' || s[1] < '1' || s[1] > '9') return false;
  return std::all_of(s.begin() + 1, s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

const CheckService* CheckServiceFor(Endpoint endpoint) {
  for (const auto& c : kCheckServices) {
    if (c.endpoint == endpoint) return &c;
  }
  return nullptr;
}

const CheckService* CheckServiceNamed(std::string_view api_service) {
  for (const auto& c : kCheckServices) {
    if (c.api_service == api_service) return &c;
  }
  return nullptr;
}

bool IsBusiness(const SessionRecord& s) { return s.api_service == "KYB_REGISTRY"; }

bool IsApiServiceName(std::string_view name) {
  return std::find(kApiServiceNames.begin(), kApiServiceNames.end(), name) !=
         kApiServiceNames.end();
}

std::string HostedUrl(const SessionRecord& s) {
  return "https://verify.didit.me/session/" + s.session_token;
}

json DecisionBody(const SessionRecord& s) {
  const json details = Parse(s.details_json);
  auto detail = [&](const char* name) {
    return details.is_object() && details.contains(name) ? details[name] : json(nullptr);
  };
  const CheckService* check = CheckServiceNamed(s.api_service);
  json reviews = Parse(s.reviews_json);
  json body = {
      {"session_id", s.session_id},
      {"session_kind", IsBusiness(s) ? "business" : "user"},
      {"session_number", s.session_number},
      // No hosted URL: a check, or an imported clone (OAS: session_url null).
      {"session_url", check || s.session_token.empty() ? json(nullptr) : json(HostedUrl(s))},
      {"status", s.status},
      {"workflow_id", s.workflow_id.empty() ? json(nullptr) : json(s.workflow_id)},
      {"features", check ? json::array({check->feature}) : json::array()},
      {"vendor_data", OrNull(s.vendor_data)},
      {"metadata", Parse(s.metadata_json)},
      {"expected_details", detail("expected_details")},
      {"contact_details", detail("contact_details")},
      {"callback", s.callback.empty() ? json(nullptr) : json(s.callback)},
      {"reviews", reviews.is_array() ? reviews : json::array()},
      {"created_at", IsoTime(s.created_ms)},
      {"expires_at", nullptr},
      {"environment", "sandbox"},
  };
  if (IsBusiness(s)) {
    for (const char* array : kBusinessArrays) body[array] = nullptr;
  } else {
    for (const char* array : kFeatureArrays) body[array] = nullptr;
  }
  if (check) {
    json item = Parse(s.check_json);
    if (!item.is_object()) item = json::object();
    item["node_id"] = check->node_id;
    body[std::string(check->decision_array)] = json::array({std::move(item)});
  }
  return body;
}

json ListRow(const SessionRecord& s) {
  const CheckService* check = CheckServiceNamed(s.api_service);
  const json result = check ? Parse(s.check_json) : json(nullptr);
  // Didit resolves full_name from the ID document's OCR, then the AML
  // screened data (OAS: GET /v3/sessions/); document_type and country from
  // the ID document. The later fallbacks (database validation, PoA,
  // expected_details, phone country) are not emulated.
  json full_name = nullptr;
  json document_type = nullptr;
  json country = nullptr;
  if (check && check->endpoint == Endpoint::kIdVerification) {
    full_name = StringAt(result, "full_name");
    document_type = StringAt(result, "document_type");
    country = StringAt(result, "issuing_state");
  } else if (check && check->endpoint == Endpoint::kAml && result.is_object()) {
    full_name = StringAt(result.value("screened_data", json::object()), "full_name");
  }
  // The contact email and phone given at creation (a phone only when it is
  // E.164: Didit ignores others), never verified here.
  const json details = Parse(s.details_json);
  const json contact =
      details.is_object() ? details.value("contact_details", json::object()) : json::object();
  json email = nullptr;
  if (json e = StringAt(contact, "email"); !e.is_null()) {
    email = {{"email", e}, {"is_verified", false}};
  }
  json phone = nullptr;
  if (json p = StringAt(contact, "phone"); !p.is_null() && IsE164(p.get<std::string>())) {
    phone = {{"number", p}, {"is_verified", false}};
  }
  json features = json::array();
  if (check) {
    // The feature's own status (the check's), which update-status leaves alone.
    json status = StringAt(result, "status");
    features.push_back(
        {{"feature", check->feature}, {"status", status.is_null() ? json(s.status) : status}});
  }
  if (IsBusiness(s)) {
    // Didit's KYB row (fact sheet section 4): workflow and company fields
    // instead of the person's; a select has no workflow.
    return {{"session_id", s.session_id},
            {"session_kind", "business"},
            {"session_number", s.session_number},
            {"session_url", nullptr},
            {"status", s.status},
            {"vendor_data", OrNull(s.vendor_data)},
            {"workflow_id", nullptr},
            {"workflow_type", nullptr},
            {"workflow_label", nullptr},
            {"company_name", StringAt(result, "company_name")},
            {"registration_number", StringAt(result, "registration_number")},
            {"country", StringAt(result, "country_code")},
            {"created_at", IsoTime(s.created_ms)},
            {"features", features}};
  }
  return {
      {"session_id", s.session_id},
      {"session_kind", "user"},
      {"session_number", s.session_number},
      // No hosted URL: a check, or an imported clone (OAS: session_url null).
      {"session_url", check || s.session_token.empty() ? json(nullptr) : json(HostedUrl(s))},
      {"portrait_image", nullptr},
      {"document_type", document_type},
      {"full_name", full_name},
      {"country", country},
      {"status", s.status},
      {"vendor_data", OrNull(s.vendor_data)},
      {"didit_internal_id", nullptr},
      {"created_at", IsoTime(s.created_ms)},
      {"features", features},
      {"phone_number", phone},
      {"email_address", email},
      {"additional_details", nullptr},
  };
}

}  // namespace idem::sandbox

// POST /v3/database-validation/ (OAS): JSON, or multipart when a `selfie`
// is sent. One execution per 200, saved as a DATABASE_VALIDATION session like
// every standalone check (checks.cc). Deterministic: an identification or
// document number starting with "NOMATCH" matches nothing, "PARTIAL" matches
// partly, "NOSERVICE" gets Didit's 502 (no service answered: nothing billed,
// the check saved as `Not Finished`), anything else fully.
#include "idem/uuid.h"
#include "sandbox/app.h"
#include "sandbox/check_support.h"
#include "sandbox/endpoint_support.h"
#include "sandbox/request_fields.h"
#include "sandbox/responses.h"

namespace idem::sandbox {
namespace {

using nlohmann::json;

// Fields that steer the check rather than describe the person.
bool IsControl(std::string_view name) {
  return name == "issuing_state" || name == "services" || name == "consent" ||
         name == "partial_match_action" || name == "no_match_action" || name == "vendor_data" ||
         name == "metadata" || name == "save_api_request";
}

bool IsAlpha3(const std::string& s) {
  if (s.size() != 3) return false;
  for (char c : s) {
    if (c < 'A' || c > 'Z') return false;
  }
  return true;
}

// Every rule on the body (JSON, or the multipart fields gathered into the
// same shape); every bad field at once, as DRF answers. Empty when valid.
json FieldErrorsOf(const json& body) {
  json errors = json::object();
  auto state = body.find("issuing_state");
  if (state == body.end()) {
    errors["issuing_state"] = json::array({"This field is required."});
  } else if (state->is_null()) {
    errors["issuing_state"] = json::array({"This field may not be null."});
  } else if (!state->is_string()) {
    errors["issuing_state"] = json::array({"Not a valid string."});
  } else if (!IsAlpha3(state->get<std::string>())) {
    // Didit takes ISO 3166-1 alpha-3; only the form is checked here.
    errors["issuing_state"] =
        json::array({"\"" + state->get<std::string>() + "\" is not a valid choice."});
  }
  if (auto s = body.find("services"); s != body.end() && !s->is_null()) {
    if (!s->is_array()) {
      errors["services"] = json::array(
          {std::string("Expected a list of items but got type \"") + PythonTypeName(*s) + "\"."});
    } else {
      for (const auto& item : *s) {
        if (!item.is_string() || item.get_ref<const std::string&>().empty()) {
          errors["services"] = json::array({"Each service must be a non-empty string."});
          break;
        }
      }
    }
  }
  if (auto c = body.find("consent"); c != body.end() && !c->is_null() && !c->is_boolean()) {
    errors["consent"] = json::array({"Must be a valid boolean."});
  }
  for (const char* action : {"partial_match_action", "no_match_action"}) {
    auto a = body.find(action);
    if (a == body.end() || a->is_null()) continue;
    if (!a->is_string() || (*a != "DECLINE" && *a != "NO_ACTION")) {
      errors[action] = json::array({"\"" + (a->is_string() ? a->get<std::string>() : a->dump()) +
                                    "\" is not a valid choice."});
    }
  }
  for (const auto& [name, value] : body.items()) {
    if (IsControl(name) || value.is_null()) continue;
    if (!value.is_string()) {
      errors[name] = json::array({"Not a valid string."});
    } else if (name == "date_of_birth" && !IsIsoDate(value.get<std::string>())) {
      errors[name] =
          json::array({"Date has wrong format. Use one of these formats instead: YYYY-MM-DD."});
    }
  }
  return errors;
}

// The multipart fields as the JSON body they stand for: `services` repeated,
// `consent` a "true"/"false" text.
json BodyOfParts(const std::vector<MultipartPart>& parts) {
  json body = json::object();
  for (const MultipartPart& p : parts) {
    if (p.name == "selfie" || p.name == "metadata" || p.name == "save_api_request") continue;
    if (p.name == "services") {
      if (!body.contains("services")) body["services"] = json::array();
      body["services"].push_back(p.data);
    } else if (p.name == "consent" && (p.data == "true" || p.data == "false")) {
      body["consent"] = p.data == "true";
    } else {
      body[p.name] = p.data;
    }
  }
  return body;
}

// The screened person fields of the body.
json ScreenedData(const json& body) {
  json screened = json::object();
  for (const auto& [name, value] : body.items()) {
    if (!IsControl(name) && value.is_string()) screened[name] = value;
  }
  return screened;
}

}  // namespace

// Didit's 502 (OAS): no service returned a usable result. Not billed (no
// execution); saved, the check is still recorded, as `Not Finished`.
// The item code is Didit's documented `empty_provider_response`; the texts
// are the sandbox's (Didit's are not published).
App::EndpointResult App::NoUsableService(const json& body, json services, CheckOptions options,
                                         std::int64_t now_ms) {
  json errors = json::array();
  for (const auto& service : services) {
    errors.push_back({{"service_id", service},
                      {"code", "empty_provider_response"},
                      {"message", "The service returned no usable result."}});
  }
  EndpointResult out;
  if (options.save) {
    SessionRecord s;
    s.session_id = NewUuidV4();
    s.session_number = next_session_number_;
    s.vendor_data = options.vendor_data;
    s.metadata_json = options.metadata ? Dump(*options.metadata) : "null";
    s.status = "Not Finished";
    s.session_type = kApiSession;
    s.api_service = "DATABASE_VALIDATION";
    s.check_json = Dump(json{{"status", "Not Finished"},
                             {"issuing_state", body["issuing_state"]},
                             {"validation_type", "one_by_one"},
                             {"screened_data", ScreenedData(body)},
                             {"match_type", nullptr},
                             {"validations", json::array()},
                             {"warnings", json::array()},
                             {"errors", errors},
                             {"services_used", std::move(services)}});
    s.created_ms = now_ms;
    s.updated_ms = now_ms;
    out.mutation.sessions.push_back(s);
    out.events.push_back(MakeEvent(SandboxSessionEvent::Kind::kStatusChanged, s, "", now_ms));
  }
  out.response =
      JsonResponse(502, json{{"error", "No database validation service returned a usable result."},
                             {"validation_errors", std::move(errors)}});
  return out;
}

App::EndpointResult App::DatabaseValidation(const Request& request, std::int64_t now_ms) {
  const SandboxProfile profile = config_.profile;
  EndpointResult out;
  json body;
  std::optional<CheckOptions> options;
  bool selfie = false;
  const auto content_type = FindHeader(request.headers, "Content-Type");
  if (content_type && content_type->find("multipart/") != std::string::npos) {
    auto parts = CheckParts(request, out.response);
    if (!parts) return out;
    if (FindPart(*parts, "selfie") != nullptr) {
      if (!RequiredFile(profile, *parts, "selfie", 5, {"jpg", "jpeg", "png", "webp", "tiff", "tif"},
                        out.response)) {
        return out;
      }
      selfie = true;
    }
    body = BodyOfParts(*parts);
    if (json errors = FieldErrorsOf(body); !errors.empty())
      return Fail(FieldErrors(profile, errors));
    options = MultipartCheckOptions(profile, *parts, out.response);
  } else {
    auto parsed = RequireObject(request, out.response);
    if (!parsed) return out;
    body = std::move(*parsed);
    if (json errors = FieldErrorsOf(body); !errors.empty())
      return Fail(FieldErrors(profile, errors));
    options = JsonCheckOptions(profile, body, out.response);
  }
  if (!options) return out;

  const std::string number =
      body.value("identification_number", body.value("document_number", std::string()));
  const bool explicit_services = body.contains("services") && !body["services"].empty();
  json services = explicit_services ? body["services"] : json::array({"sandbox_registry"});
  if (number.starts_with("NOSERVICE")) {
    return NoUsableService(body, std::move(services), std::move(*options), now_ms);
  }
  const std::string match_type = number.starts_with("NOMATCH")   ? "no_match"
                                 : number.starts_with("PARTIAL") ? "partial_match"
                                                                 : "full_match";
  std::string status = "Approved";
  json warnings = json::array();
  if (match_type != "full_match") {
    const char* action = match_type == "no_match" ? "no_match_action" : "partial_match_action";
    const std::string fallback = match_type == "no_match" ? "DECLINE" : "NO_ACTION";
    const bool decline = body.value(action, fallback) == "DECLINE";
    if (decline) status = "Declined";
    warnings.push_back({{"risk", match_type == "no_match" ? "NO_MATCH_FOUND" : "PARTIAL_MATCH"},
                        {"feature", "DATABASE_VALIDATION"},
                        {"log_type", decline ? "error" : "warning"}});
  }
  json screened = ScreenedData(body);
  const char* result = match_type == "full_match"      ? "FULL_MATCH"
                       : match_type == "partial_match" ? "PARTIAL_MATCH"
                                                       : "NO_MATCH";
  json validations = json::array();
  for (const auto& service : services) {
    validations.push_back({{"service_id", service},
                           {"result", result},
                           {"fields", screened},
                           {"selfie_checked", selfie}});
  }
  json report = {{"status", status},
                 {"issuing_state", body["issuing_state"]},
                 {"validation_type", "one_by_one"},
                 {"screened_data", std::move(screened)},
                 {"match_type", match_type},
                 {"validations", std::move(validations)},
                 {"warnings", std::move(warnings)},
                 {"errors", json::array()},
                 {"services_used", std::move(services)}};
  // Didit sends match_score only when the services were named.
  if (explicit_services) {
    report["match_score"] = match_type == "full_match"      ? 100
                            : match_type == "partial_match" ? 50
                                                            : 0;
  }
  return CheckAnswer(Endpoint::kDatabaseValidation, std::move(report),
                     std::move(options->vendor_data), std::move(options->metadata), options->save,
                     now_ms);
}

}  // namespace idem::sandbox

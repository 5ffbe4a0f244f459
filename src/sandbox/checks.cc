// The standalone checks: POST /v3/aml/ (JSON) and the multipart
// /v3/passive-liveness/, /v3/face-match/, /v3/id-verification/. Each answer
// is one execution; with `save_api_request` (default true, as Didit) the
// check is also saved as an API session whose id is the answer's request_id,
// which fires `status.updated` like Didit's saved standalone calls (OAS).
#include "common/crypto.h"
#include "idem/uuid.h"
#include "sandbox/aml_watchlist.h"
#include "sandbox/app.h"
#include "sandbox/check_support.h"
#include "sandbox/endpoint_support.h"
#include "sandbox/multipart.h"
#include "sandbox/request_fields.h"
#include "sandbox/responses.h"
#include "sandbox/session_views.h"

namespace idem::sandbox {

using nlohmann::json;

App::EndpointResult App::CheckAnswer(Endpoint endpoint, json result,
                                     std::optional<std::string> vendor_data,
                                     std::optional<json> metadata, bool save, std::int64_t now_ms) {
  const CheckService& service = *CheckServiceFor(endpoint);
  EndpointResult out;
  // Saved: the session id; not saved: a throwaway correlation id.
  const std::string request_id = NewUuidV4();
  const std::string metadata_json = metadata ? Dump(*metadata) : "null";
  if (save) {
    SessionRecord s;
    s.session_id = request_id;
    s.session_number = next_session_number_;
    s.vendor_data = vendor_data;
    s.metadata_json = metadata_json;
    s.status = result.value("status", "Not Started");
    s.session_type = kApiSession;
    s.api_service = std::string(service.api_service);
    s.check_json = Dump(result);
    s.created_ms = now_ms;
    s.updated_ms = now_ms;
    out.mutation.sessions.push_back(s);
    // A status change from nothing: `status.updated`, never the
    // auto-completer (that is for hosted sessions' kCreated only).
    out.events.push_back(MakeEvent(SandboxSessionEvent::Kind::kStatusChanged, s, "", now_ms));
  }
  out.response = JsonResponse(200, json{{"request_id", request_id},
                                        {std::string(service.result_key), std::move(result)},
                                        {"vendor_data", vendor_data ? json(*vendor_data) : json()},
                                        {"metadata", metadata ? *metadata : json()},
                                        {"created_at", IsoTime(now_ms)}});
  RecordExecution(out, std::move(vendor_data), request_id);
  return out;
}

App::EndpointResult App::Aml(const Request& request, std::int64_t now_ms) {
  const SandboxProfile profile = config_.profile;
  EndpointResult out;
  auto body = RequireObject(request, out.response);
  if (!body) return out;
  auto name = body->find("full_name");
  if (name == body->end() || name->is_null()) {
    return Fail(FieldError(profile, "full_name", "This field is required."));
  }
  if (!name->is_string() || name->get_ref<const std::string&>().empty() ||
      name->get_ref<const std::string&>().size() > 256) {
    return Fail(FieldError(profile, "full_name", "A non-empty string of at most 256 characters."));
  }
  for (const char* field : {"entity_type", "date_of_birth", "nationality", "document_number"}) {
    if (auto f = body->find(field); f != body->end() && !f->is_null() && !f->is_string()) {
      return Fail(FieldError(profile, field, "Not a valid string."));
    }
  }
  for (const char* field : {"include_adverse_media", "include_ongoing_monitoring"}) {
    if (auto f = body->find(field); f != body->end() && !f->is_null() && !f->is_boolean()) {
      return Fail(FieldError(profile, field, "Must be a valid boolean."));
    }
  }
  if (json errors = AmlOptionErrors(*body); !errors.empty()) {
    return Fail(FieldErrors(profile, errors));
  }
  auto options = JsonCheckOptions(profile, *body, out.response);
  if (!options) return out;
  if (body->value("include_ongoing_monitoring", json(false)) == true && !options->save) {
    return Fail(JsonResponse(
        400, json{{"error", json::array({"Ongoing monitoring can only be enabled when the API "
                                         "request is saved."})}}));
  }
  const auto hits = ScreenName(name->get<std::string>());
  json hit_list = json::array();
  int score = 0;
  for (const auto& h : hits) {
    hit_list.push_back({{"caption", h.name},
                        {"datasets", json::array({h.list})},
                        {"country", h.country},
                        {"match_score", h.score}});
    score = std::max(score, h.score);
  }
  const auto entity = body->find("entity_type");
  const char* status = AmlStatusUnderThresholds(*body, score);
  if (status == nullptr) status = hits.empty() ? "Approved" : "In Review";
  return CheckAnswer(
      Endpoint::kAml,
      {{"status", status},
       {"total_hits", hits.size()},
       {"entity_type", entity != body->end() && entity->is_string() ? *entity : json("person")},
       {"score", score},
       {"hits", hit_list},
       {"screened_data", {{"full_name", *name}}},
       {"warnings", json::array()}},
      std::move(options->vendor_data), std::move(options->metadata), options->save, now_ms);
}

App::EndpointResult App::PassiveLiveness(const Request& request, std::int64_t now_ms) {
  EndpointResult out;
  auto parts = CheckParts(request, out.response);
  if (!parts) return out;
  const MultipartPart* image = FindPart(*parts, "user_image");
  if (image == nullptr || image->data.empty()) {
    return Fail(
        FieldError(config_.profile, "user_image", "This field is required (a non-empty file)."));
  }
  auto options = MultipartCheckOptions(config_.profile, *parts, out.response);
  if (!options) return out;
  const int score = ScoreOf(image->data);
  return CheckAnswer(
      Endpoint::kPassiveLiveness,
      {{"status", score >= 10 ? "Approved" : "Declined"}, {"method", "PASSIVE"}, {"score", score}},
      std::move(options->vendor_data), std::move(options->metadata), options->save, now_ms);
}

App::EndpointResult App::FaceMatch(const Request& request, std::int64_t now_ms) {
  EndpointResult out;
  auto parts = CheckParts(request, out.response);
  if (!parts) return out;
  for (const char* field : {"user_image", "ref_image"}) {
    const MultipartPart* image = FindPart(*parts, field);
    if (image == nullptr || image->data.empty()) {
      return Fail(FieldError(config_.profile, field, "This field is required (a non-empty file)."));
    }
  }
  auto options = MultipartCheckOptions(config_.profile, *parts, out.response);
  if (!options) return out;
  const std::string& user = FindPart(*parts, "user_image")->data;
  const std::string& ref = FindPart(*parts, "ref_image")->data;
  // Deterministic: the same two images always score the same; identical
  // images score 100.
  const int score = user == ref ? 100 : ScoreOf(user + ref);
  return CheckAnswer(Endpoint::kFaceMatch,
                     {{"status", score >= 50 ? "Approved" : "Declined"},
                      {"score", score},
                      {"user_image", {{"entities", json::array()}, {"best_angle", 0}}},
                      {"ref_image", {{"entities", json::array()}, {"best_angle", 0}}},
                      {"warnings", json::array()}},
                     std::move(options->vendor_data), std::move(options->metadata), options->save,
                     now_ms);
}

App::EndpointResult App::IdVerification(const Request& request, std::int64_t now_ms) {
  const SandboxProfile profile = config_.profile;
  EndpointResult out;
  auto parts = CheckParts(request, out.response);
  if (!parts) return out;
  const MultipartPart* front = FindPart(*parts, "front_image");
  if (front == nullptr || front->data.empty()) {
    return Fail(FieldError(profile, "front_image", "This field is required (a non-empty file)."));
  }
  const MultipartPart* back = FindPart(*parts, "back_image");
  if (back != nullptr && back->data.empty()) {
    return Fail(FieldError(profile, "back_image", "The submitted file is empty."));
  }
  bool document_liveness = false;
  if (const MultipartPart* f = FindPart(*parts, "perform_document_liveness")) {
    if (f->data != "true" && f->data != "false") {
      return Fail(FieldError(profile, "perform_document_liveness", "Must be a valid boolean."));
    }
    document_liveness = f->data == "true";
  }
  auto options = MultipartCheckOptions(profile, *parts, out.response);
  if (!options) return out;
  const int score = ScoreOf(front->data + (back ? back->data : std::string()));
  json warnings = json::array();
  if (back == nullptr) warnings.push_back({{"risk", "DOCUMENT_BACK_NOT_PROVIDED"}});
  return CheckAnswer(Endpoint::kIdVerification,
                     {{"status", score >= 10 ? "Approved" : "Declined"},
                      {"document_type", "Identity Card"},
                      {"document_number", "SBX" + std::to_string(1000000 + score * 7919)},
                      {"first_name", "Sandbox"},
                      {"last_name", "User"},
                      {"full_name", "Sandbox User"},
                      {"date_of_birth", "1990-01-01"},
                      {"expiration_date", "2035-01-01"},
                      {"issuing_state", "ESP"},
                      {"issuing_state_name", "Spain"},
                      {"document_liveness", document_liveness ? json("Approved") : json(nullptr)},
                      {"warnings", warnings}},
                     std::move(options->vendor_data), std::move(options->metadata), options->save,
                     now_ms);
}

}  // namespace idem::sandbox

#include "idem/didit/types.h"

#include <cctype>
#include <string>
#include <utility>

#include "didit/json_util.h"

namespace idem::didit {

using internal::OptAny;
using internal::OptInt;
using internal::OptObject;
using internal::OptString;
using internal::ParseObject;
using internal::RequiredString;
using nlohmann::json;

namespace {

void PutOpt(json& obj, const char* key, const std::optional<std::string>& value) {
  if (value) obj[key] = *value;
}
void PutOpt(json& obj, const char* key, const std::optional<bool>& value) {
  if (value) obj[key] = *value;
}

[[nodiscard]] Result<EncodedBody> JsonBody(Result<json> value) {
  if (!value) return tl::unexpected(value.error());
  auto text = internal::SafeDump(*value);
  if (!text) return tl::unexpected(text.error());
  return EncodedBody{"application/json", std::move(*text)};
}

[[nodiscard]] Result<std::optional<SessionStatusValue>> OptStatus(const json& obj,
                                                                  const char* field) {
  IDEM_JSON_TRY(text, OptString(obj, field));
  if (!text) return std::optional<SessionStatusValue>();
  return std::optional<SessionStatusValue>(SessionStatusValue::FromString(*text));
}

[[nodiscard]] Result<std::optional<std::vector<FeatureResult>>> OptFeatures(const json& obj,
                                                                            const char* field) {
  auto it = obj.find(field);
  if (it == obj.end() || it->is_null()) return std::optional<std::vector<FeatureResult>>();
  if (!it->is_array()) {
    return MakeError(ErrorCode::kCorruption, std::string("field '") + field + "' is not an array");
  }
  std::vector<FeatureResult> out;
  out.reserve(it->size());
  for (const json& item : *it) {
    if (!item.is_object()) {
      return MakeError(ErrorCode::kCorruption,
                       std::string("an item of '") + field + "' is not an object");
    }
    FeatureResult result;
    IDEM_JSON_SET(result.node_id, OptString(item, "node_id"));
    IDEM_JSON_SET(result.status, OptString(item, "status"));
    result.raw = item;
    out.push_back(std::move(result));
  }
  return std::optional<std::vector<FeatureResult>>(std::move(out));
}

bool IsSettableStatus(SessionStatus status) {
  return status == SessionStatus::kApproved || status == SessionStatus::kDeclined ||
         status == SessionStatus::kResubmitted;
}

}  // namespace

// ----------------------------------------------------------------- encoders

[[nodiscard]] Result<json> ToJson(const CreateSessionRequest& request) {
  if (request.workflow_id.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "workflow_id is required");
  }
  json obj = json::object();
  obj["workflow_id"] = request.workflow_id;
  if (!request.vendor_data.empty()) obj["vendor_data"] = request.vendor_data;
  PutOpt(obj, "callback", request.callback);
  if (request.callback_method) {
    const std::string& m = *request.callback_method;
    if (m != "initiator" && m != "completer" && m != "both") {
      return MakeError(ErrorCode::kInvalidArgument,
                       "callback_method must be initiator, completer or both");
    }
    obj["callback_method"] = m;
  }
  if (request.metadata) {
    if (!request.metadata->is_object()) {
      return MakeError(ErrorCode::kInvalidArgument, "metadata must be a JSON object");
    }
    obj["metadata"] = *request.metadata;
  }
  PutOpt(obj, "language", request.language);
  if (request.contact_details) {
    json c = json::object();
    PutOpt(c, "email", request.contact_details->email);
    PutOpt(c, "send_notification_emails", request.contact_details->send_notification_emails);
    PutOpt(c, "email_lang", request.contact_details->email_lang);
    PutOpt(c, "phone", request.contact_details->phone);
    obj["contact_details"] = std::move(c);
  }
  if (request.expected_details) {
    const ExpectedDetails& e = *request.expected_details;
    json d = json::object();
    PutOpt(d, "first_name", e.first_name);
    PutOpt(d, "last_name", e.last_name);
    PutOpt(d, "date_of_birth", e.date_of_birth);
    PutOpt(d, "nationality", e.nationality);
    PutOpt(d, "id_country", e.id_country);
    if (!e.expected_document_types.empty())
      d["expected_document_types"] = e.expected_document_types;
    if (e.gender && *e.gender != "M" && *e.gender != "F") {
      return MakeError(ErrorCode::kInvalidArgument, "expected_details.gender must be M or F");
    }
    PutOpt(d, "gender", e.gender);
    PutOpt(d, "country", e.country);
    PutOpt(d, "poa_country", e.poa_country);
    PutOpt(d, "address", e.address);
    PutOpt(d, "identification_number", e.identification_number);
    PutOpt(d, "ip_address", e.ip_address);
    PutOpt(d, "company_name", e.company_name);
    PutOpt(d, "registry_country", e.registry_country);
    PutOpt(d, "registration_number", e.registration_number);
    obj["expected_details"] = std::move(d);
  }
  if (request.portrait_image) {
    if (request.portrait_image->empty()) {
      return MakeError(ErrorCode::kInvalidArgument, "portrait_image is empty");
    }
    obj["portrait_image"] = *request.portrait_image;
  }
  return obj;
}

[[nodiscard]] Result<json> ToJson(const UpdateStatusRequest& request) {
  if (!IsSettableStatus(request.new_status)) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "new_status must be Approved, Declined or Resubmitted");
  }
  json obj = json::object();
  obj["new_status"] = std::string(SessionStatusName(request.new_status));
  PutOpt(obj, "comment", request.comment);
  if (request.send_email == true && request.email_address.value_or("").empty()) {
    // Didit's own 400; refused here before anything is journaled.
    return MakeError(ErrorCode::kInvalidArgument,
                     "email_address is required when send_email is true");
  }
  PutOpt(obj, "send_email", request.send_email);
  PutOpt(obj, "email_address", request.email_address);
  PutOpt(obj, "email_language", request.email_language);
  if (!request.nodes_to_resubmit.empty()) {
    json nodes = json::array();
    for (const NodeToResubmit& n : request.nodes_to_resubmit) {
      if (n.node_id.empty() || n.feature.empty()) {
        return MakeError(ErrorCode::kInvalidArgument,
                         "nodes_to_resubmit items need node_id and feature");
      }
      nodes.push_back(json{{"node_id", n.node_id}, {"feature", n.feature}});
    }
    obj["nodes_to_resubmit"] = std::move(nodes);
  }
  return obj;
}

[[nodiscard]] Result<json> ToJson(const AmlRequest& request) {
  if (request.full_name.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "full_name is required");
  }
  json obj = json::object();
  obj["full_name"] = request.full_name;
  PutOpt(obj, "entity_type", request.entity_type);
  PutOpt(obj, "date_of_birth", request.date_of_birth);
  PutOpt(obj, "nationality", request.nationality);
  PutOpt(obj, "document_number", request.document_number);
  PutOpt(obj, "include_adverse_media", request.include_adverse_media);
  PutOpt(obj, "vendor_data", request.vendor_data);
  PutOpt(obj, "save_api_request", request.save_api_request);
  PutOpt(obj, "include_ongoing_monitoring", request.include_ongoing_monitoring);
  if (request.include_ongoing_monitoring == true && request.save_api_request == false) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "include_ongoing_monitoring needs save_api_request (Didit refuses it)");
  }
  if (request.metadata) {
    if (!request.metadata->is_object()) {
      return MakeError(ErrorCode::kInvalidArgument, "metadata must be a JSON object");
    }
    obj["metadata"] = *request.metadata;
  }
  const std::pair<const char*, const std::optional<int>*> numbers[] = {
      {"aml_score_approve_threshold", &request.aml_score_approve_threshold},
      {"aml_score_review_threshold", &request.aml_score_review_threshold},
      {"aml_match_score_threshold", &request.aml_match_score_threshold},
      {"aml_name_weight", &request.aml_name_weight},
      {"aml_dob_weight", &request.aml_dob_weight},
      {"aml_country_weight", &request.aml_country_weight},
  };
  for (const auto& [name, value] : numbers) {
    if (!*value) continue;
    if (**value < 0 || **value > 100) {
      return MakeError(ErrorCode::kInvalidArgument, std::string(name) + " must be 0..100");
    }
    obj[name] = **value;
  }
  if (request.aml_name_weight || request.aml_dob_weight || request.aml_country_weight) {
    const int sum = request.aml_name_weight.value_or(60) + request.aml_dob_weight.value_or(25) +
                    request.aml_country_weight.value_or(15);
    if (sum != 100) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "aml_name_weight + aml_dob_weight + aml_country_weight must sum to 100 "
                       "(unsent ones count as 60/25/15), not " +
                           std::to_string(sum));
    }
  }
  return obj;
}

[[nodiscard]] Result<EncodedBody> Encode(const CreateSessionRequest& request) {
  return JsonBody(ToJson(request));
}
[[nodiscard]] Result<EncodedBody> Encode(const UpdateStatusRequest& request) {
  return JsonBody(ToJson(request));
}
[[nodiscard]] Result<EncodedBody> Encode(const AmlRequest& request) {
  return JsonBody(ToJson(request));
}

namespace {
void AddCommonFields(MultipartBuilder& builder, const std::optional<std::string>& vendor_data,
                     const std::optional<bool>& save_api_request) {
  if (vendor_data) builder.AddField("vendor_data", *vendor_data);
  if (save_api_request) builder.AddField("save_api_request", *save_api_request ? "true" : "false");
}
}  // namespace

[[nodiscard]] Result<EncodedBody> Encode(const PassiveLivenessRequest& request,
                                         std::string_view boundary_seed) {
  if (request.user_image.bytes.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "user_image is empty");
  }
  MultipartBuilder builder{std::string(boundary_seed)};
  builder.AddFile("user_image", request.user_image);
  AddCommonFields(builder, request.vendor_data, request.save_api_request);
  return builder.Build();
}

[[nodiscard]] Result<EncodedBody> Encode(const FaceMatchRequest& request,
                                         std::string_view boundary_seed) {
  if (request.user_image.bytes.empty() || request.ref_image.bytes.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "user_image and ref_image are required");
  }
  MultipartBuilder builder{std::string(boundary_seed)};
  builder.AddFile("user_image", request.user_image);
  builder.AddFile("ref_image", request.ref_image);
  AddCommonFields(builder, request.vendor_data, request.save_api_request);
  return builder.Build();
}

[[nodiscard]] Result<EncodedBody> Encode(const IdVerificationRequest& request,
                                         std::string_view boundary_seed) {
  if (request.front_image.bytes.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "front_image is required");
  }
  MultipartBuilder builder{std::string(boundary_seed)};
  builder.AddFile("front_image", request.front_image);
  if (request.back_image) builder.AddFile("back_image", *request.back_image);
  if (request.perform_document_liveness) {
    builder.AddField("perform_document_liveness",
                     *request.perform_document_liveness ? "true" : "false");
  }
  AddCommonFields(builder, request.vendor_data, request.save_api_request);
  return builder.Build();
}

std::string UrlEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string ListSessionsPath(const ListSessionsRequest& request) {
  std::string path = "/v3/sessions/";
  char sep = '?';
  auto add = [&](const char* key, const std::string& value) {
    path += sep;
    sep = '&';
    path += key;
    path += '=';
    path += UrlEncode(value);
  };
  if (request.limit) add("limit", std::to_string(*request.limit));
  if (request.offset) add("offset", std::to_string(*request.offset));
  if (request.vendor_data) add("vendor_data", *request.vendor_data);
  if (request.status) add("status", *request.status);
  if (request.workflow_id) add("workflow_id", *request.workflow_id);
  if (request.date_from) add("date_from", *request.date_from);
  if (request.date_to) add("date_to", *request.date_to);
  if (request.api_service) add("api_service", *request.api_service);
  if (request.session_type) add("session_type", *request.session_type);
  if (request.session_kind) add("session_kind", *request.session_kind);
  const std::pair<const char*, const std::optional<std::string>*> texts[] = {
      {"search", &request.search},
      {"country", &request.country},
      {"document_type", &request.document_type},
      {"document_name", &request.document_name},
      {"region", &request.region},
      {"didit_internal_id", &request.didit_internal_id},
      {"screened_full_name", &request.screened_full_name},
      {"warning", &request.warning},
      {"euuid", &request.euuid},
      {"organization_name", &request.organization_name},
  };
  for (const auto& [key, value] : texts) {
    if (*value) add(key, **value);
  }
  if (request.status_initialized_as_in_review) {
    add("status_initialized_as_in_review",
        *request.status_initialized_as_in_review ? "true" : "false");
  }
  if (request.is_kyc_to_be_reviewed) {
    add("is_kyc_to_be_reviewed", *request.is_kyc_to_be_reviewed ? "true" : "false");
  }
  return path;
}

// ------------------------------------------------------------------ parsers

[[nodiscard]] Result<Session> SessionFromJson(const json& obj) {
  if (!obj.is_object()) return MakeError(ErrorCode::kCorruption, "session is not an object");
  Session s;
  IDEM_JSON_SET(s.session_id, RequiredString(obj, "session_id"));
  IDEM_JSON_SET(s.session_number, OptInt(obj, "session_number"));
  IDEM_JSON_SET(s.session_token, OptString(obj, "session_token"));
  IDEM_JSON_SET(s.url, OptString(obj, "url"));
  if (!s.url) IDEM_JSON_SET(s.url, OptString(obj, "session_url"));
  IDEM_JSON_SET(s.vendor_data, OptString(obj, "vendor_data"));
  IDEM_JSON_SET(s.metadata, OptAny(obj, "metadata"));
  IDEM_JSON_SET(s.status, OptStatus(obj, "status"));
  IDEM_JSON_SET(s.callback, OptString(obj, "callback"));
  IDEM_JSON_SET(s.workflow_id, OptString(obj, "workflow_id"));
  IDEM_JSON_SET(s.workflow_version, OptAny(obj, "workflow_version"));
  s.raw = obj;
  return s;
}

[[nodiscard]] Result<Session> ParseSession(std::string_view body) {
  IDEM_JSON_TRY(obj, ParseObject(body));
  return SessionFromJson(obj);
}

[[nodiscard]] Result<Decision> ParseDecision(std::string_view body) {
  IDEM_JSON_TRY(obj, ParseObject(body));
  Decision d;
  IDEM_JSON_SET(d.session_id, RequiredString(obj, "session_id"));
  IDEM_JSON_SET(d.session_number, OptInt(obj, "session_number"));
  IDEM_JSON_SET(d.session_url, OptString(obj, "session_url"));
  IDEM_JSON_SET(d.status, OptStatus(obj, "status"));
  IDEM_JSON_SET(d.workflow_id, OptString(obj, "workflow_id"));
  IDEM_JSON_SET(d.vendor_data, OptString(obj, "vendor_data"));
  IDEM_JSON_SET(d.metadata, OptAny(obj, "metadata"));
  IDEM_JSON_SET(d.expected_details, OptAny(obj, "expected_details"));
  IDEM_JSON_SET(d.contact_details, OptAny(obj, "contact_details"));
  IDEM_JSON_SET(d.callback, OptString(obj, "callback"));
  if (auto it = obj.find("features"); it != obj.end() && !it->is_null()) {
    if (!it->is_array())
      return MakeError(ErrorCode::kCorruption, "field 'features' is not an array");
    for (const json& f : *it) {
      if (!f.is_string()) return MakeError(ErrorCode::kCorruption, "a feature is not a string");
      d.features.push_back(f.get<std::string>());
    }
  }
  struct FeatureField {
    const char* name;
    std::optional<std::vector<FeatureResult>> Decision::*member;
  };
  static constexpr FeatureField kFeatureFields[] = {
      {"id_verifications", &Decision::id_verifications},
      {"liveness_checks", &Decision::liveness_checks},
      {"face_matches", &Decision::face_matches},
      {"poa_verifications", &Decision::poa_verifications},
      {"phone_verifications", &Decision::phone_verifications},
      {"email_verifications", &Decision::email_verifications},
      {"aml_screenings", &Decision::aml_screenings},
      {"ip_analyses", &Decision::ip_analyses},
      {"database_validations", &Decision::database_validations},
  };
  for (const FeatureField& field : kFeatureFields) {
    IDEM_JSON_TRY(items, OptFeatures(obj, field.name));
    d.*field.member = std::move(items);
  }
  d.raw = std::move(obj);
  return d;
}

[[nodiscard]] Result<SessionList> ParseSessionList(std::string_view body) {
  IDEM_JSON_TRY(obj, ParseObject(body));
  SessionList list;
  IDEM_JSON_TRY(count, OptInt(obj, "count"));
  IDEM_JSON_SET(list.next, OptString(obj, "next"));
  IDEM_JSON_SET(list.previous, OptString(obj, "previous"));
  auto it = obj.find("results");
  if (it == obj.end() || !it->is_array()) {
    return MakeError(ErrorCode::kCorruption, "field 'results' is missing or not an array");
  }
  for (const json& item : *it) {
    IDEM_JSON_TRY(session, SessionFromJson(item));
    list.results.push_back(std::move(session));
  }
  list.count = count.value_or(static_cast<std::int64_t>(list.results.size()));
  list.raw = std::move(obj);
  return list;
}

[[nodiscard]] Result<UpdateStatusResult> ParseUpdateStatusResult(std::string_view body) {
  IDEM_JSON_TRY(obj, ParseObject(body));
  IDEM_JSON_TRY(session_id, OptString(obj, "session_id"));
  return UpdateStatusResult{session_id.value_or(""), std::move(obj)};
}

[[nodiscard]] Result<CheckResult> ParseCheckResult(std::string_view body) {
  IDEM_JSON_TRY(obj, ParseObject(body));
  CheckResult r;
  IDEM_JSON_SET(r.request_id, OptString(obj, "request_id"));
  IDEM_JSON_SET(r.session_id, OptString(obj, "session_id"));
  IDEM_JSON_SET(r.status, OptString(obj, "status"));
  // Didit puts a check's status inside its result object ({"liveness":
  // {"status": ...}}); the top-level one is for older or adopted shapes.
  for (const char* check : {"aml", "liveness", "face_match", "id_verification", "poa",
                            "age_estimation", "face_search", "database_validation"}) {
    if (r.status) break;
    if (auto it = obj.find(check); it != obj.end() && it->is_object()) {
      IDEM_JSON_SET(r.status, OptString(*it, "status"));
    }
  }
  r.raw = std::move(obj);
  return r;
}

}  // namespace idem::didit

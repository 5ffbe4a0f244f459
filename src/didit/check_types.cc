// Encoders and parsers of Proof of Address, face search, age estimation and
// database validation (include/idem/didit/check_types.h).
#include "idem/didit/check_types.h"

#include <array>

#include "didit/json_util.h"

namespace idem::didit {
namespace {

using internal::OptAny;
using internal::OptInt;
using internal::OptNumber;
using internal::OptObject;
using internal::OptString;
using nlohmann::json;

[[nodiscard]] Status CheckAction(std::string_view field, const std::optional<std::string>& value) {
  if (value && *value != "DECLINE" && *value != "NO_ACTION") {
    return MakeError(ErrorCode::kInvalidArgument,
                     std::string(field) + " must be DECLINE or NO_ACTION");
  }
  return {};
}

[[nodiscard]] Status CheckMetadata(const std::optional<json>& metadata) {
  if (metadata && !metadata->is_object()) {
    return MakeError(ErrorCode::kInvalidArgument, "metadata must be a JSON object");
  }
  return {};
}

// The fields every check takes, as multipart text fields (metadata as the
// JSON text Didit parses).
[[nodiscard]] Status AddCommon(MultipartBuilder& builder,
                               const std::optional<std::string>& vendor_data,
                               const std::optional<json>& metadata,
                               const std::optional<bool>& save) {
  if (auto s = CheckMetadata(metadata); !s) return s;
  if (vendor_data) builder.AddField("vendor_data", *vendor_data);
  if (metadata) {
    auto text = internal::SafeDump(*metadata);
    if (!text) return tl::unexpected(text.error());
    builder.AddField("metadata", *text);
  }
  if (save) builder.AddField("save_api_request", *save ? "true" : "false");
  return {};
}

void AddOpt(MultipartBuilder& builder, const char* name, const std::optional<std::string>& v) {
  if (v) builder.AddField(name, *v);
}
void AddOpt(MultipartBuilder& builder, const char* name, const std::optional<bool>& v) {
  if (v) builder.AddField(name, *v ? "true" : "false");
}
void AddOpt(MultipartBuilder& builder, const char* name, const std::optional<int>& v) {
  if (v) builder.AddField(name, std::to_string(*v));
}

// The envelope around `report_key`; `parse_report` reads the result object.
template <typename Report, typename ParseReport>
[[nodiscard]] Result<StandaloneCheck<Report>> ParseEnvelope(std::string_view body,
                                                            const char* report_key,
                                                            ParseReport parse_report) {
  IDEM_JSON_TRY(obj, internal::SafeParse(body));
  if (!obj.is_object()) return MakeError(ErrorCode::kCorruption, "response is not an object");
  StandaloneCheck<Report> r;
  IDEM_JSON_SET(r.request_id, OptString(obj, "request_id"));
  IDEM_JSON_SET(r.vendor_data, OptString(obj, "vendor_data"));
  IDEM_JSON_SET(r.metadata, OptAny(obj, "metadata"));
  IDEM_JSON_SET(r.created_at, OptString(obj, "created_at"));
  IDEM_JSON_TRY(report, OptObject(obj, report_key));
  if (report) {
    auto parsed = parse_report(*report);
    if (!parsed) {
      return MakeError(ErrorCode::kCorruption,
                       std::string(report_key) + ": " + parsed.error().message());
    }
    r.report = std::move(*parsed);
    r.report.raw = std::move(*report);
  }
  r.raw = std::move(obj);
  return r;
}

}  // namespace

[[nodiscard]] Result<EncodedBody> Encode(const PoaRequest& request,
                                         std::string_view boundary_seed) {
  if (request.document.bytes.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "document is required (a non-empty file)");
  }
  const std::array<std::pair<const char*, const std::optional<std::string>*>, 6> actions = {{
      {"poa_name_mismatch_action", &request.poa_name_mismatch_action},
      {"poa_document_issues_action", &request.poa_document_issues_action},
      {"poa_document_authenticity_action", &request.poa_document_authenticity_action},
      {"poa_unsupported_language_action", &request.poa_unsupported_language_action},
      {"poa_address_mismatch_action", &request.poa_address_mismatch_action},
      {"poa_issuer_not_identified_action", &request.poa_issuer_not_identified_action},
  }};
  for (const auto& [name, value] : actions) {
    if (auto s = CheckAction(name, *value); !s) return tl::unexpected(s.error());
  }
  MultipartBuilder builder{std::string(boundary_seed)};
  builder.AddFile("document", request.document);
  AddOpt(builder, "document_password", request.document_password);
  AddOpt(builder, "expected_address", request.expected_address);
  AddOpt(builder, "expected_country", request.expected_country);
  AddOpt(builder, "expected_first_name", request.expected_first_name);
  AddOpt(builder, "expected_last_name", request.expected_last_name);
  AddOpt(builder, "poa_languages_allowed", request.poa_languages_allowed);
  AddOpt(builder, "poa_document_age_months", request.poa_document_age_months);
  for (const auto& [name, value] : actions) AddOpt(builder, name, *value);
  if (auto s = AddCommon(builder, request.vendor_data, request.metadata, request.save_api_request);
      !s) {
    return tl::unexpected(s.error());
  }
  return builder.Build();
}

[[nodiscard]] Result<EncodedBody> Encode(const FaceSearchRequest& request,
                                         std::string_view boundary_seed) {
  if (request.user_image.bytes.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "user_image is required (a non-empty file)");
  }
  if (request.search_type && *request.search_type != "most_similar" &&
      *request.search_type != "blocklisted_or_approved") {
    return MakeError(ErrorCode::kInvalidArgument,
                     "search_type must be most_similar or blocklisted_or_approved");
  }
  MultipartBuilder builder{std::string(boundary_seed)};
  builder.AddFile("user_image", request.user_image);
  AddOpt(builder, "search_type", request.search_type);
  AddOpt(builder, "rotate_image", request.rotate_image);
  if (auto s = AddCommon(builder, request.vendor_data, request.metadata, request.save_api_request);
      !s) {
    return tl::unexpected(s.error());
  }
  return builder.Build();
}

[[nodiscard]] Result<EncodedBody> Encode(const AgeEstimationRequest& request,
                                         std::string_view boundary_seed) {
  if (request.user_image.bytes.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "user_image is required (a non-empty file)");
  }
  for (const auto& threshold :
       {request.face_liveness_score_decline_threshold, request.age_estimation_decline_threshold}) {
    if (threshold && (*threshold < 0 || *threshold > 100)) {
      return MakeError(ErrorCode::kInvalidArgument, "thresholds must be within 0..100");
    }
  }
  MultipartBuilder builder{std::string(boundary_seed)};
  builder.AddFile("user_image", request.user_image);
  AddOpt(builder, "face_liveness_score_decline_threshold",
         request.face_liveness_score_decline_threshold);
  AddOpt(builder, "age_estimation_decline_threshold", request.age_estimation_decline_threshold);
  AddOpt(builder, "rotate_image", request.rotate_image);
  if (auto s = AddCommon(builder, request.vendor_data, request.metadata, request.save_api_request);
      !s) {
    return tl::unexpected(s.error());
  }
  return builder.Build();
}

[[nodiscard]] Result<EncodedBody> Encode(const DatabaseValidationRequest& request,
                                         std::string_view boundary_seed) {
  if (request.issuing_state.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "issuing_state is required (ISO alpha-3)");
  }
  if (auto s = CheckAction("partial_match_action", request.partial_match_action); !s) {
    return tl::unexpected(s.error());
  }
  if (auto s = CheckAction("no_match_action", request.no_match_action); !s) {
    return tl::unexpected(s.error());
  }
  if (auto s = CheckMetadata(request.metadata); !s) return tl::unexpected(s.error());
  // The named fields win over the same name in more_fields.
  json obj = json::object();
  for (const auto& [name, value] : request.more_fields) obj[name] = value;
  obj["issuing_state"] = request.issuing_state;
  if (!request.services.empty()) obj["services"] = request.services;
  if (request.consent) obj["consent"] = *request.consent;
  auto put = [&](const char* name, const std::optional<std::string>& v) {
    if (v) obj[name] = *v;
  };
  put("identification_number", request.identification_number);
  put("first_name", request.first_name);
  put("last_name", request.last_name);
  put("date_of_birth", request.date_of_birth);
  put("document_number", request.document_number);
  put("partial_match_action", request.partial_match_action);
  put("no_match_action", request.no_match_action);
  put("vendor_data", request.vendor_data);
  if (request.metadata) obj["metadata"] = *request.metadata;
  if (request.save_api_request) obj["save_api_request"] = *request.save_api_request;
  if (!request.selfie) {
    auto text = internal::SafeDump(obj);
    if (!text) return tl::unexpected(text.error());
    return EncodedBody{"application/json", std::move(*text)};
  }
  if (request.selfie->bytes.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "selfie is empty");
  }
  // Multipart: every field as text (sorted by name, so equal requests give
  // equal bytes); services repeated, one part each; metadata as JSON text.
  MultipartBuilder builder{std::string(boundary_seed)};
  builder.AddFile("selfie", *request.selfie);
  for (const auto& [name, value] : obj.items()) {
    if (name == "services") {
      for (const auto& service : value) builder.AddField("services", service.get<std::string>());
    } else if (value.is_string()) {
      builder.AddField(name, value.get<std::string>());
    } else if (value.is_boolean()) {
      builder.AddField(name, value.get<bool>() ? "true" : "false");
    } else {
      auto text = internal::SafeDump(value);
      if (!text) return tl::unexpected(text.error());
      builder.AddField(name, *text);
    }
  }
  return builder.Build();
}

[[nodiscard]] Result<PoaResult> ParsePoaResult(std::string_view body) {
  return ParseEnvelope<PoaReport>(body, "poa", [](const json& o) -> Result<PoaReport> {
    PoaReport r;
    IDEM_JSON_SET(r.status, OptString(o, "status"));
    IDEM_JSON_SET(r.issuing_state, OptString(o, "issuing_state"));
    IDEM_JSON_SET(r.document_type, OptString(o, "document_type"));
    IDEM_JSON_SET(r.document_subtype, OptString(o, "document_subtype"));
    IDEM_JSON_SET(r.document_language, OptString(o, "document_language"));
    IDEM_JSON_SET(r.issuer, OptString(o, "issuer"));
    IDEM_JSON_SET(r.issue_date, OptString(o, "issue_date"));
    IDEM_JSON_SET(r.expiration_date, OptString(o, "expiration_date"));
    IDEM_JSON_SET(r.poa_address, OptString(o, "poa_address"));
    IDEM_JSON_SET(r.poa_formatted_address, OptString(o, "poa_formatted_address"));
    IDEM_JSON_SET(r.poa_parsed_address, OptAny(o, "poa_parsed_address"));
    IDEM_JSON_SET(r.name_on_document, OptString(o, "name_on_document"));
    IDEM_JSON_SET(r.extra_fields, OptAny(o, "extra_fields"));
    IDEM_JSON_SET(r.detected_codes, OptAny(o, "detected_codes"));
    IDEM_JSON_SET(r.warnings, OptAny(o, "warnings"));
    for (const auto& [key, value] : o.items()) {
      if (key.starts_with("expected_details_")) r.expected_details[key] = value;
    }
    return r;
  });
}

[[nodiscard]] Result<FaceSearchResult> ParseFaceSearchResult(std::string_view body) {
  return ParseEnvelope<FaceSearchReport>(
      body, "face_search", [](const json& o) -> Result<FaceSearchReport> {
        FaceSearchReport r;
        IDEM_JSON_SET(r.status, OptString(o, "status"));
        IDEM_JSON_SET(r.total_matches, OptInt(o, "total_matches"));
        IDEM_JSON_TRY(matches, OptAny(o, "matches"));
        if (matches) {
          if (!matches->is_array()) {
            return MakeError(ErrorCode::kCorruption, "field 'matches' is not an array");
          }
          for (const auto& m : *matches) r.matches.push_back(m);
        }
        IDEM_JSON_SET(r.user_image, OptAny(o, "user_image"));
        IDEM_JSON_SET(r.warnings, OptAny(o, "warnings"));
        return r;
      });
}

[[nodiscard]] Result<AgeEstimationResult> ParseAgeEstimationResult(std::string_view body) {
  return ParseEnvelope<AgeEstimationReport>(
      body, "age_estimation", [](const json& o) -> Result<AgeEstimationReport> {
        AgeEstimationReport r;
        IDEM_JSON_SET(r.status, OptString(o, "status"));
        IDEM_JSON_SET(r.method, OptString(o, "method"));
        IDEM_JSON_SET(r.score, OptNumber(o, "score"));
        IDEM_JSON_SET(r.user_image, OptAny(o, "user_image"));
        IDEM_JSON_SET(r.age_estimation, OptNumber(o, "age_estimation"));
        IDEM_JSON_SET(r.warnings, OptAny(o, "warnings"));
        return r;
      });
}

[[nodiscard]] Result<DatabaseValidationResult> ParseDatabaseValidationResult(
    std::string_view body) {
  return ParseEnvelope<DatabaseValidationReport>(
      body, "database_validation", [](const json& o) -> Result<DatabaseValidationReport> {
        DatabaseValidationReport r;
        IDEM_JSON_SET(r.status, OptString(o, "status"));
        IDEM_JSON_SET(r.issuing_state, OptString(o, "issuing_state"));
        IDEM_JSON_SET(r.validation_type, OptString(o, "validation_type"));
        IDEM_JSON_SET(r.screened_data, OptAny(o, "screened_data"));
        IDEM_JSON_SET(r.match_type, OptString(o, "match_type"));
        IDEM_JSON_SET(r.validations, OptAny(o, "validations"));
        IDEM_JSON_SET(r.warnings, OptAny(o, "warnings"));
        IDEM_JSON_SET(r.errors, OptAny(o, "errors"));
        IDEM_JSON_SET(r.services_used, OptAny(o, "services_used"));
        IDEM_JSON_SET(r.match_score, OptNumber(o, "match_score"));
        return r;
      });
}

}  // namespace idem::didit

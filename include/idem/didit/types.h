// Request and response types of the Didit v3 API (see docs/didit.md and
// docs.didit.me). Requests serialise to the exact JSON Didit documents;
// responses keep every field they received in `raw`, so fields Didit adds
// later are not lost. Parsing never throws: it returns Result<T>. A field that
// is absent or null is left empty; a field of the wrong type is an error
// (kCorruption), since guessing would hide a broken server or proxy.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "idem/didit/multipart.h"
#include "idem/didit/session_status.h"
#include "idem/status.h"

namespace idem::didit {

// ---------------------------------------------------------------- requests

struct ContactDetails {
  std::optional<std::string> email;
  std::optional<bool> send_notification_emails;
  std::optional<std::string> email_lang;
  std::optional<std::string> phone;
};

struct ExpectedDetails {
  std::optional<std::string> first_name;
  std::optional<std::string> last_name;
  std::optional<std::string> date_of_birth;  // "YYYY-MM-DD"
  std::optional<std::string> nationality;    // ISO 3166-1 alpha-3
  std::optional<std::string> id_country;
  std::vector<std::string>
      expected_document_types;        // empty = not sent: P, ID, DL, RP, HIC, TC, SSC
  std::optional<std::string> gender;  // "M" | "F"
  // ISO alpha-3; Didit requires it when `address` is sent without
  // id_country/poa_country.
  std::optional<std::string> country;
  std::optional<std::string> poa_country;  // ISO alpha-3
  std::optional<std::string> address;      // free text
  std::optional<std::string> identification_number;
  std::optional<std::string> ip_address;  // IPv4 or IPv6
  // KYB workflows only.
  std::optional<std::string> company_name;
  std::optional<std::string> registry_country;  // alpha-2 or "US-CA"
  std::optional<std::string> registration_number;
};

// POST /v3/session/
struct CreateSessionRequest {
  std::string workflow_id;  // required (a UUID)
  // Your reference for the user. Also the natural key idem reconciles on:
  // without it an ambiguous create can only be resolved by the server's
  // idempotency key.
  std::string vendor_data;
  std::optional<std::string> callback;
  std::optional<std::string> callback_method;  // "initiator" | "completer" | "both"
  std::optional<nlohmann::json> metadata;      // must be an object
  std::optional<std::string> language;
  std::optional<ContactDetails> contact_details;
  std::optional<ExpectedDetails> expected_details;
  // Base64 JPEG/PNG/WebP/TIFF, at most 2 MB (Didit: 400 "Image size exceeds
  // 2MB."), for biometric-auth / face-match-first workflows.
  std::optional<std::string> portrait_image;
};

// One item of update-status' nodes_to_resubmit.
struct NodeToResubmit {
  std::string node_id;
  std::string feature;  // "OCR", "LIVENESS", "POA", ... (Didit's enum)
};

// PATCH /v3/session/{id}/update-status/
struct UpdateStatusRequest {
  SessionStatus new_status = SessionStatus::kApproved;  // Approved | Declined | Resubmitted
  std::optional<std::string> comment;
  std::optional<bool> send_email;                 // Didit's default false
  std::optional<std::string> email_address;       // required when send_email is true
  std::optional<std::string> email_language;      // Didit's default "en"
  std::vector<NodeToResubmit> nodes_to_resubmit;  // empty = not sent
};

// GET /v3/sessions/ filters. Unset = not sent.
struct ListSessionsRequest {
  std::optional<std::string> vendor_data;
  std::optional<std::string> status;  // exact Didit text, e.g. "In Review"
  std::optional<std::string> workflow_id;
  std::optional<std::string> date_from;  // "YYYY-MM-DD"
  std::optional<std::string> date_to;
  // A saved standalone check's service: "AML", "PASSIVE_LIVENESS",
  // "FACE_MATCH", "ID_VERIFICATION", ... (Didit's list filter).
  std::optional<std::string> api_service;
  // "API", "HOSTED", "MIGRATED" (comma list) or "ALL".
  std::optional<std::string> session_type;
  // "user" (Didit's default), "business" or "all".
  std::optional<std::string> session_kind;
  // The further filters Didit documents (OAS list), sent as given.
  std::optional<std::string> search;
  std::optional<std::string> country;
  std::optional<std::string> document_type;
  std::optional<std::string> document_name;
  std::optional<std::string> region;
  std::optional<std::string> didit_internal_id;
  std::optional<std::string> screened_full_name;
  std::optional<std::string> warning;
  std::optional<bool> status_initialized_as_in_review;
  std::optional<bool> is_kyc_to_be_reviewed;
  std::optional<std::string> euuid;
  std::optional<std::string> organization_name;
  std::optional<int> limit;   // Didit's default 50
  std::optional<int> offset;  // default 0
};

// POST /v3/aml/ (billed)
struct AmlRequest {
  std::string full_name;                     // required
  std::optional<std::string> entity_type;    // "person" | "company"
  std::optional<std::string> date_of_birth;  // "YYYY-MM-DD"
  std::optional<std::string> nationality;
  std::optional<std::string> document_number;
  std::optional<bool> include_adverse_media;
  std::optional<std::string> vendor_data;
  std::optional<bool> save_api_request;
  // Re-screens as the watch lists change; Didit refuses it (400) unless the
  // request is saved.
  std::optional<bool> include_ongoing_monitoring;
  std::optional<nlohmann::json> metadata;  // must be an object
  // Status thresholds on the risk score (Didit's defaults 80 and 100) and the
  // per-hit match threshold (93), each 0..100.
  std::optional<int> aml_score_approve_threshold;
  std::optional<int> aml_score_review_threshold;
  std::optional<int> aml_match_score_threshold;
  // Match-score weights (defaults 60/25/15); the three must sum to 100 (an
  // unsent one counts with its default).
  std::optional<int> aml_name_weight;
  std::optional<int> aml_dob_weight;
  std::optional<int> aml_country_weight;
};

// POST /v3/passive-liveness/ (billed, multipart)
struct PassiveLivenessRequest {
  FilePart user_image;
  std::optional<std::string> vendor_data;
  std::optional<bool> save_api_request;
};

// POST /v3/face-match/ (billed, multipart)
struct FaceMatchRequest {
  FilePart user_image;
  FilePart ref_image;
  std::optional<std::string> vendor_data;
  std::optional<bool> save_api_request;
};

// POST /v3/id-verification/ (billed, multipart)
struct IdVerificationRequest {
  FilePart front_image;
  std::optional<FilePart> back_image;
  std::optional<bool> perform_document_liveness;
  std::optional<std::string> vendor_data;
  std::optional<bool> save_api_request;
};

// Request encoders: the exact bytes to send. JSON is serialised with sorted
// keys and no spaces, so equal requests give equal bytes (and fingerprints).
// Fail with kInvalidArgument on missing required fields, a bad enum value,
// non-object metadata or invalid UTF-8.
[[nodiscard]] Result<nlohmann::json> ToJson(const CreateSessionRequest& request);
[[nodiscard]] Result<nlohmann::json> ToJson(const UpdateStatusRequest& request);
[[nodiscard]] Result<nlohmann::json> ToJson(const AmlRequest& request);
[[nodiscard]] Result<EncodedBody> Encode(const CreateSessionRequest& request);
[[nodiscard]] Result<EncodedBody> Encode(const UpdateStatusRequest& request);
[[nodiscard]] Result<EncodedBody> Encode(const AmlRequest& request);
// Multipart encoders; `boundary_seed` is normally the op id (see multipart.h).
[[nodiscard]] Result<EncodedBody> Encode(const PassiveLivenessRequest& request,
                                         std::string_view boundary_seed);
[[nodiscard]] Result<EncodedBody> Encode(const FaceMatchRequest& request,
                                         std::string_view boundary_seed);
[[nodiscard]] Result<EncodedBody> Encode(const IdVerificationRequest& request,
                                         std::string_view boundary_seed);
// "/v3/sessions/?limit=..&vendor_data=.." with every value percent-encoded.
std::string ListSessionsPath(const ListSessionsRequest& request);
// Percent-encodes everything but unreserved characters (RFC 3986).
std::string UrlEncode(std::string_view text);

// --------------------------------------------------------------- responses

// A session as returned by create (201) and in list results.
struct Session {
  std::string session_id;  // required
  std::optional<std::int64_t> session_number;
  std::optional<std::string> session_token;
  // The hosted verification URL: `url` in a create response, `session_url`
  // in list rows and decisions (either fills it).
  std::optional<std::string> url;
  std::optional<std::string> vendor_data;
  std::optional<nlohmann::json> metadata;
  std::optional<SessionStatusValue> status;
  std::optional<std::string> callback;
  std::optional<std::string> workflow_id;
  std::optional<nlohmann::json> workflow_version;  // number or string, as sent
  nlohmann::json raw;                              // the whole object as received
};

// One item of a per-feature array in a decision.
struct FeatureResult {
  std::optional<std::string> node_id;
  std::optional<std::string> status;  // feature statuses differ from session statuses
  nlohmann::json raw;
};

// GET /v3/session/{id}/decision/. Each feature array is nullopt until that
// feature ran (Didit sends null).
struct Decision {
  std::string session_id;  // required
  std::optional<std::int64_t> session_number;
  std::optional<std::string> session_url;
  std::optional<SessionStatusValue> status;
  std::optional<std::string> workflow_id;
  std::vector<std::string> features;
  std::optional<std::string> vendor_data;
  std::optional<nlohmann::json> metadata;
  std::optional<nlohmann::json> expected_details;
  std::optional<nlohmann::json> contact_details;
  std::optional<std::string> callback;
  std::optional<std::vector<FeatureResult>> id_verifications;
  std::optional<std::vector<FeatureResult>> liveness_checks;
  std::optional<std::vector<FeatureResult>> face_matches;
  std::optional<std::vector<FeatureResult>> poa_verifications;
  std::optional<std::vector<FeatureResult>> phone_verifications;
  std::optional<std::vector<FeatureResult>> email_verifications;
  std::optional<std::vector<FeatureResult>> aml_screenings;
  std::optional<std::vector<FeatureResult>> ip_analyses;
  std::optional<std::vector<FeatureResult>> database_validations;
  nlohmann::json raw;
};

// GET /v3/sessions/
struct SessionList {
  std::int64_t count = 0;
  std::optional<std::string> next;  // absolute URL of the next page
  std::optional<std::string> previous;
  std::vector<Session> results;
  nlohmann::json raw;
};

// PATCH update-status -> {session_id}
struct UpdateStatusResult {
  std::string session_id;
  nlohmann::json raw;
};

// DELETE -> 204 (or 404 on a repeat after a lost 204, see DiditClient).
struct DeleteResult {
  std::string session_id;
  bool already_deleted = false;  // the server said 404 to a repeat of our delete
};

// The billed checks' responses. Didit's shapes differ per check and evolve;
// the few common fields are typed and the rest is in `raw`.
struct CheckResult {
  // The session id of a saved check (usable with GetDecision), else a
  // throwaway correlation id.
  std::optional<std::string> request_id;
  std::optional<std::string> session_id;
  // The check's status ("Approved", "Declined", "In Review"), top-level or
  // from its result object ({"liveness": {"status": ...}}).
  std::optional<std::string> status;
  nlohmann::json raw;
};
using AmlResult = CheckResult;

// Response parsers. Fail with kCorruption on non-JSON, nesting deeper than 64,
// a non-object top level, a missing required field or a field of the wrong type.
[[nodiscard]] Result<Session> ParseSession(std::string_view body);
[[nodiscard]] Result<Decision> ParseDecision(std::string_view body);
[[nodiscard]] Result<SessionList> ParseSessionList(std::string_view body);
[[nodiscard]] Result<UpdateStatusResult> ParseUpdateStatusResult(std::string_view body);
[[nodiscard]] Result<CheckResult> ParseCheckResult(std::string_view body);
// The same, from an already parsed value.
[[nodiscard]] Result<Session> SessionFromJson(const nlohmann::json& value);

}  // namespace idem::didit

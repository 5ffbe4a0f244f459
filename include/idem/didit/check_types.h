// The billed standalone checks beyond liveness, face match, ID verification
// and AML: Proof of Address, face search, age estimation and database
// validation (Didit's standalone APIs, fact sheet section 5). Each has a typed
// request with every documented field, a typed response that keeps `raw`,
// and an op builder for Enqueue and a DiditClient call (both in client.h).
//
// None of them honours an Idempotency-Key. A saved check (save_api_request,
// true by default) is a session Didit lists by vendor_data + api_service, so
// an attempt that may have executed is settled by that look-up; an unsaved
// one has nothing to look up and stops `unknown`, needs review, never re-sent.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "idem/didit/multipart.h"
#include "idem/status.h"

namespace idem::didit {

inline constexpr std::string_view kPoaKind = "poa";
inline constexpr std::string_view kFaceSearchKind = "face_search";
inline constexpr std::string_view kAgeEstimationKind = "age_estimation";
inline constexpr std::string_view kDatabaseValidationKind = "database_validation";

// ---------------------------------------------------------------- requests

// POST /v3/poa/ (multipart). `document`: tiff, jpg, jpeg, png, pdf or webp,
// at most 15 MB. Didit takes 5-15 s (PDFs ~30 s): the kind's timeout is 60 s.
struct PoaRequest {
  FilePart document;                             // required
  std::optional<std::string> document_password;  // an encrypted PDF's
  std::optional<std::string> expected_address;
  std::optional<std::string> expected_country;
  std::optional<std::string> expected_first_name;
  std::optional<std::string> expected_last_name;
  // ISO 639-1 codes, comma-separated ("en,es").
  std::optional<std::string> poa_languages_allowed;
  // Per document type, the maximum age in months:
  // "utility_bill:3,bank_statement:3,government_issued_document:3".
  std::optional<std::string> poa_document_age_months;
  // Each "DECLINE" (Didit's default) or "NO_ACTION".
  std::optional<std::string> poa_name_mismatch_action;
  std::optional<std::string> poa_document_issues_action;
  std::optional<std::string> poa_document_authenticity_action;
  std::optional<std::string> poa_unsupported_language_action;
  std::optional<std::string> poa_address_mismatch_action;
  std::optional<std::string> poa_issuer_not_identified_action;
  std::optional<std::string> vendor_data;
  std::optional<nlohmann::json> metadata;  // an object, sent as a JSON text field
  std::optional<bool> save_api_request;    // Didit's default true
};

// POST /v3/face-search/ (multipart). `user_image` at most 5 MB.
struct FaceSearchRequest {
  FilePart user_image;                     // required
  std::optional<std::string> search_type;  // "most_similar" (default) | "blocklisted_or_approved"
  std::optional<bool> rotate_image;
  std::optional<std::string> vendor_data;
  std::optional<nlohmann::json> metadata;
  std::optional<bool> save_api_request;
};

// POST /v3/age-estimation/ (multipart). `user_image` at most 5 MB.
struct AgeEstimationRequest {
  FilePart user_image;  // required
  // Declined when the liveness score is at or below it (0..100, default 30).
  std::optional<int> face_liveness_score_decline_threshold;
  // Declined when the estimated age is below it (default 18; 0 disables).
  std::optional<int> age_estimation_decline_threshold;
  std::optional<bool> rotate_image;
  std::optional<std::string> vendor_data;
  std::optional<nlohmann::json> metadata;
  std::optional<bool> save_api_request;
};

// POST /v3/database-validation/: JSON, or multipart when a selfie is sent.
struct DatabaseValidationRequest {
  std::string issuing_state;                         // required, ISO 3166-1 alpha-3 ("ESP")
  std::vector<std::string> services;                 // catalog ids; empty = Didit's default service
  std::optional<bool> consent;                       // required by some services
  std::optional<std::string> identification_number;  // mapped per country by Didit
  std::optional<std::string> first_name;
  std::optional<std::string> last_name;
  std::optional<std::string> date_of_birth;  // "YYYY-MM-DD"
  std::optional<std::string> document_number;
  // Didit's further identity fields (60+, many country-specific, e.g.
  // "personal_number", "tax_number", "address"), sent as given.
  std::map<std::string, std::string> more_fields;
  // "DECLINE" | "NO_ACTION"; defaults NO_ACTION (partial) and DECLINE (none).
  std::optional<std::string> partial_match_action;
  std::optional<std::string> no_match_action;
  std::optional<FilePart> selfie;  // set: the request is multipart
  std::optional<std::string> vendor_data;
  std::optional<nlohmann::json> metadata;
  std::optional<bool> save_api_request;
};

// Encoders: the exact bytes to send (multipart boundaries derive from
// `boundary_seed`, normally the op id). kInvalidArgument on a missing
// required field, an empty file, non-object metadata or an enum value Didit
// does not take.
[[nodiscard]] Result<EncodedBody> Encode(const PoaRequest& request, std::string_view boundary_seed);
[[nodiscard]] Result<EncodedBody> Encode(const FaceSearchRequest& request,
                                         std::string_view boundary_seed);
[[nodiscard]] Result<EncodedBody> Encode(const AgeEstimationRequest& request,
                                         std::string_view boundary_seed);
[[nodiscard]] Result<EncodedBody> Encode(const DatabaseValidationRequest& request,
                                         std::string_view boundary_seed);

// --------------------------------------------------------------- responses

// What every standalone check answers: {request_id, <result>, vendor_data,
// metadata, created_at}. request_id is the saved session's id (usable with
// GetDecision), or a throwaway id when not saved.
template <typename Report>
struct StandaloneCheck {
  std::optional<std::string> request_id;
  Report report;  // the result object (`poa`, `face_search`, ...)
  std::optional<std::string> vendor_data;
  std::optional<nlohmann::json> metadata;
  std::optional<std::string> created_at;
  nlohmann::json raw;  // the whole body as received
};

struct PoaReport {
  std::optional<std::string> status;  // "Approved" | "Declined" | "In Review"
  std::optional<std::string> issuing_state;
  // UTILITY_BILL, BANK_STATEMENT, GOVERNMENT_ISSUED_DOCUMENT,
  // OTHER_POA_DOCUMENT, UNKNOWN
  std::optional<std::string> document_type;
  std::optional<std::string> document_subtype;
  std::optional<std::string> document_language;
  std::optional<std::string> issuer;
  std::optional<std::string> issue_date;
  std::optional<std::string> expiration_date;
  std::optional<std::string> poa_address;
  std::optional<std::string> poa_formatted_address;
  std::optional<nlohmann::json> poa_parsed_address;
  std::optional<std::string> name_on_document;
  std::optional<nlohmann::json> extra_fields;
  std::optional<nlohmann::json> detected_codes;
  std::optional<nlohmann::json> warnings;
  // Every "expected_details_*" field as received.
  std::map<std::string, nlohmann::json> expected_details;
  nlohmann::json raw;
};

struct FaceSearchReport {
  std::optional<std::string> status;  // "Declined" only on a blocklist hit
  std::optional<std::int64_t> total_matches;
  std::vector<nlohmann::json> matches;  // at most 5; is_blocklisted, is_allowlisted, ...
  std::optional<nlohmann::json> user_image;
  std::optional<nlohmann::json> warnings;
  nlohmann::json raw;
};

struct AgeEstimationReport {
  std::optional<std::string> status;
  std::optional<std::string> method;  // "PASSIVE"
  std::optional<double> score;        // the liveness score
  std::optional<nlohmann::json> user_image;
  std::optional<double> age_estimation;  // the estimated age
  std::optional<nlohmann::json> warnings;
  nlohmann::json raw;
};

struct DatabaseValidationReport {
  std::optional<std::string> status;
  std::optional<std::string> issuing_state;
  std::optional<std::string> validation_type;  // "one_by_one" | "two_by_two"
  std::optional<nlohmann::json> screened_data;
  std::optional<std::string> match_type;  // "full_match" | "partial_match" | "no_match"
  std::optional<nlohmann::json> validations;
  std::optional<nlohmann::json> warnings;
  std::optional<nlohmann::json> errors;
  std::optional<nlohmann::json> services_used;
  std::optional<double> match_score;  // only when `services` was explicit
  nlohmann::json raw;
};

using PoaResult = StandaloneCheck<PoaReport>;
using FaceSearchResult = StandaloneCheck<FaceSearchReport>;
using AgeEstimationResult = StandaloneCheck<AgeEstimationReport>;
using DatabaseValidationResult = StandaloneCheck<DatabaseValidationReport>;

// Parsers: kCorruption on invalid JSON, a non-object body or a field of the
// wrong type; absent or null fields are empty.
[[nodiscard]] Result<PoaResult> ParsePoaResult(std::string_view body);
[[nodiscard]] Result<FaceSearchResult> ParseFaceSearchResult(std::string_view body);
[[nodiscard]] Result<AgeEstimationResult> ParseAgeEstimationResult(std::string_view body);
[[nodiscard]] Result<DatabaseValidationResult> ParseDatabaseValidationResult(std::string_view body);

}  // namespace idem::didit

// Didit's KYB registry calls (OAS post_v3_kyb_search, post_v3_kyb_select):
// search official company registries for candidates, then fetch the full
// profile of one.
//
// POST /v3/kyb/search/ is free (no balance check, no billing) and saves
// nothing unless `webhook_url` is given; each call gets a new request_id.
// A repeat is harmless, so an attempt that may have executed is simply sent
// again (profile row `kyb_search`: not billed, repeat harmless). With
// `webhook_url` Didit answers at once (`search_status: "pending"`, no
// candidates) and POSTs an *unsigned* `kyb.registry_search.resolved`
// callback there (header `X-Didit-Unsigned-Callback: true`, no
// X-Signature). A re-sent search makes a second search and so a second
// callback, with its own request_id: the receiver must expect callbacks for
// request_ids it never saw answered (ParseKybSearchCallback reads one; the
// callback is unsigned, so it proves nothing about its sender).
//
// POST /v3/kyb/select/ is billed and documents no Idempotency-Key. Every
// select is saved as a business session whose id is the answer's
// request_id (OAS). After an attempt whose answer was lost, idem looks it
// up (profile row `kyb_select`): GET /v3/sessions/?vendor_data=
// &api_service=KYB_REGISTRY&session_kind=business, then the session's
// decision. Documented: the session, its id, the list's session_kind and
// api_service=KYB_REGISTRY filters, and that business sessions resolve
// through the decision endpoint. Inferred: that a select's session is
// listed under that api_service with the select's vendor_data, and that its
// decision carries the profile as registry_checks[0]. Without vendor_data
// nothing identifies the session: the op stops `unknown`, needs review,
// never re-sent.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "idem/didit/client.h"
#include "idem/didit/errors.h"
#include "idem/didit/multipart.h"
#include "idem/status.h"

namespace idem::didit {

inline constexpr std::string_view kKybSearchKind = "kyb_search";
inline constexpr std::string_view kKybSelectKind = "kyb_select";
// The list's api_service of a select's business session.
inline constexpr std::string_view kKybRegistryService = "KYB_REGISTRY";

// The OAS's name-matching strategies.
inline constexpr std::string_view kKybSearchTypes[] = {"contains", "start_with", "fuzzy"};

struct KybSearchRequest {
  // ISO 3166-1 alpha-2 ("GB") or a subdivision "XX-YY" ("US-CA"; a bare
  // "US" is refused). Case-insensitive; sent upper-cased. Required, <= 10.
  std::string country_code;
  // At least one of the two, non-empty.
  std::optional<std::string> name;                 // <= 255 characters
  std::optional<std::string> registration_number;  // <= 100 characters
  std::optional<std::string> search_type;          // kKybSearchTypes; Didit's default contains
  std::optional<std::string> vendor_data;
  std::optional<nlohmann::json> metadata;  // an object (or null)
  // Asynchronous mode: the candidates come in the unsigned callback.
  std::optional<std::string> webhook_url;  // http(s) URI, <= 500
};

// One candidate. kyb_response_id is ephemeral: select soon, never store it.
struct KybCandidate {
  std::optional<std::string> kyb_response_id;
  std::optional<std::string> name;
  std::optional<std::string> registration_number;
  std::optional<std::string> status;  // "active", "dissolved", ...
  std::optional<std::string> type;
  std::optional<std::string> risk_level;
  std::optional<std::string> fetch_status;  // always "pending" at search time
};

struct KybRegistrySearch {
  std::vector<KybCandidate> companies;  // empty while pending (webhook mode)
  std::optional<std::int64_t> total;
  std::optional<std::int64_t> page;
  std::optional<std::int64_t> per_page;
  std::optional<std::string> search_status;  // "pending" | "resolved"
  std::optional<bool> search_resolved;
};

// The 200 answer of a search.
struct KybSearchResult {
  std::string request_id;
  KybRegistrySearch kyb_registry;
  std::optional<std::string> vendor_data;
  nlohmann::json metadata;                // null when none
  std::optional<std::string> created_at;  // ISO 8601
  nlohmann::json raw;
};

// The unsigned `kyb.registry_search.resolved` callback body.
struct KybSearchCallback {
  std::optional<std::string> event_id;
  std::string event_type;  // "kyb.registry_search.resolved"
  std::string request_id;
  std::optional<std::string> vendor_data;
  nlohmann::json metadata;
  std::optional<std::string> search_status;
  std::optional<bool> search_resolved;
  KybRegistrySearch kyb_registry;
  std::optional<std::int64_t> timestamp;   // epoch seconds
  std::optional<std::int64_t> created_at;  // epoch seconds (the answer's is ISO)
  nlohmann::json raw;
};

struct KybSelectRequest {
  std::string kyb_response_id;  // required, <= 255: a candidate's handle
  // What the look-up finds the business session by after a lost answer;
  // without it an ambiguous select stops for review.
  std::optional<std::string> vendor_data;
  std::optional<nlohmann::json> metadata;  // an object (or null)
  // Must be true (Didit's default); false is refused with 400 by Didit.
  // Sent only when set.
  std::optional<bool> save_api_request;
};

struct KybOfficer {
  std::optional<std::string> uuid;
  std::optional<std::string> name;
  std::optional<std::string> designation;
  std::optional<std::string> role;  // director, secretary, ubo, ...
  std::optional<std::string> nationality;
  std::optional<bool> is_active;
  std::optional<std::string> kyc_status;  // Approved | Declined | Pending
  std::optional<std::string> kyc_session_url;
};

struct KybBeneficialOwner {
  std::optional<std::string> uuid;
  std::optional<std::string> name;
  std::optional<std::string> first_name;
  std::optional<std::string> last_name;
  std::optional<std::string> entity_type;  // person | company
  std::vector<std::string> roles;
  std::optional<std::string> ownership_min_shares;  // "25%"
  std::optional<std::string> ownership_max_shares;
  std::optional<bool> is_active;
  std::optional<std::string> kyc_status;
  std::optional<std::string> kyc_session_url;
  std::optional<double> effective_ownership_percent;
};

struct KybAddress {
  std::optional<std::string> address;
  std::optional<std::string> type;
  std::optional<std::string> description;
};

// The full registry profile (`kyb_registry` of a select's answer).
struct KybCompany {
  std::optional<std::string> uuid;
  std::optional<std::string> node_id;  // "feature_kyb_registry"
  // Didit's assessment: Not Finished | Approved | Declined | In Review.
  std::optional<std::string> status;
  std::optional<std::string> registry_status;  // the registry's own: active, dissolved, ...
  std::optional<bool> data_resolved;           // false: still fetching (fetch_status pending)
  std::optional<std::string> company_name;
  std::optional<std::string> registration_number;
  std::optional<std::string> country_code;
  std::optional<std::string> region;
  std::optional<std::string> company_type;
  std::optional<std::string> incorporation_date;
  std::optional<std::string> registered_address;
  std::optional<std::string> tax_number;
  std::optional<std::string> risk_level;
  std::optional<std::string> verification_status;
  std::optional<bool> is_from_registry;
  std::optional<std::string> fetch_status;  // pending | resolved
  std::optional<std::string> alternative_names;
  std::optional<std::string> nature_of_business;
  std::optional<std::string> registered_capital;
  std::optional<std::string> registered_capital_amount;
  std::optional<std::string> registered_capital_currency;
  std::optional<std::string> website;
  std::optional<std::string> email;
  std::optional<std::string> phone;
  std::optional<std::string> legal_entity_identifier;
  std::optional<std::string> location_of_registration;
  std::optional<std::string> vat_number;
  std::optional<std::string> vat_validation_status;  // valid | invalid | could_not_validate | ...
  std::optional<std::string> vat_validated_name;
  std::optional<std::string> vat_validated_address;
  std::optional<std::string> vat_checked_at;
  nlohmann::json financial_summary;  // object or null
  std::vector<KybOfficer> officers;
  std::vector<KybBeneficialOwner> beneficial_owners;
  std::vector<KybAddress> addresses;  // null in the answer: empty
  nlohmann::json industries;          // array or null
  nlohmann::json accounts;            // object or null
  nlohmann::json registry_data;       // the raw registry payload, or null
  nlohmann::json user_provided_data;  // always null on this endpoint
  std::optional<std::string> confirmed_by_user_at;
  std::optional<std::string> last_console_edit_at;
  std::optional<bool> is_editable;
};

// The 200 answer of a select (or the look-up's rebuild of it).
struct KybSelectResult {
  std::string request_id;  // the business session's id
  KybCompany kyb_registry;
  std::optional<std::string> vendor_data;
  nlohmann::json metadata;
  std::optional<std::string> created_at;
  nlohmann::json raw;
  // The answer was lost and the look-up found the business session: the
  // company is read from its decision.
  bool found_by_lookup = false;
};

// JSON bodies. kInvalidArgument: a country_code that is not "XX" or
// "XX-YY" (or is a bare "US"), neither name nor registration_number, a
// search_type outside kKybSearchTypes, an over-long field, metadata that is
// not an object, a webhook_url that is not http(s); an empty
// kyb_response_id.
[[nodiscard]] Result<EncodedBody> Encode(const KybSearchRequest& request);
[[nodiscard]] Result<EncodedBody> Encode(const KybSelectRequest& request);

// kCorruption on invalid JSON, a non-object, a missing request_id or a
// field of the wrong type.
[[nodiscard]] Result<KybSearchResult> ParseKybSearchResult(std::string_view body);
[[nodiscard]] Result<KybSearchCallback> ParseKybSearchCallback(std::string_view body);
[[nodiscard]] Result<KybSelectResult> ParseKybSelectResult(std::string_view body);

// The ops. A select's natural key is CheckNaturalKey("KYB_REGISTRY",
// vendor_data) when it has vendor_data (and save_api_request is not false).
[[nodiscard]] Result<OpRequest> KybSearchOp(const KybSearchRequest& request, CallOptions call = {});
[[nodiscard]] Result<OpRequest> KybSelectOp(const KybSelectRequest& request, CallOptions call = {});

// Searches. 400 (validation) and 403 are kRefused; an attempt that may have
// executed is sent again (free, nothing billed).
[[nodiscard]] DiditResult<KybSearchResult> SearchKybRegistry(DiditClient& client,
                                                             const KybSearchRequest& request,
                                                             CallOptions call = {});

// Selects (billed). 400 and 403 (no credits: checked before anything runs)
// are kRefused. An attempt that may have executed is settled by the look-up
// above; found: the answer rebuilt from the decision (found_by_lookup);
// without vendor_data, or several candidates: kUnknown, needs review.
[[nodiscard]] DiditResult<KybSelectResult> SelectKybCompany(DiditClient& client,
                                                            const KybSelectRequest& request,
                                                            CallOptions call = {});

}  // namespace idem::didit

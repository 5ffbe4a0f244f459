// Corrects the KYC data extracted from a session's ID document (OAS `PATCH
// /v3/session/{sessionId}/update-data/`, Didit's "session-update-kyc" rate
// scope: 10/min per key, besides the 300/min writes). Free functions over a
// DiditClient, as transactions.h.
//
//   idem::didit::KycDataUpdate fix;
//   fix.first_name = "Carmen";
//   fix.date_of_birth = "1980-01-01";
//   auto kyc = idem::didit::UpdateSessionData(*didit, session_id, fix);
//
// Profile (endpoints.h, kind update_session_data): not billed, no
// Idempotency-Key; a PATCH that writes only the keys sent, with absolute
// values (extra_fields and parsed_address merge key by key, null removes).
// After an ambiguous attempt the decision (`GET /v3/session/{id}/decision/`)
// is read: when its KYC record (`id_verifications`, the op's node_id or the
// last) already holds every value sent, the op succeeded (the answer is that
// record); otherwise it is sent again, which is safe: a repeat leaves the
// same record. The price of not knowing: a re-sent update fires a second
// `data.updated` (Didit fires it on every call with a field), and an update
// whose values were already there before the op reads as done without a
// webhook. The session must be Approved, Declined, In Review or Kyc Expired
// and carry an ID-document record: otherwise 404 (kRefused). The natural key
// is "session_data:<session_id>".
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "idem/didit/client.h"

namespace idem::didit {

inline constexpr std::string_view kUpdateSessionDataKind = "update_session_data";

// Every field optional: only the ones set are sent. To clear a text field
// (Didit takes null for the nullable ones), send it as null through `more`,
// e.g. `more = {{"personal_number", nullptr}}`.
struct KycDataUpdate {
  std::optional<std::string> document_type;      // P, DL, ID, ... or Passport, Identity Card, ...
  std::optional<std::string> document_subtype;   // <= 128
  std::optional<std::string> document_number;    // <= 255
  std::optional<std::string> personal_number;    // <= 255
  std::optional<std::string> date_of_birth;      // YYYY-MM-DD
  std::optional<std::string> date_of_issue;      // YYYY-MM-DD
  std::optional<std::string> expiration_date;    // YYYY-MM-DD
  std::optional<std::string> issuing_state;      // ISO alpha-3
  std::optional<std::string> first_name;         // <= 255
  std::optional<std::string> last_name;          // <= 255
  std::optional<std::string> gender;             // M | F | U
  std::optional<std::string> address;            // <= 255
  std::optional<std::string> place_of_birth;     // <= 255
  std::optional<std::string> nationality;        // <= 32
  std::optional<std::string> marital_status;     // SINGLE|MARRIED|DIVORCED|WIDOWED|UNKNOWN
  std::optional<nlohmann::json> extra_fields;    // an object, or null (clear every override)
  std::optional<nlohmann::json> parsed_address;  // an object of the 7 keys, or null
  std::optional<nlohmann::json> more;            // more keys, merged in (an object)
  // Graph workflows with several ID steps: which node's record (a query
  // parameter); none = the most recent.
  std::optional<std::string> node_id;
};

// The full current KYC record (the 200): every updatable field with its
// stored value, the merged extra_fields and the current parsed_address.
struct KycData {
  std::optional<std::string> document_type;
  std::optional<std::string> document_subtype;
  std::optional<std::string> document_number;
  std::optional<std::string> personal_number;
  std::optional<std::string> date_of_birth;
  std::optional<std::string> date_of_issue;
  std::optional<std::string> expiration_date;
  std::optional<std::string> issuing_state;
  std::optional<std::string> first_name;
  std::optional<std::string> last_name;
  std::optional<std::string> gender;
  std::optional<std::string> address;
  std::optional<std::string> place_of_birth;
  std::optional<std::string> nationality;
  std::optional<std::string> marital_status;
  nlohmann::json extra_fields;    // null when absent
  nlohmann::json parsed_address;  // null when absent; with formatted_address
  nlohmann::json raw;             // every field, as answered (a look-up: the decision's record)
};

// kInvalidArgument (nothing sent): a value outside the OAS enums or
// lengths, a date not YYYY-MM-DD, extra_fields/parsed_address/more not an
// object (or null for the first two).
[[nodiscard]] Result<EncodedBody> Encode(const KycDataUpdate& update);
[[nodiscard]] Result<KycData> ParseKycData(std::string_view body);
[[nodiscard]] Result<OpRequest> UpdateSessionDataOp(std::string_view session_id,
                                                    const KycDataUpdate& update,
                                                    CallOptions call = {});
[[nodiscard]] DiditResult<KycData> UpdateSessionData(DiditClient& client,
                                                     std::string_view session_id,
                                                     const KycDataUpdate& update,
                                                     CallOptions call = {});

}  // namespace idem::didit

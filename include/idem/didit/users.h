// Users and businesses (OAS `POST /v3/users/create/`, `GET
// /v3/users/{vendor_data}/`, `POST /v3/businesses/create/`, `GET
// /v3/businesses/{vendor_data}/`). Free functions over a DiditClient, as
// transactions.h.
//
//   idem::didit::UserRequest user;
//   user.vendor_data = "user-abc-123";     // unique per application
//   user.full_name = "John Doe";
//   auto made = idem::didit::CreateUser(*didit, user);  // made->didit_internal_id
//
// Profile (endpoints.h, kinds create_user and create_business): not billed,
// no Idempotency-Key, "not idempotent" (OAS), but `vendor_data` is unique
// among a kind's non-deleted records: a second create with it is refused
// (400 {"vendor_data": ["A user with this vendor_data already exists."]}),
// so a re-send can never make a second record. The op's natural key is
// "user:<vendor_data>" / "business:<vendor_data>". After an ambiguous
// attempt the record is read by `GET /v3/users/{vendor_data}/`: 404, not
// executed (sent again); found, created no earlier than the op (minus the
// 5 min clock skew) with the op's names (full_name, display_name,
// date_of_birth; a business's legal_name, display_name, registration_number,
// country_code), the op succeeded; found with other values, another request
// owns the vendor_data and the op stops `unknown` for a person; found but
// older than the op, it was there before: the op's create is (or will be)
// refused. An "already exists" 400 on a retry of the same op (after an
// attempt that may have executed) is settled by the same look-up in the
// driver (the row's unique_field "vendor_data", ClientOptions::
// exists_refusal): found, succeeded (`found_by_lookup`); older than the op,
// the refusal stands (failed); another request's, unknown for review. A business without
// vendor_data (optional per the OAS) has nothing to look up: a lost answer stops the op `unknown`
// for review, never re-sent. Limits: Didit's GET of a user returns soft-deleted users too and says
// nothing of how to tell them apart; users Didit assembled from sessions with the same vendor_data
// are "older than the op", so such a create is refused, as Didit does.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "idem/didit/client.h"

namespace idem::didit {

inline constexpr std::string_view kCreateUserKind = "create_user";
inline constexpr std::string_view kCreateBusinessKind = "create_business";

struct UserRequest {
  std::string vendor_data;                   // required, unique among live users
  std::optional<std::string> full_name;      // <= 512
  std::optional<std::string> display_name;   // <= 255
  std::optional<std::string> date_of_birth;  // YYYY-MM-DD
  std::optional<std::string> status;         // ACTIVE (default) | FLAGGED | BLOCKED
  std::optional<nlohmann::json> metadata;    // an object
  std::optional<std::vector<std::string>> approved_emails;
  std::optional<std::vector<std::string>> approved_phones;
  std::optional<std::vector<std::string>> issuing_states;  // ISO alpha-3
};

struct BusinessRequest {
  // Optional per the OAS but strongly recommended: without it the record
  // cannot be looked up (a lost answer needs review) nor linked to sessions.
  std::optional<std::string> vendor_data;
  std::optional<std::string> display_name;         // <= 255
  std::optional<std::string> legal_name;           // <= 255
  std::optional<std::string> registration_number;  // <= 100
  std::optional<std::string> country_code;         // ISO alpha-2, <= 10
  std::optional<std::string> status;               // ACTIVE (default) | FLAGGED | BLOCKED
  std::optional<nlohmann::json> metadata;          // an object
};

// Fields common to a user and a business record (create's 201, GET's 200).
struct EntityRecordBase {
  std::string didit_internal_id;
  std::optional<std::string> vendor_data;
  std::optional<std::string> display_name;
  std::optional<std::string> effective_name;
  std::optional<std::string> status;  // ACTIVE | FLAGGED | BLOCKED
  std::optional<std::int64_t> session_count;
  std::optional<std::int64_t> approved_count;
  std::optional<std::int64_t> declined_count;
  std::optional<std::int64_t> in_review_count;
  std::optional<std::string> last_session_at;
  std::optional<std::string> first_session_at;
  std::optional<std::string> last_activity_at;
  std::optional<std::string> created_at;
  std::optional<std::string> updated_at;
  nlohmann::json metadata;  // null when absent
  // features, features_list, tags, comments and anything newer stay here.
  nlohmann::json raw;
};

struct User : EntityRecordBase {
  std::optional<std::string> full_name;
  std::optional<std::string> date_of_birth;
  std::optional<std::string> portrait_image_url;
  std::vector<std::string> issuing_states;
  std::vector<std::string> approved_emails;
  std::vector<std::string> approved_phones;
};

struct Business : EntityRecordBase {
  std::optional<std::string> legal_name;
  std::optional<std::string> registration_number;
  std::optional<std::string> country_code;
};

// kInvalidArgument (nothing sent): an empty vendor_data (user), a length
// over the OAS maxLength, a status Didit does not take, a date not
// YYYY-MM-DD, metadata that is not an object.
[[nodiscard]] Result<EncodedBody> Encode(const UserRequest& request);
[[nodiscard]] Result<EncodedBody> Encode(const BusinessRequest& request);
// kCorruption on invalid JSON or a wrong type; didit_internal_id required.
[[nodiscard]] Result<User> ParseUser(std::string_view body);
[[nodiscard]] Result<Business> ParseBusiness(std::string_view body);

// "user:" / "business:" + vendor_data.
std::string UserNaturalKey(std::string_view vendor_data);
std::string BusinessNaturalKey(std::string_view vendor_data);

[[nodiscard]] Result<OpRequest> CreateUserOp(const UserRequest& request, CallOptions call = {});
[[nodiscard]] Result<OpRequest> CreateBusinessOp(const BusinessRequest& request,
                                                 CallOptions call = {});

struct CreatedUser : User {
  bool found_by_lookup = false;  // the answer was lost or refused as existing: read back
};
struct CreatedBusiness : Business {
  bool found_by_lookup = false;
};
[[nodiscard]] DiditResult<CreatedUser> CreateUser(DiditClient& client, const UserRequest& request,
                                                  CallOptions call = {});
[[nodiscard]] DiditResult<CreatedBusiness> CreateBusiness(DiditClient& client,
                                                          const BusinessRequest& request,
                                                          CallOptions call = {});
// GET /v3/users/{vendor_data}/ (404 for none: kRefused with api set).
[[nodiscard]] DiditResult<User> GetUser(DiditClient& client, std::string_view vendor_data);
[[nodiscard]] DiditResult<Business> GetBusiness(DiditClient& client, std::string_view vendor_data);

}  // namespace idem::didit

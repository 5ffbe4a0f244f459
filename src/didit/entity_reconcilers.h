// Internal: the look-up of create_user and create_business (issue 14), and
// its registration. The rules are in include/idem/didit/users.h and the
// profile rows (endpoints.cc).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "didit/reconcilers.h"
#include "idem/client.h"

namespace idem::didit::internal {

// EntityMismatch's answer when the found record was created before the op
// (minus the clock skew): it was there first, the op's create is refused.
inline constexpr std::string_view kEntityOlderThanOp = "created before the op";

// The two entity collections: users and businesses.
enum class EntityKind { kUser, kBusiness };

// Empty when the record `found` (a user or a business) is what the request
// body `sent` asked for: the same vendor_data, created no earlier than
// `op_created_ms` minus five minutes, and the names the request set (user:
// full_name, display_name, date_of_birth; business: legal_name,
// display_name, registration_number, country_code). Else kEntityOlderThanOp,
// or the field that differs. Status and metadata are not compared: they may
// have been changed since.
std::string EntityMismatch(EntityKind kind, const nlohmann::json& sent, const nlohmann::json& found,
                           std::int64_t op_created_ms);

// GET /v3/users|businesses/{vendor_data}/ of the op's vendor_data: 404
// kNotFound (a re-send is safe: Didit refuses a second record with the
// vendor_data); found and EntityMismatch empty: kFound (resource_id
// didit_internal_id, status 201, the record as the answer); older than the
// op: kNotFound (the re-send is refused, a definitive answer); another
// request's: kUnresolvable. No vendor_data in the stored request:
// kUnresolvable (nothing to look up).
class EntityCreateReconciler final : public Reconciler {
 public:
  EntityCreateReconciler(LookupTarget target, EntityKind kind)
      : target_(std::move(target)), kind_(kind) {}
  void Lookup(const Operation& op, Done done) override;

 private:
  LookupTarget target_;
  EntityKind kind_;
};

// An update_session_data op: GET /v3/session/{id}/decision/ and the KYC
// record it patched (`id_verifications`, the one of the op's node_id, else
// the last). Every field the op sent already holds its value (document_type
// aliases as their code, issuing_state and parsed_address.country
// uppercase; an extra_fields/parsed_address key sent as null or "" absent):
// kFound (status 200, the record as the answer). Otherwise kNotFound, and the
// driver sends it again: a PATCH of absolute values leaves the same record
// (one more data.updated webhook). A value that was already there before the
// op reads as done: the record is as asked, no webhook was fired for it.
class SessionDataReconciler final : public Reconciler {
 public:
  explicit SessionDataReconciler(LookupTarget target) : target_(std::move(target)) {}
  void Lookup(const Operation& op, Done done) override;

 private:
  LookupTarget target_;
};

// Empty when the KYC record `kyc` holds every value of the update `sent`;
// else the first field that differs.
std::string KycMismatch(const nlohmann::json& sent, const nlohmann::json& kyc);

// Registers the look-ups and resource ids of create_user, create_business
// (didit_internal_id), update_session_data (the session id) and
// create_workflow (uuid; didit/workflow_reconciler.h).
void AddEntityReconcilers(ClientOptions& options);

}  // namespace idem::didit::internal

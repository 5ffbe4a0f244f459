// Internal: the look-ups of the v3 endpoints outside sessions and checks
// (webhook destinations, the legacy webhook, transactions; issue 14), and
// their registration. The rules per kind are in endpoints.h and the public
// headers (webhook_destinations.h, transactions.h).
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "didit/reconcilers.h"
#include "idem/client.h"
#include "idem/didit/endpoints.h"

namespace idem::didit::internal {

// How much earlier than the op a found resource may be dated and still be
// the op's (client and server clocks differ): ReconcilerOptions' default.
inline constexpr std::int64_t kLookupClockSkewMs = 5 * 60 * 1000;

// A create_webhook_destination op executed iff a destination with its url is
// listed, created no earlier than the op (minus the skew); the answer is
// rebuilt from GET .../{uuid}/ (the list has no secret). Didit keeps urls
// unique, so one url names at most one destination.
class DestinationCreateReconciler final : public Reconciler {
 public:
  explicit DestinationCreateReconciler(LookupTarget target) : target_(std::move(target)) {}
  void Lookup(const Operation& op, Done done) override;

 private:
  LookupTarget target_;
};

// A delete_webhook_destination op executed iff GET .../{uuid}/ answers 404.
class DestinationDeleteReconciler final : public Reconciler {
 public:
  explicit DestinationDeleteReconciler(LookupTarget target) : target_(std::move(target)) {}
  void Lookup(const Operation& op, Done done) override;

 private:
  LookupTarget target_;
};

// A create_transaction op: the row of GET /v3/transactions/ (every page, at
// most `max_pages`) whose txn_id is the op's transaction_id. Found with the
// op's request (TransactionMismatch empty): kFound. Found with another:
// kUnresolvable (another request owns the id). Not listed: kNotFound, which
// lets the driver send again; that is safe even when the list was too long
// to read whole, because Didit refuses a second transaction with the id.
// Asked after that refusal (the op's last answer is Didit's duplicate-id
// 400), the transaction exists, so "not listed" proves nothing: kFailed
// (look again) when the list was read whole, kUnresolvable when it was too
// long to read.
class TransactionReconciler final : public Reconciler {
 public:
  TransactionReconciler(LookupTarget target, int max_pages)
      : target_(std::move(target)), max_pages_(max_pages) {}
  void Lookup(const Operation& op, Done done) override;

 private:
  LookupTarget target_;
  int max_pages_;
};

// Empty when the transaction row `found` is what the request body `sent`
// asked for (txn_id, amount as a decimal, currency, direction, subject
// vendor_data); else which field differs.
std::string TransactionMismatch(const nlohmann::json& sent, const nlohmann::json& found);

// A profile row's "already exists" refusal (didit::ExistsRefusalOf: a
// unique_field's 400, or EndpointProfile::exists) as a predicate for
// ClientOptions::exists_refusal: the op's last answer has `rule.status`, and the message list at
// `rule.where` (a field's errors, or "detail": a string or a list) holds `rule.phrase`.
std::function<bool(const Operation&)> ExistsRefusalOf(const ExistsRefusal& rule);

// Registers the look-ups, profiles' resource ids and re-sends of
// create/update/delete_webhook_destination, update_webhook and
// create_transaction.
void AddSurfaceReconcilers(ClientOptions& options);

}  // namespace idem::didit::internal

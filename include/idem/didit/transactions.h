// Transaction monitoring (OAS `POST /v3/transactions/`, `GET
// /v3/transactions/`, `GET /v3/transactions/{uuid}/`). Free functions over a
// DiditClient, as session_calls.h.
//
//   idem::didit::TransactionRequest tx;
//   tx.transaction_id = "order-1234";            // unique per application
//   tx.transaction_category = "finance";
//   tx.direction = "outbound";
//   tx.amount = "1500.25";
//   tx.currency = "EUR";
//   tx.subject_vendor_data = "user-1";
//   tx.subject_full_name = "Maria Garcia";
//   auto made = idem::didit::CreateTransaction(*didit, tx);  // made->status "APPROVED"
//
// Profile (endpoints.h, kind create_transaction): billed, no Idempotency-Key,
// but `transaction_id` (<= 128 characters, unique per application) is
// Didit's own key: a second create with it is refused (400 "A transaction
// with this transaction_id already exists."), so a re-send can never execute
// twice. The op's natural key is "transaction:<transaction_id>". After an
// ambiguous attempt the transaction is looked up by that id; found with the
// op's amount, currency, direction and subject, the op succeeded; found with
// other values, another request owns the id and the op stops `unknown` for a
// person. Not found: sent again. A "already exists" 400 on a retry of the
// same op is resolved by the same look-up.
//
// Look-up: Didit's `GET /v3/transactions/{transaction_id}/` takes Didit's
// uuid, not the caller's id (OAS: "the `uuid` returned from create / list,
// **not** your `txn_id`"), and the list has no filter, so the look-up pages
// through `GET /v3/transactions/` (newest first) for the row whose `txn_id`
// matches.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "idem/didit/client.h"

namespace idem::didit {

inline constexpr std::string_view kCreateTransactionKind = "create_transaction";

struct TransactionRequest {
  // Required. Didit's key for the transaction: <= 128 characters, unique per
  // application.
  std::string transaction_id;
  // Required: finance, kyc, travel_rule, user_event, audit_trail_event,
  // gambling_bet, gambling_limit_change, gambling_bonus_change (or Didit's
  // camelCase aliases, e.g. travelRule).
  std::string transaction_category;
  // transaction_details (required: direction, amount, currency).
  std::string direction;  // inbound | outbound | in | out (any case)
  // A decimal ("1500", "0.123456789012345678": up to 18 places), sent as a
  // JSON string so no digit is lost to a double (Didit's decimal field takes
  // it).
  std::string amount;
  std::string currency;                      // "EUR", "BTC"
  std::optional<std::string> currency_kind;  // fiat | crypto
  std::optional<std::string> action_type;    // deposit, withdrawal, transfer, ...
  std::optional<std::string> payment_details;
  std::optional<std::string> payment_reference_id;
  // subject (required: vendor_data, full_name).
  std::string subject_vendor_data;
  std::string subject_full_name;
  std::optional<std::string> subject_entity_type;  // individual | company
  // More subject fields (first_name, date_of_birth, address, ...), merged in.
  std::optional<nlohmann::json> subject_more;
  // Optional top-level fields, sent when set.
  std::optional<std::string> transaction_at;        // ISO 8601; Didit: now
  std::optional<std::string> time_zone;             // IANA, "Europe/Madrid"
  std::optional<nlohmann::json> counterparty;       // an object
  std::optional<nlohmann::json> custom_properties;  // an object
  std::optional<nlohmann::json> travel_rule_details;
  std::optional<nlohmann::json> network_snapshot;
  std::optional<bool> include_crypto_screening;
};

// The full monitoring record (create's 201 and GET's 200).
struct Transaction {
  std::string uuid;    // Didit's id: the one GetTransaction takes
  std::string txn_id;  // the caller's transaction_id
  std::optional<std::int64_t> transaction_number;
  std::optional<std::string> txn_date;
  std::optional<std::string> status;  // APPROVED | IN_REVIEW | DECLINED | AWAITING_USER
  std::optional<std::string> transaction_type;
  std::optional<std::string> action_type;
  std::optional<std::string> direction;  // INBOUND | OUTBOUND
  std::optional<std::string> amount;     // decimal string, trailing zeros stripped
  std::optional<std::string> currency;
  std::optional<double> score;
  std::optional<std::string> severity;
  std::optional<std::string> vendor_data;
  nlohmann::json raw;
};

// kInvalidArgument (nothing sent) on a missing required field, a
// transaction_id over 128 characters, a direction or amount Didit does not
// take, or a non-object JSON field.
[[nodiscard]] Result<EncodedBody> Encode(const TransactionRequest& request);
// kCorruption on invalid JSON or a wrong type; uuid and txn_id required.
[[nodiscard]] Result<Transaction> ParseTransaction(std::string_view body);

// The natural key: "transaction:" + transaction_id.
std::string TransactionNaturalKey(std::string_view transaction_id);

// "1500.2500" -> "1500.25", "0010" -> "10", "5." -> "5": how Didit echoes
// an amount, so a look-up compares like with like. Empty when not a decimal.
std::string CanonicalAmount(std::string_view amount);

[[nodiscard]] Result<OpRequest> CreateTransactionOp(const TransactionRequest& request,
                                                    CallOptions call = {});

// Create. After an ambiguous attempt the op is settled by the look-up
// (TransactionReconciler: the listed row with the op's transaction_id and
// request); a duplicate-id 400 on a retry after such an attempt is looked up
// the same way by the driver (EndpointProfile::unique_field): the op ends
// `succeeded` with the row, or `unknown`, needs review when another request
// owns the id. A first attempt's 400 is a refusal (kRefused). The answer is
// read from the journal's outcome.
struct CreatedTransaction : Transaction {
  // The op was settled by the look-up (its answer was lost, or a retry was
  // refused as a duplicate), not by its own 201: FoundByLookUp(op).
  bool found_by_lookup = false;
};
[[nodiscard]] DiditResult<CreatedTransaction> CreateTransaction(DiditClient& client,
                                                                const TransactionRequest& request,
                                                                CallOptions call = {});
// GET /v3/transactions/{uuid}/ (404 for an unknown uuid, kRefused).
[[nodiscard]] DiditResult<Transaction> GetTransaction(DiditClient& client, std::string_view uuid);
// The transaction whose txn_id is `transaction_id`, paging the list (at most
// `max_pages` of 100); kNotFound when none is listed.
[[nodiscard]] DiditResult<Transaction> FindTransaction(DiditClient& client,
                                                       std::string_view transaction_id,
                                                       int max_pages = 20);

}  // namespace idem::didit

// Transaction monitoring calls (include/idem/didit/transactions.h).
#include "idem/didit/transactions.h"

#include <algorithm>
#include <cctype>

#include "didit/call_and_parse.h"
#include "didit/json_util.h"
#include "didit/reconcilers.h"
#include "didit/surface_reconcilers.h"
#include "idem/didit/op_outcome.h"

namespace idem::didit {
namespace {

using internal::OptInt;
using internal::OptString;
using internal::RequireObject;
using nlohmann::json;

using internal::Plain;

}  // namespace

std::string TransactionNaturalKey(std::string_view transaction_id) {
  return "transaction:" + std::string(transaction_id);
}

std::string CanonicalAmount(std::string_view amount) {
  if (amount.empty()) return {};
  std::string s(amount);
  const std::size_t dot = s.find('.');
  const std::string_view digits_ok = "0123456789";
  auto all_digits = [&](std::string_view part) {
    return part.find_first_not_of(digits_ok) == std::string_view::npos;
  };
  std::string whole = s.substr(0, dot);
  std::string frac = dot == std::string::npos ? "" : s.substr(dot + 1);
  if ((whole.empty() && frac.empty()) || !all_digits(whole) || !all_digits(frac)) return {};
  if (frac.size() > 18) return {};
  while (!frac.empty() && frac.back() == '0') frac.pop_back();
  whole.erase(0, std::min(whole.find_first_not_of('0'), whole.size()));
  if (whole.empty()) whole = "0";
  return frac.empty() ? whole : whole + "." + frac;
}

[[nodiscard]] Result<EncodedBody> Encode(const TransactionRequest& r) {
  if (r.transaction_id.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "transaction_id is required");
  }
  if (r.transaction_id.size() > 128) {
    return MakeError(ErrorCode::kInvalidArgument, "transaction_id is longer than 128 characters");
  }
  if (r.transaction_category.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "transaction_category is required");
  }
  std::string direction = r.direction;
  std::transform(direction.begin(), direction.end(), direction.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (direction != "inbound" && direction != "outbound" && direction != "in" &&
      direction != "out") {
    return MakeError(ErrorCode::kInvalidArgument, "direction must be inbound|outbound|in|out");
  }
  if (CanonicalAmount(r.amount).empty()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "amount must be a decimal number (up to 18 decimal places)");
  }
  if (r.currency.empty()) return MakeError(ErrorCode::kInvalidArgument, "currency is required");
  if (r.subject_vendor_data.empty() || r.subject_full_name.empty()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "subject.vendor_data and subject.full_name are required.");
  }
  for (const auto& [value, name] :
       {std::pair{&r.subject_more, "subject fields"}, std::pair{&r.counterparty, "counterparty"},
        std::pair{&r.custom_properties, "custom_properties"},
        std::pair{&r.travel_rule_details, "travel_rule_details"},
        std::pair{&r.network_snapshot, "network_snapshot"}}) {
    if (auto st = RequireObject(*value, name); !st) return tl::unexpected(st.error());
  }
  json details = {{"direction", r.direction}, {"amount", r.amount}, {"currency", r.currency}};
  if (r.currency_kind) details["currency_kind"] = *r.currency_kind;
  if (r.action_type) details["action_type"] = *r.action_type;
  if (r.payment_details) details["payment_details"] = *r.payment_details;
  if (r.payment_reference_id) details["payment_reference_id"] = *r.payment_reference_id;
  json subject = r.subject_more ? *r.subject_more : json::object();
  subject["vendor_data"] = r.subject_vendor_data;
  subject["full_name"] = r.subject_full_name;
  if (r.subject_entity_type) subject["entity_type"] = *r.subject_entity_type;
  json body = {{"transaction_id", r.transaction_id},
               {"transaction_category", r.transaction_category},
               {"transaction_details", std::move(details)},
               {"subject", std::move(subject)}};
  if (r.transaction_at) body["transaction_at"] = *r.transaction_at;
  if (r.time_zone) body["time_zone"] = *r.time_zone;
  if (r.counterparty) body["counterparty"] = *r.counterparty;
  if (r.custom_properties) body["custom_properties"] = *r.custom_properties;
  if (r.travel_rule_details) body["travel_rule_details"] = *r.travel_rule_details;
  if (r.network_snapshot) body["network_snapshot"] = *r.network_snapshot;
  if (r.include_crypto_screening) body["include_crypto_screening"] = *r.include_crypto_screening;
  auto text = internal::SafeDump(body);
  if (!text) return tl::unexpected(text.error());
  return EncodedBody{"application/json", std::move(*text)};
}

[[nodiscard]] Result<Transaction> ParseTransaction(std::string_view body) {
  auto parsed = internal::SafeParse(body);
  if (!parsed) return tl::unexpected(parsed.error());
  if (!parsed->is_object()) {
    return MakeError(ErrorCode::kCorruption, "the transaction is not an object");
  }
  const json& o = *parsed;
  Transaction t;
  IDEM_JSON_SET(t.uuid, internal::RequiredString(o, "uuid"));
  IDEM_JSON_SET(t.txn_id, internal::RequiredString(o, "txn_id"));
  IDEM_JSON_SET(t.transaction_number, OptInt(o, "transaction_number"));
  IDEM_JSON_SET(t.txn_date, OptString(o, "txn_date"));
  IDEM_JSON_SET(t.status, OptString(o, "status"));
  IDEM_JSON_SET(t.transaction_type, OptString(o, "transaction_type"));
  IDEM_JSON_SET(t.action_type, OptString(o, "action_type"));
  IDEM_JSON_SET(t.direction, OptString(o, "direction"));
  IDEM_JSON_SET(t.amount, OptString(o, "amount"));
  IDEM_JSON_SET(t.currency, OptString(o, "currency"));
  IDEM_JSON_SET(t.severity, OptString(o, "severity"));
  IDEM_JSON_SET(t.vendor_data, OptString(o, "vendor_data"));
  if (auto it = o.find("score"); it != o.end() && !it->is_null()) {
    if (!it->is_number()) return MakeError(ErrorCode::kCorruption, "field 'score' not a number");
    t.score = it->get<double>();
  }
  t.raw = std::move(*parsed);
  return t;
}

[[nodiscard]] Result<OpRequest> CreateTransactionOp(const TransactionRequest& request,
                                                    CallOptions call) {
  return internal::MakeOp(kCreateTransactionKind, "POST", "/v3/transactions/", Encode(request),
                          std::move(call), TransactionNaturalKey(request.transaction_id));
}

[[nodiscard]] DiditResult<CreatedTransaction> CreateTransaction(DiditClient& client,
                                                                const TransactionRequest& request,
                                                                CallOptions call) {
  return internal::CallAndParseCreated<CreatedTransaction, Transaction>(
      client.client(), CreateTransactionOp(request, std::move(call)), ParseTransaction);
}

[[nodiscard]] DiditResult<Transaction> GetTransaction(DiditClient& client, std::string_view uuid) {
  if (uuid.empty() || uuid.find('/') != std::string_view::npos) {
    return MakeDiditError(ErrorCode::kInvalidArgument, "a transaction uuid is required");
  }
  auto response = client.Get("/v3/transactions/" + UrlEncode(uuid) + "/");
  if (!response) return tl::unexpected(response.error());
  auto parsed = ParseTransaction(response->body);
  if (!parsed) return tl::unexpected(Plain(parsed.error()));
  return std::move(*parsed);
}

[[nodiscard]] DiditResult<Transaction> FindTransaction(DiditClient& client,
                                                       std::string_view transaction_id,
                                                       int max_pages) {
  std::string next = "/v3/transactions/?limit=100";
  for (int page = 0; page < max_pages && !next.empty(); ++page) {
    auto response = client.Get(next);
    if (!response) return tl::unexpected(response.error());
    auto parsed = internal::SafeParse(response->body);
    if (!parsed || !parsed->is_object()) {
      return MakeDiditError(ErrorCode::kCorruption, "the transaction list is not an object");
    }
    auto rows = parsed->find("results");
    if (rows == parsed->end() || !rows->is_array()) {
      return MakeDiditError(ErrorCode::kCorruption, "the transaction list has no results");
    }
    for (const json& row : *rows) {
      if (!row.is_object() || row.value("txn_id", json()) != transaction_id) continue;
      auto text = internal::SafeDump(row);
      if (!text) return tl::unexpected(Plain(text.error()));
      auto t = ParseTransaction(*text);
      if (!t) return tl::unexpected(Plain(t.error()));
      return std::move(*t);
    }
    next.clear();
    if (auto n = parsed->find("next"); n != parsed->end() && n->is_string()) {
      next = n->get<std::string>();
    }
  }
  if (!next.empty()) {
    return MakeDiditError(ErrorCode::kUnavailable,
                          "transaction list longer than " + std::to_string(max_pages) + " pages");
  }
  return MakeDiditError(ErrorCode::kNotFound,
                        "no transaction with transaction_id " + std::string(transaction_id));
}

}  // namespace idem::didit

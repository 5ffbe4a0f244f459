// Transaction monitoring (OAS `POST /v3/transactions/`, `GET
// /v3/transactions/`, `GET /v3/transactions/{uuid}/`). A create is billed
// (one execution, kind create_transaction, with the subject's vendor_data)
// and answered 201 with the full record, created APPROVED (the sandbox runs
// no rules). `transaction_id` (<= 128 characters) is unique: a second create
// with it is 400 {"transaction_id": ["A transaction with this transaction_id
// already exists."]}, never a second execution. The list is newest first by
// txn_date, with no filters (OAS), `count` capped at 100 and
// `total_transactions` exact; GET takes Didit's uuid, not the caller's id
// (404 {"detail": "Not found."}). Didit sends `transaction.created` after a
// create except for sandbox apps (OAS), and so does this sandbox: none.
// Rate scope: ingest-write (rate_scopes.cc). Records are entities: memory only.
#include <algorithm>
#include <cctype>
#include <charconv>

#include "idem/uuid.h"
#include "sandbox/app.h"
#include "sandbox/endpoint_support.h"
#include "sandbox/responses.h"

namespace idem::sandbox {
namespace {

using nlohmann::json;

constexpr char kTransaction[] = "transaction";

// Accepted categories -> the stored (camelCase) value (OAS).
constexpr std::pair<std::string_view, std::string_view> kCategories[] = {
    {"finance", "finance"},
    {"kyc", "kyc"},
    {"travel_rule", "travelRule"},
    {"travelRule", "travelRule"},
    {"user_event", "userPlatformEvent"},
    {"userPlatformEvent", "userPlatformEvent"},
    {"audit_trail_event", "auditTrailEvent"},
    {"auditTrailEvent", "auditTrailEvent"},
    {"gambling_bet", "gamblingBet"},
    {"gamblingBet", "gamblingBet"},
    {"gambling_limit_change", "gamblingLimitChange"},
    {"gamblingLimitChange", "gamblingLimitChange"},
    {"gambling_bonus_change", "gamblingBonusChange"},
    {"gamblingBonusChange", "gamblingBonusChange"},
};

// A decimal amount (JSON number or numeric string, >= 0, <= 18 places) as
// Didit echoes it: trailing zeros stripped. Empty when not one.
std::string Amount(const json& value) {
  std::string text;
  if (value.is_number_integer() || value.is_number_unsigned()) return value.dump();
  if (value.is_number_float()) {
    text = value.dump();
    if (text.find_first_of("eE") != std::string::npos) return {};
  } else if (value.is_string()) {
    text = value.get<std::string>();
  } else {
    return {};
  }
  const std::size_t dot = text.find('.');
  std::string whole = text.substr(0, dot);
  std::string frac = dot == std::string::npos ? "" : text.substr(dot + 1);
  auto digits = [](const std::string& s) {
    return std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
  };
  if ((whole.empty() && frac.empty()) || !digits(whole) || !digits(frac) || frac.size() > 18 ||
      whole.size() > 30) {
    return {};
  }
  while (!frac.empty() && frac.back() == '0') frac.pop_back();
  whole.erase(0, std::min(whole.find_first_not_of('0'), whole.size()));
  if (whole.empty()) whole = "0";
  return frac.empty() ? whole : whole + "." + frac;
}

std::string Str(const json& obj, const char* field) {
  auto it = obj.find(field);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

App::EndpointResult App::CreateTransaction(const Request& request, std::int64_t now_ms) {
  const SandboxProfile profile = config_.profile;
  EndpointResult out;
  auto body = RequireObject(request, out.response);
  if (!body) return out;
  json errors = json::object();
  auto required = [&](const json& obj, const char* field, json& into) -> const json* {
    auto it = obj.find(field);
    if (it == obj.end() || it->is_null()) {
      into[field].push_back("This field is required.");
      return nullptr;
    }
    return &*it;
  };
  std::string txn_id;
  if (const json* id = required(*body, "transaction_id", errors)) {
    if (!id->is_string() || id->get_ref<const std::string&>().empty()) {
      errors["transaction_id"].push_back("Not a valid string.");
    } else if (id->get_ref<const std::string&>().size() > 128) {
      errors["transaction_id"].push_back("Ensure this field has no more than 128 characters.");
    } else {
      txn_id = id->get<std::string>();
    }
  }
  std::string category;
  if (const json* c = required(*body, "transaction_category", errors)) {
    for (const auto& [given, stored] : kCategories) {
      if (c->is_string() && *c == given) category = stored;
    }
    if (category.empty()) errors["non_field_errors"].push_back("Unsupported transaction category.");
  }
  json details_errors = json::object();
  std::string direction, amount, currency;
  const json* details = required(*body, "transaction_details", errors);
  if (details && !details->is_object()) {
    errors["transaction_details"].push_back(
        std::string("Expected a dictionary of items but got type \"") + PythonTypeName(*details) +
        "\".");
    details = nullptr;
  }
  if (details) {
    if (const json* d = required(*details, "direction", details_errors)) {
      std::string v = d->is_string() ? d->get<std::string>() : "";
      std::transform(v.begin(), v.end(), v.begin(),
                     [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
      if (v == "in" || v == "inbound") direction = "INBOUND";
      if (v == "out" || v == "outbound") direction = "OUTBOUND";
      if (direction.empty()) {
        details_errors["direction"].push_back("\"" +
                                              (d->is_string() ? d->get<std::string>() : d->dump()) +
                                              "\" is not a valid choice.");
      }
    }
    if (const json* a = required(*details, "amount", details_errors)) {
      amount = Amount(*a);
      if (amount.empty()) details_errors["amount"].push_back("A valid number is required.");
    }
    if (const json* c = required(*details, "currency", details_errors)) {
      if (!c->is_string() || c->get_ref<const std::string&>().empty() ||
          c->get_ref<const std::string&>().size() > 10) {
        details_errors["currency"].push_back("Invalid currency.");
      } else {
        currency = c->get<std::string>();
      }
    }
    if (!details_errors.empty()) errors["transaction_details"] = details_errors;
  }
  const json* subject = required(*body, "subject", errors);
  if (subject && (!subject->is_object() || Str(*subject, "vendor_data").empty() ||
                  Str(*subject, "full_name").empty())) {
    errors["subject"].push_back("subject.vendor_data and subject.full_name are required.");
  }
  for (const char* field :
       {"counterparty", "custom_properties", "travel_rule_details", "network_snapshot"}) {
    auto it = body->find(field);
    if (it != body->end() && !it->is_null() && !it->is_object()) {
      errors[field].push_back(std::string("Expected a dictionary of items but got type \"") +
                              PythonTypeName(*it) + "\".");
    }
  }
  for (const char* field : {"transaction_at", "time_zone"}) {
    auto it = body->find(field);
    if (it != body->end() && !it->is_null() && !it->is_string()) {
      errors[field].push_back("Not a valid string.");
    }
  }
  if (auto it = body->find("include_crypto_screening");
      it != body->end() && !it->is_null() && !it->is_boolean()) {
    errors["include_crypto_screening"].push_back("Must be a valid boolean.");
  }
  if (errors.empty()) {
    for (const EntityRecord* e : Entities(kTransaction)) {
      auto row = ParseJsonBody(e->json);
      if (row && Str(*row, "txn_id") == txn_id) {
        errors["transaction_id"].push_back(
            "A transaction with this transaction_id already exists.");
        break;
      }
    }
  }
  if (!errors.empty()) return Fail(FieldErrors(profile, errors));

  const std::string uuid = NewUuidV4();
  const std::string vendor_data = Str(*subject, "vendor_data");
  const std::string txn_date =
      Str(*body, "transaction_at").empty() ? IsoTime(now_ms) : Str(*body, "transaction_at");
  const std::string action =
      Str(*details, "action_type").empty() ? category : Str(*details, "action_type");
  const json counterparty = body->value("counterparty", json::object());
  json parties = json::array({{{"uuid", NewUuidV4()},
                               {"role", "APPLICANT"},
                               {"entity_type", subject->value("entity_type", "individual")},
                               {"kind", "USER"},
                               {"vendor_data", vendor_data},
                               {"full_name", Str(*subject, "full_name")}}});
  const json tx = {
      {"uuid", uuid},
      {"transaction_number", static_cast<std::int64_t>(Entities(kTransaction).size()) + 1},
      {"txn_id", txn_id},
      {"txn_date", txn_date},
      {"zone_id", body->value("time_zone", json())},
      {"transaction_type", category},
      {"action_type", action},
      {"direction", direction},
      {"status", "APPROVED"},
      {"amount", amount},
      {"currency", currency},
      {"currency_type", details->value("currency_kind", json())},
      {"payment_details", details->value("payment_details", json())},
      {"payment_txn_id", details->value("payment_reference_id", json())},
      {"score", 0},
      {"severity", nullptr},
      {"decision_reason_code", nullptr},
      {"decision_reason_label", nullptr},
      {"vendor_data", vendor_data},
      {"metadata", {{"subject", *subject}, {"counterparty", counterparty}}},
      {"props", body->value("custom_properties", json::object())},
      {"tags", json::array()},
      {"parties", std::move(parties)},
      {"payment_methods", json::array()},
      {"activities", json::array({{{"uuid", NewUuidV4()},
                                   {"activity_type", "TRANSACTION_CREATED"},
                                   {"source", "TRANSACTION"},
                                   {"status", "APPROVED"},
                                   {"title", action},
                                   {"description", "Transaction recorded."},
                                   {"metadata", json::object()},
                                   {"occurred_at", IsoTime(now_ms)}}})},
      {"alerts", json::array()},
      {"rule_runs", json::array()},
      {"provider_results", json::array()},
      {"travel_rule", nullptr},
      {"network_snapshot", body->value("network_snapshot", json())},
      {"remediation", nullptr},
      {"cost_breakdown", nullptr},
      {"created_at", IsoTime(now_ms)}};
  out.mutation.entities.push_back({kTransaction, uuid, Dump(tx), next_entity_seq_, false});
  RecordExecution(out, vendor_data, uuid);
  out.response = JsonResponse(201, tx);
  return out;
}

App::EndpointResult App::GetTransaction(const std::string& uuid) {
  return StoredJson(FindEntity(kTransaction, uuid));
}

App::EndpointResult App::ListTransactions(const Request& request, std::string_view query) {
  Response error;
  const std::optional<LimitOffset> paging = ReadLimitOffset(config_.profile, query, error);
  if (!paging) return Fail(std::move(error));
  const std::size_t limit = paging->limit, offset = paging->offset;
  std::vector<json> rows;
  for (const EntityRecord* e : Entities(kTransaction)) {
    if (auto row = ParseJsonBody(e->json)) rows.push_back(std::move(*row));
  }
  // Newest first by txn_date (ISO text sorts by time), later numbers first on a tie.
  std::stable_sort(rows.begin(), rows.end(), [](const json& a, const json& b) {
    const std::string da = Str(a, "txn_date"), db = Str(b, "txn_date");
    if (da != db) return da > db;
    return a.value("transaction_number", 0) > b.value("transaction_number", 0);
  });
  const Page page = Paginate(rows.size(), limit, offset);
  auto link = [&](std::optional<std::size_t> at) -> json {
    if (!at) return nullptr;
    return BaseUrl(request) + "/v3/transactions/?limit=" + std::to_string(limit) +
           "&offset=" + std::to_string(*at);
  };
  json results = json::array();
  for (std::size_t i = page.begin; i < page.end; ++i) results.push_back(rows[i]);
  EndpointResult out;
  out.response = JsonResponse(200, json{{"count", std::min<std::size_t>(rows.size(), 100)},
                                        {"next", link(page.next_offset)},
                                        {"previous", link(page.previous_offset)},
                                        {"total_transactions", rows.size()},
                                        {"results", results}});
  return out;
}

}  // namespace idem::sandbox

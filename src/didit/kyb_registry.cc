// POST /v3/kyb/search/ and /v3/kyb/select/ (include/idem/didit/kyb_registry.h).
#include "idem/didit/kyb_registry.h"

#include <algorithm>
#include <cctype>

#include "didit/call_and_parse.h"
#include "didit/json_util.h"
#include "idem/didit/endpoints.h"
#include "idem/didit/op_outcome.h"

namespace idem::didit {
namespace {

using internal::OptAny;
using internal::OptBool;
using internal::OptInt;
using internal::OptNumber;
using internal::OptString;
using nlohmann::json;

// Characters as Didit (DRF) counts them: code points.
std::size_t Chars(std::string_view s) {
  return static_cast<std::size_t>(
      std::count_if(s.begin(), s.end(), [](unsigned char c) { return (c & 0xC0) != 0x80; }));
}

[[nodiscard]] Status MaxChars(const std::optional<std::string>& value, const char* field,
                              std::size_t max) {
  if (value && Chars(*value) > max) {
    return MakeError(ErrorCode::kInvalidArgument,
                     std::string(field) + " is longer than " + std::to_string(max) + " characters");
  }
  return {};
}

// "GB" or "US-CA": two letters, then optionally '-' and 1-3 letters or digits.
bool IsCountryCode(std::string_view code) {
  auto alpha = [](char c) { return c >= 'A' && c <= 'Z'; };
  if (code.size() < 2 || !alpha(code[0]) || !alpha(code[1])) return false;
  if (code.size() == 2) return true;
  if (code[2] != '-' || code.size() < 4 || code.size() > 6) return false;
  return std::all_of(code.begin() + 3, code.end(),
                     [&](char c) { return alpha(c) || (c >= '0' && c <= '9'); });
}

[[nodiscard]] Result<EncodedBody> Dumped(const json& obj) {
  auto text = internal::SafeDump(obj);
  if (!text) return tl::unexpected(text.error());
  return EncodedBody{"application/json", std::move(*text)};
}

[[nodiscard]] Status AddMetadata(json& obj, const std::optional<json>& metadata) {
  if (!metadata) return {};
  if (!metadata->is_object() && !metadata->is_null()) {
    return MakeError(ErrorCode::kInvalidArgument, "metadata must be a JSON object");
  }
  obj["metadata"] = *metadata;
  return {};
}

// The array `field` of objects (absent or null: empty).
[[nodiscard]] Result<std::vector<json>> Objects(const json& obj, const char* field) {
  auto value = OptAny(obj, field);
  if (!value) return tl::unexpected(value.error());
  std::vector<json> out;
  if (!*value) return out;
  if (!(*value)->is_array()) {
    return MakeError(ErrorCode::kCorruption, std::string("field '") + field + "' is not an array");
  }
  for (const auto& item : **value) {
    if (!item.is_object()) {
      return MakeError(ErrorCode::kCorruption,
                       std::string("an item of '") + field + "' is not an object");
    }
    out.push_back(item);
  }
  return out;
}

template <typename T, typename Parse>
[[nodiscard]] Status ParseList(const json& obj, const char* field, std::vector<T>& out,
                               Parse parse) {
  auto items = Objects(obj, field);
  if (!items) return tl::unexpected(items.error());
  for (const auto& item : *items) {
    auto parsed = parse(item);
    if (!parsed) return tl::unexpected(parsed.error());
    out.push_back(std::move(*parsed));
  }
  return {};
}

// Any JSON value of `field`, null when absent.
json ValueOrNull(const json& obj, const char* field) {
  auto it = obj.find(field);
  return it == obj.end() ? json() : *it;
}

// The field as an object (or null), else kCorruption.
[[nodiscard]] Result<json> ObjectOrNull(const json& obj, const char* field) {
  json value = ValueOrNull(obj, field);
  if (!value.is_null() && !value.is_object()) {
    return MakeError(ErrorCode::kCorruption, std::string("field '") + field + "' is not an object");
  }
  return value;
}

[[nodiscard]] Result<KybCandidate> ParseCandidate(const json& o) {
  KybCandidate c;
  IDEM_JSON_SET(c.kyb_response_id, OptString(o, "kyb_response_id"));
  IDEM_JSON_SET(c.name, OptString(o, "name"));
  IDEM_JSON_SET(c.registration_number, OptString(o, "registration_number"));
  IDEM_JSON_SET(c.status, OptString(o, "status"));
  IDEM_JSON_SET(c.type, OptString(o, "type"));
  IDEM_JSON_SET(c.risk_level, OptString(o, "risk_level"));
  IDEM_JSON_SET(c.fetch_status, OptString(o, "fetch_status"));
  return c;
}

[[nodiscard]] Result<KybRegistrySearch> ParseRegistrySearch(const json& o) {
  KybRegistrySearch r;
  if (auto s = ParseList(o, "companies", r.companies, ParseCandidate); !s) {
    return tl::unexpected(s.error());
  }
  IDEM_JSON_TRY(pagination, ObjectOrNull(o, "pagination"));
  if (pagination.is_object()) {
    IDEM_JSON_SET(r.total, OptInt(pagination, "total"));
    IDEM_JSON_SET(r.page, OptInt(pagination, "page"));
    IDEM_JSON_SET(r.per_page, OptInt(pagination, "per_page"));
  }
  IDEM_JSON_SET(r.search_status, OptString(o, "search_status"));
  IDEM_JSON_SET(r.search_resolved, OptBool(o, "search_resolved"));
  return r;
}

// The top-level object with its kyb_registry object (null reads as empty).
[[nodiscard]] Result<json> TopLevel(std::string_view body, const char* what) {
  auto parsed = internal::SafeParse(body);
  if (!parsed) return tl::unexpected(parsed.error());
  if (!parsed->is_object()) {
    return MakeError(ErrorCode::kCorruption, std::string(what) + " is not an object");
  }
  return std::move(*parsed);
}

[[nodiscard]] Result<KybOfficer> ParseOfficer(const json& o) {
  KybOfficer p;
  IDEM_JSON_SET(p.uuid, OptString(o, "uuid"));
  IDEM_JSON_SET(p.name, OptString(o, "name"));
  IDEM_JSON_SET(p.designation, OptString(o, "designation"));
  IDEM_JSON_SET(p.role, OptString(o, "role"));
  IDEM_JSON_SET(p.nationality, OptString(o, "nationality"));
  IDEM_JSON_SET(p.is_active, OptBool(o, "is_active"));
  IDEM_JSON_SET(p.kyc_status, OptString(o, "kyc_status"));
  IDEM_JSON_SET(p.kyc_session_url, OptString(o, "kyc_session_url"));
  return p;
}

[[nodiscard]] Result<KybBeneficialOwner> ParseOwner(const json& o) {
  KybBeneficialOwner p;
  IDEM_JSON_SET(p.uuid, OptString(o, "uuid"));
  IDEM_JSON_SET(p.name, OptString(o, "name"));
  IDEM_JSON_SET(p.first_name, OptString(o, "first_name"));
  IDEM_JSON_SET(p.last_name, OptString(o, "last_name"));
  IDEM_JSON_SET(p.entity_type, OptString(o, "entity_type"));
  IDEM_JSON_TRY(roles, OptAny(o, "roles"));
  if (roles) {
    if (!roles->is_array()) return MakeError(ErrorCode::kCorruption, "field 'roles' not an array");
    for (const auto& role : *roles) {
      if (!role.is_string()) {
        return MakeError(ErrorCode::kCorruption, "an item of 'roles' is not a string");
      }
      p.roles.push_back(role.get<std::string>());
    }
  }
  IDEM_JSON_SET(p.ownership_min_shares, OptString(o, "ownership_min_shares"));
  IDEM_JSON_SET(p.ownership_max_shares, OptString(o, "ownership_max_shares"));
  IDEM_JSON_SET(p.is_active, OptBool(o, "is_active"));
  IDEM_JSON_SET(p.kyc_status, OptString(o, "kyc_status"));
  IDEM_JSON_SET(p.kyc_session_url, OptString(o, "kyc_session_url"));
  IDEM_JSON_SET(p.effective_ownership_percent, OptNumber(o, "effective_ownership_percent"));
  return p;
}

[[nodiscard]] Result<KybAddress> ParseAddress(const json& o) {
  KybAddress a;
  IDEM_JSON_SET(a.address, OptString(o, "address"));
  IDEM_JSON_SET(a.type, OptString(o, "type"));
  IDEM_JSON_SET(a.description, OptString(o, "description"));
  return a;
}

[[nodiscard]] Result<KybCompany> ParseCompany(const json& o) {
  KybCompany c;
  IDEM_JSON_SET(c.uuid, OptString(o, "uuid"));
  IDEM_JSON_SET(c.node_id, OptString(o, "node_id"));
  IDEM_JSON_SET(c.status, OptString(o, "status"));
  IDEM_JSON_SET(c.registry_status, OptString(o, "registry_status"));
  IDEM_JSON_SET(c.data_resolved, OptBool(o, "data_resolved"));
  // Strings, in the OAS's order.
  struct Text {
    const char* field;
    std::optional<std::string> KybCompany::*member;
  };
  static const Text kTexts[] = {
      {"company_name", &KybCompany::company_name},
      {"registration_number", &KybCompany::registration_number},
      {"country_code", &KybCompany::country_code},
      {"region", &KybCompany::region},
      {"company_type", &KybCompany::company_type},
      {"incorporation_date", &KybCompany::incorporation_date},
      {"registered_address", &KybCompany::registered_address},
      {"tax_number", &KybCompany::tax_number},
      {"risk_level", &KybCompany::risk_level},
      {"verification_status", &KybCompany::verification_status},
      {"fetch_status", &KybCompany::fetch_status},
      {"alternative_names", &KybCompany::alternative_names},
      {"nature_of_business", &KybCompany::nature_of_business},
      {"registered_capital", &KybCompany::registered_capital},
      {"registered_capital_amount", &KybCompany::registered_capital_amount},
      {"registered_capital_currency", &KybCompany::registered_capital_currency},
      {"website", &KybCompany::website},
      {"email", &KybCompany::email},
      {"phone", &KybCompany::phone},
      {"legal_entity_identifier", &KybCompany::legal_entity_identifier},
      {"location_of_registration", &KybCompany::location_of_registration},
      {"vat_number", &KybCompany::vat_number},
      {"vat_validation_status", &KybCompany::vat_validation_status},
      {"vat_validated_name", &KybCompany::vat_validated_name},
      {"vat_validated_address", &KybCompany::vat_validated_address},
      {"vat_checked_at", &KybCompany::vat_checked_at},
      {"confirmed_by_user_at", &KybCompany::confirmed_by_user_at},
      {"last_console_edit_at", &KybCompany::last_console_edit_at},
  };
  for (const Text& t : kTexts) IDEM_JSON_SET(c.*t.member, OptString(o, t.field));
  IDEM_JSON_SET(c.is_from_registry, OptBool(o, "is_from_registry"));
  IDEM_JSON_SET(c.is_editable, OptBool(o, "is_editable"));
  IDEM_JSON_SET(c.financial_summary, ObjectOrNull(o, "financial_summary"));
  IDEM_JSON_SET(c.accounts, ObjectOrNull(o, "accounts"));
  IDEM_JSON_SET(c.registry_data, ObjectOrNull(o, "registry_data"));
  IDEM_JSON_SET(c.user_provided_data, ObjectOrNull(o, "user_provided_data"));
  c.industries = ValueOrNull(o, "industries");
  if (!c.industries.is_null() && !c.industries.is_array()) {
    return MakeError(ErrorCode::kCorruption, "field 'industries' is not an array");
  }
  if (auto s = ParseList(o, "officers", c.officers, ParseOfficer); !s) {
    return tl::unexpected(s.error());
  }
  if (auto s = ParseList(o, "beneficial_owners", c.beneficial_owners, ParseOwner); !s) {
    return tl::unexpected(s.error());
  }
  if (auto s = ParseList(o, "addresses", c.addresses, ParseAddress); !s) {
    return tl::unexpected(s.error());
  }
  return c;
}

// The kyb_registry object of `o` (absent or null: an empty one).
[[nodiscard]] Result<json> RegistryOf(const json& o) {
  IDEM_JSON_TRY(registry, ObjectOrNull(o, "kyb_registry"));
  return registry.is_null() ? json::object() : registry;
}

}  // namespace

[[nodiscard]] Result<EncodedBody> Encode(const KybSearchRequest& request) {
  std::string country = request.country_code;
  for (char& c : country) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (!IsCountryCode(country)) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "country_code must be an ISO alpha-2 code (GB) or a subdivision (US-CA)");
  }
  if (country == "US") {
    return MakeError(ErrorCode::kInvalidArgument,
                     "country_code US needs its state subdivision (US-CA, US-NY, ...)");
  }
  const bool has_name = request.name && !request.name->empty();
  const bool has_number = request.registration_number && !request.registration_number->empty();
  if (!has_name && !has_number) {
    return MakeError(ErrorCode::kInvalidArgument, "name or registration_number is required");
  }
  if (auto s = MaxChars(request.name, "name", 255); !s) return tl::unexpected(s.error());
  if (auto s = MaxChars(request.registration_number, "registration_number", 100); !s) {
    return tl::unexpected(s.error());
  }
  if (auto s = MaxChars(request.webhook_url, "webhook_url", 500); !s) {
    return tl::unexpected(s.error());
  }
  if (request.search_type && std::find(std::begin(kKybSearchTypes), std::end(kKybSearchTypes),
                                       *request.search_type) == std::end(kKybSearchTypes)) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "search_type must be contains, start_with or fuzzy");
  }
  if (request.webhook_url && !request.webhook_url->starts_with("http://") &&
      !request.webhook_url->starts_with("https://")) {
    return MakeError(ErrorCode::kInvalidArgument, "webhook_url must be an http(s) URL");
  }
  json obj = {{"country_code", country}};
  if (has_name) obj["name"] = *request.name;
  if (has_number) obj["registration_number"] = *request.registration_number;
  if (request.search_type) obj["search_type"] = *request.search_type;
  if (request.vendor_data) obj["vendor_data"] = *request.vendor_data;
  if (auto s = AddMetadata(obj, request.metadata); !s) return tl::unexpected(s.error());
  if (request.webhook_url) obj["webhook_url"] = *request.webhook_url;
  return Dumped(obj);
}

[[nodiscard]] Result<EncodedBody> Encode(const KybSelectRequest& request) {
  if (request.kyb_response_id.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "kyb_response_id is required");
  }
  if (auto s = MaxChars(request.kyb_response_id, "kyb_response_id", 255); !s) {
    return tl::unexpected(s.error());
  }
  json obj = {{"kyb_response_id", request.kyb_response_id}};
  if (request.vendor_data) obj["vendor_data"] = *request.vendor_data;
  if (auto s = AddMetadata(obj, request.metadata); !s) return tl::unexpected(s.error());
  if (request.save_api_request) obj["save_api_request"] = *request.save_api_request;
  return Dumped(obj);
}

[[nodiscard]] Result<KybSearchResult> ParseKybSearchResult(std::string_view body) {
  IDEM_JSON_TRY(o, TopLevel(body, "the KYB search answer"));
  KybSearchResult r;
  IDEM_JSON_SET(r.request_id, internal::RequiredString(o, "request_id"));
  IDEM_JSON_TRY(registry, RegistryOf(o));
  IDEM_JSON_SET(r.kyb_registry, ParseRegistrySearch(registry));
  IDEM_JSON_SET(r.vendor_data, OptString(o, "vendor_data"));
  IDEM_JSON_SET(r.metadata, ObjectOrNull(o, "metadata"));
  IDEM_JSON_SET(r.created_at, OptString(o, "created_at"));
  r.raw = std::move(o);
  return r;
}

[[nodiscard]] Result<KybSearchCallback> ParseKybSearchCallback(std::string_view body) {
  IDEM_JSON_TRY(o, TopLevel(body, "the KYB search callback"));
  KybSearchCallback r;
  IDEM_JSON_SET(r.event_id, OptString(o, "event_id"));
  IDEM_JSON_SET(r.event_type, internal::RequiredString(o, "event_type"));
  IDEM_JSON_SET(r.request_id, internal::RequiredString(o, "request_id"));
  IDEM_JSON_SET(r.vendor_data, OptString(o, "vendor_data"));
  IDEM_JSON_SET(r.metadata, ObjectOrNull(o, "metadata"));
  IDEM_JSON_SET(r.search_status, OptString(o, "search_status"));
  IDEM_JSON_SET(r.search_resolved, OptBool(o, "search_resolved"));
  IDEM_JSON_TRY(registry, RegistryOf(o));
  IDEM_JSON_SET(r.kyb_registry, ParseRegistrySearch(registry));
  IDEM_JSON_SET(r.timestamp, OptInt(o, "timestamp"));
  IDEM_JSON_SET(r.created_at, OptInt(o, "created_at"));
  r.raw = std::move(o);
  return r;
}

[[nodiscard]] Result<KybSelectResult> ParseKybSelectResult(std::string_view body) {
  IDEM_JSON_TRY(o, TopLevel(body, "the KYB select answer"));
  KybSelectResult r;
  IDEM_JSON_SET(r.request_id, internal::RequiredString(o, "request_id"));
  IDEM_JSON_TRY(registry, RegistryOf(o));
  IDEM_JSON_SET(r.kyb_registry, ParseCompany(registry));
  IDEM_JSON_SET(r.vendor_data, OptString(o, "vendor_data"));
  IDEM_JSON_SET(r.metadata, ObjectOrNull(o, "metadata"));
  IDEM_JSON_SET(r.created_at, OptString(o, "created_at"));
  r.raw = std::move(o);
  return r;
}

[[nodiscard]] Result<OpRequest> KybSearchOp(const KybSearchRequest& request, CallOptions call) {
  // No natural key: a search is free and harmless to repeat, so it is sent
  // again rather than looked up.
  return internal::MakeOp(kKybSearchKind, "POST", "/v3/kyb/search/", Encode(request),
                          std::move(call));
}

[[nodiscard]] Result<OpRequest> KybSelectOp(const KybSelectRequest& request, CallOptions call) {
  std::string natural_key;
  if (request.vendor_data && !request.vendor_data->empty() &&
      request.save_api_request.value_or(true)) {
    natural_key = CheckNaturalKey(kKybRegistryService, *request.vendor_data);
  }
  return internal::MakeOp(kKybSelectKind, "POST", "/v3/kyb/select/", Encode(request),
                          std::move(call), std::move(natural_key));
}

[[nodiscard]] DiditResult<KybSearchResult> SearchKybRegistry(DiditClient& client,
                                                             const KybSearchRequest& request,
                                                             CallOptions call) {
  return internal::CallAndParse<KybSearchResult>(
      client.client(), KybSearchOp(request, std::move(call)), ParseKybSearchResult);
}

[[nodiscard]] DiditResult<KybSelectResult> SelectKybCompany(DiditClient& client,
                                                            const KybSelectRequest& request,
                                                            CallOptions call) {
  auto settled = internal::CallAndParseSettled<KybSelectResult>(
      client.client(), KybSelectOp(request, std::move(call)), ParseKybSelectResult);
  if (!settled) return tl::unexpected(std::move(settled.error()));
  settled->answer.found_by_lookup = FoundByLookUp(settled->op);
  return std::move(settled->answer);
}

}  // namespace idem::didit

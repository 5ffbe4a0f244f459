// Didit's KYB registry calls (OAS post_v3_kyb_search, post_v3_kyb_select).
//
// POST /v3/kyb/search/: free, nothing executed or saved (no execution row,
// no credit check), a new request_id per call. As Didit's sandbox
// applications, it answers one static candidate without a registry. With
// `webhook_url` it answers at once with `search_status: "pending"` and no
// candidates, then POSTs the unsigned `kyb.registry_search.resolved`
// callback there (App::SendCallbacks, after the answer is committed; it may
// still reach the receiver before the answer reaches the caller).
//
// POST /v3/kyb/select/: billed (the credit refusal comes first,
// credits.cc), one execution per 200, and always saved: a business session
// whose id is the request_id, listed with session_kind=business and
// api_service=KYB_REGISTRY, its decision carrying the profile in
// `registry_checks` (session_views.cc). Any kyb_response_id is accepted
// (the sandbox keeps no search handles) and gets the same static resolved
// company.
//
// The sandbox's own choices (docs/sandbox.md): the static candidate and
// company, the wording of the errors the OAS shows no example for (a bare
// US, a too-long field), and which URLs pass as `webhook_url`.
#include <algorithm>
#include <cctype>
#include <string>
#include <string_view>

#include "common/crypto.h"
#include "idem/uuid.h"
#include "sandbox/app.h"
#include "sandbox/check_support.h"
#include "sandbox/endpoint_support.h"
#include "sandbox/responses.h"

namespace idem::sandbox {
namespace {

using nlohmann::json;

constexpr std::size_t kMaxCountry = 10;
constexpr std::size_t kMaxName = 255;
constexpr std::size_t kMaxRegistration = 100;
constexpr std::size_t kMaxUrl = 500;
constexpr std::size_t kMaxResponseId = 255;

// Characters as DRF counts them (code points; the JSON parser has already
// refused invalid UTF-8).
std::size_t Chars(std::string_view s) {
  return static_cast<std::size_t>(
      std::count_if(s.begin(), s.end(), [](unsigned char c) { return (c & 0xC0) != 0x80; }));
}

std::string TooLong(std::size_t max) {
  return "Ensure this field has no more than " + std::to_string(max) + " characters.";
}

std::string Upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

// "GB", or a subdivision "US-CA" (1 to 3 letters or digits after the dash).
bool IsCountryCode(std::string_view code) {
  auto alpha = [](char c) { return (c >= 'A' && c <= 'Z'); };
  if (code.size() < 2 || !alpha(code[0]) || !alpha(code[1])) return false;
  if (code.size() == 2) return true;
  if (code[2] != '-' || code.size() < 4 || code.size() > 6) return false;
  return std::all_of(code.begin() + 3, code.end(),
                     [&](char c) { return alpha(c) || (c >= '0' && c <= '9'); });
}

// Django's URLValidator, reduced: http(s)://host[:port][/...], no spaces or
// control characters, a host of letters, digits, dots and dashes (or an
// IPv4 address, which that is too).
bool IsWebhookUrl(std::string_view url) {
  std::string_view rest;
  if (url.starts_with("https://")) {
    rest = url.substr(8);
  } else if (url.starts_with("http://")) {
    rest = url.substr(7);
  } else {
    return false;
  }
  if (std::any_of(url.begin(), url.end(),
                  [](unsigned char c) { return c <= 0x20 || c == 0x7f || c >= 0x80; })) {
    return false;
  }
  const std::size_t end = std::min(rest.find_first_of("/?#"), rest.size());
  std::string_view authority = rest.substr(0, end);
  if (authority.find('@') != std::string_view::npos) return false;
  std::string_view host = authority;
  if (const std::size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    std::string_view port = authority.substr(colon + 1);
    if (port.empty() || port.size() > 5 ||
        !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return false;
    }
  }
  if (host.empty() || host.front() == '.' || host.front() == '-') return false;
  return std::all_of(host.begin(), host.end(),
                     [](unsigned char c) { return std::isalnum(c) != 0 || c == '.' || c == '-'; });
}

// An optional string field: absent or null -> nullopt; another type or over
// `max` characters -> an entry in `errors`.
std::optional<std::string> OptionalText(const json& body, const char* field, std::size_t max,
                                        json& errors) {
  auto it = body.find(field);
  if (it == body.end() || it->is_null()) return std::nullopt;
  if (!it->is_string()) {
    errors[field] = json::array({"Not a valid string."});
    return std::nullopt;
  }
  const std::string& text = it->get_ref<const std::string&>();
  if (Chars(text) > max) {
    errors[field] = json::array({TooLong(max)});
    return std::nullopt;
  }
  return text;
}

// A 24-hex handle, like Didit's ("69aeeb95febb0f1704042259"): per search,
// so ephemeral as Didit's.
std::string CandidateHandle(const std::string& request_id) {
  return crypto::Sha256Hex("kyb-candidate|" + request_id).substr(0, 24);
}

json Registry(json companies, bool resolved) {
  const std::size_t total = companies.size();
  return {{"companies", std::move(companies)},
          {"pagination", {{"total", total}, {"page", 1}, {"per_page", 25}}},
          {"search_status", resolved ? "resolved" : "pending"},
          {"search_resolved", resolved}};
}

// The static resolved company of every sandbox select (OAS example's shape).
json StaticCompany() {
  return {{"uuid", NewUuidV4()},
          {"node_id", "feature_kyb_registry"},
          {"status", "Approved"},
          {"registry_status", "active"},
          {"data_resolved", true},
          {"company_name", "SANDBOX COMPANY LTD"},
          {"registration_number", "00000001"},
          {"country_code", "GB"},
          {"region", ""},
          {"company_type", "Private Limited Company"},
          {"incorporation_date", "2010-01-01"},
          {"registered_address", "1 Sandbox Street, London, United Kingdom, EC1A 1AA"},
          {"tax_number", nullptr},
          {"risk_level", "low risk"},
          {"verification_status", "verified"},
          {"is_from_registry", true},
          {"fetch_status", "resolved"},
          {"alternative_names", nullptr},
          {"nature_of_business", nullptr},
          {"registered_capital", nullptr},
          {"registered_capital_amount", nullptr},
          {"registered_capital_currency", nullptr},
          {"website", nullptr},
          {"email", nullptr},
          {"phone", nullptr},
          {"legal_entity_identifier", nullptr},
          {"location_of_registration", nullptr},
          {"vat_number", nullptr},
          {"vat_validation_status", "not_applicable"},
          {"vat_validated_name", nullptr},
          {"vat_validated_address", nullptr},
          {"vat_checked_at", nullptr},
          {"financial_summary", json::object()},
          {"officers", json::array({{{"uuid", "a1b2c3d4-e5f6-4789-9a0b-1c2d3e4f5a6b"},
                                     {"name", "SANDBOX DIRECTOR"},
                                     {"designation", "Director"},
                                     {"role", "director"},
                                     {"nationality", "British"},
                                     {"is_active", true},
                                     {"kyc_status", nullptr},
                                     {"kyc_session_url", nullptr}}})},
          {"beneficial_owners", json::array({{{"uuid", "b2c3d4e5-f6a7-4890-8b1c-2d3e4f5a6b7c"},
                                              {"name", "SANDBOX OWNER"},
                                              {"first_name", "SANDBOX"},
                                              {"last_name", "OWNER"},
                                              {"entity_type", "person"},
                                              {"roles", json::array({"ubo"})},
                                              {"ownership_min_shares", "75%"},
                                              {"ownership_max_shares", "100%"},
                                              {"is_active", true},
                                              {"kyc_status", nullptr},
                                              {"kyc_session_url", nullptr},
                                              {"effective_ownership_percent", 100.0}}})},
          {"addresses", json::array({{{"address", "1 Sandbox Street, London, EC1A 1AA"},
                                      {"type", "legal_entity_registry_address"},
                                      {"description", "registered office address"}}})},
          {"industries", nullptr},
          {"accounts", nullptr},
          {"registry_data",
           {{"name", "SANDBOX COMPANY LTD"},
            {"registration_number", "00000001"},
            {"status", "active"},
            {"country_code", "GB"},
            {"fetch_status", "resolved"}}},
          {"user_provided_data", nullptr},
          {"confirmed_by_user_at", nullptr},
          {"last_console_edit_at", nullptr},
          {"is_editable", true}};
}

}  // namespace

App::EndpointResult App::KybSearch(const Request& request, std::int64_t now_ms) {
  const SandboxProfile profile = config_.profile;
  EndpointResult out;
  auto body = RequireObject(request, out.response);
  if (!body) return out;
  json errors = json::object();
  std::string country;
  if (auto it = body->find("country_code"); it == body->end() || it->is_null()) {
    errors["country_code"] = json::array({"This field is required."});
  } else if (!it->is_string()) {
    errors["country_code"] = json::array({"Not a valid string."});
  } else if (Chars(it->get_ref<const std::string&>()) > kMaxCountry) {
    errors["country_code"] = json::array({TooLong(kMaxCountry)});
  } else {
    country = Upper(it->get<std::string>());
    if (!IsCountryCode(country)) {
      errors["country_code"] = json::array({"country_code must be a 2-letter ISO code."});
    } else if (country == "US") {
      errors["country_code"] =
          json::array({"United States searches require a state subdivision (XX-YY), e.g. US-CA."});
    }
  }
  auto name = OptionalText(*body, "name", kMaxName, errors);
  auto number = OptionalText(*body, "registration_number", kMaxRegistration, errors);
  std::string search_type = "contains";
  if (auto it = body->find("search_type"); it != body->end() && !it->is_null()) {
    const bool known =
        it->is_string() && (*it == "contains" || *it == "start_with" || *it == "fuzzy");
    if (!known) {
      errors["search_type"] =
          json::array({"\"" + (it->is_string() ? it->get<std::string>() : it->dump()) +
                       "\" is not a valid choice."});
    } else {
      search_type = it->get<std::string>();
    }
  }
  auto webhook_url = OptionalText(*body, "webhook_url", kMaxUrl, errors);
  if (webhook_url && !IsWebhookUrl(*webhook_url)) {
    errors["webhook_url"] = json::array({"Enter a valid URL."});
  }
  if (!errors.empty()) return Fail(FieldErrors(profile, errors));
  // vendor_data and metadata as every check reads them (save_api_request is
  // no field of a search, so it is not read here).
  json option_fields = json::object();
  for (const char* field : {"vendor_data", "metadata"}) {
    if (auto it = body->find(field); it != body->end()) option_fields[field] = *it;
  }
  auto options = JsonCheckOptions(profile, option_fields, out.response);
  if (!options) return out;
  // An empty name or number is no criterion.
  if ((!name || name->empty()) && (!number || number->empty())) {
    return Fail(FieldErrors(
        profile, json{{"non_field_errors", json::array({"Either 'name' or 'registration_number' is "
                                                        "required."})}}));
  }
  const std::string request_id = NewUuidV4();
  const json candidates = json::array(
      {{{"kyb_response_id", CandidateHandle(request_id)},
        {"name", name && !name->empty() ? json(Upper(*name)) : json("SANDBOX COMPANY LTD")},
        {"registration_number", number && !number->empty() ? json(*number) : json("00000001")},
        {"status", "active"},
        {"type", "Private Limited Company"},
        {"risk_level", nullptr},
        {"fetch_status", "pending"}}});
  const json vendor_data = options->vendor_data ? json(*options->vendor_data) : json();
  const json metadata = options->metadata ? *options->metadata : json();
  const bool async = webhook_url.has_value();
  out.response =
      JsonResponse(200, json{{"request_id", request_id},
                             {"kyb_registry", Registry(async ? json::array() : candidates, !async)},
                             {"vendor_data", vendor_data},
                             {"metadata", metadata},
                             {"created_at", IsoTime(now_ms)}});
  if (async) {
    // Epoch seconds in the callback, unlike the answer's ISO created_at (OAS).
    const json callback = {
        {"event_id", NewUuidV4()},    {"event_type", "kyb.registry_search.resolved"},
        {"request_id", request_id},   {"vendor_data", vendor_data},
        {"metadata", metadata},       {"search_status", "resolved"},
        {"search_resolved", true},    {"kyb_registry", Registry(candidates, true)},
        {"timestamp", now_ms / 1000}, {"created_at", now_ms / 1000}};
    out.callbacks.push_back({*webhook_url, Dump(callback)});
  }
  (void)search_type;  // one static candidate, whatever the strategy (as Didit's sandbox)
  return out;
}

App::EndpointResult App::KybSelect(const Request& request, std::int64_t now_ms) {
  const SandboxProfile profile = config_.profile;
  EndpointResult out;
  auto body = RequireObject(request, out.response);
  if (!body) return out;
  json errors = json::object();
  auto id = OptionalText(*body, "kyb_response_id", kMaxResponseId, errors);
  if (!id && !errors.contains("kyb_response_id")) {
    errors["kyb_response_id"] = json::array({"This field is required."});
  } else if (id && id->empty()) {
    errors["kyb_response_id"] = json::array({"This field may not be blank."});
  }
  if (!errors.empty()) return Fail(FieldErrors(profile, errors));
  auto options = JsonCheckOptions(profile, *body, out.response);
  if (!options) return out;
  if (!options->save) {
    return Fail(
        FieldError(profile, "save_api_request",
                   "KYB registry select must be saved so billing and retrieval can be tracked."));
  }
  // Saved as a business session (CheckAnswer with the KYB_REGISTRY service),
  // one execution.
  return CheckAnswer(Endpoint::kKybSelect, StaticCompany(), std::move(options->vendor_data),
                     std::move(options->metadata), true, now_ms);
}

}  // namespace idem::sandbox

// PATCH /v3/session/{id}/update-data/ (OAS "Update KYC data extracted from
// the ID document"): only the keys sent are written. The sandbox's KYC record
// is the ID-verification result of a saved `POST /v3/id-verification/`
// check session (its `id_verifications[0]` in the decision); a hosted session
// has none here (the sandbox runs no ID step), so it answers 404 "The session
// does not have a KYC." Didit's other 404s: "Not found." (unknown or deleted
// session), "No Session matches the given query." (status not Approved,
// Declined, In Review or Kyc Expired). Validation per the OAS 400 examples;
// `full_name` is recomputed from first_name + last_name, `extra_fields` and
// `parsed_address` merge key by key (null removes), `formatted_address` is
// recomputed. The answer is the full KYC record (the OAS's updatable fields).
// Fires `data.updated` when at least one field was sent; `{}` returns the
// record, no event, no execution. The sandbox's choices (OAS silent): a
// non-empty update counts as one execution (kind update_session_data) even
// when nothing changed; `issuing_state` is checked as three letters, not
// against ISO 3166; `node_id` is accepted and ignored (one KYC record per
// check session); no KYC_DATA_UPDATED review is appended; the "lookup before
// auth" order is not emulated (auth first, as every sandbox endpoint). Rate
// scope: session-update-kyc (10/min) besides generic-write (rate_scopes.cc).
#include <algorithm>
#include <array>
#include <cctype>

#include "sandbox/app.h"
#include "sandbox/endpoint_support.h"
#include "sandbox/request_fields.h"
#include "sandbox/responses.h"

namespace idem::sandbox {
namespace {

using nlohmann::json;

struct Field {
  const char* name;
  std::size_t max_length;  // 0 = none
  std::initializer_list<const char*> choices;
  bool date = false;
};

const std::array<Field, 15> kFields = {{
    {"document_type",
     0,
     {"P", "DL", "ID", "RP", "SSC", "HIC", "WP", "TC", "VISA", "PSC", "BC", "OTHER"}},
    {"document_subtype", 128, {}},
    {"document_number", 255, {}},
    {"personal_number", 255, {}},
    {"date_of_birth", 0, {}, true},
    {"date_of_issue", 0, {}, true},
    {"expiration_date", 0, {}, true},
    {"issuing_state", 0, {}},
    {"first_name", 255, {}},
    {"last_name", 255, {}},
    {"gender", 0, {"M", "F", "U"}},
    {"address", 255, {}},
    {"place_of_birth", 255, {}},
    {"nationality", 32, {}},
    {"marital_status", 0, {"SINGLE", "MARRIED", "DIVORCED", "WIDOWED", "UNKNOWN"}},
}};

constexpr std::array<std::pair<std::string_view, std::string_view>, 6> kDocumentAliases = {{
    {"Passport", "P"},
    {"Identity Card", "ID"},
    {"Driver's License", "DL"},
    {"Residence Permit", "RP"},
    {"Health Insurance Card", "HIC"},
    {"Tax Card", "TC"},
}};

constexpr std::array<const char*, 7> kAddressKeys = {
    "address_type", "city", "region", "street_1", "street_2", "postal_code", "country"};

bool Letters(const std::string& s, std::size_t n) {
  return s.size() == n &&
         std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isalpha(c); });
}

std::string Upper(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return s;
}

// The KYC record as the OAS's 200 shows it, from the stored check result.
json KycView(const json& kyc) {
  json out = json::object();
  for (const Field& f : kFields) out[f.name] = kyc.value(f.name, json());
  out["extra_fields"] = kyc.value("extra_fields", json::object());
  out["parsed_address"] = kyc.value("parsed_address", json());
  return out;
}

}  // namespace

App::EndpointResult App::UpdateSessionData(const Request& request, const std::string& session_id,
                                           std::int64_t now_ms) {
  auto it = sessions_.find(session_id);
  if (it == sessions_.end() || it->second.deleted) return Fail(DetailResponse(404, "Not found."));
  SessionRecord s = it->second;
  static constexpr std::array<std::string_view, 4> kEditable = {"Approved", "Declined", "In Review",
                                                                "Kyc Expired"};
  if (std::find(kEditable.begin(), kEditable.end(), s.status) == kEditable.end()) {
    return Fail(DetailResponse(404, "No Session matches the given query."));
  }
  if (s.api_service != "ID_VERIFICATION") {
    return Fail(DetailResponse(404, "The session does not have a KYC."));
  }
  EndpointResult out;
  auto body = RequireObject(request, out.response);
  if (!body) return out;
  auto stored = ParseJsonBody(s.check_json);
  json kyc = stored && stored->is_object() ? *stored : json::object();

  json errors = json::object();
  json set = json::object();
  for (const Field& f : kFields) {
    auto v = body->find(f.name);
    if (v == body->end()) continue;
    if (v->is_null()) {
      if (std::string_view(f.name) == "marital_status") {
        errors[f.name].push_back("This field may not be null.");
      } else {
        set[f.name] = nullptr;
      }
      continue;
    }
    if (!v->is_string()) {
      errors[f.name].push_back("Not a valid string.");
      continue;
    }
    std::string value = v->get<std::string>();
    if (std::string_view(f.name) == "document_type") {
      for (const auto& [alias, code] : kDocumentAliases) {
        if (value == alias) value = std::string(code);
      }
    }
    if (f.choices.size() && std::none_of(f.choices.begin(), f.choices.end(),
                                         [&](const char* c) { return value == c; })) {
      errors[f.name].push_back("\"" + v->get<std::string>() + "\" is not a valid choice.");
      continue;
    }
    if (f.max_length && value.size() > f.max_length) {
      errors[f.name].push_back("Ensure this field has no more than " +
                               std::to_string(f.max_length) + " characters.");
      continue;
    }
    if (f.date && !IsIsoDate(value)) {
      errors[f.name].push_back(
          "Date has wrong format. Use one of these formats instead: YYYY-MM-DD.");
      continue;
    }
    if (std::string_view(f.name) == "issuing_state") {
      if (!Letters(value, 3)) {
        errors[f.name].push_back("Invalid ISO 3166-1 alpha-3 country code for issuing_state.");
        continue;
      }
      value = Upper(value);
    }
    set[f.name] = value;
  }
  json extra;
  bool extra_sent = false;
  if (auto v = body->find("extra_fields"); v != body->end()) {
    extra_sent = true;
    if (v->is_null()) {
      extra = json::object();  // every override cleared
    } else if (!v->is_object()) {
      errors["extra_fields"].push_back("This field must be a JSON object.");
    } else {
      extra = kyc.value("extra_fields", json::object());
      if (!extra.is_object()) extra = json::object();
      for (const auto& [key, value] : v->items()) {
        if (value.is_null() || value == "") {
          extra.erase(key);
        } else {
          extra[key] = value;
        }
      }
    }
  }
  json address;
  bool address_sent = false;
  if (auto v = body->find("parsed_address"); v != body->end()) {
    address_sent = true;
    if (v->is_null()) {
      address = nullptr;
    } else if (!v->is_object()) {
      errors["parsed_address"].push_back("This field must be a JSON object.");
    } else {
      json nested = json::object();
      address = kyc.value("parsed_address", json::object());
      if (!address.is_object()) address = json::object();
      for (const auto& [key, value] : v->items()) {
        if (std::find(kAddressKeys.begin(), kAddressKeys.end(), key) == kAddressKeys.end()) {
          nested[key] =
              "Unsupported key. Allowed keys: address_type, city, region, street_1, street_2, "
              "postal_code, country";
        } else if (value.is_null()) {
          address.erase(key);
        } else if (!value.is_string()) {
          nested[key] = "Not a valid string.";
        } else if (key == "country") {
          if (!Letters(value.get<std::string>(), 2)) {
            nested[key] = "Invalid ISO 3166-1 alpha-2 country code.";
          } else {
            address[key] = Upper(value.get<std::string>());
          }
        } else {
          address[key] = value;
        }
      }
      if (!nested.empty()) {
        errors["parsed_address"] = std::move(nested);
      } else {
        std::string formatted;
        for (const char* key :
             {"street_1", "street_2", "city", "region", "postal_code", "country"}) {
          auto part = address.find(key);
          if (part == address.end() || !part->is_string() ||
              part->get_ref<const std::string&>().empty()) {
            continue;
          }
          if (!formatted.empty()) formatted += ", ";
          formatted += part->get<std::string>();
        }
        address["formatted_address"] = formatted.empty() ? json() : json(formatted);
      }
    }
  }
  if (!errors.empty()) return Fail(FieldErrors(config_.profile, errors));
  if (set.empty() && !extra_sent && !address_sent) {
    out.response = JsonResponse(200, KycView(kyc));  // `{}`: the record, nothing fired
    return out;
  }
  for (const auto& [key, value] : set.items()) kyc[key] = value;
  if (extra_sent) kyc["extra_fields"] = extra;
  if (address_sent) kyc["parsed_address"] = address;
  const std::string first =
      kyc.value("first_name", json()).is_string() ? kyc["first_name"].get<std::string>() : "";
  const std::string last =
      kyc.value("last_name", json()).is_string() ? kyc["last_name"].get<std::string>() : "";
  if (!first.empty() || !last.empty()) {
    kyc["full_name"] = first.empty() ? last : last.empty() ? first : first + " " + last;
  }
  s.check_json = Dump(kyc);
  s.updated_ms = now_ms;
  RecordExecution(out, s.vendor_data, s.session_id);
  out.mutation.sessions.push_back(s);
  out.events.push_back(MakeEvent(SandboxSessionEvent::Kind::kDataUpdated, s, s.status, now_ms));
  out.response = JsonResponse(200, KycView(kyc));
  return out;
}

}  // namespace idem::sandbox

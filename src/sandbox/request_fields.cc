#include "sandbox/request_fields.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <optional>
#include <string>

#include "common/crypto.h"

namespace idem::sandbox {
namespace {

using nlohmann::json;

// Didit: "Image size exceeds 2MB." (OAS; the agent skill file says 1 MB).
constexpr std::size_t kMaxPortraitBytes = 2 * 1024 * 1024;

bool IsAlpha3(const std::string& s) {
  return s.size() == 3 &&
         std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isalpha(c) != 0; });
}

bool IsIp(const std::string& s) {
  unsigned char buf[16];
  return inet_pton(AF_INET, s.c_str(), buf) == 1 || inet_pton(AF_INET6, s.c_str(), buf) == 1;
}

bool IsDocumentType(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::toupper(c); });
  for (const char* code : {"P", "ID", "DL", "RP", "HIC", "TC", "SSC"}) {
    if (s == code) return true;
  }
  return false;
}

void Add(json& errors, const std::string& field, std::string message) {
  errors[field].push_back(std::move(message));
}

json ExpectedDetailErrors(const json& d) {
  json errors = json::object();
  static constexpr const char* kText[] = {"first_name",       "last_name",
                                          "date_of_birth",    "nationality",
                                          "id_country",       "gender",
                                          "country",          "poa_country",
                                          "address",          "identification_number",
                                          "ip_address",       "company_name",
                                          "registry_country", "registration_number"};
  for (const char* field : kText) {
    if (auto v = d.find(field); v != d.end() && !v->is_null() && !v->is_string()) {
      Add(errors, field, "Not a valid string.");
    }
  }
  auto text = [&](const char* field) -> std::string {
    auto v = d.find(field);
    return v != d.end() && v->is_string() ? v->get<std::string>() : std::string();
  };
  if (const std::string g = text("gender"); !g.empty() && g != "M" && g != "F") {
    Add(errors, "gender", "\"" + g + "\" is not a valid choice.");
  }
  for (const char* field : {"nationality", "id_country", "poa_country", "country"}) {
    if (const std::string c = text(field); !c.empty() && !IsAlpha3(c)) {
      Add(errors, field, "Enter a valid ISO 3166-1 alpha-3 country code.");
    }
  }
  if (const std::string ip = text("ip_address"); !ip.empty() && !IsIp(ip)) {
    Add(errors, "ip_address", "Enter a valid IPv4 or IPv6 address.");
  }
  if (!text("address").empty() && text("id_country").empty() && text("poa_country").empty() &&
      text("country").empty()) {
    Add(errors, "country",
        "This field is required when address is provided without id_country or poa_country.");
  }
  if (auto v = d.find("expected_document_types"); v != d.end() && !v->is_null()) {
    if (!v->is_array()) {
      Add(errors, "expected_document_types",
          std::string("Expected a list of items but got type \"") +
              (v->is_object() ? "dict" : "str") + "\".");
    } else {
      for (const json& item : *v) {
        if (!item.is_string() || !IsDocumentType(item.get<std::string>())) {
          Add(errors, "expected_document_types",
              "\"" + (item.is_string() ? item.get<std::string>() : item.dump()) +
                  "\" is not a valid choice.");
        }
      }
    }
  }
  return errors;
}

json ContactDetailErrors(const json& c) {
  json errors = json::object();
  for (const char* field : {"email", "email_lang", "phone"}) {
    if (auto v = c.find(field); v != c.end() && !v->is_null() && !v->is_string()) {
      Add(errors, field, "Not a valid string.");
    }
  }
  if (auto v = c.find("send_notification_emails");
      v != c.end() && !v->is_null() && !v->is_boolean()) {
    Add(errors, "send_notification_emails", "Must be a valid boolean.");
  }
  if (auto v = c.find("email"); v != c.end() && v->is_string()) {
    const std::string& e = v->get_ref<const std::string&>();
    const auto at = e.find('@');
    if (at == std::string::npos || at == 0 || e.find('.', at) == std::string::npos) {
      Add(errors, "email", "Enter a valid email address.");
    }
  }
  return errors;
}

}  // namespace

json CreateDetailErrors(const json& body) {
  json errors = json::object();
  // Non-objects are refused by the create endpoint itself ("Must be an object.").
  if (auto d = body.find("expected_details"); d != body.end() && d->is_object()) {
    if (json e = ExpectedDetailErrors(*d); !e.empty()) errors["expected_details"] = std::move(e);
  }
  if (auto c = body.find("contact_details"); c != body.end() && c->is_object()) {
    if (json e = ContactDetailErrors(*c); !e.empty()) errors["contact_details"] = std::move(e);
  }
  if (auto p = body.find("portrait_image"); p != body.end() && !p->is_null()) {
    if (!p->is_string()) {
      Add(errors, "portrait_image", "Not a valid string.");
    } else {
      std::string text = p->get<std::string>();
      // A data URL's prefix is accepted as Didit's SDKs send it.
      if (auto comma = text.find(','); text.rfind("data:", 0) == 0 && comma != std::string::npos) {
        text.erase(0, comma + 1);
      }
      auto bytes = crypto::Base64Decode(text);
      if (text.empty() || !bytes) {
        Add(errors, "portrait_image", "Invalid base64 image.");
      } else if (bytes->size() > kMaxPortraitBytes) {
        Add(errors, "portrait_image", "Image size exceeds 2MB.");
      }
    }
  }
  return errors;
}

json AmlOptionErrors(const json& body) {
  json errors = json::object();
  static constexpr const char* kNumbers[] = {"aml_score_approve_threshold",
                                             "aml_score_review_threshold",
                                             "aml_match_score_threshold",
                                             "aml_name_weight",
                                             "aml_dob_weight",
                                             "aml_country_weight"};
  for (const char* field : kNumbers) {
    auto v = body.find(field);
    if (v == body.end() || v->is_null()) continue;
    if (!v->is_number_integer()) {
      Add(errors, field, "A valid integer is required.");
    } else if (v->get<std::int64_t>() < 0) {
      Add(errors, field, "Ensure this value is greater than or equal to 0.");
    } else if (v->get<std::int64_t>() > 100) {
      Add(errors, field, "Ensure this value is less than or equal to 100.");
    }
  }
  if (!errors.empty()) return errors;
  auto weight = [&](const char* field, int fallback) -> std::int64_t {
    auto v = body.find(field);
    return v == body.end() || v->is_null() ? fallback : v->get<std::int64_t>();
  };
  const std::int64_t sum = weight("aml_name_weight", 60) + weight("aml_dob_weight", 25) +
                           weight("aml_country_weight", 15);
  if (sum != 100) {
    // Didit's exact text is not published (fact sheet §5: "must sum 100").
    Add(errors, "non_field_errors",
        "aml_name_weight, aml_dob_weight and aml_country_weight must sum to 100 (got " +
            std::to_string(sum) + ").");
  }
  return errors;
}

const char* AmlStatusUnderThresholds(const json& body, int score) {
  auto number = [&](const char* field) -> std::optional<std::int64_t> {
    auto v = body.find(field);
    if (v == body.end() || !v->is_number_integer()) return std::nullopt;
    return v->get<std::int64_t>();
  };
  const auto approve = number("aml_score_approve_threshold");
  const auto review = number("aml_score_review_threshold");
  if (!approve && !review) return nullptr;
  if (score > review.value_or(100)) return "Declined";
  if (score > approve.value_or(80)) return "In Review";
  return "Approved";
}

bool IsIsoDate(const std::string& text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return false;
  for (std::size_t i : {0u, 1u, 2u, 3u, 5u, 6u, 8u, 9u}) {
    if (text[i] < '0' || text[i] > '9') return false;
  }
  const int month = (text[5] - '0') * 10 + (text[6] - '0');
  const int day = (text[8] - '0') * 10 + (text[9] - '0');
  return month >= 1 && month <= 12 && day >= 1 && day <= 31;
}

}  // namespace idem::sandbox

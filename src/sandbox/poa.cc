// POST /v3/poa/: Proof of Address (multipart `document`, OAS). One execution
// per 200, saved as a POA session like every standalone check (checks.cc).
// Deterministic: a fixed fictional utility bill; a document whose bytes start
// with "UNREADABLE" gets Didit's extraction failure (400, not billed).
#include <algorithm>
#include <array>
#include <cctype>

#include "sandbox/app.h"
#include "sandbox/check_support.h"
#include "sandbox/endpoint_support.h"
#include "sandbox/responses.h"

namespace idem::sandbox {
namespace {

using nlohmann::json;

constexpr std::array<const char*, 6> kActions = {
    "poa_name_mismatch_action",         "poa_document_issues_action",
    "poa_document_authenticity_action", "poa_unsupported_language_action",
    "poa_address_mismatch_action",      "poa_issuer_not_identified_action"};

// "utility_bill:3,bank_statement:3": document types Didit names, each with
// a whole number of months.
bool ValidAgeMonths(std::string_view text) {
  static constexpr std::string_view kTypes[] = {"utility_bill", "bank_statement",
                                                "government_issued_document", "other_poa_document"};
  while (true) {
    const std::size_t comma = text.find(',');
    const std::string_view item = text.substr(0, comma);
    const std::size_t colon = item.find(':');
    if (colon == std::string_view::npos) return false;
    const std::string_view type = item.substr(0, colon);
    const std::string_view months = item.substr(colon + 1);
    if (std::find(std::begin(kTypes), std::end(kTypes), type) == std::end(kTypes)) return false;
    if (months.empty() || months.size() > 3) return false;
    for (char c : months) {
      if (c < '0' || c > '9') return false;
    }
    if (comma == std::string_view::npos) return true;
    text.remove_prefix(comma + 1);
  }
}

// "en,es": ISO 639-1 codes (two lowercase letters each).
bool ValidLanguages(std::string_view text) {
  while (true) {
    const std::size_t comma = text.find(',');
    const std::string_view code = text.substr(0, comma);
    if (code.size() != 2 || code[0] < 'a' || code[0] > 'z' || code[1] < 'a' || code[1] > 'z') {
      return false;
    }
    if (comma == std::string_view::npos) return true;
    text.remove_prefix(comma + 1);
  }
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

App::EndpointResult App::Poa(const Request& request, std::int64_t now_ms) {
  const SandboxProfile profile = config_.profile;
  EndpointResult out;
  auto parts = CheckParts(request, out.response);
  if (!parts) return out;
  const MultipartPart* document =
      RequiredFile(profile, *parts, "document", 15,
                   {"tiff", "tif", "jpg", "jpeg", "png", "pdf", "webp"}, out.response);
  if (document == nullptr) return out;
  for (const char* action : kActions) {
    if (!ChoiceField(profile, *parts, action, {"DECLINE", "NO_ACTION"}, out.response)) return out;
  }
  if (const MultipartPart* p = FindPart(*parts, "poa_document_age_months");
      p != nullptr && !ValidAgeMonths(p->data)) {
    return Fail(FieldError(profile, "poa_document_age_months",
                           "Expected document_type:months pairs separated by commas, e.g. "
                           "utility_bill:3,bank_statement:3."));
  }
  if (const MultipartPart* p = FindPart(*parts, "poa_languages_allowed");
      p != nullptr && !ValidLanguages(p->data)) {
    return Fail(FieldError(profile, "poa_languages_allowed",
                           "Expected ISO 639-1 language codes separated by commas."));
  }
  auto options = MultipartCheckOptions(profile, *parts, out.response);
  if (!options) return out;
  if (document->data.starts_with("UNREADABLE")) {
    return Fail(
        JsonResponse(400, json{{"error", json::array({"Error extracting POA information"})}}));
  }
  auto text = [&](const char* name) -> json {
    const MultipartPart* p = FindPart(*parts, name);
    return p ? json(p->data) : json(nullptr);
  };
  auto declines = [&](const char* action) {
    const MultipartPart* p = FindPart(*parts, action);
    return p == nullptr || p->data == "DECLINE";
  };
  // The fictional bill is addressed to "Sandbox User"; an expected name that
  // differs is Didit's NAME_MISMATCH, declining unless its action says not.
  json warnings = json::array();
  bool declined = ScoreOf(document->data) < 10;
  for (const auto& [field, on_document] :
       {std::pair{"expected_first_name", "sandbox"}, std::pair{"expected_last_name", "user"}}) {
    const MultipartPart* p = FindPart(*parts, field);
    if (p != nullptr && Lower(p->data) != on_document) {
      warnings.push_back(
          {{"risk", "NAME_MISMATCH"},
           {"feature", "POA"},
           {"short_description", "Name mismatch"},
           {"log_type", declines("poa_name_mismatch_action") ? "error" : "warning"}});
      declined = declined || declines("poa_name_mismatch_action");
      break;
    }
  }
  const std::string issue_date = IsoTime(now_ms - 10LL * 24 * 3600 * 1000).substr(0, 10);
  json result = {{"status", declined ? "Declined" : "Approved"},
                 {"issuing_state", "ESP"},
                 {"document_type", "UTILITY_BILL"},
                 {"document_subtype", "ELECTRICITY_BILL"},
                 {"document_language", "es"},
                 {"issuer", "Sandbox Energia S.A."},
                 {"issue_date", issue_date},
                 {"expiration_date", nullptr},
                 {"poa_address", "Calle Falsa 123, 28013 Madrid, Spain"},
                 {"poa_formatted_address", "Calle Falsa 123, 28013 Madrid, Spain"},
                 {"poa_parsed_address",
                  {{"street_1", "Calle Falsa 123"},
                   {"street_2", nullptr},
                   {"city", "Madrid"},
                   {"region", "Madrid"},
                   {"postal_code", "28013"},
                   {"country", "ESP"}}},
                 {"expected_details_address", text("expected_address")},
                 {"expected_details_country", text("expected_country")},
                 {"expected_details_first_name", text("expected_first_name")},
                 {"expected_details_last_name", text("expected_last_name")},
                 {"name_on_document", "Sandbox User"},
                 {"extra_fields", json::object()},
                 {"detected_codes", json::array()},
                 {"warnings", std::move(warnings)}};
  return CheckAnswer(Endpoint::kPoa, std::move(result), std::move(options->vendor_data),
                     std::move(options->metadata), options->save, now_ms);
}

}  // namespace idem::sandbox

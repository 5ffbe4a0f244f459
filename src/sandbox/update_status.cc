// PATCH /v3/session/{id}/update-status/: the manual review decision.
// didit (OAS: PATCH /v3/session/{sessionId}/update-status/): 404 first, then
// the current status must be reviewable (checked before the body, as Didit
// does), then the body's fields (DRF errors, all fields at once), then the
// new status must differ from the current one (400, a bare JSON array).
// ideal: any current status, and the current status again answers 200 and
// changes nothing. Both validate the same fields and append a review.
#include <algorithm>
#include <array>

#include "sandbox/app.h"
#include "sandbox/endpoint_support.h"
#include "sandbox/responses.h"

namespace idem::sandbox {
namespace {

using nlohmann::json;

constexpr std::array<std::string_view, 6> kReviewable = {"Approved",    "Declined",  "In Review",
                                                         "Kyc Expired", "Abandoned", "Resubmitted"};
constexpr std::array<std::string_view, 10> kAllStatuses = {
    "Not Started",   "In Progress", "Approved", "Declined",  "In Review",
    "Awaiting User", "Resubmitted", "Expired",  "Abandoned", "Kyc Expired"};
// `nodes_to_resubmit[].feature` (OAS enum).
constexpr std::array<std::string_view, 24> kResubmitFeatures = {"OCR",
                                                                "OCR_BACK",
                                                                "NFC",
                                                                "AML",
                                                                "FACE",
                                                                "LIVENESS",
                                                                "FACE_MATCH",
                                                                "IP_ANALYSIS",
                                                                "AGE_ESTIMATION",
                                                                "PROOF_OF_ADDRESS",
                                                                "PHONE_VERIFICATION",
                                                                "EMAIL_VERIFICATION",
                                                                "FACE_SEARCH",
                                                                "DATABASE_VALIDATION",
                                                                "QUESTIONNAIRE",
                                                                "DOCUMENT_AI",
                                                                "KYB_DOCUMENTS",
                                                                "ID_VERIFICATION",
                                                                "POA",
                                                                "PHONE",
                                                                "EMAIL",
                                                                "KYB_REGISTRY",
                                                                "KYB_KEY_PEOPLE",
                                                                "KYB"};
// Valid by schema, always refused for a resubmission (parents recompute).
constexpr std::array<std::string_view, 3> kKybParents = {"KYB_REGISTRY", "KYB_KEY_PEOPLE", "KYB"};
constexpr char kFeatureChoices[] =
    "OCR, OCR_BACK, NFC, AML, FACE, LIVENESS, FACE_MATCH, IP_ANALYSIS, AGE_ESTIMATION, "
    "PROOF_OF_ADDRESS, PHONE_VERIFICATION, EMAIL_VERIFICATION, FACE_SEARCH, DATABASE_VALIDATION, "
    "QUESTIONNAIRE, KYB_REGISTRY, KYB_DOCUMENTS, KYB_KEY_PEOPLE, ID_VERIFICATION, POA, PHONE, "
    "EMAIL, KYB";

template <std::size_t N>
bool OneOf(const std::array<std::string_view, N>& set, std::string_view value) {
  return std::find(set.begin(), set.end(), value) != set.end();
}

// DRF's ChoiceField message; a non-string is printed as its JSON text.
std::string NotAChoice(const json& v) {
  return "\"" + (v.is_string() ? v.get<std::string>() : Dump(v)) + "\" is not a valid choice.";
}

bool LooksLikeEmail(const std::string& s) {
  const std::size_t at = s.find('@');
  return at != std::string::npos && at > 0 && at + 1 < s.size() &&
         s.find('@', at + 1) == std::string::npos &&
         s.find_first_of(" \t\r\n") == std::string::npos &&
         s.find('.', at + 1) != std::string::npos;
}

struct UpdateInput {
  std::string new_status;
  json comment = nullptr;             // string or null
  std::vector<std::string> features;  // of nodes_to_resubmit
};

// Per-item errors of nodes_to_resubmit, or an empty array when all are valid.
json ValidateNodes(const json& nodes, std::vector<std::string>& features) {
  json errors = json::array();
  bool any = false;
  for (const json& node : nodes) {
    json e = json::object();
    if (!node.is_object()) {
      e["non_field_errors"] =
          json::array({std::string("Invalid data. Expected a dictionary, but got ") +
                       PythonTypeName(node) + "."});
    } else {
      auto id = node.find("node_id");
      if (id == node.end()) {
        e["node_id"] = json::array({"This field is required."});
      } else if (!id->is_string()) {
        e["node_id"] = json::array({"Not a valid string."});
      }
      auto feature = node.find("feature");
      if (feature == node.end()) {
        e["feature"] = json::array({"This field is required."});
      } else if (!feature->is_string() || !OneOf(kResubmitFeatures, feature->get<std::string>())) {
        e["feature"] =
            json::array({NotAChoice(*feature) + " Valid choices are: " + kFeatureChoices});
      } else {
        features.push_back(feature->get<std::string>());
      }
    }
    any = any || !e.empty();
    errors.push_back(std::move(e));
  }
  return any ? errors : json::array();
}

// The body's field errors ({} when valid), filling `in`.
json ValidateBody(const json& b, UpdateInput& in) {
  json errors = json::object();
  auto field = [&](const char* name) -> const json* {
    auto it = b.find(name);
    return it == b.end() ? nullptr : &*it;
  };
  auto fail = [&](const char* name, std::string message) {
    errors[name] = json::array({std::move(message)});
  };
  if (const json* v = field("new_status"); v == nullptr) {
    fail("new_status", "This field is required.");
  } else if (v->is_null()) {
    fail("new_status", "This field may not be null.");
  } else if (v->is_string() && (*v == "Approved" || *v == "Declined" || *v == "Resubmitted")) {
    in.new_status = v->get<std::string>();
  } else if (v->is_string() && OneOf(kAllStatuses, v->get<std::string>())) {
    fail("new_status",
         "You can only update the status to 'Approved', 'Declined', or 'Resubmitted'.");
  } else {
    fail("new_status", NotAChoice(*v));
  }
  if (const json* v = field("comment"); v != nullptr && !v->is_null()) {
    if (v->is_string()) {
      in.comment = *v;
    } else {
      fail("comment", "Not a valid string.");
    }
  }
  bool send_email = false;
  if (const json* v = field("send_email"); v != nullptr) {
    if (v->is_boolean()) {
      send_email = v->get<bool>();
    } else {
      fail("send_email", v->is_null() ? "This field may not be null." : "Must be a valid boolean.");
    }
  }
  if (const json* v = field("email_address"); v != nullptr) {
    if (!v->is_string()) {
      fail("email_address", v->is_null() ? "This field may not be null." : "Not a valid string.");
    } else if (!LooksLikeEmail(v->get<std::string>())) {
      fail("email_address", "Enter a valid email address.");
    }
  } else if (send_email) {
    fail("email_address", "Email address is required when send_email is true.");
  }
  if (const json* v = field("email_language"); v != nullptr && !v->is_string()) {
    fail("email_language", v->is_null() ? "This field may not be null." : "Not a valid string.");
  }
  if (const json* v = field("nodes_to_resubmit"); v != nullptr) {
    if (!v->is_array()) {
      fail("nodes_to_resubmit", v->is_null()
                                    ? "This field may not be null."
                                    : std::string("Expected a list of items but got type \"") +
                                          PythonTypeName(*v) + "\".");
    } else if (json items = ValidateNodes(*v, in.features); !items.empty()) {
      errors["nodes_to_resubmit"] = std::move(items);
    }
  }
  return errors;
}

}  // namespace

App::EndpointResult App::UpdateStatus(const Request& request, const std::string& session_id,
                                      std::int64_t now_ms) {
  const bool didit = config_.profile == SandboxProfile::kDidit;
  auto it = sessions_.find(session_id);
  if (it == sessions_.end() || it->second.deleted) {
    return Fail(DetailResponse(404, "Session not found."));
  }
  SessionRecord s = it->second;
  if (didit && !OneOf(kReviewable, s.status)) {
    return Fail(DetailResponse(400,
                               "Only sessions with status Approved, Declined, In Review, Kyc "
                               "Expired, Abandoned, Resubmitted can be updated. Current status: " +
                                   s.status));
  }
  EndpointResult out;
  auto body = RequireObject(request, out.response);
  if (!body) return out;
  UpdateInput in;
  if (json errors = ValidateBody(*body, in); !errors.empty()) {
    return Fail(FieldErrors(config_.profile, errors));
  }
  if (didit && in.new_status == "Resubmitted") {
    std::string parents;
    for (const auto& f : in.features) {
      if (OneOf(kKybParents, f)) parents += (parents.empty() ? "" : ", ") + f;
    }
    if (!parents.empty()) {
      return Fail(JsonResponse(
          400, json{{"nodes_to_resubmit",
                     "The following features cannot be resubmitted directly: " + parents +
                         ". Resubmit the relevant child KYC sessions instead; the parent will "
                         "recompute automatically."}}));
    }
  }
  out.response = JsonResponse(200, json{{"session_id", s.session_id}});
  if (s.status == in.new_status) {
    // didit: not repeatable with the same value (a double submission is
    // harmless, and visible). ideal: 200, nothing happens, no event.
    if (didit)
      return Fail(
          JsonResponse(400, json::array({"The new status is the same as the current status."})));
    return out;
  }
  const std::string previous = s.status;
  s.status = in.new_status;
  s.updated_ms = now_ms;
  json reviews = json::parse(s.reviews_json, nullptr, false);
  if (!reviews.is_array()) reviews = json::array();
  reviews.push_back({{"user", "API Client"},
                     {"new_status", in.new_status},
                     {"comment", in.comment},
                     {"created_at", IsoTime(now_ms)}});
  s.reviews_json = Dump(reviews);
  RecordSessionChange(out, s, SandboxSessionEvent::Kind::kStatusChanged, previous, now_ms);
  return out;
}

}  // namespace idem::sandbox

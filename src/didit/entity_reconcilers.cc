#include "didit/entity_reconcilers.h"

#include <cctype>
#include <memory>
#include <span>

#include "didit/json_util.h"
#include "didit/surface_reconcilers.h"
#include "didit/workflow_reconciler.h"
#include "idem/didit/session_data.h"
#include "idem/didit/users.h"
#include "idem/didit/workflows.h"

namespace idem::didit::internal {
namespace {

using nlohmann::json;
using Outcome = ReconcileResult::Outcome;

// The collection's path and what its records are called in notes.
std::string_view CollectionPath(EntityKind kind) {
  return kind == EntityKind::kUser ? "/v3/users/" : "/v3/businesses/";
}
std::string_view Noun(EntityKind kind) { return kind == EntityKind::kUser ? "user" : "business"; }

}  // namespace

std::string EntityMismatch(EntityKind kind, const json& sent, const json& found,
                           std::int64_t op_created_ms) {
  if (!sent.is_object() || !found.is_object()) return "unreadable";
  if (StringField(found, "vendor_data") != StringField(sent, "vendor_data")) return "vendor_data";
  const auto at = ParseIsoMillis(StringField(found, "created_at"));
  if (at && *at < op_created_ms - kLookupClockSkewMs) return std::string(kEntityOlderThanOp);
  static constexpr const char* kUser[] = {"full_name", "display_name", "date_of_birth"};
  static constexpr const char* kBusiness[] = {"legal_name", "display_name", "registration_number",
                                              "country_code"};
  for (const char* field : kind == EntityKind::kUser ? std::span<const char* const>(kUser)
                                                     : std::span<const char* const>(kBusiness)) {
    if (sent.contains(field) && StringField(sent, field) != StringField(found, field)) {
      return field;
    }
  }
  return {};
}

void EntityCreateReconciler::Lookup(const Operation& op, Done done) {
  auto sent = SafeParse(op.body);
  const std::string vendor_data = sent ? StringField(*sent, "vendor_data") : "";
  if (vendor_data.empty()) {
    return done(
        LookupAnswer(Outcome::kUnresolvable,
                     "the stored request has no vendor_data: nothing to look the record up by"));
  }
  const std::string path = std::string(CollectionPath(kind_)) + UrlEncode(vendor_data) + "/";
  GetJson(
      target_, target_.base_url + path,
      [kind = kind_, path, vendor_data, sent = std::move(*sent), created = op.created_ms,
       done = std::move(done)](int status, std::optional<json> found, Headers headers,
                               std::string why) {
        // Not there: not executed; a re-send is safe (Didit refuses a
        // second record with the vendor_data).
        if (status == 404) return done(LookupAnswer(Outcome::kNotFound));
        if (!found || !found->is_object()) {
          return done(LookupAnswer(Outcome::kFailed, "look-up: " + why, std::move(headers)));
        }
        const std::string mismatch = EntityMismatch(kind, sent, *found, created);
        // There before the op: this op's create is (or will be) refused.
        if (mismatch == kEntityOlderThanOp) return done(LookupAnswer(Outcome::kNotFound));
        if (!mismatch.empty()) {
          return done(LookupAnswer(Outcome::kUnresolvable,
                                   "vendor_data " + vendor_data + " exists with another request (" +
                                       mismatch + "): not this op's, or not only"));
        }
        const std::string id = StringField(*found, "didit_internal_id");
        auto text = SafeDump(*found);
        done(FoundResource(id, 201, text ? *text : "{}",
                           "GET " + path + ": " + std::string(Noun(kind)) + " " + id));
      });
}

namespace {

std::string UpperText(const json& v) {
  std::string s = v.is_string() ? v.get<std::string>() : std::string();
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

// Didit's long-form document types, normalised before validation (OAS).
json DocumentCode(const json& v) {
  static const std::pair<const char*, const char*> kAliases[] = {
      {"Passport", "P"},          {"Identity Card", "ID"},          {"Driver's License", "DL"},
      {"Residence Permit", "RP"}, {"Health Insurance Card", "HIC"}, {"Tax Card", "TC"}};
  for (const auto& [alias, code] : kAliases) {
    if (v == alias) return code;
  }
  return v;
}

// Each key of `sent` (an object of a merged map) in `held`: null or ""
// absent, else equal (`upper` keys compared uppercase).
bool MapHolds(const json& sent, const json& held, const char* upper) {
  const json map = held.is_object() ? held : json::object();
  for (const auto& [key, value] : sent.items()) {
    auto it = map.find(key);
    const bool present = it != map.end() && !it->is_null();
    if (value.is_null() || value == "") {
      if (present) return false;
    } else if (!present) {
      return false;
    } else if (key == upper ? UpperText(*it) != UpperText(value) : *it != value) {
      return false;
    }
  }
  return true;
}

}  // namespace

std::string KycMismatch(const json& sent, const json& kyc) {
  if (!sent.is_object() || !kyc.is_object()) return "unreadable";
  for (const auto& [key, value] : sent.items()) {
    if (key == "node_id") continue;
    const json held = kyc.value(key, json());
    if (key == "extra_fields" || key == "parsed_address") {
      if (value.is_null()) {
        // extra_fields null clears every override: the OCR values may remain,
        // so it cannot be told from the record; parsed_address null clears it.
        if (key == "extra_fields" || !held.is_null()) return key;
        continue;
      }
      if (!value.is_object() || !MapHolds(value, held, key == "parsed_address" ? "country" : ""))
        return key;
      continue;
    }
    if (key == "issuing_state") {
      if (value.is_null() ? !held.is_null() : UpperText(held) != UpperText(value)) return key;
      continue;
    }
    if ((key == "document_type" ? DocumentCode(value) : value) != held) return key;
  }
  return {};
}

void SessionDataReconciler::Lookup(const Operation& op, Done done) {
  // "/v3/session/{id}/update-data/[?node_id=N]"
  const std::string prefix = "/v3/session/";
  const std::size_t end = op.path.find('/', prefix.size());
  if (op.path.compare(0, prefix.size(), prefix) != 0 || end == std::string::npos) {
    return done(LookupAnswer(Outcome::kUnresolvable, "the stored path names no session"));
  }
  const std::string session = op.path.substr(prefix.size(), end - prefix.size());
  auto parsed = SafeParse(op.body);
  if (!parsed || !parsed->is_object()) {
    return done(LookupAnswer(Outcome::kUnresolvable, "the stored request is unreadable"));
  }
  std::string node = StringField(*parsed, "node_id");
  if (const std::size_t q = op.path.find("?node_id="); q != std::string::npos) {
    node = op.path.substr(q + 9);  // as sent: UrlEncode'd; node ids are plain names
  }
  const std::string path = prefix + session + "/decision/";
  GetJson(target_, target_.base_url + path,
          [session, path, node, sent = std::move(*parsed), done = std::move(done)](
              int status, std::optional<json> decision, Headers headers, std::string why) {
            // Gone, or no KYC: the re-send gets Didit's own 404 (a refusal).
            if (status == 404) return done(LookupAnswer(Outcome::kNotFound));
            if (!decision || !decision->is_object()) {
              return done(LookupAnswer(Outcome::kFailed, "look-up: " + why, std::move(headers)));
            }
            auto records = decision->find("id_verifications");
            if (records == decision->end() || !records->is_array() || records->empty()) {
              return done(LookupAnswer(Outcome::kNotFound));
            }
            const json* kyc = &records->back();
            if (!node.empty()) {
              kyc = nullptr;
              for (const json& r : *records) {
                if (r.is_object() && StringField(r, "node_id") == node) kyc = &r;
              }
              if (!kyc) return done(LookupAnswer(Outcome::kNotFound));
            }
            if (!KycMismatch(sent, *kyc).empty()) return done(LookupAnswer(Outcome::kNotFound));
            auto text = SafeDump(*kyc);
            done(FoundResource(session, 200, text ? *text : "{}",
                               "GET " + path + ": the KYC record holds the update"));
          });
}

void AddEntityReconcilers(ClientOptions& options) {
  LookupTarget target{options.transport, options.base_url, options.api_key, options.journal};
  auto id_of = [](const Operation& op) -> std::string {
    auto parsed = SafeParse(op.response_body);
    return parsed && parsed->is_object() ? StringField(*parsed, "didit_internal_id")
                                         : std::string();
  };
  const std::string user(kCreateUserKind);
  const std::string business(kCreateBusinessKind);
  options.reconcilers[user] = std::make_shared<EntityCreateReconciler>(target, EntityKind::kUser);
  options.reconcilers[business] =
      std::make_shared<EntityCreateReconciler>(target, EntityKind::kBusiness);
  options.resource_id_of[user] = id_of;
  options.resource_id_of[business] = id_of;
  // Looked up in the decision; not there: sent again (a PATCH of absolute
  // values; one more data.updated webhook, session_data.h).
  const std::string data(kUpdateSessionDataKind);
  options.reconcilers[data] = std::make_shared<SessionDataReconciler>(target);
  // Workflows: nothing unique at Didit; the list by label and features
  // (workflow_reconciler.h).
  const std::string workflow(kCreateWorkflowKind);
  options.reconcilers[workflow] = std::make_shared<WorkflowReconciler>(target, 5);
  options.resource_id_of[workflow] = [](const Operation& op) -> std::string {
    auto parsed = SafeParse(op.response_body);
    return parsed && parsed->is_object() ? StringField(*parsed, "uuid") : std::string();
  };
  options.resource_id_of[data] = [](const Operation& op) {
    // "/v3/session/{id}/update-data/..." -> id
    const std::string prefix = "/v3/session/";
    const std::size_t end = op.path.find('/', prefix.size());
    return op.path.compare(0, prefix.size(), prefix) == 0 && end != std::string::npos
               ? op.path.substr(prefix.size(), end - prefix.size())
               : std::string();
  };
}

}  // namespace idem::didit::internal

// Workflows (OAS `POST /v3/workflows/`, `GET /v3/workflows/`, `GET
// /v3/workflows/{settings_uuid}/`). A create is "not idempotent, each call
// creates a new workflow" (OAS): 201 with the configuration, counted as one
// execution (kind create_workflow, no vendor_data), not billed. Didit's
// answer is the full `VerificationSettings` (~190 fields); the sandbox
// answers the fields of the OAS example (uuid = workflow_id, workflow_label,
// is_default, features as a " + "-joined string, workflow_url,
// workflow_graph, the retry and attempt settings, version 1, status,
// published_at, created_at, updated_at, prices). The list is newest first in
// the limit/offset envelope (default 50), rows as the OAS's WorkflowListItem
// (no created_at there, as the OAS). The OAS 400s: a key outside the
// whitelist, no feature, an unknown feature, FACE_MATCH before OCR, a
// questionnaire that does not exist (always so here: the sandbox has no
// questionnaires; the OAS gives that message as a bare string).
// *Decided* (the OAS names the rule, not the message): a passive first step
// (AML, IP_ANALYSIS, DATABASE_VALIDATION, KYB_KEY_PEOPLE) -> "Feature 'AML'
// cannot be the first step."; more than 50 workflows -> non_field_errors
// "Maximum 50 workflows per application."; DRF's messages for a wrong type,
// a label over 50 and integers out of range; 415 for a Content-Type other
// than application/json (DRF's "Unsupported media type ..."); DOCUMENT_AI is
// accepted (in the feature enum, absent from the 400's list); prices 0; an
// `is_default` create clears the flag of the others. Sessions are not
// checked against these workflows (any workflow_id is taken, as before).
// Rate scope: generic-write / generic-get. Records are entities: memory only.
#include <algorithm>
#include <array>
#include <charconv>

#include "idem/uuid.h"
#include "sandbox/app.h"
#include "sandbox/endpoint_support.h"
#include "sandbox/responses.h"

namespace idem::sandbox {
namespace {

using nlohmann::json;

constexpr char kWorkflow[] = "workflow";
constexpr std::size_t kMaxWorkflows = 50;

constexpr std::array<std::string_view, 11> kAccepted = {"workflow_label",
                                                        "is_default",
                                                        "status",
                                                        "features",
                                                        "is_white_label_enabled",
                                                        "is_desktop_allowed",
                                                        "max_retry_attempts",
                                                        "retry_window_days",
                                                        "session_expiration_time",
                                                        "face_liveness_max_attempts",
                                                        "face_match_max_attempts"};

constexpr std::array<std::string_view, 16> kFeatures = {"AGE_ESTIMATION",
                                                        "AML",
                                                        "DATABASE_VALIDATION",
                                                        "DOCUMENT_AI",
                                                        "EMAIL_VERIFICATION",
                                                        "FACE_MATCH",
                                                        "IP_ANALYSIS",
                                                        "KYB_DOCUMENTS",
                                                        "KYB_KEY_PEOPLE",
                                                        "KYB_REGISTRY",
                                                        "LIVENESS",
                                                        "NFC",
                                                        "OCR",
                                                        "PHONE_VERIFICATION",
                                                        "PROOF_OF_ADDRESS",
                                                        "QUESTIONNAIRE"};

constexpr std::array<std::string_view, 4> kPassive = {"AML", "IP_ANALYSIS", "DATABASE_VALIDATION",
                                                      "KYB_KEY_PEOPLE"};

struct IntField {
  const char* name;
  std::int64_t min, max, fallback;
  bool nullable;
};
constexpr std::array<IntField, 5> kInts = {
    {{"max_retry_attempts", 0, 10, 3, false},
     {"retry_window_days", 1, 365, 7, true},
     {"face_liveness_max_attempts", 1, 3, 3, false},
     {"face_match_max_attempts", 1, 3, 3, false},
     {"session_expiration_time", 3600, 2419200, 604800, false}}};

// The list row (WorkflowListItem) of a stored configuration.
json ListItem(const json& w) {
  json row = json::object();
  for (const char* f : {"uuid",
                        "workflow_id",
                        "workflow_label",
                        "workflow_type",
                        "is_default",
                        "is_archived",
                        "is_white_label_enabled",
                        "total_price",
                        "min_price",
                        "max_price",
                        "features",
                        "is_simple_workflow",
                        "is_editable",
                        "workflow_url",
                        "max_retry_attempts",
                        "retry_window_days",
                        "session_expiration_time",
                        "version",
                        "status",
                        "updated_at"}) {
    row[f] = w.value(f, json());
  }
  row["has_draft"] = w.value("status", "") == "draft";
  row["created_by"] = nullptr;
  return row;
}

}  // namespace

App::EndpointResult App::CreateWorkflow(const Request& request, std::int64_t now_ms) {
  EndpointResult out;
  if (auto ct = FindHeader(request.headers, "Content-Type");
      ct && ct->substr(0, ct->find(';')) != "application/json") {
    return Fail(DetailResponse(
        415, "Unsupported media type \"" + std::string(ct->substr(0, 100)) + "\" in request."));
  }
  auto body = RequireObject(request, out.response);
  if (!body) return out;
  json errors = json::object();
  for (const auto& [key, value] : body->items()) {
    if (std::find(kAccepted.begin(), kAccepted.end(), key) == kAccepted.end()) {
      errors[key].push_back(
          "The v3 workflow API only accepts `workflow_label`, `is_default`, `status`, `features`, "
          "`is_white_label_enabled`, `is_desktop_allowed`, `max_retry_attempts`, "
          "`retry_window_days`, `session_expiration_time`, `face_liveness_max_attempts`, "
          "`face_match_max_attempts`.");
    }
  }
  std::string label = "ID Verification";
  if (auto it = body->find("workflow_label"); it != body->end() && !it->is_null()) {
    if (!it->is_string()) {
      errors["workflow_label"].push_back("Not a valid string.");
    } else if (it->get_ref<const std::string&>().size() > 50) {
      errors["workflow_label"].push_back("Ensure this field has no more than 50 characters.");
    } else if (!it->get_ref<const std::string&>().empty()) {
      label = it->get<std::string>();
    }
  }
  std::string status = "published";
  if (auto it = body->find("status"); it != body->end() && !it->is_null()) {
    if (!it->is_string() || (*it != "draft" && *it != "published")) {
      errors["status"].push_back("\"" + (it->is_string() ? it->get<std::string>() : it->dump()) +
                                 "\" is not a valid choice.");
    } else {
      status = it->get<std::string>();
    }
  }
  json flags = json::object();
  for (const char* f : {"is_default", "is_white_label_enabled", "is_desktop_allowed"}) {
    flags[f] = false;
    if (auto it = body->find(f); it != body->end() && !it->is_null()) {
      if (!it->is_boolean()) {
        errors[f].push_back("Must be a valid boolean.");
      } else {
        flags[f] = *it;
      }
    }
  }
  json ints = json::object();
  for (const IntField& f : kInts) {
    ints[f.name] = f.fallback;
    auto it = body->find(f.name);
    if (it == body->end()) continue;
    if (it->is_null()) {
      if (f.nullable) {
        ints[f.name] = nullptr;
      } else {
        errors[f.name].push_back("This field may not be null.");
      }
      continue;
    }
    if (!it->is_number_integer()) {
      errors[f.name].push_back("A valid integer is required.");
    } else if (it->get<std::int64_t>() < f.min) {
      errors[f.name].push_back("Ensure this value is greater than or equal to " +
                               std::to_string(f.min) + ".");
    } else if (it->get<std::int64_t>() > f.max) {
      errors[f.name].push_back("Ensure this value is less than or equal to " +
                               std::to_string(f.max) + ".");
    } else {
      ints[f.name] = *it;
    }
  }
  std::vector<std::string> features;
  auto list = body->find("features");
  if (list == body->end() || list->is_null() || (list->is_array() && list->empty())) {
    errors["features"].push_back("At least one feature is required.");
  } else if (!list->is_array()) {
    errors["features"].push_back(std::string("Expected a list of items but got type \"") +
                                 PythonTypeName(*list) + "\".");
  } else {
    for (const json& item : *list) {
      const json name = item.is_object() ? item.value("feature", json()) : json();
      if (!name.is_string() || std::find(kFeatures.begin(), kFeatures.end(),
                                         name.get<std::string>()) == kFeatures.end()) {
        errors["features"].push_back(
            "Invalid feature '" + (name.is_string() ? name.get<std::string>() : name.dump()) +
            "'. Allowed values: AGE_ESTIMATION, AML, DATABASE_VALIDATION, EMAIL_VERIFICATION, "
            "FACE_MATCH, IP_ANALYSIS, KYB_DOCUMENTS, KYB_KEY_PEOPLE, KYB_REGISTRY, LIVENESS, NFC, "
            "OCR, PHONE_VERIFICATION, PROOF_OF_ADDRESS, QUESTIONNAIRE.");
        break;
      }
      if (auto config = item.find("config");
          config != item.end() && !config->is_null() && !config->is_object()) {
        errors["features"].push_back("Feature config must be an object.");  // decided
        break;
      }
      const std::string f = name.get<std::string>();
      if (features.empty() && std::find(kPassive.begin(), kPassive.end(), f) != kPassive.end()) {
        errors["features"].push_back("Feature '" + f + "' cannot be the first step.");
        break;
      }
      if (f == "FACE_MATCH" &&
          std::find(features.begin(), features.end(), "OCR") == features.end()) {
        errors["features"].push_back("Feature 'FACE_MATCH' must appear after one of: OCR.");
        break;
      }
      if (f == "QUESTIONNAIRE") {
        const json config = item.value("config", json::object());
        const json q = config.is_object() ? config.value("questionnaire_uuid", json()) : json();
        errors["features"] = "Questionnaire '" + (q.is_string() ? q.get<std::string>() : "") +
                             "' was not found for this application. Create the questionnaire "
                             "first, then use its questionnaire_id.";
        break;
      }
      features.push_back(f);
    }
  }
  if (errors.empty() && Entities(kWorkflow).size() >= kMaxWorkflows) {
    errors["non_field_errors"].push_back("Maximum 50 workflows per application.");
  }
  if (!errors.empty()) return Fail(FieldErrors(config_.profile, errors));

  const std::string uuid = NewUuidV4();
  const std::string at = IsoTime(now_ms);
  std::string joined;
  json nodes = json::array();
  for (std::size_t i = 0; i < features.size(); ++i) {
    if (i) joined += " + ";
    joined += features[i];
    std::string id = features[i];
    std::transform(id.begin(), id.end(), id.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    nodes.push_back({{"id", id},
                     {"feature", features[i]},
                     {"next", i + 1 < features.size() ? json(features[i + 1]) : json("status")}});
  }
  nodes.push_back({{"id", "status"}, {"feature", "STATUS"}, {"next", nullptr}});
  json w = {{"uuid", uuid},
            {"workflow_id", uuid},
            {"workflow_label", label},
            {"workflow_type", nullptr},
            {"is_default", flags["is_default"]},
            {"is_archived", false},
            {"is_white_label_enabled", flags["is_white_label_enabled"]},
            {"is_desktop_allowed", flags["is_desktop_allowed"]},
            {"total_price", 0},
            {"min_price", 0},
            {"max_price", 0},
            {"features", joined},
            {"is_simple_workflow", false},
            {"is_editable", false},
            {"workflow_url", "https://verify.didit.me/u/" + uuid.substr(0, 8) + uuid.substr(9, 4)},
            {"workflow_graph", {{"start_node", nodes[0]["id"]}, {"nodes", nodes}}},
            {"version", 1},
            {"status", status},
            {"published_at", status == "published" ? json(at) : json(nullptr)},
            {"created_at", at},
            {"updated_at", at}};
  for (const auto& [key, value] : ints.items()) w[key] = value;
  if (flags["is_default"] == true) {
    for (const EntityRecord* e : Entities(kWorkflow)) {
      auto other = ParseJsonBody(e->json);
      if (!other || other->value("is_default", false) != true) continue;
      (*other)["is_default"] = false;
      out.mutation.entities.push_back({kWorkflow, e->id, Dump(*other), e->seq, false});
    }
  }
  out.mutation.entities.push_back({kWorkflow, uuid, Dump(w), next_entity_seq_, false});
  RecordExecution(out, std::nullopt, uuid);
  out.response = JsonResponse(201, w);
  return out;
}

App::EndpointResult App::GetWorkflow(const std::string& uuid) {
  return StoredJson(FindEntity(kWorkflow, uuid));
}

App::EndpointResult App::ListWorkflows(const Request& request, std::string_view query) {
  Response error;
  const std::optional<LimitOffset> paging = ReadLimitOffset(config_.profile, query, error);
  if (!paging) return Fail(std::move(error));
  const std::size_t limit = paging->limit, offset = paging->offset;
  std::vector<const EntityRecord*> all = Entities(kWorkflow);
  std::reverse(all.begin(), all.end());  // newest first
  const Page page = Paginate(all.size(), limit, offset);
  auto link = [&](std::optional<std::size_t> at) -> json {
    if (!at) return nullptr;
    return BaseUrl(request) + "/v3/workflows/?limit=" + std::to_string(limit) +
           "&offset=" + std::to_string(*at);
  };
  json results = json::array();
  for (std::size_t i = page.begin; i < page.end; ++i) {
    if (auto w = ParseJsonBody(all[i]->json)) results.push_back(ListItem(*w));
  }
  EndpointResult out;
  out.response = JsonResponse(200, json{{"count", all.size()},
                                        {"next", link(page.next_offset)},
                                        {"previous", link(page.previous_offset)},
                                        {"results", results}});
  return out;
}

}  // namespace idem::sandbox

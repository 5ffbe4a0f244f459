// Workflows (include/idem/didit/workflows.h).
#include "idem/didit/workflows.h"

#include "didit/call_and_parse.h"
#include "didit/json_util.h"
#include "idem/didit/op_outcome.h"

namespace idem::didit {
namespace {

using internal::OptBool;
using internal::OptInt;
using internal::OptString;
using nlohmann::json;

using internal::Plain;

[[nodiscard]] Result<Workflow> FromJson(json o) {
  if (!o.is_object()) return MakeError(ErrorCode::kCorruption, "the workflow is not an object");
  Workflow w;
  IDEM_JSON_SET(w.uuid, internal::RequiredString(o, "uuid"));
  std::optional<std::string> id;
  IDEM_JSON_SET(id, OptString(o, "workflow_id"));
  w.workflow_id = id.value_or(w.uuid);
  IDEM_JSON_SET(w.workflow_label, OptString(o, "workflow_label"));
  IDEM_JSON_SET(w.workflow_type, OptString(o, "workflow_type"));
  IDEM_JSON_SET(w.is_default, OptBool(o, "is_default"));
  IDEM_JSON_SET(w.is_archived, OptBool(o, "is_archived"));
  IDEM_JSON_SET(w.features, OptString(o, "features"));
  IDEM_JSON_SET(w.workflow_url, OptString(o, "workflow_url"));
  IDEM_JSON_SET(w.status, OptString(o, "status"));
  IDEM_JSON_SET(w.version, OptInt(o, "version"));
  IDEM_JSON_SET(w.max_retry_attempts, OptInt(o, "max_retry_attempts"));
  IDEM_JSON_SET(w.retry_window_days, OptInt(o, "retry_window_days"));
  IDEM_JSON_SET(w.session_expiration_time, OptInt(o, "session_expiration_time"));
  IDEM_JSON_SET(w.created_at, OptString(o, "created_at"));
  IDEM_JSON_SET(w.updated_at, OptString(o, "updated_at"));
  w.raw = std::move(o);
  return w;
}

[[nodiscard]] Status InRange(const std::optional<int>& v, const char* name, int lo, int hi) {
  if (v && (*v < lo || *v > hi)) {
    return MakeError(
        ErrorCode::kInvalidArgument,
        std::string(name) + " must be " + std::to_string(lo) + ".." + std::to_string(hi));
  }
  return {};
}

}  // namespace

std::string WorkflowNaturalKey(std::string_view label) {
  return "workflow:" + std::string(label.empty() ? kDefaultWorkflowLabel : label);
}

std::string WorkflowNaturalKey(const WorkflowRequest& request) {
  return WorkflowNaturalKey(request.workflow_label ? std::string_view(*request.workflow_label)
                                                   : std::string_view());
}

[[nodiscard]] Result<EncodedBody> Encode(const WorkflowRequest& r) {
  if (r.features.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "at least one feature is required");
  }
  if (r.workflow_label && r.workflow_label->size() > 50) {
    return MakeError(ErrorCode::kInvalidArgument, "workflow_label is longer than 50 characters");
  }
  if (r.status && *r.status != "draft" && *r.status != "published") {
    return MakeError(ErrorCode::kInvalidArgument, "status must be draft|published");
  }
  if (r.retry_window_all_time && r.retry_window_days) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "retry_window_days and retry_window_all_time exclude each other");
  }
  for (auto st : {InRange(r.max_retry_attempts, "max_retry_attempts", 0, 10),
                  InRange(r.retry_window_days, "retry_window_days", 1, 365),
                  InRange(r.face_liveness_max_attempts, "face_liveness_max_attempts", 1, 3),
                  InRange(r.face_match_max_attempts, "face_match_max_attempts", 1, 3),
                  InRange(r.session_expiration_time, "session_expiration_time", 3600, 2419200)}) {
    if (!st) return tl::unexpected(st.error());
  }
  json features = json::array();
  for (const WorkflowFeature& f : r.features) {
    if (f.feature.empty()) return MakeError(ErrorCode::kInvalidArgument, "a feature has no name");
    if (f.config && !f.config->is_object()) {
      return MakeError(ErrorCode::kInvalidArgument, "a feature's config must be a JSON object");
    }
    json item = {{"feature", f.feature}};
    if (f.config) item["config"] = *f.config;
    if (f.label) item["label"] = *f.label;
    features.push_back(std::move(item));
  }
  json body = {{"features", std::move(features)}};
  if (r.workflow_label) body["workflow_label"] = *r.workflow_label;
  if (r.is_default) body["is_default"] = *r.is_default;
  if (r.status) body["status"] = *r.status;
  if (r.is_white_label_enabled) body["is_white_label_enabled"] = *r.is_white_label_enabled;
  if (r.is_desktop_allowed) body["is_desktop_allowed"] = *r.is_desktop_allowed;
  if (r.max_retry_attempts) body["max_retry_attempts"] = *r.max_retry_attempts;
  if (r.retry_window_days) body["retry_window_days"] = *r.retry_window_days;
  if (r.retry_window_all_time) body["retry_window_days"] = nullptr;
  if (r.face_liveness_max_attempts) {
    body["face_liveness_max_attempts"] = *r.face_liveness_max_attempts;
  }
  if (r.face_match_max_attempts) body["face_match_max_attempts"] = *r.face_match_max_attempts;
  if (r.session_expiration_time) body["session_expiration_time"] = *r.session_expiration_time;
  auto text = internal::SafeDump(body);
  if (!text) return tl::unexpected(text.error());
  return EncodedBody{"application/json", std::move(*text)};
}

[[nodiscard]] Result<Workflow> ParseWorkflow(std::string_view body) {
  auto parsed = internal::SafeParse(body);
  if (!parsed) return tl::unexpected(parsed.error());
  return FromJson(std::move(*parsed));
}

[[nodiscard]] Result<WorkflowPage> ParseWorkflowPage(std::string_view body) {
  auto parsed = internal::SafeParse(body);
  if (!parsed) return tl::unexpected(parsed.error());
  if (!parsed->is_object()) return MakeError(ErrorCode::kCorruption, "the list is not an object");
  WorkflowPage page;
  std::optional<std::int64_t> count;
  IDEM_JSON_SET(count, OptInt(*parsed, "count"));
  page.count = count.value_or(0);
  IDEM_JSON_SET(page.next, OptString(*parsed, "next"));
  IDEM_JSON_SET(page.previous, OptString(*parsed, "previous"));
  auto rows = parsed->find("results");
  if (rows == parsed->end() || !rows->is_array()) {
    return MakeError(ErrorCode::kCorruption, "the list has no results");
  }
  for (json& row : *rows) {
    auto w = FromJson(std::move(row));
    if (!w) return tl::unexpected(w.error());
    page.results.push_back(std::move(*w));
  }
  return page;
}

[[nodiscard]] Result<OpRequest> CreateWorkflowOp(const WorkflowRequest& request, CallOptions call) {
  return internal::MakeOp(kCreateWorkflowKind, "POST", "/v3/workflows/", Encode(request),
                          std::move(call), WorkflowNaturalKey(request));
}

[[nodiscard]] DiditResult<Workflow> CreateWorkflow(DiditClient& client,
                                                   const WorkflowRequest& request,
                                                   CallOptions call) {
  return internal::CallAndParse<Workflow>(
      client.client(), CreateWorkflowOp(request, std::move(call)), ParseWorkflow);
}

[[nodiscard]] DiditResult<WorkflowPage> ListWorkflows(DiditClient& client, int limit, int offset) {
  if (limit < 1 || offset < 0) {
    return MakeDiditError(ErrorCode::kInvalidArgument, "limit >= 1 and offset >= 0");
  }
  auto response = client.Get("/v3/workflows/?limit=" + std::to_string(limit) +
                             "&offset=" + std::to_string(offset));
  if (!response) return tl::unexpected(response.error());
  auto parsed = ParseWorkflowPage(response->body);
  if (!parsed) return tl::unexpected(Plain(parsed.error()));
  return std::move(*parsed);
}

[[nodiscard]] DiditResult<Workflow> GetWorkflow(DiditClient& client, std::string_view uuid) {
  if (uuid.empty() || uuid.find('/') != std::string_view::npos) {
    return MakeDiditError(ErrorCode::kInvalidArgument, "a workflow uuid is required");
  }
  auto response = client.Get("/v3/workflows/" + UrlEncode(uuid) + "/");
  if (!response) return tl::unexpected(response.error());
  auto parsed = ParseWorkflow(response->body);
  if (!parsed) return tl::unexpected(Plain(parsed.error()));
  return std::move(*parsed);
}

}  // namespace idem::didit

// Workflows (OAS `POST /v3/workflows/`, `GET /v3/workflows/`, `GET
// /v3/workflows/{settings_uuid}/`). Free functions over a DiditClient, as
// transactions.h.
//
//   idem::didit::WorkflowRequest w;
//   w.workflow_label = "Standard KYC";
//   w.features = {{"OCR"}, {"LIVENESS"}, {"FACE_MATCH"}};
//   auto made = idem::didit::CreateWorkflow(*didit, w);  // made->workflow_id
//
// Profile (endpoints.h, kind create_workflow): not billed, no
// Idempotency-Key, not idempotent ("each call creates a new workflow", OAS)
// and nothing Didit keeps unique, so a repeat would make a second workflow.
// The op's natural key is "workflow:<workflow_label>" (Didit's default label
// "ID Verification" when none is set). After an ambiguous attempt the list
// `GET /v3/workflows/` (newest first, at most 5 pages of 100) is read for
// rows with the op's label and features (" + "-joined, in order) updated no
// earlier than the op (minus 5 min) that no other op of this journal holds:
// one, and no other unsettled op with the label that may have been sent:
// the op's (its configuration read by GET {uuid}); none: not executed,
// trusted only after the attempt's timeout (settle_after) and then sent
// again; several: `unknown`, needs review. The list rows carry no
// created_at (OAS), so a workflow edited since the op began counts as
// "since the op" too; that only ever adds candidates (review), never hides one.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "idem/didit/client.h"

namespace idem::didit {

inline constexpr std::string_view kCreateWorkflowKind = "create_workflow";

struct WorkflowFeature {
  std::string feature;                   // OCR, NFC, LIVENESS, FACE_MATCH, AML, ...
  std::optional<nlohmann::json> config;  // an object (QUESTIONNAIRE: questionnaire_uuid)
  std::optional<std::string> label;
};

struct WorkflowRequest {
  std::optional<std::string> workflow_label;  // <= 50; Didit: kDefaultWorkflowLabel
  std::optional<bool> is_default;
  std::optional<std::string> status;      // draft | published (Didit: published)
  std::vector<WorkflowFeature> features;  // at least one, in execution order
  std::optional<bool> is_white_label_enabled;
  std::optional<bool> is_desktop_allowed;
  std::optional<int> max_retry_attempts;          // 0..10 (3)
  std::optional<int> retry_window_days;           // 1..365 (7)
  bool retry_window_all_time = false;             // sends retry_window_days: null
  std::optional<int> face_liveness_max_attempts;  // 1..3 (3)
  std::optional<int> face_match_max_attempts;     // 1..3 (3)
  std::optional<int> session_expiration_time;     // 3600..2419200 s (604800)
};

// A workflow: create's 201 and GET's 200 (the full configuration, in `raw`)
// or a list row.
struct Workflow {
  std::string uuid;         // settings_uuid: this version
  std::string workflow_id;  // the stable group id sessions take
  std::optional<std::string> workflow_label;
  std::optional<std::string> workflow_type;
  std::optional<bool> is_default;
  std::optional<bool> is_archived;
  std::optional<std::string> features;  // "OCR + LIVENESS + FACE_MATCH"
  std::optional<std::string> workflow_url;
  std::optional<std::string> status;  // draft | published
  std::optional<std::int64_t> version;
  std::optional<std::int64_t> max_retry_attempts;
  std::optional<std::int64_t> retry_window_days;
  std::optional<std::int64_t> session_expiration_time;
  std::optional<std::string> created_at;  // not on list rows
  std::optional<std::string> updated_at;
  nlohmann::json raw;
};

struct WorkflowPage {
  std::int64_t count = 0;
  std::optional<std::string> next;
  std::optional<std::string> previous;
  std::vector<Workflow> results;
};

// kInvalidArgument (nothing sent): no feature, an empty feature name, a
// config that is not an object, a label over 50, a value out of the OAS range.
[[nodiscard]] Result<EncodedBody> Encode(const WorkflowRequest& request);
[[nodiscard]] Result<Workflow> ParseWorkflow(std::string_view body);
[[nodiscard]] Result<WorkflowPage> ParseWorkflowPage(std::string_view body);

// The label Didit gives a workflow created without one (OAS).
inline constexpr std::string_view kDefaultWorkflowLabel = "ID Verification";

// "workflow:" + the label the request gives (kDefaultWorkflowLabel when none
// or empty).
std::string WorkflowNaturalKey(const WorkflowRequest& request);
std::string WorkflowNaturalKey(std::string_view label);

[[nodiscard]] Result<OpRequest> CreateWorkflowOp(const WorkflowRequest& request,
                                                 CallOptions call = {});
[[nodiscard]] DiditResult<Workflow> CreateWorkflow(DiditClient& client,
                                                   const WorkflowRequest& request,
                                                   CallOptions call = {});
[[nodiscard]] DiditResult<WorkflowPage> ListWorkflows(DiditClient& client, int limit = 50,
                                                      int offset = 0);
[[nodiscard]] DiditResult<Workflow> GetWorkflow(DiditClient& client, std::string_view uuid);

}  // namespace idem::didit

// Transaction-monitoring events: `POST /v3/events/` (one event) and `POST
// /v3/events/batch/` (1 to 500). Free functions over a DiditClient, as
// transactions.h.
//
//   idem::didit::MonitoringEvent ev;
//   ev.event_id = "login-2026-10-17-000001";
//   ev.event_category = "auth";
//   ev.action_type = "login";
//   ev.subject_vendor_data = "user-42";
//   auto sent = idem::didit::SendMonitoringEvent(*didit, ev);  // sent->outcome "accepted"
//
// Sources: neither route is in Didit's OpenAPI file; the fact sheet names
// them only in the rate-limit table (scope ingest-write, not counted in
// generic-write). The envelope and the batch's answer follow Didit's page
// "Create Monitoring Events in Batch" (docs.didit.me): event_id,
// event_category, action_type, occurred_at, subject{vendor_data},
// transaction_context, payload; the batch body {"events": [...]}; 201 when no
// item was rejected, 207 when one was; results[] = {index, outcome:
// accepted | replayed | rejected} in request order.
//
// Profile (endpoints.h, kinds create_event, create_event_batch): no
// Idempotency-Key, billing undocumented (taken as not billed), no look-up
// (no read endpoint for events is documented), and no OAS-documented unique
// id, so no unique_field: after an attempt that may have executed the op
// stops `unknown`, needs review, and is never re-sent blindly. (The page's
// "replayed" outcome suggests Didit deduplicates by event_id, which would
// make a re-send harmless; until the OAS or the fact sheet confirms it, idem
// does not rely on it.) Both are answered from the journal's outcome.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "idem/didit/client.h"

namespace idem::didit {

inline constexpr std::string_view kCreateEventKind = "create_event";
inline constexpr std::string_view kCreateEventBatchKind = "create_event_batch";
inline constexpr std::size_t kMaxEventBatch = 500;

struct MonitoringEvent {
  std::string event_id;                               // required; the caller's id of the event
  std::string event_category;                         // required: auth, payment, gameplay, ...
  std::string action_type;                            // required: login, deposit_completed, ...
  std::string subject_vendor_data;                    // required: subject.vendor_data
  std::optional<std::string> occurred_at;             // ISO 8601
  std::optional<nlohmann::json> subject_more;         // more subject fields (an object)
  std::optional<nlohmann::json> transaction_context;  // an object: amount, currency, ...
  std::optional<nlohmann::json> payload;              // an object
};

// One event's answer (the single route's body, a batch item).
struct MonitoringEventResult {
  std::optional<std::size_t> index;  // batch items: position in the request
  std::string outcome;               // accepted | replayed | rejected (may be empty)
  std::optional<std::string> event_id;
  std::optional<std::string> uuid;
  nlohmann::json errors;  // a rejected item's field errors (null otherwise)
  nlohmann::json raw;
};

struct MonitoringEventBatchResult {
  int status = 0;  // 201: none rejected; 207: at least one was
  std::vector<MonitoringEventResult> results;
  nlohmann::json raw;
};

// kInvalidArgument (nothing sent) on a missing required field or a
// non-object JSON field.
[[nodiscard]] Result<nlohmann::json> EventJson(const MonitoringEvent& event);
[[nodiscard]] Result<EncodedBody> Encode(const MonitoringEvent& event);
// {"events": [...]}; kInvalidArgument for 0 or more than 500 events.
[[nodiscard]] Result<EncodedBody> EncodeBatch(const std::vector<MonitoringEvent>& events);
// kCorruption on invalid JSON or a wrong type.
[[nodiscard]] Result<MonitoringEventResult> ParseMonitoringEventResult(std::string_view body);
[[nodiscard]] Result<MonitoringEventBatchResult> ParseMonitoringEventBatch(std::string_view body);

[[nodiscard]] Result<OpRequest> SendMonitoringEventOp(const MonitoringEvent& event,
                                                      CallOptions call = {});
[[nodiscard]] Result<OpRequest> SendMonitoringEventBatchOp(
    const std::vector<MonitoringEvent>& events, CallOptions call = {});

// POST /v3/events/. A 400 is kRefused; an ambiguous attempt: kUnknownOutcome.
[[nodiscard]] DiditResult<MonitoringEventResult> SendMonitoringEvent(DiditClient& client,
                                                                     const MonitoringEvent& event,
                                                                     CallOptions call = {});
// POST /v3/events/batch/. 201 and 207 both succeed: read results[].
[[nodiscard]] DiditResult<MonitoringEventBatchResult> SendMonitoringEventBatch(
    DiditClient& client, const std::vector<MonitoringEvent>& events, CallOptions call = {});

}  // namespace idem::didit

// Transaction-monitoring events (include/idem/didit/monitoring_events.h).
#include "idem/didit/monitoring_events.h"

#include "didit/call_and_parse.h"
#include "didit/json_util.h"
#include "idem/didit/op_outcome.h"

namespace idem::didit {
namespace {

using internal::OptString;
using internal::RequireObject;
using nlohmann::json;

[[nodiscard]] Result<MonitoringEventResult> ParseItem(json o) {
  if (!o.is_object()) return MakeError(ErrorCode::kCorruption, "the event answer is not an object");
  MonitoringEventResult r;
  if (auto it = o.find("index"); it != o.end() && !it->is_null()) {
    if (!it->is_number_unsigned() && !(it->is_number_integer() && it->get<std::int64_t>() >= 0)) {
      return MakeError(ErrorCode::kCorruption, "field 'index' not a non-negative integer");
    }
    r.index = it->get<std::size_t>();
  }
  auto outcome = OptString(o, "outcome");
  if (!outcome) return tl::unexpected(outcome.error());
  r.outcome = outcome->value_or("");
  auto event_id = OptString(o, "event_id");
  if (!event_id) return tl::unexpected(event_id.error());
  r.event_id = std::move(*event_id);
  auto uuid = OptString(o, "uuid");
  if (!uuid) return tl::unexpected(uuid.error());
  r.uuid = std::move(*uuid);
  if (auto it = o.find("errors"); it != o.end()) r.errors = *it;
  r.raw = std::move(o);
  return r;
}

}  // namespace

[[nodiscard]] Result<json> EventJson(const MonitoringEvent& e) {
  if (e.event_id.empty()) return MakeError(ErrorCode::kInvalidArgument, "event_id is required");
  if (e.event_category.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "event_category is required");
  }
  if (e.action_type.empty())
    return MakeError(ErrorCode::kInvalidArgument, "action_type is required");
  if (e.subject_vendor_data.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "subject.vendor_data is required");
  }
  for (const auto& [value, name] : {std::pair{&e.subject_more, "subject fields"},
                                    std::pair{&e.transaction_context, "transaction_context"},
                                    std::pair{&e.payload, "payload"}}) {
    if (auto st = RequireObject(*value, name); !st) return tl::unexpected(st.error());
  }
  json subject = e.subject_more ? *e.subject_more : json::object();
  subject["vendor_data"] = e.subject_vendor_data;
  json body = {{"event_id", e.event_id},
               {"event_category", e.event_category},
               {"action_type", e.action_type},
               {"subject", std::move(subject)}};
  if (e.occurred_at) body["occurred_at"] = *e.occurred_at;
  if (e.transaction_context) body["transaction_context"] = *e.transaction_context;
  if (e.payload) body["payload"] = *e.payload;
  return body;
}

[[nodiscard]] Result<EncodedBody> Encode(const MonitoringEvent& event) {
  auto body = EventJson(event);
  if (!body) return tl::unexpected(body.error());
  auto text = internal::SafeDump(*body);
  if (!text) return tl::unexpected(text.error());
  return EncodedBody{"application/json", std::move(*text)};
}

[[nodiscard]] Result<EncodedBody> EncodeBatch(const std::vector<MonitoringEvent>& events) {
  if (events.empty() || events.size() > kMaxEventBatch) {
    return MakeError(ErrorCode::kInvalidArgument, "a batch holds 1 to 500 events");
  }
  json list = json::array();
  for (const MonitoringEvent& e : events) {
    auto one = EventJson(e);
    if (!one) return tl::unexpected(one.error());
    list.push_back(std::move(*one));
  }
  auto text = internal::SafeDump(json{{"events", std::move(list)}});
  if (!text) return tl::unexpected(text.error());
  return EncodedBody{"application/json", std::move(*text)};
}

[[nodiscard]] Result<MonitoringEventResult> ParseMonitoringEventResult(std::string_view body) {
  auto parsed = internal::SafeParse(body);
  if (!parsed) return tl::unexpected(parsed.error());
  return ParseItem(std::move(*parsed));
}

[[nodiscard]] Result<MonitoringEventBatchResult> ParseMonitoringEventBatch(std::string_view body) {
  auto parsed = internal::SafeParse(body);
  if (!parsed) return tl::unexpected(parsed.error());
  if (!parsed->is_object()) {
    return MakeError(ErrorCode::kCorruption, "the batch answer is not an object");
  }
  auto rows = parsed->find("results");
  if (rows == parsed->end() || !rows->is_array()) {
    return MakeError(ErrorCode::kCorruption, "the batch answer has no results");
  }
  MonitoringEventBatchResult out;
  for (const json& row : *rows) {
    auto item = ParseItem(row);
    if (!item) return tl::unexpected(item.error());
    out.results.push_back(std::move(*item));
  }
  out.raw = std::move(*parsed);
  return out;
}

namespace {}  // namespace

[[nodiscard]] Result<OpRequest> SendMonitoringEventOp(const MonitoringEvent& event,
                                                      CallOptions call) {
  // No natural key: nothing looks these ops up (see the header).
  return internal::MakeOp(kCreateEventKind, "POST", "/v3/events/", Encode(event), std::move(call));
}

[[nodiscard]] Result<OpRequest> SendMonitoringEventBatchOp(
    const std::vector<MonitoringEvent>& events, CallOptions call) {
  // No natural key: nothing looks these ops up (see the header).
  return internal::MakeOp(kCreateEventBatchKind, "POST", "/v3/events/batch/", EncodeBatch(events),
                          std::move(call));
}

[[nodiscard]] DiditResult<MonitoringEventResult> SendMonitoringEvent(DiditClient& client,
                                                                     const MonitoringEvent& event,
                                                                     CallOptions call) {
  return internal::CallAndParse<MonitoringEventResult>(
      client.client(), SendMonitoringEventOp(event, std::move(call)), ParseMonitoringEventResult);
}

[[nodiscard]] DiditResult<MonitoringEventBatchResult> SendMonitoringEventBatch(
    DiditClient& client, const std::vector<MonitoringEvent>& events, CallOptions call) {
  auto settled = internal::CallAndParseSettled<MonitoringEventBatchResult>(
      client.client(), SendMonitoringEventBatchOp(events, std::move(call)),
      ParseMonitoringEventBatch);
  if (!settled) return tl::unexpected(std::move(settled.error()));
  settled->answer.status = settled->op.response_status;  // 201, or 207 when one was rejected
  return std::move(settled->answer);
}

}  // namespace idem::didit

// Transaction-monitoring events: `POST /v3/events/` and `POST
// /v3/events/batch/` (rate scope ingest-write only, fact sheet section 2).
// Neither route is in Didit's OpenAPI file or the fact sheet's endpoint
// sections; the envelope and the batch's shape follow Didit's documentation
// page "Create Monitoring Events in Batch" (docs.didit.me, not the OAS):
//   event: {event_id, event_category, action_type, occurred_at?,
//           subject: {vendor_data, ...}, transaction_context?: {...},
//           payload?: {...}}
//   batch: {"events": [event, ...]} or a bare array, 1..500 events; each item
//          validated and stored on its own; 201 when none was rejected, 207
//          when one was; results[] = {index, outcome: accepted | replayed |
//          rejected, ...} in request order.
// The sandbox's own choices (marked so in docs/sandbox.md):
//   - event_id is the event's key per application: a second event with it
//     stores nothing and answers the stored record with outcome "replayed"
//     (single: 200; the page documents "replayed" for the batch only);
//   - event_id <= 128 characters (as transaction_id), event_category and
//     action_type required strings, subject.vendor_data a required string,
//     transaction_context and payload objects when present;
//   - the stored record: {uuid, event_id, event_category, action_type,
//     occurred_at, vendor_data, transaction_context, payload, created_at} +
//     outcome; not billed; no webhook; records are entities (memory only).
// A rejected item is {index, outcome: "rejected", errors: {field: [...]}}.
#include "idem/uuid.h"
#include "sandbox/app.h"
#include "sandbox/endpoint_support.h"
#include "sandbox/responses.h"

namespace idem::sandbox {
namespace {

using nlohmann::json;

constexpr char kMonitoringEvent[] = "monitoring_event";
constexpr std::size_t kMaxBatch = 500;
constexpr std::size_t kMaxEventId = 128;

// Field errors of one event ({} when valid).
json EventErrors(const json& e) {
  json errors = json::object();
  if (!e.is_object()) {
    errors["non_field_errors"].push_back(
        std::string("Invalid data. Expected a dictionary, but got ") + PythonTypeName(e) + ".");
    return errors;
  }
  for (const char* field : {"event_id", "event_category", "action_type"}) {
    auto it = e.find(field);
    if (it == e.end() || it->is_null()) {
      errors[field].push_back("This field is required.");
    } else if (!it->is_string() || it->get_ref<const std::string&>().empty()) {
      errors[field].push_back("Not a valid string.");
    }
  }
  if (auto id = e.find("event_id");
      id != e.end() && id->is_string() && id->get_ref<const std::string&>().size() > kMaxEventId) {
    errors["event_id"].push_back("Ensure this field has no more than 128 characters.");
  }
  auto subject = e.find("subject");
  if (subject == e.end() || subject->is_null()) {
    errors["subject"].push_back("This field is required.");
  } else if (!subject->is_object()) {
    errors["subject"].push_back(std::string("Expected a dictionary of items but got type \"") +
                                PythonTypeName(*subject) + "\".");
  } else {
    auto vd = subject->find("vendor_data");
    if (vd == subject->end() || !vd->is_string() || vd->get_ref<const std::string&>().empty()) {
      errors["subject"].push_back("subject.vendor_data is required.");
    }
  }
  for (const char* field : {"transaction_context", "payload"}) {
    auto it = e.find(field);
    if (it != e.end() && !it->is_null() && !it->is_object()) {
      errors[field].push_back(std::string("Expected a dictionary of items but got type \"") +
                              PythonTypeName(*it) + "\".");
    }
  }
  if (auto it = e.find("occurred_at"); it != e.end() && !it->is_null() && !it->is_string()) {
    errors["occurred_at"].push_back("Not a valid string.");
  }
  return errors;
}

}  // namespace

// The stored record of `event_id` (nullopt when none).
std::optional<json> App::StoredMonitoringEvent(const std::string& event_id) const {
  const EntityRecord* e = FindEntity(kMonitoringEvent, event_id);
  if (!e) return std::nullopt;
  return ParseJsonBody(e->json);
}

// One valid event: the stored record with its outcome, adding it to `out`
// when new (the caller records the execution). `pending` holds the events
// this request stores already (a batch may repeat an event_id: replayed).
json App::IngestMonitoringEvent(const json& e, std::int64_t now_ms, EndpointResult& out,
                                std::map<std::string, json>& pending) {
  const std::string event_id = e["event_id"].get<std::string>();
  std::optional<json> stored;
  if (auto it = pending.find(event_id); it != pending.end()) stored = it->second;
  if (!stored) stored = StoredMonitoringEvent(event_id);
  if (stored) {
    (*stored)["outcome"] = "replayed";
    return *stored;
  }
  const std::string uuid = NewUuidV4();
  const std::string vendor_data = e["subject"]["vendor_data"].get<std::string>();
  json record = {{"uuid", uuid},
                 {"event_id", event_id},
                 {"event_category", e["event_category"]},
                 {"action_type", e["action_type"]},
                 {"occurred_at", e.value("occurred_at", json(IsoTime(now_ms)))},
                 {"vendor_data", vendor_data},
                 {"transaction_context", e.value("transaction_context", json())},
                 {"payload", e.value("payload", json())},
                 {"created_at", IsoTime(now_ms)}};
  if (record["occurred_at"].is_null()) record["occurred_at"] = IsoTime(now_ms);
  out.mutation.entities.push_back({kMonitoringEvent, event_id, Dump(record),
                                   next_entity_seq_ + static_cast<std::int64_t>(pending.size()),
                                   false});
  pending.emplace(event_id, record);
  record["outcome"] = "accepted";
  return record;
}

App::EndpointResult App::CreateMonitoringEvent(const Request& request, std::int64_t now_ms) {
  EndpointResult out;
  auto body = RequireObject(request, out.response);
  if (!body) return out;
  json errors = EventErrors(*body);
  if (!errors.empty()) return Fail(FieldErrors(config_.profile, errors));
  std::map<std::string, json> pending;
  json record = IngestMonitoringEvent(*body, now_ms, out, pending);
  if (record["outcome"] == "accepted") {
    RecordExecution(out, record["vendor_data"].get<std::string>(), record["uuid"]);
  }
  const int status = record["outcome"] == "accepted" ? 201 : 200;
  out.response = JsonResponse(status, record);
  return out;
}

App::EndpointResult App::CreateMonitoringEventBatch(const Request& request, std::int64_t now_ms) {
  auto body = ParseJsonBody(request.body);
  if (!body) return Fail(DetailResponse(400, "JSON parse error: the body is not valid JSON."));
  const json* events = nullptr;
  if (body->is_array()) {
    events = &*body;
  } else if (body->is_object()) {
    auto it = body->find("events");
    if (it == body->end() || it->is_null()) {
      return Fail(FieldErrors(config_.profile, json{{"events", {"This field is required."}}}));
    }
    events = &*it;
  } else {
    return Fail(DetailResponse(400, "Invalid data: expected a JSON object or array."));
  }
  if (!events->is_array()) {
    return Fail(FieldErrors(config_.profile,
                            json{{"events",
                                  {std::string("Expected a list of items but got type \"") +
                                   PythonTypeName(*events) + "\"."}}}));
  }
  if (events->empty() || events->size() > kMaxBatch) {
    return Fail(FieldErrors(config_.profile, json{{"events", {"Send between 1 and 500 events."}}}));
  }
  EndpointResult out;
  std::map<std::string, json> pending;
  json results = json::array();
  bool any_rejected = false;
  for (std::size_t i = 0; i < events->size(); ++i) {
    const json& e = (*events)[i];
    json errors = EventErrors(e);
    json item;
    if (!errors.empty()) {
      any_rejected = true;
      item = {{"outcome", "rejected"}, {"errors", std::move(errors)}};
      if (e.is_object() && e.contains("event_id") && e["event_id"].is_string()) {
        item["event_id"] = e["event_id"];
      }
    } else {
      item = IngestMonitoringEvent(e, now_ms, out, pending);
    }
    item["index"] = i;
    results.push_back(std::move(item));
  }
  // One execution per request that stored something: the batch's uuids.
  std::string stored;
  for (const json& item : results) {
    if (item["outcome"] != "accepted") continue;
    if (!stored.empty()) stored += ',';
    stored += item["uuid"].get<std::string>();
  }
  if (!stored.empty()) RecordExecution(out, std::nullopt, std::move(stored));
  out.response = JsonResponse(any_rejected ? 207 : 201, json{{"results", std::move(results)}});
  return out;
}

}  // namespace idem::sandbox

// Helpers the endpoint files share (endpoints.cc, update_status.cc,
// list_sessions.cc): error-only results, the execution record, the event
// of a changed session, and the JSON-object body every JSON endpoint needs.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "sandbox/app.h"

namespace idem::sandbox {

// An endpoint result that is only an error response (nothing changes).
App::EndpointResult Fail(Response response);

SandboxSessionEvent MakeEvent(SandboxSessionEvent::Kind kind, const SessionRecord& s,
                              std::string previous, std::int64_t now_ms);

// Records that the endpoint executed (the row the exactly-once verdict
// counts); kind, endpoint and key are filled in by App::RunEndpoint.
void RecordExecution(App::EndpointResult& out, std::optional<std::string> vendor_data,
                     std::string resource_id);

// A changed session: its execution, its new row and its webhook event.
void RecordSessionChange(App::EndpointResult& out, const SessionRecord& s,
                         SandboxSessionEvent::Kind kind, std::string previous, std::int64_t now_ms);

// The body as a JSON object, or nullopt with `error` set to the 400.
std::optional<nlohmann::json> RequireObject(const Request& request, Response& error);

// A GET of one stored document (a workflow, a transaction, a user): 200 with
// it as stored, or 404 {"detail": "Not found."} when `entity` is null.
App::EndpointResult StoredJson(const EntityRecord* entity);

// A list's DRF limit/offset parameters: `limit` (default 50, 0 = the
// default, at most 1000) and `offset` (default 0) are whole numbers, else
// nullopt with `error` set to the 400 naming the field (or to the 400 of a
// malformed query string).
struct LimitOffset {
  std::size_t limit = 50;
  std::size_t offset = 0;
};
std::optional<LimitOffset> ReadLimitOffset(SandboxProfile profile, std::string_view query,
                                           Response& error);

}  // namespace idem::sandbox

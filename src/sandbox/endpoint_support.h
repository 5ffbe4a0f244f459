// Helpers the endpoint files share (endpoints.cc, update_status.cc,
// list_sessions.cc): error-only results, the execution record, the event
// of a changed session, and the JSON-object body every JSON endpoint needs.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

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

}  // namespace idem::sandbox

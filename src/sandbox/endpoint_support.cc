#include "sandbox/endpoint_support.h"

#include "sandbox/responses.h"

namespace idem::sandbox {

App::EndpointResult Fail(Response response) {
  App::EndpointResult result;
  result.response = std::move(response);
  return result;
}

SandboxSessionEvent MakeEvent(SandboxSessionEvent::Kind kind, const SessionRecord& s,
                              std::string previous, std::int64_t now_ms) {
  SandboxSessionEvent e;
  e.kind = kind;
  e.session_id = s.session_id;
  e.status = s.status;
  e.previous_status = std::move(previous);
  e.workflow_id = s.workflow_id;
  e.vendor_data = s.vendor_data.value_or("");
  e.metadata_json = s.metadata_json;
  e.created_at_ms = s.created_ms;
  e.at_ms = now_ms;
  return e;
}

void RecordExecution(App::EndpointResult& out, std::optional<std::string> vendor_data,
                     std::string resource_id) {
  Execution e;
  e.vendor_data = std::move(vendor_data);
  e.resource_id = std::move(resource_id);
  out.mutation.execution = std::move(e);
}

void RecordSessionChange(App::EndpointResult& out, const SessionRecord& s,
                         SandboxSessionEvent::Kind kind, std::string previous,
                         std::int64_t now_ms) {
  RecordExecution(out, s.vendor_data, s.session_id);
  out.mutation.sessions.push_back(s);
  out.events.push_back(MakeEvent(kind, s, std::move(previous), now_ms));
}

std::optional<nlohmann::json> RequireObject(const Request& request, Response& error) {
  auto body = ParseJsonBody(request.body);
  if (!body) {
    error = DetailResponse(400, "JSON parse error: the body is not valid JSON.");
    return std::nullopt;
  }
  if (!body->is_object()) {
    error = DetailResponse(400, "Invalid data: expected a JSON object.");
    return std::nullopt;
  }
  return body;
}

}  // namespace idem::sandbox

#include "sandbox/endpoint_support.h"

#include <algorithm>
#include <charconv>
#include <utility>

#include "sandbox/responses.h"
#include "sandbox/router.h"

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

App::EndpointResult StoredJson(const EntityRecord* entity) {
  if (!entity) return Fail(DetailResponse(404, "Not found."));
  App::EndpointResult out;
  out.response.status = 200;
  out.response.headers.push_back({"Content-Type", "application/json"});
  out.response.body = entity->json;
  return out;
}

std::optional<LimitOffset> ReadLimitOffset(SandboxProfile profile, std::string_view query,
                                           Response& error) {
  auto params = ParseQuery(query);
  if (!params) {
    error = DetailResponse(400, "Malformed query string.");
    return std::nullopt;
  }
  LimitOffset out;
  for (auto [name, target] : {std::pair{"limit", &out.limit}, std::pair{"offset", &out.offset}}) {
    auto it = params->find(name);
    if (it == params->end() || it->second.empty()) continue;
    const std::string& v = it->second;
    std::size_t n = 0;
    const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    if (ec != std::errc() || end != v.data() + v.size()) {
      error = FieldError(profile, name, "A valid integer is required.");
      return std::nullopt;
    }
    *target = n;
  }
  if (out.limit == 0) out.limit = 50;
  out.limit = std::min<std::size_t>(out.limit, 1000);
  return out;
}

}  // namespace idem::sandbox

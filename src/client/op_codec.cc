#include "client/op_codec.h"

#include <cctype>

namespace idem::internal {

std::string DumpJson(const nlohmann::json& j, int indent) {
  return j.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string HeadersToJson(const Headers& headers) {
  nlohmann::json object = nlohmann::json::object();
  for (const Header& h : headers) {
    std::string name = h.name;
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    auto it = object.find(name);
    if (it == object.end()) {
      object[name] = h.value;
    } else {
      *it = it->get<std::string>() + ", " + h.value;
    }
  }
  return DumpJson(object);
}

nlohmann::json OperationToJson(const Operation& op) {
  nlohmann::json j;
  j["op_id"] = op.op_id;
  j["idem_key"] = op.idem_key;
  j["idem_key_from_caller"] = op.idem_key_from_caller;
  j["kind"] = op.kind;
  j["method"] = op.method;
  j["path"] = op.path;
  j["content_type"] = op.content_type;
  j["body"] = op.body;
  j["fingerprint"] = op.fingerprint;
  j["natural_key"] = op.natural_key;
  j["state"] = std::string(OpStateName(op.state));
  j["attempts"] = op.attempts;
  j["created_ms"] = op.created_ms;
  j["first_sent_ms"] = op.first_sent_ms;
  j["updated_ms"] = op.updated_ms;
  j["next_attempt_ms"] = op.next_attempt_ms;
  j["lease_owner"] = op.lease_owner;
  j["lease_until_ms"] = op.lease_until_ms;
  j["lease_generation"] = op.lease_generation;
  j["response_status"] = op.response_status;
  auto headers = nlohmann::json::parse(op.response_headers, nullptr, false);
  j["response_headers"] = headers.is_discarded() ? nlohmann::json(op.response_headers) : headers;
  j["response_body"] = op.response_body;
  auto body = nlohmann::json::parse(op.response_body, nullptr, false);
  if (!body.is_discarded() && !op.response_body.empty()) j["response_json"] = body;
  j["resource_id"] = op.resource_id;
  j["last_error"] = op.last_error;
  j["needs_review"] = op.needs_review;
  j["audit"] = op.audit;
  return j;
}

}  // namespace idem::internal

// The per-session delivery log's endpoints (fact sheet section 6; Didit
// documents them for console Bearer auth, API-key access unconfirmed; the
// sandbox takes its API key as everywhere):
//   GET  /v3/session/{id}/webhooks/ -> 200 [rows], oldest first
//   POST /v3/session/{id}/webhook/{delivery_uuid}/resend -> the new row
// The sandbox's own choices: 404 {"detail": "Session not found."} for an
// unknown or deleted session, 404 {"detail": "Webhook delivery not found."}
// for a delivery that is not the session's (or when the sandbox sends no
// webhooks); resend answers 201 with the row "PENDING" (its attempt runs on
// the sender, which fills the row in), and is not an execution (nothing at
// Didit changes: one more delivery of the same body).
#include "sandbox/app.h"
#include "sandbox/endpoint_support.h"
#include "sandbox/responses.h"
#include "sandbox/webhook_log.h"

namespace idem::sandbox {

App::EndpointResult App::ListSessionWebhooks(const std::string& session_id) {
  auto it = sessions_.find(session_id);
  if (it == sessions_.end() || it->second.deleted) {
    return Fail(DetailResponse(404, "Session not found."));
  }
  EndpointResult out;
  out.response = JsonResponse(
      200, config_.webhook_log ? config_.webhook_log->List(session_id) : nlohmann::json::array());
  return out;
}

App::EndpointResult App::ResendWebhook(const std::string& session_id,
                                       const std::string& delivery_uuid, std::int64_t now_ms) {
  auto it = sessions_.find(session_id);
  if (it == sessions_.end() || it->second.deleted) {
    return Fail(DetailResponse(404, "Session not found."));
  }
  std::optional<nlohmann::json> row;
  if (config_.webhook_log) row = config_.webhook_log->Resend(session_id, delivery_uuid, now_ms);
  if (!row) return Fail(DetailResponse(404, "Webhook delivery not found."));
  EndpointResult out;
  out.response = JsonResponse(201, *row);
  return out;
}

}  // namespace idem::sandbox

// The per-session webhook delivery log (include/idem/didit/webhook_deliveries.h).
#include "idem/didit/webhook_deliveries.h"

#include "didit/call_and_parse.h"
#include "didit/json_util.h"

namespace idem::didit {
namespace {

using internal::OptInt;
using internal::OptString;
using nlohmann::json;

[[nodiscard]] Result<WebhookDelivery> FromJson(json o) {
  if (!o.is_object()) return MakeError(ErrorCode::kCorruption, "the delivery is not an object");
  WebhookDelivery d;
  IDEM_JSON_SET(d.uuid, internal::RequiredString(o, "uuid"));
  IDEM_JSON_SET(d.session_id, internal::RequiredString(o, "session_id"));
  IDEM_JSON_SET(d.status, OptString(o, "status"));
  IDEM_JSON_SET(d.request_url, OptString(o, "request_url"));
  IDEM_JSON_SET(d.response_status, OptInt(o, "response_status"));
  IDEM_JSON_SET(d.request_body, OptString(o, "request_body"));
  IDEM_JSON_SET(d.request_header, OptString(o, "request_header"));
  IDEM_JSON_SET(d.webhook_type, OptString(o, "webhook_type"));
  IDEM_JSON_SET(d.created_at, OptString(o, "created_at"));
  d.raw = std::move(o);
  return d;
}

[[nodiscard]] bool PlainId(std::string_view id) {
  return !id.empty() && id.find('/') == std::string_view::npos;
}

}  // namespace

[[nodiscard]] Result<WebhookDelivery> ParseWebhookDelivery(std::string_view body) {
  auto parsed = internal::SafeParse(body);
  if (!parsed) return tl::unexpected(parsed.error());
  return FromJson(std::move(*parsed));
}

[[nodiscard]] Result<std::vector<WebhookDelivery>> ParseWebhookDeliveries(std::string_view body) {
  auto parsed = internal::SafeParse(body);
  if (!parsed) return tl::unexpected(parsed.error());
  if (!parsed->is_array()) {
    return MakeError(ErrorCode::kCorruption, "the delivery log is not an array");
  }
  std::vector<WebhookDelivery> out;
  for (json& row : *parsed) {
    auto d = FromJson(std::move(row));
    if (!d) return tl::unexpected(d.error());
    out.push_back(std::move(*d));
  }
  return out;
}

[[nodiscard]] Result<OpRequest> ResendWebhookOp(std::string_view session_id,
                                                std::string_view delivery_uuid, CallOptions call) {
  if (!PlainId(session_id) || !PlainId(delivery_uuid)) {
    return MakeError(ErrorCode::kInvalidArgument, "a session id and a delivery uuid are required");
  }
  OpRequest op;
  op.op_id = std::move(call.op_id);
  op.kind = std::string(kResendWebhookKind);
  op.method = "POST";
  op.path =
      "/v3/session/" + UrlEncode(session_id) + "/webhook/" + UrlEncode(delivery_uuid) + "/resend";
  op.body.clear();  // no body (fact sheet section 6)
  return op;
}

[[nodiscard]] DiditResult<std::vector<WebhookDelivery>> ListSessionWebhooks(
    DiditClient& client, std::string_view session_id) {
  if (!PlainId(session_id)) {
    return MakeDiditError(ErrorCode::kInvalidArgument, "a session id is required");
  }
  auto response = client.Get("/v3/session/" + UrlEncode(session_id) + "/webhooks/");
  if (!response) return tl::unexpected(response.error());
  auto parsed = ParseWebhookDeliveries(response->body);
  if (!parsed) return tl::unexpected(DiditError{parsed.error(), std::nullopt, {}});
  return std::move(*parsed);
}

[[nodiscard]] DiditResult<WebhookDelivery> ResendWebhook(DiditClient& client,
                                                         std::string_view session_id,
                                                         std::string_view delivery_uuid,
                                                         CallOptions call) {
  return internal::CallAndParse<WebhookDelivery>(
      client.client(), ResendWebhookOp(session_id, delivery_uuid, std::move(call)),
      [](std::string_view body) { return ParseWebhookDelivery(body); });
}

}  // namespace idem::didit

// The per-session webhook delivery log (fact sheet section 6, "Per-session
// delivery log"; Didit documents it for console Bearer auth, API-key access
// unconfirmed): `GET /v3/session/{id}/webhooks/` and `POST
// /v3/session/{id}/webhook/{delivery_uuid}/resend` (no trailing slash).
//
//   auto log = idem::didit::ListSessionWebhooks(*didit, session_id);
//   auto again = idem::didit::ResendWebhook(*didit, session_id, (*log)[0].uuid);
//
// Profile (endpoints.h, kind resend_webhook): not billed, no Idempotency-Key;
// an attempt that may have executed is settled by sending it again: a resend
// after a lost answer only makes one more delivery of the same body, which a
// receiver that deduplicates (as Didit asks of every receiver: deliveries
// are at least once) absorbs. A re-send racing the first is harmless the same
// way.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "idem/didit/client.h"

namespace idem::didit {

inline constexpr std::string_view kResendWebhookKind = "resend_webhook";

struct WebhookDelivery {
  std::string uuid;
  std::string session_id;
  std::optional<std::string> status;
  std::optional<std::string> request_url;
  std::optional<std::int64_t> response_status;  // none: no answer (yet)
  std::optional<std::string> request_body;      // the delivered body, as a string
  std::optional<std::string> request_header;    // a JSON object, as a string
  std::optional<std::string> webhook_type;
  std::optional<std::string> created_at;
  nlohmann::json raw;
};

// kCorruption on invalid JSON, too deep, invalid UTF-8 or a wrong type; uuid
// and session_id required.
[[nodiscard]] Result<WebhookDelivery> ParseWebhookDelivery(std::string_view body);
[[nodiscard]] Result<std::vector<WebhookDelivery>> ParseWebhookDeliveries(std::string_view body);

[[nodiscard]] Result<OpRequest> ResendWebhookOp(std::string_view session_id,
                                                std::string_view delivery_uuid,
                                                CallOptions call = {});

// GET /v3/session/{id}/webhooks/ (a 404 for an unknown session: kRefused).
[[nodiscard]] DiditResult<std::vector<WebhookDelivery>> ListSessionWebhooks(
    DiditClient& client, std::string_view session_id);
// POST /v3/session/{id}/webhook/{delivery_uuid}/resend: the new delivery.
[[nodiscard]] DiditResult<WebhookDelivery> ResendWebhook(DiditClient& client,
                                                         std::string_view session_id,
                                                         std::string_view delivery_uuid,
                                                         CallOptions call = {});

}  // namespace idem::didit

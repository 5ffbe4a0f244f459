// The catch-up's decision look-up (idem/webhook_catch_up.h) over the typed
// Didit client. Header-only: the webhook layer does not link the client, so a
// program using this links idem_didit itself (the CLI does).
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "idem/didit/client.h"
#include "idem/webhook_catch_up.h"

namespace idem::didit {

// GetDecision, its answer as a PolledStatus, its failure as a
// DecisionLookupError (the HTTP status and Retry-After of an API answer).
// Give the client DiditClientOptions::get_attempts = 1, so that a 429 comes
// back to the catch-up (which pauses) instead of being slept on.
inline DecisionLookup MakeDecisionLookup(std::shared_ptr<DiditClient> client) {
  return [client = std::move(client)](
             const std::string& session_id) -> tl::expected<PolledStatus, DecisionLookupError> {
    auto decision = client->GetDecision(session_id);
    if (!decision) {
      DecisionLookupError error;
      if (decision.error().api) {
        error.http_status = decision.error().api->http_status;
        error.retry_after = decision.error().api->retry_after;
      }
      error.message = decision.error().ToString();
      return tl::unexpected(std::move(error));
    }
    PolledStatus polled;
    polled.session_id = session_id;
    polled.status = decision->status ? decision->status->ToString() : std::string();
    polled.decision = decision->raw.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    polled.workflow_id = decision->workflow_id.value_or("");
    polled.vendor_data = decision->vendor_data.value_or("");
    return polled;
  };
}

}  // namespace idem::didit

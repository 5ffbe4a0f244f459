// The sandbox's per-session webhook delivery log (fact sheet section 6,
// "Per-session delivery log"): every attempt of the sandbox's webhook sender
// is a row, `GET /v3/session/{id}/webhooks/` lists a session's rows and
// `POST /v3/session/{id}/webhook/{delivery_uuid}/resend` delivers a row's
// body again (re-signed when sent). In memory only: a restart starts empty.
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "idem/status.h"
#include "idem/webhook_sender.h"

namespace idem::sandbox {

class WebhookDeliveryLog {
 public:
  // Queues a payload with a tag (WebhookSender::Enqueue); set by the
  // dispatch that owns the sender. Unset: resend answers 404 (no sender).
  using Enqueue = std::function<Status(std::string payload, std::string tag)>;
  void SetEnqueue(Enqueue enqueue);

  // One attempt: a new row, or, for a resend's first attempt, the row the
  // resend made. Attempts whose body has no `session_id` are not logged.
  void Record(const WebhookAttempt& attempt);

  // The session's rows, oldest first ([] when none).
  nlohmann::json List(const std::string& session_id) const;

  // Queues the body of the session's row `delivery_uuid` again and answers
  // the new row (status "PENDING" until its attempt finishes); nullopt when
  // the session has no such row or nothing can send.
  std::optional<nlohmann::json> Resend(const std::string& session_id,
                                       const std::string& delivery_uuid, std::int64_t now_ms);

 private:
  mutable std::mutex mu_;
  Enqueue enqueue_;
  std::map<std::string, std::vector<nlohmann::json>> rows_;  // by session_id
};

}  // namespace idem::sandbox

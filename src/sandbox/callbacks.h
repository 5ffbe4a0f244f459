// Didit's unsigned per-request callbacks (the `kyb.registry_search.resolved`
// POST to a search's `webhook_url`), delivered by the webhook layer's
// WebhookSender with unsigned_callbacks (no X-Signature*, no X-Timestamp;
// `X-Didit-Unsigned-Callback: true`), each entry to its own URL, with the
// same retries as the sandbox's webhooks. The sender is made on the first
// callback: most sandboxes never send one, and a sender is two threads.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "idem/clock.h"
#include "idem/retry.h"
#include "idem/status.h"
#include "idem/transport.h"
#include "idem/webhook_sender.h"

namespace idem::sandbox {

struct CallbackConfig {
  int max_attempts = kDiditWebhookAttempts;
  std::shared_ptr<const BackoffPolicy> backoff;  // null: DiditWebhookBackoff()
  std::shared_ptr<Transport> transport;          // null: the sender's own
  std::shared_ptr<Clock> clock;                  // null: the system clock
};

class CallbackDispatch {
 public:
  explicit CallbackDispatch(CallbackConfig config) : config_(std::move(config)) {}
  ~CallbackDispatch();

  // Queues `payload` for `url`; returns at once. An error when the sender
  // cannot be made or is shutting down (the callback is then lost, as
  // Didit's are when its sender gives up).
  [[nodiscard]] Status Send(std::string url, std::string payload);
  // The sender's stats JSON; "" before the first callback.
  std::string StatsJson() const;

 private:
  CallbackConfig config_;
  mutable std::mutex mu_;
  std::unique_ptr<WebhookSender> sender_;
};

}  // namespace idem::sandbox

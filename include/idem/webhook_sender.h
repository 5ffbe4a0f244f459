// The webhook sender (used by the sandbox): a queue of events delivered to one
// URL, signed like Didit (X-Signature, X-Signature-V2, X-Signature-Simple,
// X-Timestamp, re-signed at every attempt), at least once: an attempt that
// times out, cannot connect, or gets 5xx or 404 is retried with exponential
// backoff; any 2xx acknowledges; other statuses (400, 401, 410, ...) give the
// event up. Optional faults (duplicate, reorder, delay) make the receiver's
// dedupe and ordering rules earn their keep.
//
// Nothing is persisted: events still queued when the process dies are lost
// (the sandbox is a test double; Didit itself keeps its queue).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "idem/clock.h"
#include "idem/random.h"
#include "idem/status.h"
#include "idem/transport.h"

namespace idem {

// Faults, parsed from "duplicate=0.2,reorder=0.1,delay=0.1:2000" (any subset,
// any order; "" = none). Each applies per event, decided with the sender's
// RandomSource.
struct WebhookFaults {
  double duplicate = 0;  // P(the event is delivered twice, as two queue entries)
  double reorder = 0;    // P(the event is held back reorder_hold so later ones overtake it)
  double delay = 0;      // P(the event's first attempt waits delay_ms)
  std::int64_t delay_ms = 0;
};
// kInvalidArgument for unknown names, probabilities outside [0, 1], bad numbers.
Result<WebhookFaults> ParseWebhookFaults(std::string_view spec);

struct WebhookSenderOptions {
  // Where to POST. Required.
  std::string url;
  // The shared secret the headers are signed with. Required. Never logged.
  std::string secret;
  // Backoff before retry n (n >= 1): min(initial_backoff * 2^(n-1), max_backoff),
  // with +-20% jitter. Short defaults suit tests and the sandbox: 50 ms, 2 s.
  std::chrono::milliseconds initial_backoff{50};
  std::chrono::milliseconds max_backoff{2000};
  // Attempts per event before it is given up (counted in "failed").
  // Default 30; 0 = retry forever.
  int max_attempts = 30;
  // Timeout of one attempt (Didit uses 5 s). Default 5 s.
  std::chrono::milliseconds attempt_timeout{5000};
  // Events in flight at once. Default 8.
  int max_in_flight = 8;
  // See WebhookFaults. Default none.
  WebhookFaults faults;
  // How long a reordered event is held back. Default 100 ms.
  std::chrono::milliseconds reorder_hold{100};
  // X-Timestamp of each attempt. Default: the system clock.
  std::shared_ptr<Clock> clock;
  // Fault and jitter decisions. Default: SeededRandom(1), so runs repeat.
  std::shared_ptr<RandomSource> random;
  // The transport to send with. Default (null): a libcurl transport of its own.
  std::shared_ptr<Transport> transport;
};

struct WebhookSenderStats {
  std::uint64_t enqueued = 0;         // events handed to Enqueue
  std::uint64_t deliveries = 0;       // HTTP attempts started
  std::uint64_t retries = 0;          // attempts after the first of an entry
  std::uint64_t acknowledged = 0;     // entries answered 2xx
  std::uint64_t failed_attempts = 0;  // attempts not answered 2xx
  std::uint64_t given_up = 0;         // entries dropped (max_attempts or a final status)
  std::uint64_t duplicates_injected = 0;
  std::uint64_t reordered = 0;
  std::uint64_t delayed = 0;
  std::uint64_t pending = 0;  // entries queued or in flight now
};

class WebhookSender {
 public:
  // kInvalidArgument without url or secret.
  static Result<std::unique_ptr<WebhookSender>> Create(WebhookSenderOptions options);
  virtual ~WebhookSender() = default;

  // Queues one event (a JSON payload, sent byte for byte). Returns at once.
  // After Shutdown, kFailedPrecondition.
  virtual Status Enqueue(std::string payload) = 0;

  // Blocks until nothing is queued or in flight, or `timeout` passes.
  // true = idle.
  virtual bool WaitIdle(std::chrono::milliseconds timeout) = 0;

  virtual WebhookSenderStats stats() const = 0;
  // The stats as a JSON object (for /_sandbox/stats).
  virtual std::string StatsJson() const = 0;

  // Stops: waits up to `grace` for the queue to drain, then drops what is
  // left (counted in given_up). Idempotent; the destructor calls it with 0.
  virtual void Shutdown(std::chrono::milliseconds grace = std::chrono::milliseconds(0)) = 0;
};

}  // namespace idem

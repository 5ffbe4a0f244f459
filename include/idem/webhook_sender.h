// The webhook sender (used by the sandbox): a queue of events delivered to one
// URL, signed like Didit (X-Signature, X-Signature-V2, X-Signature-Simple,
// X-Timestamp, re-signed at every attempt), at least once: an attempt that
// times out, cannot connect, or gets 5xx, 404, 408 or 429 is retried under a
// RetryPolicy and a BackoffPolicy cloned per event (idem/retry.h, the types
// the Client's ops and DiditClient::Get retry with); any 2xx acknowledges;
// other statuses (400, 401, 410, ...) give the event up. Optional faults
// (duplicate, reorder, delay) make the receiver's dedupe and ordering rules
// earn their keep.
//
// Nothing is persisted: events still queued when the process dies are lost
// (the sandbox is a test double; Didit itself keeps its queue).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "idem/clock.h"
#include "idem/random.h"
#include "idem/retry.h"
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
[[nodiscard]] Result<WebhookFaults> ParseWebhookFaults(std::string_view spec);

// Didit's own webhook sender, as the fact sheet has it
// (didit-api-v3-details.md section 6, "Didit's sender: retries"; from
// secondary sources, the console's prompt and the AsyncAPI copy): the first
// attempt and up to two retries, "~1 min then ~4 min", 5 s per attempt, then
// the delivery is dropped. The sandbox sends with this by default
// (SandboxOptions::webhook_max_attempts, webhook_backoff).
inline constexpr int kDiditWebhookAttempts = 3;
// FixedScheduleBackoff({60 s, 240 s}): 1 min after the first attempt failed,
// 4 min after the second. Read as the waits between attempts; the sources do
// not say whether "~4 min" counts from the first attempt instead. No jitter:
// Didit's spread is not documented either.
std::shared_ptr<const BackoffPolicy> DiditWebhookBackoff();

// One finished HTTP attempt of the sender, for an observer
// (WebhookSenderOptions::on_attempt; the sandbox's per-session delivery log).
struct WebhookAttempt {
  std::string tag;  // the tag given to Enqueue ("" = none)
  int attempt = 0;  // 1 = the entry's first attempt
  std::string url;
  std::string body;              // the payload, byte for byte
  Headers headers;               // the request's headers (signatures and X-Timestamp)
  int status = 0;                // the receiver's answer; 0 = none (timeout, no connection)
  bool acknowledged = false;     // a 2xx
  std::int64_t sent_unix_s = 0;  // X-Timestamp
};

struct WebhookSenderOptions {
  // Where to POST. Required.
  std::string url;
  // The shared secret the headers are signed with. Required (unless
  // unsigned_callbacks). Never logged.
  std::string secret;
  // Didit's per-request callbacks (`kyb.registry_search.resolved` to the
  // `webhook_url` of POST /v3/kyb/search/) are sent unsigned: no
  // X-Signature, X-Signature-V2, X-Signature-Simple or X-Timestamp, but
  // `X-Didit-Unsigned-Callback: true` (OAS). With this set every delivery is
  // sent so, `secret` is not needed, and `url` may be empty when every entry
  // names its own (EnqueueTo). Default false: signed like Didit's webhooks.
  bool unsigned_callbacks = false;
  // The waits between an event's attempts: a prototype cloned per event (a
  // duplicate injected by `faults` is an event of its own), so each starts
  // its schedule afresh. Default (null): FullJitterBackoff(initial_backoff,
  // max_backoff, random): retry n (n = 0, 1, ...) waits
  // random(0, min(max_backoff, initial_backoff * 2^n)). DiditWebhookBackoff()
  // is Didit's schedule.
  std::shared_ptr<const BackoffPolicy> backoff;
  // Whether an event gets another attempt: a prototype cloned per event when
  // it is enqueued (so an elapsed limit counts from then). Default (null):
  // LimitedAttemptsRetryPolicy(max_attempts, max_elapsed, clock), with 0
  // meaning no limit for either.
  std::shared_ptr<const RetryPolicy> retry;
  // The backoff's base and cap when `backoff` is null. Short defaults suit
  // tests: 50 ms, 2 s.
  std::chrono::milliseconds initial_backoff{50};
  std::chrono::milliseconds max_backoff{2000};
  // Attempts per event, the first included, before it is given up (counted
  // in "given_up"), when `retry` is null. Default 30; 0 = no limit.
  int max_attempts = 30;
  // Time from Enqueue after which a failed event is given up, when `retry`
  // is null. Default 0 = no limit.
  std::chrono::milliseconds max_elapsed{0};
  // A token bucket shared by every event: each retry takes its cost, each
  // acknowledged attempt refunds some, and an event whose retry the bucket
  // cannot pay for is given up. Default (null): none, as Didit, which retries
  // every delivery its fixed number of times whatever the others do; a
  // sender that must not storm a failing receiver with the retries of many
  // events sets one. In memory: a new process starts full.
  std::shared_ptr<RetryBudget> budget;
  // Timeout of one attempt (Didit uses 5 s). Default 5 s.
  std::chrono::milliseconds attempt_timeout{5000};
  // Events in flight at once. Default 8.
  int max_in_flight = 8;
  // See WebhookFaults. Default none.
  WebhookFaults faults;
  // How long a reordered event is held back. Default 100 ms.
  std::chrono::milliseconds reorder_hold{100};
  // X-Timestamp of each attempt, and the default retry policy's elapsed
  // time. Default: the system clock.
  std::shared_ptr<Clock> clock;
  // Fault decisions and the default backoff's jitter. Default:
  // SeededRandom(1), so runs repeat.
  std::shared_ptr<RandomSource> random;
  // The transport to send with. Default (null): a libcurl transport of its own.
  std::shared_ptr<Transport> transport;
  // Called after every attempt, on the transport's thread, with no lock of
  // the sender held (it may call Enqueue). Default: none.
  std::function<void(const WebhookAttempt&)> on_attempt;
};

struct WebhookSenderStats {
  std::uint64_t enqueued = 0;         // events handed to Enqueue
  std::uint64_t deliveries = 0;       // HTTP attempts started
  std::uint64_t retries = 0;          // attempts after the first of an entry
  std::uint64_t acknowledged = 0;     // entries answered 2xx
  std::uint64_t failed_attempts = 0;  // attempts not answered 2xx
  std::uint64_t given_up = 0;         // entries dropped (retries exhausted, budget empty,
                                      // a final status, or shutdown)
  std::uint64_t duplicates_injected = 0;
  std::uint64_t reordered = 0;
  std::uint64_t delayed = 0;
  std::uint64_t pending = 0;  // entries queued or in flight now
};

class WebhookSender {
 public:
  // kInvalidArgument without url or secret (neither is required with
  // unsigned_callbacks).
  [[nodiscard]] static Result<std::unique_ptr<WebhookSender>> Create(WebhookSenderOptions options);
  virtual ~WebhookSender() = default;

  // Queues one event (a JSON payload, sent byte for byte). Returns at once.
  // After Shutdown, kFailedPrecondition.
  [[nodiscard]] Status Enqueue(std::string payload) { return Enqueue(std::move(payload), {}); }
  // The same, with a tag handed back in every WebhookAttempt of this entry
  // (not of a duplicate injected by `faults`, which gets no tag).
  [[nodiscard]] virtual Status Enqueue(std::string payload, std::string tag) = 0;
  // Queues one event for `url` instead of the options' url (a per-request
  // callback URL), with the same retries. kInvalidArgument for an empty url.
  [[nodiscard]] virtual Status EnqueueTo(std::string url, std::string payload) = 0;

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

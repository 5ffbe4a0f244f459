// Retry logic as separate small types, in the google-cloud-cpp style:
//  - BackoffPolicy: how long to wait before the next attempt (jittered);
//  - RetryPolicy:   whether another attempt is allowed (attempts, elapsed time);
//  - RetryBudget:   a token bucket shared by every call of a Client, so that a
//                   failing server does not get a retry storm;
//  - Classify*:     which outcomes are retried with the same key, which are final;
//  - ServerPushback: Retry-After / X-RateLimit-Reset as a capped floor.
// Policies are prototypes: every loop that retries clones one per call (the
// Client per op, DiditClient::Get per GET, the webhook sender per event).
// Time and randomness are injected (Clock, RandomSource), so tests never sleep.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>
#include <vector>

#include "idem/clock.h"
#include "idem/http.h"
#include "idem/random.h"
#include "idem/transport.h"

namespace idem {

// ---------------------------------------------------------------------------
// Backoff

class BackoffPolicy {
 public:
  virtual ~BackoffPolicy() = default;
  // A fresh copy with the growth state reset, for one call.
  virtual std::unique_ptr<BackoffPolicy> Clone() const = 0;
  // The delay before the next retry; each call advances the growth state.
  virtual std::chrono::milliseconds OnCompletion() = 0;
};

// Full jitter (AWS/Brooker): the n-th retry (n = 0, 1, ...) waits
// random(0, min(cap, base * 2^n)). The default backoff.
class FullJitterBackoff final : public BackoffPolicy {
 public:
  // Defaults: base 100 ms, cap 20 s (AWS standard mode), randomness from a
  // process-wide generator seeded by the CSPRNG when `random` is null.
  explicit FullJitterBackoff(std::chrono::milliseconds base = std::chrono::milliseconds(100),
                             std::chrono::milliseconds cap = std::chrono::seconds(20),
                             std::shared_ptr<RandomSource> random = nullptr);
  std::unique_ptr<BackoffPolicy> Clone() const override;
  std::chrono::milliseconds OnCompletion() override;

 private:
  std::chrono::milliseconds base_;
  std::chrono::milliseconds cap_;
  std::shared_ptr<RandomSource> random_;
  int retries_ = 0;
};

// Decorrelated jitter (Brooker): next = min(cap, random(base, prev * 3)),
// prev starting at base. Grows more smoothly than full jitter.
class DecorrelatedJitterBackoff final : public BackoffPolicy {
 public:
  // Defaults as FullJitterBackoff.
  explicit DecorrelatedJitterBackoff(
      std::chrono::milliseconds base = std::chrono::milliseconds(100),
      std::chrono::milliseconds cap = std::chrono::seconds(20),
      std::shared_ptr<RandomSource> random = nullptr);
  std::unique_ptr<BackoffPolicy> Clone() const override;
  std::chrono::milliseconds OnCompletion() override;

 private:
  std::chrono::milliseconds base_;
  std::chrono::milliseconds cap_;
  std::shared_ptr<RandomSource> random_;
  std::chrono::milliseconds prev_;
};

// A schedule given wait by wait, no jitter: retry n (n = 0, 1, ...) waits
// delays[n], and every retry past the end waits the last entry again (none:
// 0). For a sender whose schedule is a documented fact rather than a curve,
// such as Didit's webhook retries (DiditWebhookBackoff in webhook_sender.h).
class FixedScheduleBackoff final : public BackoffPolicy {
 public:
  // Negative entries count as 0.
  explicit FixedScheduleBackoff(std::vector<std::chrono::milliseconds> delays);
  std::unique_ptr<BackoffPolicy> Clone() const override;
  std::chrono::milliseconds OnCompletion() override;

 private:
  std::vector<std::chrono::milliseconds> delays_;
  std::size_t next_ = 0;
};

// ---------------------------------------------------------------------------
// Retry policy

class RetryPolicy {
 public:
  virtual ~RetryPolicy() = default;
  // A fresh copy for one call: counters reset, the elapsed-time clock starts now.
  virtual std::unique_ptr<RetryPolicy> Clone() const = 0;
  // Records one failed (retryable) attempt. Returns true when another attempt
  // is allowed.
  virtual bool OnFailure() = 0;
  virtual bool IsExhausted() const = 0;
};

// A max_elapsed that never ends a call: a century, still small enough to
// compare with steady_clock's nanoseconds without overflow.
inline constexpr std::chrono::milliseconds kNoElapsedLimit = std::chrono::hours(24 * 365 * 100);

// Stops after `max_attempts` attempts in total (the first included) or once
// `max_elapsed` has passed since the clone was made, whichever comes first.
// Counts are per driving session: `idem resume` starts a fresh budget of
// attempts for the op (the journal keeps the lifetime total in `attempts`).
class LimitedAttemptsRetryPolicy final : public RetryPolicy {
 public:
  // Defaults: 5 attempts (Didit's advice), 60 s, the system clock.
  explicit LimitedAttemptsRetryPolicy(
      int max_attempts = 5, std::chrono::milliseconds max_elapsed = std::chrono::seconds(60),
      std::shared_ptr<Clock> clock = nullptr);
  std::unique_ptr<RetryPolicy> Clone() const override;
  bool OnFailure() override;
  bool IsExhausted() const override;

  int failures() const { return failures_; }

 private:
  int max_attempts_;
  std::chrono::milliseconds max_elapsed_;
  std::shared_ptr<Clock> clock_;
  std::chrono::steady_clock::time_point start_;
  int failures_ = 0;
};

// ---------------------------------------------------------------------------
// Retry budget

struct RetryBudgetOptions {
  // Tokens in a full bucket. Default 500 (AWS standard mode).
  int capacity = 500;
  // Tokens a retry after an error response or connection failure costs. Default 5.
  int retry_cost = 5;
  // Tokens a retry after a timeout costs. Default 10.
  int timeout_retry_cost = 10;
  // Tokens a success returns (never above capacity). Default 1.
  int success_refund = 1;
};

// Thread-safe token bucket shared by every call of a Client: each retry takes
// tokens, each success refunds some; when the bucket cannot pay for a retry,
// the call stops retrying (the op becomes `unknown`, kept for resume). The
// bucket lives in memory only: a new process starts full.
class RetryBudget {
 public:
  explicit RetryBudget(RetryBudgetOptions options = {});
  // Takes the cost of one retry; false (and nothing taken) when too few tokens.
  bool TryAcquireRetry(bool after_timeout);
  void OnSuccess();
  int available() const;

 private:
  RetryBudgetOptions options_;
  mutable std::mutex mu_;
  int tokens_;
};

// ---------------------------------------------------------------------------
// Classification

enum class Verdict {
  kSuccess,  // 2xx
  kRetry,    // retry with the same key
  kFinal,    // a definitive refusal: do not retry
};

// 2xx -> kSuccess. 408, 409 (key in use), 425, 429 and every 5xx -> kRetry
// (500/502/503/504 by the spec, other 5xx because a server error says nothing
// about the request). 400, 401, 403, 404, 422 and every other 4xx -> kFinal.
// 1xx/3xx (which libcurl does not surface as final) and out-of-range codes ->
// kFinal, so a confused server cannot make the client loop.
Verdict ClassifyStatus(int status);

// A 409 that refuses the request for good: its Idempotency-Key was already
// used with a different request. Didit answers a key reused with another
// body with 409 and says "still in progress" with 409 + Retry-After, and the
// IETF draft's server says "in progress" with 409 (and "reused" with 422).
// So a 409 is "in progress" (retryable) when it carries Retry-After or its
// body says so ("in progress", "being processed", "still processing"), and
// final otherwise. False for any status but 409.
bool IsKeyReuseConflict(int status, const Headers& headers, std::string_view body);

// kNotSent, kTimeout, kConnectionLost -> kRetry; kCancelled and kInternal ->
// kFinal for this driving session (the Client keeps the op for resume).
Verdict ClassifyTransportFailure(TransportFailure failure);

// True when a failed attempt may have executed on the server, so a reconciler
// should look before the op is sent again: timeouts, lost connections and 5xx
// responses. kNotSent, 408, 409, 425 and 429 prove nothing executed anew.
bool MayHaveExecuted(TransportFailure failure);
bool MayHaveExecuted(int status);

// ---------------------------------------------------------------------------
// Server pushback

// `Retry-After` (RFC 9110 10.2.3): delta-seconds or an HTTP-date (IMF-fixdate,
// RFC 850 or asctime form). Returns the wait from `now` (0 when the date has
// passed), or nullopt when the value is malformed. Absurdly large values
// saturate (the caller caps them).
std::optional<std::chrono::milliseconds> ParseRetryAfter(std::string_view value,
                                                         std::chrono::system_clock::time_point now);

// `X-RateLimit-Reset`: Unix epoch seconds when the window resets. Returns the
// wait from `now` (0 when past), nullopt when malformed.
std::optional<std::chrono::milliseconds> ParseRateLimitReset(
    std::string_view value, std::chrono::system_clock::time_point now);

// The floor the server asks for: the larger of Retry-After and
// X-RateLimit-Reset, capped at `cap` (default 60 s in ClientOptions) so a
// server cannot stall the client for an hour. nullopt when neither header
// is present and well-formed.
std::optional<std::chrono::milliseconds> ServerPushback(const Headers& headers,
                                                        std::chrono::system_clock::time_point now,
                                                        std::chrono::milliseconds cap);

// Parses an HTTP-date in any of the three RFC 9110 forms; nullopt when malformed.
std::optional<std::chrono::system_clock::time_point> ParseHttpDate(std::string_view text);

}  // namespace idem

// Internal: the step every retrier in idem takes after a failed attempt that
// may be retried: the Client's op driver, DiditClient::Get and the webhook
// sender. The retry policy allows another attempt, the shared budget pays for
// it, the backoff says how long to wait, and the server's pushback is a floor
// under that wait. Each caller owns what it does around the step (the driver
// journals the next attempt's time and renews its lease while it waits).
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string_view>

#include "idem/retry.h"

namespace idem::internal {

// One call's (one op's, one GET's, one webhook event's) retry state: a clone of each
// prototype, made when the call starts, and the budget shared with every
// other call. Not thread-safe: one call drives it (the budget is).
class RetryLoop {
 public:
  enum class Stop {
    kNone,         // a retry was allowed (or none asked yet)
    kExhausted,    // the retry policy allows no further attempt
    kBudgetEmpty,  // the shared budget cannot pay for one
  };

  // `budget` may be null: no budget (every retry the policy allows is made).
  RetryLoop(const RetryPolicy& retry, const BackoffPolicy& backoff,
            std::shared_ptr<RetryBudget> budget);

  // After a retryable failure: the wait before the next attempt, or nullopt
  // when there is none (stop() says why). Takes the budget's cost of a retry
  // (more after a timeout) only when the policy allows one. `pushback`
  // (ServerPushback, already capped) raises the wait, never lowers it.
  std::optional<std::chrono::milliseconds> NextDelay(
      bool after_timeout, std::optional<std::chrono::milliseconds> pushback = std::nullopt);

  // A success: refunds the budget (RetryBudget::OnSuccess).
  void OnSuccess();

  Stop stop() const { return stop_; }

 private:
  std::unique_ptr<RetryPolicy> retry_;
  std::unique_ptr<BackoffPolicy> backoff_;
  std::shared_ptr<RetryBudget> budget_;
  Stop stop_ = Stop::kNone;
};

// " (retries exhausted)", " (retry budget empty)" or "": appended to the last
// error when a loop stops, the wording the Client's driver uses for an op.
std::string_view StopSuffix(RetryLoop::Stop stop);

}  // namespace idem::internal

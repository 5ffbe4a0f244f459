#include "retry/retry_loop.h"

#include <algorithm>
#include <utility>

namespace idem::internal {

RetryLoop::RetryLoop(const RetryPolicy& retry, const BackoffPolicy& backoff,
                     std::shared_ptr<RetryBudget> budget)
    : retry_(retry.Clone()), backoff_(backoff.Clone()), budget_(std::move(budget)) {}

std::optional<std::chrono::milliseconds> RetryLoop::NextDelay(
    bool after_timeout, std::optional<std::chrono::milliseconds> pushback) {
  // The policy first: a call that may not retry anyway costs the budget
  // nothing, as in the Client's driver.
  if (!retry_->OnFailure()) {
    stop_ = Stop::kExhausted;
    return std::nullopt;
  }
  if (budget_ && !budget_->TryAcquireRetry(after_timeout)) {
    stop_ = Stop::kBudgetEmpty;
    return std::nullopt;
  }
  stop_ = Stop::kNone;
  std::chrono::milliseconds delay = backoff_->OnCompletion();
  if (pushback) delay = std::max(delay, *pushback);
  return delay;
}

void RetryLoop::OnSuccess() {
  if (budget_) budget_->OnSuccess();
}

std::string_view StopSuffix(RetryLoop::Stop stop) {
  switch (stop) {
    case RetryLoop::Stop::kExhausted:
      return " (retries exhausted)";
    case RetryLoop::Stop::kBudgetEmpty:
      return " (retry budget empty)";
    case RetryLoop::Stop::kNone:
      break;
  }
  return "";
}

}  // namespace idem::internal

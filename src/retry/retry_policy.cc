// RetryPolicy (attempts and elapsed time per call) and RetryBudget (a token
// bucket shared by all calls, like the AWS SDK standard retry mode).
#include <algorithm>

#include "idem/retry.h"

namespace idem {

LimitedAttemptsRetryPolicy::LimitedAttemptsRetryPolicy(int max_attempts,
                                                       std::chrono::milliseconds max_elapsed,
                                                       std::shared_ptr<Clock> clock)
    : max_attempts_(std::max(1, max_attempts)),
      max_elapsed_(max_elapsed),
      clock_(clock ? std::move(clock) : DefaultClock()),
      start_(clock_->SteadyNow()) {}

std::unique_ptr<RetryPolicy> LimitedAttemptsRetryPolicy::Clone() const {
  return std::make_unique<LimitedAttemptsRetryPolicy>(max_attempts_, max_elapsed_, clock_);
}

bool LimitedAttemptsRetryPolicy::OnFailure() {
  ++failures_;
  return !IsExhausted();
}

bool LimitedAttemptsRetryPolicy::IsExhausted() const {
  if (failures_ >= max_attempts_) return true;
  return clock_->SteadyNow() - start_ >= max_elapsed_;
}

RetryBudget::RetryBudget(RetryBudgetOptions options)
    : options_(options), tokens_(std::max(0, options.capacity)) {}

bool RetryBudget::TryAcquireRetry(bool after_timeout) {
  int cost = after_timeout ? options_.timeout_retry_cost : options_.retry_cost;
  std::lock_guard<std::mutex> lock(mu_);
  if (tokens_ < cost) return false;
  tokens_ -= cost;
  return true;
}

void RetryBudget::OnSuccess() {
  std::lock_guard<std::mutex> lock(mu_);
  tokens_ = std::min(options_.capacity, tokens_ + options_.success_refund);
}

int RetryBudget::available() const {
  std::lock_guard<std::mutex> lock(mu_);
  return tokens_;
}

}  // namespace idem

// Backoff policies: jittered (Brooker, "Exponential Backoff and Jitter") and a
// fixed schedule.
#include <algorithm>
#include <utility>

#include "idem/retry.h"
#include "retry/default_random.h"

namespace idem {
namespace {

using std::chrono::milliseconds;

// base * 2^n without overflow: saturates at `cap`.
milliseconds ExponentialCeiling(milliseconds base, milliseconds cap, int n) {
  if (base.count() <= 0) return milliseconds(0);
  std::int64_t value = base.count();
  for (int i = 0; i < n && value < cap.count(); ++i) value *= 2;
  return std::min(cap, milliseconds(value));
}

}  // namespace

FullJitterBackoff::FullJitterBackoff(milliseconds base, milliseconds cap,
                                     std::shared_ptr<RandomSource> random)
    : base_(std::max(base, milliseconds(0))),
      cap_(std::max(cap, milliseconds(0))),
      random_(random ? std::move(random) : internal::DefaultJitterRandom()) {}

std::unique_ptr<BackoffPolicy> FullJitterBackoff::Clone() const {
  return std::make_unique<FullJitterBackoff>(base_, cap_, random_);
}

milliseconds FullJitterBackoff::OnCompletion() {
  milliseconds ceiling = ExponentialCeiling(base_, cap_, retries_);
  if (retries_ < 64) ++retries_;
  return milliseconds(static_cast<std::int64_t>(
      random_->NextInRange(0, static_cast<std::uint64_t>(ceiling.count()))));
}

DecorrelatedJitterBackoff::DecorrelatedJitterBackoff(milliseconds base, milliseconds cap,
                                                     std::shared_ptr<RandomSource> random)
    : base_(std::max(base, milliseconds(0))),
      cap_(std::max(cap, milliseconds(0))),
      random_(random ? std::move(random) : internal::DefaultJitterRandom()),
      prev_(base_) {}

std::unique_ptr<BackoffPolicy> DecorrelatedJitterBackoff::Clone() const {
  return std::make_unique<DecorrelatedJitterBackoff>(base_, cap_, random_);
}

milliseconds DecorrelatedJitterBackoff::OnCompletion() {
  // prev * 3, saturating at cap (prev never exceeds cap, so no overflow).
  std::int64_t upper = std::max(base_.count(), std::min(prev_.count() * 3, cap_.count()));
  auto drawn = static_cast<std::int64_t>(random_->NextInRange(
      static_cast<std::uint64_t>(base_.count()), static_cast<std::uint64_t>(upper)));
  prev_ = std::min(cap_, milliseconds(drawn));
  return prev_;
}

FixedScheduleBackoff::FixedScheduleBackoff(std::vector<milliseconds> delays)
    : delays_(std::move(delays)) {
  for (auto& d : delays_) d = std::max(d, milliseconds(0));
}

std::unique_ptr<BackoffPolicy> FixedScheduleBackoff::Clone() const {
  return std::make_unique<FixedScheduleBackoff>(delays_);
}

milliseconds FixedScheduleBackoff::OnCompletion() {
  if (delays_.empty()) return milliseconds(0);
  const milliseconds delay = delays_[std::min(next_, delays_.size() - 1)];
  if (next_ < delays_.size()) ++next_;
  return delay;
}

}  // namespace idem

// The one step of every retry loop (retry/retry_loop.h): policy, then
// budget, then backoff, with the server's pushback as a floor.
#include "retry/retry_loop.h"

#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "testing/fake_clock.h"

namespace idem::internal {
namespace {

using std::chrono::milliseconds;

FixedScheduleBackoff Schedule() {
  return FixedScheduleBackoff({milliseconds(100), milliseconds(200), milliseconds(400)});
}

TEST(RetryLoop, ClonesThePrototypesAndStopsWhenThePolicyDoes) {
  LimitedAttemptsRetryPolicy policy(3, kNoElapsedLimit);
  const FixedScheduleBackoff backoff = Schedule();
  RetryLoop loop(policy, backoff, nullptr);
  EXPECT_EQ(loop.NextDelay(false), milliseconds(100));
  EXPECT_EQ(loop.NextDelay(false), milliseconds(200));
  EXPECT_FALSE(loop.NextDelay(false));
  EXPECT_EQ(loop.stop(), RetryLoop::Stop::kExhausted);
  EXPECT_EQ(StopSuffix(loop.stop()), " (retries exhausted)");
  // The prototypes were not advanced: a second loop starts over.
  RetryLoop again(policy, backoff, nullptr);
  EXPECT_EQ(again.NextDelay(false), milliseconds(100));
}

TEST(RetryLoop, PushbackRaisesTheWaitButNeverLowersIt) {
  LimitedAttemptsRetryPolicy policy(5, kNoElapsedLimit);
  RetryLoop loop(policy, Schedule(), nullptr);
  EXPECT_EQ(loop.NextDelay(false, milliseconds(7000)), milliseconds(7000));
  EXPECT_EQ(loop.NextDelay(false, milliseconds(50)), milliseconds(200));
}

TEST(RetryLoop, TheBudgetPaysEachRetryAndAnExhaustedPolicyCostsNothing) {
  auto budget = std::make_shared<RetryBudget>(RetryBudgetOptions{.capacity = 15});
  LimitedAttemptsRetryPolicy policy(2, kNoElapsedLimit);
  RetryLoop first(policy, Schedule(), budget);
  EXPECT_TRUE(first.NextDelay(/*after_timeout=*/true));  // 10 tokens
  EXPECT_EQ(budget->available(), 5);
  EXPECT_FALSE(first.NextDelay(false));  // the policy stops it: nothing taken
  EXPECT_EQ(first.stop(), RetryLoop::Stop::kExhausted);
  EXPECT_EQ(budget->available(), 5);

  RetryLoop second(LimitedAttemptsRetryPolicy(5, kNoElapsedLimit), Schedule(), budget);
  EXPECT_FALSE(second.NextDelay(true));  // a timeout's retry costs 10: too few
  EXPECT_EQ(second.stop(), RetryLoop::Stop::kBudgetEmpty);
  EXPECT_EQ(StopSuffix(second.stop()), " (retry budget empty)");
  second.OnSuccess();
  EXPECT_EQ(budget->available(), 6);
  EXPECT_TRUE(second.NextDelay(false));  // 5 tokens
  EXPECT_EQ(second.stop(), RetryLoop::Stop::kNone);
  EXPECT_EQ(budget->available(), 1);
}

TEST(RetryLoop, TheElapsedLimitCountsFromTheLoopsStart) {
  auto clock = std::make_shared<testing::FakeClock>();
  LimitedAttemptsRetryPolicy policy(100, milliseconds(1000), clock);
  clock->Advance(milliseconds(5000));  // the prototype's age does not count
  RetryLoop loop(policy, Schedule(), nullptr);
  EXPECT_TRUE(loop.NextDelay(false));
  clock->Advance(milliseconds(1000));
  EXPECT_FALSE(loop.NextDelay(false));
  EXPECT_EQ(loop.stop(), RetryLoop::Stop::kExhausted);
}

}  // namespace
}  // namespace idem::internal

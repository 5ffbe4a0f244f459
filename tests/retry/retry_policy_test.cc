#include <gtest/gtest.h>

#include <memory>
#include <thread>
#include <vector>

#include "idem/retry.h"
#include "testing/fake_clock.h"

namespace idem {
namespace {

using std::chrono::milliseconds;

TEST(LimitedAttemptsRetryPolicy, StopsAfterMaxAttempts) {
  auto clock = std::make_shared<testing::FakeClock>();
  LimitedAttemptsRetryPolicy prototype(3, std::chrono::hours(1), clock);
  auto policy = prototype.Clone();
  EXPECT_FALSE(policy->IsExhausted());
  EXPECT_TRUE(policy->OnFailure());   // attempt 1 failed, 2 allowed
  EXPECT_TRUE(policy->OnFailure());   // attempt 2 failed, 3 allowed
  EXPECT_FALSE(policy->OnFailure());  // attempt 3 failed: done
  EXPECT_TRUE(policy->IsExhausted());
  EXPECT_FALSE(prototype.Clone()->IsExhausted());
}

TEST(LimitedAttemptsRetryPolicy, StopsAfterMaxElapsedTime) {
  auto clock = std::make_shared<testing::FakeClock>();
  LimitedAttemptsRetryPolicy prototype(100, milliseconds(1000), clock);
  auto policy = prototype.Clone();
  clock->Advance(milliseconds(999));
  EXPECT_TRUE(policy->OnFailure());
  clock->Advance(milliseconds(1));
  EXPECT_TRUE(policy->IsExhausted());
  EXPECT_FALSE(policy->OnFailure());
  // A clone made now has its own clock start.
  EXPECT_FALSE(prototype.Clone()->IsExhausted());
}

TEST(RetryBudget, DrainsAndStopsRetrying) {
  RetryBudget budget;  // 500 tokens, 5 per retry
  int granted = 0;
  while (budget.TryAcquireRetry(false)) ++granted;
  EXPECT_EQ(granted, 100);
  EXPECT_EQ(budget.available(), 0);
  EXPECT_FALSE(budget.TryAcquireRetry(false));
}

TEST(RetryBudget, TimeoutsCostDouble) {
  RetryBudget budget;
  int granted = 0;
  while (budget.TryAcquireRetry(true)) ++granted;
  EXPECT_EQ(granted, 50);
}

TEST(RetryBudget, SuccessRefundsUpToCapacity) {
  RetryBudget budget(RetryBudgetOptions{
      .capacity = 12, .retry_cost = 5, .timeout_retry_cost = 10, .success_refund = 1});
  budget.OnSuccess();
  EXPECT_EQ(budget.available(), 12);  // never above capacity
  EXPECT_TRUE(budget.TryAcquireRetry(true));
  EXPECT_EQ(budget.available(), 2);
  EXPECT_FALSE(budget.TryAcquireRetry(false));  // 2 < 5: nothing taken
  EXPECT_EQ(budget.available(), 2);
  for (int i = 0; i < 3; ++i) budget.OnSuccess();
  EXPECT_TRUE(budget.TryAcquireRetry(false));
  EXPECT_EQ(budget.available(), 0);
}

TEST(RetryBudget, ThreadSafe) {
  RetryBudget budget;
  std::atomic<int> granted{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 100; ++i) {
        if (budget.TryAcquireRetry(false)) ++granted;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(granted.load(), 100);
}

struct StatusCase {
  int status;
  Verdict verdict;
  bool may_have_executed;
};

class ClassifyStatusTest : public ::testing::TestWithParam<StatusCase> {};

TEST_P(ClassifyStatusTest, Table) {
  EXPECT_EQ(ClassifyStatus(GetParam().status), GetParam().verdict) << GetParam().status;
  EXPECT_EQ(MayHaveExecuted(GetParam().status), GetParam().may_have_executed);
}

INSTANTIATE_TEST_SUITE_P(
    All, ClassifyStatusTest,
    ::testing::Values(
        StatusCase{200, Verdict::kSuccess, false}, StatusCase{201, Verdict::kSuccess, false},
        StatusCase{204, Verdict::kSuccess, false}, StatusCase{408, Verdict::kRetry, false},
        StatusCase{409, Verdict::kRetry, false}, StatusCase{425, Verdict::kRetry, false},
        StatusCase{429, Verdict::kRetry, false}, StatusCase{500, Verdict::kRetry, true},
        StatusCase{502, Verdict::kRetry, true}, StatusCase{503, Verdict::kRetry, true},
        StatusCase{504, Verdict::kRetry, true},
        StatusCase{599, Verdict::kRetry, true},  // other 5xx: retried
        StatusCase{400, Verdict::kFinal, false}, StatusCase{401, Verdict::kFinal, false},
        StatusCase{402, Verdict::kFinal, false}, StatusCase{403, Verdict::kFinal, false},
        StatusCase{404, Verdict::kFinal, false}, StatusCase{410, Verdict::kFinal, false},
        StatusCase{413, Verdict::kFinal, false}, StatusCase{422, Verdict::kFinal, false},
        StatusCase{301, Verdict::kFinal, false}, StatusCase{100, Verdict::kFinal, false},
        StatusCase{0, Verdict::kFinal, false}, StatusCase{-1, Verdict::kFinal, false},
        StatusCase{600, Verdict::kFinal, false}, StatusCase{99999, Verdict::kFinal, false}));

TEST(ClassifyTransportFailure, Table) {
  EXPECT_EQ(ClassifyTransportFailure(TransportFailure::kNotSent), Verdict::kRetry);
  EXPECT_EQ(ClassifyTransportFailure(TransportFailure::kTimeout), Verdict::kRetry);
  EXPECT_EQ(ClassifyTransportFailure(TransportFailure::kConnectionLost), Verdict::kRetry);
  EXPECT_EQ(ClassifyTransportFailure(TransportFailure::kCancelled), Verdict::kFinal);
  EXPECT_EQ(ClassifyTransportFailure(TransportFailure::kInternal), Verdict::kFinal);
  EXPECT_FALSE(MayHaveExecuted(TransportFailure::kNotSent));
  EXPECT_TRUE(MayHaveExecuted(TransportFailure::kTimeout));
  EXPECT_TRUE(MayHaveExecuted(TransportFailure::kConnectionLost));
}

// Didit answers a key reused with another body with 409 and "still running"
// with 409 + Retry-After; the IETF draft's server says "in progress" with
// 409. Only a 409 that says neither "in progress" nor carries Retry-After is
// final.
TEST(IsKeyReuseConflict, TellsAReusedKeyFromOneInProgress) {
  EXPECT_TRUE(IsKeyReuseConflict(
      409, {}, R"({"detail": "Idempotency-Key reused with a different request body."})"));
  EXPECT_TRUE(IsKeyReuseConflict(409, {}, ""));
  EXPECT_TRUE(IsKeyReuseConflict(409, {{"Content-Type", "text/html"}}, "<html>Conflict</html>"));
  EXPECT_FALSE(IsKeyReuseConflict(
      409, {{"Retry-After", "1"}},
      R"({"detail": "A request with this Idempotency-Key is still being processed."})"));
  EXPECT_FALSE(IsKeyReuseConflict(409, {{"retry-after", "3"}}, "anything"));
  EXPECT_FALSE(IsKeyReuseConflict(
      409, {}, R"({"title":"Idempotency-Key in use","detail":"... is still being processed"})"));
  EXPECT_FALSE(IsKeyReuseConflict(409, {}, R"({"error":"REQUEST_IN_PROGRESS"})"));
  EXPECT_FALSE(IsKeyReuseConflict(409, {}, "Still Processing"));
  // Only 409.
  EXPECT_FALSE(IsKeyReuseConflict(422, {}, "reused"));
  EXPECT_FALSE(IsKeyReuseConflict(200, {}, ""));
  // A marker past the scanned head does not count (bounded work per body).
  EXPECT_TRUE(IsKeyReuseConflict(409, {}, std::string(5000, ' ') + "in progress"));
}

}  // namespace
}  // namespace idem

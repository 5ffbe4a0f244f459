#include <gtest/gtest.h>

#include <memory>

#include "idem/retry.h"

namespace idem {
namespace {

using std::chrono::milliseconds;

TEST(FullJitterBackoff, StaysWithinTheGrowingCeiling) {
  auto random = std::make_shared<SeededRandom>(42);
  FullJitterBackoff backoff(milliseconds(100), milliseconds(5000), random);
  for (int n = 0; n < 20; ++n) {
    milliseconds ceiling = std::min(milliseconds(5000), milliseconds(100LL << std::min(n, 20)));
    milliseconds d = backoff.OnCompletion();
    EXPECT_GE(d.count(), 0) << n;
    EXPECT_LE(d, ceiling) << n;
  }
}

TEST(FullJitterBackoff, GrowsOnAverageAndReachesTheCap) {
  auto random = std::make_shared<SeededRandom>(7);
  FullJitterBackoff prototype(milliseconds(10), milliseconds(1000), random);
  // Mean of the n-th delay over many clones: ~ceiling/2.
  double first = 0, fifth = 0, tenth = 0;
  milliseconds max_seen{0};
  for (int trial = 0; trial < 400; ++trial) {
    auto b = prototype.Clone();
    for (int n = 0; n < 10; ++n) {
      milliseconds d = b->OnCompletion();
      max_seen = std::max(max_seen, d);
      if (n == 0) first += static_cast<double>(d.count());
      if (n == 4) fifth += static_cast<double>(d.count());
      if (n == 9) tenth += static_cast<double>(d.count());
    }
  }
  EXPECT_LT(first / 400, 10);
  EXPECT_NEAR(fifth / 400, 80, 20);   // ceiling 160
  EXPECT_NEAR(tenth / 400, 500, 80);  // ceiling capped at 1000
  EXPECT_LE(max_seen, milliseconds(1000));
  EXPECT_GT(max_seen, milliseconds(900));
}

TEST(FullJitterBackoff, CloneStartsOverAndHugeRetryCountsDoNotOverflow) {
  auto random = std::make_shared<SeededRandom>(1);
  FullJitterBackoff b(milliseconds(1), milliseconds(50), random);
  for (int i = 0; i < 1000; ++i) EXPECT_LE(b.OnCompletion(), milliseconds(50));
  auto fresh = b.Clone();
  EXPECT_LE(fresh->OnCompletion(), milliseconds(1));
}

TEST(FullJitterBackoff, ZeroBaseMeansNoWait) {
  FullJitterBackoff b(milliseconds(0), milliseconds(100), std::make_shared<SeededRandom>(3));
  for (int i = 0; i < 10; ++i) EXPECT_EQ(b.OnCompletion(), milliseconds(0));
}

TEST(FullJitterBackoff, SameSeedSameDelays) {
  FullJitterBackoff a(milliseconds(100), milliseconds(20000), std::make_shared<SeededRandom>(9));
  FullJitterBackoff b(milliseconds(100), milliseconds(20000), std::make_shared<SeededRandom>(9));
  for (int i = 0; i < 10; ++i) EXPECT_EQ(a.OnCompletion(), b.OnCompletion());
}

TEST(DecorrelatedJitterBackoff, BetweenBaseAndThreeTimesPreviousCapped) {
  DecorrelatedJitterBackoff b(milliseconds(10), milliseconds(2000),
                              std::make_shared<SeededRandom>(5));
  milliseconds prev(10);
  for (int i = 0; i < 50; ++i) {
    milliseconds d = b.OnCompletion();
    EXPECT_GE(d, milliseconds(std::min<std::int64_t>(10, 2000)));
    EXPECT_LE(d, std::min(milliseconds(2000), prev * 3));
    prev = d;
  }
}

TEST(DecorrelatedJitterBackoff, GrowsTowardsTheCap) {
  DecorrelatedJitterBackoff prototype(milliseconds(10), milliseconds(1000),
                                      std::make_shared<SeededRandom>(11));
  double late = 0;
  for (int trial = 0; trial < 200; ++trial) {
    auto b = prototype.Clone();
    milliseconds d{0};
    for (int n = 0; n < 15; ++n) d = b->OnCompletion();
    late += static_cast<double>(d.count());
  }
  EXPECT_GT(late / 200, 200);  // far above base 10
  auto fresh = prototype.Clone();
  EXPECT_LE(fresh->OnCompletion(), milliseconds(30));
}

TEST(FixedScheduleBackoff, WaitsEachEntryThenRepeatsTheLast) {
  FixedScheduleBackoff schedule({milliseconds(60000), milliseconds(240000)});
  EXPECT_EQ(schedule.OnCompletion(), milliseconds(60000));
  EXPECT_EQ(schedule.OnCompletion(), milliseconds(240000));
  EXPECT_EQ(schedule.OnCompletion(), milliseconds(240000));
  // A clone starts at the first entry, whatever the prototype's state.
  auto clone = schedule.Clone();
  EXPECT_EQ(clone->OnCompletion(), milliseconds(60000));
}

TEST(FixedScheduleBackoff, EmptyMeansNoWaitAndNegativeCountsAsZero) {
  FixedScheduleBackoff empty({});
  EXPECT_EQ(empty.OnCompletion(), milliseconds(0));
  FixedScheduleBackoff negative({milliseconds(-5), milliseconds(7)});
  EXPECT_EQ(negative.OnCompletion(), milliseconds(0));
  EXPECT_EQ(negative.OnCompletion(), milliseconds(7));
}

}  // namespace
}  // namespace idem

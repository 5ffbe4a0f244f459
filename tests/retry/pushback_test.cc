#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "idem/retry.h"

namespace idem {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using std::chrono::system_clock;

// 1994-11-06 08:49:37 UTC, the RFC's example date.
const system_clock::time_point kRfcDate = system_clock::from_time_t(784111777);

TEST(ParseRetryAfter, DeltaSeconds) {
  auto now = system_clock::now();
  EXPECT_EQ(ParseRetryAfter("0", now), milliseconds(0));
  EXPECT_EQ(ParseRetryAfter("1", now), milliseconds(1000));
  EXPECT_EQ(ParseRetryAfter(" 120 ", now), milliseconds(120000));
}

TEST(ParseRetryAfter, HttpDateInAllThreeForms) {
  auto now = kRfcDate - seconds(30);
  EXPECT_EQ(ParseRetryAfter("Sun, 06 Nov 1994 08:49:37 GMT", now), milliseconds(30000));
  EXPECT_EQ(ParseHttpDate("Sun, 06 Nov 1994 08:49:37 GMT"), kRfcDate);
  EXPECT_EQ(ParseHttpDate("Sunday, 06-Nov-94 08:49:37 GMT"), kRfcDate);
  EXPECT_EQ(ParseHttpDate("Sun Nov  6 08:49:37 1994"), kRfcDate);
}

TEST(ParseRetryAfter, DateInThePastMeansNoWait) {
  EXPECT_EQ(ParseRetryAfter("Sun, 06 Nov 1994 08:49:37 GMT", kRfcDate + seconds(5)),
            milliseconds(0));
}

TEST(ParseRetryAfter, GarbageIsIgnored) {
  auto now = system_clock::now();
  for (const std::string& bad : std::vector<std::string>{
           "", " ", "-1", "+5", "1.5", "5s", "abc", "0x10", "Sun, 06 Nov 1994 08:49:37 UTC",
           "Sun, 32 Nov 1994 08:49:37 GMT", "Sun, 06 Foo 1994 08:49:37 GMT",
           "Sun, 06 Nov 1994 25:49:37 GMT", "Sun, 06 Nov 1994 08:49 GMT", "Sun, 06 Nov 1994",
           "Sun, 06 Nov 1994 08:49:37 GMT trailing", std::string("1\0", 2), "\xff\xfe",
           std::string(10000, 'A'), std::string(10000, ' ') + "x"}) {
    EXPECT_EQ(ParseRetryAfter(bad, now), std::nullopt) << bad;
  }
}

TEST(ParseRetryAfter, HugeValuesSaturateWithoutOverflow) {
  auto now = system_clock::now();
  auto huge = ParseRetryAfter("99999999999999999999999999999999", now);
  ASSERT_TRUE(huge.has_value());
  EXPECT_GT(*huge, std::chrono::hours(24 * 365));
  auto far_date = ParseRetryAfter("Fri, 31 Dec 9999 23:59:59 GMT", now);
  ASSERT_TRUE(far_date.has_value());
  EXPECT_GT(*far_date, std::chrono::hours(24 * 365));
}

TEST(ParseRateLimitReset, EpochSeconds) {
  auto now = system_clock::from_time_t(1'800'000'000);
  EXPECT_EQ(ParseRateLimitReset("1800000007", now), milliseconds(7000));
  EXPECT_EQ(ParseRateLimitReset("1799999999", now), milliseconds(0));
  EXPECT_EQ(ParseRateLimitReset("0", now), milliseconds(0));
  EXPECT_EQ(ParseRateLimitReset("", now), std::nullopt);
  EXPECT_EQ(ParseRateLimitReset("soon", now), std::nullopt);
  EXPECT_EQ(ParseRateLimitReset("-5", now), std::nullopt);
  EXPECT_EQ(ParseRateLimitReset("1800000007.5", now), std::nullopt);
  auto huge = ParseRateLimitReset("999999999999999999999999", now);
  ASSERT_TRUE(huge.has_value());
  EXPECT_GT(*huge, std::chrono::hours(24));
}

TEST(ServerPushback, LargerHeaderWinsAndTheCapHolds) {
  auto now = system_clock::from_time_t(1'800'000'000);
  Headers h = {{"retry-after", "2"}, {"X-RateLimit-Reset", "1800000005"}};
  EXPECT_EQ(ServerPushback(h, now, seconds(60)), milliseconds(5000));
  h = {{"Retry-After", "3600"}};
  EXPECT_EQ(ServerPushback(h, now, seconds(60)), milliseconds(60000));
  h = {{"Retry-After", "999999999999999999999"}, {"X-RateLimit-Reset", "99999999999999"}};
  EXPECT_EQ(ServerPushback(h, now, seconds(60)), milliseconds(60000));
  h = {{"Retry-After", "garbage"}};
  EXPECT_EQ(ServerPushback(h, now, seconds(60)), std::nullopt);
  h = {{"Retry-After", "garbage"}, {"X-RateLimit-Reset", "1800000001"}};
  EXPECT_EQ(ServerPushback(h, now, seconds(60)), milliseconds(1000));
  EXPECT_EQ(ServerPushback({}, now, seconds(60)), std::nullopt);
}

}  // namespace
}  // namespace idem

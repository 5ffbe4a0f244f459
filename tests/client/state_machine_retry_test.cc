// The driver's retries on fake time: the same key on every attempt, the
// backoff waited out to the millisecond, the server's pushback as a floor
// (and its cap), the retry policy and the shared retry budget ending an op
// `unknown`, and a shutdown parking a waiting op.
#include <gtest/gtest.h>

#include "client/state_machine_fixture.h"

namespace idem::testing {
namespace {

using std::chrono::hours;

TEST_F(StateMachineTest, ARetryableFailureThenSuccessSendsTheSameKeyTwice) {
  transport_->Script({FakeAnswer::Status(503), FakeAnswer::Status(200, {}, R"({"id":"x1"})")});
  Outcome out = Submit(Request(kKeyed));
  ASSERT_EQ(transport_->sent(), 1u);
  EXPECT_FALSE(out->has_value()) << "waiting for its retry";
  // The wait is durable: the retry's time is in the journal before it.
  EXPECT_EQ(Stored("keyed-1").next_attempt_ms, NowMs() + 100);

  scheduler_->AdvanceBy(milliseconds(100));
  ASSERT_EQ(transport_->sent(), 2u);
  ASSERT_TRUE(out->has_value());
  ASSERT_TRUE(**out) << (*out)->error().ToString();
  const Operation& op = ***out;
  EXPECT_EQ(op.state, OpState::kSucceeded);
  EXPECT_EQ(op.attempts, 2);
  EXPECT_EQ(op.response_body, R"({"id":"x1"})");
  EXPECT_FALSE(op.idem_key.empty());
  EXPECT_EQ(transport_->KeyOf(0), op.idem_key);
  EXPECT_EQ(transport_->KeyOf(1), op.idem_key);
  const HttpRequest& second = transport_->Request(1).request;
  EXPECT_EQ(second.url, "http://api.test/v3/things/");
  EXPECT_EQ(second.body, R"({"n":1})");
  EXPECT_EQ(FindHeader(second.headers, "x-api-key"), "test-key");
  Operation stored = Stored("keyed-1");
  EXPECT_EQ(stored.state, OpState::kSucceeded);
  EXPECT_EQ(stored.idem_key, op.idem_key);
  EXPECT_EQ(stored.lease_owner, "");
}

TEST_F(StateMachineTest, NothingIsSentBeforeTheBackoffDelayHasPassed) {
  options_.backoff = std::make_shared<ScriptedBackoff>(
      std::vector<milliseconds>{milliseconds(100), milliseconds(250)});
  transport_->Script({FakeAnswer::Failure(TransportFailure::kConnectionLost),
                      FakeAnswer::Status(502), FakeAnswer::Status(201)});
  Outcome out = Submit(Request(kKeyed));
  scheduler_->AdvanceBy(milliseconds(99));
  EXPECT_EQ(transport_->sent(), 1u);
  scheduler_->AdvanceBy(milliseconds(1));
  EXPECT_EQ(transport_->sent(), 2u);
  scheduler_->AdvanceBy(milliseconds(249));
  EXPECT_EQ(transport_->sent(), 2u);
  scheduler_->AdvanceBy(milliseconds(1));
  ASSERT_EQ(transport_->sent(), 3u);
  EXPECT_EQ(SentAt(1), milliseconds(100));
  EXPECT_EQ(SentAt(2), milliseconds(350));
  ASSERT_TRUE(out->has_value() && **out);
  EXPECT_EQ((**out)->state, OpState::kSucceeded);
  EXPECT_EQ((**out)->response_status, 201);
}

// A 429's Retry-After (delta-seconds) is a floor: the 100 ms backoff is
// stretched to 3 s.
TEST_F(StateMachineTest, RetryAfterFloorsTheDelay) {
  transport_->Script({FakeAnswer::Status(429, {{"Retry-After", "3"}}), FakeAnswer::Status(200)});
  Outcome out = Submit(Request(kKeyed));
  scheduler_->AdvanceBy(milliseconds(2999));
  EXPECT_EQ(transport_->sent(), 1u);
  scheduler_->AdvanceBy(milliseconds(1));
  ASSERT_EQ(transport_->sent(), 2u);
  EXPECT_EQ(transport_->KeyOf(1), transport_->KeyOf(0));
  ASSERT_TRUE(out->has_value() && **out);
  EXPECT_EQ((**out)->state, OpState::kSucceeded);
}

// X-RateLimit-Reset is epoch seconds; the fake wall clock starts on a whole
// second, so "5 s from now" is exact.
TEST_F(StateMachineTest, XRateLimitResetFloorsTheDelay) {
  const std::string reset = std::to_string(NowMs() / 1000 + 5);
  transport_->Script(
      {FakeAnswer::Status(503, {{"X-RateLimit-Reset", reset}}), FakeAnswer::Status(200)});
  Outcome out = Submit(Request(kKeyed));
  scheduler_->AdvanceBy(milliseconds(4999));
  EXPECT_EQ(transport_->sent(), 1u);
  scheduler_->AdvanceBy(milliseconds(1));
  EXPECT_EQ(transport_->sent(), 2u);
  ASSERT_TRUE(out->has_value() && **out);
  EXPECT_EQ((**out)->state, OpState::kSucceeded);
}

// A floor, not a replacement: a backoff longer than the pushback wins; and a
// server asking for an hour waits max_pushback.
TEST_F(StateMachineTest, PushbackIsAFloorCappedAtMaxPushback) {
  options_.backoff = std::make_shared<ScriptedBackoff>(std::vector<milliseconds>{seconds(5)});
  options_.max_pushback = seconds(20);
  transport_->Script({FakeAnswer::Status(429, {{"Retry-After", "1"}}),
                      FakeAnswer::Status(429, {{"Retry-After", "3600"}}), FakeAnswer::Status(200)});
  Outcome out = Submit(Request(kKeyed));
  scheduler_->AdvanceBy(seconds(60));
  ASSERT_EQ(transport_->sent(), 3u);
  EXPECT_EQ(SentAt(1), seconds(5));
  EXPECT_EQ(SentAt(2), seconds(25));
  ASSERT_TRUE(out->has_value() && **out);
  EXPECT_EQ((**out)->state, OpState::kSucceeded);
}

TEST_F(StateMachineTest, RetriesExhaustedLeaveTheOpUnknownReleasedForResume) {
  options_.retry =
      std::make_shared<LimitedAttemptsRetryPolicy>(3, std::chrono::minutes(10), clock_);
  transport_->SetFallback(FakeAnswer::Status(503));
  Outcome out = Submit(Request(kKeyed));
  scheduler_->AdvanceBy(seconds(10));
  EXPECT_EQ(transport_->sent(), 3u);
  ASSERT_TRUE(out->has_value() && **out);
  const Operation& op = ***out;
  EXPECT_EQ(op.state, OpState::kUnknown);
  EXPECT_FALSE(op.needs_review) << "a replay with its key may still settle it";
  EXPECT_NE(op.last_error.find("retries exhausted"), std::string::npos) << op.last_error;
  for (std::size_t i = 0; i < 3; ++i) EXPECT_EQ(transport_->KeyOf(i), op.idem_key);
  Operation stored = Stored("keyed-1");
  EXPECT_EQ(stored.state, OpState::kUnknown);
  EXPECT_EQ(stored.attempts, 3);
  EXPECT_EQ(stored.lease_owner, "") << "released: resume takes it at once";
  EXPECT_NE(stored.first_sent_ms, 0) << "it may have executed";
}

// The policy's time limit counts on the injected clock too: three 40 s
// pushbacks cannot fit in 60 s.
TEST_F(StateMachineTest, TheRetryPolicysTimeLimitEndsTheOp) {
  options_.retry = std::make_shared<LimitedAttemptsRetryPolicy>(100, seconds(60), clock_);
  transport_->SetFallback(FakeAnswer::Status(429, {{"Retry-After", "40"}}));
  Outcome out = Submit(Request(kKeyed));
  scheduler_->AdvanceBy(seconds(200));
  EXPECT_EQ(transport_->sent(), 3u);  // at 0, 40 and 80 s; the third failure is past 60 s
  ASSERT_TRUE(out->has_value() && **out);
  EXPECT_EQ((**out)->state, OpState::kUnknown);
  EXPECT_EQ((**out)->first_sent_ms, 0) << "every attempt was refused unexecuted (429)";
}

// One bucket for every op of the Client: 50 tokens pay ten retries of 5,
// then every op stops at its next failure instead of retrying.
TEST_F(StateMachineTest, TheRetryBudgetStopsAStorm) {
  options_.retry = std::make_shared<LimitedAttemptsRetryPolicy>(1000, hours(1), clock_);
  options_.budget = std::make_shared<RetryBudget>(RetryBudgetOptions{
      .capacity = 50, .retry_cost = 5, .timeout_retry_cost = 10, .success_refund = 1});
  transport_->SetFallback(FakeAnswer::Status(503));
  std::vector<Outcome> outs;
  for (int i = 0; i < 5; ++i) outs.push_back(Submit(Request(kKeyed, i)));
  scheduler_->AdvanceBy(seconds(10));
  EXPECT_EQ(transport_->sent(), 5u + 10u);
  EXPECT_EQ(options_.budget->available(), 0);
  for (const Outcome& out : outs) {
    ASSERT_TRUE(out->has_value() && **out);
    EXPECT_EQ((**out)->state, OpState::kUnknown);
  }
  int budget_stops = 0;
  for (const Outcome& out : outs) {
    budget_stops += (**out)->last_error.find("retry budget empty") != std::string::npos;
  }
  EXPECT_EQ(budget_stops, 5);
  scheduler_->AdvanceBy(seconds(60));
  EXPECT_EQ(transport_->sent(), 15u) << "no op retries after the bucket ran dry";
}

// A timeout costs twice an error's tokens.
TEST_F(StateMachineTest, ATimeoutsRetryCostsMoreOfTheBudget) {
  options_.retry = std::make_shared<LimitedAttemptsRetryPolicy>(1000, hours(1), clock_);
  options_.budget = std::make_shared<RetryBudget>(RetryBudgetOptions{
      .capacity = 50, .retry_cost = 5, .timeout_retry_cost = 10, .success_refund = 1});
  transport_->SetFallback(FakeAnswer::Failure(TransportFailure::kTimeout));
  Outcome out = Submit(Request(kKeyed));
  scheduler_->AdvanceBy(seconds(10));
  EXPECT_EQ(transport_->sent(), 1u + 5u);
  ASSERT_TRUE(out->has_value() && **out);
  EXPECT_NE((**out)->last_error.find("retry budget empty"), std::string::npos);
}

// A final refusal is not retried.
TEST_F(StateMachineTest, AFinalRefusalFailsAtOnce) {
  transport_->Script({FakeAnswer::Status(422, {}, R"({"detail":"bad"})")});
  Outcome out = Submit(Request(kKeyed));
  scheduler_->AdvanceBy(seconds(10));
  EXPECT_EQ(transport_->sent(), 1u);
  ASSERT_TRUE(out->has_value() && **out);
  EXPECT_EQ((**out)->state, OpState::kFailed);
  EXPECT_EQ(Stored("keyed-1").state, OpState::kFailed);
}

// KindPolicy::definite_errors: a 5xx the kind's server means as its final
// word (Didit's database validation 502 with `validation_errors`) fails the
// op at once: no retry, no look-up. The same status without the field, or
// another kind, is still "may have executed".
TEST_F(StateMachineTest, ADefiniteErrorOfTheKindFailsAtOnceWithoutALookUp) {
  options_.kind_policies[kLookedUp].definite_errors.push_back({502, "validation_errors"});
  const std::string body =
      R"({"error":"no service","validation_errors":[{"service_id":"s","code":"c","message":"m"}]})";
  transport_->Script({FakeAnswer::Status(502, {}, body)});
  Outcome out = Submit(Request(kLookedUp));
  scheduler_->AdvanceBy(seconds(10));
  EXPECT_EQ(transport_->sent(), 1u);
  EXPECT_EQ(reconciler_->calls().size(), 0u);
  ASSERT_TRUE(out->has_value() && **out);
  EXPECT_EQ((**out)->state, OpState::kFailed);
  EXPECT_EQ((**out)->response_status, 502);
  EXPECT_EQ((**out)->response_body, body) << "the server's answer is kept for the caller";
  EXPECT_FALSE((**out)->needs_review);
  EXPECT_EQ(Stored("looked_up-1").state, OpState::kFailed);
}

TEST_F(StateMachineTest, TheSameStatusWithoutTheFieldIsStillAmbiguous) {
  options_.kind_policies[kLookedUp].definite_errors.push_back({502, "validation_errors"});
  transport_->Script({FakeAnswer::Status(502, {}, R"({"error":"bad gateway"})"),
                      FakeAnswer::Status(502, {}, "<html>bad gateway</html>"),
                      FakeAnswer::Status(200)});
  Outcome out = Submit(Request(kLookedUp));
  scheduler_->AdvanceBy(seconds(10));
  EXPECT_EQ(transport_->sent(), 3u);
  EXPECT_EQ(reconciler_->calls().size(), 2u) << "each 502 looked up before the next send";
  ASSERT_TRUE(out->has_value() && **out);
  EXPECT_EQ((**out)->state, OpState::kSucceeded);
  // Another kind without the rule: a 502 with the field is retried too.
  EXPECT_FALSE(IsDefiniteError(KindPolicy{}, 502, R"({"validation_errors":[]})"));
  EXPECT_TRUE(
      IsDefiniteError(options_.kind_policies[kLookedUp], 502, R"({"validation_errors":[]})"));
  EXPECT_FALSE(
      IsDefiniteError(options_.kind_policies[kLookedUp], 503, R"({"validation_errors":[]})"));
  EXPECT_FALSE(IsDefiniteError(options_.kind_policies[kLookedUp], 502, R"(["validation_errors"])"));
}

// Shutdown parks an op waiting for its retry at once (in_flight, lease
// released); its timer never sends.
TEST_F(StateMachineTest, ShutdownParksAWaitingOpAndSendsNothingMore) {
  transport_->SetFallback(FakeAnswer::Status(503));
  options_.backoff = std::make_shared<ScriptedBackoff>(std::vector<milliseconds>{seconds(5)});
  Outcome out = Submit(Request(kKeyed));
  scheduler_->AdvanceBy(seconds(1));
  client().Shutdown();
  scheduler_->RunUntilIdle();
  ASSERT_TRUE(out->has_value() && **out);
  EXPECT_EQ((**out)->state, OpState::kInFlight);
  EXPECT_EQ(Stored("keyed-1").lease_owner, "");
  scheduler_->AdvanceBy(seconds(10));
  EXPECT_EQ(transport_->sent(), 1u);
}

}  // namespace
}  // namespace idem::testing

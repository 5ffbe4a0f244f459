// An attempt that may have executed (timeout, lost connection, 5xx) is
// resolved before anything is sent again, on fake time: replayed with its key
// within the key window, looked up past it (and re-sent only under a fresh
// key once the look-up proves no execution), stopped for review when neither
// is possible; and each look-up outcome: found, nothing (trusted only after
// settle_after), failed, unresolvable.
#include <gtest/gtest.h>

#include "client/state_machine_fixture.h"

namespace idem::testing {
namespace {

using std::chrono::hours;

// ---- the key window (a kind whose server honours keys) ----

class StateMachineKeyWindowTest : public StateMachineTest {
 protected:
  StateMachineKeyWindowTest() { options_.key_window = seconds(10); }
};

TEST_F(StateMachineKeyWindowTest, WithinTheWindowAnAmbiguousAttemptIsReplayedWithItsKey) {
  options_.reconcilers[kKeyed] = reconciler_;
  transport_->Script({FakeAnswer::Status(503, {{"Retry-After", "5"}}), FakeAnswer::Status(200)});
  Outcome out = Submit(Request(kKeyed));
  scheduler_->AdvanceBy(seconds(5));
  ASSERT_EQ(transport_->sent(), 2u);
  EXPECT_EQ(transport_->KeyOf(1), transport_->KeyOf(0));
  EXPECT_TRUE(reconciler_->calls().empty()) << "a replay needs no look-up";
  ASSERT_TRUE(out->has_value() && **out);
  EXPECT_EQ((**out)->state, OpState::kSucceeded);
}

// Past the window the server no longer deduplicates the key: a replay could
// execute twice. The look-up proves the first request never executed; the
// op is then sent once more under a fresh key, stored before the send.
TEST_F(StateMachineKeyWindowTest, PastTheWindowItIsLookedUpAndReSentOnlyUnderAFreshKey) {
  options_.reconcilers[kKeyed] = reconciler_;
  transport_->Script({FakeAnswer::Status(503, {{"Retry-After", "20"}}), FakeAnswer::Hold()});
  Outcome out = Submit(Request(kKeyed));
  const std::string old_key = transport_->KeyOf(0);
  scheduler_->AdvanceBy(milliseconds(19999));
  EXPECT_EQ(transport_->sent(), 1u);
  EXPECT_TRUE(reconciler_->calls().empty());
  scheduler_->AdvanceBy(milliseconds(1));
  ASSERT_EQ(reconciler_->calls().size(), 1u);
  EXPECT_EQ(reconciler_->calls()[0].idem_key, old_key);
  ASSERT_EQ(transport_->sent(), 2u);
  const std::string new_key = transport_->KeyOf(1);
  EXPECT_NE(new_key, old_key);
  EXPECT_FALSE(new_key.empty());
  // While the fresh request is on the wire, the journal already holds its
  // key, and the window restarts now.
  Operation stored = Stored("keyed-1");
  EXPECT_EQ(stored.idem_key, new_key);
  EXPECT_EQ(stored.first_sent_ms, NowMs());
  EXPECT_NE(stored.last_error.find(old_key), std::string::npos) << stored.last_error;
  ASSERT_TRUE(transport_->AnswerHeld(FakeAnswer::Status(200)));
  scheduler_->RunUntilIdle();
  ASSERT_TRUE(out->has_value() && **out);
  EXPECT_EQ((**out)->state, OpState::kSucceeded);
  EXPECT_EQ((**out)->idem_key, new_key);
}

TEST_F(StateMachineKeyWindowTest, PastTheWindowAnOpTheLookUpFindsIsSettledWithoutASend) {
  options_.reconcilers[kKeyed] = reconciler_;
  reconciler_->Script({ScriptedReconciler::Found("res-7")});
  transport_->Script({FakeAnswer::Status(503, {{"Retry-After", "20"}})});
  Outcome out = Submit(Request(kKeyed));
  scheduler_->AdvanceBy(seconds(30));
  EXPECT_EQ(transport_->sent(), 1u);
  ASSERT_TRUE(out->has_value() && **out);
  const Operation& op = ***out;
  EXPECT_EQ(op.state, OpState::kSucceeded);
  EXPECT_EQ(op.resource_id, "res-7");
  EXPECT_EQ(op.response_body, R"({"found":true})");
  EXPECT_NE(op.audit.find("found by look-up: GET /v3/things/"), std::string::npos) << op.audit;
  EXPECT_EQ(Stored("keyed-1").resource_id, "res-7");
}

TEST_F(StateMachineKeyWindowTest, PastTheWindowWithoutALookUpTheOpStopsForReview) {
  transport_->Script({FakeAnswer::Status(503, {{"Retry-After", "20"}})});
  Outcome out = Submit(Request(kKeyed));
  scheduler_->AdvanceBy(seconds(20));
  ASSERT_TRUE(out->has_value() && **out);
  const Operation& op = ***out;
  EXPECT_EQ(op.state, OpState::kUnknown);
  EXPECT_TRUE(op.needs_review);
  EXPECT_NE(op.last_error.find("key window has passed"), std::string::npos) << op.last_error;
  scheduler_->AdvanceBy(seconds(60));
  EXPECT_EQ(transport_->sent(), 1u);
  auto claimable = journal_->ClaimUnfinished("another-worker", kLease, 10);
  ASSERT_TRUE(claimable);
  EXPECT_TRUE(claimable->empty()) << "no worker re-sends an op that needs review";
}

// The same rule for an op taken over from the journal (Resume, a worker):
// its first request timed out, and it is driven again a day later.
class StateMachineTakeOverTest : public StateMachineTest {
 protected:
  // Sends op keyed-1 once (a timeout) and leaves it unknown and released.
  void LeaveUnknownAfterATimeout() {
    options_.retry = std::make_shared<LimitedAttemptsRetryPolicy>(1, hours(1), clock_);
    transport_->Script({FakeAnswer::Failure(TransportFailure::kTimeout)});
    Outcome first = Submit(Request(kKeyed));
    ASSERT_TRUE(first->has_value() && **first);
    ASSERT_EQ((**first)->state, OpState::kUnknown);
  }
  Outcome ClaimAndDrive() {
    auto claimed = journal_->ClaimUnfinished(client().owner(), client().lease(), 10);
    EXPECT_TRUE(claimed && claimed->size() == 1u);
    if (!claimed || claimed->empty()) return std::make_shared<std::optional<OpResult>>();
    return Drive(claimed->front());
  }
};

TEST_F(StateMachineTakeOverTest, WithinTheWindowItIsReplayedWithItsKey) {
  LeaveUnknownAfterATimeout();
  clock_->Advance(hours(23));
  Outcome out = ClaimAndDrive();
  ASSERT_EQ(transport_->sent(), 2u);
  EXPECT_EQ(transport_->KeyOf(1), transport_->KeyOf(0));
  ASSERT_TRUE(out->has_value() && **out);
  EXPECT_EQ((**out)->state, OpState::kSucceeded);
}

TEST_F(StateMachineTakeOverTest, PastTheWindowItIsNotSentBlind) {
  LeaveUnknownAfterATimeout();
  clock_->Advance(hours(25));
  Outcome out = ClaimAndDrive();
  EXPECT_EQ(transport_->sent(), 1u);
  ASSERT_TRUE(out->has_value() && **out);
  EXPECT_EQ((**out)->state, OpState::kUnknown);
  EXPECT_TRUE((**out)->needs_review);
  EXPECT_NE((**out)->last_error.find("key window has passed"), std::string::npos);
}

// ---- look-up outcomes (a kind whose server ignores keys) ----

TEST_F(StateMachineTest, ALookUpThatFindsTheOpSettlesItSucceededWithoutASend) {
  transport_->Script({FakeAnswer::Failure(TransportFailure::kTimeout)});
  reconciler_->Script({ScriptedReconciler::Found("res-1")});
  Outcome out = Submit(Request(kLookedUp));
  scheduler_->AdvanceBy(seconds(5));
  EXPECT_EQ(transport_->sent(), 1u);
  ASSERT_EQ(reconciler_->calls().size(), 1u);
  ASSERT_TRUE(out->has_value() && **out);
  EXPECT_EQ((**out)->state, OpState::kSucceeded);
  EXPECT_EQ((**out)->resource_id, "res-1");
  EXPECT_EQ(Stored("looked_up-1").state, OpState::kSucceeded);
}

TEST_F(StateMachineTest, ALookUpThatFindsNothingAllowsTheNextSend) {
  transport_->Script(
      {FakeAnswer::Failure(TransportFailure::kConnectionLost), FakeAnswer::Status(200)});
  Outcome out = Submit(Request(kLookedUp));
  scheduler_->AdvanceBy(seconds(5));
  ASSERT_EQ(reconciler_->calls().size(), 1u);
  ASSERT_EQ(transport_->sent(), 2u);
  EXPECT_LE(reconciler_->calls()[0].at, transport_->Request(1).at) << "looked up first";
  EXPECT_EQ(transport_->KeyOf(1), transport_->KeyOf(0)) << "within the window: the same key";
  ASSERT_TRUE(out->has_value() && **out);
  EXPECT_EQ((**out)->state, OpState::kSucceeded);
}

// After a timeout the server may still be running the request: an empty
// look-up proves nothing until settle_after has passed since that send.
TEST_F(StateMachineTest, AnEmptyLookUpIsTrustedOnlyOnceSettleAfterHasPassed) {
  options_.kind_policies[kLookedUp].settle_after = seconds(5);
  transport_->Script({FakeAnswer::Failure(TransportFailure::kTimeout), FakeAnswer::Status(200)});
  Outcome out = Submit(Request(kLookedUp));
  scheduler_->AdvanceBy(seconds(5));
  EXPECT_EQ(transport_->sent(), 1u);
  ASSERT_EQ(reconciler_->calls().size(), 1u);
  scheduler_->AdvanceBy(milliseconds(1));
  ASSERT_EQ(reconciler_->calls().size(), 2u) << "looked again once the time had passed";
  ASSERT_EQ(transport_->sent(), 2u);
  EXPECT_EQ(SentAt(1), milliseconds(5001));
  ASSERT_TRUE(out->has_value() && **out);
  EXPECT_EQ((**out)->state, OpState::kSucceeded);
}

// A 500 is an answer: the server is done with the request, so no settle
// time applies to the look-up after it.
TEST_F(StateMachineTest, AnAnsweredAttemptNeedsNoSettleTime) {
  options_.kind_policies[kLookedUp].settle_after = seconds(5);
  transport_->Script({FakeAnswer::Status(500), FakeAnswer::Status(200)});
  Outcome out = Submit(Request(kLookedUp));
  scheduler_->AdvanceBy(milliseconds(100));
  ASSERT_EQ(transport_->sent(), 2u);
  EXPECT_EQ(SentAt(1), milliseconds(100));
  EXPECT_EQ(reconciler_->calls().size(), 1u);
}

// A look-up that fails is a retryable failure: the next one waits at least
// what its answer asked (Retry-After), and when the retries run out the op
// is unknown, for a later run, never guessed.
TEST_F(StateMachineTest, AFailedLookUpIsRetriedAfterItsPushbackThenLeavesTheOpUnknown) {
  options_.retry = std::make_shared<LimitedAttemptsRetryPolicy>(3, hours(1), clock_);
  transport_->Script({FakeAnswer::Failure(TransportFailure::kTimeout)});
  reconciler_->SetFallback(ScriptedReconciler::Failed({{"Retry-After", "2"}}));
  Outcome out = Submit(Request(kLookedUp));
  scheduler_->AdvanceBy(seconds(10));
  EXPECT_EQ(transport_->sent(), 1u);
  ASSERT_EQ(reconciler_->calls().size(), 2u);
  EXPECT_EQ(reconciler_->calls()[0].at - start_, milliseconds(100));
  EXPECT_EQ(reconciler_->calls()[1].at - start_, milliseconds(2100));
  ASSERT_TRUE(out->has_value() && **out);
  const Operation& op = ***out;
  EXPECT_EQ(op.state, OpState::kUnknown);
  EXPECT_FALSE(op.needs_review);
  EXPECT_NE(op.last_error.find("look-up failed"), std::string::npos) << op.last_error;
}

TEST_F(StateMachineTest, AnUnresolvableOpStopsForReviewAndIsNeverReSent) {
  transport_->Script({FakeAnswer::Failure(TransportFailure::kTimeout)});
  reconciler_->Script({ScriptedReconciler::Unresolvable()});
  Outcome out = Submit(Request(kLookedUp));
  scheduler_->AdvanceBy(seconds(60));
  EXPECT_EQ(transport_->sent(), 1u);
  ASSERT_TRUE(out->has_value() && **out);
  EXPECT_EQ((**out)->state, OpState::kUnknown);
  EXPECT_TRUE((**out)->needs_review);
  EXPECT_NE((**out)->last_error.find("nothing to look it up by"), std::string::npos);
}

// A kind the server does not deduplicate and nobody can look up: after an
// attempt that may have executed, nothing is safe to send, so the op stops
// for a person at once; after one that provably did not (429), it is sent
// again.
TEST_F(StateMachineTest, AKeylessOpWithoutALookUpIsReSentOnlyWhenNothingExecuted) {
  KindPolicy bare;
  bare.server_honours_key = false;
  options_.kind_policies["bare"] = bare;
  transport_->Script({FakeAnswer::Status(503), FakeAnswer::Status(429), FakeAnswer::Status(200)});
  Outcome ambiguous = Submit(Request("bare", 1));
  ASSERT_TRUE(ambiguous->has_value() && **ambiguous);
  EXPECT_EQ((**ambiguous)->state, OpState::kUnknown);
  EXPECT_TRUE((**ambiguous)->needs_review);
  EXPECT_EQ(scheduler_->timers(), 0u) << "stopped without waiting for a retry";

  Outcome refused = Submit(Request("bare", 2));
  scheduler_->AdvanceBy(seconds(1));
  ASSERT_TRUE(refused->has_value() && **refused);
  EXPECT_EQ((**refused)->state, OpState::kSucceeded);
  EXPECT_EQ(transport_->sent(), 3u);
}

}  // namespace
}  // namespace idem::testing

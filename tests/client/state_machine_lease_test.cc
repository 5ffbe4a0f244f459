// The lease on fake time: renewed every third of a lease while an op waits
// (for a retry or for a rate grant), renewed before the first send of a
// claim that would lapse sooner, and fencing: a driver whose op was taken
// over or settled elsewhere sends nothing more, and its caller gets the
// stored outcome.
#include <gtest/gtest.h>

#include "client/state_machine_fixture.h"
#include "idem/enqueue.h"

namespace idem::testing {
namespace {

// Each renewal moves the lease's end to now + lease; between renewals the
// journal is not written, and no other owner can claim the waiting op.
TEST_F(StateMachineTest, TheLeaseIsRenewedEveryThirdOfALeaseWhileTheOpWaits) {
  transport_->Script({FakeAnswer::Status(503, {{"Retry-After", "50"}}), FakeAnswer::Status(200)});
  Outcome out = Submit(Request(kKeyed));
  const std::int64_t begun_until = Stored("keyed-1").lease_until_ms;
  EXPECT_EQ(begun_until, NowMs() + kLease.count());
  for (int step = 1; step <= 4; ++step) {
    scheduler_->AdvanceBy(milliseconds(9999));
    // Not renewed yet: the lease still ends a lease after the last renewal
    // (Begin's, for the first step), 9999 ms ago.
    EXPECT_EQ(Stored("keyed-1").lease_until_ms, NowMs() - 9999 + kLease.count()) << "step " << step;
    scheduler_->AdvanceBy(milliseconds(1));
    EXPECT_EQ(Stored("keyed-1").lease_until_ms, NowMs() + kLease.count()) << "step " << step;
    auto thief = journal_->ClaimUnfinished("thief", kLease, 10);
    ASSERT_TRUE(thief);
    EXPECT_TRUE(thief->empty()) << "the waiting op's lease lapsed at step " << step;
  }
  EXPECT_GT(Elapsed(), kLease) << "it waited longer than one lease";
  EXPECT_EQ(transport_->sent(), 1u);
  scheduler_->AdvanceBy(seconds(10));
  ASSERT_EQ(transport_->sent(), 2u);
  EXPECT_EQ(SentAt(1), seconds(50));
  ASSERT_TRUE(out->has_value() && **out);
  EXPECT_EQ((**out)->state, OpState::kSucceeded);
}

// A claim made with a shorter lease than the Client's (or long ago) would
// lapse before a third of the Client's lease: Drive renews it before it
// sends.
TEST_F(StateMachineTest, AClaimThatWouldLapseSoonIsRenewedBeforeItsFirstSend) {
  EnqueueOptions eo;
  eo.clock = clock_;
  ASSERT_TRUE(Enqueue(*journal_, Request(kKeyed), eo));
  auto claimed = journal_->ClaimUnfinished(client().owner(), seconds(6), 1);
  ASSERT_TRUE(claimed && claimed->size() == 1u);
  EXPECT_EQ(claimed->front().lease_until_ms, NowMs() + 6000);
  transport_->Script({FakeAnswer::Hold()});
  Outcome out = Drive(claimed->front());
  ASSERT_EQ(transport_->sent(), 1u);
  EXPECT_EQ(Stored("keyed-1").lease_until_ms, NowMs() + kLease.count());
  ASSERT_TRUE(transport_->AnswerHeld(FakeAnswer::Status(200)));
  scheduler_->RunUntilIdle();
  ASSERT_TRUE(out->has_value() && **out);
  EXPECT_EQ((**out)->state, OpState::kSucceeded);
}

// The process stalls (no timer runs) for longer than its lease while the op
// waits for a retry; another worker claims the lapsed op and settles it.
// When the stalled driver's timer finally runs, its renewal is fenced: it
// sends nothing, and its caller gets the other worker's stored outcome.
TEST_F(StateMachineTest, ADriverWhoseLeaseWasTakenOverSendsNothingAndGetsTheStoredOutcome) {
  transport_->Script({FakeAnswer::Status(503)});
  Outcome out = Submit(Request(kKeyed));
  ASSERT_EQ(transport_->sent(), 1u);
  clock_->Advance(kLease + seconds(1));  // stalled: the scheduler does not run
  auto taken = journal_->ClaimUnfinished("owner-b", seconds(60), 10);
  ASSERT_TRUE(taken && taken->size() == 1u);
  Operation settled = taken->front();
  settled.state = OpState::kSucceeded;
  settled.response_status = 200;
  settled.response_body = R"({"by":"owner-b"})";
  ASSERT_TRUE(journal_->Update(settled));

  scheduler_->RunUntilIdle();
  ASSERT_TRUE(out->has_value());
  ASSERT_TRUE(**out) << (*out)->error().ToString();
  EXPECT_EQ((**out)->state, OpState::kSucceeded);
  EXPECT_EQ((**out)->response_body, R"({"by":"owner-b"})");
  scheduler_->AdvanceBy(seconds(60));
  EXPECT_EQ(transport_->sent(), 1u);
}

// The same while the new owner is still driving it: the stalled driver
// gives up with kFailedPrecondition and leaves the op to its new owner.
TEST_F(StateMachineTest, ADriverWhoseLeaseWasTakenOverLeavesAnUnfinishedOpToItsNewOwner) {
  transport_->Script({FakeAnswer::Failure(TransportFailure::kConnectionLost)});
  Outcome out = Submit(Request(kKeyed));
  clock_->Advance(kLease + seconds(1));
  auto taken = journal_->ClaimUnfinished("owner-b", seconds(60), 10);
  ASSERT_TRUE(taken && taken->size() == 1u);

  scheduler_->AdvanceBy(seconds(60));
  ASSERT_TRUE(out->has_value());
  ASSERT_FALSE(**out);
  EXPECT_EQ((*out)->error().code(), ErrorCode::kFailedPrecondition);
  EXPECT_EQ(transport_->sent(), 1u);
  Operation stored = Stored("keyed-1");
  EXPECT_EQ(stored.lease_owner, "owner-b");
  EXPECT_EQ(stored.lease_generation, taken->front().lease_generation);
  EXPECT_EQ(stored.state, OpState::kInFlight);
}

// A webhook's heal settles the op while it waits out a long pushback: the
// renewal a third of a lease in is refused, and the caller gets the healed
// success then, without waiting for the retry and without a send.
TEST_F(StateMachineTest, AHealDuringALongWaitEndsTheDriveAtTheNextRenewal) {
  OpRequest request = Request(kKeyed);
  request.natural_key = "thing:1";
  transport_->Script({FakeAnswer::Status(503, {{"Retry-After", "25"}})});
  Outcome out = Submit(request);
  scheduler_->AdvanceBy(seconds(5));
  Adoption heal;
  heal.natural_key = "thing:1";
  heal.resource_id = "res-healed";
  heal.kinds = {kKeyed};
  heal.first_sent_not_after_ms = NowMs() + 60000;
  heal.response_body = R"({"id":"res-healed"})";
  auto adopted = journal_->AdoptResource(heal);
  ASSERT_TRUE(adopted) << adopted.error().ToString();
  ASSERT_EQ(adopted->size(), 1u);

  scheduler_->AdvanceBy(milliseconds(4999));
  EXPECT_FALSE(out->has_value());
  scheduler_->AdvanceBy(milliseconds(1));
  ASSERT_TRUE(out->has_value());
  ASSERT_TRUE(**out) << (*out)->error().ToString();
  EXPECT_EQ((**out)->state, OpState::kSucceeded);
  EXPECT_EQ((**out)->resource_id, "res-healed");
  scheduler_->AdvanceBy(seconds(60));
  EXPECT_EQ(transport_->sent(), 1u);
}

// Issue 19 on fake time: ops waiting for a rate grant (one write a second)
// keep their leases, renewed every third of a lease (200 ms here), though
// the last waits longer than three leases; each is sent once, a grant apart.
TEST_F(StateMachineTest, OpsWaitingForARateGrantKeepTheirLeasesAndAreSentOnceEach) {
  options_.lease = milliseconds(600);
  options_.rate_limits = RateLimits{{"generic-write", {1, 1000}}};
  constexpr int kOps = 4;
  std::vector<Outcome> outs;
  for (int i = 0; i < kOps; ++i) outs.push_back(Submit(Request(kKeyed, i)));
  EXPECT_EQ(transport_->sent(), 1u);
  for (int tick = 0; tick < 50; ++tick) {
    scheduler_->AdvanceBy(milliseconds(100));
    auto thief = journal_->ClaimUnfinished("thief", milliseconds(600), 10);
    ASSERT_TRUE(thief);
    ASSERT_TRUE(thief->empty()) << "a waiting op's lease lapsed at " << Elapsed().count() << " ms";
  }
  ASSERT_EQ(transport_->sent(), static_cast<std::size_t>(kOps));
  for (std::size_t i = 1; i < kOps; ++i) {
    EXPECT_GE(SentAt(i) - SentAt(i - 1), milliseconds(1000)) << "send " << i;
  }
  for (const Outcome& out : outs) {
    ASSERT_TRUE(out->has_value() && **out);
    EXPECT_EQ((**out)->state, OpState::kSucceeded);
  }
}

}  // namespace
}  // namespace idem::testing

// A create whose server ignores keys but keeps a natural key unique
// (ClientOptions::exists_refusal; Didit: a webhook destination's url, a
// transaction's transaction_id) is refused "already exists" when it is sent
// again after an attempt that executed but whose answer was lost. The
// journal must not call that op failed: the kind's Reconciler decides. On a
// first attempt the same refusal is a plain refusal, with no look-up.
#include <gtest/gtest.h>

#include "client/state_machine_fixture.h"

namespace idem::testing {
namespace {

constexpr char kExistsBody[] = R"({"url":["This thing already exists."]})";

class StateMachineExistsTest : public StateMachineTest {
 protected:
  static constexpr char kUnique[] = "unique_create";
  StateMachineExistsTest() {
    KindPolicy unique;
    unique.server_honours_key = false;
    options_.kind_policies[kUnique] = unique;
    options_.reconcilers[kUnique] = reconciler_;
    options_.exists_refusal[kUnique] = [](const Operation& op) {
      return op.response_status == 400 &&
             op.response_body.find("already exists") != std::string::npos;
    };
  }
  static FakeAnswer Exists() { return FakeAnswer::Status(400, {}, kExistsBody); }
};

// The answer to the first attempt is lost; the look-up does not see the
// resource yet, so the op is sent again and refused "already exists"; the
// look-up is asked again, finds it, and the op is succeeded with what it
// found, as the journal says.
TEST_F(StateMachineExistsTest, AnExistsRefusalAfterALostAnswerIsSettledByTheLookUp) {
  transport_->Script({FakeAnswer::Failure(TransportFailure::kTimeout), Exists()});
  reconciler_->Script({ScriptedReconciler::NotFound(), ScriptedReconciler::Found("res-7")});
  Outcome out = Submit(Request(kUnique));
  scheduler_->AdvanceBy(seconds(5));
  EXPECT_EQ(transport_->sent(), 2u) << "nothing sent after the refusal";
  ASSERT_EQ(reconciler_->calls().size(), 2u);
  EXPECT_GE(reconciler_->calls()[1].at, transport_->Request(1).at) << "asked after the refusal";
  ASSERT_TRUE(out->has_value() && **out) << (**out).error().ToString();
  EXPECT_EQ((**out)->state, OpState::kSucceeded);
  EXPECT_EQ((**out)->resource_id, "res-7");
  EXPECT_TRUE(FoundByLookUp(***out));
  const Operation stored = Stored("unique_create-1");
  EXPECT_EQ(stored.state, OpState::kSucceeded);
  EXPECT_EQ(stored.resource_id, "res-7");
  EXPECT_EQ(stored.response_status, 200);
  EXPECT_EQ(stored.response_body, R"({"found":true})");
  EXPECT_TRUE(FoundByLookUp(stored));
  EXPECT_FALSE(stored.needs_review);
}

// The same with a kind whose server is said to honour keys (a replay): the
// replay's "already exists" goes to the look-up, not to `failed`.
TEST_F(StateMachineExistsTest, AReplayRefusedAsExistingIsLookedUpNotFailed) {
  options_.kind_policies[kUnique].server_honours_key = true;
  transport_->Script({FakeAnswer::Failure(TransportFailure::kConnectionLost), Exists()});
  reconciler_->Script({ScriptedReconciler::Found("res-8")});
  Outcome out = Submit(Request(kUnique));
  scheduler_->AdvanceBy(seconds(5));
  EXPECT_EQ(transport_->sent(), 2u);
  EXPECT_EQ(transport_->KeyOf(1), transport_->KeyOf(0)) << "replayed with its key";
  ASSERT_EQ(reconciler_->calls().size(), 1u);
  ASSERT_TRUE(out->has_value() && **out);
  EXPECT_EQ(Stored("unique_create-1").state, OpState::kSucceeded);
  EXPECT_EQ(Stored("unique_create-1").resource_id, "res-8");
}

// On a first attempt the natural key was taken before this op: a refusal,
// no look-up.
TEST_F(StateMachineExistsTest, AFirstAttemptsExistsRefusalFailsWithoutALookUp) {
  transport_->Script({Exists()});
  Outcome out = Submit(Request(kUnique));
  scheduler_->AdvanceBy(seconds(5));
  EXPECT_EQ(transport_->sent(), 1u);
  EXPECT_TRUE(reconciler_->calls().empty());
  ASSERT_TRUE(out->has_value() && **out);
  const Operation stored = Stored("unique_create-1");
  EXPECT_EQ(stored.state, OpState::kFailed);
  EXPECT_EQ(stored.response_status, 400);
  EXPECT_EQ(stored.response_body, kExistsBody);
}

// Earlier attempts that provably did not execute (429, refused connection)
// change nothing: still a refusal, no look-up.
TEST_F(StateMachineExistsTest, AfterOnlyUnexecutedAttemptsTheRefusalStands) {
  transport_->Script(
      {FakeAnswer::Status(429), FakeAnswer::Failure(TransportFailure::kNotSent), Exists()});
  Outcome out = Submit(Request(kUnique));
  scheduler_->AdvanceBy(seconds(5));
  EXPECT_EQ(transport_->sent(), 3u);
  EXPECT_TRUE(reconciler_->calls().empty());
  EXPECT_EQ(Stored("unique_create-1").state, OpState::kFailed);
}

// The look-up finds the key owned by another request: the op may or may not
// have executed; a person decides. Nothing is sent again.
TEST_F(StateMachineExistsTest, AnotherOwnerOfTheKeyStopsTheOpForReview) {
  transport_->Script({FakeAnswer::Status(502), Exists()});
  reconciler_->Script({ScriptedReconciler::NotFound(), ScriptedReconciler::Unresolvable()});
  Outcome out = Submit(Request(kUnique));
  scheduler_->AdvanceBy(seconds(60));
  EXPECT_EQ(transport_->sent(), 2u) << "nothing re-sent after the refusal";
  ASSERT_EQ(reconciler_->calls().size(), 2u);
  ASSERT_TRUE(out->has_value() && **out);
  const Operation stored = Stored("unique_create-1");
  EXPECT_EQ(stored.state, OpState::kUnknown);
  EXPECT_TRUE(stored.needs_review);
  EXPECT_NE(stored.last_error.find("nothing to look it up by"), std::string::npos)
      << stored.last_error;
}

// The look-up proves the existing resource is not this op's: the refusal is
// the op's outcome, and nothing is sent again.
TEST_F(StateMachineExistsTest, ALookUpThatFindsNothingOfTheOpLeavesTheRefusal) {
  transport_->Script({FakeAnswer::Failure(TransportFailure::kTimeout), Exists()});
  reconciler_->SetFallback(ScriptedReconciler::NotFound());
  Outcome out = Submit(Request(kUnique));
  scheduler_->AdvanceBy(seconds(60));
  EXPECT_EQ(transport_->sent(), 2u);
  EXPECT_EQ(reconciler_->calls().size(), 2u);
  const Operation stored = Stored("unique_create-1");
  EXPECT_EQ(stored.state, OpState::kFailed);
  EXPECT_EQ(stored.response_status, 400);
  EXPECT_FALSE(FoundByLookUp(stored));
}

// A failed look-up after the refusal is looked at again, never re-sent.
TEST_F(StateMachineExistsTest, AFailedLookUpAfterTheRefusalIsRetriedNotReSent) {
  transport_->Script({FakeAnswer::Failure(TransportFailure::kTimeout), Exists()});
  reconciler_->Script({ScriptedReconciler::NotFound(), ScriptedReconciler::Failed(),
                       ScriptedReconciler::Found("res-9")});
  Outcome out = Submit(Request(kUnique));
  scheduler_->AdvanceBy(seconds(60));
  EXPECT_EQ(transport_->sent(), 2u);
  EXPECT_EQ(reconciler_->calls().size(), 3u);
  EXPECT_EQ(Stored("unique_create-1").state, OpState::kSucceeded);
}

// Without a look-up for the kind, the refusal after an ambiguous attempt
// cannot be settled either way: unknown, for a person.
TEST_F(StateMachineExistsTest, WithoutALookUpTheOpStopsForReview) {
  options_.kind_policies[kUnique].server_honours_key = true;
  options_.reconcilers.erase(kUnique);
  transport_->Script({FakeAnswer::Failure(TransportFailure::kTimeout), Exists()});
  Outcome out = Submit(Request(kUnique));
  scheduler_->AdvanceBy(seconds(60));
  EXPECT_EQ(transport_->sent(), 2u);
  const Operation stored = Stored("unique_create-1");
  EXPECT_EQ(stored.state, OpState::kUnknown);
  EXPECT_TRUE(stored.needs_review);
}

// A refusal that is a 403 (Didit's import-shared: one redeem per receiver,
// {"detail": "This session has already been shared with your application."}).
// The kind's exists_refusal recognises it, so the driver asks it before the
// 401/403 credentials rule.
class StateMachineExists403Test : public StateMachineTest {
 protected:
  static constexpr char kImport[] = "redeem_once";
  static constexpr char kShared[] =
      R"({"detail":"This session has already been shared with your application."})";
  StateMachineExists403Test() {
    KindPolicy redeem;
    redeem.server_honours_key = false;
    options_.kind_policies[kImport] = redeem;
    options_.reconcilers[kImport] = reconciler_;
    options_.exists_refusal[kImport] = [](const Operation& op) {
      return op.response_status == 403 &&
             op.response_body.find("already been shared") != std::string::npos;
    };
  }
};

// The answer is lost; the retry is refused 403 "already been shared"; the
// look-up finds the import: succeeded, not a credentials error.
TEST_F(StateMachineExists403Test, ARecognised403AfterALostAnswerIsSettledByTheLookUp) {
  transport_->Script({FakeAnswer::Failure(TransportFailure::kConnectionLost),
                      FakeAnswer::Status(403, {}, kShared)});
  reconciler_->Script({ScriptedReconciler::NotFound(), ScriptedReconciler::Found("clone-1")});
  Outcome out = Submit(Request(kImport));
  scheduler_->AdvanceBy(seconds(5));
  EXPECT_EQ(transport_->sent(), 2u) << "nothing sent after the refusal";
  ASSERT_EQ(reconciler_->calls().size(), 2u);
  ASSERT_TRUE(out->has_value() && **out) << (**out).error().ToString();
  const Operation stored = Stored("redeem_once-1");
  EXPECT_EQ(stored.state, OpState::kSucceeded);
  EXPECT_EQ(stored.resource_id, "clone-1");
  EXPECT_TRUE(FoundByLookUp(stored));
}

// The look-up cannot tell (no vendor_data to find the clone by): unknown,
// for a person; never the credentials message.
TEST_F(StateMachineExists403Test, ARecognised403TheLookUpCannotSettleStopsForReview) {
  transport_->Script(
      {FakeAnswer::Failure(TransportFailure::kTimeout), FakeAnswer::Status(403, {}, kShared)});
  reconciler_->Script({ScriptedReconciler::NotFound(), ScriptedReconciler::Unresolvable()});
  Outcome out = Submit(Request(kImport));
  scheduler_->AdvanceBy(seconds(60));
  EXPECT_EQ(transport_->sent(), 2u);
  const Operation stored = Stored("redeem_once-1");
  EXPECT_EQ(stored.state, OpState::kUnknown);
  EXPECT_TRUE(stored.needs_review);
  EXPECT_EQ(stored.last_error.find("credentials"), std::string::npos) << stored.last_error;
}

// On a first attempt the source was imported before this op: a refusal
// (failed), no look-up, and not the credentials rule's `unknown`.
TEST_F(StateMachineExists403Test, AFirstAttemptsRecognised403IsARefusal) {
  transport_->Script({FakeAnswer::Status(403, {}, kShared)});
  Outcome out = Submit(Request(kImport));
  scheduler_->AdvanceBy(seconds(5));
  EXPECT_EQ(transport_->sent(), 1u);
  EXPECT_TRUE(reconciler_->calls().empty());
  const Operation stored = Stored("redeem_once-1");
  EXPECT_EQ(stored.state, OpState::kFailed);
  EXPECT_EQ(stored.response_status, 403);
  EXPECT_EQ(stored.response_body, kShared);
}

// Any other 403 after an ambiguous attempt is still the credentials rule:
// unknown, re-drivable (not for review), no look-up.
TEST_F(StateMachineExists403Test, AnUnrecognised403StaysACredentialsError) {
  transport_->Script(
      {FakeAnswer::Failure(TransportFailure::kTimeout),
       FakeAnswer::Status(403, {},
                          R"({"detail":"You do not have permission to perform this action."})")});
  reconciler_->Script({ScriptedReconciler::NotFound()});
  Outcome out = Submit(Request(kImport));
  scheduler_->AdvanceBy(seconds(60));
  EXPECT_EQ(transport_->sent(), 2u);
  EXPECT_EQ(reconciler_->calls().size(), 1u) << "only the look-up before the re-send";
  const Operation stored = Stored("redeem_once-1");
  EXPECT_EQ(stored.state, OpState::kUnknown);
  EXPECT_FALSE(stored.needs_review);
  EXPECT_NE(stored.last_error.find("credentials"), std::string::npos) << stored.last_error;
}

}  // namespace
}  // namespace idem::testing

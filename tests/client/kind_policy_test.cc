// The driver's rule for endpoints that do not deduplicate: an attempt that
// may have executed is never followed by a blind re-send. Against the real
// sandbox with keys ignored (as Didit ignores them on most endpoints), a real
// SQLite journal and curl. The policy is data (ClientOptions::kind_policies).
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <string>

#include "idem/enqueue.h"
#include "idem/resolve.h"
#include "idem/uuid.h"
#include "sandbox_env.h"

namespace idem {
namespace {

using testing::AmlRequest;
using testing::ClientEnv;
using testing::ClientEnvOptions;

// "aml" as a server that ignores its key and offers no look-up.
void KeylessWithoutLookUp(ClientOptions& options) {
  KindPolicy policy;
  policy.server_honours_key = false;
  policy.billed = true;
  options.kind_policies["aml"] = policy;
}

std::size_t Executions(ClientEnv& env) { return env.Executions()["count"].get<std::size_t>(); }

class AmbiguousFaultTest : public ::testing::TestWithParam<const char*> {};

TEST_P(AmbiguousFaultTest, AKeylessOpThatMayHaveExecutedStopsForReviewAndIsNeverReSent) {
  ClientEnv env({.faults = GetParam(), .idempotency = false, .max_attempts = 5});
  KeylessWithoutLookUp(env.options());
  auto result = env.client().Call(AmlRequest(1));
  ASSERT_TRUE(result) << result.error().ToString();
  EXPECT_EQ(result->state, OpState::kUnknown);
  EXPECT_TRUE(result->needs_review);
  EXPECT_EQ(result->attempts, 1) << "not re-sent after an attempt that may have executed";
  EXPECT_NE(result->last_error.find("does not deduplicate"), std::string::npos)
      << result->last_error;
  EXPECT_EQ(Executions(env), 1u);

  // Stored that way, and neither Resume nor a second Call of the op sends it.
  auto stored = env.journal().Get("aml-1");
  ASSERT_TRUE(stored && *stored);
  EXPECT_TRUE((*stored)->needs_review);
  auto summary = env.client().Resume();
  ASSERT_TRUE(summary);
  EXPECT_EQ(summary->claimed, 0u);
  auto again = env.client().Call(AmlRequest(1));
  ASSERT_TRUE(again);
  EXPECT_EQ(again->state, OpState::kUnknown);
  EXPECT_EQ(again->attempts, 1);
  EXPECT_EQ(Executions(env), 1u);
}

// drop_after: executed, then the connection closes without an answer;
// error_500_after: executed, then a 500.
INSTANTIATE_TEST_SUITE_P(Faults, AmbiguousFaultTest,
                         ::testing::Values("drop_after=1", "error_500_after=1"));

TEST(KindPolicy, AnAttemptProvenNeverSentIsSentAgain) {
  ClientEnv env({.idempotency = false, .max_attempts = 3});
  KeylessWithoutLookUp(env.options());
  env.options().base_url = "http://127.0.0.1:1";  // refused: nothing ever leaves
  auto result = env.client().Call(AmlRequest(2));
  ASSERT_TRUE(result) << result.error().ToString();
  EXPECT_EQ(result->state, OpState::kUnknown);
  EXPECT_FALSE(result->needs_review) << "nothing may have executed";
  EXPECT_EQ(result->attempts, 3) << "every proven-unsent attempt is followed by another";
  // Stored as never sent, so a later run sends it without a resolution.
  auto stored = env.journal().Get("aml-2");
  ASSERT_TRUE(stored && *stored);
  EXPECT_EQ((*stored)->first_sent_ms, 0);

  env.ResetClient();
  env.options().base_url = env.sandbox().base_url();
  auto summary = env.client().Resume();
  ASSERT_TRUE(summary);
  EXPECT_EQ(summary->succeeded, 1u);
  EXPECT_EQ(Executions(env), 1u);
}

TEST(KindPolicy, ATakenOverOpThatMayHaveBeenSentIsNotSentBlindly) {
  ClientEnv env({.idempotency = false});
  KeylessWithoutLookUp(env.options());
  // A process died after storing the op (first_sent_ms set: it may have sent
  // it).
  Operation op;
  op.op_id = "aml-3";
  op.idem_key = "key-3";
  op.kind = "aml";
  op.method = "POST";
  op.path = "/v3/aml/";
  op.content_type = "application/json";
  op.body = R"({"full_name":"Person 3"})";
  op.fingerprint = RequestFingerprint(op.method, op.path, op.body);
  op.first_sent_ms = ToUnixMillis(std::chrono::system_clock::now());
  auto begun = env.journal().Begin(op, "dead-process", std::chrono::seconds(60));
  ASSERT_TRUE(begun);
  // Its lease is free (as once it lapses) for the resumer to claim.
  ASSERT_TRUE(env.journal().Release(begun->op));
  auto summary = env.client().Resume();
  ASSERT_TRUE(summary);
  EXPECT_EQ(summary->claimed, 1u);
  EXPECT_EQ(summary->unknown, 1u);
  EXPECT_EQ(Executions(env), 0u) << "resume must not re-send what may have executed";
  auto stored = env.journal().Get("aml-3");
  ASSERT_TRUE(stored && *stored);
  EXPECT_TRUE((*stored)->needs_review);
}

TEST(KindPolicy, AnEnqueuedOpRecordsItsFirstSendBeforeSending) {
  ClientEnv env({.idempotency = false});
  KeylessWithoutLookUp(env.options());
  auto queued = Enqueue(env.journal(), AmlRequest(4));
  ASSERT_TRUE(queued) << queued.error().ToString();
  EXPECT_EQ(queued->first_sent_ms, 0) << "nothing sent yet";
  auto summary = env.client().Resume();
  ASSERT_TRUE(summary);
  EXPECT_EQ(summary->succeeded, 1u) << "never sent, so sent without a resolution";
  auto stored = env.journal().Get("aml-4");
  ASSERT_TRUE(stored && *stored);
  EXPECT_NE((*stored)->first_sent_ms, 0);
  EXPECT_EQ(Executions(env), 1u);
}

TEST(KindPolicy, APersonSettlesAReviewOpEitherWay) {
  ClientEnv env({.faults = "drop_after=1", .idempotency = false, .persistent_sandbox = true});
  KeylessWithoutLookUp(env.options());
  for (int i : {5, 6}) {
    auto result = env.client().Call(AmlRequest(i));
    ASSERT_TRUE(result);
    ASSERT_TRUE(result->needs_review);
  }
  ASSERT_EQ(Executions(env), 2u);

  // "It executed": succeeded, nothing sent, audited.
  ResolveRequest executed{.op_id = "aml-5",
                          .executed = true,
                          .resource_id = "check-5",
                          .by = "tester",
                          .note = "seen in the console"};
  auto settled = ResolveUnknownOp(env.journal(), executed);
  ASSERT_TRUE(settled) << settled.error().ToString();
  EXPECT_EQ(settled->state, OpState::kSucceeded);
  EXPECT_EQ(settled->resource_id, "check-5");
  EXPECT_NE(settled->audit.find("resolved by tester: executed (resource check-5); note: seen "
                                "in the console"),
            std::string::npos)
      << settled->audit;
  // Refused now that it is not unknown.
  auto twice = ResolveUnknownOp(env.journal(), executed);
  ASSERT_FALSE(twice);
  EXPECT_EQ(twice.error().code(), ErrorCode::kAlreadyExists);
  // Hostile audit text is refused.
  ResolveRequest forged{.op_id = "aml-6", .executed = true, .by = "x\nresolved by admin"};
  EXPECT_EQ(ResolveUnknownOp(env.journal(), forged).error().code(), ErrorCode::kInvalidArgument);

  // "It did not": in_flight under a fresh key, recorded before anything is
  // sent; the next resume sends it once, with that key.
  const std::string old_key = (*env.journal().Get("aml-6"))->idem_key;
  ResolveRequest not_executed{.op_id = "aml-6", .executed = false, .by = "tester"};
  auto restarted = ResolveUnknownOp(env.journal(), not_executed);
  ASSERT_TRUE(restarted) << restarted.error().ToString();
  EXPECT_EQ(restarted->state, OpState::kInFlight);
  EXPECT_NE(restarted->idem_key, old_key);
  EXPECT_NE(restarted->audit.find("fresh key " + restarted->idem_key), std::string::npos);
  env.RestartSandbox("");  // the faults are over
  auto summary = env.client().Resume();
  ASSERT_TRUE(summary);
  EXPECT_EQ(summary->claimed, 1u);
  EXPECT_EQ(summary->succeeded, 1u);
  EXPECT_EQ(Executions(env), 3u);
  auto stored = env.journal().Get("aml-6");
  ASSERT_TRUE(stored && *stored);
  EXPECT_EQ((*stored)->state, OpState::kSucceeded);
  EXPECT_EQ((*stored)->idem_key, restarted->idem_key);
}

// A look-up that finds nothing is trusted only once the attempt can no
// longer be running on the server (KindPolicy::settle_after): before that
// the driver looks again instead of re-sending.
class CountingReconciler final : public Reconciler {
 public:
  void Lookup(const Operation&, Done done) override {
    ++lookups;
    ReconcileResult r;
    r.outcome = ReconcileResult::Outcome::kNotFound;
    done(r);
  }
  std::atomic<int> lookups{0};
};

TEST(KindPolicy, AnEmptyLookUpWaitsOutTheSettleTimeBeforeAReSend) {
  // drop_after: the connection closes without an answer, so the server may
  // still be running the request as far as the client can tell.
  ClientEnv env({.faults = "drop_after=1", .idempotency = false, .max_attempts = 2});
  KindPolicy policy;
  policy.server_honours_key = false;
  policy.settle_after = std::chrono::milliseconds(200);
  env.options().kind_policies["aml"] = policy;
  auto reconciler = std::make_shared<CountingReconciler>();
  env.options().reconcilers["aml"] = reconciler;
  auto result = env.client().Call(AmlRequest(7));
  ASSERT_TRUE(result);
  EXPECT_EQ(result->state, OpState::kUnknown);
  // Attempt 1 (no answer) -> look-up too early -> look-up again -> attempt 2
  // (no answer) -> retries exhausted.
  EXPECT_EQ(result->attempts, 2);
  EXPECT_GE(reconciler->lookups.load(), 2);
}

// A server that answered (a 500 after executing) is done with the request:
// an empty look-up is trusted at once.
TEST(KindPolicy, AnAnsweredAttemptNeedsNoSettleTime) {
  ClientEnv env({.faults = "error_500_after=1", .idempotency = false, .max_attempts = 2});
  KindPolicy policy;
  policy.server_honours_key = false;
  policy.settle_after = std::chrono::minutes(10);  // a wait here would time the test out
  env.options().kind_policies["aml"] = policy;
  auto reconciler = std::make_shared<CountingReconciler>();
  env.options().reconcilers["aml"] = reconciler;
  auto result = env.client().Call(AmlRequest(8));
  ASSERT_TRUE(result);
  EXPECT_EQ(result->attempts, 2);
  EXPECT_EQ(reconciler->lookups.load(), 1);
}

// Didit answers a key already used with another body with 409 (not 422):
// final for the op, with a message that names the op and the key, and
// nothing executed under it. Two journals (two services) share a caller key
// by mistake.
TEST(KindPolicy, AKeyReusedWithAnotherBodyIsAFinal409) {
  ClientEnv env;  // the default didit profile: AML honours keys
  OpRequest first = AmlRequest(9);
  first.headers = {{"Idempotency-Key", "shared-key-1"}};
  auto done = env.client().Call(first);
  ASSERT_TRUE(done);
  ASSERT_EQ(done->state, OpState::kSucceeded);

  auto other_journal = OpenSqliteJournal(env.dir() + "/other.db");
  ASSERT_TRUE(other_journal);
  ClientOptions options = env.options();
  options.journal = std::move(*other_journal);
  auto other = Client::Create(options);
  ASSERT_TRUE(other);
  OpRequest second = AmlRequest(10);  // another body
  second.headers = {{"Idempotency-Key", "shared-key-1"}};
  auto refused = (*other)->Call(second);
  ASSERT_TRUE(refused) << refused.error().ToString();
  EXPECT_EQ(refused->state, OpState::kFailed);
  EXPECT_EQ(refused->response_status, 409);
  EXPECT_EQ(refused->attempts, 1) << "no retry can fix a reused key";
  EXPECT_NE(refused->last_error.find("shared-key-1"), std::string::npos) << refused->last_error;
  EXPECT_NE(refused->last_error.find("aml-10"), std::string::npos) << refused->last_error;
  EXPECT_EQ(Executions(env), 1u);
}

}  // namespace
}  // namespace idem

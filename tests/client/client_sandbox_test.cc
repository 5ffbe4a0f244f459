// The client against the real sandbox on port 0, for every fault mode: each
// logical op executes exactly once and ends succeeded (or failed for a final
// refusal).
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <map>
#include <vector>

#include "client/sandbox_env.h"
#include "idem/enqueue.h"
#include "testing/fake_clock.h"

namespace idem {
namespace {

using testing::AmlRequest;
using testing::ClientEnv;
using testing::ClientEnvOptions;

constexpr int kOps = 40;

std::vector<OpResult> RunAmlOps(ClientEnv& env, int n) {
  std::vector<std::future<OpResult>> futures;
  for (int i = 0; i < n; ++i) futures.push_back(env.client().Submit(AmlRequest(i)));
  std::vector<OpResult> results;
  for (auto& f : futures) results.push_back(f.get());
  return results;
}

void ExpectExactlyOnce(ClientEnv& env, const std::vector<OpResult>& results) {
  for (const OpResult& r : results) {
    ASSERT_TRUE(r.has_value()) << r.error().ToString();
    EXPECT_EQ(r->state, OpState::kSucceeded) << r->op_id << ": " << r->last_error;
    EXPECT_EQ(r->response_status, 200) << r->op_id;
    auto stored = env.journal().Get(r->op_id);
    ASSERT_TRUE(stored.has_value() && stored->has_value());
    EXPECT_EQ((*stored)->state, OpState::kSucceeded);
  }
  auto stats = env.Stats();
  EXPECT_EQ(stats["executions"]["aml"], results.size()) << stats.dump();
  EXPECT_EQ(stats["duplicate_executions"], 0) << stats.dump();
  EXPECT_EQ(stats["duplicate_vendor_data"], 0) << stats.dump();
  std::map<std::string, int> by_key;
  const nlohmann::json executions = env.Executions();
  for (const auto& e : executions["executions"]) {
    by_key[e["idempotency_key"].get<std::string>()]++;
  }
  EXPECT_EQ(by_key.size(), results.size());
  for (const auto& [key, n] : by_key) EXPECT_EQ(n, 1) << key;
}

struct FaultCase {
  const char* name;
  const char* faults;
  int timeout_ms;
};

class FaultModeTest : public ::testing::TestWithParam<FaultCase> {};

TEST_P(FaultModeTest, EveryOpExecutesExactlyOnce) {
  ClientEnvOptions o;
  o.faults = GetParam().faults;
  o.timeout = std::chrono::milliseconds(GetParam().timeout_ms);
  ClientEnv env(o);
  auto results = RunAmlOps(env, kOps);
  ExpectExactlyOnce(env, results);
  auto stats = env.Stats();
  int faults = 0;
  for (const auto& [kind, n] : stats["faults"].items()) faults += n.get<int>();
  EXPECT_GT(faults, 0) << "the fault mode never fired: " << stats.dump();
  int retried = 0;
  for (const OpResult& r : results) retried += r->attempts > 1 ? 1 : 0;
  EXPECT_GT(retried, 0);
}

INSTANTIATE_TEST_SUITE_P(
    Sandbox, FaultModeTest,
    ::testing::Values(FaultCase{"drop_before", "drop_before=0.3", 2000},
                      FaultCase{"drop_after", "drop_after=0.3", 2000},
                      FaultCase{"error_503", "error_503=0.3,retry_after=0", 2000},
                      FaultCase{"error_500_after", "error_500_after=0.3", 2000},
                      FaultCase{"rate_limit", "rate_limit=0.3,retry_after=0", 2000},
                      FaultCase{"slow", "slow=0.2:400", 150},
                      FaultCase{"slow_exec", "slow_exec=0.2:400", 150},
                      FaultCase{"mixed",
                                "drop_before=0.1,drop_after=0.1,error_503=0.1,"
                                "error_500_after=0.1,rate_limit=0.1,slow=0.05:300,"
                                "slow_exec=0.05:300,retry_after=0",
                                150}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(ClientSandbox, RetryAfterIsHonouredAsAFloor) {
  ClientEnvOptions o;
  o.faults = "rate_limit=0.5,retry_after=1";
  ClientEnv env(o);
  auto start = std::chrono::steady_clock::now();
  auto results = RunAmlOps(env, 4);
  auto elapsed = std::chrono::steady_clock::now() - start;
  ExpectExactlyOnce(env, results);
  int limited = env.Stats()["faults"]["rate_limit"];
  ASSERT_GT(limited, 0);
  // Backoff alone is at most 50 ms; a 1 s Retry-After floor shows.
  EXPECT_GE(elapsed, std::chrono::milliseconds(1000));
}

TEST(ClientSandbox, FinalRefusalFailsWithoutRetryOrExecution) {
  ClientEnv env;
  OpRequest r = AmlRequest(1);
  r.body = R"({"entity_type":"person"})";  // no full_name: 400
  OpResult result = env.client().Call(r);
  ASSERT_TRUE(result.has_value()) << result.error().ToString();
  EXPECT_EQ(result->state, OpState::kFailed);
  EXPECT_EQ(result->response_status, 400);
  EXPECT_EQ(result->attempts, 1);
  EXPECT_NE(result->response_body.find("full_name"), std::string::npos);
  EXPECT_EQ(env.Stats()["executions_total"], 0);
}

// A refused key is a configuration mistake, not the op's outcome: nothing
// executed, so the op waits, re-drivable, and goes through once the key is
// fixed.
TEST(ClientSandbox, AWrongApiKeyLeavesTheOpReDrivable) {
  ClientEnv env;
  env.options().api_key = "wrong-key";
  OpResult result = env.client().Call(AmlRequest(1));
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->state, OpState::kUnknown);
  EXPECT_FALSE(result->needs_review);
  EXPECT_EQ(result->response_status, 401);
  EXPECT_EQ(result->attempts, 1) << "no retry helps until the key is fixed";
  EXPECT_NE(result->last_error.find("refused the credentials"), std::string::npos)
      << result->last_error;
  // The key never reaches the journal.
  EXPECT_EQ(result->response_headers.find("wrong-key"), std::string::npos);
  EXPECT_EQ(result->last_error.find("wrong-key"), std::string::npos);
  auto stored = env.journal().Get("aml-1");
  ASSERT_TRUE(stored && *stored);
  EXPECT_EQ((*stored)->first_sent_ms, 0) << "stored as never executed";

  env.ResetClient();
  env.options().api_key = "sandbox-key";
  auto summary = env.client().Resume();
  ASSERT_TRUE(summary);
  EXPECT_EQ(summary->succeeded, 1u);
  EXPECT_EQ(env.Stats()["executions"]["aml"], 1);
}

TEST(ClientSandbox, AMalformedBaseUrlIsRefusedBeforeAnythingIsStored) {
  ClientEnv env;
  for (const char* url : {"127.0.0.1:8790", "ftp://host", "http://", "https:///v3",
                          "http://host/?a=b", "http://ho st", "http://host#x"}) {
    ClientOptions options = env.options();
    options.base_url = url;
    auto client = Client::Create(options);
    ASSERT_FALSE(client) << url;
    EXPECT_EQ(client.error().code(), ErrorCode::kInvalidArgument) << url;
  }
  for (const char* url :
       {"http://127.0.0.1:8790", "https://verification.didit.me/", "http://localhost:1/prefix"}) {
    ClientOptions options = env.options();
    options.base_url = url;
    EXPECT_TRUE(Client::Create(options)) << url;
  }
  EXPECT_TRUE(env.journal().List({})->empty());
}

TEST(ClientSandbox, SameOpIdSameRequestReturnsStoredResultWithoutSending) {
  ClientEnv env;
  OpResult first = env.client().Call(AmlRequest(1));
  ASSERT_TRUE(first.has_value());
  ASSERT_EQ(first->state, OpState::kSucceeded);
  int requests = env.Stats()["requests"];
  OpResult second = env.client().Call(AmlRequest(1));
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->state, OpState::kSucceeded);
  EXPECT_EQ(second->idem_key, first->idem_key);
  EXPECT_EQ(second->response_body, first->response_body);
  EXPECT_EQ(env.Stats()["requests"], requests);
}

TEST(ClientSandbox, SameOpIdDifferentRequestIsRefusedLocally) {
  ClientEnv env;
  ASSERT_TRUE(env.client().Call(AmlRequest(1)).has_value());
  int requests = env.Stats()["requests"];
  OpRequest other = AmlRequest(2);
  other.op_id = "aml-1";
  OpResult result = env.client().Call(other);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code(), ErrorCode::kAlreadyExists);
  EXPECT_EQ(env.Stats()["requests"], requests);
}

TEST(ClientSandbox, CallersOwnKeyIsTheOpsKeyAndIsNeverDoubled) {
  ClientEnvOptions o;
  o.faults = "drop_after=0.5";
  ClientEnv env(o);
  OpRequest r = AmlRequest(1);
  r.headers.push_back({"Idempotency-Key", "\"caller-key-1\""});
  OpResult result = env.client().Call(r);
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->state, OpState::kSucceeded);
  EXPECT_EQ(result->idem_key, "caller-key-1");
  const nlohmann::json executions = env.Executions()["executions"];
  ASSERT_EQ(executions.size(), 1u);
  EXPECT_EQ(executions[0]["idempotency_key"], "caller-key-1");
  EXPECT_EQ(env.Stats()["bad_keys_400"], 0);
  // Journaled as the caller's key, so another op reusing it is refused
  // locally and nothing is sent.
  EXPECT_TRUE(env.journal().Get(result->op_id).value()->idem_key_from_caller);
  OpRequest reuse = AmlRequest(2);
  reuse.headers.push_back({"Idempotency-Key", "caller-key-1"});
  OpResult refused = env.client().Call(reuse);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code(), ErrorCode::kAlreadyExists);
  EXPECT_EQ(env.Executions()["executions"].size(), 1u);
}

TEST(ClientSandbox, MalformedCallerKeyIsRejectedBeforeAnythingIsStored) {
  ClientEnv env;
  OpRequest r = AmlRequest(1);
  r.headers.push_back({"Idempotency-Key", "\"unbalanced"});
  OpResult result = env.client().Call(r);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code(), ErrorCode::kInvalidArgument);
  auto stored = env.journal().Get("aml-1");
  ASSERT_TRUE(stored.has_value());
  EXPECT_FALSE(stored->has_value());
}

TEST(ClientSandbox, QuotedKeyFormatIsAcceptedAsTheSameKey) {
  ClientEnvOptions o;
  o.faults = "drop_after=0.4";
  ClientEnv env(o);
  env.options().key_format = KeyFormat::kQuotedString;
  env.options().key_version = KeyVersion::kUuidV7;
  auto results = RunAmlOps(env, 10);
  ExpectExactlyOnce(env, results);
  for (const auto& r : results) EXPECT_EQ(r->idem_key[14], '7');
}

TEST(ClientSandbox, RetriesExhaustedLeaveTheOpUnknownAndResumeSettlesIt) {
  ClientEnvOptions o;
  o.faults = "drop_after=1";  // executes, never answers
  o.max_attempts = 2;
  o.persistent_sandbox = true;
  ClientEnv env(o);
  OpResult result = env.client().Call(AmlRequest(1));
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->state, OpState::kUnknown);
  EXPECT_EQ(result->attempts, 2);
  EXPECT_FALSE(result->last_error.empty());
  EXPECT_EQ(env.Stats()["executions"]["aml"], 1);
  auto stored = env.journal().Get("aml-1");
  ASSERT_TRUE(stored.has_value() && stored->has_value());
  EXPECT_EQ((*stored)->state, OpState::kUnknown);
  EXPECT_EQ((*stored)->lease_owner, "");  // released for resume at once

  // The network heals; resume replays the stored response under the same key.
  env.RestartSandbox("");
  auto summary = env.client().Resume();
  ASSERT_TRUE(summary.has_value()) << summary.error().ToString();
  EXPECT_EQ(summary->claimed, 1u);
  EXPECT_EQ(summary->succeeded, 1u);
  stored = env.journal().Get("aml-1");
  ASSERT_TRUE(stored.has_value() && stored->has_value());
  EXPECT_EQ((*stored)->state, OpState::kSucceeded);
  EXPECT_EQ((*stored)->idem_key, result->idem_key);
  EXPECT_EQ(env.Stats()["executions"]["aml"], 1);
}

// Resume makes progress through every unfinished op, however few it drives
// at once: the ops it gave up on again do not shadow the ones behind them.
TEST(ClientSandbox, ResumeDrivesEveryUnfinishedOpNotOnlyTheOldest) {
  ClientEnvOptions o;
  o.max_attempts = 2;
  o.concurrency = 4;
  ClientEnv env(o);
  constexpr int kOps = 20;
  for (int i = 0; i < kOps; ++i) ASSERT_TRUE(Enqueue(env.journal(), AmlRequest(i)));
  // The server is down: every op ends unknown after its attempts.
  env.options().base_url = "http://127.0.0.1:1";
  auto summary = env.client().Resume();
  ASSERT_TRUE(summary) << summary.error().ToString();
  EXPECT_EQ(summary->claimed, static_cast<std::size_t>(kOps));
  EXPECT_EQ(summary->unknown, static_cast<std::size_t>(kOps));
  for (int i = 0; i < kOps; ++i) {
    auto op = env.journal().Get("aml-" + std::to_string(i));
    ASSERT_TRUE(op && *op);
    EXPECT_EQ((*op)->attempts, 2) << (*op)->op_id << " was never driven";
  }
}

// An op another live owner holds is left alone, and counted.
TEST(ClientSandbox, ResumeCountsOpsAnotherLiveOwnerHolds) {
  ClientEnv env;
  ASSERT_TRUE(Enqueue(env.journal(), AmlRequest(2)));
  // Another process claimed op 2 and is alive (its lease runs).
  auto held = env.journal().ClaimUnfinished("other-process", std::chrono::minutes(1), 1);
  ASSERT_TRUE(held && held->size() == 1u);
  ASSERT_TRUE(Enqueue(env.journal(), AmlRequest(1)));
  auto summary = env.client().Resume();
  ASSERT_TRUE(summary);
  EXPECT_EQ(summary->claimed, 1u);
  EXPECT_EQ(summary->succeeded, 1u);
  EXPECT_EQ(summary->held_elsewhere, 1u);
  EXPECT_EQ(env.Stats()["executions"]["aml"], 1);
}

TEST(ClientSandbox, RetryBudgetStopsAStorm) {
  ClientEnvOptions o;
  o.faults = "error_503=1,retry_after=0";
  o.max_attempts = 1000;
  ClientEnv env(o);
  env.options().budget = std::make_shared<RetryBudget>(RetryBudgetOptions{
      .capacity = 50, .retry_cost = 5, .timeout_retry_cost = 10, .success_refund = 1});
  auto results = RunAmlOps(env, 5);
  int requests = env.Stats()["requests"];
  EXPECT_EQ(requests, 5 + 10);  // first attempts + 50/5 retries
  for (const auto& r : results) {
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->state, OpState::kUnknown);
  }
  EXPECT_EQ(env.Stats()["executions_total"], 0);
}

OpResult DriveAndWait(Client& client, Operation op) {
  std::promise<OpResult> done;
  client.Drive(std::move(op), [&done](OpResult r) { done.set_value(std::move(r)); });
  return done.get_future().get();
}

TEST(ClientSandbox, DriveSettlesAClaimedOpWithoutASecondBegin) {
  ClientEnv env;
  auto queued = Enqueue(env.journal(), AmlRequest(1));
  ASSERT_TRUE(queued) << queued.error().ToString();
  Client& client = env.client();
  auto claimed = env.journal().ClaimUnfinished(client.owner(), client.lease(), 10);
  ASSERT_TRUE(claimed);
  ASSERT_EQ(claimed->size(), 1u);
  const std::int64_t generation = claimed->front().lease_generation;

  OpResult result = DriveAndWait(client, claimed->front());
  ASSERT_TRUE(result) << result.error().ToString();
  EXPECT_EQ(result->state, OpState::kSucceeded);
  EXPECT_EQ(result->idem_key, queued->idem_key);
  auto stored = env.journal().Get("aml-1");
  ASSERT_TRUE(stored && *stored);
  EXPECT_EQ((*stored)->state, OpState::kSucceeded);
  EXPECT_EQ((*stored)->lease_generation, generation);  // no Begin took it again
  EXPECT_EQ((*stored)->lease_owner, "");
  EXPECT_EQ(env.Stats()["executions"]["aml"], 1);

  // A settled op comes back as is; an unclaimed one is refused.
  OpResult again = DriveAndWait(client, **stored);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->response_body, (*stored)->response_body);
  Operation unclaimed = **stored;
  unclaimed.state = OpState::kInFlight;
  unclaimed.lease_owner.clear();
  OpResult refused = DriveAndWait(client, unclaimed);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(env.Stats()["executions"]["aml"], 1);
}

TEST(ClientSandbox, DriveOfAStaleClaimNeverOverwritesTheNewerOwner) {
  ClientEnv env;
  ASSERT_TRUE(Enqueue(env.journal(), AmlRequest(1)));
  auto old_claim = env.journal().ClaimUnfinished("old-owner", std::chrono::seconds(60), 1);
  ASSERT_TRUE(old_claim && old_claim->size() == 1u);
  // The old owner's lease ends (as if it lapsed) and a new owner claims the
  // op and is still driving it.
  ASSERT_TRUE(env.journal().Release(old_claim->front()));
  auto new_claim = env.journal().ClaimUnfinished("new-owner", std::chrono::seconds(60), 1);
  ASSERT_TRUE(new_claim && new_claim->size() == 1u);

  OpResult result = DriveAndWait(env.client(), old_claim->front());
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code(), ErrorCode::kFailedPrecondition);
  auto stored = env.journal().Get("aml-1");
  ASSERT_TRUE(stored && *stored);
  EXPECT_EQ((*stored)->state, OpState::kInFlight);
  EXPECT_EQ((*stored)->lease_owner, "new-owner");
  EXPECT_EQ((*stored)->lease_generation, new_claim->front().lease_generation);
  EXPECT_EQ((*stored)->response_status, 0);  // the stale driver's answer is not stored
  // Its request carried the op's key: still one execution at most.
  EXPECT_LE(env.Stats()["executions"]["aml"].get<int>(), 1);
}

// A look-up that took longer than a third of the lease, during which the
// driver's lease lapsed and another worker claimed the op, answers "not
// found": the driver must renew (fenced) before re-sending, and so stop,
// instead of sending beside the new owner. Time is the injected clock: the
// look-up moves it on by a whole lease.
class SlowLookupWhileTakenOver final : public Reconciler {
 public:
  SlowLookupWhileTakenOver(Journal& journal, testing::FakeClock& clock,
                           std::chrono::milliseconds lease)
      : journal_(journal), clock_(clock), lease_(lease) {}
  void Lookup(const Operation& op, Done done) override {
    clock_.Advance(lease_);
    taken_ = journal_.Release(op) &&
             journal_.ClaimUnfinished("other-worker", std::chrono::seconds(60), 1)->size() == 1;
    ReconcileResult r;
    r.outcome = ReconcileResult::Outcome::kNotFound;
    done(std::move(r));
  }
  bool taken() const { return taken_; }

 private:
  Journal& journal_;
  testing::FakeClock& clock_;
  std::chrono::milliseconds lease_;
  std::atomic<bool> taken_{false};
};

TEST(ClientSandbox, ALookUpThatOutlastsTheLeaseDoesNotSendBesideTheNewOwner) {
  ClientEnv env({.idempotency = false});
  auto clock = std::make_shared<testing::FakeClock>(std::chrono::system_clock::now());
  env.options().clock = clock;
  env.options().lease = std::chrono::seconds(30);
  KindPolicy policy;
  policy.server_honours_key = false;  // resolved by the look-up, settle_after 0
  env.options().kind_policies["looked_up"] = policy;
  auto reconciler =
      std::make_shared<SlowLookupWhileTakenOver>(env.journal(), *clock, env.options().lease);
  env.options().reconcilers["looked_up"] = reconciler;
  OpRequest request = AmlRequest(1);
  request.kind = "looked_up";
  ASSERT_TRUE(Enqueue(env.journal(), request));
  Client& client = env.client();
  auto claimed = env.journal().ClaimUnfinished(client.owner(), client.lease(), 1);
  ASSERT_TRUE(claimed && claimed->size() == 1u);
  // As an earlier driver left it: sent, outcome unknown.
  Operation op = claimed->front();
  op.first_sent_ms = ToUnixMillis(clock->Now());

  OpResult result = DriveAndWait(client, op);
  EXPECT_TRUE(reconciler->taken());
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code(), ErrorCode::kFailedPrecondition);
  EXPECT_EQ(env.Stats()["requests"], 0) << "nothing sent beside the new owner";
  auto stored = env.journal().Get("aml-1");
  ASSERT_TRUE(stored && *stored);
  EXPECT_EQ((*stored)->lease_owner, "other-worker");
}

// Runs the webhook heal for `op_id` while the op's first answer is on its
// way back, as an event for the session arriving at that moment would, then
// hands the answer (a 503 from the sandbox) to the driver.
class HealMidFlightTransport final : public Transport {
 public:
  HealMidFlightTransport(std::shared_ptr<Transport> inner, Journal& journal)
      : inner_(std::move(inner)), journal_(journal) {}
  void Send(HttpRequest request, Callback done) override {
    ++sends_;
    inner_->Send(std::move(request), [this, done = std::move(done)](TransportResult r) {
      if (!healed_.exchange(true)) {
        Adoption a;
        a.natural_key = "session:wf:user-3";
        a.resource_id = "sess-3";
        a.kinds = {"create_session"};
        a.first_sent_not_after_ms = ToUnixMillis(std::chrono::system_clock::now()) + 60000;
        a.response_body = R"({"session_id":"sess-3","status":"Not Started"})";
        auto adopted = journal_.AdoptResource(a);
        adopted_ = adopted ? adopted->size() : 0;
      }
      done(std::move(r));
    });
  }
  std::size_t adopted() const { return adopted_; }
  int sends() const { return sends_; }

 private:
  std::atomic<int> sends_{0};
  std::shared_ptr<Transport> inner_;
  Journal& journal_;
  std::atomic<bool> healed_{false};
  std::atomic<std::size_t> adopted_{0};
};

// Issue 15, corner 3: the heal fenced the driver at a write other than the
// last (here the retry's schedule after a 503), and the caller got the raw
// fencing error for a session that exists.
TEST(ClientSandbox, AHealThatFencesTheDriverMidRetryReachesTheCallerAsTheStoredSuccess) {
  ClientEnv env({.faults = "error_503=1", .max_attempts = 5});
  auto healing = std::make_shared<HealMidFlightTransport>(env.options().transport, env.journal());
  env.options().transport = healing;
  OpRequest r;
  r.op_id = "create-3";
  r.kind = "create_session";
  r.method = "POST";
  r.path = "/v3/session/";
  r.body = R"({"workflow_id":"wf","vendor_data":"user-3"})";
  r.natural_key = "session:wf:user-3";
  auto result = env.client().Call(r);
  ASSERT_TRUE(result) << result.error().ToString();
  EXPECT_EQ(healing->adopted(), 1u);
  EXPECT_EQ(result->state, OpState::kSucceeded);
  EXPECT_EQ(result->resource_id, "sess-3");
  EXPECT_EQ(result->response_status, 200);
  EXPECT_EQ(result->response_body, R"({"session_id":"sess-3","status":"Not Started"})");
  EXPECT_EQ(healing->sends(), 1) << "the fenced driver sent nothing more";
}

}  // namespace
}  // namespace idem

namespace idem {
namespace {

// Issue 19: an op waiting for a rate grant keeps its lease. A wait may last
// a whole window (60 s on Didit), longer than a lease; before the lease was
// renewed during the wait, another worker took the waiting op over (its
// first send was already recorded, so it replayed or looked up) and the
// first driver still sent once granted: wasted grants, and a create sent by
// two drivers. Here a second view of the journal tries to take lapsed ops
// while five AML checks wait their turn at one write per second.
TEST(ClientSandboxRateWait, AnOpWaitingForAGrantKeepsItsLeaseAndIsSentOnce) {
  ClientEnv env;
  env.options().lease = std::chrono::milliseconds(1500);
  env.options().rate_limits = RateLimits{{"generic-write", {1, 1000}}};
  Client& client = env.client();
  auto thief = OpenSqliteJournal(env.journal_path());
  ASSERT_TRUE(thief) << thief.error().ToString();
  constexpr int kOps = 5;  // the last one waits about 4.4 s, three leases
  std::vector<std::future<OpResult>> results;
  for (int i = 0; i < kOps; ++i) results.push_back(client.Submit(AmlRequest(i)));
  std::size_t taken = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  for (auto& r : results) {
    while (r.wait_for(std::chrono::milliseconds(100)) != std::future_status::ready &&
           std::chrono::steady_clock::now() < deadline) {
      auto claimed = (*thief)->ClaimUnfinished("thief", std::chrono::milliseconds(1500), 10);
      ASSERT_TRUE(claimed) << claimed.error().ToString();
      taken += claimed->size();
    }
  }
  EXPECT_EQ(taken, 0u) << "a waiting op's lease lapsed";
  for (auto& r : results) {
    ASSERT_EQ(r.wait_for(std::chrono::seconds(0)), std::future_status::ready);
    OpResult result = r.get();
    ASSERT_TRUE(result) << result.error().ToString();
    EXPECT_EQ(result->state, OpState::kSucceeded);
  }
  EXPECT_EQ(env.Stats()["requests"], kOps) << "every op sent once";
  EXPECT_EQ(env.Executions()["executions"].size(), static_cast<std::size_t>(kOps));
}

// The fault path of the wait: the op is settled elsewhere (here a webhook's
// heal adopts the session it was about to create) while it waits for its
// grant. The renewal during the wait is refused, and the grant, when it
// comes, sends nothing: the caller gets the stored success, and the sandbox
// sees two creates, not three.
TEST(ClientSandboxRateWait, AnOpSettledElsewhereWhileItWaitsIsNotSent) {
  ClientEnv env;
  env.options().lease = std::chrono::milliseconds(600);
  env.options().rate_limits = RateLimits{{"generic-write", {1, 1000}}};
  Client& client = env.client();
  auto create = [](int i) {
    OpRequest r;
    r.op_id = "create-" + std::to_string(i);
    r.kind = "create_session";
    r.method = "POST";
    r.path = "/v3/session/";
    r.natural_key = "session:wf:waiting-" + std::to_string(i);
    r.body = R"({"workflow_id":"11111111-2222-4333-8444-555555555555","vendor_data":"waiting-)" +
             std::to_string(i) + R"("})";
    return r;
  };
  std::vector<std::future<OpResult>> results;
  for (int i = 0; i < 3; ++i) results.push_back(client.Submit(create(i)));
  // The third waits about 2.2 s for its grant; its first send is recorded
  // before it queues at the gate (the heal adopts only ops sent by then).
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  std::optional<Operation> waiting;
  while (std::chrono::steady_clock::now() < deadline) {
    auto op = env.journal().Get("create-2");
    ASSERT_TRUE(op) << op.error().ToString();
    if (*op && (*op)->first_sent_ms != 0) {
      waiting = **op;
      break;
    }
    ASSERT_EQ(results[2].wait_for(std::chrono::milliseconds(10)), std::future_status::timeout);
  }
  ASSERT_TRUE(waiting) << "the third create never reached its send";
  Adoption heal;
  heal.natural_key = "session:wf:waiting-2";
  heal.resource_id = "sess-healed";
  heal.kinds = {"create_session"};
  heal.first_sent_not_after_ms = ToUnixMillis(std::chrono::system_clock::now()) + 60000;
  heal.response_body = R"({"session_id":"sess-healed","status":"Not Started"})";
  auto adopted = env.journal().AdoptResource(heal);
  ASSERT_TRUE(adopted) << adopted.error().ToString();
  ASSERT_EQ(adopted->size(), 1u);
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(results[i].wait_for(std::chrono::seconds(20)), std::future_status::ready);
    OpResult result = results[i].get();
    ASSERT_TRUE(result) << result.error().ToString();
    EXPECT_EQ(result->state, OpState::kSucceeded) << i;
    if (i == 2) {
      EXPECT_EQ(result->resource_id, "sess-healed");
    }
  }
  EXPECT_EQ(env.Stats()["requests"], 2) << "the settled op was not sent";
  EXPECT_EQ(env.Executions()["executions"].size(), 2u);
}

}  // namespace
}  // namespace idem

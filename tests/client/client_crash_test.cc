// Crash test: `idem call` and `idem resume` processes driving ops against the
// real sandbox are killed with SIGKILL at random moments, round after round;
// at the end every op executed exactly once on the sandbox.
#include <signal.h>

#include <chrono>
#include <cstdlib>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "client/sandbox_env.h"
#include "idem/random.h"
#include "idem/uuid.h"
#include "testing/child_process.h"

namespace idem {
namespace {

using std::chrono::milliseconds;
using testing::ClientEnv;
using testing::ClientEnvOptions;
// Children are $IDEM_BIN processes.
using testing::IdemBin;
using testing::SpawnChild;
using testing::WaitExit;

constexpr int kOps = 12;
constexpr int kRounds = 4;
constexpr int kLeaseMs = 300;

class CrashTest : public ::testing::Test {
 protected:
  std::vector<std::string> Common(ClientEnv& env) {
    std::vector<std::string> args = {"--base-url",        env.sandbox().base_url(),
                                     "--api-key",         "sandbox-key",
                                     "--journal",         env.journal_path(),
                                     "--lease-ms",        std::to_string(kLeaseMs),
                                     "--timeout-ms",      "400",
                                     "--max-attempts",    "50",
                                     "--backoff-base-ms", "5",
                                     "--backoff-cap-ms",  "50"};
    if (!keyed_kinds_.empty()) {
      args.push_back("--keyed-kinds");
      args.push_back(keyed_kinds_);
    }
    return args;
  }

  std::vector<std::string> CallArgs(ClientEnv& env, const OpRequest& r) {
    std::vector<std::string> args = {IdemBin(), "call",    r.method, r.path,   "--data",
                                     r.body,    "--op-id", r.op_id,  "--kind", r.kind};
    for (auto& a : Common(env)) args.push_back(a);
    return args;
  }

  std::vector<std::string> ResumeArgs(ClientEnv& env) {
    std::vector<std::string> args = {IdemBin(), "resume", "--concurrency", "8"};
    for (auto& a : Common(env)) args.push_back(a);
    return args;
  }

  // Rounds of: every op's `idem call` in parallel plus one `idem resume`,
  // SIGKILLed after a random 10..150 ms. Then a clean finish, after which
  // every op succeeded (or, with `allow_review`, succeeded or stopped
  // unknown for a person: exit 3, needs_review).
  void CrashRounds(ClientEnv& env, const std::vector<OpRequest>& ops, bool allow_review = false) {
    SeededRandom random(2026);
    int killed = 0;
    for (int round = 0; round < kRounds; ++round) {
      std::vector<pid_t> pids;
      for (const auto& r : ops) pids.push_back(SpawnChild(CallArgs(env, r)));
      if (round > 0) pids.push_back(SpawnChild(ResumeArgs(env)));
      std::this_thread::sleep_for(milliseconds(random.NextInRange(10, 150)));
      for (pid_t pid : pids) {
        if (pid > 0 && kill(pid, SIGKILL) == 0) ++killed;
      }
      for (pid_t pid : pids) {
        if (pid > 0) WaitExit(pid);
      }
      // Let the dead processes' leases lapse before the next round.
      std::this_thread::sleep_for(milliseconds(kLeaseMs + 50));
    }
    EXPECT_GT(killed, 0);
    // Clean finish: resume what is journaled, then call every op (an op
    // whose Begin never committed is created and sent now).
    EXPECT_NE(WaitExit(SpawnChild(ResumeArgs(env))), -1);
    for (const auto& r : ops) {
      int code = WaitExit(SpawnChild(CallArgs(env, r)));
      if (allow_review && code == 3) continue;
      EXPECT_EQ(code, 0) << r.op_id;
    }
    for (const auto& r : ops) {
      auto op = env.journal().Get(r.op_id);
      ASSERT_TRUE(op.has_value() && op->has_value()) << r.op_id;
      if (allow_review && (*op)->state == OpState::kUnknown) {
        EXPECT_TRUE((*op)->needs_review) << r.op_id << " " << (*op)->last_error;
        continue;
      }
      EXPECT_EQ((*op)->state, OpState::kSucceeded) << r.op_id << " " << (*op)->last_error;
    }
  }

  std::string keyed_kinds_;  // --keyed-kinds for every child; empty: Didit's

  static std::map<std::string, int> ExecutionsByFingerprint(ClientEnv& env) {
    std::map<std::string, int> by;
    const nlohmann::json executions = env.Executions();
    for (const auto& e : executions["executions"]) by[e["fingerprint"].get<std::string>()]++;
    return by;
  }
};

std::vector<OpRequest> AmlOps() {
  std::vector<OpRequest> ops;
  for (int i = 0; i < kOps; ++i) ops.push_back(testing::AmlRequest(i));
  return ops;
}

TEST_F(CrashTest, KilledCallsAndResumesExecuteEveryOpExactlyOnce) {
  ClientEnvOptions o;
  o.faults = "slow=0.3:120,drop_after=0.1";  // widen the window a kill can hit
  ClientEnv env(o);
  auto ops = AmlOps();
  CrashRounds(env, ops);
  auto stats = env.Stats();
  EXPECT_EQ(stats["executions"]["aml"], kOps) << stats.dump();
  EXPECT_EQ(stats["duplicate_executions"], 0) << stats.dump();
  std::map<std::string, int> by_key;
  const nlohmann::json executions = env.Executions();
  for (const auto& e : executions["executions"]) by_key[e["idempotency_key"].get<std::string>()]++;
  EXPECT_EQ(by_key.size(), static_cast<std::size_t>(kOps));
  for (const auto& [key, n] : by_key) EXPECT_EQ(n, 1) << key;
}

// The same crashes against a server that ignores Idempotency-Key everywhere
// (AML too), and idem told so (--keyed-kinds none): a key can settle
// nothing, so every op that may have executed is looked up before anything
// is sent again. AML checks carry a vendor_data and are saved, so the saved
// screening is found; sessions are found by vendor_data. An op that could
// not be proven either way would stop unknown for review; none may execute
// twice.
TEST_F(CrashTest, WithoutServerKeysEveryOpIsLookedUpNeverExecutedTwice) {
  ClientEnvOptions o;
  o.faults = "slow=0.3:120,drop_after=0.1";
  o.idempotency = false;
  ClientEnv env(o);
  keyed_kinds_ = "none";
  std::vector<OpRequest> ops;
  for (int i = 0; i < kOps; ++i) {
    OpRequest aml = testing::AmlRequest(i);
    aml.body = R"({"full_name":"Person )" + std::to_string(i) + R"(","vendor_data":"aml-)" +
               std::to_string(i) + R"("})";
    ops.push_back(aml);
    OpRequest r;
    r.op_id = "session-" + std::to_string(i);
    r.kind = "create_session";
    r.path = "/v3/session/";
    r.body = R"({"workflow_id":"11111111-2222-4333-8444-555555555555","vendor_data":"user-)" +
             std::to_string(i) + R"("})";
    ops.push_back(r);
  }
  CrashRounds(env, ops, /*allow_review=*/true);
  auto stats = env.Stats();
  EXPECT_EQ(stats["duplicate_vendor_data"], 0) << stats.dump();
  EXPECT_EQ(stats["duplicate_executions"], 0) << stats.dump();
  EXPECT_EQ(stats["executions"]["create_session"], kOps) << stats.dump();
  // Every succeeded op executed exactly once; a review op at most once.
  auto by_fingerprint = ExecutionsByFingerprint(env);
  int review = 0;
  for (const auto& r : ops) {
    const int n = by_fingerprint[RequestFingerprint(r.method, r.path, r.body)];
    auto op = env.journal().Get(r.op_id);
    ASSERT_TRUE(op && *op);
    if ((*op)->needs_review) {
      ++review;
      EXPECT_LE(n, 1) << r.op_id;
    } else {
      EXPECT_EQ(n, 1) << r.op_id;
    }
  }
  std::printf("without server keys: %d of %d ops stopped for review, 0 duplicates\n", review,
              2 * kOps);
}

}  // namespace
}  // namespace idem

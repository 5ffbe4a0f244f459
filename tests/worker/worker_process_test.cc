// The producer/worker split with real processes: ops stored by
// `idem call --enqueue` are driven by `idem worker`; two workers on one
// SQLite journal never drive the same op (a sandbox that ignores keys would
// execute it twice); a SIGTERM'd worker exits 0 and leaves nothing leased.
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "idem/didit/client.h"
#include "idem/enqueue.h"
#include "idem/journal.h"
#include "idem/sandbox.h"
#include "testing/child_process.h"
#include "testing/wait.h"
#include "worker_fixture.h"

namespace idem {
namespace {

using std::chrono::milliseconds;
// Children are $IDEM_BIN processes.
using testing::IdemBin;
using testing::ReadWholeFile;
using testing::SpawnChild;
using testing::WaitExit;

class WorkerProcessTest : public testing::WorkerFixture {
 protected:
  WorkerProcessTest() : WorkerFixture(11) {}

  std::vector<std::string> WorkerArgs(int concurrency) {
    return {IdemBin(),
            "worker",
            "--exit-when-idle",
            "--concurrency",
            std::to_string(concurrency),
            "--poll-ms",
            "20",
            "--journal",
            JournalPath(),
            "--base-url",
            sandbox_->base_url(),
            "--api-key",
            "sandbox-key",
            "--lease-ms",
            "2000",
            "--timeout-ms",
            "3000",
            "--max-attempts",
            "30",
            "--backoff-base-ms",
            "5",
            "--backoff-cap-ms",
            "50"};
  }

  void EnqueueAml(int n, const std::string& prefix) {
    for (int i = 0; i < n; ++i) {
      didit::AmlRequest aml;
      aml.full_name = "Worker Person " + std::to_string(i);
      aml.vendor_data = prefix + std::to_string(i);
      auto request = didit::AmlScreeningOp(aml, {.op_id = prefix + std::to_string(i)});
      ASSERT_TRUE(request.has_value());
      auto op = Enqueue(*journal_, std::move(*request));
      ASSERT_TRUE(op.has_value()) << op.error().ToString();
      EXPECT_EQ(op->state, OpState::kInFlight);
      EXPECT_TRUE(op->lease_owner.empty());
      EXPECT_EQ(op->attempts, 0);
    }
  }
};

TEST_F(WorkerProcessTest, CallEnqueueStoresWithoutSendingAndAWorkerDrivesIt) {
  StartSandbox("drop_before=0.1,drop_after=0.1,error_500_after=0.1,error_503=0.1,retry_after=0",
               true);
  constexpr int kOps = 12;
  for (int i = 0; i < kOps; ++i) {
    const std::string out = dir_ + "/enqueue.json";
    std::string body = R"({"full_name":"Enqueued )" + std::to_string(i) +
                       R"(","vendor_data":"enq-)" + std::to_string(i) + R"("})";
    // No API key needed to enqueue: nothing is sent.
    pid_t pid = SpawnChild(
        {IdemBin(), "call", "POST", "/v3/aml/", "--data", body, "--op-id",
         "enq-" + std::to_string(i), "--kind", "aml", "--enqueue", "--journal", JournalPath()},
        out);
    ASSERT_EQ(WaitExit(pid), 0);
    auto printed = nlohmann::json::parse(ReadWholeFile(out));
    EXPECT_EQ(printed["op_id"], "enq-" + std::to_string(i));
    EXPECT_EQ(printed["state"], "in_flight");
    EXPECT_EQ(printed["attempts"], 0);
  }
  // Re-enqueueing the same op is a no-op; another body under its id is refused.
  EXPECT_EQ(
      WaitExit(SpawnChild({IdemBin(), "call", "POST", "/v3/aml/", "--data",
                           R"({"full_name":"Enqueued 0","vendor_data":"enq-0"})", "--op-id",
                           "enq-0", "--kind", "aml", "--enqueue", "--journal", JournalPath()})),
      0);
  EXPECT_EQ(WaitExit(SpawnChild({IdemBin(), "call", "POST", "/v3/aml/", "--data",
                                 R"({"full_name":"Someone else"})", "--op-id", "enq-0", "--enqueue",
                                 "--journal", JournalPath()})),
            1);
  EXPECT_TRUE(ExecutionsByVendorData().empty()) << "enqueue must not send";

  ASSERT_EQ(WaitExit(SpawnChild(WorkerArgs(4))), 0);
  auto by = ExecutionsByVendorData();
  for (int i = 0; i < kOps; ++i) {
    const std::string id = "enq-" + std::to_string(i);
    EXPECT_EQ(by[id], 1) << id;
    auto op = journal_->Get(id);
    ASSERT_TRUE(op && *op);
    EXPECT_EQ((*op)->state, OpState::kSucceeded) << id << " " << (*op)->last_error;
  }
}

// Issue 15, corner 6: `idem worker --exit-when-idle` never exited while the
// API was down (every op waited in backoff or was unknown, and was driven
// again each second, forever).
TEST_F(WorkerProcessTest, ExitWhenIdleEndsWhileTheApiIsDownAndSaysWhatIsLeft) {
  StartSandbox("error_503=1,retry_after=0", true);
  EnqueueAml(3, "down-");
  std::vector<std::string> args = WorkerArgs(4);
  // Two attempts each, then the ops are unknown.
  auto attempts = std::find(args.begin(), args.end(), "--max-attempts");
  ASSERT_NE(attempts, args.end());
  *(attempts + 1) = "2";
  const std::string out = dir_ + "/down.json";
  testing::SpawnOptions options;
  options.stdout_path = out;
  testing::ChildProcess worker = testing::ChildProcess::Spawn(args, options);
  ASSERT_TRUE(worker.started());
  // Bounded: it must end by itself within 30 s (each op takes milliseconds).
  // (A worker still running is SIGKILLed when `worker` goes.)
  const std::optional<testing::ExitStatus> status = worker.WaitFor(std::chrono::seconds(30));
  ASSERT_TRUE(status) << "the worker never went idle";
  ASSERT_EQ(status->signal, 0);
  EXPECT_EQ(status->code, 3) << "unknown ops remain";
  auto summary = nlohmann::json::parse(ReadWholeFile(out), nullptr, false);
  ASSERT_TRUE(summary.is_object()) << ReadWholeFile(out);
  EXPECT_EQ(summary["left_unknown"], 3) << summary.dump();
  EXPECT_EQ(summary["left_needs_review"], 0) << summary.dump();
  for (int i = 0; i < 3; ++i) {
    auto op = journal_->Get("down-" + std::to_string(i));
    ASSERT_TRUE(op && *op);
    EXPECT_EQ((*op)->state, OpState::kUnknown);
    EXPECT_EQ((*op)->lease_owner, "");
  }
  // The API is back: `idem resume` drives them to the end and exits 0.
  sandbox_->Stop();
  StartSandbox("", true);
  EXPECT_EQ(WaitExit(SpawnChild({IdemBin(), "resume", "--journal", JournalPath(), "--base-url",
                                 sandbox_->base_url(), "--api-key", "sandbox-key"},
                                out)),
            0)
      << ReadWholeFile(out);
  for (int i = 0; i < 3; ++i) {
    auto op = journal_->Get("down-" + std::to_string(i));
    ASSERT_TRUE(op && *op);
    EXPECT_EQ((*op)->state, OpState::kSucceeded);
  }
}

TEST_F(WorkerProcessTest, TwoWorkersOnOneJournalNeverDriveTheSameOp) {
  // Keys ignored: an op driven by both workers would execute twice. Every
  // answer takes 300 ms and a worker claims only as many ops as it has free
  // slots (8), so one worker alone needs >= 60 / 8 x 0.3 s = 2.25 s: the
  // second one starts long before the first could have taken everything.
  StartSandbox("slow=1:300", false);
  constexpr int kOps = 60;
  EnqueueAml(kOps, "two-");
  pid_t a = SpawnChild(WorkerArgs(8), dir_ + "/a.json");
  pid_t b = SpawnChild(WorkerArgs(8), dir_ + "/b.json");
  EXPECT_EQ(WaitExit(a), 0);
  EXPECT_EQ(WaitExit(b), 0);
  // Both really worked (else the test would prove nothing about sharing).
  auto summary_a = nlohmann::json::parse(ReadWholeFile(dir_ + "/a.json"));
  auto summary_b = nlohmann::json::parse(ReadWholeFile(dir_ + "/b.json"));
  EXPECT_GT(summary_a["succeeded"].get<int>(), 0) << summary_a.dump();
  EXPECT_GT(summary_b["succeeded"].get<int>(), 0) << summary_b.dump();
  // (An op the other worker settled between a poll and the claim is handed
  // back succeeded without being sent, so the sum may exceed kOps.)
  EXPECT_GE(summary_a["succeeded"].get<int>() + summary_b["succeeded"].get<int>(), kOps);
  auto by = ExecutionsByVendorData();
  int total = 0;
  for (int i = 0; i < kOps; ++i) {
    const std::string id = "two-" + std::to_string(i);
    EXPECT_EQ(by[id], 1) << id;
    total += by[id];
    auto op = journal_->Get(id);
    ASSERT_TRUE(op && *op);
    EXPECT_EQ((*op)->state, OpState::kSucceeded) << id;
    EXPECT_EQ((*op)->attempts, 1) << id << ": driven more than once";
  }
  EXPECT_EQ(total, kOps);
}

TEST_F(WorkerProcessTest, SigtermFinishesInFlightWorkAndExitsZero) {
  // Every answer takes 300 ms: at SIGTERM some ops are on the wire.
  StartSandbox("slow=1.0:300", true);
  constexpr int kOps = 40;
  EnqueueAml(kOps, "term-");
  std::vector<std::string> args = WorkerArgs(4);
  args.erase(args.begin() + 2);  // no --exit-when-idle: runs until stopped
  pid_t pid = SpawnChild(args);
  // Wait (bounded) until the worker has something on the wire.
  ASSERT_TRUE(testing::WaitUntil(
      std::chrono::seconds(10), [&] { return !ExecutionsByVendorData().empty(); },
      milliseconds(25)));
  ASSERT_EQ(kill(pid, SIGTERM), 0);
  EXPECT_EQ(WaitExit(pid), 0);
  // Nothing half-done: every op is final or waits unleased for the next
  // worker, and each executed at most once.
  auto ops = journal_->List({});
  ASSERT_TRUE(ops.has_value());
  int finished = 0;
  for (const Operation& op : *ops) {
    if (IsFinal(op.state)) {
      ++finished;
      EXPECT_EQ(op.state, OpState::kSucceeded) << op.op_id;
    }
    EXPECT_TRUE(op.lease_owner.empty()) << op.op_id << " still leased by " << op.lease_owner;
  }
  EXPECT_GT(finished, 0);
  EXPECT_LT(finished, kOps) << "the worker should have stopped before finishing everything";
  // Another worker finishes the rest; each op executed exactly once.
  ASSERT_EQ(WaitExit(SpawnChild(WorkerArgs(16))), 0);
  auto by = ExecutionsByVendorData();
  for (int i = 0; i < kOps; ++i) EXPECT_EQ(by["term-" + std::to_string(i)], 1) << i;
}

TEST_F(WorkerProcessTest, OpsListShowsTheLeaseHolder) {
  StartSandbox("slow=1.0:2000", true);
  EnqueueAml(2, "own-");
  std::vector<std::string> args = WorkerArgs(2);
  args.erase(args.begin() + 2);
  pid_t pid = SpawnChild(args);
  // While the 2 s answers are pending, the journal names the owner.
  std::string owner;
  (void)testing::WaitUntil(
      std::chrono::seconds(10),
      [&] {
        auto op = journal_->Get("own-0");
        if (op && *op) owner = (*op)->lease_owner;
        return !owner.empty();
      },
      milliseconds(20));
  ASSERT_FALSE(owner.empty());
  EXPECT_NE(owner.find(":" + std::to_string(pid) + ":"), std::string::npos) << owner;
  const std::string out = dir_ + "/list.txt";
  ASSERT_EQ(WaitExit(SpawnChild({IdemBin(), "ops", "list", "--journal", JournalPath()}, out)), 0);
  std::string text = ReadWholeFile(out);
  EXPECT_NE(text.find("OWNER"), std::string::npos);
  EXPECT_NE(text.find("LEASE_UNTIL"), std::string::npos);
  EXPECT_NE(text.find(owner), std::string::npos) << text;
  kill(pid, SIGTERM);
  EXPECT_EQ(WaitExit(pid), 0);
}

}  // namespace
}  // namespace idem

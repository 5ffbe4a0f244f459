// RunWorker in-process: two workers (two Clients, one shared Journal object)
// on threads of one process, against an in-process sandbox on port 0. The
// same claims as worker_process_test.cc, without the CLI, so the `tsan`
// preset sees the worker's threads, the Client's callbacks and the journal
// shared between them.
#include "idem/worker.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <future>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <stop_token>
#include <string>
#include <vector>

#include "idem/client.h"
#include "idem/didit/client.h"
#include "idem/enqueue.h"
#include "idem/journal.h"
#include "idem/retry.h"
#include "idem/sandbox.h"
#include "idem/transport.h"
#include "worker_fixture.h"

namespace idem {
namespace {

using std::chrono::milliseconds;

class WorkerTest : public testing::WorkerFixture {
 protected:
  WorkerTest() : WorkerFixture(13) {}

  std::unique_ptr<Client> MakeClient(const std::string& owner) {
    ClientOptions o;
    o.base_url = sandbox_->base_url();
    o.api_key = "sandbox-key";
    o.journal = journal_;
    TransportOptions to;
    to.total_timeout = milliseconds(3000);
    to.connect_timeout = milliseconds(1000);
    o.transport = MakeCurlTransport(to);
    o.owner = owner;
    o.lease = milliseconds(10000);
    o.backoff = std::make_shared<FullJitterBackoff>(milliseconds(2), milliseconds(50));
    o.retry = std::make_shared<LimitedAttemptsRetryPolicy>(30, std::chrono::seconds(30));
    o.budget = std::make_shared<RetryBudget>(RetryBudgetOptions{.capacity = 1000000});
    o.max_concurrent_ops = 8;
    auto client = Client::Create(o);
    EXPECT_TRUE(client.has_value()) << client.error().ToString();
    return client ? std::move(*client) : nullptr;
  }

  void EnqueueAml(int n) {
    for (int i = 0; i < n; ++i) {
      didit::AmlRequest aml;
      aml.full_name = "Worker Person " + std::to_string(i);
      aml.vendor_data = "w" + std::to_string(i);
      auto request = didit::AmlScreeningOp(aml, {.op_id = "w" + std::to_string(i)});
      ASSERT_TRUE(request.has_value());
      auto op = Enqueue(*journal_, std::move(*request));
      ASSERT_TRUE(op.has_value()) << op.error().ToString();
    }
  }

  WorkerOptions Options() const {
    WorkerOptions w;
    w.concurrency = 8;
    w.poll_interval = milliseconds(20);
    w.exit_when_idle = true;
    return w;
  }
};

// A sandbox that ignores keys executes an op driven twice twice: the claims
// alone keep the two workers apart.
TEST_F(WorkerTest, TwoWorkersOnOneJournalNeverDriveTheSameOp) {
  constexpr int kOps = 40;
  StartSandbox("", /*idempotency=*/false);
  EnqueueAml(kOps);
  auto a = MakeClient("worker-a");
  auto b = MakeClient("worker-b");
  ASSERT_TRUE(a && b);
  std::stop_source stop;
  auto run_a = std::async(std::launch::async,
                          [&] { return RunWorker(*a, *journal_, Options(), stop.get_token()); });
  auto run_b = std::async(std::launch::async,
                          [&] { return RunWorker(*b, *journal_, Options(), stop.get_token()); });
  auto sa = run_a.get();
  auto sb = run_b.get();
  ASSERT_TRUE(sa.has_value()) << sa.error().ToString();
  ASSERT_TRUE(sb.has_value()) << sb.error().ToString();
  EXPECT_EQ(sa->driven + sb->driven, static_cast<std::size_t>(kOps));
  EXPECT_EQ(sa->succeeded + sb->succeeded, static_cast<std::size_t>(kOps));
  EXPECT_EQ(sa->busy + sb->busy, 0u);
  EXPECT_EQ(sa->errors + sb->errors, 0u);
  auto by = ExecutionsByVendorData();
  EXPECT_EQ(by.size(), static_cast<std::size_t>(kOps));
  for (const auto& [vendor_data, n] : by) EXPECT_EQ(n, 1) << vendor_data;
  auto left = ListUnfinished(*journal_);
  ASSERT_TRUE(left.has_value());
  EXPECT_TRUE(left->empty());
}

// Dropped answers and 503s: retries run on the transport's and the Client's
// threads while the worker claims more; every op still executes once.
TEST_F(WorkerTest, RetriesUnderFaultsEndSucceededAndExecuteOnce) {
  constexpr int kOps = 30;
  StartSandbox("drop_after=0.3,error_503=0.2,retry_after=0", /*idempotency=*/true);
  EnqueueAml(kOps);
  auto client = MakeClient("worker-faults");
  ASSERT_TRUE(client);
  std::stop_source stop;
  auto summary = RunWorker(*client, *journal_, Options(), stop.get_token());
  ASSERT_TRUE(summary.has_value()) << summary.error().ToString();
  EXPECT_EQ(summary->succeeded, static_cast<std::size_t>(kOps));
  auto by = ExecutionsByVendorData();
  EXPECT_EQ(by.size(), static_cast<std::size_t>(kOps));
  for (const auto& [vendor_data, n] : by) EXPECT_EQ(n, 1) << vendor_data;
}

}  // namespace
}  // namespace idem

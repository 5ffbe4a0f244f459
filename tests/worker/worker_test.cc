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
#include "testing/fake_clock.h"
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

// The worker compares journal stamps with the Client's clock, the one they
// were written with (here a fake clock years behind the real one, shared by
// the Client and the journal). On the real clock it took the unknown op at
// once, whatever unknown_retry_delay, and judged the other owner's live
// lease lapsed.
TEST_F(WorkerTest, TheWorkerJudgesJournalStampsOnTheClientsClock) {
  StartSandbox("", /*idempotency=*/true);
  auto clock = std::make_shared<testing::FakeClock>(
      std::chrono::system_clock::time_point(std::chrono::seconds(1'000'000'000)));
  JournalOptions jo;
  jo.clock = clock;
  auto opened = OpenSqliteJournal(dir_ + "/fake-time.db", jo);
  ASSERT_TRUE(opened) << opened.error().ToString();
  std::shared_ptr<Journal> journal = std::move(*opened);
  EnqueueOptions eo;
  eo.clock = clock;
  didit::AmlRequest aml;
  aml.full_name = "Given Up Person";
  aml.vendor_data = "given-up";
  auto request = didit::AmlScreeningOp(aml, {.op_id = "given-up"});
  ASSERT_TRUE(request);
  ASSERT_TRUE(Enqueue(*journal, *request, eo));
  // Its driver gave it up just now (unknown, released, never sent).
  auto claimed = journal->ClaimUnfinished("gone", std::chrono::seconds(60), 1);
  ASSERT_TRUE(claimed && claimed->size() == 1u);
  Operation given_up = claimed->front();
  given_up.state = OpState::kUnknown;
  given_up.updated_ms = ToUnixMillis(clock->Now());
  ASSERT_TRUE(journal->Update(given_up));
  ASSERT_TRUE(journal->Release(given_up));
  // Another live process holds a second op for the next minute.
  aml.vendor_data = "held";
  request = didit::AmlScreeningOp(aml, {.op_id = "held"});
  ASSERT_TRUE(request);
  ASSERT_TRUE(Enqueue(*journal, *request, eo));
  ClaimFilter in_flight_only;
  in_flight_only.include_unknown = false;
  auto held =
      journal->ClaimUnfinished("other-live-process", std::chrono::seconds(60), 1, in_flight_only);
  ASSERT_TRUE(held && held->size() == 1u);
  ASSERT_EQ(held->front().op_id, "held");

  ClientOptions o;
  o.base_url = sandbox_->base_url();
  o.api_key = "sandbox-key";
  o.journal = journal;
  o.transport = MakeCurlTransport();
  o.owner = "worker-on-fake-time";
  o.clock = clock;
  auto client = Client::Create(o);
  ASSERT_TRUE(client) << client.error().ToString();
  WorkerOptions w = Options();
  w.unknown_retry_delay = milliseconds(1000);
  std::stop_source stop;

  clock->Advance(milliseconds(500));
  auto early = RunWorker(**client, *journal, w, stop.get_token());
  ASSERT_TRUE(early) << early.error().ToString();
  EXPECT_EQ(early->driven, 0u) << "taken 500 ms after it was given up";
  EXPECT_EQ(early->left_unknown, 1u);
  EXPECT_EQ(early->left_held_elsewhere, 1u);

  clock->Advance(milliseconds(600));
  auto later = RunWorker(**client, *journal, w, stop.get_token());
  ASSERT_TRUE(later) << later.error().ToString();
  EXPECT_EQ(later->driven, 1u);
  EXPECT_EQ(later->succeeded, 1u);
  EXPECT_EQ(later->left_held_elsewhere, 1u);
  EXPECT_EQ(ExecutionsByVendorData()["given-up"], 1);
  EXPECT_EQ(ExecutionsByVendorData().count("held"), 0u);
}

}  // namespace
}  // namespace idem

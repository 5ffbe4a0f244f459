// Exactly once against a server that ignores idempotency keys: ambiguous
// CreateSession ops are looked up by vendor_data before anything is re-sent,
// and past the key window only a look-up decides.
#include <gtest/gtest.h>

#include <future>
#include <set>

#include "didit/reconcilers.h"
#include "didit/sandbox_fixture.h"
#include "idem/retry.h"
#include "testing/fake_clock.h"

namespace idem::didit {
namespace {

using testing::MakeHarness;
using testing::SessionFor;

SandboxOptions KeylessFaultySandbox() {
  SandboxOptions options;
  options.idempotency = false;   // --no-idempotency
  options.vendor_dedup = false;  // --no-vendor-dedup
  options.faults = "drop_after=0.3";
  options.seed = 42;
  return options;
}

// A rate-limited look-up says when to look again: the 429's headers reach
// the driver (ReconcileResult::response_headers), which waits at least that
// long (ServerPushback) instead of burning the op's attempts within the
// server's window. Before, the look-up's Retry-After was dropped.
TEST(ReconcileTest, ARateLimitedLookUpCarriesTheServersRetryAfter) {
  SandboxOptions options;
  options.port = 0;
  options.faults = "rate_limit=1,retry_after=7";  // every request: 429, Retry-After 7
  auto sandbox = Sandbox::Start(options);
  ASSERT_TRUE(sandbox) << sandbox.error().ToString();
  internal::LookupTarget target;
  target.transport = MakeCurlTransport();
  target.base_url = (*sandbox)->base_url();
  target.api_key = "sandbox-key";

  Operation create;
  create.op_id = "create-rl";
  create.kind = "create_session";
  create.body = nlohmann::json{{"workflow_id", testing::kWorkflow}, {"vendor_data", "rl-1"}}.dump();
  Operation update;
  update.op_id = "update-rl";
  update.kind = "update_status";
  update.path = "/v3/session/sess-1/update-status/";
  update.body = R"({"new_status":"Approved"})";
  internal::CreateSessionReconciler creates(target, {});
  internal::UpdateStatusReconciler updates(target, {});
  for (auto [reconciler, op] :
       {std::pair<Reconciler*, const Operation*>{&creates, &create}, {&updates, &update}}) {
    std::promise<ReconcileResult> promise;
    reconciler->Lookup(*op, [&](ReconcileResult r) { promise.set_value(std::move(r)); });
    ReconcileResult r = promise.get_future().get();
    EXPECT_EQ(r.outcome, ReconcileResult::Outcome::kFailed) << op->op_id;
    EXPECT_NE(r.error.find("429"), std::string::npos) << r.error;
    auto pushback = ServerPushback(r.response_headers, std::chrono::system_clock::now(),
                                   std::chrono::seconds(60));
    ASSERT_TRUE(pushback) << op->op_id << ": no Retry-After reached the driver";
    EXPECT_GE(*pushback, std::chrono::seconds(6)) << op->op_id;
  }
  (*sandbox)->Stop();
}

constexpr int kOps = 20;

TEST(ReconcileTest, OneSessionPerVendorDataDespiteLostResponses) {
  auto h = MakeHarness(KeylessFaultySandbox());
  ASSERT_TRUE(h);
  for (int i = 0; i < kOps; ++i) {
    auto s = h->didit->CreateSession(SessionFor("proof-" + std::to_string(i)),
                                     {.op_id = "proof-" + std::to_string(i)});
    if (!s) {
      // Only "unknown" is acceptable: it is journaled and resumed below.
      EXPECT_EQ(s.error().error.code(), ErrorCode::kUnknownOutcome) << s.error().ToString();
    }
  }
  for (int round = 0; round < 5; ++round) {
    auto unknown = h->didit->client().List({.state = OpState::kUnknown});
    ASSERT_TRUE(unknown);
    if (unknown->empty()) break;
    ASSERT_TRUE(h->didit->client().Resume());
  }
  nlohmann::json stats = h->Stats();
  EXPECT_GT(stats["faults"]["drop_after"].get<int>(), 0) << stats.dump();
  EXPECT_EQ(stats["duplicate_vendor_data"], 0) << stats.dump();
  EXPECT_EQ(stats["sessions_total"], kOps) << stats.dump();
  std::set<std::string> resources;
  for (int i = 0; i < kOps; ++i) {
    auto op = h->didit->client().Get("proof-" + std::to_string(i));
    ASSERT_TRUE(op && *op);
    EXPECT_EQ((*op)->state, OpState::kSucceeded) << (*op)->op_id << " " << (*op)->last_error;
    // resource_id is set by an adoption; a plain 201 leaves it to the body.
    auto session = ParseSession((*op)->response_body);
    ASSERT_TRUE(session) << (*op)->response_body;
    if (!(*op)->resource_id.empty()) {
      EXPECT_EQ((*op)->resource_id, session->session_id);
    }
    resources.insert(session->session_id);
  }
  EXPECT_EQ(resources.size(), static_cast<std::size_t>(kOps));
}

// The control: the same server and faults, the same requests through the bare
// driver with no reconciler, do create duplicates. (So the test above can fail.)
TEST(ReconcileTest, WithoutTheLookUpTheSameRunDuplicates) {
  auto h = MakeHarness(KeylessFaultySandbox());
  ASSERT_TRUE(h);
  ClientOptions options;
  options.base_url = h->sandbox->base_url();
  options.api_key = "sandbox-key";
  options.journal = h->journal;
  options.transport = h->transport;
  options.backoff = std::make_shared<FullJitterBackoff>(std::chrono::milliseconds(5),
                                                        std::chrono::milliseconds(50));
  auto bare = Client::Create(options);
  ASSERT_TRUE(bare);
  for (int i = 0; i < kOps; ++i) {
    auto body = Encode(SessionFor("control-" + std::to_string(i)));
    ASSERT_TRUE(body);
    OpRequest request;
    request.kind = "call";
    request.path = "/v3/session/";
    request.body = body->body;
    (void)(*bare)->Call(request);
  }
  EXPECT_GT(h->Stats()["duplicate_vendor_data"].get<int>(), 0);
}

// Key window: ops left `unknown` by a faulty server; the clock then moves past
// the 24 h window and a fresh process resumes them against the same store.
class KeyWindowTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::TempDir("window");
    JournalOptions journal_options;
    journal_options.clock = clock_;
    auto journal = OpenSqliteJournal(dir_ + "/journal.db", journal_options);
    ASSERT_TRUE(journal);
    journal_ = std::move(*journal);
    TransportOptions transport_options;
    transport_options.total_timeout = std::chrono::milliseconds(2000);
    transport_ = MakeCurlTransport(transport_options);
  }
  void TearDown() override {
    transport_.reset();
    std::filesystem::remove_all(dir_);
  }

  std::unique_ptr<Sandbox> StartSandbox(std::string faults) {
    SandboxOptions options;
    options.port = 0;
    options.idempotency = false;
    options.vendor_dedup = false;
    options.db_path = dir_ + "/sandbox.db";
    options.faults = std::move(faults);
    auto sandbox = Sandbox::Start(options);
    EXPECT_TRUE(sandbox) << sandbox.error().ToString();
    return sandbox ? std::move(*sandbox) : nullptr;
  }

  std::unique_ptr<DiditClient> MakeClient(const Sandbox& sandbox, int attempts) {
    DiditClientOptions options;
    options.client.base_url = sandbox.base_url();
    options.client.api_key = "sandbox-key";
    options.client.journal = journal_;
    options.client.transport = transport_;
    options.client.clock = clock_;
    options.client.backoff = std::make_shared<FullJitterBackoff>(std::chrono::milliseconds(5),
                                                                 std::chrono::milliseconds(20));
    options.client.retry =
        std::make_shared<LimitedAttemptsRetryPolicy>(attempts, std::chrono::seconds(20));
    // The fake clock stands still while Resume runs (the executor's timers
    // are real), so a create's wait before an empty look-up is trusted would
    // never end: off here, where nothing else runs the op.
    // ProcessTest.ACreateKilledWhileDiditRunsItIsNotCreatedTwice covers that
    // wait in real time.
    AddDiditReconcilers(options.client, options.reconciler);
    options.client.kind_policies["create_session"].settle_after = std::chrono::milliseconds(0);
    auto client = DiditClient::Create(options);
    EXPECT_TRUE(client);
    return client ? std::move(*client) : nullptr;
  }

  Operation Stored(const std::string& op_id) {
    auto op = journal_->Get(op_id);
    EXPECT_TRUE(op && *op);
    return op && *op ? **op : Operation{};
  }

  std::shared_ptr<idem::testing::FakeClock> clock_ =
      std::make_shared<idem::testing::FakeClock>(std::chrono::system_clock::now());
  std::string dir_;
  std::shared_ptr<Journal> journal_;
  std::shared_ptr<Transport> transport_;
};

TEST_F(KeyWindowTest, ExecutedBeforeTheWindowPassed_LookUpAdoptsNothingSent) {
  std::string old_key;
  {
    auto faulty = StartSandbox("drop_after=1");
    auto client = MakeClient(*faulty, 1);
    auto s = client->CreateSession(SessionFor("window-1"), {.op_id = "w1"});
    ASSERT_FALSE(s);
    EXPECT_EQ(s.error().error.code(), ErrorCode::kUnknownOutcome);
    EXPECT_EQ(nlohmann::json::parse(faulty->StatsJson())["sessions_total"], 1);
    old_key = Stored("w1").idem_key;
  }
  clock_->Advance(std::chrono::hours(25));
  auto healthy = StartSandbox("");
  auto client = MakeClient(*healthy, 5);
  auto summary = client->client().Resume();
  ASSERT_TRUE(summary) << summary.error().ToString();
  EXPECT_EQ(summary->succeeded, 1u);
  Operation op = Stored("w1");
  EXPECT_EQ(op.state, OpState::kSucceeded);
  EXPECT_EQ(op.idem_key, old_key);  // nothing was sent: no new key
  nlohmann::json stats = nlohmann::json::parse(healthy->StatsJson());
  EXPECT_EQ(stats["sessions_total"], 1) << stats.dump();
  EXPECT_EQ(stats["executions"]["create_session"], 1) << stats.dump();
  ListSessionsRequest list;
  list.vendor_data = "window-1";
  auto listed = client->ListSessions(list);
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->results.size(), 1u);
  EXPECT_EQ(op.resource_id, listed->results[0].session_id);
}

TEST_F(KeyWindowTest, NeverExecuted_LookUpAllowsOneFreshSendWithANewKey) {
  std::string old_key;
  {
    auto faulty = StartSandbox("drop_before=1");
    auto client = MakeClient(*faulty, 1);
    auto s = client->CreateSession(SessionFor("window-2"), {.op_id = "w2"});
    ASSERT_FALSE(s);
    EXPECT_EQ(nlohmann::json::parse(faulty->StatsJson())["sessions_total"], 0);
    old_key = Stored("w2").idem_key;
  }
  clock_->Advance(std::chrono::hours(25));
  auto healthy = StartSandbox("");
  auto client = MakeClient(*healthy, 5);
  ASSERT_TRUE(client->client().Resume());
  Operation op = Stored("w2");
  EXPECT_EQ(op.state, OpState::kSucceeded) << op.last_error;
  // The fresh send is recorded: a new key, and first_sent_ms restarts the
  // window at the re-send.
  EXPECT_NE(op.idem_key, old_key);
  EXPECT_EQ(op.first_sent_ms, ToUnixMillis(clock_->Now()));
  nlohmann::json stats = nlohmann::json::parse(healthy->StatsJson());
  EXPECT_EQ(stats["sessions_total"], 1) << stats.dump();
  EXPECT_EQ(stats["duplicate_vendor_data"], 0);
}

// Past the key window Didit would execute a re-sent AML check again: the
// saved screening is looked up by vendor_data + api_service instead, and
// adopted; nothing is sent.
TEST_F(KeyWindowTest, PastTheWindowASavedAmlCheckIsFoundByLookUpNotReSent) {
  std::string request_id;
  {
    auto faulty = StartSandbox("drop_after=1");
    auto client = MakeClient(*faulty, 1);
    AmlRequest aml;
    aml.full_name = "Window Person";
    auto r = client->AmlScreening(aml, {.op_id = "w3"});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().error.code(), ErrorCode::kUnknownOutcome);
    auto executions = nlohmann::json::parse(faulty->ExecutionsJson());
    ASSERT_EQ(executions["count"], 1);
    request_id = executions["executions"][0]["resource_id"].get<std::string>();
    EXPECT_EQ(executions["executions"][0]["vendor_data"], "idem:w3")
        << "without vendor_data the client sends one derived from the op id";
  }
  clock_->Advance(std::chrono::hours(25));
  auto healthy = StartSandbox("");
  auto client = MakeClient(*healthy, 5);
  ASSERT_TRUE(client->client().Resume());
  Operation op = Stored("w3");
  EXPECT_EQ(op.state, OpState::kSucceeded) << op.last_error;
  EXPECT_EQ(op.resource_id, request_id);
  EXPECT_NE(op.audit.find("found by look-up"), std::string::npos) << op.audit;
  auto adopted = ParseCheckResult(op.response_body);
  ASSERT_TRUE(adopted) << op.response_body;
  EXPECT_EQ(adopted->request_id, request_id);
  EXPECT_TRUE(adopted->status.has_value()) << op.response_body;
  nlohmann::json stats = nlohmann::json::parse(healthy->StatsJson());
  EXPECT_EQ(stats["executions"]["aml"], 1) << stats.dump();  // the first one only
}

// A check Didit does not save (save_api_request=false) has nothing to look
// up: past the window it stops for review, never re-sent.
TEST_F(KeyWindowTest, PastTheWindowAnUnsavedAmlCheckStopsForReview) {
  {
    auto faulty = StartSandbox("drop_after=1");
    auto client = MakeClient(*faulty, 1);
    AmlRequest aml;
    aml.full_name = "Window Person";
    aml.save_api_request = false;
    ASSERT_FALSE(client->AmlScreening(aml, {.op_id = "w4"}));
  }
  clock_->Advance(std::chrono::hours(25));
  auto healthy = StartSandbox("");
  auto client = MakeClient(*healthy, 5);
  ASSERT_TRUE(client->client().Resume());
  Operation op = Stored("w4");
  EXPECT_EQ(op.state, OpState::kUnknown);
  EXPECT_TRUE(op.needs_review);
  EXPECT_NE(op.last_error.find("save_api_request=false"), std::string::npos) << op.last_error;
  nlohmann::json stats = nlohmann::json::parse(healthy->StatsJson());
  EXPECT_EQ(stats["executions"]["aml"], 1) << stats.dump();  // the first one only
  EXPECT_EQ(stats["requests"], 0) << stats.dump();
}

}  // namespace
}  // namespace idem::didit

// The sandbox as the webhook sender, end to end with real parts: the sandbox
// on 127.0.0.1:0, the real receiver (or a verifying endpoint), a real SQLite
// journal in a temp dir, sessions created through the idem client.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <future>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <thread>
#include <vector>

#include "idem/client.h"
#include "idem/didit.h"
#include "idem/journal.h"
#include "idem/natural_key.h"
#include "idem/retry.h"
#include "idem/sandbox.h"
#include "idem/transport.h"
#include "idem/webhook_receiver.h"
#include "idem/webhook_signature.h"
#include "server/http_server.h"

namespace idem {
namespace {

using nlohmann::json;

constexpr char kSecret[] = "sandbox-webhook-secret";
constexpr char kWorkflow[] = "0b6f7a4e-8c1d-4e7b-9a55-1f2e3d4c5b6a";
constexpr auto kWait = std::chrono::seconds(60);

std::filesystem::path TempDir() {
  static std::atomic<int> counter{0};
  auto dir = std::filesystem::temp_directory_path() /
             ("idem_sandbox_wh_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

// The auto-completer's final statuses.
bool IsFinal(const std::string& s) {
  return s == "Approved" || s == "Declined" || s == "In Review";
}

// Records every delivery and checks each of the three Didit signatures
// separately with the library's verifier.
class VerifyingEndpoint {
 public:
  VerifyingEndpoint() {
    for (int i = 0; i < 3; ++i) {
      VerifierOptions vo;
      vo.secrets = {kSecret};
      vo.didit_signatures = {.raw = i == 0, .canonical = i == 1, .simple = i == 2};
      verifiers_.push_back(
          std::make_unique<WebhookVerifier>(*WebhookVerifier::Create(WebhookScheme::kDidit, vo)));
    }
    auto server =
        server::HttpServer::Start({}, server::Synchronous([this](const server::Request& r) {
                                    std::lock_guard<std::mutex> lock(mu_);
                                    for (auto& v : verifiers_) {
                                      if (!v->Verify(r.headers, r.body)) ++bad_signatures_;
                                    }
                                    bodies_.push_back(r.body);
                                    return server::Response{200, {}, "{}"};
                                  }));
    EXPECT_TRUE(server);
    server_ = std::move(*server);
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(server_->port()) + "/"; }
  std::vector<std::string> bodies() {
    std::lock_guard<std::mutex> lock(mu_);
    return bodies_;
  }
  int bad_signatures() {
    std::lock_guard<std::mutex> lock(mu_);
    return bad_signatures_;
  }

 private:
  std::mutex mu_;
  std::vector<std::unique_ptr<WebhookVerifier>> verifiers_;
  std::vector<std::string> bodies_;
  int bad_signatures_ = 0;
  std::unique_ptr<server::HttpServer> server_;
};

class SandboxSenderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = TempDir();
    JournalOptions jo;
    jo.durability = Durability::kProcessCrash;
    auto journal = OpenSqliteJournal(journal_path(), jo);
    ASSERT_TRUE(journal) << journal.error().ToString();
    journal_ = std::move(*journal);
    TransportOptions to;
    to.connect_timeout = std::chrono::milliseconds(1000);
    to.total_timeout = std::chrono::milliseconds(2000);
    transport_ = MakeCurlTransport(to);
  }
  void TearDown() override {
    didit_.reset();
    client_.reset();
    if (sandbox_) sandbox_->Stop();
    if (receiver_) receiver_->Stop();
    transport_.reset();
    std::filesystem::remove_all(dir_);
  }

  std::string journal_path() const { return (dir_ / "journal.db").string(); }

  void StartReceiver(std::uint16_t port = 0) {
    WebhookReceiverOptions o;
    o.port = port;
    o.verifier.secrets = {kSecret};
    o.journal_path = journal_path();
    o.inbox.durability = Durability::kProcessCrash;
    o.inbox.journal = journal_;
    auto receiver = WebhookReceiver::Start(o);
    ASSERT_TRUE(receiver) << receiver.error().ToString();
    receiver_ = std::move(*receiver);
  }

  // Compressed time: these tests let their receiver fail on purpose (down at
  // first, killed), so the sandbox retries within milliseconds and keeps
  // trying, where Didit's schedule (its default) would wait minutes and stop
  // after three attempts. SandboxDefaultsToDiditsSchedule checks the default.
  void StartSandbox(SandboxOptions o) {
    o.port = 0;
    if (!o.webhook_backoff) {
      o.webhook_backoff = std::make_shared<FullJitterBackoff>(std::chrono::milliseconds(50),
                                                              std::chrono::seconds(2));
      o.webhook_max_attempts = 30;
    }
    auto sandbox = Sandbox::Start(o);
    ASSERT_TRUE(sandbox) << sandbox.error().ToString();
    sandbox_ = std::move(*sandbox);
  }

  void MakeDiditClient() {
    didit::DiditClientOptions options;
    options.client.base_url = sandbox_->base_url();
    options.client.api_key = "sandbox-key";
    options.client.journal = journal_;
    options.client.transport = transport_;
    options.client.backoff = std::make_shared<FullJitterBackoff>(std::chrono::milliseconds(5),
                                                                 std::chrono::milliseconds(50));
    auto didit = didit::DiditClient::Create(options);
    ASSERT_TRUE(didit) << didit.error().ToString();
    didit_ = std::move(*didit);
  }

  std::string CreateSession(const std::string& vendor_data) {
    didit::CreateSessionRequest r;
    r.workflow_id = kWorkflow;
    r.vendor_data = vendor_data;
    r.metadata = json{{"n", vendor_data}};
    auto session = didit_->CreateSession(r, {.op_id = "create-" + vendor_data});
    EXPECT_TRUE(session) << vendor_data << ": "
                         << (session ? std::string() : session.error().ToString());
    return session ? session->session_id : "";
  }

  // The sandbox's own view: GET /v3/session/{id}/decision/.
  json SandboxDecision(const std::string& session_id) {
    auto r = didit_->Get("/v3/session/" + session_id + "/decision/");
    EXPECT_TRUE(r);
    return r ? json::parse(r->body) : json();
  }

  json SandboxStats() { return json::parse(sandbox_->StatsJson()); }

  std::filesystem::path dir_;
  std::shared_ptr<Journal> journal_;
  std::shared_ptr<Transport> transport_;
  std::unique_ptr<WebhookReceiver> receiver_;
  std::unique_ptr<Sandbox> sandbox_;
  std::unique_ptr<Client> client_;
  std::unique_ptr<didit::DiditClient> didit_;
};

TEST_F(SandboxSenderTest, DeliveriesAreSignedAndCarryDiditsPayload) {
  VerifyingEndpoint endpoint;
  SandboxOptions o;
  o.webhook_url = endpoint.url();
  o.webhook_secret = kSecret;
  StartSandbox(o);
  MakeDiditClient();
  const std::string id = CreateSession("user-sig");
  ASSERT_FALSE(id.empty());
  // Through the control path: In Progress, then a final status.
  for (const char* status : {"In Progress", "Declined"}) {
    HttpRequest req{"POST",
                    sandbox_->base_url() + "/_sandbox/sessions/" + id + "/advance",
                    {{"Content-Type", "application/json"}},
                    json{{"status", status}}.dump()};
    std::promise<TransportResult> done;
    transport_->Send(req, [&](TransportResult r) { done.set_value(std::move(r)); });
    auto r = done.get_future().get();
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << r->body;
  }
  ASSERT_TRUE(sandbox_->WaitWebhooksIdle(kWait));

  auto bodies = endpoint.bodies();
  ASSERT_EQ(bodies.size(), 3u);
  EXPECT_EQ(endpoint.bad_signatures(), 0);
  std::set<std::string> event_ids;
  std::map<std::string, json> by_status;
  for (const auto& b : bodies) {
    json e = json::parse(b);
    for (const char* field : {"event_id", "webhook_type", "timestamp", "created_at", "session_id",
                              "status", "workflow_id", "vendor_data", "metadata"}) {
      EXPECT_TRUE(e.contains(field)) << field << " in " << b;
    }
    EXPECT_EQ(e["webhook_type"], "status.updated");
    EXPECT_EQ(e["session_id"], id);
    EXPECT_EQ(e["workflow_id"], kWorkflow);
    EXPECT_EQ(e["vendor_data"], "user-sig");
    EXPECT_EQ(e["metadata"], (json{{"n", "user-sig"}}));
    EXPECT_TRUE(e["timestamp"].is_number_integer());
    EXPECT_TRUE(e["created_at"].is_number_integer());
    event_ids.insert(e["event_id"].get<std::string>());
    by_status[e["status"].get<std::string>()] = e;
  }
  EXPECT_EQ(event_ids.size(), 3u);
  ASSERT_EQ(by_status.size(), 3u);
  EXPECT_FALSE(by_status["Not Started"].contains("decision"));
  EXPECT_FALSE(by_status["In Progress"].contains("decision"));
  ASSERT_TRUE(by_status["Declined"].contains("decision"));
  // The decision is what the decision endpoint returns.
  json decision = by_status["Declined"]["decision"];
  EXPECT_EQ(decision, SandboxDecision(id));
  EXPECT_EQ(decision["status"], "Declined");

  json stats = SandboxStats();
  ASSERT_TRUE(stats.contains("webhooks"));
  EXPECT_EQ(stats["webhooks"]["acknowledged"], 3);
  EXPECT_EQ(stats["webhooks"]["deliveries"], 3);
  EXPECT_EQ(stats["webhooks"]["pending"], 0);
}

// Issue 14, item 4: the sandbox sends data.updated (a reviewer's edit of the
// session's data; POST /_sandbox/sessions/{id}/data-updated, `idem trigger
// SESSION data.updated`), signed with the three Didit signatures like
// status.updated, the session envelope with its decision.
TEST_F(SandboxSenderTest, DataUpdatedIsSignedLikeStatusUpdatedAndCarriesTheDecision) {
  VerifyingEndpoint endpoint;
  SandboxOptions o;
  o.webhook_url = endpoint.url();
  o.webhook_secret = kSecret;
  StartSandbox(o);
  MakeDiditClient();
  const std::string id = CreateSession("user-data");
  ASSERT_FALSE(id.empty());
  ASSERT_TRUE(TriggerSessionStatus(sandbox_->base_url(), id, "In Progress"));
  auto answer = TriggerSessionDataUpdated(sandbox_->base_url(), id);
  ASSERT_TRUE(answer) << answer.error().ToString();
  EXPECT_EQ(json::parse(*answer)["webhook_type"], "data.updated");
  EXPECT_EQ(json::parse(*answer)["status"], "In Progress");
  auto missing = TriggerSessionDataUpdated(sandbox_->base_url(), "no-such-session");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code(), ErrorCode::kNotFound);
  ASSERT_TRUE(sandbox_->WaitWebhooksIdle(kWait));

  auto bodies = endpoint.bodies();
  ASSERT_EQ(bodies.size(), 3u);  // Not Started, In Progress, data.updated
  EXPECT_EQ(endpoint.bad_signatures(), 0);
  // The sender delivers concurrently, so arrival order is not send order:
  // pick the deliveries out by type.
  std::vector<json> data_updated;
  std::set<std::string> event_ids;
  for (const auto& b : bodies) {
    json parsed = json::parse(b);
    event_ids.insert(parsed.value("event_id", ""));
    if (parsed.value("webhook_type", "") == "data.updated") data_updated.push_back(parsed);
  }
  EXPECT_EQ(event_ids.size(), 3u);
  ASSERT_EQ(data_updated.size(), 1u);
  const json& e = data_updated.front();
  for (const char* field : {"event_id", "webhook_type", "timestamp", "created_at", "session_id",
                            "status", "workflow_id", "vendor_data", "metadata", "decision"}) {
    EXPECT_TRUE(e.contains(field)) << field << " in " << e.dump();
  }
  EXPECT_EQ(e["session_id"], id);
  EXPECT_EQ(e["status"], "In Progress");
  EXPECT_EQ(e["vendor_data"], "user-data");
  EXPECT_EQ(e["decision"], SandboxDecision(id));
  // The session did not change.
  EXPECT_EQ(SandboxDecision(id)["status"], "In Progress");
}

// The sandbox's data.updated through the real receiver: stored with its
// type, healed from, never moving the session's status.
TEST_F(SandboxSenderTest, DataUpdatedIsStoredByTheReceiverAndMovesNoSession) {
  StartReceiver();
  SandboxOptions o;
  o.webhook_url = receiver_->url() + "/webhooks/didit";
  o.webhook_secret = kSecret;
  o.webhook_faults = "duplicate=0.5";
  StartSandbox(o);
  MakeDiditClient();
  const std::string id = CreateSession("user-data-rx");
  ASSERT_FALSE(id.empty());
  ASSERT_TRUE(TriggerSessionStatus(sandbox_->base_url(), id, "Approved"));
  ASSERT_TRUE(TriggerSessionDataUpdated(sandbox_->base_url(), id));
  ASSERT_TRUE(sandbox_->WaitWebhooksIdle(kWait));
  auto events = receiver_->inbox().Events({.session_id = id});
  ASSERT_TRUE(events);
  ASSERT_EQ(events->size(), 3u);
  // The sender delivers concurrently, like Didit: data.updated may be
  // stored before the Approved status.updated, so find it by its type.
  int status_updates = 0;
  const WebhookEvent* data_updated = nullptr;
  for (const auto& event : *events) {
    if (event.webhook_type == "status.updated") ++status_updates;
    if (event.webhook_type == "data.updated") data_updated = &event;
  }
  EXPECT_EQ(status_updates, 2);
  ASSERT_NE(data_updated, nullptr);
  EXPECT_EQ(data_updated->status, "Approved");
  EXPECT_FALSE(data_updated->applied);
  EXPECT_EQ(json::parse(data_updated->decision), SandboxDecision(id));
  auto session = receiver_->inbox().Session(id);
  ASSERT_TRUE(session && *session);
  EXPECT_EQ((*session)->status, "Approved");
  // Every delivery (injected duplicates included) acknowledged.
  json wh = SandboxStats()["webhooks"];
  EXPECT_EQ(wh["given_up"], 0);
  EXPECT_EQ(wh["acknowledged"].get<std::uint64_t>(),
            receiver_->stats().stored + receiver_->stats().duplicates);
  EXPECT_EQ(receiver_->stats().stored, 3u);
}

TEST_F(SandboxSenderTest, StatsHaveNoWebhooksWhenOffAndBadOptionsAreRefused) {
  StartSandbox({});
  EXPECT_FALSE(SandboxStats().contains("webhooks"));
  EXPECT_TRUE(sandbox_->WaitWebhooksIdle(std::chrono::milliseconds(0)));
  auto expect_refused = [](const SandboxOptions& options, const char* why) {
    auto r = Sandbox::Start(options);
    ASSERT_FALSE(r) << why;
    EXPECT_EQ(r.error().code(), ErrorCode::kInvalidArgument) << why;
  };
  SandboxOptions no_secret;
  no_secret.port = 0;
  no_secret.webhook_url = "http://127.0.0.1:1/";
  expect_refused(no_secret, "a webhook URL without a secret");
  SandboxOptions bad_url = no_secret;
  bad_url.webhook_secret = "s";
  bad_url.webhook_url = "/webhooks/didit";
  expect_refused(bad_url, "a relative webhook URL");
  SandboxOptions bad_faults = no_secret;
  bad_faults.webhook_secret = "s";
  bad_faults.webhook_faults = "duplicate=2";
  expect_refused(bad_faults, "a probability above 1");
}

// Auto-complete + duplicate/reorder/delay faults -> the real receiver: every
// session's final status is in the inbox exactly once, duplicates were
// acknowledged and not applied, no status moved backwards, and the inbox
// agrees with the sandbox's decision endpoint.
TEST_F(SandboxSenderTest, AutoCompleteWithFaultsEndsExactlyOnceInTheInbox) {
  StartReceiver();
  SandboxOptions o;
  o.webhook_url = receiver_->url() + "/webhooks/didit";
  o.webhook_secret = kSecret;
  o.webhook_faults = "duplicate=0.3,reorder=0.2,delay=0.2:300";
  o.auto_complete = std::chrono::milliseconds(200);
  o.seed = 7;
  StartSandbox(o);
  MakeDiditClient();
  constexpr int kSessions = 24;
  std::vector<std::string> ids;
  for (int i = 0; i < kSessions; ++i) ids.push_back(CreateSession("user-" + std::to_string(i)));
  ASSERT_TRUE(sandbox_->WaitWebhooksIdle(kWait));

  json wh = SandboxStats()["webhooks"];
  EXPECT_EQ(wh["given_up"], 0);
  EXPECT_EQ(wh["pending"], 0);
  EXPECT_GT(wh["duplicates_injected"].get<int>(), 0);
  EXPECT_GT(wh["reordered"].get<int>(), 0);
  EXPECT_GT(wh["delayed"].get<int>(), 0);
  // Three events per session (Not Started, In Progress, final), each stored once.
  const ReceiverStats rs = receiver_->stats();
  EXPECT_EQ(rs.stored, 3u * kSessions);
  EXPECT_GE(rs.duplicates, wh["duplicates_injected"].get<std::uint64_t>());
  EXPECT_EQ(wh["acknowledged"].get<std::uint64_t>(), rs.stored + rs.duplicates);

  std::map<std::string, int> finals;
  for (const auto& id : ids) {
    ASSERT_FALSE(id.empty());
    const std::string sandbox_status = SandboxDecision(id)["status"];
    EXPECT_TRUE(IsFinal(sandbox_status)) << sandbox_status;
    ++finals[sandbox_status];
    auto session = receiver_->inbox().Session(id);
    ASSERT_TRUE(session && *session) << id;
    EXPECT_EQ((*session)->status, sandbox_status);
    EXPECT_FALSE((*session)->decision.empty());
    EXPECT_EQ(json::parse((*session)->decision)["status"], sandbox_status);
    auto events = receiver_->inbox().Events({.session_id = id});
    ASSERT_TRUE(events);
    int final_count = 0;
    std::optional<WebhookEvent> last_applied;
    for (const auto& e : *events) {
      if (e.status == sandbox_status) ++final_count;
      if (e.applied) {
        if (last_applied) {
          EXPECT_TRUE(StatusEventMoves(last_applied->status, last_applied->timestamp, e.status,
                                       e.timestamp))
              << id << " moved backwards: " << last_applied->status << " -> " << e.status;
        }
        last_applied = e;
      }
    }
    EXPECT_EQ(final_count, 1) << id;
    EXPECT_EQ(events->size(), 3u) << id;
    // The create ops succeeded through the client; the webhooks did not
    // disturb them.
    auto op = journal_->Get("create-user-" + std::to_string(&id - &ids[0]));
    ASSERT_TRUE(op && *op);
    EXPECT_EQ((*op)->state, OpState::kSucceeded);
    EXPECT_EQ((*op)->resource_id, id);
  }
  // Mostly Approved, decided by the seed.
  EXPECT_GT(finals["Approved"], kSessions / 2);
}

TEST_F(SandboxSenderTest, AutoCompleteOutcomesAreFixedBySeed) {
  auto outcomes = [&](std::uint64_t seed) {
    SandboxOptions o;
    o.auto_complete = std::chrono::milliseconds(20);
    o.seed = seed;
    StartSandbox(o);
    MakeDiditClient();
    std::vector<std::string> out;
    std::vector<std::string> ids;
    for (int i = 0; i < 20; ++i) ids.push_back(CreateSession("seed-" + std::to_string(i)));
    EXPECT_TRUE(sandbox_->WaitWebhooksIdle(kWait));
    for (const auto& id : ids) out.push_back(SandboxDecision(id)["status"]);
    didit_.reset();
    sandbox_->Stop();
    sandbox_.reset();
    return out;
  };
  auto a = outcomes(3);
  // A fresh journal: the op ids repeat.
  journal_.reset();
  std::filesystem::remove(journal_path());
  JournalOptions jo;
  jo.durability = Durability::kProcessCrash;
  journal_ = std::move(*OpenSqliteJournal((dir_ / "journal2.db").string(), jo));
  auto b = outcomes(3);
  EXPECT_EQ(a, b);
  EXPECT_NE(std::count(a.begin(), a.end(), "Approved"), 20);  // not all the same
}

// The lost-response heal: every create response is dropped after the session
// was created; the client (one attempt, no reconciler) leaves the op unknown.
// The receiver is down at first, so the sender retries; once it is up, the
// webhook makes the op succeeded with the session id.
TEST_F(SandboxSenderTest, WebhookHealsACreateWhoseResponseWasLost) {
  // Reserve a port for the receiver, then free it: deliveries fail until the
  // receiver is started there.
  StartReceiver();
  const std::uint16_t port = receiver_->port();
  receiver_->Stop();
  receiver_.reset();

  SandboxOptions o;
  o.webhook_url = "http://127.0.0.1:" + std::to_string(port) + "/webhooks/didit";
  o.webhook_secret = kSecret;
  o.faults = "drop_after=1";
  StartSandbox(o);
  ClientOptions co;
  co.base_url = sandbox_->base_url();
  co.api_key = "sandbox-key";
  co.journal = journal_;
  co.transport = transport_;
  co.retry = std::make_shared<LimitedAttemptsRetryPolicy>(1, std::chrono::seconds(10));
  auto client = Client::Create(co);
  ASSERT_TRUE(client) << client.error().ToString();
  client_ = std::move(*client);

  didit::CreateSessionRequest request;
  request.workflow_id = kWorkflow;
  request.vendor_data = "user-lost";
  auto op_request = didit::CreateSessionOp(request, {.op_id = "create-lost"});
  ASSERT_TRUE(op_request);
  auto op = client_->Call(*op_request);
  ASSERT_TRUE(op) << op.error().ToString();
  ASSERT_NE(op->state, OpState::kSucceeded);
  EXPECT_TRUE(op->resource_id.empty());

  // The session exists on the sandbox (the response was lost after it).
  json executions = json::parse(sandbox_->ExecutionsJson());
  ASSERT_EQ(executions["count"], 1);
  const std::string session_id = executions["executions"][0]["resource_id"];

  // Deliveries to the closed port fail and are retried.
  const auto deadline = std::chrono::steady_clock::now() + kWait;
  while (SandboxStats()["webhooks"]["failed_attempts"].get<int>() < 2 &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_GE(SandboxStats()["webhooks"]["failed_attempts"].get<int>(), 2);
  StartReceiver(port);
  ASSERT_TRUE(sandbox_->WaitWebhooksIdle(kWait));

  json wh = SandboxStats()["webhooks"];
  EXPECT_GE(wh["retries"].get<int>(), 2);
  EXPECT_EQ(wh["acknowledged"], 1);
  EXPECT_EQ(wh["given_up"], 0);
  EXPECT_EQ(receiver_->stats().healed_ops, 1u);
  auto healed = journal_->Get("create-lost");
  ASSERT_TRUE(healed && *healed);
  EXPECT_EQ((*healed)->state, OpState::kSucceeded);
  EXPECT_EQ((*healed)->resource_id, session_id);
}

// The receiver down for a while with auto-complete running: the sender keeps
// retrying and every event still arrives.
TEST_F(SandboxSenderTest, ReceiverDownForAWhileStillGetsEverything) {
  StartReceiver();
  const std::uint16_t port = receiver_->port();
  receiver_->Stop();
  receiver_.reset();

  SandboxOptions o;
  o.webhook_url = "http://127.0.0.1:" + std::to_string(port) + "/webhooks/didit";
  o.webhook_secret = kSecret;
  o.auto_complete = std::chrono::milliseconds(100);
  StartSandbox(o);
  MakeDiditClient();
  constexpr int kSessions = 8;
  std::vector<std::string> ids;
  for (int i = 0; i < kSessions; ++i) ids.push_back(CreateSession("down-" + std::to_string(i)));
  const auto deadline = std::chrono::steady_clock::now() + kWait;
  while (SandboxStats()["webhooks"]["failed_attempts"].get<int>() < 3 * kSessions &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_GE(SandboxStats()["webhooks"]["failed_attempts"].get<int>(), 3 * kSessions);
  StartReceiver(port);
  ASSERT_TRUE(sandbox_->WaitWebhooksIdle(kWait));

  json wh = SandboxStats()["webhooks"];
  EXPECT_EQ(wh["given_up"], 0);
  // Every failed attempt was retried, and none was given up.
  EXPECT_EQ(wh["retries"], wh["failed_attempts"]);
  EXPECT_GE(wh["retries"].get<int>(), 3 * kSessions);
  EXPECT_EQ(receiver_->stats().stored, 3u * kSessions);
  for (const auto& id : ids) {
    auto session = receiver_->inbox().Session(id);
    ASSERT_TRUE(session && *session);
    EXPECT_EQ((*session)->status, SandboxDecision(id)["status"].get<std::string>());
  }
}

}  // namespace
}  // namespace idem

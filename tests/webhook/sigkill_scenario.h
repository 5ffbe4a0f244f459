// Test-only: the receiver SIGKILL scenario with the sandbox as the sender,
// shared by the SQLite and PostgreSQL test binaries (sandbox_sigkill_test.cc,
// pg_sandbox_sigkill_test.cc). `$IDEM_BIN webhook serve` is a real process
// on a fixed port; the real sandbox in process, with auto-complete and
// webhook faults, sends to it. The receiver is SIGKILLed three times while
// deliveries are in flight and restarted on the same port; the sandbox
// retries what was not acknowledged. The sandbox's webhook transport is a
// real libcurl transport that also records each acknowledged delivery, so
// "acknowledged" is known per event, not only as a count.
#pragma once

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "idem/didit.h"
#include "idem/journal.h"
#include "idem/retry.h"
#include "idem/sandbox.h"
#include "idem/transport.h"
#include "idem/webhook_inbox.h"
#include "testing/child_process.h"
#include "testing/temp_dir.h"

namespace idem {
namespace {

using nlohmann::json;

constexpr char kSecret[] = "sigkill-webhook-secret";
constexpr char kWorkflow[] = "0b6f7a4e-8c1d-4e7b-9a55-1f2e3d4c5b6a";
constexpr int kSessions = 150;
// Each session sends Not Started, In Progress and a final status.
constexpr int kEvents = 3 * kSessions;
// Kill the receiver once this many deliveries were acknowledged (each below
// kEvents, so the stream always gets there).
constexpr int kKillAt[] = {60, 170, 290};

// A real libcurl transport that records the event_id of every delivery
// answered 2xx, before the sender sees the answer.
class AckRecorder {
 public:
  void Record(const std::string& body) {
    auto parsed = json::parse(body, nullptr, false);
    std::lock_guard<std::mutex> lock(mu_);
    ++acks_;
    if (!parsed.is_discarded()) acked_ids_.insert(parsed.value("event_id", ""));
    cv_.notify_all();
  }
  // Blocks until `n` acknowledgements, or the deadline; the count reached.
  int WaitFor(int n, std::chrono::steady_clock::time_point deadline) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_until(lock, deadline, [&] { return acks_ >= n; });
    return acks_;
  }
  std::set<std::string> acked_ids() {
    std::lock_guard<std::mutex> lock(mu_);
    return acked_ids_;
  }
  int acks() {
    std::lock_guard<std::mutex> lock(mu_);
    return acks_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int acks_ = 0;
  std::set<std::string> acked_ids_;
};

class RecordingTransport final : public Transport {
 public:
  RecordingTransport(std::unique_ptr<Transport> inner, std::shared_ptr<AckRecorder> recorder)
      : inner_(std::move(inner)), recorder_(std::move(recorder)) {}
  void Send(HttpRequest request, Callback done) override {
    auto body = std::make_shared<std::string>(request.body);
    inner_->Send(std::move(request),
                 [recorder = recorder_, body, done = std::move(done)](TransportResult result) {
                   if (result && result->status >= 200 && result->status < 300)
                     recorder->Record(*body);
                   done(std::move(result));
                 });
  }

 private:
  std::unique_ptr<Transport> inner_;
  std::shared_ptr<AckRecorder> recorder_;
};

// Starts `idem webhook serve` on `listen` ("127.0.0.1:PORT"), stdout on a
// pipe (for its first line) and stderr appended to `log`; returns the URL of
// its first stdout line ("" and a test failure when it did not start).
std::string StartServe(testing::ChildProcess& serve, const std::string& listen,
                       const std::string& journal, const std::string& log) {
  const std::vector<std::string> args = {
      testing::IdemBin(), "webhook", "serve",    "--listen", listen,
      "--journal",        journal,   "--secret", kSecret};
  testing::SpawnOptions options;
  options.pipe_stdout = true;
  options.stderr_path = log;
  serve = testing::ChildProcess::Spawn(args, options);
  if (!serve.started()) return "";
  const std::optional<std::string> line = serve.ReadLine(std::chrono::seconds(30));
  if (!line) {
    ADD_FAILURE() << "webhook serve printed nothing; its log:\n" << testing::ReadWholeFile(log);
    return "";
  }
  const std::string prefix = "listening on ";
  EXPECT_EQ(line->rfind(prefix, 0), 0u) << *line;
  if (line->rfind(prefix, 0) != 0) return "";
  return line->substr(prefix.size());
}

class SandboxSigkillTest : public ::testing::Test {
 protected:
  void TearDown() override {
    didit_.reset();
    if (sandbox_) sandbox_->Stop();
    serve_.Kill();
  }

  std::string Path(const std::string& name) const { return dir_.File(name); }

  // `idem webhook events --json` on the receiver's journal: event_id -> the
  // events stored with it.
  std::map<std::string, std::vector<json>> StoredEvents(const std::string& journal) {
    const std::string out = Path("events.json");
    const pid_t pid = testing::SpawnChild(
        {testing::IdemBin(), "webhook", "events", "--json", "--journal", journal}, out,
        Path("events.log"));
    EXPECT_EQ(testing::WaitExit(pid), 0) << testing::ReadWholeFile(Path("events.log"));
    auto array = json::parse(testing::ReadWholeFile(out), nullptr, false);
    EXPECT_TRUE(array.is_array());
    std::map<std::string, std::vector<json>> by_id;
    if (!array.is_array()) return by_id;
    for (auto& e : array) by_id[e.value("event_id", "")].push_back(std::move(e));
    return by_id;
  }

  // The scenario, with the receiver's journal at `journal` (a SQLite file
  // path or a postgresql:// URL).
  void RunScenario(const std::string& journal) {
    const std::string log = Path("serve.log");
    // The first start picks a free port; every restart reuses it, so the
    // sandbox's URL stays valid.
    std::string url = StartServe(serve_, "127.0.0.1:0", journal, log);
    ASSERT_EQ(url.rfind("http://127.0.0.1:", 0), 0u) << url;
    const std::string listen = url.substr(std::string("http://").size());

    auto recorder = std::make_shared<AckRecorder>();
    TransportOptions to;
    to.connect_timeout = std::chrono::milliseconds(1000);
    to.total_timeout = std::chrono::milliseconds(3000);
    to.verify_tls = false;
    SandboxOptions o;
    o.port = 0;
    o.webhook_url = url + "/webhooks/didit";
    o.webhook_secret = kSecret;
    o.webhook_faults = "duplicate=0.2,reorder=0.1,delay=0.1:300";
    o.auto_complete = std::chrono::milliseconds(600);
    o.seed = 11;
    o.webhook_transport = std::make_shared<RecordingTransport>(MakeCurlTransport(to), recorder);
    // Compressed time, and more attempts than Didit's three: the receiver is
    // killed on purpose, and every event must outlive its restarts.
    o.webhook_backoff =
        std::make_shared<FullJitterBackoff>(std::chrono::milliseconds(50), std::chrono::seconds(2));
    o.webhook_max_attempts = 30;
    auto sandbox = Sandbox::Start(o);
    ASSERT_TRUE(sandbox) << sandbox.error().ToString();
    sandbox_ = std::move(*sandbox);

    // The sessions' own ops journal is a separate file: this test is about the
    // receiver's journal.
    JournalOptions jo;
    jo.durability = Durability::kProcessCrash;
    auto ops = OpenSqliteJournal(Path("client.db"), jo);
    ASSERT_TRUE(ops) << ops.error().ToString();
    didit::DiditClientOptions dco;
    dco.client.base_url = sandbox_->base_url();
    dco.client.api_key = "sandbox-key";
    dco.client.journal = std::move(*ops);
    dco.client.transport = MakeCurlTransport(to);
    dco.client.backoff = std::make_shared<FullJitterBackoff>(std::chrono::milliseconds(5),
                                                             std::chrono::milliseconds(50));
    auto didit = didit::DiditClient::Create(dco);
    ASSERT_TRUE(didit) << didit.error().ToString();
    didit_ = std::move(*didit);

    std::vector<std::string> session_ids(kSessions);
    std::atomic<int> create_failures{0};
    std::thread creator([&] {
      for (int i = 0; i < kSessions; ++i) {
        didit::CreateSessionRequest r;
        r.workflow_id = kWorkflow;
        r.vendor_data = "user-" + std::to_string(i);
        auto session = didit_->CreateSession(r, {.op_id = "create-" + std::to_string(i)});
        if (session) {
          session_ids[i] = session->session_id;
        } else {
          ++create_failures;
        }
      }
    });

    struct Joiner {
      std::thread& t;
      ~Joiner() {
        if (t.joinable()) t.join();
      }
    } join_creator{creator};

    // Kill, check, restart: everything acknowledged before the kill is in the
    // journal the killed process left behind.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    int kills = 0;
    for (int at : kKillAt) {
      const int reached = recorder->WaitFor(at, deadline);
      ASSERT_GE(reached, at) << "the stream stalled before kill " << kills + 1;
      ASSERT_EQ(serve_.Kill(SIGKILL).signal, SIGKILL);  // ended by the signal
      ++kills;
      const std::set<std::string> acked = recorder->acked_ids();
      const auto stored = StoredEvents(journal);
      for (const auto& id : acked) {
        auto it = stored.find(id);
        ASSERT_TRUE(it != stored.end())
            << "kill " << kills << ": acknowledged event " << id << " is not in the journal";
        EXPECT_EQ(it->second.size(), 1u) << id;
      }
      // Deliveries fail meanwhile (connection refused) and are retried.
      url = StartServe(serve_, listen, journal, log);
      ASSERT_FALSE(url.empty()) << "restart " << kills << " on " << listen;
    }
    creator.join();
    ASSERT_EQ(create_failures.load(), 0);
    ASSERT_TRUE(sandbox_->WaitWebhooksIdle(std::chrono::seconds(60)));

    // The sandbox's own accounting: every entry (event or injected duplicate)
    // acknowledged exactly once, nothing given up, every failure retried.
    const json wh = json::parse(sandbox_->StatsJson())["webhooks"];
    EXPECT_EQ(wh["enqueued"], kEvents);
    EXPECT_EQ(wh["given_up"], 0);
    EXPECT_EQ(wh["pending"], 0);
    EXPECT_EQ(wh["acknowledged"].get<int>(),
              wh["enqueued"].get<int>() + wh["duplicates_injected"].get<int>());
    EXPECT_EQ(wh["acknowledged"].get<int>(), recorder->acks());
    EXPECT_EQ(wh["deliveries"].get<int>(),
              wh["acknowledged"].get<int>() + wh["retries"].get<int>());
    EXPECT_EQ(wh["retries"], wh["failed_attempts"]);
    EXPECT_GT(wh["failed_attempts"].get<int>(), 0) << "no delivery met a dead receiver";
    EXPECT_GT(wh["duplicates_injected"].get<int>(), 0);

    // A clean stop, then the journal: every acknowledged event exactly once,
    // and each session's three statuses, its final one equal to the sandbox's.
    ASSERT_TRUE(serve_.Signal(SIGTERM));
    EXPECT_EQ(serve_.Wait().code, 0);
    const auto stored = StoredEvents(journal);
    const std::set<std::string> acked = recorder->acked_ids();
    EXPECT_EQ(acked.size(), static_cast<std::size_t>(kEvents));
    for (const auto& id : acked) {
      auto it = stored.find(id);
      ASSERT_TRUE(it != stored.end()) << "acknowledged event " << id << " is not in the journal";
      EXPECT_EQ(it->second.size(), 1u) << id;
    }
    EXPECT_EQ(stored.size(), static_cast<std::size_t>(kEvents));
    std::map<std::string, std::multiset<std::string>> statuses;
    for (const auto& [id, events] : stored) {
      for (const auto& e : events)
        statuses[e["session_id"].get<std::string>()].insert(e["status"].get<std::string>());
    }
    EXPECT_EQ(statuses.size(), static_cast<std::size_t>(kSessions));
    int finals = 0;
    for (const auto& id : session_ids) {
      ASSERT_FALSE(id.empty());
      auto decision = didit_->Get("/v3/session/" + id + "/decision/");
      ASSERT_TRUE(decision) << id;
      const std::string final_status = json::parse(decision->body)["status"];
      EXPECT_TRUE(final_status == "Approved" || final_status == "Declined" ||
                  final_status == "In Review")
          << final_status;
      const std::multiset<std::string> expected = {"Not Started", "In Progress", final_status};
      EXPECT_EQ(statuses[id], expected) << id;
      finals += statuses[id].count(final_status) == 1;
    }
    EXPECT_EQ(finals, kSessions);
    EXPECT_EQ(kills, 3);
  }

  testing::TempDir dir_{"idem-wh-sigkill"};
  testing::ChildProcess serve_;
  std::unique_ptr<Sandbox> sandbox_;
  std::unique_ptr<didit::DiditClient> didit_;
};

}  // namespace
}  // namespace idem

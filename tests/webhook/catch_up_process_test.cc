// Issue 14 item 3, end to end: "A test stops the receiver past the sender's
// retries and shows that catch-up fills the gap". The sandbox (in process,
// on 127.0.0.1:0) sends signed webhooks with Didit's retry budget (three
// attempts); `$IDEM_BIN webhook serve` is a real process on a real SQLite
// journal. The receiver is stopped while the session goes final, the sender
// gives up, and the receiver restarted with --catch-up-after finds the final
// status with the decision endpoint: `idem webhook events --json` lists it
// marked "source":"polled".
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include "idem/didit.h"
#include "idem/journal.h"
#include "idem/retry.h"
#include "idem/sandbox.h"
#include "idem/transport.h"
#include "testing/child_process.h"
#include "testing/temp_dir.h"
#include "testing/wait.h"

namespace idem {
namespace {

using nlohmann::json;

constexpr char kSecret[] = "catch-up-webhook-secret";
constexpr char kWorkflow[] = "0b6f7a4e-8c1d-4e7b-9a55-1f2e3d4c5b6a";

// Starts `idem webhook serve ARGS...` with stdout on a pipe (its first line
// is the URL) and stderr appended to `log`; returns "HOST:PORT" it listens on.
std::string StartServe(testing::ChildProcess& serve, std::vector<std::string> args,
                       const std::string& log) {
  args.insert(args.begin(), {testing::IdemBin(), "webhook", "serve"});
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
  const std::string prefix = "listening on http://";
  EXPECT_EQ(line->rfind(prefix, 0), 0u) << *line;
  if (line->rfind(prefix, 0) != 0) return "";
  return line->substr(prefix.size());
}

class CatchUpProcessTest : public ::testing::Test {
 protected:
  void TearDown() override {
    didit_.reset();
    if (sandbox_) sandbox_->Stop();
    serve_.Kill(SIGKILL);
  }
  std::string Path(const std::string& name) const { return dir_.File(name); }

  // `idem webhook events --json --session ID` on the receiver's journal.
  json Events(const std::string& session_id) {
    const std::string out = Path("events.json");
    const pid_t pid = testing::SpawnChild({testing::IdemBin(), "webhook", "events", "--json",
                                           "--session", session_id, "--journal", Path("wh.db")},
                                          out, Path("events.log"));
    EXPECT_EQ(testing::WaitExit(pid), 0) << testing::ReadWholeFile(Path("events.log"));
    auto array = json::parse(testing::ReadWholeFile(out), nullptr, false);
    EXPECT_TRUE(array.is_array());
    return array.is_array() ? array : json::array();
  }

  // Waits (bounded) until `done(events)` holds; the last events read.
  template <typename Done>
  json WaitForEvents(const std::string& session_id, Done done) {
    json events;
    // The caller judges the events a timeout leaves.
    (void)testing::WaitUntil(
        std::chrono::seconds(45),
        [&] {
          events = Events(session_id);
          return done(events);
        },
        std::chrono::milliseconds(100));
    return events;
  }

  testing::TempDir dir_{"idem-catch-up-process"};
  testing::ChildProcess serve_;
  std::unique_ptr<Sandbox> sandbox_;
  std::unique_ptr<didit::DiditClient> didit_;
};

TEST_F(CatchUpProcessTest, CatchUpFillsTheGapAfterTheSendersRetries) {
  const std::string log = Path("serve.log");
  const std::string listen = StartServe(
      serve_, {"--listen", "127.0.0.1:0", "--journal", Path("wh.db"), "--secret", kSecret}, log);
  ASSERT_FALSE(listen.empty());

  SandboxOptions so;
  so.port = 0;
  so.webhook_url = "http://" + listen + "/webhooks/didit";
  so.webhook_secret = kSecret;
  // Didit's schedule (the sandbox's default: three attempts, then dropped),
  // its waits of 1 min and 4 min shortened 600 times so the test takes
  // under a second to see the event dropped.
  so.webhook_backoff =
      std::make_shared<FixedScheduleBackoff>(std::vector<std::chrono::milliseconds>{
          std::chrono::milliseconds(100), std::chrono::milliseconds(400)});
  auto sandbox = Sandbox::Start(so);
  ASSERT_TRUE(sandbox) << sandbox.error().ToString();
  sandbox_ = std::move(*sandbox);

  auto journal = OpenJournal(Path("client.db"));
  ASSERT_TRUE(journal) << journal.error().ToString();
  didit::DiditClientOptions options;
  options.client.base_url = sandbox_->base_url();
  options.client.api_key = "sandbox-key";
  options.client.journal = std::move(*journal);
  options.client.transport = MakeCurlTransport({});
  auto didit = didit::DiditClient::Create(options);
  ASSERT_TRUE(didit) << didit.error().ToString();
  didit_ = std::move(*didit);
  didit::CreateSessionRequest create;
  create.workflow_id = kWorkflow;
  create.vendor_data = "gap";
  auto session = didit_->CreateSession(create);
  ASSERT_TRUE(session) << session.error().ToString();
  const std::string id = session->session_id;
  ASSERT_TRUE(TriggerSessionStatus(sandbox_->base_url(), id, "In Progress"));
  ASSERT_TRUE(sandbox_->WaitWebhooksIdle(std::chrono::seconds(20)));
  // The sender delivers Not Started and In Progress concurrently, as Didit
  // may: either can be stored last (seen here: In Progress 1 ms before Not
  // Started, which then did not move the session back). What matters is
  // that In Progress was applied.
  auto in_progress_applied = [](const json& e) {
    return std::any_of(e.begin(), e.end(), [](const json& event) {
      return event.value("status", "") == "In Progress" && event.value("applied", false);
    });
  };
  json events = WaitForEvents(id, in_progress_applied);
  ASSERT_TRUE(in_progress_applied(events)) << events.dump();

  // The receiver goes down; the session goes final; the sender's three
  // attempts fail and it drops the event.
  serve_.Kill(SIGTERM);
  ASSERT_TRUE(TriggerSessionStatus(sandbox_->base_url(), id, "Approved"));
  ASSERT_TRUE(sandbox_->WaitWebhooksIdle(std::chrono::seconds(20)));
  const json stats = json::parse(sandbox_->StatsJson());
  // The Approved event: three attempts failed, then dropped, as Didit does.
  EXPECT_EQ(stats["webhooks"].value("given_up", 0), 1) << stats.dump();
  EXPECT_GE(stats["webhooks"].value("failed_attempts", 0), 3) << stats.dump();
  events = Events(id);
  for (const auto& e : events) EXPECT_NE(e.value("status", ""), "Approved") << e.dump();

  // Back, with the catch-up: the session is quiet for longer than 1 s, so
  // it is looked up at once and its final status stored, marked polled.
  std::ofstream(Path("api-key")) << "sandbox-key\n";
  ASSERT_FALSE(StartServe(serve_,
                          {"--listen", listen, "--journal", Path("wh.db"), "--secret", kSecret,
                           "--catch-up-after", "1s", "--catch-up-rate", "600/min", "--base-url",
                           sandbox_->base_url(), "--api-key-file", Path("api-key")},
                          log)
                   .empty());
  events = WaitForEvents(
      id, [](const json& e) { return !e.empty() && e.back().value("status", "") == "Approved"; });
  ASSERT_FALSE(events.empty());
  const json& last = events.back();
  EXPECT_EQ(last.value("status", ""), "Approved") << events.dump() << "\n"
                                                  << testing::ReadWholeFile(log) << "\n"
                                                  << stats.dump();
  EXPECT_EQ(last.value("source", ""), "polled");
  EXPECT_TRUE(last.value("applied", false));
  EXPECT_EQ(json::parse(last.value("body", "{}")).value("source", ""), "polled");
  serve_.Kill(SIGTERM);
  EXPECT_NE(testing::ReadWholeFile(log).find("catch-up: session " + id + " is Approved"),
            std::string::npos)
      << testing::ReadWholeFile(log);
}

TEST_F(CatchUpProcessTest, DurationAndRateAreParsedStrictly) {
  for (const std::vector<std::string>& bad :
       {std::vector<std::string>{"--catch-up-after", "10"},
        std::vector<std::string>{"--catch-up-after", "10 m"},
        std::vector<std::string>{"--catch-up-after", "0s"},
        std::vector<std::string>{"--catch-up-after", "1d"},
        std::vector<std::string>{"--catch-up-after", "1m", "--catch-up-rate", "0/min"},
        std::vector<std::string>{"--catch-up-after", "1m", "--catch-up-rate", "30/s"}}) {
    std::vector<std::string> args = {testing::IdemBin(), "webhook",  "serve", "--listen",
                                     "127.0.0.1:0",      "--secret", kSecret, "--journal",
                                     Path("bad.db")};
    args.insert(args.end(), bad.begin(), bad.end());
    const pid_t pid = testing::SpawnChild(args, "/dev/null", Path("bad.log"));
    EXPECT_EQ(testing::WaitExit(pid), 2) << bad[1];
    const std::string err = testing::ReadWholeFile(Path("bad.log"));
    EXPECT_NE(err.find("--catch-up-"), std::string::npos) << err;
    std::filesystem::remove(Path("bad.log"));
  }
}

}  // namespace
}  // namespace idem

// Two `idem webhook serve --journal postgresql://...` processes ($IDEM_BIN)
// on one database of a throwaway cluster: deliveries spread across both, with
// duplicates (a third of the events go to both receivers, and each sender
// duplicates and reorders some of its own); `idem webhook events --json`
// lists every event once and each session's final status once.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "idem/random.h"
#include "idem/webhook_inbox.h"
#include "idem/webhook_sender.h"
#include "inbox_test_util.h"
#include "testing/child_process.h"
#include "testing/pg_environment.h"
#include "testing/temp_dir.h"

namespace idem {
namespace {

constexpr char kSecret[] = "pg-serve-secret";

std::string Bin() {
  const char* bin = std::getenv("IDEM_BIN");
  return bin && *bin ? bin : "idem";
}

// The children's stderr, in a directory removed at exit (kept with IDEM_TEST_KEEP).
std::string LogPath() {
  static testing::TempDir dir("idem-pg-serve");
  return dir.File("children.log");
}

// A child with its stdout on a pipe and its stderr appended to LogPath().
testing::ChildProcess Spawn(const std::vector<std::string>& args) {
  testing::SpawnOptions options;
  options.pipe_stdout = true;
  options.stderr_path = LogPath();
  return testing::ChildProcess::Spawn(args, options);
}

struct Serve {
  testing::ChildProcess child;
  std::string url;  // http://127.0.0.1:PORT
};

Result<Serve> StartServe(const std::string& journal) {
  testing::ChildProcess child = Spawn({Bin(), "webhook", "serve", "--listen", "127.0.0.1:0",
                                       "--secret", kSecret, "--journal", journal});
  if (!child.started()) return MakeError(ErrorCode::kUnavailable, "webhook serve did not start");
  auto line = child.ReadLine(std::chrono::seconds(20));
  const std::string prefix = "listening on ";
  if (!line || line->rfind(prefix, 0) != 0) {
    return MakeError(ErrorCode::kUnavailable,
                     "webhook serve did not start (see " + LogPath() + ")");
  }
  return Serve{std::move(child), line->substr(prefix.size())};
}

// `idem webhook events --json --journal URL`: its one line of output.
nlohmann::json EventsJson(const std::string& journal, int* exit_code) {
  testing::ChildProcess child = Spawn({Bin(), "webhook", "events", "--json", "--journal", journal});
  if (!child.started()) return nullptr;
  auto line = child.ReadLine(std::chrono::seconds(20));
  *exit_code = child.Wait().code;
  return line ? nlohmann::json::parse(*line, nullptr, false) : nullptr;
}

std::unique_ptr<WebhookSender> Sender(const std::string& url, std::uint64_t seed) {
  WebhookSenderOptions o;
  o.url = url + "/webhooks/didit";
  o.secret = kSecret;
  o.faults = *ParseWebhookFaults("duplicate=0.3,reorder=0.2");
  o.reorder_hold = std::chrono::milliseconds(50);
  o.random = std::make_shared<SeededRandom>(seed);
  auto sender = WebhookSender::Create(o);
  EXPECT_TRUE(sender) << sender.error().ToString();
  return sender ? std::move(*sender) : nullptr;
}

TEST(PgServeProcessTest, TwoReceiversOnOneDatabaseListEachEventOnce) {
  auto journal = testing::FreshPgDatabaseUrl("idem_serve_");
  ASSERT_TRUE(journal) << journal.error().ToString();
  auto a = StartServe(*journal);
  ASSERT_TRUE(a) << a.error().ToString();
  auto b = StartServe(*journal);
  ASSERT_TRUE(b) << b.error().ToString();
  std::vector<std::unique_ptr<WebhookSender>> senders;
  senders.push_back(Sender(a->url, 1));
  senders.push_back(Sender(b->url, 2));
  ASSERT_TRUE(senders[0] && senders[1]);

  // Session i: In Progress, In Review, then Approved (even i) or Declined.
  constexpr int kSessions = 60;
  const std::int64_t now = ToUnixMillis(std::chrono::system_clock::now()) / 1000;
  const std::vector<std::string> steps = {"In Progress", "In Review", "final"};
  std::map<std::string, std::string> final_status;
  int j = 0;
  for (int i = 0; i < kSessions; ++i) {
    const std::string session = "sess-" + std::to_string(i);
    final_status[session] = i % 2 == 0 ? "Approved" : "Declined";
    for (std::size_t s = 0; s < steps.size(); ++s, ++j) {
      const std::string status = steps[s] == "final" ? final_status[session] : steps[s];
      const std::string body =
          testing::Event(session, status, now + static_cast<int>(s), "user-" + std::to_string(i));
      ASSERT_TRUE(senders[j % 2]->Enqueue(body));
      if (j % 3 == 0) {  // to both receivers
        ASSERT_TRUE(senders[(j + 1) % 2]->Enqueue(body));
      }
    }
  }
  for (auto& sender : senders) {
    ASSERT_TRUE(sender->WaitIdle(std::chrono::seconds(60))) << "deliveries still pending";
    const WebhookSenderStats stats = sender->stats();
    EXPECT_EQ(stats.given_up, 0u);
    EXPECT_GT(stats.duplicates_injected, 0u);
    EXPECT_EQ(stats.acknowledged, stats.enqueued + stats.duplicates_injected);
  }

  int code = -1;
  const nlohmann::json events = EventsJson(*journal, &code);
  EXPECT_EQ(code, 0);
  ASSERT_TRUE(events.is_array()) << events.dump();
  EXPECT_EQ(events.size(), static_cast<std::size_t>(kSessions) * steps.size());
  std::map<std::pair<std::string, std::string>, int> per_status;
  std::map<std::string, std::vector<std::string>> finals;
  for (const auto& e : events) {
    ASSERT_TRUE(e.contains("session_id") && e.contains("status") && e.contains("webhook_type"));
    const std::string session = e["session_id"], status = e["status"];
    per_status[{session, status}]++;
    if (status == "Approved" || status == "Declined") finals[session].push_back(status);
  }
  for (const auto& [key, count] : per_status) {
    EXPECT_EQ(count, 1) << key.first << " " << key.second;
  }
  ASSERT_EQ(finals.size(), static_cast<std::size_t>(kSessions));
  for (const auto& [session, statuses] : finals) {
    EXPECT_EQ(statuses, std::vector<std::string>{final_status[session]}) << session;
  }
  // Whichever receiver stored which event, and despite reordering, every
  // session's status is its final one.
  auto inbox = WebhookInbox::Open(*journal, InboxOptions{});
  ASSERT_TRUE(inbox) << inbox.error().ToString();
  for (const auto& [session, status] : final_status) {
    auto record = (*inbox)->Session(session);
    ASSERT_TRUE(record && *record) << session;
    EXPECT_EQ((*record)->status, status) << session;
  }

  for (Serve* serve : {&*a, &*b}) {
    EXPECT_EQ(serve->child.Kill(SIGTERM).code, 0);
  }
}

}  // namespace
}  // namespace idem

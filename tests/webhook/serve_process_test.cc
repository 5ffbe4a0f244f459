// `idem webhook serve` as a real process: SIGKILL mid-stream loses no
// acknowledged event; `idem webhook events --json` lists what arrived;
// SIGTERM stops it cleanly.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <thread>

#include "idem/transport.h"
#include "idem/webhook_signature.h"

namespace idem {
namespace {

constexpr char kSecret[] = "process-secret";

std::string Bin() {
  const char* bin = std::getenv("IDEM_BIN");
  return bin ? bin : "idem";
}

std::string Event(int n) {
  return nlohmann::json{{"event_id", "e" + std::to_string(n)},
                        {"webhook_type", "status.updated"},
                        {"timestamp", 1000 + n},
                        {"session_id", "s" + std::to_string(n)},
                        {"status", "Approved"},
                        {"workflow_id", "wf"},
                        {"vendor_data", "v"}}
      .dump();
}

// A child process with its stdout on a pipe.
struct Child {
  pid_t pid = -1;
  FILE* out = nullptr;
  ~Child() {
    if (pid > 0) {
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
    }
    if (out) std::fclose(out);
  }
};

std::unique_ptr<Child> Spawn(const std::vector<std::string>& args) {
  int fds[2];
  if (pipe(fds) != 0) return nullptr;
  pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[1], STDOUT_FILENO);
    close(fds[0]);
    close(fds[1]);
    setenv("IDEM_WEBHOOK_SECRET", kSecret, 1);
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(fds[1]);
  auto child = std::make_unique<Child>();
  child->pid = pid;
  child->out = fdopen(fds[0], "r");
  return child;
}

// Starts `idem webhook serve` on a free port; returns the base URL.
std::string StartServe(std::unique_ptr<Child>& child, const std::string& journal,
                       const std::vector<std::string>& extra = {}) {
  std::vector<std::string> args = {Bin(),         "webhook",   "serve", "--listen",
                                   "127.0.0.1:0", "--journal", journal};
  args.insert(args.end(), extra.begin(), extra.end());
  child = Spawn(args);
  if (!child) return "";
  char line[256] = {};
  if (!std::fgets(line, sizeof line, child->out)) return "";
  std::string text(line);
  const std::string prefix = "listening on ";
  if (text.rfind(prefix, 0) != 0) return "";
  return text.substr(prefix.size(), text.find('\n') - prefix.size());
}

std::string RunAndCapture(const std::vector<std::string>& args, int* exit_code) {
  auto child = Spawn(args);
  std::string out;
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, child->out)) > 0) out.append(buf, n);
  int status = 0;
  waitpid(child->pid, &status, 0);
  child->pid = -1;
  *exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return out;
}

class ServeProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("idem-serve-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    journal_ = (dir_ / "journal.db").string();
    TransportOptions to;
    to.total_timeout = std::chrono::seconds(5);
    transport_ = MakeCurlTransport(to);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  int Post(const std::string& url, int n, const std::string& secret = kSecret) {
    std::string body = Event(n);
    std::int64_t now = ToUnixMillis(std::chrono::system_clock::now()) / 1000;
    auto r = transport_->SendAndWait(
        {"POST", url + "/webhooks/didit", SignDidit(secret, body, now), body});
    return r ? r->status : 0;
  }

  std::map<std::string, int> EventCounts() {
    int code = -1;
    std::string out =
        RunAndCapture({Bin(), "webhook", "events", "--json", "--journal", journal_}, &code);
    EXPECT_EQ(code, 0);
    std::map<std::string, int> counts;
    auto json = nlohmann::json::parse(out, nullptr, false);
    EXPECT_TRUE(json.is_array()) << out;
    if (!json.is_array()) return counts;
    for (const auto& e : json) {
      EXPECT_TRUE(e.contains("status") && e.contains("webhook_type"));
      counts[e["session_id"].get<std::string>()]++;
    }
    return counts;
  }

  std::filesystem::path dir_;
  std::string journal_;
  std::unique_ptr<Transport> transport_;
};

TEST_F(ServeProcessTest, SigkillMidStreamLosesNoAcknowledgedEvent) {
  constexpr int kEvents = 80;
  std::unique_ptr<Child> serve;
  std::string url = StartServe(serve, journal_);
  ASSERT_FALSE(url.empty());
  ASSERT_EQ(url.rfind("http://127.0.0.1:", 0), 0u);

  std::vector<int> acked;
  std::atomic<int> acked_count{0};
  pid_t victim = serve->pid;
  std::thread killer([&] {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (acked_count.load() < 25 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    kill(victim, SIGKILL);
  });
  // Two posters so that requests are in flight when the kill lands.
  std::mutex mu;
  auto poster = [&](int first) {
    for (int n = first; n < kEvents; n += 2) {
      if (Post(url, n) == 200) {
        std::lock_guard<std::mutex> lock(mu);
        acked.push_back(n);
        acked_count++;
      }
    }
  };
  std::thread a(poster, 0), b(poster, 1);
  a.join();
  b.join();
  killer.join();
  waitpid(serve->pid, nullptr, 0);
  serve->pid = -1;
  ASSERT_GE(acked.size(), 25u);
  ASSERT_LT(acked.size(), static_cast<std::size_t>(kEvents)) << "the kill came too late";

  auto counts = EventCounts();
  for (int n : acked) EXPECT_EQ(counts["s" + std::to_string(n)], 1) << "acknowledged s" << n;

  // The sender retries everything unacknowledged (and some acknowledged ones):
  // the restarted receiver ends with each event exactly once.
  url = StartServe(serve, journal_);
  ASSERT_FALSE(url.empty());
  for (int n = 0; n < kEvents; ++n) EXPECT_EQ(Post(url, n), 200) << n;
  counts = EventCounts();
  EXPECT_EQ(counts.size(), static_cast<std::size_t>(kEvents));
  for (const auto& [session, count] : counts) EXPECT_EQ(count, 1) << session;

  // SIGTERM: clean stop, exit 0.
  kill(serve->pid, SIGTERM);
  int status = 0;
  waitpid(serve->pid, &status, 0);
  serve->pid = -1;
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);

  int code = -1;
  std::string one = RunAndCapture(
      {Bin(), "webhook", "events", "--json", "--session", "s7", "--journal", journal_}, &code);
  auto json = nlohmann::json::parse(one, nullptr, false);
  ASSERT_TRUE(json.is_array());
  ASSERT_EQ(json.size(), 1u);
  EXPECT_EQ(json[0]["session_id"], "s7");
  EXPECT_EQ(json[0]["status"], "Approved");
  EXPECT_EQ(json[0]["webhook_type"], "status.updated");
}

TEST_F(ServeProcessTest, UsageErrors) {
  int code = -1;
  // No secret anywhere: usage error (the env var is set by Spawn, so clear it via --secret "").
  RunAndCapture({Bin(), "webhook", "serve", "--listen", "nonsense", "--journal", journal_}, &code);
  EXPECT_EQ(code, 2);
  RunAndCapture({Bin(), "webhook", "serve", "--scheme", "other", "--journal", journal_}, &code);
  EXPECT_EQ(code, 2);
  std::string not_db = (dir_ / "not-a-db").string();
  {
    FILE* f = std::fopen(not_db.c_str(), "w");
    std::fputs(std::string(4096, 'x').c_str(), f);
    std::fclose(f);
  }
  RunAndCapture({Bin(), "webhook", "events", "--journal", not_db}, &code);
  EXPECT_EQ(code, 4);
}

// Issue 16, item 7: secrets from files (repeatable, for rotation) and from
// a list in IDEM_WEBHOOK_SECRETS, never only from argv or one variable.
TEST_F(ServeProcessTest, SecretsComeFromFilesOrAListForRotation) {
  const std::string old_file = (dir_ / "old.secret").string();
  const std::string new_file = (dir_ / "new.secret").string();
  std::ofstream(old_file) << "old-file-secret\n";
  std::ofstream(new_file) << "new-file-secret";
  {
    std::unique_ptr<Child> child;
    const std::string url =
        StartServe(child, journal_, {"--secret-file", old_file, "--secret-file", new_file});
    ASSERT_FALSE(url.empty());
    EXPECT_EQ(Post(url, 1, "old-file-secret"), 200);
    EXPECT_EQ(Post(url, 2, "new-file-secret"), 200);
    // Given files, the environment's secret is not also accepted.
    EXPECT_EQ(Post(url, 3, kSecret), 401);
  }
  ::setenv("IDEM_WEBHOOK_SECRETS", "list-one, list-two", 1);
  {
    std::unique_ptr<Child> child;
    const std::string url = StartServe(child, journal_);
    ASSERT_FALSE(url.empty());
    EXPECT_EQ(Post(url, 4, "list-one"), 200);
    EXPECT_EQ(Post(url, 5, "list-two"), 200);
    EXPECT_EQ(Post(url, 6, kSecret), 200);  // IDEM_WEBHOOK_SECRET still counts
    EXPECT_EQ(Post(url, 7, "not-a-secret"), 401);
  }
  ::unsetenv("IDEM_WEBHOOK_SECRETS");
  // An unreadable secret file is a configuration error, nothing served.
  int code = -1;
  const std::string out =
      RunAndCapture({Bin(), "webhook", "serve", "--listen", "127.0.0.1:0", "--journal", journal_,
                     "--secret-file", (dir_ / "missing.secret").string()},
                    &code);
  EXPECT_EQ(code, 4);
  EXPECT_EQ(out.find("listening"), std::string::npos);
}

}  // namespace
}  // namespace idem

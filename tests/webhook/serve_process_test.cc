// `idem webhook serve` as a real process: SIGKILL mid-stream loses no
// acknowledged event; `idem webhook events --json` lists what arrived;
// SIGTERM stops it cleanly; a connection flood or running out of descriptors
// neither spins nor locks real deliveries out for good.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>

#include "idem/transport.h"
#include "idem/webhook_signature.h"
#include "server/http_server.h"
#include "testing/child_process.h"
#include "testing/raw_socket.h"
#include "testing/temp_dir.h"
#include "testing/wait.h"

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

// `idem webhook serve` and friends, with stdout on a pipe and the webhook
// secret in the environment. `max_files` > 0: the child's RLIMIT_NOFILE
// (soft and hard). `err_path` non-empty: the child's stderr goes to that file.
testing::ChildProcess Spawn(const std::vector<std::string>& args, rlim_t max_files = 0,
                            const std::string& err_path = "") {
  testing::SpawnOptions options;
  options.pipe_stdout = true;
  options.stderr_path = err_path;
  options.env = {{"IDEM_WEBHOOK_SECRET", kSecret}};
  options.max_open_files = max_files;
  return testing::ChildProcess::Spawn(args, options);
}

// Starts `idem webhook serve` on a free port; returns the base URL.
std::string StartServe(testing::ChildProcess& child, const std::string& journal,
                       const std::vector<std::string>& extra = {}, rlim_t max_files = 0,
                       const std::string& err_path = "") {
  std::vector<std::string> args = {Bin(),         "webhook",   "serve", "--listen",
                                   "127.0.0.1:0", "--journal", journal};
  args.insert(args.end(), extra.begin(), extra.end());
  child = Spawn(args, max_files, err_path);
  if (!child.started()) return "";
  const std::optional<std::string> text = child.ReadLine(std::chrono::seconds(30));
  const std::string prefix = "listening on ";
  if (!text || text->rfind(prefix, 0) != 0) return "";
  return text->substr(prefix.size());
}

std::uint16_t PortOf(const std::string& url) {
  return static_cast<std::uint16_t>(std::stoi(url.substr(url.rfind(':') + 1)));
}

// CPU time (user + system) the process has used so far.
std::chrono::milliseconds CpuTime(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::istringstream fields(stat.substr(stat.rfind(')') + 2));
  std::string field;
  long long ticks = 0;
  // After "pid (comm) ", utime and stime are the 12th and 13th fields.
  for (int i = 1; i <= 13 && fields >> field; ++i) {
    if (i >= 12) ticks += std::stoll(field);
  }
  return std::chrono::milliseconds(ticks * 1000 / sysconf(_SC_CLK_TCK));
}

std::string RunAndCapture(const std::vector<std::string>& args, int* exit_code) {
  testing::ChildProcess child = Spawn(args);
  std::string out = child.ReadAll();
  *exit_code = child.Wait().code;
  return out;
}

class ServeProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    journal_ = (dir_ / "journal.db").string();
    TransportOptions to;
    to.total_timeout = std::chrono::seconds(5);
    transport_ = MakeCurlTransport(to);
  }
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

  // Posts event n until it is answered 200 (bounded); the status last seen.
  int PostUntilStored(const std::string& url, int n, std::chrono::seconds within) {
    int status = 0;
    // The caller judges the status a timeout leaves.
    (void)testing::WaitUntil(
        within,
        [&] {
          status = Post(url, n);
          return status == 200;
        },
        std::chrono::milliseconds(20));
    return status;
  }

  testing::TempDir dir_{"idem-serve"};
  std::string journal_;
  std::unique_ptr<Transport> transport_;
};

TEST_F(ServeProcessTest, SigkillMidStreamLosesNoAcknowledgedEvent) {
  constexpr int kEvents = 80;
  testing::ChildProcess serve;
  std::string url = StartServe(serve, journal_);
  ASSERT_FALSE(url.empty());
  ASSERT_EQ(url.rfind("http://127.0.0.1:", 0), 0u);

  std::vector<int> acked;
  std::atomic<int> acked_count{0};
  std::thread killer([&] {
    // Killed at the deadline anyway; the checks below say whether it was too late.
    (void)testing::WaitUntil(
        std::chrono::seconds(20), [&] { return acked_count.load() >= 25; },
        std::chrono::milliseconds(1));
    serve.Signal(SIGKILL);
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
  serve.Wait();
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
  const testing::ExitStatus status = serve.Kill(SIGTERM);
  EXPECT_EQ(status.signal, 0);
  EXPECT_EQ(status.code, 0);

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
    testing::ChildProcess child;
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
    testing::ChildProcess child;
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

// Idle connections up to --max-connections are kept; the ones over it are
// closed at once, and so is a real delivery while the flood lasts (Didit
// retries it). Once the flood goes, deliveries are stored again.
TEST_F(ServeProcessTest, AConnectionFloodIsCappedAndDeliveriesGetThroughOnceItGoes) {
  testing::ChildProcess serve;
  const std::string url =
      StartServe(serve, journal_, {"--max-connections", "16", "--read-timeout-ms", "60000"});
  ASSERT_FALSE(url.empty());
  std::vector<std::unique_ptr<testing::RawSocket>> flood;
  for (int i = 0; i < 24; ++i) {
    flood.push_back(std::make_unique<testing::RawSocket>(PortOf(url)));
    ASSERT_TRUE(flood.back()->connected());
  }
  // Exactly the 8 over the cap are closed; the 16 kept stay open (their read
  // timeout is a minute).
  EXPECT_EQ(testing::ClosedByPeer(flood, 24, std::chrono::seconds(5)), 8);
  EXPECT_NE(Post(url, 1), 200) << "a 17th connection is refused while the 16 stay";

  flood.clear();
  EXPECT_EQ(PostUntilStored(url, 1, std::chrono::seconds(10)), 200);
  EXPECT_EQ(EventCounts()["s1"], 1);
}

// Out of descriptors, accept() fails with EMFILE while connections wait in
// the kernel's queue. The receiver must wait and retry, not spin a core on
// the error, and must serve the waiting connections once descriptors free up.
TEST_F(ServeProcessTest, OutOfDescriptorsTheAcceptLoopWaitsInsteadOfSpinning) {
  testing::ChildProcess serve;
  const std::string url =
      StartServe(serve, journal_, {"--max-connections", "100000", "--read-timeout-ms", "60000"},
                 /*max_files=*/64);
  ASSERT_FALSE(url.empty());
  ASSERT_EQ(Post(url, 1), 200);
  std::vector<std::unique_ptr<testing::RawSocket>> flood;
  for (int i = 0; i < 120; ++i) {
    flood.push_back(std::make_unique<testing::RawSocket>(PortOf(url)));
    ASSERT_TRUE(flood.back()->connected());
  }
  // Over a second of wall time, a spinning accept loop burns about a second
  // of CPU; one that backs off between failed accepts burns almost none.
  const auto before = CpuTime(serve.pid());
  std::this_thread::sleep_for(std::chrono::seconds(1));
  const auto used = CpuTime(serve.pid()) - before;
  EXPECT_LT(used.count(), 300) << "the accept loop spins on EMFILE";

  flood.clear();
  EXPECT_EQ(PostUntilStored(url, 2, std::chrono::seconds(10)), 200);
  const auto counts = EventCounts();
  EXPECT_EQ(counts.count("s1"), 1u);
  EXPECT_EQ(counts.count("s2"), 1u);
}

// --forward-to passes each new event to the user's app: the original body,
// signed afresh with the forward secret; an answer other than 2xx is retried
// until the app takes it. /healthz answers while the receiver runs.
TEST_F(ServeProcessTest, ForwardToPassesEachNewEventToTheAppSignedAfresh) {
  const std::string app_secret = "app-secret";
  VerifierOptions vo;
  vo.secrets = {app_secret};
  auto app_verifier = WebhookVerifier::Create(WebhookScheme::kDidit, vo);
  ASSERT_TRUE(app_verifier);
  std::mutex mu;
  std::vector<std::string> bodies;
  int bad_signatures = 0;
  auto app = server::HttpServer::Start(
      {}, server::Synchronous([&](const server::Request& r) {
        std::lock_guard<std::mutex> lock(mu);
        if (!app_verifier->Verify(r.headers, r.body)) ++bad_signatures;
        bodies.push_back(r.body);
        return server::Response{bodies.size() == 1 ? 500 : 200, {}, "{}"};  // first: a failure
      }));
  ASSERT_TRUE(app);
  { std::ofstream((dir_ / "app.secret").string()) << app_secret << "\n"; }
  testing::ChildProcess serve;
  // Credentials and a token in the URL (the app may want them): sent, never
  // logged.
  const std::string app_url =
      "http://fwd-user:fwd-pass@127.0.0.1:" + std::to_string((*app)->port()) +
      "/hook?token=fwd-token";
  const std::string err_path = (dir_ / "serve.err").string();
  const std::string url =
      StartServe(serve, journal_,
                 {"--forward-to", app_url, "--forward-secret-file", (dir_ / "app.secret").string()},
                 /*max_files=*/0, err_path);
  ASSERT_FALSE(url.empty());
  auto health = transport_->SendAndWait({"GET", url + "/healthz", {}, ""});
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);

  ASSERT_EQ(Post(url, 7), 200);
  ASSERT_EQ(Post(url, 7), 200);  // a duplicate delivery is not forwarded again
  // The checks below judge what a timeout leaves.
  (void)testing::WaitUntil(
      std::chrono::seconds(15),
      [&] {
        std::lock_guard<std::mutex> lock(mu);
        return bodies.size() >= 2;
      },
      std::chrono::milliseconds(20));
  serve.Kill(SIGTERM);
  std::lock_guard<std::mutex> lock(mu);
  ASSERT_EQ(bodies.size(), 2u) << "one failed attempt, then the retry the app took";
  EXPECT_EQ(bodies[0], Event(7));
  EXPECT_EQ(bodies[1], Event(7));
  EXPECT_EQ(bad_signatures, 0) << "signed with the forward secret";
  // Both answers were logged, the URL without its credentials and query.
  const std::string log = [&] {
    std::ifstream in(err_path);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  }();
  EXPECT_NE(log.find("HTTP 500 (will retry)"), std::string::npos) << log;
  EXPECT_NE(log.find("forwarded event"), std::string::npos) << log;
  EXPECT_NE(log.find("http://127.0.0.1:"), std::string::npos) << log;
  for (const char* secret : {"fwd-user", "fwd-pass", "fwd-token", "app-secret"}) {
    EXPECT_EQ(log.find(secret), std::string::npos) << secret << " logged: " << log;
  }
}

// Issue 14, item 2, through `idem webhook serve`: every correctly signed
// event is acknowledged whatever its type or shape, listed by `idem webhook
// events` (JSON with its type and body, and the text table) and passed to
// --exec; Approved -> Resubmitted moves the session.
TEST_F(ServeProcessTest, EveryEventTypeIsAcknowledgedListedAndExecuted) {
  const auto exec_dir = dir_ / "exec";
  std::filesystem::create_directories(exec_dir);
  testing::ChildProcess serve;
  const std::string url = StartServe(
      serve, journal_, {"--exec", "cat > \"$(mktemp '" + exec_dir.string() + "/event.XXXXXX')\""});
  ASSERT_FALSE(url.empty());
  const std::int64_t t = ToUnixMillis(std::chrono::system_clock::now()) / 1000;
  auto session_event = [&](const std::string& type, const std::string& status, std::int64_t ts) {
    return nlohmann::json{{"event_id", type + status}, {"webhook_type", type},
                          {"session_id", "s1"},        {"status", status},
                          {"timestamp", ts},           {"workflow_id", "wf"},
                          {"vendor_data", "v"}}
        .dump();
  };
  const std::vector<std::pair<std::string, std::string>> events = {
      {"status.updated", session_event("status.updated", "Approved", t - 10)},
      {"status.updated", session_event("status.updated", "Resubmitted", t - 5)},
      {"data.updated", session_event("data.updated", "Resubmitted", t)},
      {"user.status.updated",
       R"({"event_id":"u1","webhook_type":"user.status.updated","vendor_data":"v",)"
       R"("status":"FLAGGED","previous_status":"ACTIVE","timestamp":)" +
           std::to_string(t) + "}"},
      {"user.data.updated",
       R"({"event_id":"u2","webhook_type":"user.data.updated","vendor_data":"v","timestamp":)" +
           std::to_string(t) +
           R"(,"changed_fields":["full_name"],"changes":{"full_name":{"previous":"A","current":"B"}}})"},
      {"unknown.type", R"({"event_id":"x1","webhook_type":"unknown.type","timestamp":1})"},
      // Control characters in the type: listed, but never written raw to a terminal.
      {"evil\x1b[2J\ttype\nline", R"({"webhook_type":"evil\u001b[2J\ttype\nline","timestamp":1})"},
      {"", "this is not JSON"},
  };
  for (const auto& [type, body] : events) {
    auto r = transport_->SendAndWait(
        {"POST", url + "/webhooks/didit", SignDidit(kSecret, body, t), body});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << body << ": " << r->body;
  }
  // Wait until --exec ran for every event.
  auto executed = [&] {
    std::multiset<std::string> bodies;
    for (const auto& entry : std::filesystem::directory_iterator(exec_dir)) {
      std::ifstream in(entry.path());
      bodies.insert(std::string((std::istreambuf_iterator<char>(in)), {}));
    }
    return bodies;
  };
  std::multiset<std::string> expected;
  for (const auto& e : events) expected.insert(e.second);
  (void)testing::WaitUntil(
      std::chrono::seconds(20), [&] { return executed() == expected; },
      std::chrono::milliseconds(20));
  EXPECT_EQ(executed(), expected);
  EXPECT_EQ(serve.Kill(SIGTERM).code, 0);

  int code = -1;
  const std::string out =
      RunAndCapture({Bin(), "webhook", "events", "--json", "--journal", journal_}, &code);
  EXPECT_EQ(code, 0);
  auto json = nlohmann::json::parse(out, nullptr, false);
  ASSERT_TRUE(json.is_array()) << out;
  ASSERT_EQ(json.size(), events.size());
  for (std::size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ(json[i]["webhook_type"], events[i].first);
    EXPECT_EQ(json[i]["body"], events[i].second);
    EXPECT_EQ(json[i]["applied"], i < 2) << i;
  }
  EXPECT_EQ(json[3]["session_id"], "");
  EXPECT_EQ(json[3]["status"], "FLAGGED");

  const std::string table =
      RunAndCapture({Bin(), "webhook", "events", "--journal", journal_}, &code);
  EXPECT_EQ(code, 0);
  for (const char* type : {"status.updated", "data.updated", "user.status.updated",
                           "user.data.updated", "unknown.type"}) {
    EXPECT_NE(table.find(type), std::string::npos) << type << " in " << table;
  }
  EXPECT_EQ(table.find('\x1b'), std::string::npos) << table;
  EXPECT_NE(table.find("evil\\x1b[2J\\ttype\\nline"), std::string::npos) << table;
  // A header line and one line per event.
  EXPECT_EQ(std::count(table.begin(), table.end(), '\n'), static_cast<long>(events.size() + 1))
      << table;
}

TEST_F(ServeProcessTest, ForwardToAndExecExcludeEachOther) {
  int code = -1;
  RunAndCapture({Bin(), "webhook", "serve", "--listen", "127.0.0.1:0", "--journal", journal_,
                 "--exec", "cat", "--forward-to", "http://127.0.0.1:9/x"},
                &code);
  EXPECT_EQ(code, 2);
}

}  // namespace
}  // namespace idem

// Drives the real `idem sandbox` binary with curl (the command-line tool), an
// HTTP client that is not the project's own.
#include <gtest/gtest.h>
#include <signal.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "testing/child_process.h"
#include "testing/free_port.h"
#include "testing/temp_dir.h"
#include "testing/wait.h"

namespace {

std::string RunShell(const std::string& command) {
  std::string out;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return out;
  std::array<char, 4096> buf;
  std::size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), pipe)) > 0) out.append(buf.data(), n);
  pclose(pipe);
  return out;
}

// `idem sandbox --listen 127.0.0.1:0 EXTRA...`, its first stdout line read.
class SandboxProcess {
 public:
  explicit SandboxProcess(const std::vector<std::string>& extra = {}) {
    const char* bin = std::getenv("IDEM_BIN");
    if (bin == nullptr) return;
    std::vector<std::string> args = {bin, "sandbox", "--listen", "127.0.0.1:0"};
    args.insert(args.end(), extra.begin(), extra.end());
    idem::testing::SpawnOptions options;
    options.pipe_stdout = true;
    options.stderr_path = "";  // the sandbox's diagnostics reach the test log
    child_ = idem::testing::ChildProcess::Spawn(args, options);
    first_line_ = child_.ReadLine(std::chrono::seconds(30)).value_or("");
  }
  const std::string& first_line() const { return first_line_; }
  std::string url() const {
    const std::string prefix = "listening on ";
    std::string u = first_line_.substr(prefix.size());
    while (!u.empty() && (u.back() == '\n' || u.back() == '\r')) u.pop_back();
    return u;
  }
  // Sends the signal and waits: the exit code, -1 when a signal ended it.
  int Terminate(int signal_number) { return child_.Kill(signal_number).code; }

 private:
  idem::testing::ChildProcess child_;
  std::string first_line_;
};

TEST(SandboxCli, CurlCreatesReplaysAndSigtermExitsZero) {
  ASSERT_NE(std::getenv("IDEM_BIN"), nullptr);
  SandboxProcess p({"--profile", "ideal"});  // keys on session create
  ASSERT_EQ(p.first_line().rfind("listening on http://127.0.0.1:", 0), 0u) << p.first_line();
  const std::string url = p.url();
  const std::string curl =
      "curl -s -i --max-time 5 -H 'x-api-key: sandbox-key' -H 'Content-Type: application/json' "
      "-H 'Idempotency-Key: cli-key' -X POST " +
      url +
      "/v3/session/ -d "
      "'{\"workflow_id\":\"11111111-2222-4333-8444-555555555555\",\"vendor_data\":\"cli\"}'";
  const std::string first = RunShell(curl);
  EXPECT_NE(first.find("HTTP/1.1 201"), std::string::npos) << first;
  const std::string second = RunShell(curl);
  EXPECT_NE(second.find("HTTP/1.1 201"), std::string::npos) << second;
  EXPECT_NE(second.find("Idempotent-Replayed: true"), std::string::npos) << second;
  // Byte-identical bodies.
  EXPECT_EQ(first.substr(first.find("\r\n\r\n")), second.substr(second.find("\r\n\r\n")));
  const std::string missing =
      RunShell("curl -s -o /dev/null -w '%{http_code}' --max-time 5 " + url + "/v3/sessions/");
  EXPECT_EQ(missing, "403");
  const std::string stats = RunShell("curl -s --max-time 5 " + url + "/_sandbox/stats");
  EXPECT_NE(stats.find("\"create_session\":1"), std::string::npos) << stats;
  EXPECT_EQ(p.Terminate(SIGTERM), 0);
}

TEST(SandboxCli, DefaultProfileIsDiditAndReplayHeaderIsASwitch) {
  const std::string aml =
      "curl -s -i --max-time 5 -H 'x-api-key: sandbox-key' -H 'Content-Type: application/json' "
      "-H 'Idempotency-Key: cli-aml' -X POST ";
  {
    SandboxProcess p;
    ASSERT_FALSE(p.first_line().empty());
    const std::string call = aml + p.url() + "/v3/aml/ -d '{\"full_name\":\"Jo\"}'";
    const std::string first = RunShell(call);
    const std::string second = RunShell(call);
    EXPECT_NE(second.find("HTTP/1.1 200"), std::string::npos) << second;
    EXPECT_EQ(second.find("Idempotent-Replayed"), std::string::npos) << second;
    EXPECT_EQ(first.substr(first.find("\r\n\r\n")), second.substr(second.find("\r\n\r\n")));
    const std::string stats = RunShell("curl -s --max-time 5 " + p.url() + "/_sandbox/stats");
    EXPECT_NE(stats.find("\"profile\":\"didit\""), std::string::npos) << stats;
    EXPECT_EQ(p.Terminate(SIGTERM), 0);
  }
  SandboxProcess p({"--replay-header"});
  ASSERT_FALSE(p.first_line().empty());
  const std::string call = aml + p.url() + "/v3/aml/ -d '{\"full_name\":\"Jo\"}'";
  RunShell(call);
  const std::string second = RunShell(call);
  EXPECT_NE(second.find("Idempotent-Replayed: true"), std::string::npos) << second;
  EXPECT_EQ(p.Terminate(SIGTERM), 0);
}

// `--credits none`: a billed check answers Didit's 403 "not enough credits"
// and nothing executes; the default (plenty) runs it.
TEST(SandboxCli, CreditsNoneMakesABilledCheckAnswer403) {
  ASSERT_NE(std::getenv("IDEM_BIN"), nullptr);
  const std::string aml =
      "curl -s -i --max-time 5 -H 'x-api-key: sandbox-key' -H 'Content-Type: application/json' "
      "-X POST ";
  {
    SandboxProcess p({"--credits", "none"});
    ASSERT_EQ(p.first_line().rfind("listening on http://127.0.0.1:", 0), 0u) << p.first_line();
    const std::string answer = RunShell(aml + p.url() + "/v3/aml/ -d '{\"full_name\":\"Jo\"}'");
    EXPECT_NE(answer.find("HTTP/1.1 403"), std::string::npos) << answer;
    EXPECT_NE(answer.find("enough credits"), std::string::npos) << answer;
    const std::string stats = RunShell("curl -s --max-time 5 " + p.url() + "/_sandbox/stats");
    EXPECT_EQ(stats.find("\"aml\":1"), std::string::npos) << "nothing executes: " << stats;
    EXPECT_EQ(p.Terminate(SIGTERM), 0);
  }
  SandboxProcess p;
  ASSERT_FALSE(p.first_line().empty());
  const std::string answer = RunShell(aml + p.url() + "/v3/aml/ -d '{\"full_name\":\"Jo\"}'");
  EXPECT_NE(answer.find("HTTP/1.1 200"), std::string::npos) << answer;
  EXPECT_EQ(p.Terminate(SIGTERM), 0);
}

TEST(SandboxCli, BadProfileIsAUsageError) {
  const std::string bin = std::getenv("IDEM_BIN");
  for (const char* bad : {"stripe", "Didit", "\"\""}) {
    const int status = std::system(
        (bin + " sandbox --listen 127.0.0.1:0 --profile " + bad + " >/dev/null 2>&1").c_str());
    ASSERT_TRUE(WIFEXITED(status)) << bad;
    EXPECT_EQ(WEXITSTATUS(status), 2) << bad;
  }
  const std::string message = RunShell(bin + " sandbox --listen 127.0.0.1:0 --profile stripe 2>&1");
  EXPECT_NE(message.find("unknown sandbox profile 'stripe'"), std::string::npos) << message;
}

TEST(SandboxCli, TheStartupLogNamesTheProfile) {
  const std::string bin = std::getenv("IDEM_BIN");
  const std::string logs =
      RunShell("(out=$(mktemp); " + bin +
               " sandbox --listen 127.0.0.1:0 --profile ideal >\"$out\" 2>&1 & pid=$!; "
               "for i in $(seq 600); do grep -q 'sandbox up' \"$out\" && break; sleep 0.05; done; "
               "kill -TERM $pid; wait $pid; cat \"$out\"; rm -f \"$out\")");
  EXPECT_NE(logs.find("profile=ideal"), std::string::npos) << logs;
}

// Didit's webhook schedule (1 min, 4 min, three attempts) is the default; the
// idealised one is a switch, named in the startup log.
TEST(SandboxCli, WebhookRetriesAreDiditsUnlessAskedFast) {
  const std::string bin = std::getenv("IDEM_BIN");
  auto startup_log = [&](const std::string& flag) {
    return RunShell("(out=$(mktemp); IDEM_WEBHOOK_SECRET=s " + bin +
                    " sandbox --listen 127.0.0.1:0 --webhook-url http://127.0.0.1:9/hook " + flag +
                    " >\"$out\" 2>&1 & pid=$!; "
                    "for i in $(seq 600); do grep -q 'sandbox up' \"$out\" && break; sleep 0.05; "
                    "done; kill -TERM $pid; wait $pid; cat \"$out\"; rm -f \"$out\")");
  };
  const std::string by_default = startup_log("");
  EXPECT_NE(by_default.find("retries=didit"), std::string::npos) << by_default;
  const std::string fast = startup_log("--webhook-retries fast");
  EXPECT_NE(fast.find("retries=fast"), std::string::npos) << fast;
  const int status = std::system(
      (bin + " sandbox --listen 127.0.0.1:0 --webhook-retries often >/dev/null 2>&1").c_str());
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 2);
}

// The switch does what it says: a receiver that was down at a webhook's first
// attempt gets it within seconds, where Didit's schedule waits a minute.
TEST(SandboxCli, FastWebhookRetriesReachAReceiverThatCameUpLate) {
  ASSERT_NE(std::getenv("IDEM_BIN"), nullptr);
  const std::string bin = std::getenv("IDEM_BIN");
  idem::testing::TempDir dir("idem-sandbox-cli");
  const std::string listen = "127.0.0.1:" + std::to_string(idem::testing::UnusedLoopbackPort());
  SandboxProcess p({"--webhook-url", "http://" + listen + "/webhooks/didit", "--webhook-secret",
                    "late-receiver-secret", "--webhook-retries", "fast"});
  ASSERT_EQ(p.first_line().rfind("listening on http://", 0), 0u) << p.first_line();
  const std::string url = p.url();
  auto webhooks = [&] {
    const auto stats = nlohmann::json::parse(
        RunShell("curl -s --max-time 5 " + url + "/_sandbox/stats"), nullptr, false);
    return stats.is_object() && stats.contains("webhooks") ? stats["webhooks"]
                                                           : nlohmann::json::object();
  };
  const auto created = nlohmann::json::parse(
      RunShell("curl -s --max-time 5 -H 'x-api-key: sandbox-key' -H 'Content-Type: "
               "application/json' -X POST " +
               url +
               "/v3/session/ -d "
               "'{\"workflow_id\":\"11111111-2222-4333-8444-555555555555\"}'"),
      nullptr, false);
  ASSERT_TRUE(created.contains("session_id")) << created.dump();
  const std::string moved = RunShell(bin + " trigger " + created["session_id"].get<std::string>() +
                                     " Approved --base-url " + url + " 2>&1");
  ASSERT_NE(moved.find("Approved"), std::string::npos) << moved;
  // Nothing listens yet: the first attempts fail.
  ASSERT_TRUE(idem::testing::WaitUntil(std::chrono::seconds(20), [&] {
    return webhooks().value("failed_attempts", 0) >= 1;
  })) << webhooks().dump();
  EXPECT_EQ(webhooks().value("acknowledged", 0), 0) << webhooks().dump();

  // The receiver comes up on the port the sandbox was told about.
  idem::testing::SpawnOptions options;
  options.pipe_stdout = true;
  idem::testing::ChildProcess serve = idem::testing::ChildProcess::Spawn(
      {bin, "webhook", "serve", "--listen", listen, "--journal", (dir / "inbox.db").string(),
       "--secret", "late-receiver-secret"},
      options);
  ASSERT_TRUE(serve.ReadLine(std::chrono::seconds(30)).has_value());
  EXPECT_TRUE(idem::testing::WaitUntil(std::chrono::seconds(20), [&] {
    return webhooks().value("acknowledged", 0) >= 1;
  })) << webhooks().dump();
  EXPECT_GE(webhooks().value("retries", 0), 1) << webhooks().dump();
}

TEST(SandboxCli, SelfCheckPassesOnBothProfiles) {
  const std::string bin = std::getenv("IDEM_BIN");
  const std::string out = RunShell(bin + " sandbox --self-check 2>&1; echo \"exit=$?\"");
  EXPECT_NE(out.find("exit=0"), std::string::npos) << out;
  EXPECT_EQ(out.find("FAIL"), std::string::npos) << out;
  EXPECT_NE(out.find("PASS  didit: AML key, other body -> 409"), std::string::npos) << out;
  EXPECT_NE(out.find("PASS  ideal: same key, other body -> 422"), std::string::npos) << out;
  EXPECT_NE(out.find("checks passed"), std::string::npos) << out;
}

TEST(SandboxCli, SigintExitsZero) {
  SandboxProcess p;
  ASSERT_EQ(p.first_line().rfind("listening on http://", 0), 0u);
  EXPECT_EQ(p.Terminate(SIGINT), 0);
}

TEST(SandboxCli, BadFaultSpecIsAUsageError) {
  const std::string bin = std::getenv("IDEM_BIN");
  const int status = std::system((bin + " sandbox --listen 127.0.0.1:0 --faults nope=1 "
                                        ">/dev/null 2>&1")
                                     .c_str());
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 2);
}

TEST(SandboxCli, RateScopesLimitARealSandbox) {
  SandboxProcess p({"--rate-scopes", "writes=1/min,reads=2/min"});
  ASSERT_EQ(p.first_line().rfind("listening on http://", 0), 0u) << p.first_line();
  const std::string url = p.url();
  const std::string create =
      "curl -s -i --max-time 5 -H 'x-api-key: sandbox-key' -H 'Content-Type: application/json' "
      "-X POST " +
      url +
      "/v3/session/ -d "
      "'{\"workflow_id\":\"11111111-2222-4333-8444-555555555555\",\"vendor_data\":\"rl\"}'";
  const std::string first = RunShell(create);
  EXPECT_NE(first.find("HTTP/1.1 201"), std::string::npos) << first;
  EXPECT_NE(first.find("X-RateLimit-Limit: 1"), std::string::npos) << first;
  EXPECT_NE(first.find("X-RateLimit-Remaining: 0"), std::string::npos) << first;
  const std::string second = RunShell(create);
  EXPECT_NE(second.find("HTTP/1.1 429"), std::string::npos) << second;
  EXPECT_NE(second.find("Retry-After: "), std::string::npos) << second;
  EXPECT_NE(second.find("X-RateLimit-Reset: "), std::string::npos) << second;
  EXPECT_NE(second.find("Write request rate limit exceeded. You can make up to 1 requests per "
                        "minute."),
            std::string::npos)
      << second;
  const std::string list =
      "curl -s -o /dev/null -w '%{http_code}' --max-time 5 -H "
      "'x-api-key: sandbox-key' " +
      url + "/v3/sessions/";
  EXPECT_EQ(RunShell(list), "200");
  EXPECT_EQ(RunShell(list), "200");
  EXPECT_EQ(RunShell(list), "429");
  const std::string stats = RunShell("curl -s --max-time 5 " + url + "/_sandbox/stats");
  EXPECT_NE(stats.find("\"rate_limited\":{\"generic-get\":1,\"generic-write\":1}"),
            std::string::npos)
      << stats;
  EXPECT_NE(stats.find("\"create_session\":1"), std::string::npos) << stats;
  EXPECT_EQ(p.Terminate(SIGTERM), 0);
}

TEST(SandboxCli, RateScopesOffByDefault) {
  SandboxProcess p;
  ASSERT_EQ(p.first_line().rfind("listening on http://", 0), 0u) << p.first_line();
  const std::string headers =
      RunShell("curl -s -i --max-time 5 -H 'x-api-key: sandbox-key' " + p.url() + "/v3/sessions/");
  EXPECT_NE(headers.find("HTTP/1.1 200"), std::string::npos) << headers;
  EXPECT_EQ(headers.find("X-RateLimit"), std::string::npos) << headers;
  const std::string help = RunShell(std::string(std::getenv("IDEM_BIN")) + " sandbox --help");
  EXPECT_NE(help.find("--rate-scopes"), std::string::npos) << help;
  EXPECT_NE(help.find("(default off)"), std::string::npos) << help;
  EXPECT_EQ(p.Terminate(SIGTERM), 0);
}

TEST(SandboxCli, MalformedRateScopesAreAUsageError) {
  const std::string bin = std::getenv("IDEM_BIN");
  const std::pair<const char*, const char*> cases[] = {
      {"writes=30", "rate scope 'writes=30': the limit must be N/min"},
      {"bogus=1/min", "rate scope 'bogus=1/min': unknown scope"},
      {"writes=x/min", "N must be an integer"},
      {"session-add-images=5/min", "not emulated"},
      {"writes=1/min,writes=2/min", "scope given twice"},
  };
  for (const auto& [spec, words] : cases) {
    const std::string command =
        bin + " sandbox --listen 127.0.0.1:0 --rate-scopes '" + spec + "' 2>&1; echo \"exit=$?\"";
    const std::string out = RunShell(command);
    EXPECT_NE(out.find("exit=2"), std::string::npos) << spec << ": " << out;
    EXPECT_NE(out.find("--rate-scopes: "), std::string::npos) << spec << ": " << out;
    EXPECT_NE(out.find(words), std::string::npos) << spec << ": " << out;
    EXPECT_EQ(out.find("listening on"), std::string::npos) << spec << ": " << out;
  }
}

TEST(SandboxCli, HelpSaysControlEndpointsHaveNoAuth) {
  const std::string help = RunShell(std::string(std::getenv("IDEM_BIN")) + " sandbox --help");
  EXPECT_NE(help.find("/_sandbox/*"), std::string::npos) << help;
  EXPECT_NE(help.find("NO auth"), std::string::npos);
}

TEST(SandboxCli, ApiKeyNeverReachesTheLogs) {
  const std::string bin = std::getenv("IDEM_BIN");
  SandboxProcess p({"--api-key", "super-secret-key-123"});
  ASSERT_FALSE(p.first_line().empty());
  p.Terminate(SIGTERM);
  // The log went to the test's stderr; check through a second run capturing it.
  // Waits (bounded, 30 s) for the first line rather than a fixed time: under
  // ASan on a loaded machine start-up can take longer than any fixed sleep.
  const std::string logs = RunShell(
      "(out=$(mktemp); " + bin +
      " sandbox --listen 127.0.0.1:0 --api-key super-secret-key-123 >\"$out\" 2>&1 & pid=$!; "
      "for i in $(seq 600); do grep -q 'listening on' \"$out\" && break; sleep 0.05; done; "
      "kill -TERM $pid; wait $pid; cat \"$out\"; rm -f \"$out\")");
  EXPECT_NE(logs.find("listening on"), std::string::npos) << logs;
  EXPECT_EQ(logs.find("super-secret-key-123"), std::string::npos) << logs;
}

}  // namespace

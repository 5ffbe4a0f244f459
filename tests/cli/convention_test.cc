// The CLI convention (docs/cli.md) as a user meets it, on real processes
// ($IDEM_BIN): --version, an unknown command with a suggestion, results on
// stdout and logs on stderr, colours only on a terminal without NO_COLOR,
// -v/--log-level anywhere on the line, tables with a header, compact JSON.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "testing/child_process.h"
#include "testing/temp_dir.h"
#include "testing/wait.h"

namespace idem {
namespace {

using testing::IdemBin;
using testing::Ran;
using testing::ReadWholeFile;
using testing::SpawnChild;
using testing::WaitExit;

class ConventionTest : public ::testing::Test {
 protected:
  Ran Run(std::vector<std::string> args) {
    args.insert(args.begin(), IdemBin());
    return testing::RunToEnd(args, dir_.path().string());
  }

  testing::TempDir dir_{"idem-cli"};
};

TEST_F(ConventionTest, VersionIsOneLineOnStdout) {
  for (const char* command : {"--version", "version"}) {
    Ran ran = Run({command});
    EXPECT_EQ(ran.code, 0);
    EXPECT_EQ(ran.out.rfind("idem ", 0), 0u) << ran.out;
    EXPECT_EQ(std::count(ran.out.begin(), ran.out.end(), '\n'), 1) << ran.out;
    EXPECT_EQ(ran.err, "");
  }
  Ran ran = Run({"version", "--json"});
  EXPECT_EQ(ran.code, 0);
  EXPECT_NE(ran.out.find("\"version\""), std::string::npos) << ran.out;
}

TEST_F(ConventionTest, AnUnknownCommandIsNamedWithASuggestion) {
  Ran ran = Run({"sesion", "create"});
  EXPECT_EQ(ran.code, 2);
  EXPECT_EQ(ran.out, "");
  EXPECT_NE(ran.err.find("unknown command 'sesion'; did you mean 'session'?"), std::string::npos)
      << ran.err;
  ran = Run({"xyzzy"});
  EXPECT_EQ(ran.code, 2);
  EXPECT_NE(ran.err.find("unknown command 'xyzzy'"), std::string::npos) << ran.err;
  EXPECT_EQ(ran.err.find("did you mean"), std::string::npos) << "nothing is close to xyzzy";
}

TEST_F(ConventionTest, LogFlagsGoAnywhereAndABadLevelIsAUsageError) {
  const std::string journal = (dir_ / "j.db").string();
  EXPECT_EQ(Run({"-v", "ops", "list", "--journal", journal}).code, 4);  // no journal: exit 4
  EXPECT_EQ(Run({"ops", "list", "--journal", journal, "-v"}).code, 4);
  EXPECT_EQ(Run({"ops", "list", "--journal", journal, "--log-level", "warn"}).code, 4);
  Ran ran = Run({"--log-level", "loud", "ops", "list"});
  EXPECT_EQ(ran.code, 2);
  EXPECT_NE(ran.err.find("--log-level"), std::string::npos) << ran.err;
}

// A server's log lines go to stderr; stdout carries only its result (the
// `listening on` line), so a script can read it.
TEST_F(ConventionTest, AServerLogsOnStderrAndPrintsOnlyItsAddressOnStdout) {
  const std::string out = (dir_ / "out").string(), err = (dir_ / "err").string();
  const pid_t pid = SpawnChild({IdemBin(), "webhook", "serve", "--listen", "127.0.0.1:0",
                                "--secret", "s", "--journal", (dir_ / "j.db").string()},
                               out, err);
  ASSERT_GT(pid, 0);
  // Stopped at the deadline anyway; the checks below judge what it printed.
  (void)testing::WaitUntil(std::chrono::seconds(10),
                           [&] { return ReadWholeFile(out).find('\n') != std::string::npos; });
  ::kill(pid, SIGTERM);
  EXPECT_EQ(WaitExit(pid), 0);
  const std::string stdout_text = ReadWholeFile(out);
  EXPECT_EQ(stdout_text.rfind("listening on http://127.0.0.1:", 0), 0u) << stdout_text;
  EXPECT_EQ(std::count(stdout_text.begin(), stdout_text.end(), '\n'), 1) << stdout_text;
  EXPECT_NE(ReadWholeFile(err).find("webhook serve stopped"), std::string::npos);
}

// What `idem sandbox` writes to a terminal until its first log line is there.
std::string FirstLinesOnATerminal(bool no_color) {
  int master = -1;
  const pid_t pid = ::forkpty(&master, nullptr, nullptr, nullptr);
  if (pid == 0) {
    if (no_color) {
      ::setenv("NO_COLOR", "1", 1);
    } else {
      ::unsetenv("NO_COLOR");
    }
    const std::string bin = IdemBin();
    ::execl(bin.c_str(), bin.c_str(), "sandbox", "--listen", "127.0.0.1:0",
            static_cast<char*>(nullptr));
    ::_exit(127);
  }
  std::string text;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (text.find("sandbox up") == std::string::npos &&
         std::chrono::steady_clock::now() < deadline) {
    pollfd p{master, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    char buf[4096];
    const ssize_t n = ::read(master, buf, sizeof buf);
    if (n <= 0) break;
    text.append(buf, static_cast<std::size_t>(n));
  }
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
  ::close(master);
  return text;
}

TEST_F(ConventionTest, ColoursOnlyOnATerminalAndNeverWithNoColor) {
  const std::string coloured = FirstLinesOnATerminal(/*no_color=*/false);
  ASSERT_NE(coloured.find("sandbox up"), std::string::npos) << coloured;
  EXPECT_NE(coloured.find("\x1b["), std::string::npos) << "a terminal gets colours";
  const std::string plain = FirstLinesOnATerminal(/*no_color=*/true);
  ASSERT_NE(plain.find("sandbox up"), std::string::npos) << plain;
  EXPECT_EQ(plain.find("\x1b["), std::string::npos) << "NO_COLOR is honoured";
  // Not a terminal: no colours either.
  const std::string err = (dir_ / "err").string();
  const pid_t pid =
      SpawnChild({IdemBin(), "sandbox", "--listen", "127.0.0.1:0"}, (dir_ / "out").string(), err);
  (void)testing::WaitUntil(std::chrono::seconds(10), [&] {
    return ReadWholeFile(err).find("sandbox up") != std::string::npos;
  });
  ::kill(pid, SIGTERM);
  WaitExit(pid);
  EXPECT_NE(ReadWholeFile(err).find("sandbox up"), std::string::npos);
  EXPECT_EQ(ReadWholeFile(err).find("\x1b["), std::string::npos);
}

TEST_F(ConventionTest, TablesHaveAHeaderRow) {
  const std::string journal = (dir_ / "j.db").string();
  // `webhook serve` creates the journal with its inbox; then both lists have
  // a header row and nothing else.
  const pid_t pid = SpawnChild({IdemBin(), "webhook", "serve", "--listen", "127.0.0.1:0",
                                "--secret", "s", "--journal", journal},
                               (dir_ / "serve-out").string(), (dir_ / "serve-err").string());
  (void)testing::WaitUntil(std::chrono::seconds(10),
                           [&] { return !ReadWholeFile((dir_ / "serve-out").string()).empty(); });
  ::kill(pid, SIGTERM);
  EXPECT_EQ(WaitExit(pid), 0);
  Ran events = Run({"webhook", "events", "--journal", journal});
  EXPECT_EQ(events.code, 0) << events.err;
  EXPECT_EQ(events.out, "SEQ\tSESSION_ID\tSTATUS\tTYPE\tTIMESTAMP\n");
  Ran ops = Run({"ops", "list", "--journal", journal});
  EXPECT_EQ(ops.code, 0) << ops.err;
  EXPECT_EQ(ops.out.rfind("OP_ID ", 0), 0u) << ops.out;
}

// What `idem ARGS` writes to a terminal (stderr) until it exits, its stdout
// going to `stdout_path`.
std::string StderrOnATerminal(const std::vector<std::string>& args,
                              const std::string& stdout_path) {
  int master = -1;
  const pid_t pid = ::forkpty(&master, nullptr, nullptr, nullptr);
  if (pid == 0) {
    const int out = ::open(stdout_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ::dup2(out, STDOUT_FILENO);
    ::setenv("TERM", "xterm", 1);
    std::vector<char*> argv;
    const std::string bin = IdemBin();
    argv.push_back(const_cast<char*>(bin.c_str()));
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execv(bin.c_str(), argv.data());
    ::_exit(127);
  }
  std::string text;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{master, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    char buf[4096];
    const ssize_t n = ::read(master, buf, sizeof buf);
    if (n <= 0) break;  // EIO once the child has exited
    text.append(buf, static_cast<std::size_t>(n));
  }
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
  ::close(master);
  return text;
}

// A long command's progress: on a terminal, one line redrawn in place on
// stderr and left on a line of its own at the end; stdout has none of it.
TEST_F(ConventionTest, ProgressIsOneRedrawnLineOnTheTerminalAndNeverOnStdout) {
  const std::string out = (dir_ / "demo-out").string();
  const std::string tty = StderrOnATerminal({"demo", "--ops", "100", "--no-naive"}, out);
  EXPECT_NE(tty.find("\r\x1b[Kidem demo: "), std::string::npos) << tty;
  // Left on a line of its own at the end (the terminal turns "\n" into "\r\n").
  const std::size_t last = tty.rfind("\r\x1b[K");
  ASSERT_NE(last, std::string::npos) << tty;
  EXPECT_NE(tty.find("/100 ops (", last), std::string::npos) << tty.substr(last);
  EXPECT_EQ(tty.substr(tty.size() - 2), "\r\n") << tty.substr(last);
  const std::string report = ReadWholeFile(out);
  EXPECT_NE(report.find("idem: exactly once. 100 ops"), std::string::npos) << report;
  EXPECT_EQ(report.find("ops (100%)"), std::string::npos) << report;
  EXPECT_EQ(report.find('\r'), std::string::npos) << report;
}

// True when a line of `help` shows a default CLI11's way: indented, a flag
// (and its short form), its type in capitals, the allowed values in braces
// if any, then "=value": "  --listen TEXT=127.0.0.1:8790". A hand scan, not a
// regular expression: GCC 12 warns inside libstdc++'s regex compiler under
// ASan.
bool ShowsCli11Default(std::string_view help) {
  auto word = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
  std::size_t start = 0;
  while (start < help.size()) {
    std::size_t end = help.find('\n', start);
    if (end == std::string_view::npos) end = help.size();
    const std::string_view line = help.substr(start, end - start);
    start = end + 1;
    std::size_t i = line.find_first_not_of(' ');
    if (i == 0 || i == std::string_view::npos) continue;
    auto flag = [&] {  // "-" then [-\w]+
      if (line[i] != '-') return false;
      const std::size_t first = i++;
      while (i < line.size() && (line[i] == '-' || word(line[i]))) ++i;
      return i > first + 1;
    };
    if (!flag()) continue;
    if (line.substr(i, 2) == ", ") {
      i += 2;
      if (i >= line.size() || !flag()) continue;
    }
    if (i >= line.size() || line[i] != ' ') continue;
    const std::size_t type = ++i;
    while (i < line.size() && std::isupper(static_cast<unsigned char>(line[i]))) ++i;
    if (i == type) continue;
    if (line.substr(i, 2) == ":{") {
      const std::size_t close = line.find('}', i);
      if (close == std::string_view::npos) continue;
      i = close + 1;
    }
    if (i < line.size() && line[i] == '=') return true;
  }
  return false;
}

// Defaults are shown one way: "(default X)" in the flag's text, never
// CLI11's "=X" beside the flag (which `sandbox`, `webhook serve` and `chaos`
// used to print).
TEST_F(ConventionTest, DefaultsAreShownOneWay) {
  // The scan finds what CLI11 prints for a captured default, and only that.
  ASSERT_TRUE(ShowsCli11Default("Options:\n  --listen TEXT=127.0.0.1:8790  HOST:PORT"));
  ASSERT_TRUE(ShowsCli11Default("\n  --profile TEXT:{didit,ideal}=didit\n"));
  ASSERT_TRUE(ShowsCli11Default("  -p, --port UINT=8790\n"));
  ASSERT_FALSE(ShowsCli11Default("  --listen TEXT  HOST:PORT (default 127.0.0.1:8790)\n"));
  ASSERT_FALSE(ShowsCli11Default("--listen TEXT=x (not indented)\n"));
  for (const std::vector<std::string>& help : {std::vector<std::string>{"sandbox", "--help"},
                                               {"webhook", "serve", "--help"},
                                               {"chaos", "--help"},
                                               {"worker", "--help"},
                                               {"call", "--help"}}) {
    Ran ran = Run(help);
    EXPECT_EQ(ran.code, 0) << help[0];
    EXPECT_FALSE(ShowsCli11Default(ran.out)) << ran.out;
    EXPECT_NE(ran.out.find("(default "), std::string::npos) << ran.out;
  }
  EXPECT_NE(Run({"sandbox", "--help"}).out.find("(default 127.0.0.1:8790)"), std::string::npos);
}

// A failed command prints its error once: one line on stderr naming the
// command, or with --json one JSON object on stdout (the same for every
// command) and nothing on stderr; the exit code is the same either way.
TEST_F(ConventionTest, EveryCommandPrintsAnErrorOnceInTheShapeAsked) {
  const std::string journal = (dir_ / "j.db").string();
  const std::string missing = (dir_ / "missing.db").string();
  const std::string nowhere = "http://127.0.0.1:9";  // nothing listens
  struct Case {
    std::string command;  // as the error names it
    std::vector<std::string> args;
    int code;
  };
  const std::vector<Case> cases = {
      {"idem session get",
       {"session", "get", "some-session-id", "--base-url", nowhere, "--api-key", "k", "--journal",
        journal, "--max-attempts", "1"},
       3},
      {"idem call", {"call", "POST", "no-slash", "--journal", journal}, 2},
      {"idem call",
       {"call", "GET", "/v3/session/s/decision/", "--base-url", nowhere, "--api-key", "k",
        "--journal", journal, "--max-attempts", "1"},
       3},
      {"idem resume", {"resume", "--journal", missing}, 4},
      {"idem worker",
       {"worker", "--journal", (dir_ / "no-dir" / "j.db").string(), "--exit-when-idle", "--api-key",
        "k"},
       4},
      {"idem ops list", {"ops", "list", "--state", "bogus", "--journal", journal}, 2},
      {"idem ops show", {"ops", "show", "x", "--journal", missing}, 4},
      {"idem ops resolve", {"ops", "resolve", "x", "--journal", journal}, 2},
      {"idem webhook serve", {"webhook", "serve", "--listen", "nope", "--secret", "s"}, 2},
      {"idem webhook events", {"webhook", "events", "--journal", missing}, 4},
      {"idem trigger",
       {"trigger", "s", "Approved", "--base-url", "https://verification.didit.me"},
       2},
      {"idem demo", {"demo", "--faults", "bogus=1"}, 2},
      {"idem webhook destinations create",
       {"webhook", "destinations", "create", "--url", "http://a.example.com/h", "--label", "l",
        "--journal", journal},
       2},
      {"idem webhook destinations list",
       {"webhook", "destinations", "list", "--base-url", nowhere, "--api-key", "k", "--journal",
        journal, "--max-attempts", "1"},
       3},
      {"idem webhook destinations get",
       {"webhook", "destinations", "get", "some-uuid", "--base-url", nowhere, "--api-key", "k",
        "--journal", journal, "--max-attempts", "1"},
       3},
      {"idem webhook destinations update",
       {"webhook", "destinations", "update", "some-uuid", "--journal", journal},
       2},
      {"idem webhook destinations delete",
       {"webhook", "destinations", "delete", "some-uuid", "--api-key-file",
        (dir_ / "no-key").string(), "--journal", journal},
       4},
      {"idem webhook config get",
       {"webhook", "config", "get", "--base-url", nowhere, "--api-key", "k", "--journal", journal,
        "--max-attempts", "1"},
       3},
      {"idem webhook config set", {"webhook", "config", "set", "--journal", journal}, 2},
      {"idem transaction create",
       {"transaction", "create", "--transaction-id", "t", "--category", "finance", "--direction",
        "out", "--amount", "1e5", "--currency", "EUR", "--vendor-data", "u", "--full-name", "U",
        "--journal", journal},
       2},
      {"idem transaction get",
       {"transaction", "get", "some-uuid", "--base-url", nowhere, "--api-key", "k", "--journal",
        journal, "--max-attempts", "1"},
       3},
      {"idem transaction find",
       {"transaction", "find", "--transaction-id", "t", "--base-url", nowhere, "--api-key", "k",
        "--journal", journal, "--max-attempts", "1"},
       3},
      {"idem user create",
       {"user", "create", "--vendor-data", "u", "--status", "GONE", "--journal", journal},
       2},
      {"idem user get",
       {"user", "get", "u", "--base-url", nowhere, "--api-key", "k", "--journal", journal,
        "--max-attempts", "1"},
       3},
      {"idem business create",
       {"business", "create", "--vendor-data", "b", "--metadata", "[1]", "--journal", journal},
       2},
      {"idem business get",
       {"business", "get", "b", "--base-url", nowhere, "--api-key", "k", "--journal", journal,
        "--max-attempts", "1"},
       3},
      {"idem workflow create",
       {"workflow", "create", "--feature", "OCR", "--max-retry-attempts", "11", "--journal",
        journal},
       2},
      {"idem workflow list",
       {"workflow", "list", "--base-url", nowhere, "--api-key", "k", "--journal", journal,
        "--max-attempts", "1"},
       3},
      {"idem workflow get",
       {"workflow", "get", "some-uuid", "--base-url", nowhere, "--api-key", "k", "--journal",
        journal, "--max-attempts", "1"},
       3},
      {"idem session update-data",
       {"session", "update-data", "some-session-id", "--journal", journal},
       2},
      {"idem kyb search",
       {"kyb", "search", "--country-code", "US", "--name", "Acme", "--journal", journal},
       2},
      {"idem kyb select",
       {"kyb", "select", "--kyb-response-id", "h", "--metadata", "[1]", "--journal", journal},
       2},
      {"idem session share",
       {"session", "share", "some-session-id", "--for-application-id", "not-a-uuid", "--journal",
        journal},
       2},
      {"idem session import-shared",
       {"session", "import-shared", "--share-token", "t", "--workflow-id", "not-a-uuid",
        "--journal", journal},
       2},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.command);
    Ran text = Run(c.args);
    EXPECT_EQ(text.code, c.code) << text.err;
    EXPECT_EQ(text.out, "");
    EXPECT_EQ(text.err.rfind(c.command + ": ", 0), 0u) << text.err;
    EXPECT_EQ(std::count(text.err.begin(), text.err.end(), '\n'), 1) << text.err;

    std::vector<std::string> with_json = c.args;
    with_json.push_back("--json");
    Ran json = Run(with_json);
    EXPECT_EQ(json.code, c.code);
    EXPECT_EQ(json.err, "");
    EXPECT_EQ(std::count(json.out.begin(), json.out.end(), '\n'), 1) << json.out;
    // The same keys in the same order for every command (compact, sorted).
    EXPECT_EQ(json.out.rfind("{\"command\":\"" + c.command + "\",\"error\":\"", 0), 0u) << json.out;
    EXPECT_NE(json.out.find("\"message\":\""), std::string::npos) << json.out;
  }
}

}  // namespace
}  // namespace idem

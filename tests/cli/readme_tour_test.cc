// README.md's tour, run as written: the ```sh block under "A tour of the CLI"
// is extracted from the README itself and run by bash with `set -euo
// pipefail`, so a command that stops working (or a flag that disappears)
// fails `make test` instead of a reader. What the test changes, and only
// that: `$PWD/build/default` becomes the directory of the idem under test
// ($IDEM_BIN, so the ASan build runs its own), the tour's ports 8790/8791
// become free ones and /tmp/ a fresh directory, so parallel tests and an
// idem a developer is running do not collide.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>

#include "testing/child_process.h"
#include "testing/free_port.h"
#include "testing/temp_dir.h"

namespace idem {
namespace {

using testing::IdemBin;
using testing::ReadWholeFile;

std::string ReplaceAll(std::string text, const std::string& from, const std::string& to) {
  for (std::size_t at = text.find(from); at != std::string::npos;
       at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

// The tour's shell block, "" when the README has none.
std::string TourBlock(const std::string& readme) {
  const std::size_t section = readme.find("\n## A tour of the CLI\n");
  if (section == std::string::npos) return "";
  const std::size_t open = readme.find("```sh\n", section);
  if (open == std::string::npos) return "";
  const std::size_t begin = open + 6;
  const std::size_t close = readme.find("\n```", begin);
  if (close == std::string::npos) return "";
  return readme.substr(begin, close - begin + 1);
}

TEST(ReadmeTour, RunsAsWrittenAgainstTheSandbox) {
  const std::string readme = ReadWholeFile(std::string(IDEM_SOURCE_DIR) + "/README.md");
  ASSERT_FALSE(readme.empty());
  std::string tour = TourBlock(readme);
  ASSERT_FALSE(tour.empty()) << "README.md has no ```sh block under '## A tour of the CLI'";
  // The tour is the thing under test: it must use what this test replaces.
  for (const char* part : {"$PWD/build/default", "8790", "8791", "/tmp/"}) {
    ASSERT_NE(tour.find(part), std::string::npos) << "the tour no longer uses " << part;
  }

  testing::TempDir tmp("idem-tour");
  const std::filesystem::path dir = tmp.path();
  const std::string sandbox_port = std::to_string(testing::UnusedLoopbackPort());
  const std::string receiver_port = std::to_string(testing::UnusedLoopbackPort());
  // Ports first, the binary's directory last: a checkout under /tmp (CI's)
  // or with 8790 in its path must come through unchanged.
  tour = ReplaceAll(tour, "8790", sandbox_port);
  tour = ReplaceAll(tour, "8791", receiver_port);
  tour = ReplaceAll(tour, "/tmp/", dir.string() + "/");
  tour = ReplaceAll(tour, "$PWD/build/default",
                    std::filesystem::path(IdemBin()).parent_path().string());
  {
    std::ofstream script(dir / "tour.sh");
    // The trap stops the background servers however the tour ends.
    script << "set -euo pipefail\ntrap 'kill $(jobs -p) 2>/dev/null || true' EXIT\n" << tour;
  }

  // In its own process group, so a timeout stops the servers too.
  const std::string out_path = (dir / "out").string(), err_path = (dir / "err").string();
  testing::SpawnOptions options;
  options.stdout_path = out_path;
  options.stderr_path = err_path;
  options.own_process_group = true;
  testing::ChildProcess bash =
      testing::ChildProcess::Spawn({"/bin/bash", (dir / "tour.sh").string()}, options);
  ASSERT_TRUE(bash.started());

  // Bounded: the tour takes about 20 s here.
  std::optional<testing::ExitStatus> status =
      bash.WaitFor(std::chrono::seconds(240), std::chrono::milliseconds(50));
  if (!status) {
    ADD_FAILURE() << "the tour did not finish within 240 s";
    status = bash.Kill(SIGKILL);
  }
  bash = {};  // kills the group: nothing should be left; make sure
  const std::string out = ReadWholeFile(out_path), err = ReadWholeFile(err_path);
  ASSERT_TRUE(status->signal == 0 && status->code == 0)
      << "the tour failed (exit " << status->code << ", signal " << status->signal
      << ")\n--- stdout\n"
      << out << "\n--- stderr\n"
      << err;

  // Both servers came up where the tour says.
  EXPECT_NE(out.find("listening on http://127.0.0.1:" + sandbox_port), std::string::npos);
  EXPECT_NE(out.find("listening on http://127.0.0.1:" + receiver_port), std::string::npos);
  // The session was created, and its webhooks reached the receiver: the
  // sandbox finished it (--auto-complete) and `idem webhook events` lists it.
  std::string session_id;
  std::istringstream lines(out);
  for (std::string line; std::getline(lines, line);) {
    const std::size_t json = line.find("{\"callback\"");
    if (json == std::string::npos) continue;
    auto parsed = nlohmann::json::parse(line.substr(json), nullptr, false);
    if (parsed.is_object() && parsed.contains("session_id")) {
      session_id = parsed["session_id"].get<std::string>();
      break;
    }
  }
  ASSERT_FALSE(session_id.empty()) << out;
  EXPECT_NE(out.find(session_id + "\tIn Progress\tstatus.updated"), std::string::npos) << out;
  EXPECT_NE(out.find("idem chaos PASSED"), std::string::npos) << out;
  // `ops list` shows every op of the tour settled.
  EXPECT_NE(out.find("aml:user-123"), std::string::npos);
  EXPECT_EQ(out.find("needs_review "), std::string::npos);
}

}  // namespace
}  // namespace idem

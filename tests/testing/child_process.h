// Test helpers for integration tests that run the real CLI ($IDEM_BIN, set
// by CTest) as child processes, to kill them with SIGKILL or read what they
// print.
#pragma once

#include <fcntl.h>
#include <gtest/gtest.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace idem::testing {

// The CLI under test: $IDEM_BIN (CTest sets it; a test that names IDEM_BIN
// makes CMake build the CLI first), else "idem" from PATH.
inline std::string IdemBin() {
  const char* bin = std::getenv("IDEM_BIN");
  EXPECT_NE(bin, nullptr) << "IDEM_BIN is set by CTest";
  return bin && *bin ? bin : "idem";
}

// Starts `args` (args[0] is the program path). stdout goes to `out_path`
// (created or truncated; "/dev/null" drops it), stderr to `err_path` (""
// keeps the test's own stderr, so the child's diagnostics reach the test
// log). Returns the pid, or -1 (and a test failure) when it could not start.
inline pid_t SpawnChild(const std::vector<std::string>& args,
                        const std::string& out_path = "/dev/null",
                        const std::string& err_path = "/dev/null") {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0644);
  if (!err_path.empty()) {
    posix_spawn_file_actions_addopen(&actions, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_APPEND,
                                     0644);
  }
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  EXPECT_EQ(rc, 0) << "could not start " << args[0];
  return rc == 0 ? pid : -1;
}

// Waits for the child; its exit code, or -1 when a signal ended it.
inline int WaitExit(pid_t pid) {
  int status = 0;
  if (pid <= 0 || waitpid(pid, &status, 0) != pid) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// The whole file, "" when it cannot be read.
inline std::string ReadWholeFile(const std::string& path) {
  std::string text;
  if (FILE* f = std::fopen(path.c_str(), "rb")) {
    char buf[4096];
    std::size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) text.append(buf, n);
    std::fclose(f);
  }
  return text;
}

}  // namespace idem::testing

// Test helpers for tests that run real processes (the CLI in $IDEM_BIN, set
// by CTest; a shell; a forked copy of the test): start one, read what it
// prints, SIGKILL it, and see how it ended. The one way tests start a
// process; ChildProcess owns it, SpawnChild/WaitExit are the short form for
// a command run to its end.
#pragma once

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "testing/wait.h"

namespace idem::testing {

// The CLI under test: $IDEM_BIN (CTest sets it; a test that names IDEM_BIN
// makes CMake build the CLI first), else "idem" from PATH.
inline std::string IdemBin() {
  const char* bin = std::getenv("IDEM_BIN");
  EXPECT_NE(bin, nullptr) << "IDEM_BIN is set by CTest";
  return bin && *bin ? bin : "idem";
}

// How a child is started. The defaults: stdout and stderr to /dev/null, our
// environment, our limits, our process group.
struct SpawnOptions {
  // stdout goes to this file (created or truncated)...
  std::string stdout_path = "/dev/null";
  // ... or, when set, to a pipe ChildProcess::ReadLine/ReadAll read.
  bool pipe_stdout = false;
  // stderr is appended to this file; "" keeps the test's own stderr, so the
  // child's diagnostics reach the test log.
  std::string stderr_path = "/dev/null";
  // Set in the child's environment, over ours.
  std::vector<std::pair<std::string, std::string>> env = {};
  // > 0: the child's RLIMIT_NOFILE (soft and hard).
  rlim_t max_open_files = 0;
  // The child leads a process group of its own, and every signal (the
  // destructor's SIGKILL too) goes to the whole group: a shell's background
  // jobs die with it.
  bool own_process_group = false;
};

// How a child ended.
struct ExitStatus {
  int code = -1;   // its exit code; -1 when a signal ended it
  int signal = 0;  // the signal that ended it; 0 when it exited
};

// A started child process. The destructor SIGKILLs (and reaps) a child still
// running, so a failed test leaves nothing behind.
class ChildProcess {
 public:
  // Starts `args` (args[0] is the program's path). A child that cannot be
  // started fails the test; started() is then false.
  static ChildProcess Spawn(const std::vector<std::string>& args,
                            const SpawnOptions& options = {}) {
    ChildProcess child;
    child.group_ = options.own_process_group;
    std::string error;
    child.pid_ = Start(args, options, &child.stdout_fd_, &error);
    EXPECT_GT(child.pid_, 0) << "could not start " << (args.empty() ? "" : args[0]) << ": "
                             << error;
    return child;
  }

  // Runs `body` in a forked copy of this process, which exits 0 if `body`
  // returns. The body reports through its exit code (_exit), files or pipes,
  // never through GoogleTest, whose failures would stay in the child.
  static ChildProcess Fork(const std::function<void()>& body) {
    ChildProcess child;
    child.pid_ = fork();
    if (child.pid_ == 0) {
      body();
      _exit(0);
    }
    EXPECT_GT(child.pid_, 0) << "fork: " << std::strerror(errno);
    return child;
  }

  ChildProcess() = default;
  ChildProcess(ChildProcess&& other) noexcept { *this = std::move(other); }
  ChildProcess& operator=(ChildProcess&& other) noexcept {
    if (this != &other) {
      Abandon();
      pid_ = std::exchange(other.pid_, -1);
      stdout_fd_ = std::exchange(other.stdout_fd_, -1);
      group_ = other.group_;
      status_ = std::exchange(other.status_, std::nullopt);
    }
    return *this;
  }
  ~ChildProcess() { Abandon(); }

  pid_t pid() const { return pid_; }
  bool started() const { return pid_ > 0; }

  // True while the child runs (reaps it, without blocking, once it ended).
  bool Running() {
    if (pid_ <= 0 || status_) return false;
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) != pid_) return true;
    Reaped(status);
    return false;
  }

  // The next line the child wrote on its stdout (pipe_stdout), without the
  // '\n'; nullopt at EOF (it closed stdout or exited) or after `timeout`.
  std::optional<std::string> ReadLine(std::chrono::milliseconds timeout) {
    if (stdout_fd_ < 0) return std::nullopt;
    std::string line;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return std::nullopt;
      pollfd p{stdout_fd_, POLLIN, 0};
      const int ready = poll(&p, 1, static_cast<int>(left.count()));
      if (ready < 0 && errno == EINTR) continue;
      if (ready <= 0) return std::nullopt;
      char c = 0;
      const ssize_t n = read(stdout_fd_, &c, 1);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return std::nullopt;
      if (c == '\n') return line;
      line.push_back(c);
    }
  }

  // Everything the child writes on its stdout (pipe_stdout) until it closes it.
  std::string ReadAll() {
    std::string all;
    if (stdout_fd_ < 0) return all;
    char buf[4096];
    for (;;) {
      const ssize_t n = read(stdout_fd_, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return all;
      all.append(buf, static_cast<std::size_t>(n));
    }
  }

  // Sends `signal` (to its group, with own_process_group). False when the
  // child was already reaped.
  bool Signal(int signal) {
    if (pid_ <= 0 || status_) return false;
    return kill(group_ ? -pid_ : pid_, signal) == 0;
  }

  // Blocks until the child ends.
  ExitStatus Wait() {
    if (pid_ <= 0) return {};
    if (!status_) {
      int status = 0;
      pid_t r = -1;
      do {
        r = waitpid(pid_, &status, 0);
      } while (r < 0 && errno == EINTR);
      if (r != pid_) return {};
      Reaped(status);
    }
    return *status_;
  }

  // Waits at most `timeout` for the child to end; nullopt while it still runs.
  std::optional<ExitStatus> WaitFor(
      std::chrono::milliseconds timeout,
      std::chrono::milliseconds poll = std::chrono::milliseconds(20)) {
    if (pid_ <= 0) return ExitStatus{};
    if (!WaitUntil(
            timeout, [&] { return !Running(); }, poll))
      return std::nullopt;
    return status_;
  }

  // Sends `signal` and waits for the end.
  ExitStatus Kill(int signal = SIGKILL) {
    Signal(signal);
    return Wait();
  }

  // How it ended, once reaped.
  const std::optional<ExitStatus>& exit_status() const { return status_; }

  // Hands the pid over to the caller (who reaps it, with WaitExit): the
  // destructor then leaves the child alone.
  pid_t Release() {
    CloseStdout();
    return std::exchange(pid_, -1);
  }

 private:
  // Fork and execve. Everything the child needs is built before fork, so
  // that between fork and exec the child makes only async-signal-safe calls
  // (the test process has threads); an exec that fails reports its errno
  // through a close-on-exec pipe.
  static pid_t Start(const std::vector<std::string>& args, const SpawnOptions& options,
                     int* stdout_read_fd, std::string* error) {
    if (args.empty()) {
      *error = "no program";
      return -1;
    }
    std::vector<char*> argv;
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    std::vector<std::string> env_strings;
    for (char** e = environ; *e != nullptr; ++e) {
      const std::string entry(*e);
      bool replaced = false;
      for (const auto& [name, value] : options.env) {
        replaced = replaced || entry.rfind(name + "=", 0) == 0;
      }
      if (!replaced) env_strings.push_back(entry);
    }
    for (const auto& [name, value] : options.env) env_strings.push_back(name + "=" + value);
    std::vector<char*> envp;
    for (std::string& e : env_strings) envp.push_back(e.data());
    envp.push_back(nullptr);
    const rlimit files{options.max_open_files, options.max_open_files};

    int exec_status[2];
    if (pipe2(exec_status, O_CLOEXEC) != 0) {
      *error = std::strerror(errno);
      return -1;
    }
    int out[2] = {-1, -1};
    if (options.pipe_stdout && pipe2(out, O_CLOEXEC) != 0) {
      *error = std::strerror(errno);
      close(exec_status[0]);
      close(exec_status[1]);
      return -1;
    }
    const pid_t pid = fork();
    if (pid == 0) {
      int step_errno = 0;
      auto fail = [&] {
        step_errno = errno;
        (void)!write(exec_status[1], &step_errno, sizeof step_errno);
        _exit(127);
      };
      if (options.own_process_group && setpgid(0, 0) != 0) fail();
      if (options.max_open_files > 0 && setrlimit(RLIMIT_NOFILE, &files) != 0) fail();
      if (options.pipe_stdout) {
        if (dup2(out[1], STDOUT_FILENO) < 0) fail();
      } else {
        const int fd =
            open(options.stdout_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0 || dup2(fd, STDOUT_FILENO) < 0) fail();
      }
      if (!options.pipe_stdout && options.stderr_path == options.stdout_path) {
        // One file for both, as 2>&1: one offset, so neither overwrites the other.
        if (dup2(STDOUT_FILENO, STDERR_FILENO) < 0) fail();
      } else if (!options.stderr_path.empty()) {
        const int fd =
            open(options.stderr_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (fd < 0 || dup2(fd, STDERR_FILENO) < 0) fail();
      }
      execve(argv[0], argv.data(), envp.data());
      fail();
    }
    close(exec_status[1]);
    if (options.pipe_stdout) close(out[1]);
    if (pid < 0) {
      *error = std::strerror(errno);
      close(exec_status[0]);
      if (options.pipe_stdout) close(out[0]);
      return -1;
    }
    int child_errno = 0;
    ssize_t n = 0;
    do {
      n = read(exec_status[0], &child_errno, sizeof child_errno);
    } while (n < 0 && errno == EINTR);
    close(exec_status[0]);
    if (n > 0) {  // exec never happened: the child exited 127
      *error = std::strerror(child_errno);
      waitpid(pid, nullptr, 0);
      if (options.pipe_stdout) close(out[0]);
      return -1;
    }
    if (options.pipe_stdout) *stdout_read_fd = out[0];
    return pid;
  }

  void Reaped(int status) {
    status_ = WIFEXITED(status) ? ExitStatus{WEXITSTATUS(status), 0}
                                : ExitStatus{-1, WIFSIGNALED(status) ? WTERMSIG(status) : 0};
  }

  void CloseStdout() {
    if (stdout_fd_ >= 0) close(stdout_fd_);
    stdout_fd_ = -1;
  }

  void Abandon() {
    if (pid_ > 0) {
      // A group's other members may outlive its leader: signal them anyway.
      if (group_) kill(-pid_, SIGKILL);
      if (!status_) Kill(SIGKILL);
    }
    CloseStdout();
    pid_ = -1;
    status_.reset();
  }

  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  bool group_ = false;
  std::optional<ExitStatus> status_;
};

// Starts `args` (args[0] is the program path). stdout goes to `out_path`
// (created or truncated; "/dev/null" drops it), stderr to `err_path` (""
// keeps the test's own stderr, so the child's diagnostics reach the test
// log). Returns the pid for WaitExit, or -1 (and a test failure) when it
// could not start.
inline pid_t SpawnChild(const std::vector<std::string>& args,
                        const std::string& out_path = "/dev/null",
                        const std::string& err_path = "/dev/null") {
  SpawnOptions options;
  options.stdout_path = out_path;
  options.stderr_path = err_path;
  return ChildProcess::Spawn(args, options).Release();
}

// Waits for a SpawnChild child; its exit code, or -1 when a signal ended it.
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

// What a command run to its end printed, and how it ended.
struct Ran {
  int code = -1;    // its exit code; -1 when a signal ended it (or it never started)
  std::string out;  // all it wrote on stdout
  std::string err;  // all it wrote on stderr
};

// Runs `args` (args[0] is the program path) to its end. Its stdout and
// stderr go through two files in `dir` (out.txt and err.txt, overwritten), so
// a command that writes much cannot block on a full pipe.
inline Ran RunToEnd(const std::vector<std::string>& args, const std::string& dir) {
  const std::string out = dir + "/out.txt";
  const std::string err = dir + "/err.txt";
  std::remove(err.c_str());  // SpawnChild appends to stderr's file
  Ran ran;
  ran.code = WaitExit(SpawnChild(args, out, err));
  ran.out = ReadWholeFile(out);
  ran.err = ReadWholeFile(err);
  return ran;
}

}  // namespace idem::testing

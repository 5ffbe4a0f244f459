#include "chaos/process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

extern char** environ;

namespace idem::chaos {

Result<Child> Child::Spawn(const std::vector<std::string>& argv, const std::string& log_path,
                           bool pipe_stdout) {
  int fds[2] = {-1, -1};
  if (pipe_stdout && pipe2(fds, O_CLOEXEC) != 0) {
    return MakeError(ErrorCode::kIo, std::string("pipe: ") + std::strerror(errno));
  }
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 2, log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND,
                                   0644);
  if (pipe_stdout) {
    posix_spawn_file_actions_adddup2(&actions, fds[1], 1);
  } else {
    posix_spawn_file_actions_adddup2(&actions, 2, 1);
  }
  // The child must not inherit a blocked-signal mask from a caller that
  // waits for SIGTERM with sigwait (as `idem` commands do).
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
  pid_t pid = -1;
  int rc = posix_spawn(&pid, args[0], &actions, &attr, args.data(), environ);
  posix_spawnattr_destroy(&attr);
  posix_spawn_file_actions_destroy(&actions);
  if (pipe_stdout) close(fds[1]);
  if (rc != 0) {
    if (pipe_stdout) close(fds[0]);
    return MakeError(ErrorCode::kUnavailable, "cannot start " + argv[0] + ": " + std::strerror(rc));
  }
  Child child;
  child.pid_ = pid;
  child.stdout_fd_ = pipe_stdout ? fds[0] : -1;
  return child;
}

Child::Child(Child&& other) noexcept { *this = std::move(other); }

Child& Child::operator=(Child&& other) noexcept {
  if (this != &other) {
    if (running()) KillAndWait(SIGKILL);
    if (stdout_fd_ >= 0) close(stdout_fd_);
    pid_ = other.pid_;
    stdout_fd_ = other.stdout_fd_;
    exit_code_ = other.exit_code_;
    other.pid_ = -1;
    other.stdout_fd_ = -1;
    other.exit_code_.reset();
  }
  return *this;
}

Child::~Child() {
  if (running()) KillAndWait(SIGKILL);
  if (stdout_fd_ >= 0) close(stdout_fd_);
}

std::optional<std::string> Child::ReadLine(std::chrono::milliseconds timeout) {
  if (stdout_fd_ < 0) return std::nullopt;
  std::string line;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::nullopt;
    pollfd p{stdout_fd_, POLLIN, 0};
    int ready = poll(&p, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) return std::nullopt;
    char c = 0;
    ssize_t n = read(stdout_fd_, &c, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return std::nullopt;  // EOF: the child exited
    if (c == '\n') return line;
    line.push_back(c);
  }
}

void Child::Reaped(int status) { exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : -1; }

bool Child::Poll() {
  if (pid_ <= 0) return true;
  if (exit_code_) return true;
  int status = 0;
  pid_t r = waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    Reaped(status);
    return true;
  }
  if (r < 0 && errno == ECHILD) {  // reaped elsewhere: treat as gone
    exit_code_ = -1;
    return true;
  }
  return false;
}

void Child::KillAndWait(int signal) {
  if (!running()) return;
  kill(pid_, signal);
  int status = 0;
  while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  Reaped(status);
}

}  // namespace idem::chaos

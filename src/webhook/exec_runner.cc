// RunShellCommand: fork + /bin/sh -c, the event on stdin, bounded in time;
// the command gets stdin, stdout and stderr and no other descriptor.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <thread>

#include "idem/webhook_receiver.h"

namespace idem {
namespace {

// A write to a pipe whose reader has exited raises SIGPIPE; block it on this
// thread so the write fails with EPIPE instead of killing the process.
void BlockSigpipeOnThisThread() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

}  // namespace

[[nodiscard]] Status RunShellCommand(const std::string& command, std::string_view input,
                                     std::chrono::milliseconds timeout) {
  BlockSigpipeOnThisThread();
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return MakeError(ErrorCode::kIo, "pipe failed");
  pid_t pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    return MakeError(ErrorCode::kIo, "fork failed");
  }
  if (pid == 0) {
    // Child: stdin from the pipe, stdout to our stderr (stdout is the
    // receiver's own output channel).
    dup2(fds[0], STDIN_FILENO);
    dup2(STDERR_FILENO, STDOUT_FILENO);
    // Nothing else of ours may reach the command: not the listening socket
    // (a command that backgrounds a job would keep the port, and a restart
    // would fail with EADDRINUSE), not a connection, not a journal file.
    // close_range is one syscall, safe after fork in a threaded process; the
    // loop is its fallback on kernels before 5.9.
    if (close_range(3, ~0U, 0) != 0) {
      for (int fd = 3, max = static_cast<int>(sysconf(_SC_OPEN_MAX)); fd < max; ++fd) close(fd);
    }
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  close(fds[0]);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  // Feed stdin without blocking past the deadline.
  fcntl(fds[1], F_SETFL, O_NONBLOCK);
  std::size_t written = 0;
  while (written < input.size() && std::chrono::steady_clock::now() < deadline) {
    ssize_t n = write(fds[1], input.data() + written, input.size() - written);
    if (n > 0) {
      written += static_cast<std::size_t>(n);
    } else if (n < 0 && errno == EAGAIN) {
      pollfd p{fds[1], POLLOUT, 0};
      poll(&p, 1, 10);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      break;  // EPIPE: the command does not read its stdin; its exit status decides
    }
  }
  close(fds[1]);
  int status = 0;
  while (true) {
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) break;
    if (r < 0 && errno != EINTR) return MakeError(ErrorCode::kInternal, "waitpid failed");
    if (std::chrono::steady_clock::now() >= deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      return MakeError(ErrorCode::kDeadlineExceeded, "command timed out");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return {};
  if (WIFEXITED(status)) {
    return MakeError(ErrorCode::kUnavailable,
                     "command exited with status " + std::to_string(WEXITSTATUS(status)));
  }
  return MakeError(ErrorCode::kUnavailable, "command killed by a signal");
}

}  // namespace idem

// Internal to chaos: child processes of the harness (the sandbox, workers).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "idem/status.h"

namespace idem::chaos {

// A child started with posix_spawn. stdout goes to a pipe (when
// `pipe_stdout`) or to `log_path`; stderr always to `log_path` (appended).
// The destructor SIGKILLs and reaps a child still running.
class Child {
 public:
  [[nodiscard]] static Result<Child> Spawn(const std::vector<std::string>& argv,
                                           const std::string& log_path, bool pipe_stdout);
  Child() = default;
  Child(Child&& other) noexcept;
  Child& operator=(Child&& other) noexcept;
  ~Child();

  pid_t pid() const { return pid_; }
  bool running() const { return pid_ > 0 && !exit_code_; }
  // The first line the child wrote on its stdout pipe, waiting at most
  // `timeout`; nullopt when it exited or stayed silent.
  std::optional<std::string> ReadLine(std::chrono::milliseconds timeout);
  // Reaps without blocking; true once the child has exited (exit_code set).
  bool Poll();
  // Sends `signal`, then waits for the exit.
  void KillAndWait(int signal);
  // -1 when killed by a signal; nullopt while running.
  std::optional<int> exit_code() const { return exit_code_; }

 private:
  void Reaped(int status);
  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  std::optional<int> exit_code_;
};

}  // namespace idem::chaos

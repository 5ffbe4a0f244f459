// Internal to the CLI: Ctrl-C (SIGINT) and SIGTERM for the commands that
// drive ops. The first signal stops the Client (Client::Shutdown: requests
// on the wire finish, every other op parks in_flight with its lease
// released); the command then says which ops are unfinished and how to
// continue, and exits 128 + the signal. A second signal exits at once; the
// leases it still held are taken over by the next `idem resume` (or the
// same command) on this host, since its process is provably gone
// (OwnerIsProvablyDead).
#pragma once

#include <signal.h>

#include <atomic>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "idem/client.h"

namespace idem::cli {

class InterruptGuard {
 public:
  // Blocks SIGINT and SIGTERM in the calling thread, so construct it before
  // any other thread exists (threads inherit the mask), and starts the
  // thread that waits for them. `command` prefixes its messages.
  explicit InterruptGuard(std::string command);
  ~InterruptGuard();
  InterruptGuard(const InterruptGuard&) = delete;
  InterruptGuard& operator=(const InterruptGuard&) = delete;

  // What the first signal does (typically Client::Shutdown). If a signal
  // came before this was set, it runs now.
  void OnStop(std::function<void()> on_stop);

  // The first signal received, 0 if none.
  int signal() const { return signal_.load(); }
  int ExitCode() const { return 128 + signal_.load(); }

  // After a stop: prints on stderr which of `op_ids` are still unfinished
  // (read through `client`, at most 20 listed) and how to continue. Returns
  // how many are.
  std::size_t ReportUnfinished(Client& client, const std::vector<std::string>& op_ids) const;

 private:
  void Wait();

  std::string command_;
  sigset_t signals_{};
  sigset_t previous_{};
  std::atomic<bool> done_{false};
  std::atomic<int> signal_{0};
  std::mutex mu_;
  std::function<void()> on_stop_;
  bool stop_pending_ = false;
  std::thread waiter_;
};

}  // namespace idem::cli

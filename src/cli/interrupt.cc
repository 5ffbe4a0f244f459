#include "cli/interrupt.h"

#include <unistd.h>

#include <cstdio>
#include <ctime>

namespace idem::cli {

InterruptGuard::InterruptGuard(std::string command) : command_(std::move(command)) {
  sigemptyset(&signals_);
  sigaddset(&signals_, SIGINT);
  sigaddset(&signals_, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals_, &previous_);
  waiter_ = std::thread([this] { Wait(); });
}

InterruptGuard::~InterruptGuard() {
  done_ = true;
  waiter_.join();
  pthread_sigmask(SIG_SETMASK, &previous_, nullptr);
}

void InterruptGuard::OnStop(std::function<void()> on_stop) {
  std::function<void()> run_now;
  {
    std::lock_guard<std::mutex> lock(mu_);
    on_stop_ = std::move(on_stop);
    if (stop_pending_) run_now = on_stop_;
  }
  if (run_now) run_now();
}

void InterruptGuard::Wait() {
  while (!done_) {
    timespec tick{0, 50 * 1000 * 1000};
    const int sig = sigtimedwait(&signals_, nullptr, &tick);
    if (sig <= 0) continue;
    if (signal_.load() != 0) {
      std::fprintf(stderr,
                   "%s: exiting at once; the ops it held are taken over by the next `idem resume` "
                   "on this host\n",
                   command_.c_str());
      std::fflush(stderr);
      _exit(128 + sig);
    }
    signal_ = sig;
    std::fprintf(stderr,
                 "%s: %s: stopping: a request on the wire finishes, every other op is kept for "
                 "`idem resume` (press Ctrl-C again to exit at once)\n",
                 command_.c_str(), sig == SIGINT ? "interrupted" : "terminated");
    std::function<void()> stop;
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_pending_ = true;
      stop = on_stop_;
    }
    if (stop) stop();
  }
}

std::size_t InterruptGuard::ReportUnfinished(Client& client,
                                             const std::vector<std::string>& op_ids) const {
  std::size_t unfinished = 0;
  for (const std::string& id : op_ids) {
    auto op = client.Get(id);
    if (!op || !*op || IsFinal((*op)->state)) continue;
    if (++unfinished <= 20) {
      std::fprintf(stderr, "%s: op %s is %s, not settled (its key and bytes are journaled)\n",
                   command_.c_str(), id.c_str(), std::string(OpStateName((*op)->state)).c_str());
    }
  }
  if (unfinished > 20) {
    std::fprintf(stderr, "%s: ... and %zu more unfinished op(s) (`idem ops list`)\n",
                 command_.c_str(), unfinished - 20);
  }
  if (unfinished > 0) {
    std::fprintf(stderr,
                 "%s: continue with `idem resume` (or run the same command again): nothing is "
                 "sent twice\n",
                 command_.c_str());
  }
  return unfinished;
}

}  // namespace idem::cli

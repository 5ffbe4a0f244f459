// Internal: the Client's event loop in production. A few worker threads run
// short steps (state transitions and blocking journal writes); one timer
// thread moves steps whose time has come (backoff, lease renewal) onto the
// work queue. Ops never own a thread: an op waiting for a retry is one timer
// entry.
//
// Timers are real time (std::chrono::steady_clock), not ClientOptions::clock:
// a thread can only block on the real clock, and a Client given a FakeClock
// but this executor (integration tests against the sandbox do that, to move
// the key window or a lease by hand) relies on its timers firing in real time
// while the fake clock stands still. A test that wants timers on fake time
// gives the Client a hand-run Scheduler instead (client/create_client.h).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <queue>
#include <thread>
#include <vector>

#include "client/scheduler.h"

namespace idem::internal {

class Executor final : public Scheduler {
 public:
  explicit Executor(int worker_threads);
  ~Executor() override;  // Shutdown()
  Executor(const Executor&) = delete;
  Executor& operator=(const Executor&) = delete;

  void Post(Task task) override;
  // Runs `task` on a worker once `delay` (real time) has passed, or at once
  // after ExpireTimers().
  void PostAfter(std::chrono::milliseconds delay, Task task) override;
  // Makes every pending and future timer due now (used when stopping).
  void ExpireTimers() override;
  // Runs what is queued, then joins the threads. Tasks posted afterwards are
  // dropped. Idempotent.
  void Shutdown() override;

 private:
  struct Timer {
    std::chrono::steady_clock::time_point due;
    std::uint64_t seq;
    Task task;
    bool operator>(const Timer& other) const {
      return due != other.due ? due > other.due : seq > other.seq;
    }
  };
  void WorkerLoop();
  void TimerLoop();

  std::mutex mu_;
  std::condition_variable work_cv_;
  std::condition_variable timer_cv_;
  std::deque<Task> work_;
  std::priority_queue<Timer, std::vector<Timer>, std::greater<>> timers_;
  std::uint64_t next_seq_ = 0;
  bool expire_timers_ = false;
  bool stopping_ = false;
  std::vector<std::thread> workers_;
  std::thread timer_thread_;
};

}  // namespace idem::internal

// Internal: the Client's event loop. A few worker threads run short steps
// (state transitions and blocking journal writes); one timer thread moves
// steps whose time has come (backoff, lease renewal) onto the work queue.
// Ops never own a thread: an op waiting for a retry is one timer entry.
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

namespace idem::internal {

class Executor {
 public:
  using Task = std::function<void()>;
  explicit Executor(int worker_threads);
  ~Executor();  // Shutdown()
  Executor(const Executor&) = delete;
  Executor& operator=(const Executor&) = delete;

  void Post(Task task);
  // Runs `task` on a worker once `delay` (real time) has passed, or at once
  // after ExpireTimers().
  void PostAfter(std::chrono::milliseconds delay, Task task);
  // Makes every pending and future timer due now (used when stopping).
  void ExpireTimers();
  // Runs what is queued, then joins the threads. Tasks posted afterwards are
  // dropped. Idempotent.
  void Shutdown();

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

#include "client/executor.h"

#include <pthread.h>

#include <algorithm>

namespace idem::internal {

Executor::Executor(int worker_threads) {
  int n = std::max(1, worker_threads);
  workers_.reserve(static_cast<std::size_t>(n));
  // Named so that `top -H` and `perf --sort comm` tell the client's threads apart.
  for (int i = 0; i < n; ++i) {
    workers_.emplace_back([this] {
      pthread_setname_np(pthread_self(), "idem-worker");
      WorkerLoop();
    });
  }
  timer_thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "idem-timer");
    TimerLoop();
  });
}

Executor::~Executor() { Shutdown(); }

// Every notify below happens under mu_. A task posted from a thread the
// executor does not own (the transport's) may be the last thing its owner
// waits for: once a worker runs it, the owner may destroy the executor, and a
// notify after the unlock would touch a destroyed condition variable.
// Shutdown's own lock of mu_ cannot complete until the notifying thread has
// let go of it.
void Executor::Post(Task task) {
  std::lock_guard<std::mutex> lock(mu_);
  if (stopping_) return;
  work_.push_back(std::move(task));
  work_cv_.notify_one();
}

void Executor::PostAfter(std::chrono::milliseconds delay, Task task) {
  std::lock_guard<std::mutex> lock(mu_);
  if (stopping_) return;
  if (expire_timers_ || delay.count() <= 0) {
    work_.push_back(std::move(task));
    work_cv_.notify_one();
    return;
  }
  timers_.push(Timer{std::chrono::steady_clock::now() + delay, next_seq_++, std::move(task)});
  timer_cv_.notify_one();
}

void Executor::ExpireTimers() {
  std::lock_guard<std::mutex> lock(mu_);
  expire_timers_ = true;
  timer_cv_.notify_one();
}

void Executor::Shutdown() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_ && workers_.empty()) return;
    stopping_ = true;
    work_cv_.notify_all();
    timer_cv_.notify_all();
  }
  for (auto& t : workers_) {
    if (t.joinable()) t.join();
  }
  if (timer_thread_.joinable()) timer_thread_.join();
  std::lock_guard<std::mutex> lock(mu_);
  workers_.clear();
}

void Executor::WorkerLoop() {
  for (;;) {
    Task task;
    {
      std::unique_lock<std::mutex> lock(mu_);
      work_cv_.wait(lock, [this] { return stopping_ || !work_.empty(); });
      if (work_.empty()) return;  // stopping and drained
      task = std::move(work_.front());
      work_.pop_front();
    }
    task();
  }
}

void Executor::TimerLoop() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    if (stopping_) return;
    if (timers_.empty()) {
      timer_cv_.wait(lock);
      continue;
    }
    auto due = timers_.top().due;
    if (!expire_timers_ && std::chrono::steady_clock::now() < due) {
      timer_cv_.wait_until(lock, due);
      continue;
    }
    // priority_queue::top is const; the task is moved out before pop.
    Task task = std::move(const_cast<Timer&>(timers_.top()).task);
    timers_.pop();
    work_.push_back(std::move(task));
    work_cv_.notify_one();
  }
}

}  // namespace idem::internal

// A Scheduler for the client's state-machine tests: no threads, no sleeping.
// Posted steps queue until the test runs them; a timer is due at the
// FakeClock's steady time when it was set plus its delay, and runs only when
// the test moves the clock to it (AdvanceBy, AdvanceToNextTimer). So "the
// retry is not sent before 200 ms" is a plain assertion at 199 ms.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <utility>

#include "client/scheduler.h"
#include "testing/fake_clock.h"

namespace idem::testing {

class ManualScheduler final : public internal::Scheduler {
 public:
  explicit ManualScheduler(FakeClock& clock) : clock_(clock) {}

  void Post(Task task) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopped_) return;
    ready_.push_back(std::move(task));
  }
  void PostAfter(std::chrono::milliseconds delay, Task task) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopped_) return;
    if (expired_ || delay.count() <= 0) {
      ready_.push_back(std::move(task));
      return;
    }
    timers_.emplace(std::make_pair(clock_.SteadyNow() + delay, next_seq_++), std::move(task));
  }
  void ExpireTimers() override {
    std::lock_guard<std::mutex> lock(mu_);
    expired_ = true;
    for (auto& [due, task] : timers_) ready_.push_back(std::move(task));
    timers_.clear();
  }
  // As the Executor's: what is queued runs, later posts are dropped.
  void Shutdown() override {
    RunUntilIdle();
    std::lock_guard<std::mutex> lock(mu_);
    stopped_ = true;
  }

  // Runs posted steps and timers due by now, in order, until none is left
  // (steps may post more). Time does not move. Returns how many ran.
  std::size_t RunUntilIdle() {
    std::size_t ran = 0;
    while (auto task = Next()) {
      (*task)();
      // A step that re-posts itself forever is a bug in the driver (or a
      // test that forgot to move time); fail instead of hanging.
      if (++ran > kMaxSteps) {
        ADD_FAILURE() << "ManualScheduler: more than " << kMaxSteps << " steps without idling";
        break;
      }
    }
    return ran;
  }

  // Moves the clock forward by `d`, stopping at each timer due on the way
  // (in due order) to run it and whatever it posts, as real time would.
  void AdvanceBy(std::chrono::milliseconds d) {
    const auto end = clock_.SteadyNow() + d;
    RunUntilIdle();
    for (;;) {
      std::optional<std::chrono::steady_clock::time_point> due = NextDue();
      if (!due || *due > end) break;
      MoveClockTo(*due);
      RunUntilIdle();
    }
    MoveClockTo(end);
    RunUntilIdle();
  }

  // Moves the clock to the earliest timer and runs what is due; false when
  // no timer is set.
  bool AdvanceToNextTimer() {
    RunUntilIdle();
    std::optional<std::chrono::steady_clock::time_point> due = NextDue();
    if (!due) return false;
    MoveClockTo(*due);
    RunUntilIdle();
    return true;
  }

  // How long until the earliest timer is due (nullopt: none set).
  std::optional<std::chrono::milliseconds> NextTimerIn() const {
    std::optional<std::chrono::steady_clock::time_point> due = NextDue();
    if (!due) return std::nullopt;
    return std::chrono::duration_cast<std::chrono::milliseconds>(*due - clock_.SteadyNow());
  }
  std::size_t timers() const {
    std::lock_guard<std::mutex> lock(mu_);
    return timers_.size();
  }

 private:
  static constexpr std::size_t kMaxSteps = 100000;
  using Key = std::pair<std::chrono::steady_clock::time_point, std::uint64_t>;

  std::optional<Task> Next() {
    std::lock_guard<std::mutex> lock(mu_);
    if (!ready_.empty()) {
      Task task = std::move(ready_.front());
      ready_.pop_front();
      return task;
    }
    if (!timers_.empty() && timers_.begin()->first.first <= clock_.SteadyNow()) {
      Task task = std::move(timers_.begin()->second);
      timers_.erase(timers_.begin());
      return task;
    }
    return std::nullopt;
  }
  std::optional<std::chrono::steady_clock::time_point> NextDue() const {
    std::lock_guard<std::mutex> lock(mu_);
    if (timers_.empty()) return std::nullopt;
    return timers_.begin()->first.first;
  }
  void MoveClockTo(std::chrono::steady_clock::time_point t) {
    const auto now = clock_.SteadyNow();
    if (t > now) clock_.Advance(std::chrono::duration_cast<std::chrono::milliseconds>(t - now));
  }

  FakeClock& clock_;
  mutable std::mutex mu_;
  std::deque<Task> ready_;
  std::map<Key, Task> timers_;
  std::uint64_t next_seq_ = 0;
  bool expired_ = false;
  bool stopped_ = false;
};

}  // namespace idem::testing

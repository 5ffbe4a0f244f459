// Internal: where the Client's steps and timers run. The Client never waits
// itself: every step (a state transition, a journal write) is posted, and
// every wait (a backoff, a pushback, a lease renewal, a rate grant's retry)
// is a timer. So whoever implements this decides what time is: the real
// Executor (client/executor.h: worker threads and a timer thread on the real
// steady clock), or a test's hand-run scheduler that runs timers when a
// FakeClock reaches them, on the test's thread, without sleeping
// (tests/client/manual_scheduler.h).
#pragma once

#include <chrono>
#include <functional>

namespace idem::internal {

class Scheduler {
 public:
  using Task = std::function<void()>;
  virtual ~Scheduler() = default;

  // Runs `task` soon, never inside this call (the caller may hold a lock
  // the task takes).
  virtual void Post(Task task) = 0;
  // Runs `task` once `delay` has passed, or at once after ExpireTimers().
  virtual void PostAfter(std::chrono::milliseconds delay, Task task) = 0;
  // Makes every pending and future timer due now (used when stopping).
  virtual void ExpireTimers() = 0;
  // Runs what is queued; tasks posted afterwards are dropped. Idempotent.
  // The Client calls it last, once no op of it is left.
  virtual void Shutdown() = 0;
};

}  // namespace idem::internal

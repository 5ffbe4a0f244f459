// Waiting for something the test does not control (a real process, a server
// thread, another database session) to happen: poll a predicate until it
// holds or a real-time deadline passes. A timeout returns false instead of
// hanging, so the test fails with its own message and CTest's TIMEOUT stays
// a last resort. Not for logic under test: unit tests inject a FakeClock
// (fake_clock.h) and never sleep. Free of GoogleTest, so test libraries
// (pg_cluster.cc) use it too.
#pragma once

#include <chrono>
#include <thread>
#include <utility>

namespace idem::testing {

// True as soon as `done()` returns true; false once `deadline` has passed
// with `done()` still false (it is asked one last time after the deadline).
// `poll` is how long to sleep between two asks: how late the wait notices.
template <typename Predicate>
[[nodiscard]] bool WaitUntil(std::chrono::steady_clock::time_point deadline, Predicate&& done,
                             std::chrono::milliseconds poll = std::chrono::milliseconds(10)) {
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(poll);
  }
  return true;
}

// The same, with the deadline `timeout` from now.
template <typename Predicate>
[[nodiscard]] bool WaitUntil(std::chrono::milliseconds timeout, Predicate&& done,
                             std::chrono::milliseconds poll = std::chrono::milliseconds(10)) {
  return WaitUntil(std::chrono::steady_clock::now() + timeout, std::forward<Predicate>(done), poll);
}

}  // namespace idem::testing

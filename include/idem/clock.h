// Time is injected everywhere in idem: production code takes a Clock (and a
// Sleeper where it must block), tests pass idem::testing::FakeClock and never
// sleep to wait for something.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

namespace idem {

class Clock {
 public:
  virtual ~Clock() = default;
  // Wall-clock time: used for persisted timestamps, HTTP dates, key windows.
  virtual std::chrono::system_clock::time_point Now() const = 0;
  // Monotonic time: used for timeouts, backoff deadlines and latency.
  virtual std::chrono::steady_clock::time_point SteadyNow() const = 0;
};

class SystemClock final : public Clock {
 public:
  std::chrono::system_clock::time_point Now() const override {
    return std::chrono::system_clock::now();
  }
  std::chrono::steady_clock::time_point SteadyNow() const override {
    return std::chrono::steady_clock::now();
  }
};

// The process-wide real clock.
std::shared_ptr<Clock> DefaultClock();

class Sleeper {
 public:
  virtual ~Sleeper() = default;
  virtual void SleepFor(std::chrono::milliseconds duration) = 0;
};

class RealSleeper final : public Sleeper {
 public:
  void SleepFor(std::chrono::milliseconds duration) override;
};

// Milliseconds since the Unix epoch, the unit idem stores timestamps in.
inline std::int64_t ToUnixMillis(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}
inline std::chrono::system_clock::time_point FromUnixMillis(std::int64_t ms) {
  return std::chrono::system_clock::time_point(std::chrono::milliseconds(ms));
}

// "2026-11-27T23:15:55.123Z" (UTC, milliseconds), for logs, audit lines and
// reports.
std::string FormatIsoMillis(std::int64_t unix_ms);

}  // namespace idem

#include "idem/clock.h"

#include <thread>

#include "common/crypto.h"
#include "idem/random.h"

namespace idem {

std::shared_ptr<Clock> DefaultClock() {
  static const std::shared_ptr<Clock> clock = std::make_shared<SystemClock>();
  return clock;
}

void RealSleeper::SleepFor(std::chrono::milliseconds duration) {
  std::this_thread::sleep_for(duration);
}

std::uint64_t CryptoRandom::NextU64() {
  std::uint64_t value = 0;
  crypto::RandomBytes(&value, sizeof value);
  return value;
}

}  // namespace idem

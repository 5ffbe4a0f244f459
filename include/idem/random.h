// Randomness is injected: jitter and fault decisions take a RandomSource so
// that tests (and `--seed` runs) are reproducible. Keys never use it; they come
// from the CSPRNG (see uuid.h).
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <random>

namespace idem {

class RandomSource {
 public:
  virtual ~RandomSource() = default;
  virtual std::uint64_t NextU64() = 0;
  // Uniform in [0, 1).
  double NextDouble() { return static_cast<double>(NextU64() >> 11) * 0x1.0p-53; }
  // Uniform in [lo, hi] (inclusive); requires lo <= hi.
  std::uint64_t NextInRange(std::uint64_t lo, std::uint64_t hi) {
    if (hi <= lo) return lo;
    return lo + NextU64() % (hi - lo + 1);
  }
};

// A deterministic, thread-safe generator (mt19937_64) for jitter and faults.
class SeededRandom final : public RandomSource {
 public:
  explicit SeededRandom(std::uint64_t seed) : engine_(seed) {}
  std::uint64_t NextU64() override {
    std::lock_guard<std::mutex> lock(mu_);
    return engine_();
  }

 private:
  std::mutex mu_;
  std::mt19937_64 engine_;
};

// Non-deterministic randomness from OpenSSL's CSPRNG.
class CryptoRandom final : public RandomSource {
 public:
  std::uint64_t NextU64() override;
};

}  // namespace idem

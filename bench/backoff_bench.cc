// Backoff and retry-budget micro-benchmarks: the per-retry cost of picking a
// delay (full and decorrelated jitter) and of taking/refunding budget tokens.
#include <benchmark/benchmark.h>

#include <memory>

#include "idem/random.h"
#include "idem/retry.h"

namespace {

template <typename Backoff>
void BM_Backoff(benchmark::State& state) {
  auto random = std::make_shared<idem::SeededRandom>(42);
  Backoff prototype(std::chrono::milliseconds(100), std::chrono::seconds(20), random);
  auto backoff = prototype.Clone();
  int n = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(backoff->OnCompletion());
    if (++n == 8) {  // a fresh op every 8 retries, as the client clones per op
      backoff = prototype.Clone();
      n = 0;
    }
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Backoff<idem::FullJitterBackoff>);
BENCHMARK(BM_Backoff<idem::DecorrelatedJitterBackoff>);

void BM_RetryBudget(benchmark::State& state) {
  idem::RetryBudget budget;
  for (auto _ : state) {
    benchmark::DoNotOptimize(budget.TryAcquireRetry(false));
    budget.OnSuccess();
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RetryBudget);

}  // namespace

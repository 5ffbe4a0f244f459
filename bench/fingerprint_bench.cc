#include <benchmark/benchmark.h>

#include <string>

#include "idem/uuid.h"
#include "idem/webhook_signature.h"

static void BM_RequestFingerprint(benchmark::State& state) {
  std::string body(static_cast<std::size_t>(state.range(0)), 'x');
  for (auto _ : state) {
    benchmark::DoNotOptimize(idem::RequestFingerprint("POST", "/v3/session/", body));
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
}
BENCHMARK(BM_RequestFingerprint)->Arg(256)->Arg(4096)->Arg(1 << 20);

static void BM_NewUuidV4(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(idem::NewUuidV4());
}
BENCHMARK(BM_NewUuidV4);

// The webhook receiver's per-event HMAC (Didit's raw-body signature).
static void BM_SignDidit(benchmark::State& state) {
  const std::string body(static_cast<std::size_t>(state.range(0)), 'x');
  for (auto _ : state) benchmark::DoNotOptimize(idem::SignDidit("secret", body, 1700000000));
}
BENCHMARK(BM_SignDidit)->Arg(512);

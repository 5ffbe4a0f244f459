// Webhook micro-benchmarks: signature verification, the canonical JSON, and
// verified-and-stored events per second (in process, and over HTTP through
// the real receiver). See docs/webhook.md for figures.
#include <benchmark/benchmark.h>

#include <atomic>
#include <filesystem>

#include "idem/transport.h"
#include "idem/webhook_inbox.h"
#include "idem/webhook_receiver.h"
#include "idem/webhook_signature.h"
#include "perf/bench.h"

namespace {

constexpr char kSecret[] = "bench-secret";

std::string Event(std::int64_t n) { return idem::WebhookBenchEvent(n); }  // ~700 bytes

std::int64_t Now() { return idem::ToUnixMillis(std::chrono::system_clock::now()) / 1000; }

idem::WebhookVerifier Verifier() {
  idem::VerifierOptions o;
  o.secrets = {kSecret};
  return *idem::WebhookVerifier::Create(idem::WebhookScheme::kDidit, o);
}

void BM_VerifyRaw(benchmark::State& state) {
  auto verifier = Verifier();
  std::string body = Event(1);
  auto headers = idem::SignDidit(kSecret, body, Now());
  for (auto _ : state) benchmark::DoNotOptimize(verifier.Verify(headers, body));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_VerifyRaw);

void BM_VerifyV2Fallback(benchmark::State& state) {
  auto verifier = Verifier();
  std::string body = Event(1);
  auto headers = idem::SignDidit(kSecret, body, Now());
  std::string reencoded = *idem::CanonicalJson(body);  // raw signature fails, V2 must match
  for (auto _ : state) benchmark::DoNotOptimize(verifier.Verify(headers, reencoded));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_VerifyV2Fallback);

void BM_CanonicalJson(benchmark::State& state) {
  std::string body = Event(1);
  for (auto _ : state) benchmark::DoNotOptimize(idem::CanonicalJson(body));
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(body.size()));
}
BENCHMARK(BM_CanonicalJson);

std::string FreshDb(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() / ("idem-webhook-bench-" + name);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return (dir / "journal.db").string();
}

// Verify + Accept (FULL sync, group commit across threads), unique events.
std::unique_ptr<idem::WebhookInbox> g_inbox;
std::atomic<std::int64_t> g_next{0};

void BM_VerifyAndStore(benchmark::State& state) {
  if (state.thread_index() == 0) {
    idem::InboxOptions o;
    o.durability =
        state.range(0) == 0 ? idem::Durability::kPowerLoss : idem::Durability::kProcessCrash;
    g_inbox = std::move(*idem::WebhookInbox::Open(FreshDb("store"), o));
  }
  auto verifier = Verifier();
  std::int64_t ts = Now();
  for (auto _ : state) {
    state.PauseTiming();
    std::string body = Event(g_next++);
    auto headers = idem::SignDidit(kSecret, body, ts);
    state.ResumeTiming();
    if (!verifier.Verify(headers, body)) state.SkipWithError("verify failed");
    auto r = g_inbox->Accept(body);
    if (!r || r->outcome != idem::InboxOutcome::kStored) state.SkipWithError("store failed");
  }
  state.SetItemsProcessed(state.iterations());
  if (state.thread_index() == 0) g_inbox.reset();
}
// Arg 0: synchronous=FULL (the default); 1: synchronous=NORMAL.
BENCHMARK(BM_VerifyAndStore)->Arg(0)->Arg(1)->Threads(1)->Threads(32)->UseRealTime();

// The whole path: libcurl -> Beast -> verify -> SQLite (FULL sync) -> 200,
// `in_flight` requests at a time, for 2 s (the same code as `idem bench`).
void BM_HttpReceive(benchmark::State& state) {
  idem::WebhookBenchOptions o;
  o.in_flight = static_cast<int>(state.range(0));
  o.receiver_threads = static_cast<int>(state.range(1));  // HTTP I/O threads
  o.duration = std::chrono::seconds(2);
  std::int64_t events = 0;
  for (auto _ : state) {
    auto r = idem::RunWebhookReceiveBench(o);
    if (!r || r->failures > 0) {
      state.SkipWithError("some deliveries were not stored");
      break;
    }
    state.SetIterationTime(r->seconds);
    events += static_cast<std::int64_t>(r->events);
  }
  state.SetItemsProcessed(events);
}
// Args: requests in flight, receiver threads.
BENCHMARK(BM_HttpReceive)
    ->Args({1, 2})
    ->Args({32, 2})
    ->Args({32, 32})
    ->Args({128, 2})
    ->UseManualTime()
    ->Iterations(1);

}  // namespace

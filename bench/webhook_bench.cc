// Webhook micro-benchmarks: signature verification, the canonical JSON, and
// verified-and-stored events per second (in process, and over HTTP through
// the real receiver). See docs/webhook.md for figures.
#include <benchmark/benchmark.h>

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <mutex>

#include "idem/transport.h"
#include "idem/webhook_inbox.h"
#include "idem/webhook_receiver.h"
#include "idem/webhook_signature.h"

namespace {

constexpr char kSecret[] = "bench-secret";

// A realistic Didit status.updated payload (~700 bytes), unique per n.
std::string Event(std::int64_t n) {
  std::string id = std::to_string(n);
  return R"({"event_id": "evt-)" + id +
         R"(", "webhook_type": "status.updated", "timestamp": 1800000000, "created_at": )"
         R"(1799999990, "session_id": "sess-)" +
         id +
         R"(", "status": "Approved", "workflow_id": "0b6c2f7e-1d4a-4c55-9f3e-111111111111", )"
         R"("vendor_data": "user-)" +
         id +
         R"(", "metadata": {"plan": "gold", "region": "eu"}, "decision": {"session_id": "sess-)" +
         id +
         R"(", "status": "Approved", "id_verification": {"status": "Approved", "document_type": )"
         R"("Passport", "first_name": "Zo\u00eb", "score": 1.0, "age": 34.5}, "liveness": )"
         R"({"status": "Approved", "score": 98.7}, "face_match": {"status": "Approved", )"
         R"("score": 91.25}}})";
}

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
// `in_flight` requests at a time.
void BM_HttpReceive(benchmark::State& state) {
  const int in_flight = static_cast<int>(state.range(0));
  idem::WebhookReceiverOptions ro;
  ro.port = 0;
  ro.threads = static_cast<int>(state.range(1));  // handlers that can wait in one group commit
  ro.verifier.secrets = {kSecret};
  ro.journal_path = FreshDb("http");
  auto receiver = std::move(*idem::WebhookReceiver::Start(ro));
  idem::TransportOptions to;
  to.max_in_flight = in_flight;
  auto transport = idem::MakeCurlTransport(to);
  std::string url = receiver->url() + "/webhooks/didit";
  std::int64_t n = 0, failures = 0;
  for (auto _ : state) {
    std::mutex mu;
    std::condition_variable cv;
    int outstanding = in_flight;
    for (int i = 0; i < in_flight; ++i) {
      std::string body = Event(n++);
      transport->Send({"POST", url, idem::SignDidit(kSecret, body, Now()), body},
                      [&](idem::TransportResult r) {
                        std::lock_guard<std::mutex> lock(mu);
                        if (!r || r->status != 200) ++failures;
                        if (--outstanding == 0) cv.notify_all();
                      });
    }
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return outstanding == 0; });
  }
  if (failures > 0) state.SkipWithError("some deliveries were not stored");
  state.SetItemsProcessed(state.iterations() * in_flight);
}
// Args: requests in flight, receiver threads.
BENCHMARK(BM_HttpReceive)->Args({1, 2})->Args({32, 2})->Args({32, 32})->UseRealTime()->MinTime(2.0);

}  // namespace

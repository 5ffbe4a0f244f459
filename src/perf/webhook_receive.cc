// Verified-and-stored webhook events per second over HTTP: libcurl ->
// WebhookReceiver (Beast) -> signature check -> SQLite inbox commit -> 200.
#include <algorithm>
#include <condition_variable>
#include <functional>
#include <mutex>

#include "idem/transport.h"
#include "idem/webhook_receiver.h"
#include "idem/webhook_signature.h"
#include "perf/bench.h"
#include "perf/temp_dir.h"

namespace idem {
namespace {
constexpr char kSecret[] = "bench-secret";
}  // namespace

std::string WebhookBenchEvent(std::int64_t n) {
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

[[nodiscard]] Result<WebhookBenchResult> RunWebhookReceiveBench(
    const WebhookBenchOptions& options) {
  const int in_flight = std::max(1, options.in_flight);
  auto dir = perf::TempDir::Create("idem-webhook-bench");
  if (!dir) return tl::unexpected(dir.error());
  WebhookReceiverOptions ro;
  ro.port = 0;
  ro.threads = std::max(1, options.receiver_threads);
  ro.verifier.secrets = {kSecret};
  ro.journal_path = dir->File("journal.db");
  auto receiver = WebhookReceiver::Start(std::move(ro));
  if (!receiver) return tl::unexpected(receiver.error());
  TransportOptions to;
  to.max_in_flight = in_flight;
  auto transport = MakeCurlTransport(to);
  const std::string url = (*receiver)->url() + "/webhooks/didit";

  // Keeps `in_flight` deliveries on the wire until the time is up: each
  // answer sends the next event from the transport's callback.
  std::mutex mu;
  std::condition_variable cv;
  WebhookBenchResult result;
  std::int64_t next = 0;
  int outstanding = 0;
  const auto start = std::chrono::steady_clock::now();
  const auto stop_at = start + options.duration;
  // Send never runs under `mu`: a transport may call back synchronously.
  std::function<void()> send_one;
  send_one = [&] {
    std::string body;
    {
      std::lock_guard<std::mutex> lock(mu);
      body = WebhookBenchEvent(next++);
    }
    const std::int64_t now = ToUnixMillis(std::chrono::system_clock::now()) / 1000;
    transport->Send({"POST", url, SignDidit(kSecret, body, now), body}, [&](TransportResult r) {
      bool more = std::chrono::steady_clock::now() < stop_at;
      {
        std::lock_guard<std::mutex> lock(mu);
        if (r && r->status == 200) {
          ++result.events;
        } else {
          ++result.failures;
        }
        if (!more && --outstanding == 0) cv.notify_all();
      }
      if (more) send_one();
    });
  };
  {
    std::lock_guard<std::mutex> lock(mu);
    outstanding = in_flight;
  }
  for (int i = 0; i < in_flight; ++i) send_one();
  {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return outstanding == 0; });
  }
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  result.events_per_second =
      result.seconds > 0 ? static_cast<double>(result.events) / result.seconds : 0;
  transport.reset();
  (*receiver)->Stop();
  return result;
}

}  // namespace idem

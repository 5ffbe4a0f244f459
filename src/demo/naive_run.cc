// The naive column: what a plain client does with the same workload and the
// same faults. No Idempotency-Key, no journal, no look-up: any failure
// (connection lost, timeout, any non-2xx) is simply sent again, up to
// max_attempts. Every retry after a drop_after or a 500-after-commit executes
// the request a second time.
#include <algorithm>
#include <atomic>
#include <thread>

#include "demo/counting_transport.h"
#include "demo/runs.h"
#include "demo/server_tally.h"
#include "idem/clock.h"
#include "idem/sandbox.h"

namespace idem::demo {

namespace {
using Ms = std::chrono::milliseconds;
using SteadyClock = std::chrono::steady_clock;
}  // namespace

[[nodiscard]] Result<DemoRunReport> RunNaive(const DemoOptions& options,
                                             const std::vector<WorkItem>& items,
                                             const DemoProgressSink& progress) {
  // A fresh sandbox with the same faults and seed; no webhooks (nobody
  // listens), sessions still auto-complete.
  auto sandbox = Sandbox::Start(DemoSandboxOptions(options));
  if (!sandbox) return tl::unexpected(sandbox.error());
  auto transport = MakeDemoTransport(options);
  RealSleeper sleeper;

  const int total = static_cast<int>(items.size());
  const std::string base_url = (*sandbox)->base_url();
  std::atomic<std::size_t> next{0};
  std::atomic<int> done{0};
  std::atomic<int> started{0};
  std::vector<double> latencies(items.size(), 0.0);
  std::vector<double> done_at(items.size(), 0.0);
  std::vector<int> sends(items.size(), 0);
  const auto t0 = SteadyClock::now();
  {
    ProgressTicker ticker(progress, options.progress_interval, [&] {
      // Every request of the naive client sends an op.
      const std::uint64_t requests = transport->requests();
      return DrivingProgress("naive", done.load(), total, requests, requests,
                             static_cast<std::uint64_t>(started.load()), t0);
    });
    // One blocking worker per in-flight op: the simplest client there is.
    std::vector<std::thread> workers;
    for (int w = 0; w < options.concurrency; ++w) {
      workers.emplace_back([&] {
        for (std::size_t i = next++; i < items.size(); i = next++) {
          ++started;
          const WorkItem& item = items[i];
          auto start = SteadyClock::now();
          for (int attempt = 1; attempt <= options.max_attempts; ++attempt) {
            sends[i] = attempt;
            HttpRequest req;
            req.method = "POST";
            req.url = base_url + item.path;
            req.headers = {{"x-api-key", "sandbox-key"}, {"Content-Type", item.content_type}};
            req.body = item.body;
            TransportResult r = transport->SendAndWait(std::move(req));
            if (r && r->status >= 200 && r->status <= 299) break;
            // Plain exponential backoff, no jitter, no Retry-After.
            if (attempt < options.max_attempts) {
              sleeper.SleepFor(std::min(Ms(50) * (1 << (attempt - 1)), Ms(1000)));
            }
          }
          const auto now = SteadyClock::now();
          latencies[i] = std::chrono::duration<double, std::milli>(now - start).count();
          done_at[i] = std::chrono::duration<double, std::milli>(now - t0).count();
          ++done;
        }
      });
    }
    for (auto& t : workers) t.join();
  }
  DemoRunReport run;
  run.seconds = std::chrono::duration<double>(SteadyClock::now() - t0).count();
  run.ops_per_s = run.seconds > 0 ? total / run.seconds : 0;
  run.p50_ms = Percentile(latencies, 50);
  run.p99_ms = Percentile(latencies, 99);
  run.timeline.op_latency_ms = std::move(latencies);
  std::sort(done_at.begin(), done_at.end());
  run.timeline.op_done_ms = std::move(done_at);
  for (int n : sends) {
    const auto at = static_cast<std::size_t>(n);
    if (run.attempts_per_op.size() <= at) run.attempts_per_op.resize(at + 1);
    ++run.attempts_per_op[at];
  }
  // Let pending auto-completes finish so the records are final.
  (*sandbox)->WaitWebhooksIdle(options.settle_timeout);

  auto tally = TallyRun(**sandbox, items, run);
  if (!tally) return tl::unexpected(tally.error());
  // Without a journal, an op is lost when the server never executed it.
  run.lost = tally->never_executed;
  run.retries = transport->requests() > static_cast<std::uint64_t>(total)
                    ? transport->requests() - static_cast<std::uint64_t>(total)
                    : 0;
  (*sandbox)->Stop();
  return run;
}

}  // namespace idem::demo

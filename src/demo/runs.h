// The two halves of the demo. Each starts its own sandbox (fresh, same faults
// and seed) and returns its column of the report.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "demo/counting_transport.h"
#include "demo/demo.h"
#include "demo/workload.h"
#include "idem/sandbox.h"
#include "idem/status.h"

namespace idem::demo {

// The journaled client, webhooks, heal and resume. `workdir` holds the
// temporary journal.
[[nodiscard]] Result<DemoRunReport> RunIdem(const DemoOptions& options,
                                            const std::vector<WorkItem>& items,
                                            const std::string& workdir,
                                            const DemoProgressSink& progress);

// No Idempotency-Key, plain retries on any failure, no journal.
[[nodiscard]] Result<DemoRunReport> RunNaive(const DemoOptions& options,
                                             const std::vector<WorkItem>& items,
                                             const DemoProgressSink& progress);

// Both runs drive the same kind of sandbox (port 0, the demo's faults, seed
// and auto-complete; the idem run adds its webhook receiver) through the same
// transport limits (2 x concurrency in flight, 10 s per request), counted.
SandboxOptions DemoSandboxOptions(const DemoOptions& options);
std::shared_ptr<CountingTransport> MakeDemoTransport(const DemoOptions& options);

// A "driving" progress sample. `sends` counts the requests that sent an op
// (first sends and retries alike) and `begun` the ops started, so retries are
// their difference.
DemoProgress DrivingProgress(std::string run, int done, int total, std::uint64_t requests,
                             std::uint64_t sends, std::uint64_t begun,
                             std::chrono::steady_clock::time_point t0);

// Reports progress every `interval` on its own thread until destroyed.
class ProgressTicker {
 public:
  using Sample = std::function<DemoProgress()>;
  ProgressTicker(const DemoProgressSink& sink, std::chrono::milliseconds interval, Sample sample);
  ~ProgressTicker();
  ProgressTicker(const ProgressTicker&) = delete;
  ProgressTicker& operator=(const ProgressTicker&) = delete;

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace idem::demo

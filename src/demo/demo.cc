// RunDemo: validates options, makes the temporary directory, runs the idem
// column and then the naive column, and removes the directory.
#include "demo/demo.h"

#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <thread>

#include "demo/runs.h"
#include "demo/workload.h"
#include "idem/uuid.h"

namespace idem {

namespace demo {

struct ProgressTicker::State {
  std::mutex mu;
  std::condition_variable cv;
  bool stop = false;
  std::thread thread;
};

SandboxOptions DemoSandboxOptions(const DemoOptions& options) {
  SandboxOptions so;
  so.port = 0;
  so.faults = options.faults;
  so.seed = options.seed;
  so.auto_complete = options.auto_complete;
  return so;
}

std::shared_ptr<CountingTransport> MakeDemoTransport(const DemoOptions& options) {
  TransportOptions to;
  to.max_in_flight = options.concurrency * 2;
  to.max_connections_per_host = options.concurrency;
  to.total_timeout = std::chrono::milliseconds(10000);
  return std::make_shared<CountingTransport>(MakeCurlTransport(to));
}

DemoProgress DrivingProgress(std::string run, int done, int total, std::uint64_t requests,
                             std::uint64_t sends, std::uint64_t begun,
                             std::chrono::steady_clock::time_point t0) {
  DemoProgress p;
  p.run = std::move(run);
  p.phase = "driving";
  p.done = done;
  p.total = total;
  p.requests = requests;
  p.retries = sends > begun ? sends - begun : 0;
  p.elapsed_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  p.ops_per_s = p.elapsed_s > 0 ? p.done / p.elapsed_s : 0;
  return p;
}

ProgressTicker::ProgressTicker(const DemoProgressSink& sink, std::chrono::milliseconds interval,
                               Sample sample)
    : state_(std::make_shared<State>()) {
  if (!sink) return;
  state_->thread = std::thread([state = state_, sink, interval, sample = std::move(sample)] {
    std::unique_lock<std::mutex> lock(state->mu);
    // A periodic display, not a wait for an event: the timeout is the point.
    while (!state->cv.wait_for(lock, interval, [&] { return state->stop; })) {
      lock.unlock();
      sink(sample());
      lock.lock();
    }
    lock.unlock();
    DemoProgress last = sample();
    last.phase = "done";
    sink(last);
  });
}

ProgressTicker::~ProgressTicker() {
  if (!state_->thread.joinable()) return;
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    state_->stop = true;
  }
  state_->cv.notify_all();
  state_->thread.join();
}

namespace {
// Removes the directory on every path out of RunDemo.
struct TempDir {
  std::filesystem::path path;
  ~TempDir() {
    std::error_code ec;
    if (!path.empty()) std::filesystem::remove_all(path, ec);
  }
};
}  // namespace

}  // namespace demo

[[nodiscard]] Result<DemoReport> RunDemo(const DemoOptions& options,
                                         const DemoProgressSink& progress) {
  if (options.sessions < 0 || options.aml_checks < 0 || options.poa_checks < 0 ||
      options.age_checks < 0 ||
      options.sessions + options.aml_checks + options.poa_checks + options.age_checks == 0) {
    return MakeError(ErrorCode::kInvalidArgument, "the demo needs at least one op");
  }
  if (options.concurrency < 1 || options.concurrency > 1024) {
    return MakeError(ErrorCode::kInvalidArgument, "concurrency must be 1..1024");
  }
  if (options.max_attempts < 1 || options.max_attempts > 30) {
    return MakeError(ErrorCode::kInvalidArgument, "max_attempts must be 1..30");
  }
  const auto t0 = std::chrono::steady_clock::now();
  const std::string tag = NewUuidV4().substr(0, 8);
  auto items = demo::MakeWorkload(options, tag);
  if (!items) return tl::unexpected(items.error());

  demo::TempDir dir;
  std::error_code ec;
  dir.path = std::filesystem::temp_directory_path(ec) / ("idem-demo-" + NewUuidV4());
  if (ec || !std::filesystem::create_directories(dir.path, ec) || ec) {
    return MakeError(ErrorCode::kIo, "cannot create a temporary directory for the journal");
  }

  DemoReport report;
  report.seed = options.seed;
  report.faults = options.faults;
  report.webhook_faults = options.webhook_faults;
  report.concurrency = options.concurrency;
  auto idem_run = demo::RunIdem(options, *items, dir.path.string(), progress);
  if (!idem_run) return tl::unexpected(idem_run.error());
  report.idem = std::move(*idem_run);
  if (options.naive) {
    auto naive = demo::RunNaive(options, *items, progress);
    if (!naive) return tl::unexpected(naive.error());
    report.naive = std::move(*naive);
    report.has_naive = true;
  }
  report.total_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return report;
}

}  // namespace idem

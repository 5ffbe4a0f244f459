// The issue-3 benchmark: the journaled client against a bare libcurl loop,
// same requests, same concurrency, same sandbox, alternating runs.
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <mutex>

#include "idem/client.h"
#include "idem/sandbox.h"
#include "idem/uuid.h"
#include "perf/bench.h"
#include "perf/process_usage.h"
#include "perf/temp_dir.h"
#include "transport/bare_curl_loop.h"

namespace idem {
namespace {

constexpr char kWorkflow[] = "11111111-2222-4333-8444-555555555555";
constexpr char kApiKey[] = "sandbox-key";

std::string SessionBody(const std::string& vendor_data) {
  return std::string(R"({"workflow_id":")") + kWorkflow + R"(","vendor_data":")" + vendor_data +
         "\"}";
}

[[nodiscard]] Result<std::unique_ptr<Sandbox>> StartSandbox(const std::string& db_path,
                                                            int threads) {
  SandboxOptions o;
  o.port = 0;
  o.api_key = kApiKey;
  o.threads = threads;
  o.db_path = db_path;  // a real server keeps its sessions on disk
  return Sandbox::Start(std::move(o));
}

// The sandbox in a forked child, so that this process's peak RSS is the
// client's own. The child serves until the parent closes the stop pipe (or
// dies: PR_SET_PDEATHSIG). Fork happens before the client starts any thread.
class ChildSandbox {
 public:
  static Result<std::unique_ptr<ChildSandbox>> Start(const perf::TempDir& dir, int threads) {
    int ready[2], stop[2];
    if (pipe(ready) != 0) return MakeError(ErrorCode::kIo, "bench: pipe failed");
    if (pipe(stop) != 0) {
      close(ready[0]);
      close(ready[1]);
      return MakeError(ErrorCode::kIo, "bench: pipe failed");
    }
    pid_t pid = fork();
    if (pid < 0) return MakeError(ErrorCode::kIo, "bench: fork failed");
    if (pid == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      close(ready[0]);
      close(stop[1]);
      auto sandbox = StartSandbox(dir.File("sandbox.db"), threads);
      std::uint16_t port = sandbox ? (*sandbox)->port() : 0;
      if (write(ready[1], &port, sizeof port) != sizeof port) _exit(1);
      char byte;
      while (read(stop[0], &byte, 1) > 0) {
      }
      if (sandbox) (*sandbox)->Stop();
      _exit(0);
    }
    close(ready[1]);
    close(stop[0]);
    auto child = std::unique_ptr<ChildSandbox>(new ChildSandbox(pid, stop[1]));
    std::uint16_t port = 0;
    ssize_t got = read(ready[0], &port, sizeof port);
    close(ready[0]);
    if (got != sizeof port || port == 0) {
      return MakeError(ErrorCode::kUnavailable, "bench: the sandbox child did not start");
    }
    child->base_url_ = "http://127.0.0.1:" + std::to_string(port);
    return child;
  }
  ~ChildSandbox() {
    close(stop_fd_);
    int status = 0;
    waitpid(pid_, &status, 0);
  }
  const std::string& base_url() const { return base_url_; }

 private:
  ChildSandbox(pid_t pid, int stop_fd) : pid_(pid), stop_fd_(stop_fd) {}
  pid_t pid_;
  int stop_fd_;
  std::string base_url_;
};

double Seconds(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

double Median(std::vector<double> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const std::size_t mid = values.size() / 2;
  return values.size() % 2 == 1 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
}

// What one run cost the whole process, per op.
struct RunCost {
  double cpu_us = 0;
  double write_kb = 0;
};
class CostMeter {
 public:
  CostMeter() : cpu_(perf::ProcessCpu()), written_(perf::StorageWriteBytes()) {}
  RunCost PerOp(std::size_t ops) const {
    if (ops == 0) return {};
    const perf::CpuSeconds cpu = perf::ProcessCpu();
    const double cpu_s = (cpu.user - cpu_.user) + (cpu.system - cpu_.system);
    const double written = static_cast<double>(perf::StorageWriteBytes() - written_);
    return {cpu_s * 1e6 / static_cast<double>(ops), written / 1024.0 / static_cast<double>(ops)};
  }

 private:
  perf::CpuSeconds cpu_;
  std::int64_t written_;
};

// The bare loop: the same headers the client sends (key, API key, type).
struct BareRun {
  double ops_per_second = 0;
  std::uint64_t failures = 0;
  double side_cpu_seconds = 0;  // the loop's thread
};
BareRun RunBare(const std::string& base_url, const std::string& tag, std::size_t n,
                int concurrency) {
  std::vector<HttpRequest> requests;
  requests.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    HttpRequest r;
    r.method = "POST";
    r.url = base_url + "/v3/session/";
    r.headers = {{"x-api-key", kApiKey},
                 {"Content-Type", "application/json"},
                 {"Idempotency-Key", NewUuidV4()}};
    r.body = SessionBody(tag + "-" + std::to_string(i));
    requests.push_back(std::move(r));
  }
  const double cpu_before = perf::ThisThreadCpuSeconds();
  auto result = internal::RunBareCurlLoop(requests, concurrency);
  BareRun run;
  run.side_cpu_seconds = perf::ThisThreadCpuSeconds() - cpu_before;
  std::uint64_t created = 0;
  for (const auto& [status, count] : result.status_counts) {
    if (status == 201) created += static_cast<std::uint64_t>(count);
  }
  run.failures = n - created;
  double s = std::chrono::duration<double>(result.elapsed).count();
  run.ops_per_second = s > 0 ? static_cast<double>(created) / s : 0;
  return run;
}

struct ClientRun {
  double ops_per_second = 0;
  double seconds = 0;
  std::uint64_t succeeded = 0;
  std::uint64_t failures = 0;
  double side_cpu_seconds = 0;  // the submitting thread and the client's own
};

// A fresh journal (default options but `durability`), one Client, `n` ops
// submitted at once, timed from the first submission to the last callback.
[[nodiscard]] Result<ClientRun> RunClient(const std::string& base_url,
                                          const std::string& journal_path, const std::string& tag,
                                          std::size_t n, int concurrency, Durability durability,
                                          std::int64_t* rss_before_kb = nullptr) {
  JournalOptions jo;
  jo.durability = durability;
  auto journal = OpenSqliteJournal(journal_path, jo);
  if (!journal) return tl::unexpected(journal.error());
  TransportOptions to;
  to.max_in_flight = concurrency;
  ClientOptions co;
  co.base_url = base_url;
  co.api_key = kApiKey;
  co.journal = std::move(*journal);
  co.transport = MakeCurlTransport(to);
  co.max_concurrent_ops = static_cast<std::size_t>(concurrency);
  auto client = Client::Create(std::move(co));
  if (!client) return tl::unexpected(client.error());

  std::mutex mu;
  std::condition_variable cv;
  std::size_t remaining = n;
  ClientRun run;
  if (rss_before_kb) *rss_before_kb = perf::CurrentRssKb();
  const double cpu_before = perf::ThisThreadCpuSeconds();
  auto start = std::chrono::steady_clock::now();
  for (std::size_t i = 0; i < n; ++i) {
    OpRequest req;
    req.kind = "create_session";
    req.path = "/v3/session/";
    req.body = SessionBody(tag + "-" + std::to_string(i));
    (*client)->Submit(std::move(req), [&](OpResult r) {
      std::lock_guard<std::mutex> lock(mu);
      if (r && r->state == OpState::kSucceeded && r->response_status == 201) {
        ++run.succeeded;
      } else {
        ++run.failures;
      }
      if (--remaining == 0) cv.notify_all();
    });
  }
  {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return remaining == 0; });
  }
  run.seconds = Seconds(std::chrono::steady_clock::now() - start);
  // The client's threads are named idem-* (the sandbox's are not), and live
  // as long as the client: their CPU so far is this run's.
  run.side_cpu_seconds =
      perf::ThisThreadCpuSeconds() - cpu_before + perf::NamedThreadsCpuSeconds("idem-");
  run.ops_per_second = run.seconds > 0 ? static_cast<double>(run.succeeded) / run.seconds : 0;
  return run;
}

// One run's own directory (sandbox store, journal) and sandbox, started
// fresh and warmed up the same way (connections, page cache) for every run:
// the store slows down as it fills, so a shared one would favour whichever
// side ran first. Stopped and deleted when it goes.
class RunSandbox {
 public:
  static Result<std::unique_ptr<RunSandbox>> Start(const std::string& path, int threads,
                                                   const std::string& tag, int concurrency) {
    std::error_code ec;
    std::filesystem::create_directories(path, ec);
    if (ec) return MakeError(ErrorCode::kIo, "bench: cannot create " + path + ": " + ec.message());
    std::unique_ptr<RunSandbox> run(new RunSandbox(path));
    auto sandbox = StartSandbox(run->File("sandbox.db"), threads);
    if (!sandbox) return tl::unexpected(sandbox.error());
    run->sandbox_ = std::move(*sandbox);
    RunBare(run->base_url(), tag + "-warm", 300, concurrency);
    return run;
  }
  ~RunSandbox() {
    if (sandbox_) sandbox_->Stop();
    sandbox_.reset();
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  std::string base_url() const { return sandbox_->base_url(); }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  explicit RunSandbox(std::string path) : path_(std::move(path)) {}
  std::string path_;
  std::unique_ptr<Sandbox> sandbox_;
};

// Per-op figures of every run of one side, for their medians.
struct SideRuns {
  std::vector<double> cpu_us, write_kb, side_cpu_us;
  void Add(const RunCost& cost, double side_cpu_seconds, std::size_t ops) {
    cpu_us.push_back(cost.cpu_us);
    write_kb.push_back(cost.write_kb);
    side_cpu_us.push_back(side_cpu_seconds * 1e6 / static_cast<double>(ops));
  }
};

}  // namespace

[[nodiscard]] Result<ClientBenchResult> RunClientVsCurl(const ClientBenchOptions& options) {
  const int concurrency = std::max(1, options.concurrency);
  auto dir = perf::TempDir::Create("idem-client-bench");
  if (!dir) return tl::unexpected(dir.error());
  const std::string run_id = NewUuidV4().substr(0, 8);
  int runs = 0;
  auto fresh = [&] {
    const std::string name = "run-" + std::to_string(runs++);
    return RunSandbox::Start(dir->File(name), options.sandbox_threads, run_id + "-" + name,
                             concurrency);
  };

  ClientBenchResult result;
  result.concurrency = concurrency;
  std::size_t n = options.ops_per_run;
  if (n == 0) {
    // A bare run of 500 ops sizes the runs.
    auto sizing_run = fresh();
    if (!sizing_run) return tl::unexpected(sizing_run.error());
    BareRun sizing = RunBare((*sizing_run)->base_url(), run_id + "-size", 500, concurrency);
    double secs = std::chrono::duration<double>(options.run_duration).count();
    n = static_cast<std::size_t>(std::max(200.0, sizing.ops_per_second * secs));
  }
  result.ops_per_run = n;
  std::vector<double> ratios;
  SideRuns bare_side, client_side;
  for (int round = 0; round < std::max(1, options.rounds); ++round) {
    const std::string tag = run_id + "-" + std::to_string(round);
    BareRun bare;
    ClientRun client;
    auto run_bare = [&]() -> Status {
      auto run = fresh();
      if (!run) return tl::unexpected(run.error());
      CostMeter meter;
      bare = RunBare((*run)->base_url(), tag + "-bare", n, concurrency);
      bare_side.Add(meter.PerOp(n), bare.side_cpu_seconds, n);
      return {};
    };
    auto run_client = [&]() -> Status {
      auto run = fresh();
      if (!run) return tl::unexpected(run.error());
      CostMeter meter;
      auto ran = RunClient((*run)->base_url(), (*run)->File("journal.db"), tag + "-client", n,
                           concurrency, options.durability);
      if (!ran) return tl::unexpected(ran.error());
      client = *ran;
      client_side.Add(meter.PerOp(n), client.side_cpu_seconds, n);
      return {};
    };
    // Alternating order, so that drift of the machine during a round
    // (another tenant, the page cache) does not always fall on one side.
    Status first = round % 2 == 0 ? run_bare() : run_client();
    if (!first) return tl::unexpected(first.error());
    Status second = round % 2 == 0 ? run_client() : run_bare();
    if (!second) return tl::unexpected(second.error());
    result.bare_ops_per_second = std::max(result.bare_ops_per_second, bare.ops_per_second);
    result.bare_runs.push_back(bare.ops_per_second);
    result.bare_failures += bare.failures;
    result.client_ops_per_second = std::max(result.client_ops_per_second, client.ops_per_second);
    result.client_runs.push_back(client.ops_per_second);
    result.client_failures += client.failures;
    if (bare.ops_per_second > 0) ratios.push_back(client.ops_per_second / bare.ops_per_second);
  }
  result.median_ratio = Median(ratios);
  result.bare_cpu_us_per_op = Median(bare_side.cpu_us);
  result.client_cpu_us_per_op = Median(client_side.cpu_us);
  result.bare_write_kb_per_op = Median(bare_side.write_kb);
  result.client_write_kb_per_op = Median(client_side.write_kb);
  result.bare_side_cpu_us_per_op = Median(bare_side.side_cpu_us);
  result.client_side_cpu_us_per_op = Median(client_side.side_cpu_us);
  result.ratio = result.bare_ops_per_second > 0
                     ? result.client_ops_per_second / result.bare_ops_per_second
                     : 0;
  return result;
}

[[nodiscard]] Result<QueuedBenchResult> RunQueuedClientBench(const QueuedBenchOptions& options) {
  auto dir = perf::TempDir::Create("idem-queued-bench");
  if (!dir) return tl::unexpected(dir.error());
  auto sandbox = ChildSandbox::Start(*dir, options.sandbox_threads);
  if (!sandbox) return tl::unexpected(sandbox.error());
  QueuedBenchResult result;
  result.ops = options.ops;
  auto run = RunClient((*sandbox)->base_url(), dir->File("journal.db"), NewUuidV4().substr(0, 8),
                       options.ops, std::max(1, options.concurrency), Durability::kPowerLoss,
                       &result.rss_before_kb);
  sandbox->reset();
  if (!run) return tl::unexpected(run.error());
  result.succeeded = run->succeeded;
  result.seconds = run->seconds;
  result.peak_rss_kb = perf::PeakRssKb();
  return result;
}

}  // namespace idem

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

#include "idem/bench.h"
#include "idem/client.h"
#include "idem/sandbox.h"
#include "idem/uuid.h"
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

Result<std::unique_ptr<Sandbox>> StartSandbox(const perf::TempDir& dir, int threads) {
  SandboxOptions o;
  o.port = 0;
  o.api_key = kApiKey;
  o.threads = threads;
  o.db_path = dir.File("sandbox.db");  // a real server keeps its sessions on disk
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
      auto sandbox = StartSandbox(dir, threads);
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

// The bare loop: the same headers the client sends (key, API key, type).
struct BareRun {
  double ops_per_second = 0;
  std::uint64_t failures = 0;
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
  auto result = internal::RunBareCurlLoop(requests, concurrency);
  BareRun run;
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
};

// A fresh journal (default options but `durability`), one Client, `n` ops
// submitted at once, timed from the first submission to the last callback.
Result<ClientRun> RunClient(const std::string& base_url, const std::string& journal_path,
                            const std::string& tag, std::size_t n, int concurrency,
                            Durability durability, std::int64_t* rss_before_kb = nullptr) {
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
  run.ops_per_second = run.seconds > 0 ? static_cast<double>(run.succeeded) / run.seconds : 0;
  return run;
}

}  // namespace

Result<ClientBenchResult> RunClientVsCurl(const ClientBenchOptions& options) {
  const int concurrency = std::max(1, options.concurrency);
  auto dir = perf::TempDir::Create("idem-client-bench");
  if (!dir) return tl::unexpected(dir.error());
  auto sandbox = StartSandbox(*dir, options.sandbox_threads);
  if (!sandbox) return tl::unexpected(sandbox.error());
  const std::string base_url = (*sandbox)->base_url();
  const std::string run_id = NewUuidV4().substr(0, 8);

  ClientBenchResult result;
  result.concurrency = concurrency;
  std::size_t n = options.ops_per_run;
  if (n == 0) {
    // Warm-up (connections, sandbox store, page cache) that also sizes runs.
    BareRun warm = RunBare(base_url, run_id + "-warm", 500, concurrency);
    double secs = std::chrono::duration<double>(options.run_duration).count();
    n = static_cast<std::size_t>(std::max(200.0, warm.ops_per_second * secs));
  }
  result.ops_per_run = n;
  for (int round = 0; round < std::max(1, options.rounds); ++round) {
    const std::string tag = run_id + "-" + std::to_string(round);
    BareRun bare = RunBare(base_url, tag + "-bare", n, concurrency);
    result.bare_ops_per_second = std::max(result.bare_ops_per_second, bare.ops_per_second);
    result.bare_runs.push_back(bare.ops_per_second);
    result.bare_failures += bare.failures;
    auto client = RunClient(base_url, dir->File("journal-" + std::to_string(round) + ".db"),
                            tag + "-client", n, concurrency, options.durability);
    if (!client) return tl::unexpected(client.error());
    result.client_ops_per_second = std::max(result.client_ops_per_second, client->ops_per_second);
    result.client_runs.push_back(client->ops_per_second);
    result.client_failures += client->failures;
  }
  (*sandbox)->Stop();
  result.ratio = result.bare_ops_per_second > 0
                     ? result.client_ops_per_second / result.bare_ops_per_second
                     : 0;
  return result;
}

Result<QueuedBenchResult> RunQueuedClientBench(const QueuedBenchOptions& options) {
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

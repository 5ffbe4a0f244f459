// Not a test: issue 19's fleet benchmark. `--workers` (default 4) `idem
// worker` processes drain one journal against one `idem sandbox` process
// that enforces a writes limit per API key (`--rate-scopes writes=N/min`,
// default 3,000/min), each worker planning with the same limit
// (`--rate-limits writes=N/min`), run twice side by side for each journal
// (PostgreSQL, a throwaway cluster with fsync on; SQLite, one file):
//   shared:  `--rate-budget shared`, the budget kept in the journal;
//   process: `--rate-budget process`, each worker its own budget, as every
//            other client library keeps it.
// For each run it prints what the sandbox saw: requests it executed and
// 429s it answered, requests it answered as replays, executions per sliding
// window (the busiest window, and the mean over one window's worth of
// starts, against the limit; see Windows), the time to drain and the ops
// that succeeded. Figures: docs/client.md.
//
//   IDEM_BIN=build/default/idem build/default/bench/fleet_rate_bench
//       [--limit 3000] [--per min|s] [--ops N (default 3 x limit)]
//       [--workers 4] [--concurrency 16] [--only postgres|sqlite] [--timeline]
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "testing/pg_cluster.h"
#include "worker/fleet_support.h"

namespace {

using namespace idem;
using Steady = std::chrono::steady_clock;

struct Options {
  int limit = 3000;
  std::string per = "min";
  // 0: three times the limit: a backlog for two whole windows after the
  // first, so that the mean is taken while the fleet always had work.
  std::size_t ops = 0;
  int workers = 4;
  int concurrency = 16;
  std::string only;
  bool timeline = false;  // --timeline: executions per twelfth of a window, on stderr
  std::int64_t window_ms() const { return per == "s" ? 1000 : 60000; }
};

struct WindowFigures {
  int busiest = 0;    // executions in the busiest window (the limit must hold here)
  double mean = 0;    // mean executions per window, over one window's worth of starts
  int positions = 0;  // window positions averaged (0: the run was shorter than two windows)
};

// Executions per sliding window of `window_ms`: the busiest of all, and the
// mean over windows starting at every thousandth of a window from the first
// execution on, for one window's length of starts (each start then ends
// before the last execution, while the fleet still had a backlog). One
// window's worth of starts samples every phase of the budget's cycle once:
// starts only near the first burst would catch the slots that are between
// their grants (a slot is reused one window plus its margin after its last
// grant), and starts only late in the run would catch the queue running dry.
WindowFigures Windows(std::vector<std::int64_t> at, std::int64_t window_ms) {
  WindowFigures f;
  if (at.empty()) return f;
  std::sort(at.begin(), at.end());
  std::size_t lo = 0;
  for (std::size_t hi = 0; hi < at.size(); ++hi) {
    while (at[hi] - at[lo] >= window_ms) ++lo;
    f.busiest = std::max(f.busiest, static_cast<int>(hi - lo + 1));
  }
  const std::int64_t step = std::max<std::int64_t>(1, window_ms / 1000);
  double sum = 0;
  for (std::int64_t start = at.front();
       start < at.front() + window_ms && start + window_ms <= at.back(); start += step) {
    const auto first = std::lower_bound(at.begin(), at.end(), start);
    const auto end = std::lower_bound(at.begin(), at.end(), start + window_ms);
    sum += static_cast<double>(end - first);
    ++f.positions;
  }
  if (f.positions > 0) f.mean = sum / f.positions;
  return f;
}

struct Run {
  double seconds = 0;
  std::size_t succeeded = 0;
  std::size_t executions = 0;
  int answered_429 = 0;
  int replays = 0;  // requests answered from the key store: sent again, not executed
  WindowFigures windows;
};

Result<Run> Drain(const Options& o, const std::string& journal_url, const std::string& budget,
                  const std::string& dir, const std::string& name) {
  const std::string limit = "writes=" + std::to_string(o.limit) + "/" + o.per;
  auto sandbox =
      fleet::StartSandbox("", "", 1, dir + "/" + name + "-sandbox.log", {"--rate-scopes", limit});
  if (!sandbox) return tl::unexpected(sandbox.error());
  {
    JournalOptions options;
    options.durability = Durability::kProcessCrash;  // the enqueue is not measured
    auto journal = OpenJournal(journal_url, options);
    if (!journal) return tl::unexpected(journal.error());
    if (auto st = fleet::EnqueueMix(**journal, name + "-", o.ops); !st) {
      return tl::unexpected(st.error());
    }
  }
  Run run;
  const auto start = Steady::now();
  std::vector<chaos::Child> children;
  for (int i = 0; i < o.workers; ++i) {
    auto argv = fleet::WorkerArgv(journal_url, sandbox->base_url, o.concurrency, 10000);
    // Attempts of 30 s, not the fleet test's 3 s: a burst of thousands of
    // requests on a loaded 2-core machine would time some out, and each
    // retry takes a grant without making an execution, which would read
    // as the fleet missing its budget.
    auto timeout = std::find(argv.begin(), argv.end(), "--timeout-ms");
    if (timeout != argv.end()) *(timeout + 1) = "30000";
    argv.insert(argv.end(), {"--rate-limits", limit, "--rate-budget", budget});
    auto child =
        chaos::Child::Spawn(argv, dir + "/" + name + "-worker" + std::to_string(i) + ".log", false);
    if (!child) return tl::unexpected(child.error());
    children.push_back(std::move(*child));
  }
  fleet::WaitForAll(children, std::chrono::milliseconds(20));
  run.seconds = std::chrono::duration<double>(Steady::now() - start).count();

  auto stats = fleet::GetJson(sandbox->base_url, "/_sandbox/stats");
  if (!stats) return tl::unexpected(stats.error());
  run.answered_429 = stats->value("rate_limited_429", -1);
  run.replays = stats->value("replays", -1);
  auto executions = fleet::GetJson(sandbox->base_url, "/_sandbox/executions");
  if (!executions) return tl::unexpected(executions.error());
  std::vector<std::int64_t> at;
  for (const auto& e : (*executions)["executions"]) {
    at.push_back(e["timestamp_ms"].get<std::int64_t>());
  }
  run.executions = at.size();
  if (o.timeline && !at.empty()) {
    // Executions per twelfth of a window, from the first one.
    std::sort(at.begin(), at.end());
    const std::int64_t bucket = o.window_ms() / 12;
    std::vector<int> counts(static_cast<std::size_t>((at.back() - at.front()) / bucket + 1));
    for (std::int64_t t : at) ++counts[static_cast<std::size_t>((t - at.front()) / bucket)];
    std::fprintf(stderr, "%s: executions per %lld ms:", name.c_str(),
                 static_cast<long long>(bucket));
    for (int c : counts) std::fprintf(stderr, " %d", c);
    std::fprintf(stderr, "\n");
  }
  run.windows = Windows(std::move(at), o.window_ms());
  sandbox->child.KillAndWait(SIGTERM);

  auto journal = OpenJournal(journal_url);
  if (!journal) return tl::unexpected(journal.error());
  auto all = (*journal)->List({});
  if (!all) return tl::unexpected(all.error());
  for (const Operation& op : *all) run.succeeded += op.state == OpState::kSucceeded ? 1 : 0;
  return run;
}

int Usage(const char* arg) {
  std::fprintf(stderr,
               "bad argument %s\nusage: fleet_rate_bench [--limit N] [--per min|s] [--ops N] "
               "[--workers N] [--concurrency N] [--only postgres|sqlite] [--timeline]\n",
               arg);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--timeline") {
      o.timeline = true;
      continue;
    }
    if (i + 1 >= argc) return Usage(argv[i]);
    const std::string value = argv[++i];
    if (arg == "--limit") {
      o.limit = std::stoi(value);
    } else if (arg == "--per" && (value == "min" || value == "s")) {
      o.per = value;
    } else if (arg == "--ops") {
      o.ops = std::stoul(value);
    } else if (arg == "--workers") {
      o.workers = std::stoi(value);
    } else if (arg == "--concurrency") {
      o.concurrency = std::stoi(value);
    } else if (arg == "--only" && (value == "postgres" || value == "sqlite")) {
      o.only = value;
    } else {
      return Usage(arg.c_str());
    }
  }
  if (o.limit <= 0 || o.workers <= 0 || o.concurrency <= 0) return Usage("(a count <= 0)");
  if (o.ops == 0) o.ops = static_cast<std::size_t>(o.limit) * 3;

  std::string dir = (std::filesystem::temp_directory_path() / "idem-ratebench-XXXXXX").string();
  if (mkdtemp(dir.data()) == nullptr) return 1;
  std::unique_ptr<testing::PgCluster> cluster;
  if (o.only != "sqlite") {
    auto started = testing::PgCluster::Start({.fsync = true});
    if (!started) {
      std::fprintf(stderr, "%s\n", started.error().ToString().c_str());
      return 1;
    }
    cluster = std::move(*started);
  }
  std::printf(
      "%zu ops (2/3 creates, 1/3 AML, all writes) per run, %d workers x --concurrency %d; the "
      "sandbox allows writes=%d/%s per key and every worker plans with the same\n",
      o.ops, o.workers, o.concurrency, o.limit, o.per.c_str());
  std::printf("%-8s %-7s %8s %9s %10s %7s %6s %9s %9s %8s %8s\n", "journal", "budget", "seconds",
              "succeeded", "executions", "replays", "429s", "busiest", "mean", "mean/lim",
              "windows");
  int status = 0;
  for (const std::string kind : {"postgres", "sqlite"}) {
    if (!o.only.empty() && o.only != kind) continue;
    // Shared first, then the process budget, on fresh journals.
    for (const std::string budget : {"shared", "process"}) {
      const std::string name = kind + "-" + budget;
      std::string url;
      if (kind == "postgres") {
        std::string db = "rate_" + budget;
        if (!cluster->CreateDatabase(db)) return 1;
        url = cluster->Url(db);
      } else {
        url = dir + "/" + name + ".db";
      }
      auto run = Drain(o, url, budget, dir, name);
      if (!run) {
        std::fprintf(stderr, "%s: %s\n", name.c_str(), run.error().ToString().c_str());
        return 1;
      }
      std::printf("%-8s %-7s %8.1f %9zu %10zu %7d %6d %9d %9.1f %7.1f%% %8d\n", kind.c_str(),
                  budget.c_str(), run->seconds, run->succeeded, run->executions, run->replays,
                  run->answered_429, run->windows.busiest, run->windows.mean,
                  100.0 * run->windows.mean / o.limit, run->windows.positions);
      std::fflush(stdout);
      if (run->succeeded != o.ops) status = 2;
    }
  }
  if (std::getenv("IDEM_BENCH_KEEP") != nullptr) {
    // The journals and logs, for a look at the grants (rate_grants, rate_caps).
    std::fprintf(stderr, "kept %s\n", dir.c_str());
    return status;
  }
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  return status;
}

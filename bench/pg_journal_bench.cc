// Micro-benchmark (not a test): Begin + final Update per op on the
// PostgreSQL journal, 1 and 32 threads, against a throwaway cluster with
// fsync on (synchronous_commit = on, the kPowerLoss default).
//   build/<dir>/bench/pg_journal_bench [ops_per_run]
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

#include "idem/journal.h"
#include "journal/journal_test_util.h"
#include "testing/pg_cluster.h"

namespace {

double Run(idem::Journal& journal, int threads, int ops, const std::string& tag) {
  std::atomic<int> next{0};
  std::atomic<int> errors{0};
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      for (int i = next.fetch_add(1); i < ops; i = next.fetch_add(1)) {
        auto begun = journal.Begin(idem::testing::MakeOp(tag + std::to_string(i)),
                                   "bench-" + std::to_string(t), std::chrono::seconds(60));
        if (!begun) {
          errors.fetch_add(1);
          continue;
        }
        idem::Operation op = begun->op;
        op.state = idem::OpState::kSucceeded;
        op.attempts = 1;
        if (!journal.Update(op)) errors.fetch_add(1);
      }
    });
  }
  for (auto& w : workers) w.join();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (errors.load() != 0) std::fprintf(stderr, "%d errors\n", errors.load());
  return ops / seconds;
}

}  // namespace

int main(int argc, char** argv) {
  const int ops = argc > 1 ? std::atoi(argv[1]) : 2000;
  auto cluster = idem::testing::PgCluster::StartWithDatabase({.fsync = true}, "bench");
  if (!cluster) {
    std::fprintf(stderr, "%s\n", cluster.error().ToString().c_str());
    return 1;
  }
  auto journal = idem::OpenPostgresJournal((*cluster)->Url("bench"));
  if (!journal) {
    std::fprintf(stderr, "%s\n", journal.error().ToString().c_str());
    return 1;
  }
  for (int threads : {1, 32}) {
    const double rate = Run(**journal, threads, ops, "t" + std::to_string(threads) + "-");
    std::printf("postgres journal, fsync on: %2d threads: %.0f ops/s (Begin + final Update)\n",
                threads, rate);
  }
  return 0;
}

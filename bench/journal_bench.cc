// Journal commit rate: one Begin + one Update (to succeeded) per iteration,
// i.e. the two durable writes of an op that succeeds on its first attempt.
//
//   BM_JournalShared: all threads share one journal, so group commit batches
//     their writes into shared transactions (and fsyncs).
//   BM_JournalPerThread: each thread opens its own journal on the same file,
//     as separate processes would: no group commit, one transaction per write.
//
// Arg 0 = Durability::kPowerLoss (fsync per commit), 1 = kProcessCrash.
// Counters: ops/s (items_per_second) and, for the shared journal, writes per
// transaction.
#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <atomic>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "idem/journal.h"
#include "idem/uuid.h"
#include "journal/sqlite_journal.h"

namespace {

using idem::Durability;

// One temporary directory for the whole run, removed at exit.
const std::filesystem::path& BenchDir() {
  static const std::filesystem::path dir = [] {
    char pattern[] = "/tmp/idem-journal-bench-XXXXXX";
    std::filesystem::path made = mkdtemp(pattern) ? pattern : "/tmp";
    std::atexit([] {
      std::error_code ignored;
      std::filesystem::remove_all(BenchDir(), ignored);
    });
    return made;
  }();
  return dir;
}

std::string PathFor(Durability durability) {
  return (BenchDir() / (durability == Durability::kPowerLoss ? "power.db" : "crash.db")).string();
}

std::unique_ptr<idem::journal::SqliteJournal> MustOpen(Durability durability) {
  idem::JournalOptions options;
  options.durability = durability;
  auto journal = idem::journal::SqliteJournal::Open(PathFor(durability), options);
  if (!journal) {
    std::fprintf(stderr, "open: %s\n", journal.error().ToString().c_str());
    std::abort();
  }
  return std::move(*journal);
}

std::atomic<std::int64_t> next_op{0};

idem::Operation NewOp() {
  idem::Operation op;
  op.op_id = "bench-" + std::to_string(next_op.fetch_add(1));
  op.idem_key = idem::NewUuidV4();
  op.method = "POST";
  op.path = "/v3/session/";
  op.content_type = "application/json";
  op.body = R"({"workflow_id":"wf-1","vendor_data":")" + op.op_id + R"("})";
  op.fingerprint = idem::RequestFingerprint(op.method, op.path, op.body);
  return op;
}

void BeginAndSettle(idem::Journal& journal, benchmark::State& state) {
  auto begun = journal.Begin(NewOp(), "bench", std::chrono::milliseconds(60000));
  if (!begun) {
    state.SkipWithError(begun.error().ToString().c_str());
    return;
  }
  idem::Operation op = std::move(begun->op);
  op.state = idem::OpState::kSucceeded;
  op.attempts = 1;
  op.response_status = 201;
  op.response_body = R"({"session_id":"s"})";
  if (auto st = journal.Update(op); !st) state.SkipWithError(st.error().ToString().c_str());
}

Durability DurabilityArg(const benchmark::State& state) {
  return state.range(0) == 0 ? Durability::kPowerLoss : Durability::kProcessCrash;
}

void BM_JournalShared(benchmark::State& state) {
  static std::mutex mu;
  static std::map<Durability, std::unique_ptr<idem::journal::SqliteJournal>> journals;
  idem::journal::SqliteJournal* journal;
  {
    std::lock_guard<std::mutex> lock(mu);
    auto& slot = journals[DurabilityArg(state)];
    if (!slot) slot = MustOpen(DurabilityArg(state));
    journal = slot.get();
  }
  const auto before = journal->stats();
  for (auto _ : state) BeginAndSettle(*journal, state);
  state.SetItemsProcessed(state.iterations());
  if (state.thread_index() == 0) {
    const auto after = journal->stats();
    const auto tx = after.transactions - before.transactions;
    // Approximate with many threads (the others' writes overlap the window).
    state.counters["writes_per_tx"] =
        tx == 0 ? 0.0 : static_cast<double>(after.writes - before.writes) / static_cast<double>(tx);
  }
}
BENCHMARK(BM_JournalShared)
    ->ArgName("process_crash")
    ->Arg(0)
    ->Arg(1)
    ->Threads(1)
    ->Threads(32)
    ->UseRealTime()
    ->MinTime(2.0);

void BM_JournalPerThread(benchmark::State& state) {
  auto journal = MustOpen(DurabilityArg(state));
  for (auto _ : state) BeginAndSettle(*journal, state);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_JournalPerThread)
    ->ArgName("process_crash")
    ->Arg(0)
    ->Arg(1)
    ->Threads(32)
    ->UseRealTime()
    ->MinTime(2.0);

}  // namespace

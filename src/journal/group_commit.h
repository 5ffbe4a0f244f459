// Internal: group commit for one SQLite write connection. Concurrent writers
// of one process queue their work; the first waiter becomes the leader, runs
// everything queued in ONE transaction (so one fsync in synchronous=FULL) and
// wakes the others. A piece of work that fails is undone alone and its caller
// gets its error, while the others still commit: the batch first runs every
// piece straight in the transaction (cheap); if one fails, the transaction is
// rolled back and the batch re-run with each piece inside its own SAVEPOINT.
// So a piece may run twice and must compute its results afresh each time
// (assign, never append). If the transaction itself cannot begin or commit,
// every caller of the batch gets that error (nothing of the batch is stored).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <vector>

#include "common/sqlite.h"
#include "idem/status.h"

namespace idem::journal {

struct GroupCommitStats {
  std::uint64_t writes = 0;        // pieces of work that committed
  std::uint64_t transactions = 0;  // transactions that committed
  std::uint64_t failed_batches = 0;
  std::uint64_t optimistic_retries = 0;  // batches re-run with savepoints after a piece failed
  std::uint64_t busy_ns = 0;             // time spent running batches (transaction, writes, commit)
};

class GroupCommitter {
 public:
  // `db` must outlive this and be used for writes only through it.
  // `delay`: how long a leader waits for company before committing (0: none).
  GroupCommitter(sqlite::Database& db, std::chrono::microseconds delay);

  // Runs `work` inside the next batch's transaction and returns once that
  // transaction committed (durable per the connection's synchronous mode).
  // Returns work's error (its writes rolled back), or the batch's error.
  using Work = std::function<Status(sqlite::Database&)>;
  [[nodiscard]] Status Run(const Work& work);
  // Queues every piece at once (so they share a transaction, in order, each
  // in its own savepoint) and returns their statuses once all committed.
  std::vector<Status> RunMany(const std::vector<Work>& works);

  GroupCommitStats stats() const;

 private:
  struct Request {
    const std::function<Status(sqlite::Database&)>* work = nullptr;
    Status status;
    bool done = false;
  };
  enum class Outcome { kCommitted, kFailed, kPieceFailed };
  void RunBatch(std::deque<Request*>& batch);
  // One attempt at the batch's transaction; kPieceFailed (only without
  // savepoints) means a piece failed and the transaction was rolled back.
  Outcome RunOnce(std::deque<Request*>& batch, bool savepoints);
  // Leads or waits for batches until every one of `requests` is done.
  void WaitDone(std::unique_lock<std::mutex>& lock, const std::vector<Request*>& requests);

  sqlite::Database& db_;
  const std::chrono::microseconds delay_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Request*> queue_;
  bool leader_active_ = false;
  std::atomic<std::uint64_t> writes_{0};
  std::atomic<std::uint64_t> transactions_{0};
  std::atomic<std::uint64_t> failed_batches_{0};
  std::atomic<std::uint64_t> optimistic_retries_{0};
  std::atomic<std::uint64_t> busy_ns_{0};
};

}  // namespace idem::journal

#include "journal/group_commit.h"

#include <sqlite3.h>

#include <optional>
#include <thread>
#include <utility>

namespace idem::journal {

GroupCommitter::GroupCommitter(sqlite::Database& db, std::chrono::microseconds delay)
    : db_(db), delay_(delay) {}

Status GroupCommitter::Run(const Work& work) {
  Request request{&work, {}, false};
  std::unique_lock<std::mutex> lock(mu_);
  queue_.push_back(&request);
  WaitDone(lock, {&request});
  return std::move(request.status);
}

std::vector<Status> GroupCommitter::RunMany(const std::vector<Work>& works) {
  std::vector<Request> requests(works.size());
  std::vector<Request*> pointers;
  pointers.reserve(works.size());
  for (std::size_t i = 0; i < works.size(); ++i) {
    requests[i].work = &works[i];
    pointers.push_back(&requests[i]);
  }
  std::vector<Status> statuses;
  statuses.reserve(works.size());
  if (works.empty()) return statuses;
  std::unique_lock<std::mutex> lock(mu_);
  for (Request* r : pointers) queue_.push_back(r);
  WaitDone(lock, pointers);
  lock.unlock();
  for (Request& r : requests) statuses.push_back(std::move(r.status));
  return statuses;
}

void GroupCommitter::WaitDone(std::unique_lock<std::mutex>& lock,
                              const std::vector<Request*>& requests) {
  // Batches run in queue order, so the last request is done last.
  Request& last = *requests.back();
  while (!last.done) {
    if (leader_active_) {
      cv_.wait(lock);
      continue;
    }
    // Lead: take everything queued (these requests included) as one batch.
    leader_active_ = true;
    if (delay_.count() > 0) {
      // Let more writers join; nobody else leads meanwhile.
      lock.unlock();
      std::this_thread::sleep_for(delay_);
      lock.lock();
    }
    std::deque<Request*> batch;
    batch.swap(queue_);
    lock.unlock();
    const auto started = std::chrono::steady_clock::now();
    RunBatch(batch);
    busy_ns_.fetch_add(
        static_cast<std::uint64_t>(
            std::chrono::nanoseconds(std::chrono::steady_clock::now() - started).count()),
        std::memory_order_relaxed);
    lock.lock();
    for (Request* r : batch) r->done = true;
    leader_active_ = false;
    cv_.notify_all();
  }
}

void GroupCommitter::RunBatch(std::deque<Request*>& batch) {
  // Fast path: every piece straight in the transaction. A savepoint per piece
  // costs SQLite a statement journal (page copies, allocations) per op; it is
  // only needed when a piece fails, which is rare.
  if (RunOnce(batch, /*savepoints=*/false) == Outcome::kPieceFailed) {
    // Rolled back: run the batch again, each piece isolated in a savepoint so
    // that the failed piece is undone alone. Pieces re-run from scratch.
    optimistic_retries_.fetch_add(1, std::memory_order_relaxed);
    RunOnce(batch, /*savepoints=*/true);
  }
}

GroupCommitter::Outcome GroupCommitter::RunOnce(std::deque<Request*>& batch, bool savepoints) {
  auto fail_all = [&](Error error) {  // by value: it may come from a request it overwrites
    for (Request* r : batch) r->status = tl::unexpected(error);
    failed_batches_.fetch_add(1, std::memory_order_relaxed);
    return Outcome::kFailed;
  };
  auto tx = sqlite::Transaction::Begin(db_);
  if (!tx) return fail_all(tx.error());

  std::uint64_t committed_writes = 0;
  for (Request* r : batch) {
    std::optional<sqlite::Savepoint> savepoint;
    if (savepoints) {
      auto begun = sqlite::Savepoint::Begin(db_, "journal_write");
      if (!begun) return fail_all(begun.error());
      savepoint.emplace(std::move(*begun));
    }
    r->status = (*r->work)(db_);
    if (sqlite3_get_autocommit(db_.handle()) != 0) {
      // SQLite rolled the whole transaction back (disk full, I/O error):
      // every write of the batch is gone, so nobody may report success.
      return fail_all(r->status ? Error(ErrorCode::kIo, "journal: write transaction aborted")
                                : r->status.error());
    }
    if (!savepoint) {
      if (!r->status) {
        // What the piece wrote before failing cannot be undone alone here.
        if (auto st = tx->Rollback(); !st) return fail_all(st.error());
        return Outcome::kPieceFailed;
      }
      ++committed_writes;
      continue;
    }
    auto end = r->status ? savepoint->Release() : savepoint->RollbackTo();
    if (!end) return fail_all(end.error());
    if (r->status) ++committed_writes;
  }
  if (auto st = tx->Commit(); !st) return fail_all(st.error());
  transactions_.fetch_add(1, std::memory_order_relaxed);
  writes_.fetch_add(committed_writes, std::memory_order_relaxed);
  return Outcome::kCommitted;
}

GroupCommitStats GroupCommitter::stats() const {
  GroupCommitStats s;
  s.writes = writes_.load(std::memory_order_relaxed);
  s.transactions = transactions_.load(std::memory_order_relaxed);
  s.failed_batches = failed_batches_.load(std::memory_order_relaxed);
  s.optimistic_retries = optimistic_retries_.load(std::memory_order_relaxed);
  s.busy_ns = busy_ns_.load(std::memory_order_relaxed);
  return s;
}

}  // namespace idem::journal

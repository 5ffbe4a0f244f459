// Group commit for the sandbox store: requests enqueue their Mutation in
// execution order (under the app's lock, so the store sees the same order as
// memory) and then wait, outside that lock, until it is durable. Whoever
// waits first while no commit runs becomes the leader and commits every
// queued mutation in one transaction; the others ride along. One writer,
// fewer transactions: what lets the SQLite store keep up with many creates.
#pragma once

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>

#include "sandbox/state.h"

namespace idem::sandbox {

class GroupCommitter {
 public:
  struct Ticket {
    Mutation mutation;
    bool done = false;
    Status status;
  };

  explicit GroupCommitter(Persistence& persistence) : persistence_(persistence) {}

  // Queues `mutation`; call Wait on the ticket once the caller's own locks are released.
  std::shared_ptr<Ticket> Enqueue(Mutation mutation);
  // Returns once the ticket's batch committed (or failed).
  [[nodiscard]] Status Wait(const std::shared_ptr<Ticket>& ticket);

 private:
  Persistence& persistence_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::shared_ptr<Ticket>> queue_;
  bool committing_ = false;
};

}  // namespace idem::sandbox

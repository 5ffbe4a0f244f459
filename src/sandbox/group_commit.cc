#include "sandbox/group_commit.h"

#include <vector>

namespace idem::sandbox {

std::shared_ptr<GroupCommitter::Ticket> GroupCommitter::Enqueue(Mutation mutation) {
  auto ticket = std::make_shared<Ticket>();
  ticket->mutation = std::move(mutation);
  std::lock_guard<std::mutex> lock(mu_);
  queue_.push_back(ticket);
  return ticket;
}

Status GroupCommitter::Wait(const std::shared_ptr<Ticket>& ticket) {
  std::unique_lock<std::mutex> lock(mu_);
  while (!ticket->done) {
    if (committing_) {
      cv_.wait(lock);
      continue;
    }
    committing_ = true;
    std::vector<std::shared_ptr<Ticket>> batch(queue_.begin(), queue_.end());
    queue_.clear();
    lock.unlock();
    std::vector<const Mutation*> mutations;
    mutations.reserve(batch.size());
    for (const auto& t : batch) mutations.push_back(&t->mutation);
    const Status status = persistence_.CommitBatch(mutations);
    lock.lock();
    for (const auto& t : batch) {
      t->status = status;
      t->done = true;
    }
    committing_ = false;
    cv_.notify_all();
  }
  return ticket->status;
}

}  // namespace idem::sandbox

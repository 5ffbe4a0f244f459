// The worker loop: claim up to as many unfinished ops as there are free
// driving slots (Journal::ClaimUnfinished: on PostgreSQL `FOR UPDATE SKIP
// LOCKED LIMIT n`, on SQLite under its write lock), and hand each to
// Client::Drive, which drives it under that claim's lease without a second
// Begin. Two workers never claim the same op, so none is wasted on `busy`,
// and a poll costs O(free slots), not O(backlog). The Client keeps the
// stored key and reconciles an op that may have executed before re-sending.
#include "idem/worker.h"

#include <algorithm>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "client/outcome_counts.h"
#include "client/owner.h"

namespace idem {
namespace {

using std::chrono::milliseconds;

// Shared with the Client callbacks, which may outlive a RunWorker that
// returned early only in theory (it waits for them), hence a shared_ptr.
struct State {
  std::mutex mu;
  std::condition_variable_any cv;
  std::set<std::string> driving;
  WorkerSummary summary;
};

// Every time the worker compares is the Client's clock: the stamps it
// compares them with (an op's updated_ms, a lease's expiry) are that clock's
// too, written by the Client and by a journal that shares it. With the real
// clock here, a Client on another clock had its unknown ops held back or
// re-driven without the delay, and other owners' leases judged live or
// lapsed on the wrong time.
std::int64_t NowMs(const Client& client) { return ToUnixMillis(client.clock().Now()); }

void Count(WorkerSummary& summary, const OpResult& result) {
  if (!result) {
    // kFailedPrecondition: the lease was lost to another owner (it lapsed)
    // or the op was settled elsewhere (a webhook) meanwhile.
    if (result.error().code() == ErrorCode::kFailedPrecondition) {
      ++summary.busy;
    } else {
      ++summary.errors;
    }
    return;
  }
  CountState(summary, result->state);
}

// For exit_when_idle, once nothing can be driven now: what is left, and why.
[[nodiscard]] Status CountLeft(const Client& client, Journal& journal, WorkerSummary& summary) {
  auto left = ListUnfinished(journal);
  if (!left) return tl::unexpected(left.error());
  const std::string& self = client.owner();
  const std::int64_t now = NowMs(client);
  for (const Operation& op : *left) {
    if (op.state == OpState::kUnknown) {
      ++(op.needs_review ? summary.left_needs_review : summary.left_unknown);
    } else if (internal::HeldByAnotherLiveLease(op, self, now)) {
      ++summary.left_held_elsewhere;
    }
  }
  return {};
}

}  // namespace

[[nodiscard]] Result<WorkerSummary> RunWorker(Client& client, Journal& journal,
                                              const WorkerOptions& options, std::stop_token stop) {
  auto state = std::make_shared<State>();
  const std::size_t concurrency = std::max<std::size_t>(1, options.concurrency);
  const milliseconds poll = std::max(milliseconds(1), options.poll_interval);

  Clock& clock = client.clock();
  auto next_dead_owner_scan = clock.SteadyNow();
  while (!stop.stop_requested()) {
    std::size_t free = 0;
    {
      // Claim only for free slots; with none, wait for one (a freed slot is
      // claimed for at once: there may be backlog).
      std::unique_lock<std::mutex> lock(state->mu);
      state->cv.wait(lock, stop, [&] { return state->driving.size() < concurrency; });
      if (stop.stop_requested()) break;
      free = concurrency - state->driving.size();
    }
    ClaimFilter filter;
    filter.include_unknown = options.drive_unknown;
    // An op that just ran out of retries (here or in any worker) waits
    // unknown_retry_delay after it was given up before it is claimed again.
    filter.max_unknown_updated_ms = NowMs(client) - options.unknown_retry_delay.count();
    if (filter.max_unknown_updated_ms <= 0) filter.max_unknown_updated_ms = 1;
    auto claimed = journal.ClaimUnfinished(client.owner(), client.lease(), free, filter);
    if (claimed && claimed->empty() && clock.SteadyNow() >= next_dead_owner_scan) {
      // Nothing free: ops a crashed or interrupted process on this host
      // still holds are taken now rather than once their leases lapse. The
      // scan lists every unfinished op, so it runs at most once per a third
      // of the lease, not at every idle poll.
      next_dead_owner_scan = clock.SteadyNow() + client.lease() / 3;
      auto released = ReleaseLeasesOfDeadOwners(journal, clock.Now());
      if (released && *released > 0) {
        claimed = journal.ClaimUnfinished(client.owner(), client.lease(), free, filter);
      }
    }

    std::size_t started = 0;
    bool idle = false;
    {
      std::lock_guard<std::mutex> lock(state->mu);
      ++state->summary.polls;
      if (!claimed) ++state->summary.errors;
      idle = claimed && claimed->empty() && state->driving.empty();
    }
    if (claimed) {
      for (Operation& op : *claimed) {
        {
          std::lock_guard<std::mutex> lock(state->mu);
          if (!state->driving.insert(op.op_id).second) {
            // Our own earlier drive of it lost its lease (it lapsed): that
            // drive is fenced out; give this claim back rather than drive
            // the op twice here.
            (void)journal.Release(op);
            continue;
          }
          ++state->summary.driven;
        }
        ++started;
        std::string id = op.op_id;
        client.Drive(std::move(op), [state, &options, id = std::move(id)](OpResult result) {
          WorkerSummary so_far;
          {
            std::lock_guard<std::mutex> guard(state->mu);
            Count(state->summary, result);
            so_far = state->summary;
          }
          // Before the op leaves `driving`: RunWorker (and `options`) cannot
          // end while this runs.
          if (options.on_settled) options.on_settled(so_far);
          std::lock_guard<std::mutex> guard(state->mu);
          state->driving.erase(id);
          state->cv.notify_all();
        });
      }
    }
    // Nothing can be driven now: every unfinished op is held by another
    // live owner, waits out unknown_retry_delay after it was given up, or
    // needs review. Waiting would only re-drive unknown ops forever while
    // the API is down.
    if (idle && options.exit_when_idle) break;
    // A full batch means there may be more: claim again as soon as a slot
    // is free. Otherwise (nothing claimable now, or a journal error) wait
    // for the poll interval.
    if (claimed && started == free) continue;
    std::unique_lock<std::mutex> lock(state->mu);
    state->cv.wait_for(lock, stop, poll, [] { return false; });
  }

  // Stop (or idle): take nothing new, wait for what we drive to settle.
  std::unique_lock<std::mutex> lock(state->mu);
  state->cv.wait(lock, [&] { return state->driving.empty(); });
  WorkerSummary summary = state->summary;
  lock.unlock();
  if (options.exit_when_idle && !stop.stop_requested()) {
    if (auto counted = CountLeft(client, journal, summary); !counted) ++summary.errors;
  }
  return summary;
}

}  // namespace idem

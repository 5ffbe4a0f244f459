// The worker loop: poll the journal, hand each unfinished op whose lease is
// free or lapsed to Client::Submit as its stored request. Submit's
// Journal::Begin is the claim: it takes the lease only when it is free or
// lapsed (else kFailedPrecondition, counted as `busy`), keeps the stored key,
// and the Client reconciles before re-sending an op that may have executed.
#include "idem/worker.h"

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

namespace idem {
namespace {

using std::chrono::milliseconds;
using SteadyTime = std::chrono::steady_clock::time_point;

OpRequest RequestFor(const Operation& op) {
  OpRequest request;
  request.op_id = op.op_id;
  request.kind = op.kind;
  request.method = op.method;
  request.path = op.path;
  request.content_type = op.content_type;
  request.body = op.body;
  request.natural_key = op.natural_key;
  return request;
}

// Shared with the Client callbacks, which may outlive a RunWorker that
// returned early only in theory (it waits for them), hence a shared_ptr.
struct State {
  std::mutex mu;
  std::condition_variable_any cv;
  std::set<std::string> driving;
  std::map<std::string, SteadyTime> unknown_until;  // op_id -> not before
  WorkerSummary summary;
  bool slot_freed = false;
};

std::int64_t NowMs() { return ToUnixMillis(std::chrono::system_clock::now()); }

}  // namespace

Result<WorkerSummary> RunWorker(Client& client, Journal& journal, const WorkerOptions& options,
                                std::stop_token stop) {
  auto state = std::make_shared<State>();
  const std::size_t concurrency = std::max<std::size_t>(1, options.concurrency);
  const milliseconds poll = std::max(milliseconds(1), options.poll_interval);

  while (!stop.stop_requested()) {
    auto listing = ListUnfinished(journal, options.drive_unknown);
    const bool listed = listing.has_value();
    std::vector<Operation> unfinished = listed ? std::move(*listing) : std::vector<Operation>();
    std::unique_lock<std::mutex> lock(state->mu);
    ++state->summary.polls;
    if (!listed) ++state->summary.errors;
    if (listed && options.exit_when_idle && unfinished.empty() && state->driving.empty()) break;

    const std::int64_t now_ms = NowMs();
    const SteadyTime now = std::chrono::steady_clock::now();
    bool more = false;  // candidates left over because every slot was taken
    for (const Operation& op : unfinished) {
      if (state->driving.count(op.op_id)) continue;
      if (!op.lease_owner.empty() && op.lease_until_ms > now_ms) continue;
      if (auto it = state->unknown_until.find(op.op_id);
          it != state->unknown_until.end() && it->second > now) {
        continue;
      }
      if (state->driving.size() >= concurrency) {
        more = true;
        break;
      }
      state->driving.insert(op.op_id);
      ++state->summary.driven;
      lock.unlock();
      client.Submit(RequestFor(op),
                    [state, id = op.op_id, delay = options.unknown_retry_delay](OpResult result) {
                      std::lock_guard<std::mutex> guard(state->mu);
                      state->driving.erase(id);
                      state->slot_freed = true;
                      if (!result) {
                        if (result.error().code() == ErrorCode::kFailedPrecondition) {
                          ++state->summary.busy;
                        } else {
                          ++state->summary.errors;
                        }
                      } else {
                        switch (result->state) {
                          case OpState::kSucceeded:
                            ++state->summary.succeeded;
                            break;
                          case OpState::kFailed:
                            ++state->summary.failed;
                            break;
                          case OpState::kUnknown:
                            ++state->summary.unknown;
                            state->unknown_until[id] = std::chrono::steady_clock::now() + delay;
                            break;
                          case OpState::kInFlight:
                            ++state->summary.in_flight;
                            break;
                        }
                      }
                      state->cv.notify_all();
                    });
      if (stop.stop_requested()) {
        lock.lock();
        break;
      }
      lock.lock();
    }
    // Sleep until the next poll; a freed slot ends the sleep early when the
    // last poll left work over.
    state->slot_freed = false;
    state->cv.wait_for(lock, stop, poll, [&] { return more && state->slot_freed; });
  }

  // Stop (or idle): take nothing new, wait for what we drive to settle.
  std::unique_lock<std::mutex> lock(state->mu);
  state->cv.wait(lock, [&] { return state->driving.empty(); });
  return state->summary;
}

}  // namespace idem

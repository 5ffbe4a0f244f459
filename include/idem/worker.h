// The worker side of the producer/worker split: RunWorker drives queued and
// unfinished ops from a journal (stored by idem::Enqueue, or left behind by a
// crashed process) until stopped. Many workers, in one process or in many, on
// one host or many (PostgreSQL journal), may run on one journal: a worker
// claims at most as many ops as it has free slots with
// Journal::ClaimUnfinished (a lease with its owner and a new generation;
// PostgreSQL: FOR UPDATE SKIP LOCKED), and hands them to Client::Drive, so two
// workers never pick the same op, a poll costs O(free slots) whatever the
// backlog, and a dead worker's ops are taken over once its lease lapses.
//
//   std::stop_source stop;
//   auto summary = idem::RunWorker(*client, *journal, {.concurrency = 16}, stop.get_token());
//
// Crash semantics: nothing lives only in the worker. SIGKILL a worker at any
// moment: its ops stay in the journal with their keys and are driven by
// another worker after `ClientOptions::lease`. A worker whose lease lapsed
// (stalled) is fenced by the lease generation: its late writes fail, the
// newer owner's outcome stands.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <stop_token>

#include "idem/client.h"
#include "idem/journal.h"
#include "idem/status.h"

namespace idem {

struct WorkerSummary {
  std::size_t polls = 0;   // claims (Journal::ClaimUnfinished calls)
  std::size_t driven = 0;  // ops claimed and handed to Client::Drive
  // By the state the Client handed back.
  std::size_t succeeded = 0;
  std::size_t failed = 0;
  std::size_t unknown = 0;
  std::size_t in_flight = 0;  // parked (the Client is shutting down)
  // The lease was lost before the op settled here (it lapsed and another
  // owner claimed the op, or a webhook settled it): kFailedPrecondition. With
  // claims two live workers never collide, so this stays ~0.
  std::size_t busy = 0;
  std::size_t errors = 0;  // journal errors (the loop keeps going)
  // With exit_when_idle, what the journal still held when the worker left:
  // unknown ops (retries ran out; a later run or `idem resume` drives them
  // again), unknown ops that need review (for `idem ops resolve`), and
  // in_flight ops another live owner held.
  std::size_t left_unknown = 0;
  std::size_t left_needs_review = 0;
  std::size_t left_held_elsewhere = 0;
};

struct WorkerOptions {
  // How often the journal is polled for unfinished ops whose lease is free or
  // lapsed when the last claim found fewer than the free slots (nothing more
  // to take now). After a full claim the worker claims again as soon as a
  // slot frees, with no sleep. Default 200 ms.
  std::chrono::milliseconds poll_interval{200};
  // Ops this worker drives at once (the Client's max_concurrent_ops should be
  // at least this). Default 16.
  std::size_t concurrency = 16;
  // Return once nothing can be driven now: a claim (after releasing the
  // leases of provably dead owners) finds nothing and nothing is driven
  // here. Every unfinished op left is then held by another live owner,
  // waits out unknown_retry_delay after it was given up, or needs review;
  // WorkerSummary::left_* count them. So a worker ends even while the API is
  // down (its ops end unknown, each driven once more per run at most). For
  // scripts and `idem chaos`, which starts another worker while drivable
  // ops remain. Default false: run until `stop`.
  bool exit_when_idle = false;
  // Drive `unknown` ops (retries exhausted earlier, kept) again too, as
  // `idem resume` does. Default true.
  bool drive_unknown = true;
  // An `unknown` op is not claimed until this long after its last journal
  // write (the moment its driver gave it up), by this worker or any other
  // (ClaimFilter::max_unknown_updated_ms), so a server that is down for a
  // while is not hammered at the poll rate. Default 1 s.
  std::chrono::milliseconds unknown_retry_delay{1000};
  // Called with the summary so far each time an op this worker drove
  // settles (for a progress line), on the thread that settled it, outside
  // the worker's lock; it must be quick and thread-safe. Default none.
  std::function<void(const WorkerSummary&)> on_settled;
};

// Runs until `stop` is requested or, with exit_when_idle, until nothing is
// left. On stop it takes no new op and waits for the ops it drives to settle
// (each to a final state, to `unknown` when its retries run out, or parked by
// the Client's destruction); then returns. Journal errors (a PostgreSQL
// restart, a locked file) are counted and retried at the poll interval; they
// never end the loop. Times it compares with journal stamps (the
// unknown_retry_delay filter, whether another owner's lease is live, the
// pace of the dead-owner scan) are the Client's clock (Client::clock(), so
// give the journal the same one, JournalOptions::clock); only its waits
// (poll_interval, the stop wait) are real time.
[[nodiscard]] Result<WorkerSummary> RunWorker(Client& client, Journal& journal,
                                              const WorkerOptions& options, std::stop_token stop);

}  // namespace idem

// The worker side of the producer/worker split: RunWorker drives queued and
// unfinished ops from a journal (stored by idem::Enqueue, or left behind by a
// crashed process) until stopped. Many workers, in one process or in many, on
// one host or many (PostgreSQL journal), may run on one journal: each op is
// claimed through its journal lease (Journal::Begin takes it only when it is
// free or lapsed), so two workers never drive the same op at once, and a dead
// worker's ops are taken over once its lease lapses.
//
//   std::stop_source stop;
//   auto summary = idem::RunWorker(*client, *journal, {.concurrency = 16}, stop.get_token());
//
// Crash semantics: nothing lives only in the worker. SIGKILL a worker at any
// moment: its ops stay in the journal with their keys and are driven by
// another worker after `ClientOptions::lease`.
#pragma once

#include <chrono>
#include <cstddef>
#include <stop_token>

#include "idem/client.h"
#include "idem/journal.h"
#include "idem/status.h"

namespace idem {

struct WorkerOptions {
  // How often the journal is polled for unfinished ops whose lease is free or
  // lapsed. Also the longest a freed driving slot waits before it is refilled
  // when the last poll found nothing more. Default 200 ms.
  std::chrono::milliseconds poll_interval{200};
  // Ops this worker drives at once (the Client's max_concurrent_ops should be
  // at least this). Default 16.
  std::size_t concurrency = 16;
  // Return once the journal holds no unfinished op (in_flight or unknown) and
  // nothing is driven here. For scripts and `idem chaos`. Default false: run
  // until `stop`.
  bool exit_when_idle = false;
  // Drive `unknown` ops (retries exhausted earlier, kept) again too, as
  // `idem resume` does. Default true.
  bool drive_unknown = true;
  // An op that ended `unknown` in this worker is not picked again for this
  // long (so a server that is down for a while is not hammered at the poll
  // rate). Default 1 s.
  std::chrono::milliseconds unknown_retry_delay{1000};
};

struct WorkerSummary {
  std::size_t polls = 0;
  std::size_t driven = 0;  // ops handed to the Client (each a driving session)
  // By the state the Client handed back. An op another worker settled
  // between this worker's poll and its claim comes back final without being
  // sent here, and is counted too.
  std::size_t succeeded = 0;
  std::size_t failed = 0;
  std::size_t unknown = 0;
  std::size_t in_flight = 0;  // parked (the Client is shutting down)
  std::size_t busy = 0;       // another owner held the lease by the time we asked
  std::size_t errors = 0;     // journal errors (the loop keeps going)
};

// Runs until `stop` is requested or, with exit_when_idle, until nothing is
// left. On stop it takes no new op and waits for the ops it drives to settle
// (each to a final state, to `unknown` when its retries run out, or parked by
// the Client's destruction); then returns. Journal errors (a PostgreSQL
// restart, a locked file) are counted and retried at the poll interval; they
// never end the loop. The stop wait uses the real clock.
Result<WorkerSummary> RunWorker(Client& client, Journal& journal, const WorkerOptions& options,
                                std::stop_token stop);

}  // namespace idem

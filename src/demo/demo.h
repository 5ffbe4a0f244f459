// `idem demo`: exactly-once under fire, in one process, with nothing to
// configure. RunDemo starts the sandbox in-process (port 0, memory store,
// faults of every kind), a webhook receiver (port 0) whose inbox lives in a
// temporary SQLite journal, drives CreateSession and AmlScreening ops through
// the journaled Didit client with many in flight, lets sessions auto-complete
// and their webhooks (duplicated, reordered) arrive, resumes what is left, and
// then counts from the sandbox's own execution records and the journal.
// Beside it, the same workload through a naive client (no Idempotency-Key,
// plain retries on any failure, no journal) on a fresh sandbox with the same
// faults.
//
//   idem::DemoOptions options;               // defaults: 300 + 300 ops
//   auto report = idem::RunDemo(options, [](const idem::DemoProgress& p) { ... });
//   if (report) std::cout << idem::DemoReportText(*report);
//
// The temporary directory (journal) is removed before RunDemo returns.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "idem/status.h"

namespace idem {

struct DemoOptions {
  // Logical CreateSession ops (each a unique vendor_data). Default 300.
  int sessions = 300;
  // Logical AmlScreening ops (each a unique full_name and vendor_data). Default 150.
  int aml_checks = 150;
  // Logical ProofOfAddress ops (billed, no key at Didit: a lost answer is
  // settled by the saved check's look-up). Default 75.
  int poa_checks = 75;
  // Logical AgeEstimation ops (the same rules). Default 75.
  int age_checks = 75;
  // Ops in flight at once (in each run). Default 48.
  int concurrency = 48;
  // Sandbox fault spec (docs/sandbox.md). Default: every kind, about a quarter
  // of requests faulted; retry_after=1 keeps pushback short.
  std::string faults =
      "drop_before=0.04,drop_after=0.05,error_503=0.04,error_500_after=0.05,"
      "rate_limit=0.04,slow=0.04:150,retry_after=1";
  // Webhook delivery faults (WebhookSender). Default duplicates and reordering.
  std::string webhook_faults = "duplicate=0.2,reorder=0.1";
  // Seeds the sandbox's faults, the auto-complete outcomes and the clients'
  // jitter. Same seed, similar run (thread timing still varies). Default 1.
  std::uint64_t seed = 1;
  // Sessions move to a final status this long after creation (webhooks follow).
  // Default 300 ms.
  std::chrono::milliseconds auto_complete{300};
  // Every Nth create is driven by a client allowed only ONE attempt, so a
  // dropped response leaves it `unknown` until the webhook heals it (the
  // lost-response heal, made visible). 0 = never. Default 8.
  int tight_every = 8;
  // Attempts per op: the idem client (LimitedAttemptsRetryPolicy) and the
  // naive client (plain retries). Default 6.
  int max_attempts = 6;
  // Run the naive client on a fresh sandbox too. Default true.
  bool naive = true;
  // Time per attempt of the idem client, which is also how long a look-up
  // that finds nothing waits for an attempt that may still be running before
  // it is trusted (didit::SetAttemptTimeout; Didit's advice is 30-60 s, the
  // in-process sandbox holds a request at most the `slow` delay of `faults`).
  // Default 3 s.
  std::chrono::milliseconds attempt_timeout{3000};
  // Bound on waiting for webhooks and auto-completes to settle. Default 20 s.
  std::chrono::milliseconds settle_timeout{20000};
  // How often the progress sink is called while ops run. Default 200 ms.
  std::chrono::milliseconds progress_interval{200};
};

// Live progress of one run ("idem" or "naive"); called from a helper thread.
struct DemoProgress {
  std::string run;    // "idem" | "naive"
  std::string phase;  // "driving", "settling", "resuming", "done"
  int done = 0;       // ops finished (any outcome)
  int total = 0;
  std::uint64_t requests = 0;  // HTTP requests the run sent so far
  std::uint64_t retries = 0;   // sent beyond one per started op
  double elapsed_s = 0;
  double ops_per_s = 0;
};
using DemoProgressSink = std::function<void(const DemoProgress&)>;

// When things happened in one run, for the HTML report's charts
// (RenderDemoReportHtml). Times are ms since the run's drive started, on
// the steady clock.
struct DemoTimeline {
  struct Phase {
    std::string name;  // "settling", "resuming", "counting"
    double t_ms = 0;
  };
  std::vector<double> op_latency_ms;  // per op (the p50/p99 above come from these)
  std::vector<double> op_done_ms;     // when each op's drive ended, ascending
  std::vector<Phase> phases;          // what followed the drive (idem run only)
};

// One run's figures. Server-side numbers come from the sandbox's
// /_sandbox/executions and /_sandbox/stats; ops' final states from the journal.
struct DemoRunReport {
  int ops = 0;         // logical ops driven
  int sessions = 0;    // of which CreateSession
  int aml_checks = 0;  // of which AmlScreening
  int poa_checks = 0;  // of which ProofOfAddress
  int age_checks = 0;  // of which AgeEstimation
  int executions = 0;  // create_session, aml, poa and age_estimation executions on the server
  int duplicates = 0;  // executions beyond one per logical op (by vendor_data)
  int duplicate_sessions = 0;
  int duplicate_aml = 0;
  int duplicate_poa = 0;
  int duplicate_age = 0;
  int session_executions = 0;  // of executions, create_session
  int aml_executions = 0;      // of executions, aml
  int poa_executions = 0;      // of executions, poa
  int age_executions = 0;      // of executions, age_estimation
  int lost = 0;                // ops with no execution, or not succeeded in the journal
  std::uint64_t requests = 0;  // API requests the server saw
  std::uint64_t retries = 0;   // idem: journal attempts beyond one per op; naive: sends beyond one
  std::uint64_t replays = 0;   // idempotent replays the server answered
  std::uint64_t conflicts_409 = 0;
  std::uint64_t mismatches_422 = 0;
  std::uint64_t rate_limited_429 = 0;
  std::uint64_t faults_injected = 0;                    // all kinds, as the sandbox counted them
  std::map<std::string, std::uint64_t> faults_by_kind;  // the same by fault kind
  std::uint64_t vendor_dedup_hits = 0;
  std::uint64_t lookups = 0;             // reconciliation look-ups (GET /v3/sessions/?vendor_data=)
  std::uint64_t lookups_reconciled = 0;  // ... that found the session (op adopted, nothing re-sent)
  int unknown_after_drive = 0;           // ops the driver left unknown (retries ran out)
  std::uint64_t healed_by_webhook = 0;   // ops the webhook inbox's heal settled
  int resumed = 0;                       // ops settled by Resume() after the drive
  std::uint64_t webhooks_received = 0;   // deliveries the receiver accepted (stored + duplicate)
  std::uint64_t webhooks_stored = 0;
  std::uint64_t webhooks_deduped = 0;
  double p50_ms = 0;  // per-op latency: start of driving to its outcome
  double p99_ms = 0;
  double seconds = 0;  // wall time of the drive
  double ops_per_s = 0;
  // attempts_per_op[n] = ops sent n times (idem: the journal's attempts;
  // naive: its sends).
  std::vector<std::uint64_t> attempts_per_op;
  DemoTimeline timeline;
};

struct DemoReport {
  std::uint64_t seed = 0;
  std::string faults;
  std::string webhook_faults;
  int concurrency = 0;
  DemoRunReport idem;
  bool has_naive = false;
  DemoRunReport naive;
  double total_seconds = 0;
};

// Runs both workloads. Errors: kInvalidArgument (bad counts or fault spec),
// kUnavailable/kIo when a part cannot start (port, temp dir, journal).
[[nodiscard]] Result<DemoReport> RunDemo(const DemoOptions& options,
                                         const DemoProgressSink& progress = {});

// The human report: a two-column table (idem | naive) and a verdict line.
std::string DemoReportText(const DemoReport& report);
// {"ops", "executions", "duplicates", "lost", ..., "naive": {...}} as one line.
std::string DemoReportJson(const DemoReport& report);
// The report as one self-contained HTML page (inline CSS and SVG, no
// script, nothing fetched): the verdict and seed, the parameters,
// executions vs ops per kind for idem and the naive client, duplicates and
// lost side by side, ops done over time, latency and attempts per op, faults
// by kind, and how idem settled what the faults left open. Every figure
// also in DemoReportJson carries the same value; text is escaped.
std::string RenderDemoReportHtml(const DemoReport& report);
// One progress line without a newline (the CLI adds \r or \n).
std::string DemoProgressLine(const DemoProgress& progress);

}  // namespace idem

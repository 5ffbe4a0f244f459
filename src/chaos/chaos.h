// `idem chaos` as a library: the harness that proves the exactly-once promise
// under process kills. It runs the sandbox as its own process (SQLite store,
// Didit's behaviour by default: keys on AML only), enqueues N ops of every
// supported kind (session creations, status updates and deletes of sessions
// it prepared, billed AML, liveness, face-match and ID checks), each with its
// own vendor_data, into a journal, runs C `idem worker` processes on it,
// SIGKILLs a random worker at seeded random moments K times (starting a new
// one each time), kills and restarts the sandbox once mid-run on the same
// port with the same store, and when every worker has exited idle verifies,
// per kind and in total:
//
//   from the sandbox's own records (GET /_sandbox/executions, /_sandbox/stats)
//     executions per op (matched by kind and the op's unique vendor_data):
//     duplicates = executions beyond one per op;
//   from the journal
//     lost = ops not final (and not stopped for review) + ops succeeded
//     with no execution on the server;
//     unknown = ops stopped for a person (needs_review: it could not be
//     proven whether they executed). Allowed on the didit profile, reported;
//     must be 0 on the ideal profile.
//
// Everything random (kill moments, which worker, the sandbox's faults) comes
// from `seed`; a failing run is replayed with the same seed (process timing
// still varies, so a replay is likely, not certain, to fail the same way).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "idem/status.h"

namespace idem {

struct ChaosOptions {
  // Logical ops. Default 200.
  std::size_t ops = 200;
  // Worker processes alive at once. Default 3.
  int concurrency = 3;
  // Ops each worker drives at once (`idem worker --concurrency`). Default 8.
  int worker_concurrency = 8;
  // SIGKILLs of a random worker, each followed by a new worker. Default 5.
  int kills = 5;
  // Kills are placed by progress (not time, so they land while work is left
  // on any machine): kill i fires once a seeded fraction, uniform in 5%..85%
  // (sorted), of the ops is final, and at least kill_gap after the previous
  // kill. Default 100 ms.
  std::chrono::milliseconds kill_gap{100};
  // Restart the sandbox once (SIGKILL, then start on the same port and
  // store), right after a seeded one of the kills. Default true.
  bool restart_sandbox = true;
  // The sandbox's --faults (see docs/sandbox.md). Default: moderate, every kind.
  std::string faults =
      "drop_before=0.04,drop_after=0.04,error_503=0.04,error_500_after=0.04,rate_limit=0.03,"
      "slow=0.02:300,slow_exec=0.02:300,retry_after=1";
  // Op kinds to drive, in turn (op i is kinds[i % n]): create_session,
  // update_status, delete_session, aml, passive_liveness, face_match,
  // id_verification, poa, face_search, age_estimation, database_validation.
  // Empty (default): every one of them (without aml under
  // no_idempotency, unless billed_without_keys).
  std::vector<std::string> kinds;
  // The sandbox's `--profile`: "didit" (default; keys honoured on AML only,
  // update-status refuses the status a session already has, ...) or "ideal"
  // (keys on every mutating endpoint; the workers are told so).
  std::string profile = "didit";
  // Sandbox without keys (not even on AML) and without vendor_data dedup.
  bool no_idempotency = false;
  // With no_idempotency, drive billed AML checks too. The client replays
  // them with a key the sandbox now ignores, so a lost response makes the
  // replay execute again: the run is EXPECTED to fail with duplicates. It
  // shows the harness does see duplicates.
  bool billed_without_keys = false;
  // Also drive the same workload through a naive client (no key, no journal,
  // no look-up: any failure is sent again, up to 20 attempts) on a fresh
  // sandbox with the same faults and seed, and report it beside, per kind.
  // No kills in that run (a naive client has nothing to resume from).
  // Default false.
  bool naive = false;
  // Seeds the kills and the sandbox's faults. 0: one is drawn (and reported).
  std::uint64_t seed = 0;
  // Journal: a SQLite path or a postgres:// URL (a database of its own: the
  // run's ops are told apart by their op_id prefix, but `lost` counts only
  // them). Empty: a SQLite file in the work directory.
  std::string journal;
  // The idem executable (runs `sandbox` and `worker`). Empty: /proc/self/exe.
  std::string idem_binary;
  // Where the sandbox store, a temp journal and the processes' logs go.
  // Empty: a fresh directory under $TMPDIR (or /tmp), removed afterwards
  // unless the run failed or keep_files is set.
  std::string work_dir;
  bool keep_files = false;
  // Lease each worker holds on an op (`--lease-ms`): how soon a killed
  // worker's ops are taken over. Default 1000 ms.
  std::chrono::milliseconds lease{1000};
  // The whole run (until every worker exits idle). Past it the run stops,
  // the workers are killed and the report has timed_out set. Default 120 s.
  std::chrono::milliseconds deadline{120000};
  // Progress lines (kills, restarts); default none. Called on the caller's
  // thread.
  std::function<void(std::string_view)> log;
  // Ops final so far of `total`, about once a second while the workers run
  // (read from the journal); default none. Called on the caller's thread.
  std::function<void(std::size_t done, std::size_t total)> progress;
};

// One op kind's share of a run.
struct ChaosKindReport {
  std::string kind;
  std::size_t ops = 0;
  std::size_t executions = 0;
  std::size_t duplicates = 0;
  std::size_t lost = 0;
  std::size_t unknown = 0;  // stopped for review (needs_review)
  std::size_t succeeded = 0;
  std::size_t failed = 0;
};

// When things happened in a run, for the HTML report's charts
// (RenderChaosReportHtml). Times are ms since RunChaos started, on the
// steady clock the harness runs by.
struct ChaosTimeline {
  struct Sample {
    std::int64_t t_ms = 0;
    std::size_t settled = 0;  // ops final or stopped for review, in the journal
  };
  struct Kill {
    std::int64_t t_ms = 0;
    std::size_t settled = 0;  // the progress that triggered it
    int worker = 0;           // index of the worker killed (in start order)
  };
  // The workers started (before: the sandbox, the workload's preparation
  // and its enqueue).
  std::int64_t drive_started_ms = 0;
  // Progress, sampled from the journal about every 100 ms while the workers
  // run, and once at the end.
  std::vector<Sample> progress;
  std::vector<Kill> kills;                        // SIGKILLs of workers
  std::vector<std::int64_t> sandbox_restarts_ms;  // SIGKILL + start of the sandbox
  // Per final op, from the journal: its last update (the final state) minus
  // its first send. Workers' wall clocks; a takeover after a kill waits out
  // the lease inside it.
  std::vector<std::int64_t> op_latency_ms;
};

struct ChaosReport {
  std::uint64_t seed = 0;
  std::string profile;  // the sandbox's
  bool no_idempotency = false;
  std::string journal_kind;     // "sqlite" or "postgres"
  std::size_t ops = 0;          // logical ops enqueued
  std::size_t session_ops = 0;  // of which session creations
  std::size_t aml_ops = 0;      // of which billed AML checks
  std::size_t executions = 0;   // the sandbox's executions of the run's ops
  std::size_t duplicates = 0;   // executions beyond one per op
  std::size_t lost = 0;         // not final + succeeded without an execution
  std::size_t not_final = 0;    // in_flight, or unknown not for review, at the end
  std::size_t unknown = 0;      // stopped for review: a person must settle them
  std::size_t succeeded = 0;    // journal states at the end
  std::size_t failed = 0;       // refused for good (none expected)
  std::size_t succeeded_without_execution = 0;
  std::size_t stray_executions = 0;        // executions matching no op of the run
  std::int64_t duplicate_vendor_data = 0;  // from /_sandbox/stats
  std::int64_t duplicate_executions = 0;   // from /_sandbox/stats
  std::int64_t faults_injected = 0;        // by the sandbox (its stats), over both of its runs
  // faults_injected by the sandbox's fault kind (drop_after, error_503, ...).
  std::map<std::string, std::int64_t> faults_by_kind;
  std::size_t attempts = 0;  // requests sent, summed from the journal
  std::size_t retries = 0;   // attempts beyond one per op
  // attempts_per_op[n] = ops the journal shows with n attempts.
  std::vector<std::size_t> attempts_per_op;
  int kills = 0;  // SIGKILLs of workers done
  int kills_requested = 0;
  int sandbox_restarts = 0;
  int worker_starts = 0;
  int worker_failures = 0;  // workers that exited non-zero on their own
  bool timed_out = false;
  std::int64_t elapsed_ms = 0;
  std::string work_dir;                   // kept when the run failed (logs inside)
  std::vector<ChaosKindReport> per_kind;  // in ChaosOptions::kinds order
  // With ChaosOptions::naive: the naive client's run (not part of passed()).
  // Its `lost` are ops never executed, `failed` ops that never got a 2xx.
  bool has_naive = false;
  std::vector<ChaosKindReport> naive_per_kind;
  std::size_t naive_executions = 0;
  std::size_t naive_duplicates = 0;
  std::size_t naive_lost = 0;
  ChaosTimeline timeline;

  bool passed() const {
    return duplicates == 0 && lost == 0 && failed == 0 && !timed_out && worker_failures == 0 &&
           (profile != "ideal" || unknown == 0);
  }
};

// The kinds a run drives by default, in order: the endpoint rows that create
// or bill something once per op (not the OTP calls or the batch delete, which
// idem sends again by design).
std::vector<std::string> DefaultChaosKinds();

// Runs the harness. Errors (kInvalidArgument for bad options, kUnavailable
// when the sandbox or the journal cannot be started/opened, kIo) mean the run
// could not take place; a run that took place returns its report, passed or
// not.
[[nodiscard]] Result<ChaosReport> RunChaos(ChaosOptions options);

// The report as one self-contained HTML page (inline CSS and SVG, no script,
// nothing fetched): the verdict and seed, the run's parameters (`options`:
// what RunChaos was given; the seed and kinds shown are the report's, which
// RunChaos fills in), settled ops over time with every kill and sandbox
// restart marked, attempts and latency per op, faults by kind, executions
// vs ops per kind, and the naive client's run when there was one. Every
// figure also named in `idem chaos --json` carries the same value. Text is
// escaped; nothing in a report can inject markup.
std::string RenderChaosReportHtml(const ChaosReport& report, const ChaosOptions& options);

}  // namespace idem

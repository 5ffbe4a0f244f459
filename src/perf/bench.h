// The library behind `idem bench` and bench/client_vs_curl: throughput
// figures measured in one process, against real parts on loopback (the
// sandbox with its SQLite store, a SQLite journal, the webhook receiver).
// These are benchmarks, not tests: they report what they measured, never
// assert a speed.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "idem/journal.h"
#include "idem/status.h"

namespace idem {

// The journaled client against a bare libcurl loop sending the same requests
// (POST /v3/session/ with a fresh Idempotency-Key and unique vendor_data) to
// an in-process sandbox with a SQLite store, at the same concurrency.
struct ClientBenchOptions {
  // Requests in flight: the bare loop's transfers and the client's
  // max_concurrent_ops (and its transport's max_in_flight). Default 32.
  int concurrency = 32;
  // Target length of one run; the number of ops per run is derived from a
  // short bare-loop warm-up so every run sends the same count. Default 3 s.
  std::chrono::milliseconds run_duration{3000};
  // Ops per run; 0 (default) derives it from run_duration.
  std::size_t ops_per_run = 0;
  // Rounds of one bare run and one client run, in alternating order (bare
  // first in even rounds, client first in odd ones: the sandbox's store grows
  // with every run, and a fixed order would always give one side the smaller
  // store). The best of each and the median of the rounds' ratios are
  // reported. Default 2.
  int rounds = 2;
  // The client's journal durability. Default kPowerLoss (fsync per commit).
  Durability durability = Durability::kPowerLoss;
  // The sandbox's I/O threads. Default 2.
  int sandbox_threads = 2;
};

struct ClientBenchResult {
  int concurrency = 0;
  std::size_t ops_per_run = 0;
  double bare_ops_per_second = 0;     // best bare-loop run
  double client_ops_per_second = 0;   // best journaled-client run
  double ratio = 0;                   // best client / best bare
  double median_ratio = 0;            // median over rounds of client / bare
  std::uint64_t bare_failures = 0;    // responses other than 201, or none
  std::uint64_t client_failures = 0;  // ops that did not end succeeded
  std::vector<double> bare_runs;      // ops/s of every run, in order
  std::vector<double> client_runs;
  // Per op, whole process (the in-process sandbox included), median over
  // runs: CPU (user + system) and bytes sent to storage.
  double bare_cpu_us_per_op = 0;
  double client_cpu_us_per_op = 0;
  double bare_write_kb_per_op = 0;
  double client_write_kb_per_op = 0;
  // Per op, the sending side alone, median over runs: the bare loop's thread;
  // the submitting thread and the client's own threads (curl, workers,
  // timer). The sandbox's CPU is not in these.
  double bare_side_cpu_us_per_op = 0;
  double client_side_cpu_us_per_op = 0;
};

[[nodiscard]] Result<ClientBenchResult> RunClientVsCurl(const ClientBenchOptions& options);

// Submits `ops` at once to one journaled client (default durability) and
// waits for all: the memory a large queue costs. The sandbox runs in a forked
// child process (started before any client thread), so the peak RSS is the
// client's: its queue, journal connections, transport and threads.
struct QueuedBenchOptions {
  std::size_t ops = 10000;
  int concurrency = 32;
  int sandbox_threads = 2;
};

struct QueuedBenchResult {
  std::size_t ops = 0;
  std::size_t succeeded = 0;
  double seconds = 0;
  // getrusage(RUSAGE_SELF).ru_maxrss at the end: this process's peak since
  // it started (so run this first in a process to measure the queue alone).
  std::int64_t peak_rss_kb = 0;
  // VmRSS before the ops were submitted (client created).
  std::int64_t rss_before_kb = 0;
};

[[nodiscard]] Result<QueuedBenchResult> RunQueuedClientBench(const QueuedBenchOptions& options);

// The latency one journaled call adds (issue 19): session creates one at a
// time against an in-process sandbox (SQLite store), a bare libcurl easy
// handle (keep-alive, the same headers) against a Client with one op in
// flight and `Client::Call`, in rounds of alternating order, each side on a
// fresh sandbox. Per-request latencies of every round are pooled.
struct LatencyBenchOptions {
  std::size_t ops_per_round = 500;  // per side. Default 500.
  int rounds = 4;                   // Default 4.
  // The client's journal durability. Default kPowerLoss (fsync per commit).
  Durability durability = Durability::kPowerLoss;
};

struct LatencyBenchResult {
  std::size_t ops = 0;  // per side, over every round
  double bare_p50_us = 0, bare_p99_us = 0;
  double client_p50_us = 0, client_p99_us = 0;
  // Journal transactions committed per client op (each one fsync of the WAL
  // with kPowerLoss), and journal writes per op (group commit makes
  // transactions <= writes).
  double transactions_per_op = 0;
  double writes_per_op = 0;
  std::uint64_t bare_failures = 0;    // answers other than 201
  std::uint64_t client_failures = 0;  // ops that did not end succeeded
};

[[nodiscard]] Result<LatencyBenchResult> RunLatencyBench(const LatencyBenchOptions& options);

// Signed Didit webhooks POSTed over HTTP to a WebhookReceiver (SQLite inbox,
// default durability): verified and stored events per second.
struct WebhookBenchOptions {
  int in_flight = 32;
  int receiver_threads = 2;
  std::chrono::milliseconds duration{3000};
};

struct WebhookBenchResult {
  std::uint64_t events = 0;    // acknowledged with 200 (stored)
  std::uint64_t failures = 0;  // anything else
  double seconds = 0;
  double events_per_second = 0;
};

[[nodiscard]] Result<WebhookBenchResult> RunWebhookReceiveBench(const WebhookBenchOptions& options);

// A realistic Didit status.updated payload (~700 bytes), unique per n.
std::string WebhookBenchEvent(std::int64_t n);

// `idem bench`: everything above (except the queued-memory run) in one table.
struct BenchOptions {
  // Scales every phase: the client comparison gets about half of it, the
  // sandbox replay and create runs and the webhook run share the rest.
  // Default 40 s.
  double seconds = 40;
  int concurrency = 32;
  // Called as each phase starts: its name, its index (0-based) and the
  // number of phases; default none. Called on the caller's thread.
  std::function<void(std::string_view phase, int index, int count)> on_phase;
};

struct BenchReport {
  ClientBenchResult client;
  double sandbox_replays_per_second = 0;
  double sandbox_creates_per_second = 0;
  int sandbox_connections = 0;
  WebhookBenchResult webhook;
  int webhook_in_flight = 0;
};

[[nodiscard]] Result<BenchReport> RunBench(const BenchOptions& options);
std::string FormatBenchTable(const BenchReport& report);
std::string BenchReportJson(const BenchReport& report);  // one JSON object

}  // namespace idem

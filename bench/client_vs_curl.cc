// The issue-3 benchmark (not a test): the journaled client (SQLite journal,
// default durability: fsync per commit) against a bare libcurl loop sending
// the same session creates to an in-process sandbox (SQLite store) at the
// same concurrency, in rounds of alternating order; or, with --queued N, N ops submitted at
// once and the process's peak RSS. Figures: docs/client.md.
//
//   client_vs_curl [--concurrency C] [--seconds S] [--ops N] [--rounds R]
//                  [--process-crash]
//   client_vs_curl --queued 10000 [--concurrency C]
//   client_vs_curl --latency [--ops N] [--rounds R] [--process-crash]
//     (one in flight: the latency a journaled call adds, p50 and p99)
#include <cstdio>
#include <cstdlib>
#include <string>

#include "perf/bench.h"

int main(int argc, char** argv) {
  idem::ClientBenchOptions options;
  std::size_t queued = 0;
  bool latency = false;
  bool rounds_given = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto next = [&] { return i + 1 < argc ? argv[++i] : "0"; };
    if (arg == "--concurrency") {
      options.concurrency = std::atoi(next());
    } else if (arg == "--seconds") {
      options.run_duration = std::chrono::milliseconds(static_cast<long>(std::atof(next()) * 1000));
    } else if (arg == "--ops") {
      options.ops_per_run = static_cast<std::size_t>(std::atol(next()));
    } else if (arg == "--rounds") {
      options.rounds = std::atoi(next());
      rounds_given = true;
    } else if (arg == "--process-crash") {
      options.durability = idem::Durability::kProcessCrash;
    } else if (arg == "--latency") {
      latency = true;
    } else if (arg == "--queued") {
      queued = static_cast<std::size_t>(std::atol(next()));
    } else {
      std::fprintf(stderr, "unknown argument %s\n", arg.c_str());
      return 2;
    }
  }
  if (latency) {
    idem::LatencyBenchOptions l;
    if (options.ops_per_run > 0) l.ops_per_round = options.ops_per_run;
    if (rounds_given) l.rounds = options.rounds;
    l.durability = options.durability;
    auto r = idem::RunLatencyBench(l);
    if (!r) {
      std::fprintf(stderr, "%s\n", r.error().ToString().c_str());
      return 1;
    }
    std::printf("one in flight, %zu creates per side (%d rounds, alternating), durability=%s\n",
                r->ops, l.rounds,
                l.durability == idem::Durability::kPowerLoss ? "power_loss" : "process_crash");
    std::printf("bare libcurl        p50 %7.0f us   p99 %7.0f us   (failures %llu)\n",
                r->bare_p50_us, r->bare_p99_us, static_cast<unsigned long long>(r->bare_failures));
    std::printf("journaled client    p50 %7.0f us   p99 %7.0f us   (failures %llu)\n",
                r->client_p50_us, r->client_p99_us,
                static_cast<unsigned long long>(r->client_failures));
    std::printf("added by idem       p50 %7.0f us   p99 %7.0f us\n",
                r->client_p50_us - r->bare_p50_us, r->client_p99_us - r->bare_p99_us);
    std::printf("journal per op      %.2f transactions (fsyncs), %.2f writes\n",
                r->transactions_per_op, r->writes_per_op);
    return r->bare_failures == 0 && r->client_failures == 0 ? 0 : 1;
  }
  if (queued > 0) {
    idem::QueuedBenchOptions q;
    q.ops = queued;
    q.concurrency = options.concurrency;
    auto r = idem::RunQueuedClientBench(q);
    if (!r) {
      std::fprintf(stderr, "%s\n", r.error().ToString().c_str());
      return 1;
    }
    std::printf(
        "queued=%zu succeeded=%zu seconds=%.2f rate=%.0f/s rss_before=%.1f MB "
        "peak_rss=%.1f MB (this process; the sandbox runs in a child)\n",
        r->ops, r->succeeded, r->seconds, r->seconds > 0 ? r->succeeded / r->seconds : 0.0,
        r->rss_before_kb / 1024.0, r->peak_rss_kb / 1024.0);
    return r->succeeded == r->ops ? 0 : 1;
  }
  auto r = idem::RunClientVsCurl(options);
  if (!r) {
    std::fprintf(stderr, "%s\n", r.error().ToString().c_str());
    return 1;
  }
  std::printf("concurrency=%d ops_per_run=%zu rounds=%d durability=%s\n", r->concurrency,
              r->ops_per_run, options.rounds,
              options.durability == idem::Durability::kPowerLoss ? "power_loss" : "process_crash");
  std::printf("bare libcurl loop   %8.0f ops/s  (failures %llu)\n", r->bare_ops_per_second,
              static_cast<unsigned long long>(r->bare_failures));
  std::printf("journaled client    %8.0f ops/s  (failures %llu)\n", r->client_ops_per_second,
              static_cast<unsigned long long>(r->client_failures));
  std::printf("ratio client/bare   %8.2f  (best of each; every round, bare/client:", r->ratio);
  for (std::size_t i = 0; i < r->bare_runs.size(); ++i) {
    std::printf(" %.0f/%.0f", r->bare_runs[i], r->client_runs[i]);
  }
  std::printf(")\n");
  std::printf("median round ratio  %8.2f\n", r->median_ratio);
  std::printf(
      "per op, whole process (sandbox included), median of runs: bare %.0f us CPU, %.1f KB "
      "written; client %.0f us CPU, %.1f KB written\n",
      r->bare_cpu_us_per_op, r->bare_write_kb_per_op, r->client_cpu_us_per_op,
      r->client_write_kb_per_op);
  std::printf(
      "per op, sending side only (sandbox excluded), median of runs: bare %.0f us CPU, "
      "client %.0f us CPU\n",
      r->bare_side_cpu_us_per_op, r->client_side_cpu_us_per_op);
  return 0;
}

// `idem bench`: the client comparison, the sandbox's own rates and the
// webhook receiver's rate, in one bounded run, as a table or JSON.
#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "idem/sandbox.h"
#include "perf/bench.h"
#include "perf/temp_dir.h"
#include "sandbox/load_generator.h"

namespace idem {
namespace {

using std::chrono::milliseconds;

milliseconds Part(double seconds, double fraction) {
  return milliseconds(std::max<long>(100, static_cast<long>(seconds * fraction * 1000)));
}

// Replays/s (one key) and creates/s (fresh keys) on a sandbox with a SQLite
// store, as bench/sandbox_load measures them.
[[nodiscard]] Status RunSandboxRates(const BenchOptions& options, BenchReport& report) {
  auto dir = perf::TempDir::Create("idem-bench-sandbox");
  if (!dir) return tl::unexpected(dir.error());
  SandboxOptions so;
  so.port = 0;
  so.db_path = dir->File("sandbox.db");
  // Keyed replays of session creates: keys on every endpoint (ideal profile).
  so.profile = SandboxProfile::kIdeal;
  auto sandbox = Sandbox::Start(std::move(so));
  if (!sandbox) return tl::unexpected(sandbox.error());
  report.sandbox_connections = 4;
  for (auto mode : {SandboxLoadOptions::Mode::kReplay, SandboxLoadOptions::Mode::kCreate}) {
    SandboxLoadOptions load;
    load.port = (*sandbox)->port();
    load.mode = mode;
    load.connections = report.sandbox_connections;
    load.duration = Part(options.seconds, 0.1);
    auto r = RunSandboxLoad(load);
    if (!r) return tl::unexpected(r.error());
    (mode == SandboxLoadOptions::Mode::kReplay ? report.sandbox_replays_per_second
                                               : report.sandbox_creates_per_second) =
        r->requests_per_second;
  }
  (*sandbox)->Stop();
  return {};
}

}  // namespace

[[nodiscard]] Result<BenchReport> RunBench(const BenchOptions& options) {
  BenchReport report;
  auto phase = [&options](std::string_view name, int index) {
    if (options.on_phase) options.on_phase(name, index, 3);
  };
  phase("journaled client vs bare libcurl", 0);
  ClientBenchOptions co;
  co.concurrency = std::max(1, options.concurrency);
  co.run_duration = Part(options.seconds, 0.1);  // x2 rounds x (bare + client)
  auto client = RunClientVsCurl(co);
  if (!client) return tl::unexpected(client.error());
  report.client = *client;

  phase("sandbox replays and creates", 1);
  if (auto st = RunSandboxRates(options, report); !st) return tl::unexpected(st.error());

  phase("webhooks verified and stored", 2);
  WebhookBenchOptions wo;
  wo.in_flight = co.concurrency;
  wo.duration = Part(options.seconds, 0.1);
  auto webhook = RunWebhookReceiveBench(wo);
  if (!webhook) return tl::unexpected(webhook.error());
  report.webhook = *webhook;
  report.webhook_in_flight = wo.in_flight;
  return report;
}

std::string FormatBenchTable(const BenchReport& r) {
  std::string out;
  out += fmt::format("{:<48} {:>12}\n", "measure (loopback, SQLite everywhere)", "rate");
  out += fmt::format("{:<48} {:>8.0f}/s\n",
                     fmt::format("bare libcurl loop, creates, {} in flight", r.client.concurrency),
                     r.client.bare_ops_per_second);
  out += fmt::format("{:<48} {:>8.0f}/s\n",
                     fmt::format("journaled client (fsync), {} in flight", r.client.concurrency),
                     r.client.client_ops_per_second);
  out += fmt::format("{:<48} {:>10.2f}x\n", "client / bare (best runs)", r.client.ratio);
  out +=
      fmt::format("{:<48} {:>10.2f}x\n", "client / bare (median of rounds)", r.client.median_ratio);
  out += fmt::format("{:<48} {:>8.0f}/s\n",
                     fmt::format("sandbox replays, {} connections", r.sandbox_connections),
                     r.sandbox_replays_per_second);
  out += fmt::format("{:<48} {:>8.0f}/s\n",
                     fmt::format("sandbox creates, {} connections", r.sandbox_connections),
                     r.sandbox_creates_per_second);
  out += fmt::format("{:<48} {:>8.0f}/s\n",
                     fmt::format("webhooks verified+stored, {} in flight", r.webhook_in_flight),
                     r.webhook.events_per_second);
  out += fmt::format("({} ops per client/bare run; failures: bare {}, client {}, webhook {})\n",
                     r.client.ops_per_run, r.client.bare_failures, r.client.client_failures,
                     r.webhook.failures);
  return out;
}

std::string BenchReportJson(const BenchReport& r) {
  nlohmann::json j;
  j["client_vs_curl"] = {{"concurrency", r.client.concurrency},
                         {"ops_per_run", r.client.ops_per_run},
                         {"bare_ops_per_second", r.client.bare_ops_per_second},
                         {"client_ops_per_second", r.client.client_ops_per_second},
                         {"ratio", r.client.ratio},
                         {"median_ratio", r.client.median_ratio},
                         {"bare_side_cpu_us_per_op", r.client.bare_side_cpu_us_per_op},
                         {"client_side_cpu_us_per_op", r.client.client_side_cpu_us_per_op},
                         {"bare_failures", r.client.bare_failures},
                         {"client_failures", r.client.client_failures}};
  j["sandbox"] = {{"connections", r.sandbox_connections},
                  {"replays_per_second", r.sandbox_replays_per_second},
                  {"creates_per_second", r.sandbox_creates_per_second}};
  j["webhook"] = {{"in_flight", r.webhook_in_flight},
                  {"events", r.webhook.events},
                  {"failures", r.webhook.failures},
                  {"seconds", r.webhook.seconds},
                  {"events_per_second", r.webhook.events_per_second}};
  return j.dump();
}

}  // namespace idem

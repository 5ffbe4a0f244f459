// Shared by the fleet tests (tests/worker) and the fleet benchmarks
// (bench/pg_workers_bench.cc, bench/fleet_rate_bench.cc): `idem sandbox` and
// `idem worker` as real child processes (chaos::Child), the op mix, and the
// sandbox's own execution records read over HTTP.
#pragma once

#include <signal.h>

#include <chrono>
#include <cstdlib>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "chaos/process.h"
#include "chaos/sandbox_json.h"
#include "idem/didit/client.h"
#include "idem/enqueue.h"
#include "idem/journal.h"
#include "idem/transport.h"

namespace idem::fleet {

inline constexpr char kApiKey[] = "sandbox-key";
// Any valid workflow UUID: the sandbox accepts every one.
inline constexpr char kWorkflowId[] = "0c3b6a52-7f1e-4c8a-9d2b-3e4f5a6b7c8d";

inline std::string Bin() {
  const char* bin = std::getenv("IDEM_BIN");
  return bin && *bin ? bin : "idem";
}

struct SandboxProcess {
  chaos::Child child;
  std::string base_url;
};

// `idem sandbox --listen 127.0.0.1:0 --db DB ...`; the URL from its first line.
inline Result<SandboxProcess> StartSandbox(const std::string& db, const std::string& faults,
                                           std::uint64_t seed, const std::string& log_path,
                                           std::vector<std::string> extra = {}) {
  std::vector<std::string> argv = {Bin(),       "sandbox", "--listen", "127.0.0.1:0",
                                   "--api-key", kApiKey,   "--seed",   std::to_string(seed)};
  // Empty: the in-memory store, no faults.
  if (!db.empty()) argv.insert(argv.end(), {"--db", db});
  if (!faults.empty()) argv.insert(argv.end(), {"--faults", faults});
  argv.insert(argv.end(), extra.begin(), extra.end());
  auto child = chaos::Child::Spawn(argv, log_path, true);
  if (!child) return tl::unexpected(child.error());
  auto line = child->ReadLine(std::chrono::milliseconds(20000));
  const std::string prefix = "listening on ";
  if (!line || line->rfind(prefix, 0) != 0) {
    child->KillAndWait(SIGKILL);
    return MakeError(ErrorCode::kUnavailable, "the sandbox did not start (see " + log_path + ")");
  }
  return SandboxProcess{std::move(*child), line->substr(prefix.size())};
}

// `idem worker` flags shared by the test and the benchmark.
inline std::vector<std::string> WorkerArgv(const std::string& journal, const std::string& base_url,
                                           int concurrency, int lease_ms) {
  return {Bin(),
          "worker",
          "--exit-when-idle",
          "--journal",
          journal,
          "--base-url",
          base_url,
          "--api-key",
          kApiKey,
          "--lease-ms",
          std::to_string(lease_ms),
          "--concurrency",
          std::to_string(concurrency),
          "--poll-ms",
          "50",
          "--timeout-ms",
          "3000",
          "--max-attempts",
          "40",
          "--backoff-base-ms",
          "10",
          "--backoff-cap-ms",
          "300"};
}

// Op i of a run: every third a billed AML check (key only), the rest session
// creates (key + look-up reconciler). vendor_data = op_id, so the sandbox's
// execution records name the op.
inline Result<OpRequest> MixedOp(const std::string& id, std::size_t i) {
  if (i % 3 == 2) {
    didit::AmlRequest aml;
    aml.full_name = "Fleet Person " + std::to_string(i);
    aml.vendor_data = id;
    return didit::AmlScreeningOp(aml, {.op_id = id});
  }
  didit::CreateSessionRequest session;
  session.workflow_id = kWorkflowId;
  session.vendor_data = id;
  return didit::CreateSessionOp(session, {.op_id = id});
}

inline Status EnqueueMix(Journal& journal, const std::string& prefix, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) {
    auto request = MixedOp(prefix + std::to_string(i), i);
    if (!request) return tl::unexpected(request.error());
    auto op = Enqueue(journal, std::move(*request));
    if (!op) return tl::unexpected(op.error());
  }
  return {};
}

inline Result<nlohmann::json> GetJson(const std::string& base_url, const std::string& path) {
  auto transport = MakeCurlTransport();
  return chaos::GetSandboxJson(*transport, base_url, path);
}

// vendor_data -> executions, from /_sandbox/executions (with a PostgreSQL
// store: every sandbox process's executions, read from the shared database).
inline Result<std::map<std::string, int>> ExecutionsByVendorData(const std::string& base_url) {
  auto j = GetJson(base_url, "/_sandbox/executions");
  if (!j) return tl::unexpected(j.error());
  std::map<std::string, int> by;
  for (const auto& e : (*j)["executions"]) {
    if (e.contains("vendor_data") && e["vendor_data"].is_string()) {
      ++by[e["vendor_data"].get<std::string>()];
    }
  }
  return by;
}

// Waits until every child has exited (polled every `every`).
inline void WaitForAll(std::vector<chaos::Child>& children,
                       std::chrono::milliseconds every = std::chrono::milliseconds(5)) {
  for (;;) {
    bool running = false;
    for (auto& c : children) running = (c.running() && !c.Poll()) || running;
    if (!running) return;
    std::this_thread::sleep_for(every);
  }
}

// Ops not yet final (in_flight or unknown); nullopt on a journal error.
inline std::optional<std::size_t> Unfinished(Journal& journal) {
  auto ops = ListUnfinished(journal);
  if (!ops) return std::nullopt;
  return ops->size();
}

}  // namespace idem::fleet

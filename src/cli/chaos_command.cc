// `idem chaos`: the exactly-once proof under process kills; a thin shell over
// idem::RunChaos (src/chaos/chaos.h). Exit 0 only when the run passed
// (duplicates 0, lost 0); kExitChaosFailed when it ran and failed.
#include <spdlog/spdlog.h>

#include <cstdio>

#include "chaos/chaos.h"
#include "cli/commands.h"
#include "cli/error_report.h"
#include "cli/exit_codes.h"
#include "cli/progress.h"
#include "cli/show_default.h"
#include "client/op_codec.h"
#include "report/atomic_file.h"

namespace idem::cli {
namespace {

struct ChaosFlags {
  ChaosOptions options;
  std::string kinds;
  int lease_ms = 1000;
  int deadline_s = 120;
  bool json = false;
  std::string report;  // --report FILE.html
};

nlohmann::json KindsJson(const std::vector<ChaosKindReport>& per_kind) {
  nlohmann::json kinds = nlohmann::json::array();
  for (const ChaosKindReport& k : per_kind) {
    kinds.push_back({{"kind", k.kind},
                     {"ops", k.ops},
                     {"executions", k.executions},
                     {"duplicates", k.duplicates},
                     {"lost", k.lost},
                     {"unknown", k.unknown},
                     {"succeeded", k.succeeded},
                     {"failed", k.failed}});
  }
  return kinds;
}

void PrintKinds(const std::vector<ChaosKindReport>& per_kind) {
  std::printf("  %-18s %5s %10s %10s %5s %8s %9s %6s\n", "kind", "ops", "executions", "duplicates",
              "lost", "unknown", "succeeded", "failed");
  for (const ChaosKindReport& k : per_kind) {
    std::printf("  %-18s %5zu %10zu %10zu %5zu %8zu %9zu %6zu\n", k.kind.c_str(), k.ops,
                k.executions, k.duplicates, k.lost, k.unknown, k.succeeded, k.failed);
  }
}

// The timeline's marks (not its progress samples or per-op latencies: those
// are the HTML report's, and a soak has thousands).
nlohmann::json TimelineJson(const ChaosTimeline& t) {
  nlohmann::json kills = nlohmann::json::array();
  for (const ChaosTimeline::Kill& k : t.kills) {
    kills.push_back({{"t_ms", k.t_ms}, {"settled", k.settled}, {"worker", k.worker}});
  }
  return {{"drive_started_ms", t.drive_started_ms},
          {"kills", kills},
          {"sandbox_restarts_ms", t.sandbox_restarts_ms}};
}

nlohmann::json ReportJson(const ChaosReport& r) {
  nlohmann::json report = {{"passed", r.passed()},
                           {"seed", r.seed},
                           {"profile", r.profile},
                           {"per_kind", KindsJson(r.per_kind)},
                           {"unknown", r.unknown},
                           {"no_idempotency", r.no_idempotency},
                           {"journal", r.journal_kind},
                           {"ops", r.ops},
                           {"session_ops", r.session_ops},
                           {"aml_ops", r.aml_ops},
                           {"executions", r.executions},
                           {"duplicates", r.duplicates},
                           {"lost", r.lost},
                           {"not_final", r.not_final},
                           {"succeeded", r.succeeded},
                           {"failed", r.failed},
                           {"succeeded_without_execution", r.succeeded_without_execution},
                           {"stray_executions", r.stray_executions},
                           {"duplicate_vendor_data", r.duplicate_vendor_data},
                           {"duplicate_executions", r.duplicate_executions},
                           {"faults_injected", r.faults_injected},
                           {"faults_by_kind", r.faults_by_kind},
                           {"attempts", r.attempts},
                           {"attempts_per_op", r.attempts_per_op},
                           {"retries", r.retries},
                           {"kills", r.kills},
                           {"kills_requested", r.kills_requested},
                           {"sandbox_restarts", r.sandbox_restarts},
                           {"worker_starts", r.worker_starts},
                           {"worker_failures", r.worker_failures},
                           {"timed_out", r.timed_out},
                           {"elapsed_ms", r.elapsed_ms},
                           {"work_dir", r.work_dir},
                           {"timeline", TimelineJson(r.timeline)}};
  if (r.has_naive) {
    report["naive"] = {{"executions", r.naive_executions},
                       {"duplicates", r.naive_duplicates},
                       {"lost", r.naive_lost},
                       {"per_kind", KindsJson(r.naive_per_kind)}};
  }
  return report;
}

int RunChaosCommand(ChaosFlags& f) {
  ErrorsAsJson(f.json);
  f.options.lease = std::chrono::milliseconds(f.lease_ms);
  for (std::size_t start = 0; !f.kinds.empty() && start <= f.kinds.size();) {
    const std::size_t comma = std::min(f.kinds.find(',', start), f.kinds.size());
    f.options.kinds.push_back(f.kinds.substr(start, comma - start));
    start = comma + 1;
  }
  f.options.deadline = std::chrono::seconds(f.deadline_s);
  // Progress and events (kills, the restart) on stderr (cli/progress.h);
  // stdout is only the report.
  ProgressLine progress(stderr, "idem chaos", "ops", ProgressOptionsForStderr());
  f.options.log = [&progress](std::string_view line) { progress.Note(line); };
  f.options.progress = [&progress](std::size_t done, std::size_t total) {
    progress.Update(static_cast<std::int64_t>(done), static_cast<std::int64_t>(total),
                    "final in the journal");
  };
  // A report that cannot be written is refused now, not after the run.
  if (!f.report.empty()) {
    if (auto st = CheckCanWriteFile(f.report); !st) {
      return ReportError(InContext("--report", st.error()), kExitConfig);
    }
  }
  auto report = RunChaos(f.options);
  progress.Finish();
  if (!report) {
    return ReportError(report.error(), report.error().code() == ErrorCode::kInvalidArgument
                                           ? kExitUsage
                                           : kExitConfig);
  }
  const ChaosReport& r = *report;
  int exit_code = r.passed() ? kExitOk : kExitChaosFailed;
  if (!f.report.empty()) {
    if (auto st = WriteFileAtomically(f.report, RenderChaosReportHtml(r, f.options)); !st) {
      exit_code = ReportError(InContext("--report", st.error()), kExitConfig);
    } else {
      spdlog::info("report written to {}", f.report);
    }
  }
  if (f.json) {
    std::printf("%s\n", internal::DumpJson(ReportJson(r)).c_str());
  } else {
    std::printf(
        "idem chaos %s (seed %llu; replay: idem chaos --seed %llu ...)\n"
        "  ops %zu, sandbox profile %s%s, journal %s\n"
        "  executions on the sandbox %zu, duplicates %zu, lost %zu "
        "(not final %zu, succeeded without execution %zu), unknown (needs review) %zu, "
        "failed %zu\n",
        r.passed() ? "PASSED" : "FAILED", static_cast<unsigned long long>(r.seed),
        static_cast<unsigned long long>(r.seed), r.ops, r.profile.c_str(),
        r.no_idempotency ? " WITHOUT keys or vendor_data dedup" : "", r.journal_kind.c_str(),
        r.executions, r.duplicates, r.lost, r.not_final, r.succeeded_without_execution, r.unknown,
        r.failed);
    PrintKinds(r.per_kind);
    std::printf(
        "  sandbox stats: duplicate_vendor_data %lld, duplicate_executions %lld, faults "
        "injected %lld\n"
        "  requests sent %zu (retries %zu), worker kills %d/%d, sandbox restarts %d, "
        "workers started %d, worker failures %d%s\n"
        "  elapsed %lld ms%s%s\n",
        static_cast<long long>(r.duplicate_vendor_data),
        static_cast<long long>(r.duplicate_executions), static_cast<long long>(r.faults_injected),
        r.attempts, r.retries, r.kills, r.kills_requested, r.sandbox_restarts, r.worker_starts,
        r.worker_failures, r.timed_out ? ", TIMED OUT" : "", static_cast<long long>(r.elapsed_ms),
        r.work_dir.empty() ? "" : ", logs in ", r.work_dir.c_str());
    if (r.has_naive) {
      std::printf(
          "  naive client, same workload, faults and seed, fresh sandbox, no kills "
          "(no key, no journal, no look-up, retried on any failure): executions %zu, "
          "duplicates %zu, never executed %zu\n",
          r.naive_executions, r.naive_duplicates, r.naive_lost);
      PrintKinds(r.naive_per_kind);
    }
    if (r.unknown > 0) {
      std::printf(
          "  %zu op(s) could not be proven executed or not: see `idem ops list --needs-review` "
          "(in the kept work directory's journal) and settle them with `idem ops resolve`\n",
          r.unknown);
    }
  }
  return exit_code;
}

}  // namespace

void AddChaosCommand(CLI::App& app, int& exit_code) {
  auto flags = std::make_shared<ChaosFlags>();
  ChaosOptions& o = flags->options;
  auto* cmd = app.add_subcommand(
      "chaos",
      "Prove exactly-once under fire: sandbox + worker processes, random SIGKILLs, one sandbox "
      "restart; verified from the sandbox's records. Exit 0 only with 0 duplicates, 0 lost");
  cmd->add_option("--ops", o.ops, "Logical ops (default 200)")->check(CLI::Range(1, 1000000));
  cmd->add_option("--concurrency", o.concurrency, "Worker processes (default 3)")
      ->check(CLI::Range(1, 64));
  cmd->add_option("--worker-concurrency", o.worker_concurrency, "Ops per worker at once (8)")
      ->check(CLI::Range(1, 1024));
  cmd->add_option("--kills", o.kills, "Worker SIGKILLs (default 5)")->check(CLI::Range(0, 10000));
  ShowDefault(cmd->add_option("--faults", o.faults,
                              "Sandbox fault spec: moderate, every kind, by default"));
  cmd->add_option("--kinds", flags->kinds,
                  "Comma list of op kinds, driven in turn (default every one: create_session, "
                  "update_status, delete_session, aml, passive_liveness, face_match, "
                  "id_verification)");
  ShowDefault(
      cmd->add_option("--profile", o.profile,
                      "Sandbox profile: didit (keys on AML only, as Didit; unknown allowed and "
                      "reported) or ideal (keys everywhere; unknown must be 0)"))
      ->check(CLI::IsMember({"didit", "ideal"}));
  cmd->add_flag("--naive", o.naive,
                "Also run the same workload through a naive client (no key, no journal, no "
                "look-up, retried on any failure) on a fresh sandbox, and report it beside");
  cmd->add_flag("--no-idempotency", o.no_idempotency,
                "Sandbox ignores every key (AML too) and has no vendor_data dedup; AML is not "
                "driven (its replay would execute twice)");
  cmd->add_flag("--billed-without-keys", o.billed_without_keys,
                "With --no-idempotency, drive AML too: the run must FAIL with duplicates (shows "
                "the harness catches them)");
  cmd->add_option("--seed", o.seed, "Seed of kills and faults (default: drawn, then reported)");
  cmd->add_option("--journal", o.journal,
                  "SQLite path or postgres:// URL (default a temp SQLite file)");
  cmd->add_option("--lease-ms", flags->lease_ms, "Workers' lease (default 1000)")
      ->check(CLI::Range(3, 600000));
  cmd->add_option("--deadline-s", flags->deadline_s, "Give up after this (default 120)")
      ->check(CLI::Range(1, 86400));
  cmd->add_option("--idem-bin", o.idem_binary, "The idem binary to run (default this one)");
  cmd->add_flag("--keep-files", o.keep_files, "Keep the work directory (logs, stores)");
  cmd->add_flag("--json", flags->json, "Print the report as JSON");
  cmd->add_option("--report", flags->report,
                  "Also write the report as one self-contained HTML file with charts (inline "
                  "SVG, no script, nothing fetched)");
  cmd->callback([flags, &exit_code] { exit_code = RunChaosCommand(*flags); });
}

}  // namespace idem::cli

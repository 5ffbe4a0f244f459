// `idem demo [--ops N] [--faults SPEC] [--seed S] [--json]`: a thin shell over
// idem::RunDemo (src/demo/demo.h). Progress goes to stderr (cli/progress.h);
// stdout is only the report, as text or with --json as JSON.
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>

#include "cli/commands.h"
#include "cli/error_report.h"
#include "cli/exit_codes.h"
#include "cli/progress.h"
#include "demo/demo.h"
#include "report/atomic_file.h"

namespace idem::cli {
namespace {

struct DemoFlags {
  int ops = 600;
  int concurrency = 48;
  std::string faults;
  std::uint64_t seed = 1;
  bool json = false;
  bool no_naive = false;
  std::string report;  // --report FILE.html
};

// The run's progress as the shared progress line: a line per run (idem,
// then naive), so each run's rate counts from its own start.
class DemoProgressDisplay {
 public:
  void operator()(const DemoProgress& p) {
    if (!line_ || p.run != run_) {
      line_.reset();  // finishes the previous run's line
      run_ = p.run;
      line_ =
          std::make_unique<ProgressLine>(stderr, "idem demo", "ops", ProgressOptionsForStderr());
    }
    char detail[128];
    std::snprintf(detail, sizeof detail, "[%s] %s, %llu requests, %llu retries", p.run.c_str(),
                  p.phase.c_str(), static_cast<unsigned long long>(p.requests),
                  static_cast<unsigned long long>(p.retries));
    line_->Update(p.done, p.total, detail);
  }
  void Finish() { line_.reset(); }

 private:
  std::string run_;
  std::unique_ptr<ProgressLine> line_;
};

int RunDemoCommand(const DemoFlags& flags) {
  ErrorsAsJson(flags.json);
  DemoOptions options;
  // Half creates; of the billed half, half AML and a quarter each PoA and
  // age estimation.
  options.sessions = flags.ops / 2;
  const int billed = flags.ops - options.sessions;
  options.poa_checks = billed / 4;
  options.age_checks = billed / 4;
  options.aml_checks = billed - options.poa_checks - options.age_checks;
  options.concurrency = flags.concurrency;
  if (!flags.faults.empty()) options.faults = flags.faults;
  options.seed = flags.seed;
  options.naive = !flags.no_naive;

  // A report that cannot be written is refused now, not after the run.
  if (!flags.report.empty()) {
    if (auto st = CheckCanWriteFile(flags.report); !st) {
      return ReportError(InContext("--report", st.error()), kExitConfig);
    }
  }
  DemoProgressDisplay progress;
  auto report = RunDemo(options, [&progress](const DemoProgress& p) { progress(p); });
  progress.Finish();
  if (!report) {
    return ReportError(report.error(), report.error().code() == ErrorCode::kInvalidArgument
                                           ? kExitUsage
                                           : kExitConfig);
  }
  if (flags.json) {
    std::printf("%s\n", DemoReportJson(*report).c_str());
  } else {
    std::printf("%s", DemoReportText(*report).c_str());
  }
  if (!flags.report.empty()) {
    if (auto st = WriteFileAtomically(flags.report, RenderDemoReportHtml(*report)); !st) {
      return ReportError(InContext("--report", st.error()), kExitConfig);
    }
    spdlog::info("report written to {}", flags.report);
  }
  // Exactly once held (and the naive run, when there was one, is only shown).
  return report->idem.duplicates == 0 && report->idem.lost == 0 ? kExitOk : kExitUnknown;
}

}  // namespace

void AddDemoCommand(CLI::App& app, int& exit_code) {
  auto flags = std::make_shared<DemoFlags>();
  auto* cmd = app.add_subcommand(
      "demo", "Exactly-once under fire: a faulty in-process sandbox, webhooks, and a naive client");
  cmd->add_option("--ops", flags->ops,
                  "Logical ops: half CreateSession; a quarter AML, an eighth each Proof of Address "
                  "and age estimation (default 600)")
      ->check(CLI::Range(1, 100000));
  cmd->add_option("--concurrency", flags->concurrency, "Ops in flight (default 48)")
      ->check(CLI::Range(1, 1024));
  cmd->add_option("--faults", flags->faults, "Sandbox fault spec (default: every kind, moderate)");
  cmd->add_option("--seed", flags->seed, "Seed of faults and jitter (default 1)");
  cmd->add_flag("--json", flags->json, "Print only the report, as JSON");
  cmd->add_flag("--no-naive", flags->no_naive, "Skip the naive client's run");
  cmd->add_option("--report", flags->report,
                  "Also write the report as one self-contained HTML file with charts (inline "
                  "SVG, no script, nothing fetched)");
  cmd->callback([flags, &exit_code] { exit_code = RunDemoCommand(*flags); });
}

}  // namespace idem::cli

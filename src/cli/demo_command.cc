// `idem demo [--ops N] [--faults SPEC] [--seed S] [--json]`: a thin shell over
// idem::RunDemo (include/idem/demo.h). Progress goes to stdout: one updating
// line on a terminal, plain lines about once a second otherwise, nothing with
// --json (stdout is then only the report).
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "common/atomic_file.h"
#include "idem/demo.h"

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

// Progress printer: \r-updated on a terminal, else a line per second (and one
// per phase change).
class ProgressPrinter {
 public:
  explicit ProgressPrinter(bool tty) : tty_(tty) {}
  void operator()(const DemoProgress& p) {
    const std::string line = DemoProgressLine(p);
    if (tty_) {
      std::printf("\r%-100s", line.c_str());
      if (p.phase == "done" && p.run == "naive") std::printf("\n");
      std::fflush(stdout);
      return;
    }
    auto now = std::chrono::steady_clock::now();
    if (p.phase == last_phase_ && p.run == last_run_ && now - last_ < std::chrono::seconds(1)) {
      return;
    }
    last_ = now;
    last_phase_ = p.phase;
    last_run_ = p.run;
    std::printf("%s\n", line.c_str());
    std::fflush(stdout);
  }
  void Finish() {
    if (tty_) std::printf("\r%-100s\r", "");
  }

 private:
  bool tty_;
  std::chrono::steady_clock::time_point last_{};
  std::string last_phase_;
  std::string last_run_;
};

int RunDemoCommand(const DemoFlags& flags) {
  DemoOptions options;
  options.sessions = flags.ops / 2;
  options.aml_checks = flags.ops - options.sessions;
  options.concurrency = flags.concurrency;
  if (!flags.faults.empty()) options.faults = flags.faults;
  options.seed = flags.seed;
  options.naive = !flags.no_naive;

  // A report that cannot be written is refused now, not after the run.
  if (!flags.report.empty()) {
    if (auto st = CheckCanWriteFile(flags.report); !st) {
      std::fprintf(stderr, "idem demo: --report: %s\n", st.error().ToString().c_str());
      return kExitConfig;
    }
  }
  ProgressPrinter printer(isatty(STDOUT_FILENO) == 1);
  DemoProgressSink sink;
  if (!flags.json) sink = [&printer](const DemoProgress& p) { printer(p); };
  auto report = RunDemo(options, sink);
  if (!flags.json) printer.Finish();
  if (!report) {
    std::fprintf(stderr, "idem demo: %s\n", report.error().ToString().c_str());
    return report.error().code() == ErrorCode::kInvalidArgument ? kExitUsage : kExitConfig;
  }
  if (flags.json) {
    std::printf("%s\n", DemoReportJson(*report).c_str());
  } else {
    std::printf("\n%s", DemoReportText(*report).c_str());
  }
  if (!flags.report.empty()) {
    if (auto st = WriteFileAtomically(flags.report, RenderDemoReportHtml(*report)); !st) {
      std::fprintf(stderr, "idem demo: --report: %s\n", st.error().ToString().c_str());
      return kExitConfig;
    }
    if (!flags.json)
      std::fprintf(stderr, "idem demo: report written to %s\n", flags.report.c_str());
  }
  // Exactly once held (and the naive run, when there was one, is only shown).
  return report->idem.duplicates == 0 && report->idem.lost == 0 ? kExitOk : kExitUnknown;
}

}  // namespace

void AddDemoCommand(CLI::App& app, int& exit_code) {
  auto flags = std::make_shared<DemoFlags>();
  auto* cmd = app.add_subcommand(
      "demo", "Exactly-once under fire: a faulty in-process sandbox, webhooks, and a naive client");
  cmd->add_option("--ops", flags->ops, "Logical ops, half CreateSession and half AML (default 600)")
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

// `idem bench [--seconds S] [--concurrency C] [--json]`: the throughput table
// (journaled client vs bare libcurl, sandbox replays/creates, webhook
// receiver), measured in this process on loopback; see src/perf/bench.h.
#include <cstdio>

#include "cli/commands.h"
#include "cli/error_report.h"
#include "cli/exit_codes.h"
#include "cli/progress.h"
#include "perf/bench.h"

namespace idem::cli {

void AddBenchCommand(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand(
      "bench",
      "Measure throughput on loopback: journaled client vs bare libcurl, sandbox, "
      "webhook receiver (about --seconds in total)");
  auto options = std::make_shared<BenchOptions>();
  auto json = std::make_shared<bool>(false);
  cmd->add_option("--seconds", options->seconds, "Total time budget, roughly (default 40)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--concurrency", options->concurrency,
                  "Requests in flight for the client comparison and webhooks (default 32)")
      ->check(CLI::Range(1, 1024));
  cmd->add_flag("--json", *json, "Print one JSON object instead of the table");
  cmd->callback([&exit_code, options, json] {
    ErrorsAsJson(*json);
    ProgressLine progress(stderr, "idem bench", "phases", ProgressOptionsForStderr());
    options->on_phase = [&progress](std::string_view phase, int index, int count) {
      progress.Note(std::string(phase) + " (" + std::to_string(index + 1) + "/" +
                    std::to_string(count) + ")");
    };
    auto report = RunBench(*options);
    options->on_phase = nullptr;
    if (!report) {
      exit_code = ReportError(report.error(), kExitConfig);
      return;
    }
    std::fputs((*json ? BenchReportJson(*report) + "\n" : FormatBenchTable(*report)).c_str(),
               stdout);
    exit_code = kExitOk;
  });
}

}  // namespace idem::cli

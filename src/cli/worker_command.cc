// `idem worker`: drives queued (`--enqueue`) and unfinished ops from the
// journal until SIGTERM/SIGINT (or, with --exit-when-idle, until none is
// left). A thin shell over idem::RunWorker (include/idem/worker.h).
#include <signal.h>

#include <atomic>
#include <cstdio>
#include <ctime>
#include <thread>

#include "cli/client_cli_support.h"
#include "cli/commands.h"
#include "cli/error_report.h"
#include "cli/exit_codes.h"
#include "cli/progress.h"
#include "client/op_codec.h"
#include "idem/worker.h"

namespace idem::cli {
namespace {

struct WorkerFlags {
  std::size_t concurrency = 16;
  int poll_ms = 200;
  bool exit_when_idle = false;
  ClientFlags client;
};

int RunWorkerCommand(WorkerFlags& f) {
  ResolveFromEnvironment(f.client);
  // Block the stop signals before any thread exists (they inherit the mask);
  // this thread waits for them and turns them into a stop request.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  auto journal = OpenJournalFromFlags(f.client);
  if (!journal) {
    return ReportError(InContext("journal", journal.error()), kExitConfig);
  }
  auto client = MakeClientFromFlags(f.client, *journal, f.concurrency);
  if (!client) {
    return ReportError(client.error(), kExitConfig);
  }
  WorkerOptions options;
  options.concurrency = f.concurrency;
  options.poll_interval = std::chrono::milliseconds(f.poll_ms);
  options.exit_when_idle = f.exit_when_idle;
  // Ops settled here so far (no total: the queue is open-ended), on stderr.
  ProgressLine progress(stderr, "idem worker", "ops", ProgressOptionsForStderr());
  options.on_settled = [&progress](const WorkerSummary& s) {
    char detail[128];
    std::snprintf(detail, sizeof detail, "%zu succeeded, %zu failed, %zu unknown", s.succeeded,
                  s.failed, s.unknown);
    progress.Update(static_cast<std::int64_t>(s.succeeded + s.failed + s.unknown + s.in_flight), -1,
                    detail);
  };

  std::stop_source stop;
  std::atomic<bool> done{false};
  Result<WorkerSummary> summary = WorkerSummary{};
  std::thread runner([&] {
    summary = RunWorker(**client, **journal, options, stop.get_token());
    done = true;
  });
  while (!done) {
    timespec tick{0, 50 * 1000 * 1000};
    if (sigtimedwait(&stop_signals, nullptr, &tick) > 0) {
      progress.Note("stopping: finishing the ops in flight");
      stop.request_stop();
    }
  }
  runner.join();
  client->reset();  // parks anything still waiting, awaits requests on the wire
  progress.Finish();
  if (!summary) {
    return ReportError(summary.error(), kExitConfig);
  }
  nlohmann::json j = {{"polls", summary->polls},         {"driven", summary->driven},
                      {"succeeded", summary->succeeded}, {"failed", summary->failed},
                      {"unknown", summary->unknown},     {"in_flight", summary->in_flight},
                      {"busy", summary->busy},           {"errors", summary->errors}};
  if (f.exit_when_idle) {
    j["left_unknown"] = summary->left_unknown;
    j["left_needs_review"] = summary->left_needs_review;
    j["left_held_elsewhere"] = summary->left_held_elsewhere;
  }
  std::printf("%s\n", internal::DumpJson(j).c_str());
  if (summary->left_unknown + summary->left_needs_review > 0) {
    std::fprintf(stderr,
                 "idem worker: idle with %zu unknown op(s) left (%zu need review): `idem resume` "
                 "or another worker run drives the others again; `idem ops resolve` settles "
                 "those that need review\n",
                 summary->left_unknown + summary->left_needs_review, summary->left_needs_review);
    return kExitUnknown;
  }
  return kExitOk;
}

}  // namespace

void AddWorkerCommand(CLI::App& app, int& exit_code) {
  auto flags = std::make_shared<WorkerFlags>();
  auto* cmd = app.add_subcommand(
      "worker",
      "Drive queued and unfinished ops from the journal until SIGTERM/SIGINT (which finishes "
      "the ops in flight and exits 0)");
  cmd->add_option("--concurrency", flags->concurrency, "Ops driven at once (default 16)")
      ->check(CLI::Range(1, 1024));
  cmd->add_option("--poll-ms", flags->poll_ms, "Journal poll interval (default 200)")
      ->check(CLI::Range(1, 600000));
  cmd->add_flag("--exit-when-idle", flags->exit_when_idle,
                "Exit once nothing can be driven now (ops left unknown: exit 3, with a summary)");
  AddClientFlags(*cmd, flags->client);
  AddJsonErrorsFlag(*cmd);
  cmd->callback([flags, &exit_code] { exit_code = RunWorkerCommand(*flags); });
}

}  // namespace idem::cli

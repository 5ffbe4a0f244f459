// `idem resume`: drive every unfinished op again with its original key.
#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <optional>
#include <thread>

#include "cli/client_cli_support.h"
#include "cli/commands.h"
#include "cli/error_report.h"
#include "cli/exit_codes.h"
#include "cli/interrupt.h"
#include "cli/progress.h"
#include "client/op_codec.h"

namespace idem::cli {
namespace {

struct ResumeFlags {
  std::size_t concurrency = 16;
  ClientFlags client;
};

// Ops a resume will drive: unfinished and not waiting for a person.
std::optional<std::int64_t> Drivable(Journal& journal) {
  std::int64_t n = 0;
  for (OpState state : {OpState::kInFlight, OpState::kUnknown}) {
    auto ops = journal.List({.state = state, .needs_review = false});
    if (!ops) return std::nullopt;
    n += static_cast<std::int64_t>(ops->size());
  }
  return n;
}

// Client::Resume with a progress line on stderr: what is left is read from
// the journal twice a second (Resume itself reports only at the end).
[[nodiscard]] Result<ResumeSummary> ResumeWithProgress(Client& client, Journal& journal) {
  const std::int64_t total = Drivable(journal).value_or(-1);
  ProgressLine progress(stderr, "idem resume", "ops", ProgressOptionsForStderr());
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  std::thread ticker([&] {
    std::unique_lock<std::mutex> lock(mu);
    while (!cv.wait_for(lock, std::chrono::milliseconds(500), [&] { return done; })) {
      lock.unlock();
      if (auto left = Drivable(journal); left && total >= 0) {
        progress.Update(total - std::min(total, *left), total, "settled");
      }
      lock.lock();
    }
  });
  auto summary = client.Resume();
  {
    std::lock_guard<std::mutex> lock(mu);
    done = true;
  }
  cv.notify_all();
  ticker.join();
  if (auto left = Drivable(journal); left && total >= 0) {
    progress.Update(total - std::min(total, *left), total, "settled");
  }
  progress.Finish();
  return summary;
}

int RunResume(ResumeFlags& f) {
  ResolveFromEnvironment(f.client);
  InterruptGuard interrupt("idem resume");
  auto journal = OpenExistingJournalFromFlags(f.client);
  if (!journal) {
    return ReportError(InContext("journal", journal.error()), kExitConfig);
  }
  auto client = MakeClientFromFlags(f.client, *journal, f.concurrency);
  if (!client) {
    return ReportError(client.error(), kExitConfig);
  }
  interrupt.OnStop([&client] { (*client)->Shutdown(); });
  auto summary = ResumeWithProgress(**client, **journal);
  if (interrupt.signal() != 0) {
    // Say what is left (every op the stop parked, and any not reached yet).
    std::vector<std::string> left;
    for (OpState state : {OpState::kInFlight, OpState::kUnknown}) {
      auto ops = (*journal)->List({.state = state, .needs_review = false});
      if (!ops) continue;
      for (const Operation& op : *ops) left.push_back(op.op_id);
    }
    if (interrupt.ReportUnfinished(**client, left) > 0) return interrupt.ExitCode();
  }
  if (!summary) {
    return ReportError(summary.error(), kExitConfig);
  }
  // Ops no driver may send (a person must settle them) are not claimed; say
  // how many wait, so a script does not take silence for "all done".
  auto review = (*journal)->List({.state = OpState::kUnknown, .needs_review = true});
  const std::size_t needs_review = review ? review->size() : 0;
  nlohmann::json j = {{"claimed", summary->claimed},
                      {"succeeded", summary->succeeded},
                      {"failed", summary->failed},
                      {"unknown", summary->unknown},
                      {"in_flight", summary->in_flight},
                      {"errors", summary->errors},
                      {"held_elsewhere", summary->held_elsewhere},
                      {"needs_review", needs_review}};
  std::printf("%s\n", internal::DumpJson(j).c_str());
  if (needs_review > 0) {
    std::fprintf(stderr,
                 "idem resume: %zu op(s) need review (never re-sent on their own): `idem ops list "
                 "--needs-review`, then `idem ops resolve OP_ID --executed|--not-executed`\n",
                 needs_review);
  }
  if (summary->errors > 0 || !review) return kExitConfig;
  if (summary->held_elsewhere > 0) {
    std::fprintf(stderr,
                 "idem resume: %zu op(s) are held by another live owner; run again once its "
                 "lease lapses (`idem ops list` shows OWNER and LEASE_UNTIL)\n",
                 summary->held_elsewhere);
  }
  if (summary->unknown > 0 || summary->in_flight > 0 || needs_review > 0 ||
      summary->held_elsewhere > 0) {
    return kExitUnknown;
  }
  return kExitOk;
}

}  // namespace

void AddResumeCommand(CLI::App& app, int& exit_code) {
  auto flags = std::make_shared<ResumeFlags>();
  auto* cmd = app.add_subcommand("resume", "Drive every unfinished op with its original key");
  cmd->add_option("--concurrency", flags->concurrency, "Ops driven at once (default 16)")
      ->check(CLI::Range(1, 1024));
  AddClientFlags(*cmd, flags->client);
  AddJsonErrorsFlag(*cmd);
  cmd->callback([flags, &exit_code] { exit_code = RunResume(*flags); });
}

}  // namespace idem::cli

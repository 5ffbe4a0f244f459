// `idem trigger SESSION_ID STATUS`: moves a sandbox session to a status, so
// the sandbox sends its status.updated webhook (like `stripe trigger`);
// `idem trigger SESSION_ID data.updated` makes it send data.updated. A thin
// shell over idem::TriggerSessionStatus and TriggerSessionDataUpdated
// (include/idem/sandbox.h).
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "cli/commands.h"
#include "cli/error_report.h"
#include "cli/exit_codes.h"
#include "idem/sandbox.h"

namespace idem::cli {
namespace {

struct TriggerFlags {
  std::string session_id;
  std::string status;
  std::string base_url;  // --base-url, else $IDEM_BASE_URL
};

int RunTrigger(const TriggerFlags& flags) {
  std::string base_url = flags.base_url;
  if (base_url.empty()) {
    if (const char* env = std::getenv("IDEM_BASE_URL"); env != nullptr) base_url = env;
  }
  if (base_url.empty() || base_url.find("verification.didit.me") != std::string::npos) {
    return ReportError(Error(ErrorCode::kInvalidArgument,
                             "works on a sandbox only; give its URL with --base-url or "
                             "IDEM_BASE_URL (Didit's API has no such control)"));
  }
  // An event type rather than a status: Didit has no status with a dot.
  auto session = flags.status == "data.updated"
                     ? TriggerSessionDataUpdated(base_url, flags.session_id)
                     : TriggerSessionStatus(base_url, flags.session_id, flags.status);
  if (!session) {
    return ReportError(session.error());
  }
  std::printf("%s\n", session->c_str());
  return kExitOk;
}

}  // namespace

void AddTriggerCommand(CLI::App& app, int& exit_code) {
  auto flags = std::make_shared<TriggerFlags>();
  auto* cmd = app.add_subcommand(
      "trigger",
      "Move a sandbox session to a status (the sandbox sends its status.updated webhook), or "
      "make it send data.updated");
  cmd->add_option("session_id", flags->session_id, "the session")->required();
  cmd->add_option("status", flags->status,
                  "a Didit status, e.g. Approved, Declined, \"In Review\"; or data.updated")
      ->required();
  cmd->add_option("--base-url", flags->base_url, "the sandbox (default $IDEM_BASE_URL)");
  AddJsonErrorsFlag(*cmd);
  cmd->callback([flags, &exit_code] { exit_code = RunTrigger(*flags); });
}

}  // namespace idem::cli

// `idem session share ID --for-application-id APP` and `idem session
// import-shared --share-token-file F --workflow-id W [--trust-review]`: thin
// shells over include/idem/didit/session_sharing.h. The token is a bearer
// secret: share prints it on stdout (its answer) and nowhere else; import
// takes it from a file (or --share-token, visible in `ps`) and never echoes it.
#include <memory>
#include <optional>
#include <string>

#include "cli/commands.h"
#include "cli/didit_cli_support.h"
#include "cli/exit_codes.h"
#include "cli/secrets.h"
#include "idem/didit/session_sharing.h"

namespace idem::cli {
namespace {

struct ShareFlags {
  std::string session_id;
  std::string for_application_id;
  std::int64_t ttl_in_seconds = 0;  // 0: not sent (Didit's 3600)
  std::string op_id;
  bool new_op = false;
  ClientFlags client;
};

struct ImportFlags {
  std::string share_token;
  std::string share_token_file;
  bool trust_review = false;
  std::string workflow_id;
  std::string vendor_data;
  std::string op_id;
  bool new_op = false;
  ClientFlags client;
};

int RunShare(const ShareFlags& f) {
  didit::ShareSessionRequest request;
  request.for_application_id = f.for_application_id;
  if (f.ttl_in_seconds != 0) request.ttl_in_seconds = f.ttl_in_seconds;
  auto op_id = OpIdForCommand(f.op_id, f.new_op, [&](didit::CallOptions call) {
    return didit::ShareSessionOp(f.session_id, request, std::move(call));
  });
  if (!op_id) return ReportError(op_id.error());
  return CallOpAndPrint(
      *op_id,
      [&](didit::DiditClient& client, didit::CallOptions call) {
        return didit::ShareSession(client, f.session_id, request, std::move(call));
      },
      f.client, "idem session share");
}

int RunImport(const ImportFlags& f) {
  didit::ImportSharedSessionRequest request;
  if (!f.share_token_file.empty()) {
    auto token = ReadSecretFile(f.share_token_file);
    if (!token) return ReportError(token.error(), kExitConfig);
    request.share_token = std::move(*token);
  } else {
    request.share_token = f.share_token;
  }
  request.trust_review = f.trust_review;
  request.workflow_id = f.workflow_id;
  if (!f.vendor_data.empty()) request.vendor_data = f.vendor_data;
  auto op_id = OpIdForCommand(f.op_id, f.new_op, [&](didit::CallOptions call) {
    return didit::ImportSharedSessionOp(request, std::move(call));
  });
  if (!op_id) return ReportError(op_id.error());
  return CallOpAndPrint(
      *op_id,
      [&](didit::DiditClient& client, didit::CallOptions call) {
        return didit::ImportSharedSession(client, request, std::move(call));
      },
      f.client, "idem session import-shared");
}

}  // namespace

void AddSessionSharingCommands(CLI::App& session, int& exit_code) {
  auto share_flags = std::make_shared<ShareFlags>();
  auto* share = session.add_subcommand(
      "share",
      "Mint a share token for a finished session (free; prints the token: a secret). The same "
      "command again returns the journaled token; --new-op mints another");
  share->add_option("session_id", share_flags->session_id, "Session id")->required();
  share
      ->add_option("--for-application-id", share_flags->for_application_id,
                   "The application that will import it (a UUID)")
      ->required();
  share->add_option("--ttl", share_flags->ttl_in_seconds,
                    "Token lifetime in seconds, 60..86400 (default: Didit's 3600)");
  AddOpIdFlags(share, share_flags->op_id, share_flags->new_op);
  AddClientFlags(*share, share_flags->client);
  AddJsonErrorsFlag(*share);
  share->callback([share_flags, &exit_code] { exit_code = RunShare(*share_flags); });

  auto import_flags = std::make_shared<ImportFlags>();
  auto* import = session.add_subcommand(
      "import-shared",
      "Import a session shared with this application (once per source; give --vendor-data so "
      "a lost answer can be looked up)");
  auto* file = import->add_option("--share-token-file", import_flags->share_token_file,
                                  "File holding the share token (kept out of argv)");
  auto* token = import->add_option("--share-token", import_flags->share_token,
                                   "The share token (visible in ps: prefer the file)");
  file->excludes(token);
  import->add_flag("--trust-review", import_flags->trust_review,
                   "Keep the source's final status (default: forced to In Review)");
  import->add_option("--workflow-id", import_flags->workflow_id, "A workflow of this application")
      ->required();
  import->add_option("--vendor-data", import_flags->vendor_data,
                     "The clone's vendor_data (default: the source's; needed for the look-up)");
  AddOpIdFlags(import, import_flags->op_id, import_flags->new_op);
  AddClientFlags(*import, import_flags->client);
  AddJsonErrorsFlag(*import);
  import->callback([import_flags, &exit_code] { exit_code = RunImport(*import_flags);
});
}  // namespace idem::cli

}  // namespace idem::cli

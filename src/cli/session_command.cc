// `idem session create|get|list|update-status|delete`: a thin shell over
// idem::didit::DiditClient (see include/idem/didit/client.h).
#include <string>

#include "cli/commands.h"
#include "cli/didit_cli_support.h"
#include "cli/enqueue_cli_support.h"
#include "cli/exit_codes.h"

namespace idem::cli {
namespace {

struct SessionFlags {
  std::string workflow_id;
  std::string vendor_data;
  std::string callback;
  std::string metadata;
  std::string language;
  std::string op_id;
  std::string session_id;
  std::string status;
  std::string comment;
  std::string list_workflow_id;
  int limit = 0;
  int offset = 0;
  bool all = false;
  bool enqueue = false;
  bool new_op = false;
  ClientFlags client;
};

int RunCreate(const SessionFlags& f) {
  didit::CreateSessionRequest request;
  request.workflow_id = f.workflow_id;
  request.vendor_data = f.vendor_data;
  if (!f.callback.empty()) request.callback = f.callback;
  if (!f.language.empty()) request.language = f.language;
  if (!f.metadata.empty()) {
    auto metadata = nlohmann::json::parse(f.metadata, nullptr, /*allow_exceptions=*/false);
    if (metadata.is_discarded() || !metadata.is_object()) {
      return ReportError(Error(ErrorCode::kInvalidArgument, "--metadata must be a JSON object"));
    }
    request.metadata = std::move(metadata);
  }
  auto op_id = OpIdForCommand(f.op_id, f.new_op, [&](didit::CallOptions call) {
    return didit::CreateSessionOp(request, std::move(call));
  });
  if (!op_id) return ReportError(op_id.error());
  if (f.enqueue) {
    return EnqueueAndPrint(f.client, didit::CreateSessionOp(request, {.op_id = *op_id}));
  }
  return CallOpAndPrint(
      *op_id,
      [&](didit::DiditClient& client, didit::CallOptions call) {
        return client.CreateSession(request, std::move(call));
      },
      f.client, "idem session create");
}

int RunGet(const SessionFlags& f) {
  return CallAndPrintRaw(
      [&](didit::DiditClient& client) { return client.GetDecision(f.session_id); }, f.client);
}

int RunList(const SessionFlags& f) {
  didit::ListSessionsRequest request;
  if (!f.vendor_data.empty()) request.vendor_data = f.vendor_data;
  if (!f.status.empty()) request.status = f.status;
  if (!f.list_workflow_id.empty()) request.workflow_id = f.list_workflow_id;
  if (f.limit > 0) request.limit = f.limit;
  if (f.offset > 0) request.offset = f.offset;
  auto client = MakeDiditClientFromEnv(f.client);
  if (!client) return kExitConfig;
  if (!f.all) {
    auto page = client->ListSessions(request);
    if (!page) return ReportError(page.error());
    PrintJson(page->raw);
    return kExitOk;
  }
  // Every page, merged into one {count, results}.
  nlohmann::json results = nlohmann::json::array();
  auto pages = client->ListAllSessions(request);
  while (auto page = pages.Next()) {
    if (!*page) return ReportError((*page).error());
    for (const auto& s : (*page)->results) results.push_back(s.raw);
  }
  PrintJson({{"count", results.size()}, {"results", std::move(results)}});
  return kExitOk;
}

int RunUpdateStatus(const SessionFlags& f) {
  didit::UpdateStatusRequest request;
  request.new_status = didit::ParseSessionStatus(f.status);
  if (!f.comment.empty()) request.comment = f.comment;
  auto op_id = OpIdForCommand(f.op_id, f.new_op, [&](didit::CallOptions call) {
    return didit::UpdateStatusOp(f.session_id, request, std::move(call));
  });
  if (!op_id) return ReportError(op_id.error());
  return CallOpAndPrint(
      *op_id,
      [&](didit::DiditClient& client, didit::CallOptions call) {
        return client.UpdateStatus(f.session_id, request, std::move(call));
      },
      f.client, "idem session update-status");
}

int RunDelete(const SessionFlags& f) {
  auto op_id = OpIdForCommand(f.op_id, f.new_op, [&](didit::CallOptions call) {
    return didit::DeleteSessionOp(f.session_id, std::move(call));
  });
  if (!op_id) return ReportError(op_id.error());
  InterruptGuard interrupt("idem session delete");
  auto client = MakeDiditClientFromEnv(f.client);
  if (!client) return kExitConfig;
  interrupt.OnStop([&client] { client->client().Shutdown(); });
  auto result = client->DeleteSession(f.session_id, {.op_id = *op_id});
  if (interrupt.signal() != 0 && interrupt.ReportUnfinished(client->client(), {*op_id}) > 0) {
    return interrupt.ExitCode();
  }
  if (!result) return ReportError(result.error());
  NoteHowSettled(*client, *op_id);
  PrintJson({{"session_id", result->session_id},
             {"deleted", true},
             {"already_deleted", result->already_deleted}});
  return kExitOk;
}

}  // namespace

void AddSessionCommand(CLI::App& app, int& exit_code) {
  auto flags = std::make_shared<SessionFlags>();
  auto* session = app.add_subcommand("session", "Didit verification sessions");
  session->require_subcommand(1);

  auto* create = session->add_subcommand("create", "Create a session (exactly once)");
  create->add_option("--workflow-id", flags->workflow_id, "Workflow UUID")->required();
  create->add_option("--vendor-data", flags->vendor_data, "Your user/reference id")->required();
  create->add_option("--callback", flags->callback, "Redirect URL after verification");
  create->add_option("--metadata", flags->metadata, "A JSON object stored with the session");
  create->add_option("--language", flags->language, "UI language, e.g. en");
  AddOpIdFlags(create, flags->op_id, flags->new_op);
  AddClientFlags(*create, flags->client);
  AddJsonErrorsFlag(*create);
  create->add_flag("--enqueue", flags->enqueue,
                   "Store the op in $IDEM_JOURNAL and exit (prints it); `idem worker` sends it");
  create->callback([flags, &exit_code] { exit_code = RunCreate(*flags); });

  auto* get = session->add_subcommand("get", "A session's decision");
  get->add_option("session_id", flags->session_id, "Session id")->required();
  AddClientFlags(*get, flags->client);
  AddJsonErrorsFlag(*get);
  get->callback([flags, &exit_code] { exit_code = RunGet(*flags); });

  auto* list = session->add_subcommand("list", "List sessions");
  list->add_option("--vendor-data", flags->vendor_data, "Filter by vendor_data");
  list->add_option("--status", flags->status, "Filter by status, e.g. \"In Review\"");
  list->add_option("--workflow-id", flags->list_workflow_id, "Filter by workflow");
  list->add_option("--limit", flags->limit, "Page size")->check(CLI::Range(1, 1000));
  list->add_option("--offset", flags->offset, "First result")->check(CLI::NonNegativeNumber);
  list->add_flag("--all", flags->all, "Follow `next` through every page");
  AddClientFlags(*list, flags->client);
  AddJsonErrorsFlag(*list);
  list->callback([flags, &exit_code] { exit_code = RunList(*flags); });

  auto* update = session->add_subcommand("update-status", "Approve, decline or resubmit");
  update->add_option("session_id", flags->session_id, "Session id")->required();
  update->add_option("--status", flags->status, "Approved|Declined|Resubmitted")
      ->required()
      ->check(CLI::IsMember({"Approved", "Declined", "Resubmitted"}));
  update->add_option("--comment", flags->comment, "Reviewer comment");
  AddOpIdFlags(update, flags->op_id, flags->new_op);
  AddClientFlags(*update, flags->client);
  AddJsonErrorsFlag(*update);
  update->callback([flags, &exit_code] { exit_code = RunUpdateStatus(*flags); });

  auto* del = session->add_subcommand("delete", "Delete a session");
  del->add_option("session_id", flags->session_id, "Session id")->required();
  AddOpIdFlags(del, flags->op_id, flags->new_op);
  AddClientFlags(*del, flags->client);
  AddJsonErrorsFlag(*del);
  del->callback([flags, &exit_code] { exit_code = RunDelete(*flags); });

  AddSessionCallsCommands(*session, exit_code);    // pdf, delete-batch
  AddSessionDataCommand(*session, exit_code);      // update-data
  AddSessionSharingCommands(*session, exit_code);  // share, import-shared
}

}  // namespace idem::cli

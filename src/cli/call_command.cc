// `idem call METHOD PATH`: one exactly-once call, journaled before it is sent.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/client_cli_support.h"
#include "cli/commands.h"
#include "cli/didit_cli_support.h"
#include "cli/enqueue_cli_support.h"
#include "cli/error_report.h"
#include "cli/exit_codes.h"
#include "cli/interrupt.h"
#include "idem/didit/endpoints.h"
#include "idem/didit/op_outcome.h"

namespace idem::cli {
namespace {

struct CallFlags {
  std::string method;
  std::string path;
  std::string data;
  std::string data_file;
  std::string op_id;
  std::string kind;  // empty: the Didit kind of METHOD PATH, else "call"
  std::string natural_key;
  bool enqueue = false;
  bool new_op = false;
  ClientFlags client;
};

int RunCall(CallFlags& f) {
  ResolveFromEnvironment(f.client);
  for (char& c : f.method) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (!f.data_file.empty()) {
    std::ifstream in(f.data_file, std::ios::binary);
    if (!in) {
      return ReportError(Error(ErrorCode::kInvalidArgument, "cannot read " + f.data_file));
    }
    std::ostringstream body;
    body << in.rdbuf();
    f.data = body.str();
  }
  if (f.path.empty() || f.path.front() != '/') {
    return ReportError(Error(ErrorCode::kInvalidArgument, "PATH must start with '/'"));
  }
  // A Didit endpoint's call is that kind's op: its key facts, timeout and
  // look-up apply (a raw POST /v3/passive-liveness/ is never re-sent blindly).
  if (f.kind.empty()) {
    const didit::EndpointProfile* endpoint = didit::DiditEndpointFor(f.method, f.path);
    f.kind = endpoint ? std::string(endpoint->kind) : "call";
  }
  if (f.natural_key.empty()) f.natural_key = didit::NaturalKeyForBody(f.kind, f.data);
  OpRequest request;
  request.op_id = f.op_id;
  request.kind = f.kind;
  request.method = f.method;
  request.path = f.path;
  request.body = f.data;
  request.natural_key = f.natural_key;
  // The same call run again is the same op (include/idem/op_id.h).
  if (request.op_id.empty()) request.op_id = f.new_op ? NewOpId() : DerivedOpId(request);
  if (f.enqueue) return EnqueueAndPrint(f.client, std::move(request));
  InterruptGuard interrupt("idem call");
  auto journal = OpenJournalFromFlags(f.client);
  if (!journal) return ReportError(InContext("journal", journal.error()), kExitConfig);
  auto client = MakeClientFromFlags(f.client, *journal, 1);
  if (!client) return ReportError(client.error(), kExitConfig);
  interrupt.OnStop([&client] { (*client)->Shutdown(); });
  const std::string op_id = request.op_id;
  OpResult result = (*client)->Call(std::move(request));
  if (interrupt.signal() != 0 && interrupt.ReportUnfinished(**client, {op_id}) > 0) {
    return interrupt.ExitCode();
  }
  // One reading of the op for every way of calling (include/idem/didit/op_outcome.h).
  auto outcome = didit::OpOutcome(std::move(result));
  if (!outcome) return ReportError(outcome.error());
  std::fwrite(outcome->response_body.data(), 1, outcome->response_body.size(), stdout);
  std::fputc('\n', stdout);
  return kExitOk;
}

}  // namespace

void AddCallCommand(CLI::App& app, int& exit_code) {
  auto flags = std::make_shared<CallFlags>();
  auto* cmd = app.add_subcommand("call", "Make one exactly-once API call (journaled first)");
  cmd->add_option("METHOD", flags->method, "HTTP method (POST, GET, PATCH, DELETE)")->required();
  cmd->add_option("PATH", flags->path, "Path relative to the base URL, e.g. /v3/session/")
      ->required();
  auto* data = cmd->add_option("--data", flags->data, "Request body (exact bytes)");
  auto* file = cmd->add_option("--data-file", flags->data_file, "Read the request body from F");
  data->excludes(file);
  AddOpIdFlags(cmd, flags->op_id, flags->new_op);
  cmd->add_option("--kind", flags->kind,
                  "Op kind: its key facts and look-up (default: the Didit kind of METHOD PATH, "
                  "e.g. aml for POST /v3/aml/; else call, which Didit does not deduplicate)");
  cmd->add_option("--natural-key", flags->natural_key,
                  "Look-up key for reconciliation (default: from the JSON body's vendor_data "
                  "for create_session and aml)");
  cmd->add_flag("--enqueue", flags->enqueue,
                "Store the op and exit (prints it as JSON); `idem worker` sends it");
  AddClientFlags(*cmd, flags->client);
  AddJsonErrorsFlag(*cmd);
  cmd->callback([flags, &exit_code] { exit_code = RunCall(*flags); });
}

}  // namespace idem::cli

// `idem ops list|show|resolve`: read the journal, and settle by hand an op
// no machine could prove (resolve). Never prints secrets: the API key is
// never stored, and the one secret an answer may hold (a webhook
// destination's or the legacy webhook's `secret_shared_key`) is redacted;
// `idem webhook destinations get` / `webhook config get` print it.
#include <cstdio>
#include <ctime>

#include "cli/client_cli_support.h"
#include "cli/commands.h"
#include "cli/error_report.h"
#include "cli/exit_codes.h"
#include "client/op_codec.h"
#include "idem/resolve.h"

namespace idem::cli {
namespace {

struct OpsFlags {
  std::string state;
  bool json = false;
  bool needs_review = false;
  std::size_t limit = 0;
  std::string op_id;
  bool executed = false;
  bool not_executed = false;
  std::string resource_id;
  std::string by;
  std::string note;
  ClientFlags client;
};

// An op without its bodies: listings stay small; `ops show` has everything.
nlohmann::json SummaryJson(const Operation& op) {
  nlohmann::json j = internal::OperationToJson(op);
  for (const char* big : {"body", "response_body", "response_json", "response_headers"}) {
    j.erase(big);
  }
  return j;
}

int RunList(OpsFlags& f) {
  ErrorsAsJson(f.json);
  ResolveFromEnvironment(f.client);
  OpFilter filter;
  filter.limit = f.limit;
  if (f.needs_review) filter.needs_review = true;
  if (!f.state.empty()) {
    filter.state = ParseOpState(f.state);
    if (!filter.state) {
      return ReportError(
          Error(ErrorCode::kInvalidArgument,
                "unknown state '" + f.state + "' (in_flight, succeeded, failed or unknown)"));
    }
  }
  auto journal = OpenExistingJournalFromFlags(f.client);
  if (!journal) return ReportError(InContext("journal", journal.error()), kExitConfig);
  auto ops = (*journal)->List(filter);
  if (!ops) return ReportError(InContext("journal", ops.error()), kExitConfig);
  if (f.json) {
    nlohmann::json array = nlohmann::json::array();
    for (const Operation& op : *ops) array.push_back(SummaryJson(op));
    std::printf("%s\n", internal::DumpJson(array).c_str());
    return kExitOk;
  }
  // OWNER/LEASE_UNTIL: which worker holds the op and until when (UTC); "-"
  // when nobody does (a lapsed lease is shown as it is stored: free to take).
  // STATE "unknown*": needs review (a person must settle it: `ops resolve`).
  std::printf("%-40s %-10s %8s %6s %-36s %-32s %s\n", "OP_ID", "STATE", "ATTEMPTS", "HTTP",
              "IDEM_KEY", "OWNER", "LEASE_UNTIL");
  for (const Operation& op : *ops) {
    std::string until = "-";
    if (!op.lease_owner.empty() && op.lease_until_ms > 0) {
      std::time_t secs = static_cast<std::time_t>(op.lease_until_ms / 1000);
      std::tm tm{};
      gmtime_r(&secs, &tm);
      char buf[64];
      std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                    static_cast<int>(op.lease_until_ms % 1000));
      until = buf;
    }
    std::string state(OpStateName(op.state));
    if (op.needs_review) state += '*';
    std::printf("%-40s %-10s %8d %6d %-36s %-32s %s\n", op.op_id.c_str(), state.c_str(),
                op.attempts, op.response_status, op.idem_key.c_str(),
                op.lease_owner.empty() ? "-" : op.lease_owner.c_str(), until.c_str());
  }
  return kExitOk;
}

// The op's JSON with an answer's `secret_shared_key` redacted (in the
// parsed answer and in the body as text).
nlohmann::json WithoutSecrets(nlohmann::json op) {
  auto it = op.find("response_json");
  if (it == op.end() || !it->is_object() || !it->contains("secret_shared_key")) return op;
  (*it)["secret_shared_key"] = "[redacted]";
  op["response_body"] = internal::DumpJson(*it);
  return op;
}

int RunShow(OpsFlags& f) {
  ResolveFromEnvironment(f.client);
  auto journal = OpenExistingJournalFromFlags(f.client);
  if (!journal) return ReportError(InContext("journal", journal.error()), kExitConfig);
  auto op = (*journal)->Get(f.op_id);
  if (!op) return ReportError(InContext("journal", op.error()), kExitConfig);
  if (!*op) return ReportError(Error(ErrorCode::kNotFound, "no op '" + f.op_id + "'"));
  std::printf("%s\n", internal::DumpJson(WithoutSecrets(internal::OperationToJson(**op))).c_str());
  return kExitOk;
}

int RunResolve(OpsFlags& f) {
  if (f.executed == f.not_executed)
    return ReportError(Error(ErrorCode::kInvalidArgument, "say --executed or --not-executed"));
  if (!f.resource_id.empty() && !f.executed)
    return ReportError(Error(ErrorCode::kInvalidArgument, "--resource-id goes with --executed"));
  ResolveFromEnvironment(f.client);
  auto journal = OpenExistingJournalFromFlags(f.client);
  if (!journal) return ReportError(InContext("journal", journal.error()), kExitConfig);
  ResolveRequest request;
  request.op_id = f.op_id;
  request.executed = f.executed;
  request.resource_id = f.resource_id;
  request.by = f.by;
  request.note = f.note;
  auto op = ResolveUnknownOp(**journal, request);
  if (!op) return ReportError(op.error());
  std::printf("%s\n", internal::DumpJson(SummaryJson(*op)).c_str());
  if (!f.executed) {
    std::fprintf(stderr,
                 "idem ops resolve: op %s will be sent again under a fresh key by `idem resume` "
                 "or a worker\n",
                 op->op_id.c_str());
  }
  return kExitOk;
}

}  // namespace

void AddOpsCommand(CLI::App& app, int& exit_code) {
  auto flags = std::make_shared<OpsFlags>();
  auto* ops = app.add_subcommand("ops", "Inspect journaled operations");
  ops->require_subcommand(1);
  auto* list = ops->add_subcommand("list", "List ops");
  list->add_option("--state", flags->state, "in_flight, succeeded, failed or unknown");
  list->add_flag("--json", flags->json, "A JSON array of objects (errors as one JSON object)");
  list->add_option("--limit", flags->limit, "At most N ops (default all)");
  list->add_flag("--needs-review", flags->needs_review,
                 "Only unknown ops a person must settle (shown as unknown*)");
  AddJournalFlag(*list, flags->client);
  list->callback([flags, &exit_code] { exit_code = RunList(*flags); });
  auto* show = ops->add_subcommand("show", "Show one op as JSON");
  show->add_option("OP_ID", flags->op_id, "The op's id")->required();
  AddJournalFlag(*show, flags->client);
  AddJsonErrorsFlag(*show);
  show->callback([flags, &exit_code] { exit_code = RunShow(*flags); });
  auto* resolve = ops->add_subcommand(
      "resolve",
      "Settle an unknown op by hand: --executed (it happened: succeeded) or --not-executed (it "
      "did not: sent again under a fresh key by `idem resume` or a worker). Journaled with who "
      "and when; refused for an op that is not unknown");
  resolve->add_option("OP_ID", flags->op_id, "The op's id")->required();
  auto* executed = resolve->add_flag("--executed", flags->executed, "It executed");
  auto* not_executed =
      resolve->add_flag("--not-executed", flags->not_executed, "It provably did not execute");
  executed->excludes(not_executed);
  resolve->add_option("--resource-id", flags->resource_id,
                      "With --executed: what it made (e.g. the session or request id)");
  resolve->add_option("--by", flags->by, "Who decides (default $USER@host)");
  resolve->add_option("--note", flags->note, "Why (e.g. 'seen in the Didit console')");
  AddJournalFlag(*resolve, flags->client);
  AddJsonErrorsFlag(*resolve);
  resolve->callback([flags, &exit_code] { exit_code = RunResolve(*flags); });
}

}  // namespace idem::cli

// Internal to the CLI: what `idem session`, `idem aml` and `idem liveness`
// share. Config from the environment (as `idem call`):
//   IDEM_BASE_URL   default https://verification.didit.me
//   IDEM_API_KEY    falls back to DIDIT_API_KEY (never printed)
//   IDEM_JOURNAL    the SQLite journal path (default ./idem-journal.db)
// Results are JSON on stdout; errors as cli/error_report.h says; exit codes
// as in exit_codes.h.
#pragma once

#include <CLI/CLI.hpp>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>

#include "cli/client_cli_support.h"
#include "cli/error_report.h"
#include "cli/exit_codes.h"
#include "cli/interrupt.h"
#include "idem/didit.h"
#include "idem/op_id.h"

namespace idem::cli {

// Opens the journal and transport and makes a DiditClient (Didit reconcilers
// registered) from the client flags every command shares (AddClientFlags:
// --base-url, --api-key[-file], --journal, --lease-ms, --timeout-ms, retries),
// the environment filling what they leave empty. On failure prints the error
// and returns nullptr; the exit code is then kExitConfig.
std::unique_ptr<didit::DiditClient> MakeDiditClientFromEnv(const ClientFlags& given);

// Prints `value` as one line of JSON on stdout (invalid UTF-8 replaced).
void PrintJson(const nlohmann::json& value);

// Makes the client, runs `call(client)` (a typed call whose answer has
// `raw`) and prints the raw answer. Returns the exit code.
template <typename Call>
int CallAndPrintRaw(Call&& call, const ClientFlags& flags) {
  auto client = MakeDiditClientFromEnv(flags);
  if (!client) return kExitConfig;
  auto result = call(*client);
  if (!result) return ReportError(result.error());
  PrintJson(result->raw);
  return kExitOk;
}

// A fresh op id (UUIDv7, as the Client makes).
std::string NewOpId();

// The two flags every journaled command has: --op-id ID and --new-op
// (exclusive). Without either, the op id derives from the request
// (OpIdForCommand), so the same command run twice is the same op.
void AddOpIdFlags(CLI::App* cmd, std::string& op_id, bool& new_op);

// The op id placeholder a Didit op is built with to derive its id (a check
// without vendor_data embeds the op id in its body).
inline constexpr const char* kDerivationPlaceholder = "idem-derived-op-id";

// The op id of a journaled command: `op_id` when given (--op-id); a fresh
// UUIDv7 with `new_op`; otherwise DerivedOpId of the op `build` makes with
// kDerivationPlaceholder (see include/idem/op_id.h). `build` is one of the
// didit::*Op builders bound to the command's request.
template <typename Build>
[[nodiscard]] Result<std::string> OpIdForCommand(const std::string& op_id, bool new_op,
                                                 Build&& build) {
  if (!op_id.empty()) return op_id;
  if (new_op) return NewOpId();
  Result<OpRequest> placeholder = build(didit::CallOptions{.op_id = kDerivationPlaceholder});
  if (!placeholder) return tl::unexpected(placeholder.error());
  return DerivedOpId(*placeholder);
}

// Prints on stderr how op `op_id` was settled when that was not by its own
// response (its audit lines: "found by look-up: ..."), so a user knows a lost
// answer was recovered rather than received.
void NoteHowSettled(didit::DiditClient& client, const std::string& op_id);

// For a journaled typed call: `call(client, options)` runs with op id
// `op_id` (from OpIdForCommand, so the op can be read back); on success it
// says on stderr how the op was settled, then `print(answer)` prints the
// answer and returns the exit code.
//
// SIGINT/SIGTERM while it runs: the op is parked (lease released), the
// command says so and how to continue, and exits 128 + the signal
// (cli/interrupt.h).
template <typename Call, typename Print>
int CallOpAndThen(std::string op_id, Call&& call, const ClientFlags& flags, const char* command,
                  Print&& print) {
  InterruptGuard interrupt(command);
  auto client = MakeDiditClientFromEnv(flags);
  if (!client) return kExitConfig;
  interrupt.OnStop([&client] { client->client().Shutdown(); });
  auto result = call(*client, didit::CallOptions{.op_id = op_id});
  if (interrupt.signal() != 0 && interrupt.ReportUnfinished(client->client(), {op_id}) > 0) {
    return interrupt.ExitCode();
  }
  if (!result) return ReportError(result.error());
  NoteHowSettled(*client, op_id);
  return print(*result);
}

// CallOpAndThen printing the raw answer.
template <typename Call>
int CallOpAndPrint(std::string op_id, Call&& call, const ClientFlags& flags, const char* command) {
  return CallOpAndThen(std::move(op_id), std::forward<Call>(call), flags, command,
                       [](const auto& answer) {
                         PrintJson(answer.raw);
                         return kExitOk;
                       });
}

}  // namespace idem::cli

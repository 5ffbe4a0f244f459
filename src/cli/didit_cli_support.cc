#include "cli/didit_cli_support.h"

#include <cstdio>
#include <cstdlib>

#include "cli/client_cli_support.h"
#include "cli/exit_codes.h"
#include "idem/journal.h"
#include "idem/transport.h"
#include "idem/uuid.h"

namespace idem::cli {

void AddDriveFlags(CLI::App* cmd, DriveFlags& flags) {
  cmd->add_option("--lease-ms", flags.lease_ms,
                  "Lease held on the op while driven (default 60000); the op of a run that "
                  "crashed on this host is taken over at once, elsewhere once the lease lapses")
      ->check(CLI::Range(3, 86'400'000));
  cmd->add_option("--timeout-ms", flags.timeout_ms,
                  "Time per attempt (default: the kind's, Didit's advice: 60000 for aml and "
                  "id_verification, 30000 otherwise); also how long a look-up that finds "
                  "nothing waits for an attempt that may still be running")
      ->check(CLI::Range(1, 3'600'000));
}

std::unique_ptr<didit::DiditClient> MakeDiditClientFromEnv(const DriveFlags& drive) {
  // The same environment and journal resolution as `idem call` (a SQLite path
  // or a postgres:// URL in $IDEM_JOURNAL).
  ClientFlags flags;
  ResolveFromEnvironment(flags);
  flags.timeout_ms = drive.timeout_ms;
  // Before the journal is even opened: a call without a key would only be
  // refused, and its op stored as if the API had said something about it.
  if (flags.api_key.empty()) {
    const Error missing = MissingApiKey(flags);
    ReportError(Error(missing.code(), missing.message() + " (nothing was sent or stored)"));
    return nullptr;
  }
  didit::DiditClientOptions options;
  options.client.base_url = flags.base_url;
  options.client.api_key = flags.api_key;
  if (drive.lease_ms > 0) options.client.lease = std::chrono::milliseconds(drive.lease_ms);
  auto journal = OpenJournalFromFlags(flags);
  if (!journal) {
    ReportError(journal.error());
    return nullptr;
  }
  options.client.journal = std::move(*journal);
  options.client.transport = MakeCurlTransport();
  // Registered here (flags applied); DiditClient::Create keeps them.
  if (auto st = ApplyDiditProfile(options.client, flags); !st) {
    ReportError(st.error());
    return nullptr;
  }
  auto client = didit::DiditClient::Create(std::move(options));
  if (!client) {
    ReportError(client.error());
    return nullptr;
  }
  return std::move(*client);
}

std::string NewOpId() { return NewUuidV7(*DefaultClock()); }

void AddOpIdFlags(CLI::App* cmd, std::string& op_id, bool& new_op) {
  auto* id = cmd->add_option("--op-id", op_id,
                             "Business key of the op (default: derived from the request, so the "
                             "same command run again is the same op and is not charged twice)");
  auto* fresh = cmd->add_flag("--new-op", new_op,
                              "A new op even if the same request ran before (a fresh op id): "
                              "for a deliberate second call, e.g. a periodic re-screening");
  id->excludes(fresh);
}

void NoteHowSettled(didit::DiditClient& client, const std::string& op_id) {
  auto op = client.client().Get(op_id);
  if (!op || !*op || (*op)->audit.empty()) return;
  std::string_view audit = (*op)->audit;
  while (!audit.empty()) {
    const std::size_t end = std::min(audit.find('\n'), audit.size());
    std::fprintf(stderr, "idem: op %s: %.*s\n", op_id.c_str(), static_cast<int>(end), audit.data());
    audit.remove_prefix(std::min(end + 1, audit.size()));
  }
}

void PrintJson(const nlohmann::json& value) {
  std::string text = value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  std::printf("%s\n", text.c_str());
  std::fflush(stdout);
}

int ReportError(const didit::DiditError& error) {
  nlohmann::json out = {{"error", std::string(ErrorCodeName(error.error.code()))},
                        {"message", error.error.message()}};
  if (!error.op_id.empty()) out["op_id"] = error.op_id;
  if (error.api) {
    const didit::ApiError& api = *error.api;
    out["http_status"] = api.http_status;
    out["kind"] = std::string(didit::ApiErrorKindName(api.kind));
    if (!api.detail.empty()) out["detail"] = api.detail;
    if (!api.code.empty()) out["code"] = api.code;
    if (!api.field_errors.empty()) out["field_errors"] = api.field_errors;
  }
  PrintJson(out);
  std::fprintf(stderr, "idem: %s\n", error.ToString().c_str());
  return ExitCodeFor(error.error.code());
}

int ReportError(const Error& error) {
  return ReportError(didit::DiditError{error, std::nullopt, {}});
}

}  // namespace idem::cli

#include "cli/didit_cli_support.h"

#include <cstdio>
#include <cstdlib>

#include "cli/client_cli_support.h"
#include "cli/exit_codes.h"
#include "idem/journal.h"
#include "idem/transport.h"
#include "idem/uuid.h"

namespace idem::cli {

std::unique_ptr<didit::DiditClient> MakeDiditClientFromEnv(const ClientFlags& given) {
  // The same flags, environment and journal resolution as `idem call` (a
  // SQLite path or a postgres:// URL).
  ClientFlags flags = given;
  ResolveFromEnvironment(flags);
  // Before the journal is even opened: a call without a key would only be
  // refused, and its op stored as if the API had said something about it.
  if (flags.api_key.empty()) {
    const Error missing = MissingApiKey(flags);
    ReportError(Error(missing.code(), missing.message() + " (nothing was sent or stored)"));
    return nullptr;
  }
  auto client_options = ClientOptionsFromFlags(flags);
  if (!client_options) {
    ReportError(client_options.error());
    return nullptr;
  }
  auto journal = OpenJournalFromFlags(flags);
  if (!journal) {
    ReportError(journal.error());
    return nullptr;
  }
  didit::DiditClientOptions options;
  options.client = std::move(*client_options);
  options.client.journal = std::move(*journal);
  // The profiles are registered (flags applied); DiditClient::Create keeps them.
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

}  // namespace idem::cli

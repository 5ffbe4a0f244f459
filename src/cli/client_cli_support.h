// Shared by `idem call`, `idem ops` and `idem resume`: where the journal, the
// API and the key come from (flags, then environment, then defaults), and how
// library errors map to exit codes.
#pragma once

#include <CLI/CLI.hpp>
#include <memory>
#include <string>

#include "idem/client.h"
#include "idem/journal.h"
#include "idem/status.h"

namespace idem::cli {

struct ClientFlags {
  std::string base_url;  // --base-url, else $IDEM_BASE_URL, else Didit production
  // --api-key, else --api-key-file, else $IDEM_API_KEY, else the file named
  // by $IDEM_API_KEY_FILE, else $DIDIT_API_KEY.
  std::string api_key;
  std::string api_key_file;  // --api-key-file
  // Why api_key stayed empty although a file was named (unreadable, empty);
  // names the file, never its content.
  std::string api_key_error;
  std::string journal;   // --journal, else $IDEM_JOURNAL, else ./idem-journal.db
  int lease_ms = 60000;  // --lease-ms
  // --timeout-ms: total time per attempt for every kind; 0 = each kind's
  // own (Didit's advice, idem/didit/endpoints.h), 30 s for anything else.
  int timeout_ms = 0;
  // --keyed-kinds, else $IDEM_KEYED_KINDS, else Didit's documented set
  // ("aml"): which kinds the server deduplicates by Idempotency-Key.
  std::string keyed_kinds;
  int max_attempts = 5;        // --max-attempts per driving session
  int backoff_base_ms = 100;   // --backoff-base-ms
  int backoff_cap_ms = 20000;  // --backoff-cap-ms
  // --rate-limits (idem/rate_limits.h syntax); empty = ClientOptions'
  // default (Didit's limits for Didit's base URL, else off).
  std::string rate_limits;
  // --rate-budget: "shared" (the journal's, default) or "process" (this
  // process's own; ClientOptions::share_rate_budget = false).
  std::string rate_budget = "shared";
};

void AddJournalFlag(CLI::App& cmd, ClientFlags& flags);
void AddClientFlags(CLI::App& cmd, ClientFlags& flags);

// Fills the defaults from the environment (reading a key file if named).
void ResolveFromEnvironment(ClientFlags& flags);

// The error for a missing API key: api_key_error when a key file failed,
// else which flags and variables would give one.
Error MissingApiKey(const ClientFlags& flags);

[[nodiscard]] Result<std::shared_ptr<Journal>> OpenJournalFromFlags(const ClientFlags& flags);
// The same for a command that only reads or recovers (resume, ops): a SQLite
// journal that does not exist is kNotFound and no file is created.
[[nodiscard]] Result<std::shared_ptr<Journal>> OpenExistingJournalFromFlags(
    const ClientFlags& flags);
// What the (resolved) flags say of a client: the API, the key, a curl
// transport with the time per attempt, the lease, retries and backoff, and
// Didit's profiles (ApplyDiditProfile). The caller sets the journal.
[[nodiscard]] Result<ClientOptions> ClientOptionsFromFlags(const ClientFlags& flags);
// A Client over a curl transport; `concurrency` ops driven at once.
[[nodiscard]] Result<std::unique_ptr<Client>> MakeClientFromFlags(const ClientFlags& flags,
                                                                  std::shared_ptr<Journal> journal,
                                                                  std::size_t concurrency);

// Didit's endpoint profiles and look-ups (didit::AddDiditReconcilers), then
// what the flags override: the kinds whose keys the server honours and the
// time per attempt. kInvalidArgument for a bad --keyed-kinds.
[[nodiscard]] Status ApplyDiditProfile(ClientOptions& options, const ClientFlags& flags);

}  // namespace idem::cli

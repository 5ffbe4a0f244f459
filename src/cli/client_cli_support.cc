#include "cli/client_cli_support.h"

#include <cstdlib>

#include "cli/exit_codes.h"
#include "cli/secrets.h"
#include "idem/didit/client.h"
#include "idem/transport.h"

namespace idem::cli {
namespace {

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v ? std::string(v) : std::string();
}

}  // namespace

void AddJournalFlag(CLI::App& cmd, ClientFlags& flags) {
  cmd.add_option(
      "--journal", flags.journal,
      "Journal: SQLite path or postgres:// URL (default $IDEM_JOURNAL, ./idem-journal.db)");
}

void AddClientFlags(CLI::App& cmd, ClientFlags& flags) {
  AddJournalFlag(cmd, flags);
  cmd.add_option("--base-url", flags.base_url,
                 "API base URL (default $IDEM_BASE_URL, https://verification.didit.me)");
  auto* key = cmd.add_option("--api-key", flags.api_key,
                             "API key (default $IDEM_API_KEY, then $DIDIT_API_KEY); never printed, "
                             "but visible in `ps`: prefer --api-key-file");
  auto* key_file = cmd.add_option("--api-key-file", flags.api_key_file,
                                  "Read the API key from file F (default $IDEM_API_KEY_FILE)");
  key->excludes(key_file);
  cmd.add_option("--lease-ms", flags.lease_ms,
                 "Lease on each driven op (default 60000); the op of a run that crashed on this "
                 "host is taken over at once, elsewhere once the lease lapses")
      ->check(CLI::Range(3, 86400000));
  cmd.add_option("--timeout-ms", flags.timeout_ms,
                 "Total time per attempt for every kind (default: per kind, Didit's advice: "
                 "60000 for aml and id_verification, 30000 otherwise); also how long a look-up "
                 "that finds nothing waits for an attempt that may still be running")
      ->check(CLI::Range(1, 3600000));
  cmd.add_option("--keyed-kinds", flags.keyed_kinds,
                 "Kinds whose Idempotency-Key the server honours: all, none, or a comma list "
                 "(default $IDEM_KEYED_KINDS, else aml as Didit documents; all for `idem "
                 "sandbox --profile ideal`)");
  cmd.add_option("--max-attempts", flags.max_attempts, "Attempts per run (default 5)")
      ->check(CLI::Range(1, 100));
  cmd.add_option("--backoff-base-ms", flags.backoff_base_ms, "Backoff base (default 100)")
      ->check(CLI::Range(0, 600000));
  cmd.add_option("--backoff-cap-ms", flags.backoff_cap_ms, "Backoff cap (default 20000)")
      ->check(CLI::Range(0, 600000));
  cmd.add_option("--rate-limits", flags.rate_limits,
                 "Rate budget per scope, shared by every process on the journal: 'off', "
                 "'didit' (Didit's published limits), or SCOPE=N/min or SCOPE=N/s entries "
                 "(reads, writes, create, decision, pdf, or Didit's scope names), e.g. "
                 "'writes=300/min,reads=600/min' or 'didit,writes=100/min' (default: didit "
                 "for Didit's base URL, off for any other; docs/client.md)")
      ->check([](const std::string& spec) -> std::string {
        auto parsed = ParseRateLimits(spec);
        return parsed ? "" : parsed.error().message();
      });
  cmd.add_option("--rate-budget", flags.rate_budget,
                 "Where the rate budget is kept: 'shared' (in the journal, one budget for "
                 "every process on it) or 'process' (this process's own, as other clients "
                 "keep it; a fleet may then exceed the key's limit) (default shared)")
      ->check(CLI::IsMember({"shared", "process"}));
}

void ResolveFromEnvironment(ClientFlags& flags) {
  if (flags.base_url.empty()) flags.base_url = Env("IDEM_BASE_URL");
  if (flags.base_url.empty()) flags.base_url = "https://verification.didit.me";
  auto from_file = [&](const std::string& path) {
    if (!flags.api_key.empty() || path.empty()) return;
    auto key = ReadSecretFile(path);
    if (key) {
      flags.api_key = std::move(*key);
    } else if (flags.api_key_error.empty()) {
      flags.api_key_error = key.error().message();
    }
  };
  from_file(flags.api_key_file);
  if (flags.api_key.empty() && flags.api_key_error.empty()) flags.api_key = Env("IDEM_API_KEY");
  if (flags.api_key.empty() && flags.api_key_error.empty()) from_file(Env("IDEM_API_KEY_FILE"));
  if (flags.api_key.empty() && flags.api_key_error.empty()) flags.api_key = Env("DIDIT_API_KEY");
  if (flags.journal.empty()) flags.journal = DefaultJournalPath();
  if (flags.keyed_kinds.empty()) flags.keyed_kinds = Env("IDEM_KEYED_KINDS");
}

Error MissingApiKey(const ClientFlags& flags) {
  if (!flags.api_key_error.empty()) {
    return Error(ErrorCode::kInvalidArgument, "no API key: " + flags.api_key_error);
  }
  return Error(ErrorCode::kInvalidArgument,
               "no API key: pass --api-key-file or --api-key, or set IDEM_API_KEY, "
               "IDEM_API_KEY_FILE or DIDIT_API_KEY");
}

[[nodiscard]] Status ApplyDiditProfile(ClientOptions& options, const ClientFlags& flags) {
  didit::AddDiditReconcilers(options);
  if (!flags.keyed_kinds.empty()) {
    if (auto st = didit::SetKeyedKinds(options, flags.keyed_kinds); !st) return st;
  }
  if (flags.timeout_ms > 0) {
    didit::SetAttemptTimeout(options, std::chrono::milliseconds(flags.timeout_ms));
  }
  return {};
}

[[nodiscard]] Result<std::shared_ptr<Journal>> OpenJournalFromFlags(const ClientFlags& flags) {
  auto journal = OpenJournal(flags.journal);  // SQLite path or postgres:// URL
  if (!journal) return tl::unexpected(journal.error());
  return std::shared_ptr<Journal>(std::move(*journal));
}

[[nodiscard]] Result<std::shared_ptr<Journal>> OpenExistingJournalFromFlags(
    const ClientFlags& flags) {
  if (auto st = CheckJournalExists(flags.journal); !st) {
    return MakeError(ErrorCode::kNotFound,
                     st.error().message() + " (check --journal or $IDEM_JOURNAL)");
  }
  return OpenJournalFromFlags(flags);
}

[[nodiscard]] Result<ClientOptions> ClientOptionsFromFlags(const ClientFlags& flags) {
  if (flags.api_key.empty()) return tl::unexpected(MissingApiKey(flags));
  TransportOptions transport_options;
  if (flags.timeout_ms > 0) {
    transport_options.total_timeout = std::chrono::milliseconds(flags.timeout_ms);
    transport_options.connect_timeout =
        std::min(transport_options.connect_timeout, transport_options.total_timeout);
  }
  ClientOptions options;
  options.base_url = flags.base_url;
  options.api_key = flags.api_key;
  options.transport = MakeCurlTransport(transport_options);
  options.lease = std::chrono::milliseconds(flags.lease_ms);
  options.retry =
      std::make_shared<LimitedAttemptsRetryPolicy>(flags.max_attempts, std::chrono::seconds(60));
  options.backoff =
      std::make_shared<FullJitterBackoff>(std::chrono::milliseconds(flags.backoff_base_ms),
                                          std::chrono::milliseconds(flags.backoff_cap_ms));
  // Every CLI client may resume Didit ops (`idem resume` above all): without
  // the profiles and look-ups, a resumed op would rely on a key Didit ignores
  // on most endpoints.
  if (auto st = ApplyDiditProfile(options, flags); !st) return tl::unexpected(st.error());
  if (!flags.rate_limits.empty()) {
    auto limits = ParseRateLimits(flags.rate_limits);
    if (!limits) return tl::unexpected(limits.error());
    options.rate_limits = *limits;
  }
  options.share_rate_budget = flags.rate_budget != "process";
  return options;
}

[[nodiscard]] Result<std::unique_ptr<Client>> MakeClientFromFlags(const ClientFlags& flags,
                                                                  std::shared_ptr<Journal> journal,
                                                                  std::size_t concurrency) {
  auto options = ClientOptionsFromFlags(flags);
  if (!options) return tl::unexpected(options.error());
  options->journal = std::move(journal);
  options->max_concurrent_ops = std::max<std::size_t>(1, concurrency);
  return Client::Create(std::move(*options));
}

}  // namespace idem::cli

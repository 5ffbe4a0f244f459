// `idem sandbox`: runs the local Didit-compatible API until SIGINT/SIGTERM,
// or `--self-check` drives a scripted set of requests against an in-process
// sandbox and prints a pass/fail table.
#include <signal.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "cli/commands.h"
#include "cli/error_report.h"
#include "cli/exit_codes.h"
#include "cli/logging.h"
#include "cli/show_default.h"
#include "idem/retry.h"
#include "idem/sandbox.h"
#include "sandbox/self_check.h"

namespace idem::cli {
namespace {

struct SandboxFlags {
  std::string listen = "127.0.0.1:8790";
  SandboxOptions options;
  std::int64_t key_ttl_seconds = 86400;
  std::int64_t key_claim_timeout_ms = 30000;
  std::int64_t read_timeout_ms = 10000;
  std::string profile = "didit";
  std::string credits = "plenty";
  bool no_idempotency = false;
  bool no_vendor_dedup = false;
  bool self_check = false;
  double auto_complete_seconds = 0;
  std::string rate_scopes = "off";
  std::string webhook_retries = "didit";
};

bool ParseListen(const std::string& listen, SandboxOptions& options) {
  const std::size_t colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0) return false;
  std::string host = listen.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  const std::string port = listen.substr(colon + 1);
  if (port.empty() || port.size() > 5 ||
      port.find_first_not_of("0123456789") != std::string::npos) {
    return false;
  }
  const int value = std::stoi(port);
  if (value > 65535) return false;
  options.host = host;
  options.port = static_cast<std::uint16_t>(value);
  return true;
}

int RunSandbox(SandboxFlags& flags) {
  auto log = StderrLogger("sandbox");
  if (!ParseListen(flags.listen, flags.options)) {
    log->error("--listen must be HOST:PORT, got '{}'", flags.listen);
    return kExitUsage;
  }
  flags.options.key_ttl = std::chrono::seconds(flags.key_ttl_seconds);
  flags.options.key_claim_timeout = std::chrono::milliseconds(flags.key_claim_timeout_ms);
  flags.options.read_timeout = std::chrono::milliseconds(flags.read_timeout_ms);
  flags.options.idempotency = !flags.no_idempotency;
  flags.options.vendor_dedup = !flags.no_vendor_dedup;
  flags.options.auto_complete =
      std::chrono::milliseconds(static_cast<std::int64_t>(flags.auto_complete_seconds * 1000));
  if (flags.webhook_retries == "fast") UseFastWebhookRetries(flags.options);
  if (flags.options.webhook_secret.empty()) {
    if (const char* env = std::getenv("IDEM_WEBHOOK_SECRET")) flags.options.webhook_secret = env;
  }
  if (!flags.options.webhook_url.empty() && flags.options.webhook_secret.empty()) {
    log->error("--webhook-url needs --webhook-secret or IDEM_WEBHOOK_SECRET");
    return kExitUsage;
  }

  // Block the stop signals in every thread (the server threads inherit the
  // mask) and wait for them here.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  auto sandbox = Sandbox::Start(flags.options);
  if (!sandbox) {
    log->error("cannot start the sandbox: {}", sandbox.error().ToString());
    return sandbox.error().code() == ErrorCode::kInvalidArgument ? kExitUsage : kExitConfig;
  }
  std::printf("listening on %s\n", (*sandbox)->base_url().c_str());
  std::fflush(stdout);
  // A postgres URL may hold a password: only its kind is logged.
  const std::string& db = flags.options.db_path;
  const std::string store = db.empty() ? "memory"
                            : db.rfind("postgres://", 0) == 0 || db.rfind("postgresql://", 0) == 0
                                ? "postgresql (URL not logged)"
                                : db;
  log->info(
      "sandbox up: profile={}, store={}, faults='{}', seed={}, idempotency={}, vendor_dedup={}, "
      "replay_header={}, credits={}",
      SandboxProfileName(flags.options.profile), store, flags.options.faults, flags.options.seed,
      flags.options.idempotency, flags.options.vendor_dedup,
      flags.options.profile == SandboxProfile::kIdeal || flags.options.replay_header,
      SandboxCreditsName(flags.options.credits));
  if (const auto& s = flags.options.rate_scopes; s.enabled()) {
    log->info(
        "rate scopes (per {} ms window, 0 = off): generic-get={}, generic-write={}, "
        "session-v2-create={}, session-decision={}",
        s.window_ms, s.generic_get, s.generic_write, s.session_create, s.session_decision);
  }
  if (!flags.options.webhook_url.empty() || flags.options.auto_complete.count() > 0) {
    // The secret is never logged.
    log->info("webhooks: url='{}', faults='{}', retries={}, auto_complete={} ms",
              flags.options.webhook_url.empty() ? "off" : flags.options.webhook_url,
              flags.options.webhook_faults, flags.webhook_retries,
              flags.options.auto_complete.count());
  }
  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  log->info("signal {}: shutting down", signal_number);
  (*sandbox)->Stop();
  return kExitOk;
}

}  // namespace

void AddSandboxCommand(CLI::App& app, int& exit_code) {
  auto flags = std::make_shared<SandboxFlags>();
  CLI::App* cmd = app.add_subcommand(
      "sandbox",
      "Run a local Didit-compatible API with server-side idempotency and fault injection.\n"
      "Prints 'listening on http://HOST:PORT' first; SIGINT/SIGTERM stop it.\n"
      "/_sandbox/* (health, stats, executions, sessions/{id}/advance) needs NO auth: "
      "it is a local tool, keep it on 127.0.0.1.");
  ShowDefault(
      cmd->add_option("--listen", flags->listen, "HOST:PORT to bind (port 0 = a free port)"));
  cmd->add_option("--api-key", flags->options.api_key,
                  "the sandbox's own application's x-api-key (default sandbox-key; never logged)");
  cmd->add_option("--application-id", flags->options.application_id,
                  "the sandbox's own application id (default "
                  "dbd20e34-42e9-4f2c-ba91-cf0762016f64)");
  cmd->add_option("--peer-api-key", flags->options.peer_api_key,
                  "the x-api-key of the second (peer) application, for session sharing; \"\" = "
                  "none (default sandbox-peer-key; never logged)");
  cmd->add_option("--peer-application-id", flags->options.peer_application_id,
                  "the peer application's id (default a5f3bca2-46e2-411e-90ef-a580900a57ee)");
  cmd->add_option("--db", flags->options.db_path,
                  "SQLite file (WAL) for sessions, keys and executions, or a postgres:// URL "
                  "that several sandbox processes share; default in memory");
  cmd->add_option("--faults", flags->options.faults,
                  "e.g. drop_before=0.1,drop_after=0.1,error_503=0.05,error_500_after=0.05,"
                  "rate_limit=0.05,slow=0.05:1500,slow_exec=0.05:1500,retry_after=1; a fault "
                  "ending in @writes or @reads hits only those requests (docs/sandbox.md)");
  ShowDefault(cmd->add_option("--seed", flags->options.seed, "seed of the fault generator"));
  ShowDefault(
      cmd->add_option("--key-ttl", flags->key_ttl_seconds, "seconds an idempotency key is kept"))
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{10} * 365 * 86400));
  ShowDefault(
      cmd->add_option("--key-claim-timeout-ms", flags->key_claim_timeout_ms,
                      "postgres store: a key left executing this long by a dead sandbox process is "
                      "taken over"))
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{86'400'000}));
  ShowDefault(cmd->add_option(
      "--profile", flags->profile,
      "didit: behave as Didit documents (Idempotency-Key on POST /v3/aml/ only, 409 "
      "on reuse, update-status rules); ideal: keys on every POST/PATCH/DELETE "
      "(IETF/Stripe rules, 422, Idempotent-Replayed), lenient update-status"));
  ShowDefault(
      cmd->add_option(
          "--credits", flags->credits,
          "the balance emulated: plenty; none (billed checks and OTP sends 403, session create "
          "400, Didit's \"not enough credits\" bodies; nothing executes); no-top-up (as none, and "
          "phone send 403 \"disabled until your first top-up\")"))
      ->check(CLI::IsMember({"plenty", "none", "no-top-up"}));
  cmd->add_flag(
      "--no-idempotency", flags->no_idempotency,
      "ignore Idempotency-Key everywhere, in both profiles (emulate an API without keys)");
  cmd->add_flag("--replay-header", flags->options.replay_header,
                "didit profile: mark replayed answers with Idempotent-Replayed: true (Didit's "
                "marker is unconfirmed; the ideal profile always sends it)");
  cmd->add_flag("--no-vendor-dedup", flags->no_vendor_dedup,
                "turn off the vendor_data dedup on session create");
  ShowDefault(cmd->add_option("--rate-limit", flags->options.rate_limit,
                              "requests per sliding 60 s window per API key (0 = off)"))
      ->check(CLI::NonNegativeNumber);
  ShowDefault(cmd->add_option(
      "--rate-scopes", flags->rate_scopes,
      "Didit's rate-limit scopes per API key, each a sliding 60 s window: 'didit' (GET 600, "
      "writes 300, session create 600, decision 100, PDF 50, ingest 600, KYC update 10 per "
      "minute), or SCOPE=N/min entries "
      "(reads, writes, create, decision; or all SCOPE=N/s, a 1 s window), e.g. "
      "'writes=30/min,reads=60/min' or "
      "'didit,decision=10/min'; 429 with Didit's body and X-RateLimit-* (docs/sandbox.md)"));
  ShowDefault(cmd->add_option("--threads", flags->options.threads, "I/O threads"))
      ->check(CLI::Range(1, 64));
  ShowDefault(
      cmd->add_option("--read-timeout-ms", flags->read_timeout_ms,
                      "a request must arrive within this many ms (slow clients are cut off)"))
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{3600000}));
  ShowDefault(cmd->add_option("--max-connections", flags->options.max_connections,
                              "connections over this are closed at once"));
  cmd->add_option("--webhook-url", flags->options.webhook_url,
                  "POST every session change there as Didit's signed status.updated event");
  cmd->add_option("--webhook-secret", flags->options.webhook_secret,
                  "the webhook signing secret (or env IDEM_WEBHOOK_SECRET; never printed)");
  cmd->add_option("--webhook-faults", flags->options.webhook_faults,
                  "webhook delivery faults, e.g. duplicate=0.2,reorder=0.1,delay=0.1:2000");
  ShowDefault(cmd->add_option("--webhook-retries", flags->webhook_retries,
                              "didit: a failed webhook is retried after 1 min and 4 min, then "
                              "dropped, as Didit does; fast: within milliseconds, up to 30 "
                              "attempts (idealised, for tests whose receiver fails on purpose)"))
      ->check(CLI::IsMember({"didit", "fast"}));
  cmd->add_option("--auto-complete", flags->auto_complete_seconds,
                  "move each new session to In Progress, then to a final status (decided by "
                  "--seed) about this many seconds (fractional ok) after creation; 0 = off")
      ->check(CLI::Range(0.0, 86400.0));
  cmd->add_flag("--self-check", flags->self_check,
                "start in-process sandboxes (didit profile, and ideal for its rules) with "
                "faults, check every rule with an HTTP client, print a pass/fail table; exit 0 "
                "only if all pass");
  cmd->callback([flags, &exit_code] {
    auto profile = ParseSandboxProfile(flags->profile);
    if (!profile) {
      std::cerr << "--profile: " << profile.error().message() << "\n";
      exit_code = kExitUsage;
      return;
    }
    flags->options.profile = *profile;
    auto credits = ParseSandboxCredits(flags->credits);
    if (!credits) {
      std::cerr << "--credits: " << credits.error().message() << "\n";
      exit_code = kExitUsage;
      return;
    }
    flags->options.credits = *credits;
    auto scopes = ParseSandboxRateScopes(flags->rate_scopes);
    if (!scopes) {
      exit_code = ReportError(InContext("--rate-scopes", scopes.error()));
      return;
    }
    flags->options.rate_scopes = *scopes;
    if (flags->self_check) {
      exit_code = RunSandboxSelfCheck(std::cout) ? kExitOk : kExitRefused;
      return;
    }
    exit_code = RunSandbox(*flags);
  });
}

}  // namespace idem::cli

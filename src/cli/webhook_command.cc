// `idem webhook serve` and `idem webhook events`: thin shells over
// WebhookReceiver and WebhookInbox (`destinations` and `config`:
// webhook_manage_command.cc).
#include <spdlog/spdlog.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "cli/client_cli_support.h"
#include "cli/commands.h"
#include "cli/error_report.h"
#include "cli/exit_codes.h"
#include "cli/secrets.h"
#include "cli/show_default.h"
#include "cli/table_field.h"
#include "idem/didit/client.h"
#include "idem/didit/decision_lookup.h"
#include "idem/journal.h"
#include "idem/webhook_receiver.h"

namespace idem::cli {
namespace {

struct ServeFlags {
  std::string listen = "127.0.0.1:8791";
  std::vector<std::string> secrets;
  std::vector<std::string> secret_files;
  std::string journal;
  int tolerance = 300;
  std::string scheme = "didit";
  std::string exec;
  std::string forward_to;
  std::string forward_secret_file;
  std::size_t max_connections = WebhookReceiverOptions{}.max_connections;
  int read_timeout_ms = static_cast<int>(WebhookReceiverOptions{}.read_timeout.count());
  // The catch-up (docs/webhook.md): off unless --catch-up-after is given.
  std::string catch_up_after;
  std::string catch_up_rate = std::to_string(CatchUpOptions{}.rate_per_minute) + "/min";
  std::string base_url;
  std::string api_key_file;
};

// "90s", "10m", "1h", "500ms": digits and one unit, nothing else; positive.
[[nodiscard]] Result<std::chrono::milliseconds> ParseDuration(const std::string& text,
                                                              const char* flag) {
  auto bad = [&] {
    return MakeError(ErrorCode::kInvalidArgument,
                     std::string(flag) +
                         " must be a positive whole number with a unit (ms, s, "
                         "m or h), e.g. 90s or 10m; got '" +
                         text + "'");
  };
  std::size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  if (digits == 0 || digits > 9) return bad();
  const std::int64_t n = std::stoll(text.substr(0, digits));
  const std::string unit = text.substr(digits);
  std::int64_t ms = 0;
  if (unit == "ms") {
    ms = n;
  } else if (unit == "s") {
    ms = n * 1000;
  } else if (unit == "m") {
    ms = n * 60'000;
  } else if (unit == "h") {
    ms = n * 3'600'000;
  } else {
    return bad();
  }
  if (ms <= 0) return bad();
  return std::chrono::milliseconds(ms);
}

// "30/min" or "30": look-ups per minute, 1..6000.
[[nodiscard]] Result<int> ParseRate(const std::string& text) {
  std::string number = text;
  if (number.size() > 4 && number.compare(number.size() - 4, 4, "/min") == 0) {
    number.resize(number.size() - 4);
  }
  const bool digits_only = !number.empty() && number.size() <= 4 &&
                           number.find_first_not_of("0123456789") == std::string::npos;
  const int n = digits_only ? std::stoi(number) : 0;
  if (n < 1 || n > 6000) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "--catch-up-rate must be N/min with N in 1..6000 (the decision endpoint "
                     "allows 100/min), e.g. 30/min; got '" +
                         text + "'");
  }
  return n;
}

struct EventsFlags {
  std::string session;
  bool json = false;
  std::string journal;
};

int Serve(const ServeFlags& flags) {
  WebhookReceiverOptions options;
  auto colon = flags.listen.rfind(':');
  if (colon == std::string::npos) {
    return ReportError(Error(ErrorCode::kInvalidArgument, "--listen must be HOST:PORT"));
  }
  options.host = flags.listen.substr(0, colon);
  char* end = nullptr;
  long port = std::strtol(flags.listen.c_str() + colon + 1, &end, 10);
  if (*end != '\0' || port < 0 || port > 65535 || colon + 1 == flags.listen.size()) {
    return ReportError(Error(ErrorCode::kInvalidArgument, "--listen port must be 0..65535"));
  }
  options.port = static_cast<std::uint16_t>(port);
  options.scheme = flags.scheme == "standard" ? WebhookScheme::kStandard : WebhookScheme::kDidit;
  // Every secret given is accepted (rotation): --secret, --secret-file, and
  // only when neither is given, $IDEM_WEBHOOK_SECRETS (a list) and
  // $IDEM_WEBHOOK_SECRET.
  options.verifier.secrets = flags.secrets;
  for (const std::string& path : flags.secret_files) {
    auto secret = ReadSecretFile(path);
    if (!secret) return ReportError(secret.error(), kExitConfig);
    options.verifier.secrets.push_back(std::move(*secret));
  }
  if (options.verifier.secrets.empty()) {
    if (const char* env = std::getenv("IDEM_WEBHOOK_SECRETS"); env && *env) {
      options.verifier.secrets = SplitSecretList(env);
    }
    if (const char* env = std::getenv("IDEM_WEBHOOK_SECRET"); env && *env) {
      options.verifier.secrets.push_back(env);
    }
  }
  if (options.verifier.secrets.empty()) {
    return ReportError(Error(ErrorCode::kInvalidArgument,
                             "a secret is required: --secret-file, --secret, "
                             "IDEM_WEBHOOK_SECRETS or IDEM_WEBHOOK_SECRET"));
  }
  options.verifier.tolerance = std::chrono::seconds(flags.tolerance);
  options.journal_path = flags.journal.empty() ? DefaultJournalPath() : flags.journal;
  options.exec_command = flags.exec;
  options.forward_to = flags.forward_to;
  if (!flags.forward_secret_file.empty()) {
    auto secret = ReadSecretFile(flags.forward_secret_file);
    if (!secret) return ReportError(secret.error(), kExitConfig);
    options.forward_secret = std::move(*secret);
  }
  options.max_connections = flags.max_connections;
  options.read_timeout = std::chrono::milliseconds(flags.read_timeout_ms);

  // The catch-up: decision look-ups with the API key the client commands
  // use (--api-key-file, $IDEM_API_KEY...), paced, a 429 pausing them.
  std::shared_ptr<didit::DiditClient> didit_client;
  if (!flags.catch_up_after.empty()) {
    auto after = ParseDuration(flags.catch_up_after, "--catch-up-after");
    if (!after) return ReportError(after.error(), kExitUsage);
    auto rate = ParseRate(flags.catch_up_rate);
    if (!rate) return ReportError(rate.error(), kExitUsage);
    ClientFlags client_flags;
    client_flags.base_url = flags.base_url;
    client_flags.api_key_file = flags.api_key_file;
    client_flags.journal = options.journal_path;
    ResolveFromEnvironment(client_flags);
    if (client_flags.api_key.empty()) {
      const Error missing = MissingApiKey(client_flags);
      return ReportError(
          Error(missing.code(), missing.message() + " (--catch-up-after looks sessions up)"),
          kExitConfig);
    }
    auto client_options = ClientOptionsFromFlags(client_flags);
    if (!client_options) return ReportError(client_options.error(), kExitConfig);
    auto journal = OpenJournalFromFlags(client_flags);
    if (!journal) return ReportError(journal.error(), kExitConfig);
    didit::DiditClientOptions didit_options;
    didit_options.client = std::move(*client_options);
    didit_options.client.journal = std::move(*journal);
    didit_options.get_attempts = 1;  // a 429 pauses the catch-up; it is not slept on here
    auto client = didit::DiditClient::Create(std::move(didit_options));
    if (!client) return ReportError(client.error(), kExitConfig);
    didit_client = std::move(*client);
    options.catch_up.after = *after;
    options.catch_up.rate_per_minute = *rate;
    options.catch_up.lookup = didit::MakeDecisionLookup(didit_client);
    spdlog::info(
        "catch-up: sessions without a final status and quiet for {} are looked up at "
        "{} (at most {}/min)",
        flags.catch_up_after, client_flags.base_url, *rate);
  }

  // SIGINT/SIGTERM stop the server cleanly; blocked here so that every
  // thread the receiver starts inherits the mask and sigwait gets them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  auto receiver = WebhookReceiver::Start(options);
  if (!receiver) {
    return ReportError(receiver.error(), receiver.error().code() == ErrorCode::kInvalidArgument
                                             ? kExitUsage
                                             : kExitConfig);
  }
  std::printf("listening on %s\n", (*receiver)->url().c_str());
  std::fflush(stdout);
  int signal = 0;
  sigwait(&stop_signals, &signal);
  (*receiver)->Stop();
  auto stats = (*receiver)->stats();
  spdlog::info("webhook serve stopped: {} stored, {} duplicates, {} rejected", stats.stored,
               stats.duplicates, stats.unauthorized + stats.malformed);
  if (!flags.catch_up_after.empty()) {
    spdlog::info(
        "catch-up: {} look-ups, {} polled statuses stored, {} unchanged, {} rate-limited, "
        "{} failed",
        stats.catch_up.lookups, stats.catch_up.stored, stats.catch_up.unchanged,
        stats.catch_up.rate_limited, stats.catch_up.failed);
  }
  return kExitOk;
}

int Events(const EventsFlags& flags) {
  ErrorsAsJson(flags.json);
  const std::string path = flags.journal.empty() ? DefaultJournalPath() : flags.journal;
  // Only reads: a mistyped path must not leave an empty journal behind.
  if (auto st = CheckJournalExists(path); !st) {
    return ReportError(
        Error(st.error().code(), st.error().message() + " (check --journal or $IDEM_JOURNAL)"),
        kExitConfig);
  }
  InboxOptions options;
  auto inbox = WebhookInbox::Open(path, options);
  if (!inbox) {
    return ReportError(inbox.error(), kExitConfig);
  }
  EventFilter filter;
  filter.session_id = flags.session;
  auto events = (*inbox)->Events(filter);
  if (!events) {
    return ReportError(events.error(), kExitConfig);
  }
  if (flags.json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& e : *events) {
      nlohmann::json item = {{"seq", e.seq},
                             {"event_id", e.event_id},
                             {"session_id", e.session_id},
                             {"status", e.status},
                             {"webhook_type", e.webhook_type},
                             {"timestamp", e.timestamp},
                             {"workflow_id", e.workflow_id},
                             {"vendor_data", e.vendor_data},
                             {"received_ms", e.received_ms},
                             {"applied", e.applied},
                             {"source", e.polled ? "polled" : "webhook"}};
      if (e.poll_seq != 0) item["poll_seq"] = e.poll_seq;
      item["decision"] = e.decision.empty() ? nlohmann::json(nullptr)
                                            : nlohmann::json::parse(e.decision, nullptr, false);
      // The body as it came, as a string: whatever its type or shape (an
      // entity event's changes, a body that is not JSON), nothing is lost.
      item["body"] = e.body;
      out.push_back(std::move(item));
    }
    std::printf("%s\n", out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
  } else {
    std::printf("SEQ\tSESSION_ID\tSTATUS\tTYPE\tTIMESTAMP\n");
    for (const auto& e : *events) {
      std::printf("%lld\t%s\t%s\t%s\t%lld%s", static_cast<long long>(e.seq),
                  TableField(e.session_id).c_str(), TableField(e.status).c_str(),
                  TableField(e.webhook_type).c_str(), static_cast<long long>(e.timestamp),
                  e.applied ? "" : "\t(not applied)");
      if (e.polled) std::printf("\t(polled)");
      std::printf("\n");
    }
  }
  return kExitOk;
}

}  // namespace

void AddWebhookCommand(CLI::App& app, int& exit_code) {
  auto* webhook = app.add_subcommand(
      "webhook", "Receive and inspect signed webhooks; manage Didit's webhook destinations");
  webhook->require_subcommand(1);

  auto serve_flags = std::make_shared<ServeFlags>();
  auto* serve = webhook->add_subcommand("serve", "Verify, dedupe and store webhook deliveries");
  ShowDefault(
      serve->add_option("--listen", serve_flags->listen, "HOST:PORT (port 0 = any free port)"));
  serve->add_option("--secret", serve_flags->secrets,
                    "webhook secret; repeat for rotation (also IDEM_WEBHOOK_SECRET); visible in "
                    "`ps`: prefer --secret-file");
  serve->add_option("--secret-file", serve_flags->secret_files,
                    "read a webhook secret from file F; repeat for rotation (or "
                    "IDEM_WEBHOOK_SECRETS: a comma-separated list)");
  serve->add_option("--journal", serve_flags->journal, "journal database (default $IDEM_JOURNAL)");
  ShowDefault(
      serve->add_option("--tolerance", serve_flags->tolerance, "timestamp tolerance in seconds"))
      ->check(CLI::Range(0, 86400));
  ShowDefault(serve->add_option("--scheme", serve_flags->scheme, "didit or standard"))
      ->check(CLI::IsMember({"didit", "standard"}));
  serve->add_option("--exec", serve_flags->exec, "command run per new event, event JSON on stdin");
  ShowDefault(serve->add_option("--max-connections", serve_flags->max_connections,
                                "open connections at most; more are closed at once"))
      ->check(CLI::Range(std::size_t{1}, std::size_t{1000000}));
  ShowDefault(
      serve->add_option("--read-timeout-ms", serve_flags->read_timeout_ms,
                        "a request must arrive whole within this; idle connections close after it"))
      ->check(CLI::Range(1, 3600000));
  auto* forward = serve->add_option(
      "--forward-to", serve_flags->forward_to,
      "URL each new event is POSTed to (your app), signed afresh; retried until it answers 2xx");
  forward->excludes(serve->get_option("--exec"));
  serve
      ->add_option("--forward-secret-file", serve_flags->forward_secret_file,
                   "sign forwarded events with the secret in file F (default: the first webhook "
                   "secret)")
      ->needs(forward);
  auto* catch_up = serve->add_option(
      "--catch-up-after", serve_flags->catch_up_after,
      "look up sessions without a final status whose last event is older than DURATION (90s, "
      "10m, 1h) with GET /v3/session/{id}/decision/ and store what changed as a polled event "
      "(default none: off)");
  ShowDefault(serve->add_option("--catch-up-rate", serve_flags->catch_up_rate,
                                "decision look-ups per minute at most, N/min; a 429 pauses them "
                                "for its Retry-After"))
      ->needs(catch_up);
  serve
      ->add_option("--base-url", serve_flags->base_url,
                   "API base URL for the catch-up (default $IDEM_BASE_URL, "
                   "https://verification.didit.me)")
      ->needs(catch_up);
  serve
      ->add_option("--api-key-file", serve_flags->api_key_file,
                   "read the API key for the catch-up from file F (default $IDEM_API_KEY, "
                   "$IDEM_API_KEY_FILE, then $DIDIT_API_KEY)")
      ->needs(catch_up);
  AddJsonErrorsFlag(*serve);
  serve->callback([serve_flags, &exit_code] { exit_code = Serve(*serve_flags); });

  auto events_flags = std::make_shared<EventsFlags>();
  auto* events = webhook->add_subcommand("events", "List the webhook events received");
  events->add_option("--session", events_flags->session, "only this session");
  events->add_flag("--json", events_flags->json, "a JSON array");
  events->add_option("--journal", events_flags->journal,
                     "journal database (default $IDEM_JOURNAL)");
  events->callback([events_flags, &exit_code] { exit_code = Events(*events_flags); });

  AddWebhookManagementCommands(*webhook, exit_code);  // destinations, config
}

}  // namespace idem::cli

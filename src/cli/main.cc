// `idem`: the command-line shell over the idem library.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "cli/commands.h"
#include "cli/error_report.h"
#include "cli/exit_codes.h"
#include "cli/logging.h"

namespace {

// Edit distance (insert, delete, substitute), for "did you mean".
std::size_t Distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] != b[j - 1] ? 1 : 0)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

// The command closest to `typed` if it is close enough to be a typo or a
// prefix; "" otherwise.
std::string Suggestion(const CLI::App& app, std::string_view typed) {
  std::string best;
  std::size_t best_distance = 3;  // at most two edits away
  for (const CLI::App* sub : app.get_subcommands({})) {
    const std::string& name = sub->get_name();
    if (name.rfind(typed, 0) == 0 && !typed.empty()) return name;
    const std::size_t d = Distance(typed, name);
    if (d < best_distance) {
      best_distance = d;
      best = name;
    }
  }
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"idem: calls to identity-verification APIs that take effect exactly once"};
  // "Usage: idem ...", not the binary's full path.
  app.name("idem");
  app.set_version_flag("--version", std::string("idem ") + IDEM_VERSION);
  app.require_subcommand(1);
  // Global flags (-v, --log-level) may follow the command: `idem worker -v`.
  app.fallthrough(true);
  idem::cli::LogFlags log_flags;
  idem::cli::AddLogFlags(app, log_flags);
  // After every flag is parsed, before any command runs: logging, and the
  // command's full name for its error lines ("idem ops resolve: ...").
  app.parse_complete_callback([&app, &log_flags] {
    idem::cli::ConfigureLogging(log_flags);
    std::string name = app.get_name();
    for (const CLI::App* at = &app; !at->get_subcommands().empty();) {
      at = at->get_subcommands().front();
      name += " " + at->get_name();
    }
    idem::cli::SetCommandName(std::move(name));
  });
  app.footer(
      "Environment: IDEM_BASE_URL (default https://verification.didit.me, Didit's production "
      "API), IDEM_API_KEY or IDEM_API_KEY_FILE (else DIDIT_API_KEY; never printed), "
      "IDEM_JOURNAL (a SQLite path, "
      "default ./idem-journal.db, or a postgresql:// URL), IDEM_KEYED_KINDS (kinds whose "
      "Idempotency-Key the server honours; default aml), IDEM_WEBHOOK_SECRETS or "
      "IDEM_WEBHOOK_SECRET (webhook secrets; never printed), IDEM_LOG_LEVEL (default info), "
      "NO_COLOR (no colours; there are none unless stderr is a terminal).\n"
      "Exit codes: 0 done; 1 refused for good (the API said no, or the op id/key is taken); "
      "2 usage (bad input, nothing sent); 3 not settled now (outcome unknown: `idem resume` "
      "continues it, or `idem ops resolve` settles one that needs review; or held elsewhere); "
      "4 configuration or local failure (no API key, credentials refused, bad base URL, "
      "journal); 5 `idem chaos` found duplicates or lost ops; 130/143 stopped by "
      "SIGINT/SIGTERM (leases released, the unfinished ops named on stderr; `idem resume` "
      "continues them; a second Ctrl-C exits at once).");

  int exit_code = idem::cli::kExitOk;
  idem::cli::AddVersionCommand(app, exit_code);
  idem::cli::AddSessionCommand(app, exit_code);
  idem::cli::AddAmlCommand(app, exit_code);
  idem::cli::AddLivenessCommand(app, exit_code);
  idem::cli::AddSandboxCommand(app, exit_code);
  idem::cli::AddWebhookCommand(app, exit_code);
  idem::cli::AddTriggerCommand(app, exit_code);
  idem::cli::AddCallCommand(app, exit_code);
  idem::cli::AddOpsCommand(app, exit_code);
  idem::cli::AddResumeCommand(app, exit_code);
  idem::cli::AddBenchCommand(app, exit_code);
  idem::cli::AddDemoCommand(app, exit_code);
  idem::cli::AddWorkerCommand(app, exit_code);
  idem::cli::AddChaosCommand(app, exit_code);
  idem::cli::AddPhoneCommand(app, exit_code);
  idem::cli::AddEmailCommand(app, exit_code);
  idem::cli::AddStandaloneCheckCommands(app, exit_code);
  idem::cli::AddTransactionCommand(app, exit_code);
  idem::cli::AddEntityCommands(app, exit_code);
  idem::cli::AddKybCommand(app, exit_code);

  // An unknown command is said to be one (CLI11 would say "A subcommand is
  // required", which misleads).
  if (argc > 1 && argv[1][0] != '-') {
    bool known = false;
    for (const CLI::App* sub : app.get_subcommands({})) known = known || sub->check_name(argv[1]);
    if (!known) {
      const std::string suggestion = Suggestion(app, argv[1]);
      if (suggestion.empty()) {
        std::fprintf(stderr, "idem: unknown command '%s' (see idem --help)\n", argv[1]);
      } else {
        std::fprintf(stderr, "idem: unknown command '%s'; did you mean '%s'? (see idem --help)\n",
                     argv[1], suggestion.c_str());
      }
      return idem::cli::kExitUsage;
    }
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    return app.exit(e);  // --help, --help-all, --version: exit 0
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return idem::cli::kExitUsage;
  }
  return exit_code;
}

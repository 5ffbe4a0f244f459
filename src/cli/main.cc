// `idem`: the command-line shell over the idem library.
#include <CLI/CLI.hpp>

#include "cli/commands.h"
#include "cli/exit_codes.h"

int main(int argc, char** argv) {
  CLI::App app{"idem: calls to identity-verification APIs that take effect exactly once"};
  app.require_subcommand(1);
  app.fallthrough(false);

  int exit_code = idem::cli::kExitOk;
  idem::cli::AddVersionCommand(app, exit_code);
  idem::cli::AddSessionCommand(app, exit_code);
  idem::cli::AddAmlCommand(app, exit_code);
  idem::cli::AddLivenessCommand(app, exit_code);
  idem::cli::AddSandboxCommand(app, exit_code);
  idem::cli::AddWebhookCommand(app, exit_code);
  idem::cli::AddCallCommand(app, exit_code);
  idem::cli::AddOpsCommand(app, exit_code);
  idem::cli::AddResumeCommand(app, exit_code);
  idem::cli::AddBenchCommand(app, exit_code);
  idem::cli::AddDemoCommand(app, exit_code);
  idem::cli::AddWorkerCommand(app, exit_code);
  idem::cli::AddChaosCommand(app, exit_code);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return idem::cli::kExitUsage;
  }
  return exit_code;
}

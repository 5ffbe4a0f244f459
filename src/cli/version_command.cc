#include <cstdio>

#include "cli/commands.h"
#include "cli/exit_codes.h"

namespace idem::cli {

void AddVersionCommand(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("version", "Print idem's version");
  cmd->callback([&exit_code] {
    std::printf("idem %s\n", IDEM_VERSION);
    exit_code = kExitOk;
  });
}

}  // namespace idem::cli

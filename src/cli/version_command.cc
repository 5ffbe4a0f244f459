#include <cstdio>
#include <memory>

#include "cli/commands.h"
#include "cli/exit_codes.h"

namespace idem::cli {

void AddVersionCommand(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("version", "Print idem's version (also: idem --version)");
  auto json = std::make_shared<bool>(false);
  cmd->add_flag("--json", *json, R"(print {"name":"idem","version":"X.Y.Z"})");
  cmd->callback([json, &exit_code] {
    if (*json) {
      std::printf("{\"name\":\"idem\",\"version\":\"%s\"}\n", IDEM_VERSION);
    } else {
      std::printf("idem %s\n", IDEM_VERSION);
    }
    exit_code = kExitOk;
  });
}

}  // namespace idem::cli

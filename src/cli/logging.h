// The CLI's logging convention (docs/cli.md): logs go to stderr, never
// stdout; colours only when stderr is a terminal and NO_COLOR is unset; the
// level from --log-level, else -v (debug) / -vv (trace), else
// $IDEM_LOG_LEVEL, else info.
#pragma once

#include <spdlog/logger.h>

#include <CLI/CLI.hpp>
#include <memory>
#include <string>

namespace idem::cli {

struct LogFlags {
  int verbose = 0;    // -v count
  std::string level;  // --log-level; "" = not given
};

// Adds -v/--verbose and --log-level to `app` (global: they may also follow
// a command, e.g. `idem worker -v`).
void AddLogFlags(CLI::App& app, LogFlags& flags);

// Points spdlog's default logger at stderr with the level and colour rule.
// Call once after parsing, before any command runs.
void ConfigureLogging(const LogFlags& flags);

// A named logger on stderr under the same rules (the sandbox's own).
std::shared_ptr<spdlog::logger> StderrLogger(const std::string& name);

// Whether to colour what goes to stderr: a terminal and no NO_COLOR.
bool StderrWantsColor();

}  // namespace idem::cli

// Internal to the CLI: how every command reports an error (docs/cli.md,
// "Errors"). Once, in one of two shapes:
//   text (default)  one line on stderr: "idem ops show: not_found: no op 'x'"
//   --json          one JSON object on stdout, nothing on stderr:
//                   {"error","message","command","op_id","http_status","kind",
//                    "detail","code","field_errors"} (the fields that apply)
// and the exit code comes from the error's code (exit_codes.h), so the same
// failure exits the same way from every command.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "idem/didit/errors.h"
#include "idem/status.h"

namespace idem::cli {

// The command the line names ("idem ops resolve"); main sets it once CLI11
// has chosen the command, before the command runs.
void SetCommandName(std::string name);
const std::string& CommandName();

// `--json` on a command whose results are JSON anyway (the typed calls,
// `call`, `resume`): it only switches errors to the JSON shape.
void AddJsonErrorsFlag(CLI::App& cmd);

// For a command whose own --json switches its results to JSON (`ops list`,
// `chaos`, ...): call with that flag's value before anything can fail.
void ErrorsAsJson(bool on);

// Prints the error once and returns its exit code (ExitCodeFor), or
// `exit_code` when given: a command that knows better (a journal that cannot
// be opened is configuration, 4, whatever its code).
int ReportError(const didit::DiditError& error);
int ReportError(const Error& error);
int ReportError(const Error& error, int exit_code);

// `error` with what failed in front of its message, its code kept:
// InContext("journal", e) reads "journal: <message>".
Error InContext(std::string_view what, const Error& error);

}  // namespace idem::cli

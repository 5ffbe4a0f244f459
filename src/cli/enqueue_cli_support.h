// Internal to the CLI: `--enqueue` on `idem call`, `idem session create` and
// `idem aml` stores the op (idem::Enqueue) instead of driving it, prints the
// stored op as JSON and exits 0; `idem worker` drives it later.
#pragma once

#include <string>

#include "cli/client_cli_support.h"
#include "idem/client.h"
#include "idem/status.h"

namespace idem::cli {

// Opens the journal named by `flags` (resolved from the environment first),
// enqueues `request` and prints the op. Returns the exit code; errors as
// cli/error_report.h says.
int EnqueueAndPrint(ClientFlags flags, Result<OpRequest> request);

}  // namespace idem::cli

// The PostgreSQL store of the sandbox (`--db postgres://...`): several
// sandbox processes on one database share sessions, executions and the
// idempotency table, so a duplicate sent to another process still replays
// or gets 409 and never executes twice. See docs/sandbox.md ("Shared store").
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "idem/status.h"
#include "sandbox/state.h"

namespace idem::sandbox {

// `url`: a libpq URL or conninfo (never logged: it may hold a password).
// Creates the schema on first use. `claim_timeout`: a key claimed longer ago
// than this whose response was never stored (its process died mid-execution)
// may be claimed by another request.
[[nodiscard]] Result<std::unique_ptr<SharedStore>> OpenPgStore(
    const std::string& url, std::chrono::milliseconds claim_timeout);

}  // namespace idem::sandbox

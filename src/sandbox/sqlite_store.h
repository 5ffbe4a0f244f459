// The SQLite Persistence of the sandbox (`--db PATH`): WAL mode,
// synchronous=NORMAL (a commit survives a crash of the sandbox, maybe not a
// power loss: fine for a test server, and what lets one writer reach
// thousands of creates per second). One transaction per Mutation.
#pragma once

#include <memory>
#include <string>

#include "idem/status.h"
#include "sandbox/state.h"

namespace idem::sandbox {

[[nodiscard]] Result<std::unique_ptr<Persistence>> OpenSqliteStore(const std::string& path);

}  // namespace idem::sandbox

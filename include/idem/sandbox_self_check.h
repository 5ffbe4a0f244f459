// `idem sandbox --self-check`: starts sandboxes in-process on free ports
// (one with slow_exec faults, one with drop_after faults and a temporary
// SQLite file that a second, fault-free sandbox reopens), drives a scripted
// set of requests through a real HTTP client (libcurl) and checks each rule:
// auth 403/401, create 201, byte-identical replay with Idempotent-Replayed,
// the quoted key equal to the bare one, 422 on a changed body, 400 on bad
// keys and bad input, 409 on a true concurrent duplicate, a dropped response
// followed by a replay after a restart, and no duplicate execution.
#pragma once

#include <ostream>

namespace idem {

// Writes a readable pass/fail table to `out`; true only if every check passed.
bool RunSandboxSelfCheck(std::ostream& out);

}  // namespace idem

// `idem sandbox --self-check`: starts sandboxes in-process on free ports
// and drives a scripted set of requests through a real HTTP client
// (libcurl), checking each rule. The didit profile (the default): auth
// 403/401, Idempotency-Key ignored on session create and on the checks but
// honoured on POST /v3/aml/ (byte-identical replay without a marker header,
// 409 {"detail"} for another body, 409 + Retry-After: 1 for a concurrent
// duplicate, 400 for a bad key), the update-status rules (not from Not
// Started; the same status again is a 400 bare array), a saved check listed
// by vendor_data + api_service with its decision. The ideal profile on its
// own sandbox: replay with Idempotent-Replayed, the quoted key equal to the
// bare one, 422 on a changed body, 400 on bad keys and bad input, 409 on a
// true concurrent duplicate, lenient update-status. In both: a dropped
// response followed by a replay after a restart on SQLite, and no duplicate
// execution.
#pragma once

#include <ostream>

namespace idem {

// Writes a readable pass/fail table to `out`; true only if every check passed.
bool RunSandboxSelfCheck(std::ostream& out);

}  // namespace idem

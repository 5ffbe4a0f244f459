// The op record for a new request, shared by Client::Submit and Enqueue so
// both store exactly the same thing for the same request.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "idem/client.h"
#include "idem/journal.h"
#include "idem/status.h"

namespace idem::internal {

// Builds (does not write) the in_flight record of `request`, whose fields are
// moved out. The key is the caller's `Idempotency-Key` header when there is
// one (`*caller_key` = true), else `new_key()`. `first_sent_ms` is set to
// `now_ms`, as Client::Submit stores it: from the moment the record commits
// the request may be on the wire, and the key window counts from there
// (Enqueue, which sends nothing, clears it). Extra headers are not part of
// the record.
// kInvalidArgument without a method, with a path not starting with '/', or
// with a malformed caller key.
[[nodiscard]] Result<Operation> NewOperation(OpRequest& request,
                                             const std::function<std::string()>& new_key,
                                             std::int64_t now_ms, bool* caller_key);

}  // namespace idem::internal

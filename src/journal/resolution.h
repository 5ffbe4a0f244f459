// Internal: Journal::ResolveUnknown's rules, the same on every backend. The
// backend reads the op under its write lock, asks ApplyResolution for the
// row to store, and writes it whole.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "idem/journal.h"
#include "idem/status.h"

namespace idem::journal {

// The op as it must be stored after `resolution`, or why it may not be
// resolved: kNotFound (no op), kAlreadyExists (settled: succeeded or
// failed), kFailedPrecondition (in_flight, or a live lease: someone drives
// it now), kInvalidArgument (a bad new key or audit line). `stored` is the
// op as read under the lock at `now_ms`.
Result<Operation> ApplyResolution(const std::optional<Operation>& stored, std::string_view op_id,
                                  const UnknownResolution& resolution, std::int64_t now_ms);

}  // namespace idem::journal

// Internal: the rules of Journal::ResolveUnknown and Journal::AdoptResource,
// the same on every backend. The backend reads the ops under its write lock,
// asks these functions which to change and into what, and writes each row
// whole.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "idem/journal.h"
#include "idem/status.h"

namespace idem::journal {

// The op as it must be stored after `resolution`, or why it may not be
// resolved: kNotFound (no op), kAlreadyExists (settled: succeeded or
// failed), kFailedPrecondition (in_flight, or a live lease: someone drives
// it now), kInvalidArgument (a bad new key or audit line). `stored` is the
// op as read under the lock at `now_ms`.
[[nodiscard]] Result<Operation> ApplyResolution(const std::optional<Operation>& stored,
                                                std::string_view op_id,
                                                const UnknownResolution& resolution,
                                                std::int64_t now_ms);

// kInvalidArgument for an adoption that names no key, no kind, no time
// bound, or an audit line of more than one line.
[[nodiscard]] Status CheckAdoption(const Adoption& adoption);

// The ops of `candidates` (every in_flight or unknown op whose natural_key
// or resource_id matched, read under the lock) that `adoption` settles, by
// the rules of Adoption, each as it must be stored at `now_ms`.
// `resource_held_elsewhere`: an op outside the candidates already holds
// adoption.resource_id as its settled result.
std::vector<Operation> ApplyAdoption(const std::vector<Operation>& candidates,
                                     const Adoption& adoption, bool resource_held_elsewhere,
                                     std::int64_t now_ms);

}  // namespace idem::journal

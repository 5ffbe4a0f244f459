// Internal: the argument checks every Journal backend applies before it
// touches storage, so that SQLite and PostgreSQL refuse exactly the same input.
#pragma once

#include <chrono>
#include <string_view>

#include "idem/journal.h"
#include "idem/status.h"

namespace idem::journal {

// Keys and owners are identifiers, not payloads: at most this many bytes and
// NUL-free, so they compare and print safely.
inline constexpr std::size_t kMaxIdentifierBytes = 1024;

// kInvalidArgument unless `value` is a non-empty, bounded, NUL-free identifier.
[[nodiscard]] Status CheckIdentifier(std::string_view what, std::string_view value);

// kInvalidArgument unless the lease is positive.
[[nodiscard]] Status CheckLease(std::chrono::milliseconds lease);

// Everything Begin() requires of its arguments: the op's identifiers, the
// owner and the lease.
[[nodiscard]] Status CheckBegin(const Operation& op, std::string_view owner,
                                std::chrono::milliseconds lease);

}  // namespace idem::journal

// Internal: the row Journal::Begin inserts for an op it has never seen, the
// same on every backend.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "idem/journal.h"
#include "journal/rules.h"

namespace idem::journal {

// `op` as first stored at `now_ms`: created now unless the caller set a
// time, generation 1, and leased to `owner` until now + lease unless the op
// is already final (an op recorded settled is held by nobody).
inline Operation NewRecord(const Operation& op, std::string_view owner, std::int64_t now_ms,
                           std::chrono::milliseconds lease) {
  Operation fresh = op;
  fresh.created_ms = op.created_ms != 0 ? op.created_ms : now_ms;
  fresh.updated_ms = now_ms;
  const bool leased = NewRecordIsLeased(fresh.state);
  fresh.lease_owner = leased ? std::string(owner) : "";
  fresh.lease_until_ms = leased ? now_ms + lease.count() : 0;
  fresh.lease_generation = 1;
  return fresh;
}

}  // namespace idem::journal

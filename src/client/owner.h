// Internal: who this process is, as written into lease owners, and whether
// the process behind an owner is provably gone (Client takes its leases at
// once instead of waiting for them to lapse).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "idem/journal.h"

namespace idem::internal {

// The parts of a default owner id "HOST:PID:RANDOM:PIDNS:START".
struct OwnerProcess {
  std::string host;
  std::int64_t pid = 0;
  std::uint64_t pid_namespace = 0;  // inode of /proc/PID/ns/pid
  std::uint64_t start_ticks = 0;    // field 22 of /proc/PID/stat
};

// This process, as the parts above (pid_namespace and start_ticks 0 when
// /proc cannot be read). CachedThisProcess reads them once per process.
OwnerProcess ThisProcess();
const OwnerProcess& CachedThisProcess();

// The op's lease is held, unlapsed at `now_ms`, by an owner other than
// `self` ("" = anyone): what Resume and the worker report as held
// elsewhere, and the leases ReleaseLeasesOfDeadOwners looks at.
bool HeldByAnotherLiveLease(const Operation& op, std::string_view self, std::int64_t now_ms);

// The process an owner id names; nullopt for any other format (an owner a
// caller chose, an older "HOST:PID:RANDOM" id, "enqueue:..."): such an owner
// is never judged dead.
std::optional<OwnerProcess> ParseOwner(std::string_view owner);

// The start time (field 22 of /proc/PID/stat) of `pid` in this pid
// namespace; nullopt when no such process exists or it is a zombie (dead,
// not yet reaped).
std::optional<std::uint64_t> LiveProcessStart(std::int64_t pid);

}  // namespace idem::internal

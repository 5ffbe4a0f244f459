// The fault spec (`--faults`): which failures the sandbox injects, how often,
// and the seeded decision for one request.
//
//   drop_before=P      close the connection without executing
//   drop_after=P       execute and commit, then close without a response
//   error_503=P        answer 503 (every other one with Retry-After) without executing
//   error_500_after=P  execute and commit, then answer 500
//   rate_limit=P       answer 429 with Retry-After and X-RateLimit-* without executing
//   slow=P:MS          execute, then wait MS before answering
//   slow_exec=P:MS     hold the request mid-execution (key in progress) for MS
//   retry_after=S      the Retry-After injected by error_503/rate_limit (default 1)
//
// Any fault but retry_after may end in "@writes" (POST, PATCH, PUT, DELETE
// only) or "@reads" (GET only): real writes and reads fail and lag
// differently, e.g. "slow_exec=1:1500@writes" holds every create while the
// look-ups that list sessions answer at once.
//
// Probabilities are in [0, 1] and their sum must not exceed 1: one draw per
// request picks at most one fault (a scoped rule's share of the draw is "no
// fault" for the other requests, so scoping never shifts later draws).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "idem/random.h"
#include "idem/status.h"

namespace idem::sandbox {

enum class FaultKind {
  kNone,
  kDropBefore,
  kDropAfter,
  kError503,
  kError500After,
  kRateLimit,
  kSlow,
  kSlowExec,
};

// "drop_before", ... ("none" for kNone).
std::string_view FaultKindName(FaultKind kind);

// Which requests a rule applies to.
enum class FaultScope { kAll, kWrites, kReads };

// What a request is, for scoped rules.
enum class RequestKind { kRead, kWrite };

struct FaultRule {
  FaultKind kind = FaultKind::kNone;
  double probability = 0;
  std::int64_t delay_ms = 0;  // slow / slow_exec only
  FaultScope scope = FaultScope::kAll;
};

struct FaultDecision {
  FaultKind kind = FaultKind::kNone;
  std::int64_t delay_ms = 0;
};

class FaultSpec {
 public:
  FaultSpec() = default;
  // kInvalidArgument for unknown names, a missing or out-of-range
  // probability, a missing delay on slow/slow_exec, a repeated name or
  // probabilities summing over 1. Empty text = no faults.
  [[nodiscard]] static Result<FaultSpec> Parse(std::string_view text);

  // One draw from `random` per call (none when there are no rules, so a
  // fault-free sandbox does not consume randomness), for a request of kind
  // `request` (rules scoped to the other kind never fire).
  FaultDecision Decide(RandomSource& random, RequestKind request) const;

  const std::vector<FaultRule>& rules() const { return rules_; }
  int retry_after_seconds() const { return retry_after_seconds_; }
  bool empty() const { return rules_.empty(); }

 private:
  std::vector<FaultRule> rules_;
  int retry_after_seconds_ = 1;
};

}  // namespace idem::sandbox

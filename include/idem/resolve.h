// A person settles what no machine could prove. When the driver cannot tell
// whether a billed call executed (the server does not deduplicate it and it
// cannot be looked up), the op stops `unknown` with needs_review and is never
// re-sent on its own. Someone checks (Didit's console, the user, the bill)
// and records the verdict here:
//
//   idem::ResolveRequest r{.op_id = "liveness:user-7", .executed = true,
//                          .resource_id = "5b37...", .by = "alice"};
//   auto op = idem::ResolveUnknownOp(*journal, r);   // succeeded, audited
//
// "Not executed" makes the op in_flight again under a fresh key, recorded in
// the journal before anything is sent; `idem resume` or a worker sends it.
// Both verdicts append an audit line (when, who, what) to Operation::audit.
#pragma once

#include <memory>
#include <string>

#include "idem/clock.h"
#include "idem/journal.h"
#include "idem/status.h"

namespace idem {

struct ResolveRequest {
  std::string op_id{};
  // true: it executed (becomes succeeded). false: it did not (becomes
  // in_flight under a fresh key, to be sent again).
  bool executed = false;
  // With executed: the resource it made, if known (e.g. a session id).
  std::string resource_id{};
  // Who decides, for the audit line. Default "$USER@HOST".
  std::string by{};
  // Why, for the audit line (e.g. "seen in the Didit console"). Optional.
  std::string note{};
  // Timestamps. Default: the system clock.
  std::shared_ptr<Clock> clock{};
};

// Applies the verdict (Journal::ResolveUnknown) and returns the op as stored.
// kAlreadyExists when the op is settled (nothing to resolve);
// kFailedPrecondition when it is in_flight or being driven right now;
// kNotFound when there is no such op;
// kInvalidArgument for an empty op id, or `by`/`note`/`resource_id` over
// 1 KiB or with control characters. Journal errors as they come.
[[nodiscard]] Result<Operation> ResolveUnknownOp(Journal& journal, const ResolveRequest& request);

}  // namespace idem

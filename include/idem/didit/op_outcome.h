// What an op the client drove means to its caller. Every DiditClient call
// reads its op through OpOutcome, and so does `idem call` for any path, so a
// refusal, an unknown outcome or refused credentials read the same whichever
// way the call was made.
#pragma once

#include <tl/expected.hpp>

#include "idem/client.h"
#include "idem/didit/errors.h"

namespace idem::didit {

// The op when it succeeded. Otherwise, the error a person can act on:
//   kRefused           the API said no for good (its answer parsed in `api`)
//   kPermissionDenied  401/403: nothing executed; fix the key or account,
//                      then `idem resume` (or the same call again) sends it
//   kUnknownOutcome    journaled with an unknown outcome: `idem resume`
//                      continues it, or, when it needs review, `idem ops
//                      resolve` settles it
//   kUnavailable       the client stopped before the op settled (journaled)
// and the client's own error (journal, bad request) as it came. `op_id` is
// set whenever there is a journaled op.
tl::expected<Operation, DiditError> OpOutcome(OpResult result);

}  // namespace idem::didit

// The account balance the sandbox emulates (SandboxOptions::credits,
// `idem sandbox --credits`): which calls Didit refuses for want of credits,
// and with what answer (fact sheet Correction 6 and section 1, OAS). Pure.
#pragma once

#include <optional>

#include "idem/sandbox.h"
#include "sandbox/app.h"
#include "sandbox/router.h"

namespace idem::sandbox {

// The refusal of a call to `endpoint` under `credits`; nullopt when it runs.
//   billed standalone checks and the OTP sends: 403
//     {"error": "You don't have enough credits to perform this request..."};
//   session create: 400 {"detail": "You don't have enough credits..."};
//   phone send before the first top-up (kNoTopUp): 403 {"detail": "To
//     protect against abuse, phone verification is disabled until your
//     first top-up."}.
// Everything else (reads, update-status, deletes, OTP checks, management,
// transactions) runs: Didit documents no credit refusal there.
std::optional<Response> CreditRefusal(SandboxCredits credits, Endpoint endpoint);

}  // namespace idem::sandbox

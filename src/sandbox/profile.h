// What differs between the sandbox's two profiles where idempotency keys are
// concerned: which routes honour `Idempotency-Key`, and the answers to a bad
// key, a key reused for another request, a key still in progress and a
// replay. `didit` follows Didit's documentation (keys on POST /v3/aml/ only,
// 409s with {"detail"} bodies); `ideal` is the IETF draft / Stripe behaviour
// on every mutating route (422 and 409 problem+json, Idempotent-Replayed).
// The texts of the didit 409s matter: clients tell "still in progress"
// (retryable) from "reused" (final) by Retry-After and by these words.
#pragma once

#include <string_view>

#include "idem/sandbox.h"
#include "sandbox/app.h"
#include "sandbox/router.h"

namespace idem::sandbox {

inline constexpr std::string_view kDiditKeyReusedDetail =
    "Idempotency-Key reused with a different request body.";
inline constexpr std::string_view kDiditKeyInProgressDetail =
    "A request with this Idempotency-Key is still being processed. Retry later.";

// The one place that says which requests have their Idempotency-Key honoured:
// didit: POST /v3/aml/ only (ERR documents keys for AML and the wallet
// endpoint, which the sandbox does not emulate); ideal: every POST, PATCH and
// DELETE. Elsewhere the header is ignored like any unknown header.
bool KeyedRoute(SandboxProfile profile, Endpoint endpoint, std::string_view method);

// 400 for a malformed key; `why` is the parser's reason.
Response BadKeyResponse(SandboxProfile profile, std::string_view why);
// The key was first used for another request (method, path or body).
Response KeyReusedResponse(SandboxProfile profile);
// The first request with this key is still executing.
Response KeyInUseResponse(SandboxProfile profile);
// A stored answer replayed; `marker` adds `Idempotent-Replayed: true`.
Response ReplayedResponse(const StoredResponse& stored, bool marker);

}  // namespace idem::sandbox

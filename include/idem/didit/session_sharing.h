// Sharing a finished session with another Didit application (Didit's OAS:
// post_v3_session_share, post_v3_session_import_shared):
//
//   // in application A (the source's owner)
//   idem::didit::ShareSessionRequest share;
//   share.for_application_id = "a5f3bca2-...";  // application B
//   auto token = idem::didit::ShareSession(*didit_a, session_id, share);
//   // in application B
//   idem::didit::ImportSharedSessionRequest import;
//   import.share_token = token->share_token;
//   import.trust_review = true;
//   import.workflow_id = "<a workflow of B>";
//   import.vendor_data = "user-1";  // lets idem find the clone after a lost answer
//   auto clone = idem::didit::ImportSharedSession(*didit_b, import);
//
// Share mints a short-lived HS256 JWT bound to the target application. It is
// free and saves nothing: a repeat mints another token, so an ambiguous
// attempt is simply sent again (the profile row).
//
// Import clones the source into the caller's application with a fresh
// session_id. "Not idempotent" (OAS), but a token redeems once per receiver:
// a second import of the same source answers 403 {"detail": "This session has
// already been shared with your application."}. So after an attempt that may
// have executed the op is sent again, and that 403 is the import profile
// row's "already exists" refusal (EndpointProfile::exists): the driver asks
// the look-up instead of failing (or calling it a credentials error). The
// look-up lists the caller's sessions by the request's vendor_data and
// workflow_id, created since the op began: one = succeeded with that clone;
// none or several = unknown, needs review. Without vendor_data the clone
// keeps the source's, which the op cannot name: unknown, needs review.
// Documented: the 403, the 400s, the 404, the 201 payload. Inferred (the OAS
// says neither): that the clone is listed in the caller's GET /v3/sessions/
// with the request's workflow_id and a created_at of the import, and that
// one-redeem-per-receiver also holds for two imports racing each other.
// Known gap: a token that expires between a lost attempt and its re-send is
// answered 400 "Share token has expired." and the op ends `failed` although
// the lost attempt may have imported (import with a TTL longer than your
// retries, or check `idem ops show`).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "idem/didit/client.h"
#include "idem/didit/errors.h"
#include "idem/didit/multipart.h"
#include "idem/didit/types.h"
#include "idem/status.h"

namespace idem::didit {

inline constexpr std::string_view kShareSessionKind = "share_session";
inline constexpr std::string_view kImportSharedSessionKind = "import_shared_session";

// The OAS's bounds of ttl_in_seconds (default 3600).
inline constexpr std::int64_t kShareTtlMinSeconds = 60;
inline constexpr std::int64_t kShareTtlMaxSeconds = 86400;

// POST /v3/session/{sessionId}/share/
struct ShareSessionRequest {
  // The application that will redeem the token: must exist and differ from
  // the caller (else 400 on for_application_id). Required, a UUID.
  std::string for_application_id;
  // Token lifetime, 60..86400; omitted: Didit's 3600.
  std::optional<std::int64_t> ttl_in_seconds;
};

// The 200 answer.
struct ShareSessionResult {
  // HS256 JWT (session_id, from_application_id, for_application_id, iat,
  // exp). A bearer secret for its lifetime: never logged by idem.
  std::string share_token;
  std::optional<std::string> for_application_id;
  std::optional<std::string> session_kind;  // "user" | "business"
  nlohmann::json raw;
};

// POST /v3/session/import-shared/
struct ImportSharedSessionRequest {
  std::string share_token;  // required
  // true: the clone keeps the source's final status; false: "In Review".
  bool trust_review = false;
  std::string workflow_id;  // required, a UUID of a workflow of the caller's
  // Overrides the clone's vendor_data. Without it the look-up after a lost
  // answer cannot find the clone (see above).
  std::optional<std::string> vendor_data;
};

// The 201 answer: the clone's decision payload (KYC: the V2 decision; KYB:
// the V3 KYB decision with session_kind "business").
struct ImportedSession {
  Decision decision;                        // decision.session_id: the clone's fresh id
  std::optional<std::string> session_kind;  // "business" for KYB; absent for KYC
  std::optional<std::string> created_at;
  std::optional<std::string> expires_at;
  // The answer was lost and the look-up found the clone (its decision).
  bool found_by_lookup = false;
  nlohmann::json raw;
};

// JSON bodies. kInvalidArgument: for_application_id or workflow_id not a
// UUID, ttl outside 60..86400, an empty share_token.
[[nodiscard]] Result<EncodedBody> Encode(const ShareSessionRequest& request);
[[nodiscard]] Result<EncodedBody> Encode(const ImportSharedSessionRequest& request);
// kCorruption on invalid JSON, a non-object, a missing share_token /
// session_id, or a field of the wrong type.
[[nodiscard]] Result<ShareSessionResult> ParseShareSessionResult(std::string_view body);
[[nodiscard]] Result<ImportedSession> ParseImportedSession(std::string_view body);

// The natural key of an import (what its look-up and the journal's siblings
// read): "import_shared:" + workflow_id + ":" + vendor_data; empty without
// vendor_data.
std::string ImportNaturalKey(std::string_view workflow_id, std::string_view vendor_data);

[[nodiscard]] Result<OpRequest> ShareSessionOp(std::string_view session_id,
                                               const ShareSessionRequest& request,
                                               CallOptions call = {});
[[nodiscard]] Result<OpRequest> ImportSharedSessionOp(const ImportSharedSessionRequest& request,
                                                      CallOptions call = {});

// Mints a token. Errors: 400 (not finished, self-share, unknown target, ttl
// out of bounds) and 404 (no such session in the caller's application) are
// kRefused with Didit's body.
[[nodiscard]] DiditResult<ShareSessionResult> ShareSession(DiditClient& client,
                                                           std::string_view session_id,
                                                           const ShareSessionRequest& request,
                                                           CallOptions call = {});

// Imports. Errors: 400 on share_token (invalid, expired, another audience,
// source deleted), 404 (workflow not the caller's), and, on a first attempt,
// the 403 "already been shared" are kRefused; an attempt that may have
// executed and that the look-up cannot settle: kUnknown, needs review.
[[nodiscard]] DiditResult<ImportedSession> ImportSharedSession(
    DiditClient& client, const ImportSharedSessionRequest& request, CallOptions call = {});

}  // namespace idem::didit

#include "sandbox/profile.h"

#include <string>

#include "sandbox/responses.h"

namespace idem {

std::string_view SandboxProfileName(SandboxProfile profile) {
  return profile == SandboxProfile::kIdeal ? "ideal" : "didit";
}

[[nodiscard]] Result<SandboxProfile> ParseSandboxProfile(std::string_view text) {
  if (text == "didit") return SandboxProfile::kDidit;
  if (text == "ideal") return SandboxProfile::kIdeal;
  return MakeError(ErrorCode::kInvalidArgument,
                   "unknown sandbox profile '" + std::string(text) + "' (didit or ideal)");
}

}  // namespace idem

namespace idem::sandbox {

bool KeyedRoute(SandboxProfile profile, Endpoint endpoint, std::string_view method) {
  if (profile == SandboxProfile::kDidit) return endpoint == Endpoint::kAml && method == "POST";
  return method == "POST" || method == "PATCH" || method == "DELETE";
}

Response BadKeyResponse(SandboxProfile profile, std::string_view why) {
  const std::string detail = "Invalid Idempotency-Key: " + std::string(why);
  if (profile == SandboxProfile::kDidit) return DetailResponse(400, detail);
  return ProblemResponse(400, "invalid-idempotency-key", "Invalid Idempotency-Key", detail);
}

Response KeyReusedResponse(SandboxProfile profile) {
  if (profile == SandboxProfile::kDidit) return DetailResponse(409, kDiditKeyReusedDetail);
  return ProblemResponse(
      422, "idempotency-key-reused", "Idempotency-Key reused",
      "This Idempotency-Key was used with a different request (method, path or body).");
}

Response KeyInUseResponse(SandboxProfile profile) {
  if (profile == SandboxProfile::kDidit) {
    // Didit documents 409 + Retry-After for a wallet request still running.
    Response r = DetailResponse(409, kDiditKeyInProgressDetail);
    r.headers.push_back({"Retry-After", "1"});
    return r;
  }
  return ProblemResponse(
      409, "idempotency-key-in-use", "Idempotency-Key in use",
      "A request with this Idempotency-Key is still being processed; retry later.");
}

Response ReplayedResponse(const StoredResponse& stored, bool marker) {
  Response r;
  r.status = stored.status;
  if (!stored.content_type.empty()) r.headers.push_back({"Content-Type", stored.content_type});
  if (marker) r.headers.push_back({"Idempotent-Replayed", "true"});
  r.body = stored.body;
  return r;
}

}  // namespace idem::sandbox

// POST /v3/session/{sessionId}/share/ and POST /v3/session/import-shared/
// (include/idem/didit/session_sharing.h).
#include "idem/didit/session_sharing.h"

#include "didit/call_and_parse.h"
#include "didit/json_util.h"
#include "idem/uuid.h"

namespace idem::didit {
namespace {

using internal::OptString;
using internal::ParseObject;
using internal::RequiredString;
using nlohmann::json;

[[nodiscard]] Result<EncodedBody> JsonBody(const json& obj) {
  auto text = internal::SafeDump(obj);
  if (!text) return tl::unexpected(text.error());
  return EncodedBody{"application/json", std::move(*text)};
}

}  // namespace

[[nodiscard]] Result<EncodedBody> Encode(const ShareSessionRequest& request) {
  if (!IsUuid(request.for_application_id)) {
    return MakeError(ErrorCode::kInvalidArgument, "for_application_id must be a UUID");
  }
  json obj = {{"for_application_id", request.for_application_id}};
  if (request.ttl_in_seconds) {
    if (*request.ttl_in_seconds < kShareTtlMinSeconds ||
        *request.ttl_in_seconds > kShareTtlMaxSeconds) {
      return MakeError(ErrorCode::kInvalidArgument, "ttl_in_seconds must be 60..86400");
    }
    obj["ttl_in_seconds"] = *request.ttl_in_seconds;
  }
  return JsonBody(obj);
}

[[nodiscard]] Result<EncodedBody> Encode(const ImportSharedSessionRequest& request) {
  if (request.share_token.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "share_token is required");
  }
  if (!IsUuid(request.workflow_id)) {
    return MakeError(ErrorCode::kInvalidArgument, "workflow_id must be a UUID");
  }
  json obj = {{"share_token", request.share_token},
              {"trust_review", request.trust_review},
              {"workflow_id", request.workflow_id}};
  if (request.vendor_data) obj["vendor_data"] = *request.vendor_data;
  return JsonBody(obj);
}

[[nodiscard]] Result<ShareSessionResult> ParseShareSessionResult(std::string_view body) {
  auto obj = ParseObject(body, "share answer");
  if (!obj) return tl::unexpected(obj.error());
  ShareSessionResult r;
  IDEM_JSON_SET(r.share_token, RequiredString(*obj, "share_token"));
  IDEM_JSON_SET(r.for_application_id, OptString(*obj, "for_application_id"));
  IDEM_JSON_SET(r.session_kind, OptString(*obj, "session_kind"));
  r.raw = std::move(*obj);
  return r;
}

[[nodiscard]] Result<ImportedSession> ParseImportedSession(std::string_view body) {
  auto obj = ParseObject(body, "import answer");
  if (!obj) return tl::unexpected(obj.error());
  auto decision = ParseDecision(body);
  if (!decision) return tl::unexpected(decision.error());
  ImportedSession r;
  r.decision = std::move(*decision);
  IDEM_JSON_SET(r.session_kind, OptString(*obj, "session_kind"));
  IDEM_JSON_SET(r.created_at, OptString(*obj, "created_at"));
  IDEM_JSON_SET(r.expires_at, OptString(*obj, "expires_at"));
  r.raw = std::move(*obj);
  return r;
}

std::string ImportNaturalKey(std::string_view workflow_id, std::string_view vendor_data) {
  if (vendor_data.empty()) return {};
  std::string key = "import_shared:";
  key += workflow_id;
  key += ':';
  key += vendor_data;
  return key;
}

[[nodiscard]] Result<OpRequest> ShareSessionOp(std::string_view session_id,
                                               const ShareSessionRequest& request,
                                               CallOptions call) {
  if (session_id.empty()) return MakeError(ErrorCode::kInvalidArgument, "session_id is required");
  return internal::MakeOp(kShareSessionKind, "POST",
                          "/v3/session/" + UrlEncode(session_id) + "/share/", Encode(request),
                          std::move(call));
}

[[nodiscard]] Result<OpRequest> ImportSharedSessionOp(const ImportSharedSessionRequest& request,
                                                      CallOptions call) {
  return internal::MakeOp(kImportSharedSessionKind, "POST", "/v3/session/import-shared/",
                          Encode(request), std::move(call),
                          ImportNaturalKey(request.workflow_id, request.vendor_data.value_or("")));
}

[[nodiscard]] DiditResult<ShareSessionResult> ShareSession(DiditClient& client,
                                                           std::string_view session_id,
                                                           const ShareSessionRequest& request,
                                                           CallOptions call) {
  return internal::CallAndParse<ShareSessionResult>(
      client.client(), ShareSessionOp(session_id, request, std::move(call)),
      ParseShareSessionResult);
}

[[nodiscard]] DiditResult<ImportedSession> ImportSharedSession(
    DiditClient& client, const ImportSharedSessionRequest& request, CallOptions call) {
  auto settled = internal::CallAndParseSettled<ImportedSession>(
      client.client(), ImportSharedSessionOp(request, std::move(call)), ParseImportedSession);
  if (!settled) return tl::unexpected(std::move(settled.error()));
  settled->answer.found_by_lookup = FoundByLookUp(settled->op);
  return std::move(settled->answer);
}

}  // namespace idem::didit

#include "client/new_operation.h"

#include <utility>

#include "common/crypto.h"
#include "idem/idempotency_key.h"
#include "idem/uuid.h"

namespace idem::internal {

Result<Operation> NewOperation(OpRequest& request, const std::function<std::string()>& new_key,
                               std::int64_t now_ms, bool* caller_key) {
  if (request.method.empty() || request.path.empty() || request.path.front() != '/') {
    return MakeError(ErrorCode::kInvalidArgument,
                     "an op needs a method and a path starting with '/'");
  }
  Operation op;
  *caller_key = false;
  if (auto header = FindHeader(request.headers, "Idempotency-Key")) {
    auto key = ParseIdempotencyKey(*header);
    if (!key) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "the caller's Idempotency-Key header is malformed");
    }
    op.idem_key = std::move(*key);
    *caller_key = true;
  } else {
    op.idem_key = new_key();
  }
  op.op_id = request.op_id.empty() ? NewUuidV4() : std::move(request.op_id);
  op.kind = std::move(request.kind);
  op.method = std::move(request.method);
  op.path = std::move(request.path);
  op.content_type = std::move(request.content_type);
  op.fingerprint = RequestFingerprint(op.method, op.path, request.body);
  op.body = std::move(request.body);
  op.natural_key = std::move(request.natural_key);
  op.state = OpState::kInFlight;
  op.created_ms = now_ms;
  op.updated_ms = now_ms;
  op.first_sent_ms = now_ms;
  return op;
}

}  // namespace idem::internal

#include "client/new_operation.h"

#include <utility>

#include "common/crypto.h"
#include "idem/idempotency_key.h"
#include "idem/uuid.h"

namespace idem::internal {
namespace {

// A clock stopped at one instant, for NewUuidV7.
class AtMillis final : public Clock {
 public:
  explicit AtMillis(std::int64_t ms) : at_(FromUnixMillis(ms)) {}
  std::chrono::system_clock::time_point Now() const override { return at_; }
  std::chrono::steady_clock::time_point SteadyNow() const override {
    return std::chrono::steady_clock::now();
  }

 private:
  std::chrono::system_clock::time_point at_;
};

}  // namespace

[[nodiscard]] Result<Operation> NewOperation(OpRequest& request,
                                             const std::function<std::string()>& new_key,
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
    op.idem_key_from_caller = true;
    *caller_key = true;
  } else {
    op.idem_key = new_key();
  }
  // A generated op_id is time-ordered (UUIDv7 at now_ms): new rows then append
  // to the journal's op_id index instead of dirtying a random page of it, one
  // page less per op in every commit. (The idempotency key stays as
  // configured: UUIDv4 by default.)
  op.op_id = request.op_id.empty() ? NewUuidV7(AtMillis(now_ms)) : std::move(request.op_id);
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

// Enqueue: Journal::Begin with a lease that is released at once, so the op
// waits, durable and unleased, for a worker.
#include "idem/enqueue.h"

#include "idem/uuid.h"

namespace idem {

Result<Operation> Enqueue(Journal& journal, OpRequest request, const EnqueueOptions& options) {
  if (request.method.empty() || request.path.empty() || request.path.front() != '/') {
    return MakeError(ErrorCode::kInvalidArgument,
                     "an op needs a method and a path starting with '/'");
  }
  std::shared_ptr<Clock> clock = options.clock ? options.clock : DefaultClock();
  Operation op;
  // Extra headers are not journaled (as for Submit); only the caller's key is.
  if (auto header = FindHeader(request.headers, "Idempotency-Key")) {
    auto key = ParseIdempotencyKey(*header);
    if (!key) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "the caller's Idempotency-Key header is malformed");
    }
    op.idem_key = std::move(*key);
  } else {
    op.idem_key = options.key_version == KeyVersion::kUuidV7 ? NewUuidV7(*clock) : NewUuidV4();
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
  op.created_ms = ToUnixMillis(clock->Now());
  op.updated_ms = op.created_ms;
  op.first_sent_ms = op.created_ms;  // see the header: a queued op may have been sent

  const std::string owner = options.owner.empty() ? "enqueue:" + DefaultOwnerId() : options.owner;
  auto begun = journal.Begin(op, owner, std::chrono::milliseconds(1));
  if (!begun) return tl::unexpected(begun.error());
  if (!begun->created) {
    // The stored op: if Begin just took its lapsed lease, hand it back.
    if (begun->leased) {
      journal.Release(begun->op);
      begun->op.lease_owner.clear();
      begun->op.lease_until_ms = 0;
    }
    return std::move(begun->op);
  }
  if (auto released = journal.Release(begun->op); !released) {
    return tl::unexpected(released.error());
  }
  begun->op.lease_owner.clear();
  begun->op.lease_until_ms = 0;
  return std::move(begun->op);
}

}  // namespace idem

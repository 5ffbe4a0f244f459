// Enqueue: Journal::Begin with a lease that is released at once, so the op
// waits, durable and unleased, for a worker.
#include "idem/enqueue.h"

#include "client/new_operation.h"
#include "idem/uuid.h"

namespace idem {

[[nodiscard]] Result<Operation> Enqueue(Journal& journal, OpRequest request,
                                        const EnqueueOptions& options) {
  std::shared_ptr<Clock> clock = options.clock ? options.clock : DefaultClock();
  // Extra headers are not journaled (as for Submit); only the caller's key is.
  bool caller_key = false;
  auto made = internal::NewOperation(
      request,
      [&] { return options.key_version == KeyVersion::kUuidV7 ? NewUuidV7(*clock) : NewUuidV4(); },
      ToUnixMillis(clock->Now()), &caller_key);
  if (!made) return tl::unexpected(made.error());
  Operation& op = *made;
  op.first_sent_ms = 0;  // nothing sent: the driver records its first send first

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

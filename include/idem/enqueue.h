// The producer side of the producer/worker split: Enqueue stores an op
// durably as unfinished, with no live lease, and returns at once; nothing is
// sent. A worker (idem::RunWorker, `idem worker`) or `idem resume` drives it
// later with the key stored here.
//
//   auto op = idem::Enqueue(*journal, request);          // durable, not sent
//   ... any process: idem::RunWorker(*client, *journal, {}, stop);
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "idem/client.h"
#include "idem/clock.h"
#include "idem/idempotency_key.h"
#include "idem/journal.h"
#include "idem/status.h"

namespace idem {

struct EnqueueOptions {
  // Written as the lease owner of the one instant between the insert and the
  // release. Default "enqueue:" + DefaultOwnerId().
  std::string owner;
  // Key made when the request carries no Idempotency-Key header. Default v4.
  KeyVersion key_version = KeyVersion::kUuidV4;
  // created_ms and the key window start. Default: the system clock.
  std::shared_ptr<Clock> clock;
};

// Stores `request` as an in_flight op with no lease holder and returns it as
// stored. Same op_id with the same request (fingerprint): the stored op,
// whatever its state, nothing changes. A different request: kAlreadyExists.
// Bad requests (no method, path not starting with '/', malformed caller
// Idempotency-Key): kInvalidArgument. Journal errors as Journal::Begin.
//
// Crash semantics: the op is durable (per the journal's Durability) when this
// returns. It is committed with a 1 ms lease that is then released; a crash
// between the two leaves a lease that has already lapsed, so a worker takes
// the op either way.
//
// A queued op is stored as never sent (first_sent_ms 0): the driver that
// takes it records its first send durably before the request leaves
// (Client::Drive), so a worker killed mid-request leaves that trace, and the
// next driver resolves the op (replay, look-up, or a stop for review) instead
// of sending it blindly. The key window counts from that first send.
[[nodiscard]] Result<Operation> Enqueue(Journal& journal, OpRequest request,
                                        const EnqueueOptions& options = {});

}  // namespace idem

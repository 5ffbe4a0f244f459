// Internal: WebhookInbox::AcceptMany in two steps, for the receiver's
// pipeline. The receiver parses and validates each delivery on its I/O
// threads (webhook::ParseEvent), so its store thread only writes: it commits
// a batch with Commit() and hands it to another thread, which runs Heal() and
// answers the requests while the next batch commits. AcceptMany is exactly
// Commit() then Heal().
#pragma once

#include "webhook/inbox_event.h"

namespace idem::webhook {

class StagedInbox {
 public:
  // Stores `batch.events` (all valid) in one transaction, shared with
  // concurrent AcceptMany callers, and fills batch.results[batch.index[k]]
  // for each; returns after the commit. A storage failure fails all of them
  // (nothing acknowledged). No heal yet: the commit wrote each new event's
  // heal task, so a crash before Heal() loses nothing.
  virtual void Commit(ParsedBatch& batch) = 0;
  // The lost-response heal of what Commit() stored (HealStored); healed
  // events' safety-net tasks are deleted with a later commit. May run on
  // another thread, concurrently with the next Commit().
  virtual void Heal(ParsedBatch& batch) = 0;

 protected:
  ~StagedInbox() = default;
};

}  // namespace idem::webhook

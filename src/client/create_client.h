// Internal: Client::Create with the event loop chosen by the caller. The
// public Create gives every Client its own Executor (threads, real time);
// the client's state-machine tests pass a Scheduler that runs steps and
// timers on the test's thread when a FakeClock reaches them, so retries,
// pushback, the key window and lease renewals are tested in milliseconds
// without sleeping (tests/client/state_machine_test.cc).
#pragma once

#include <memory>

#include "client/scheduler.h"
#include "idem/client.h"

namespace idem::internal {

// As Client::Create (same checks and defaults), with `scheduler` running
// every step and timer of the Client; null: a new Executor of
// options.worker_threads. The Client shuts the scheduler down in its
// destructor, after its last op has finished; with a hand-run scheduler the
// caller must run it until then (a destructor that waits for an op nobody
// runs never returns).
[[nodiscard]] Result<std::unique_ptr<Client>> CreateClient(ClientOptions options,
                                                           std::shared_ptr<Scheduler> scheduler);

}  // namespace idem::internal

// SIGKILL of the receiver mid-stream loses no acknowledged event, with the
// sandbox as the sender (sigkill_scenario.h) and the receiver's journal a
// real SQLite file. The receiver is `$IDEM_BIN webhook serve`.
#include <gtest/gtest.h>

#include "sigkill_scenario.h"

namespace idem {
namespace {

TEST_F(SandboxSigkillTest, SigkillOfTheReceiverMidStreamLosesNoAcknowledgedEvent) {
  RunScenario(Path("receiver.db"));
}

}  // namespace
}  // namespace idem

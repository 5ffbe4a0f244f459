// The same SIGKILL scenario (sigkill_scenario.h) with the receiver's inbox
// and heal journal on PostgreSQL: a throwaway cluster started by this binary
// (testing/pg_environment.h). A killed `$IDEM_BIN webhook serve` drops its
// connections mid-transaction; what it acknowledged was committed, the rest
// is rolled back by the server and delivered again.
#include <gtest/gtest.h>

#include "sigkill_scenario.h"
#include "testing/pg_environment.h"

namespace idem {
namespace {

TEST_F(SandboxSigkillTest, SigkillOfAPostgresReceiverMidStreamLosesNoAcknowledgedEvent) {
  auto url = testing::FreshPgDatabaseUrl("idem_wh_sigkill_");
  ASSERT_TRUE(url) << url.error().ToString();
  RunScenario(*url);
}

}  // namespace
}  // namespace idem

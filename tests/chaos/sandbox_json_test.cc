// The harness's reads of the sandbox's records (chaos/sandbox_json.h), on a
// real in-process sandbox. A 100,000-op soak's /_sandbox/executions is ~45 MB
// (128,572 executions, ~350 bytes each): past the transport's default 8 MiB
// cap the body was cut and the run ended "not JSON" after the whole soak.
#include "chaos/sandbox_json.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "idem/sandbox.h"
#include "idem/transport.h"

namespace idem {
namespace {

std::unique_ptr<Sandbox> StartSandbox() {
  SandboxOptions options;
  options.port = 0;
  auto sandbox = Sandbox::Start(options);
  EXPECT_TRUE(sandbox.has_value()) << (sandbox ? "" : sandbox.error().ToString());
  return sandbox ? std::move(*sandbox) : nullptr;
}

// An answer cut at the cap is named as such, not reported as "not JSON"
// (before: kCorruption, "not JSON", which hid the cause).
TEST(SandboxJsonTest, AnAnswerCutAtTheTransportsCapIsNamed) {
  auto sandbox = StartSandbox();
  ASSERT_NE(sandbox, nullptr);
  TransportOptions small;
  small.max_response_bytes = 8;  // /_sandbox/stats is longer than this
  auto transport = MakeCurlTransport(small);
  auto stats = chaos::GetSandboxJson(*transport, sandbox->base_url(), "/_sandbox/stats");
  ASSERT_FALSE(stats.has_value());
  EXPECT_EQ(stats.error().code(), ErrorCode::kInternal) << stats.error().ToString();
  EXPECT_NE(stats.error().message().find("larger than the transport's cap"), std::string::npos)
      << stats.error().message();
}

// The harness's own read transport (1 GiB cap) reads the records whole.
TEST(SandboxJsonTest, TheReadTransportReadsTheRecords) {
  auto sandbox = StartSandbox();
  ASSERT_NE(sandbox, nullptr);
  auto transport = chaos::MakeSandboxReadTransport();
  auto executions = chaos::GetSandboxJson(*transport, sandbox->base_url(), "/_sandbox/executions");
  ASSERT_TRUE(executions.has_value()) << executions.error().ToString();
  EXPECT_TRUE((*executions)["executions"].is_array());
}

}  // namespace
}  // namespace idem

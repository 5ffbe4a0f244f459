// Internal to chaos (and the fleet test, which reuses the harness's parts):
// the sandbox's control endpoints read as JSON, the source of every
// exactly-once verdict.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "idem/status.h"
#include "idem/transport.h"

namespace idem::chaos {

// A transport for those reads. A soak's /_sandbox/executions lists every
// execution of the run (~130 bytes each: over the default 8 MiB cap past
// ~60,000 of them), so the cap is 1 GiB and the timeout 5 minutes.
std::unique_ptr<Transport> MakeSandboxReadTransport();

// GET base_url + path (e.g. "/_sandbox/executions"). kUnavailable when the
// request fails or the answer is not 200; kInternal when the body
// was cut at the transport's max_response_bytes; kCorruption when it is not
// JSON.
[[nodiscard]] Result<nlohmann::json> GetSandboxJson(Transport& transport,
                                                    const std::string& base_url,
                                                    const std::string& path);

}  // namespace idem::chaos

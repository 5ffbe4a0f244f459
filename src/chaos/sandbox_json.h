// Internal to chaos (and the fleet test, which reuses the harness's parts):
// the sandbox's control endpoints read as JSON, the source of every
// exactly-once verdict.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "idem/status.h"
#include "idem/transport.h"

namespace idem::chaos {

// GET base_url + path (e.g. "/_sandbox/executions"). kUnavailable when the
// request fails or the answer is not 200; kCorruption when it is not JSON.
Result<nlohmann::json> GetSandboxJson(Transport& transport, const std::string& base_url,
                                      const std::string& path);

}  // namespace idem::chaos

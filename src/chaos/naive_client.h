// Internal: the naive client `idem chaos --naive` runs beside idem on the same
// workload: no Idempotency-Key, no journal, no look-up. Any failure
// (connection lost, timeout, any non-2xx) is simply sent again. What most
// hand-rolled libcurl retry loops do, and what a lost response costs them.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include "idem/client.h"
#include "idem/transport.h"

namespace idem::chaos {

struct NaiveOptions {
  std::string base_url;
  std::string api_key;
  int max_attempts = 20;  // as the chaos workers' --max-attempts
  std::chrono::milliseconds backoff_base{20};
  std::chrono::milliseconds backoff_cap{500};
  std::size_t concurrency = 24;  // ops in flight (one blocking thread each)
};

// Sends every op until a 2xx or max_attempts; returns, per op, whether it got
// a 2xx. Blocks until all are done.
std::vector<bool> SendNaively(Transport& transport, const std::vector<OpRequest>& ops,
                              const NaiveOptions& options);

}  // namespace idem::chaos

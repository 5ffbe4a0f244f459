// A "bare libcurl loop": the baseline the client-core benchmark compares the
// journaled client against. It sends prepared requests with a fixed number in
// flight on curl multi, on the calling thread, with no journal, no retries and
// no callbacks: the fastest way this machine can push the same requests.
#pragma once

#include <chrono>
#include <map>
#include <vector>

#include "idem/http.h"
#include "idem/transport.h"

namespace idem::internal {

struct BareCurlLoopResult {
  std::chrono::nanoseconds elapsed{0};  // first request started to last finished
  std::map<int, int> status_counts;     // HTTP status -> responses with it
  int transport_failures = 0;           // requests that got no HTTP response
};

// Sends every request once, keeping `in_flight` (at least 1) transfers active.
// Uses the same per-request libcurl settings as MakeCurlTransport (keep-alive,
// no Expect delay, exact body bytes, `options`' timeouts and caps).
BareCurlLoopResult RunBareCurlLoop(const std::vector<HttpRequest>& requests, int in_flight,
                                   const TransportOptions& options = {});

}  // namespace idem::internal

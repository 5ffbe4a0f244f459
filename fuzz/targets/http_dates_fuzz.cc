// Server pushback and timestamps: Retry-After (seconds or any HTTP-date),
// X-RateLimit-Reset, HTTP-dates and the ISO timestamps in Didit's bodies.
// None may crash or overflow; a wait is never negative and ServerPushback
// never exceeds its cap.
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "didit/reconcilers.h"
#include "fuzz_check.h"
#include "idem/retry.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto now = std::chrono::system_clock::time_point(std::chrono::seconds(1'800'000'000));
  if (auto wait = idem::ParseRetryAfter(text, now)) FUZZ_CHECK(wait->count() >= 0);
  if (auto wait = idem::ParseRateLimitReset(text, now)) FUZZ_CHECK(wait->count() >= 0);
  (void)idem::ParseHttpDate(text);
  (void)idem::didit::internal::ParseIsoMillis(text);
  const auto cap = std::chrono::milliseconds(60000);
  const idem::Headers headers = {{"Retry-After", std::string(text)},
                                 {"X-RateLimit-Reset", std::string(text)}};
  if (auto floor = idem::ServerPushback(headers, now, cap)) {
    FUZZ_CHECK(floor->count() >= 0 && *floor <= cap);
  }
  return 0;
}

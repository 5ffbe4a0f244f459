// Internal: where a Client's rate grants are kept (ClientOptions::
// share_rate_budget). The journal's rows are the default: every process and
// host on the journal draws from one budget. This process's memory is the
// other choice: a budget of its own, decided by the same rule, as every
// other client library keeps it (a fleet of N such processes may send N
// times the limit; the fleet benchmark shows what that costs).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "idem/journal.h"
#include "idem/rate_limits.h"

namespace idem::internal {

class RateBook {
 public:
  virtual ~RateBook() = default;
  // Journal::TakeRate's contract.
  [[nodiscard]] virtual Result<RateTake> Take(const RateLimits& scopes, std::int64_t now_ms) = 0;
  // Journal::SetRateCap's contract.
  [[nodiscard]] virtual Status Cap(const std::vector<std::string>& scopes, int allowance,
                                   std::int64_t now_ms, std::int64_t until_ms) = 0;
};

// Grants and caps as journal rows (Journal::TakeRate / SetRateCap). The
// journal must outlive the book.
std::unique_ptr<RateBook> MakeJournalRateBook(Journal& journal);

// Grants and caps in this process's memory, decided by rate::Decide like the
// journal's. Thread-safe. Lost with the process, which costs nothing: the
// server forgets within one window too.
std::unique_ptr<RateBook> MakeProcessRateBook();

}  // namespace idem::internal

// The default batch methods of Journal: one call per op, in order. Backends
// that can share one commit across a batch (SQLite) override them.
#include "idem/journal.h"

namespace idem {

std::vector<Result<BeginResult>> Journal::BeginMany(const std::vector<Operation>& ops,
                                                    std::string_view owner,
                                                    std::chrono::milliseconds lease) {
  std::vector<Result<BeginResult>> results;
  results.reserve(ops.size());
  for (const Operation& op : ops) results.push_back(Begin(op, owner, lease));
  return results;
}

std::vector<Status> Journal::UpdateMany(const std::vector<const Operation*>& ops) {
  std::vector<Status> results;
  results.reserve(ops.size());
  for (const Operation* op : ops) results.push_back(Update(*op));
  return results;
}

Result<RateTake> Journal::TakeRate(const RateLimits&, std::int64_t) {
  return MakeError(ErrorCode::kFailedPrecondition, "this journal keeps no shared rate budget");
}

Status Journal::SetRateCap(const std::vector<std::string>&, int, std::int64_t, std::int64_t) {
  return MakeError(ErrorCode::kFailedPrecondition, "this journal keeps no shared rate budget");
}

}  // namespace idem

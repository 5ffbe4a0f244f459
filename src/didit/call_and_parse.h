// Internal: the tail every typed call shares: drive the op through the
// client, then read its answer. An op that succeeded but whose body cannot be
// read is kCorruption with the op id, so the caller can still find the op
// (`idem ops show`); it never turns into a re-send.
#pragma once

#include <utility>

#include "idem/client.h"
#include "idem/didit/errors.h"
#include "idem/didit/op_outcome.h"

namespace idem::didit::internal {

template <typename T, typename Parse>
[[nodiscard]] DiditResult<T> CallAndParse(Client& client, Result<OpRequest> op_request,
                                          Parse parse) {
  if (!op_request) return tl::unexpected(DiditError{op_request.error(), std::nullopt, {}});
  auto op = OpOutcome(client.Call(std::move(*op_request)));
  if (!op) return tl::unexpected(op.error());
  auto parsed = parse(op->response_body);
  if (!parsed) {
    return tl::unexpected(
        DiditError{Error(ErrorCode::kCorruption,
                         "succeeded but the response is unreadable: " + parsed.error().message()),
                   std::nullopt, op->op_id});
  }
  return std::move(*parsed);
}

}  // namespace idem::didit::internal

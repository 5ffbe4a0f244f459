// Internal: the tail every typed call shares: drive the op through the
// client, then read its answer. An op that succeeded but whose body cannot be
// read is kCorruption with the op id, so the caller can still find the op
// (`idem ops show`); it never turns into a re-send.
#pragma once

#include <string>
#include <string_view>

#include "idem/client.h"
#include "idem/didit/client.h"
#include "idem/didit/errors.h"
#include "idem/didit/multipart.h"
#include "idem/didit/op_outcome.h"

namespace idem::didit::internal {

// An error of idem's own (a request refused before it is sent, a response
// that cannot be read): no API answer, no op.
inline DiditError Plain(Error e) { return DiditError{std::move(e), std::nullopt, {}}; }

// The op of a typed call: its kind, method, path and encoded body (or the
// encoding's error), the caller's op id (empty: the Client makes one), and
// the natural key its look-up finds it by (empty: none).
[[nodiscard]] inline Result<OpRequest> MakeOp(std::string_view kind, std::string method,
                                              std::string path, Result<EncodedBody> body,
                                              CallOptions call, std::string natural_key = {}) {
  if (!body) return tl::unexpected(body.error());
  OpRequest op;
  op.op_id = std::move(call.op_id);
  op.kind = std::string(kind);
  op.method = std::move(method);
  op.path = std::move(path);
  op.content_type = std::move(body->content_type);
  op.body = std::move(body->body);
  op.natural_key = std::move(natural_key);
  return op;
}

// A typed answer and the op it settled: how it was settled
// (FoundByLookUp(op)), its HTTP status.
template <typename T>
struct Settled {
  T answer;
  Operation op;
};

template <typename T, typename Parse>
[[nodiscard]] DiditResult<Settled<T>> CallAndParseSettled(Client& client,
                                                          Result<OpRequest> op_request,
                                                          Parse parse) {
  if (!op_request) return tl::unexpected(Plain(op_request.error()));
  auto op = OpOutcome(client.Call(std::move(*op_request)));
  if (!op) return tl::unexpected(op.error());
  auto parsed = parse(op->response_body);
  if (!parsed) {
    return tl::unexpected(
        DiditError{Error(ErrorCode::kCorruption,
                         "succeeded but the response is unreadable: " + parsed.error().message()),
                   std::nullopt, op->op_id});
  }
  return Settled<T>{std::move(*parsed), std::move(*op)};
}

template <typename T, typename Parse>
[[nodiscard]] DiditResult<T> CallAndParse(Client& client, Result<OpRequest> op_request,
                                          Parse parse) {
  auto settled = CallAndParseSettled<T>(client, std::move(op_request), parse);
  if (!settled) return tl::unexpected(std::move(settled.error()));
  return std::move(settled->answer);
}

// A create whose answer says whether a look-up found it (`Created` is a
// `Record` with `found_by_lookup`). The journal has the outcome: an "already
// exists" refusal after an attempt that may have executed was settled by the
// kind's look-up (ClientOptions::exists_refusal), so a refusal here is a
// refusal.
template <typename Created, typename Record, typename Parse>
[[nodiscard]] DiditResult<Created> CallAndParseCreated(Client& client, Result<OpRequest> op_request,
                                                       Parse parse) {
  auto settled = CallAndParseSettled<Record>(client, std::move(op_request), parse);
  if (!settled) return tl::unexpected(std::move(settled.error()));
  Created out;
  static_cast<Record&>(out) = std::move(settled->answer);
  out.found_by_lookup = FoundByLookUp(settled->op);
  return out;
}

}  // namespace idem::didit::internal

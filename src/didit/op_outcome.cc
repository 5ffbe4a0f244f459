#include "idem/didit/op_outcome.h"

#include "didit/json_util.h"

namespace idem::didit {
namespace {

// The response headers as the journal keeps them (a JSON object).
Headers HeadersFromJson(const std::string& text) {
  Headers headers;
  auto parsed = internal::SafeParse(text);
  if (!parsed || !parsed->is_object()) return headers;
  for (auto it = parsed->begin(); it != parsed->end(); ++it) {
    if (it->is_string()) headers.push_back({it.key(), it->get<std::string>()});
  }
  return headers;
}

}  // namespace

tl::expected<Operation, DiditError> OpOutcome(OpResult result) {
  if (!result) return tl::unexpected(DiditError{result.error(), std::nullopt, {}});
  Operation op = std::move(*result);
  std::optional<ApiError> api;
  if (op.response_status != 0 && (op.response_status < 200 || op.response_status > 299)) {
    api = ParseApiError(op.response_status, op.response_body, HeadersFromJson(op.response_headers));
  }
  switch (op.state) {
    case OpState::kSucceeded:
      return op;
    case OpState::kFailed: {
      std::string message = api ? api->Summary() : op.last_error;
      return tl::unexpected(
          DiditError{Error(ErrorCode::kRefused, message), std::move(api), op.op_id});
    }
    case OpState::kUnknown:
      // Refused credentials or access: nothing executed; the op waits,
      // re-drivable, for the configuration to be fixed. (A 403 left for a
      // person is a recognised "already exists" refusal the look-up could
      // not settle: ClientOptions::exists_refusal.)
      if ((op.response_status == 401 || op.response_status == 403) && !op.needs_review) {
        return tl::unexpected(DiditError{
            Error(ErrorCode::kPermissionDenied,
                  (api ? api->Summary() + "; " : std::string()) +
                      "nothing executed: fix the API key or the account, then `idem resume` "
                      "(or the same call again) sends it"),
            std::move(api), op.op_id});
      }
      return tl::unexpected(DiditError{
          Error(ErrorCode::kUnknownOutcome,
                op.needs_review
                    ? "outcome unknown, needs review (never re-sent on its own): " + op.last_error +
                          "; settle it with `idem ops resolve " + op.op_id +
                          " --executed|--not-executed`"
                    : "outcome unknown (journaled; `idem resume` continues it): " + op.last_error),
          std::move(api), op.op_id});
    case OpState::kInFlight:
      break;
  }
  return tl::unexpected(DiditError{
      Error(ErrorCode::kUnavailable, "the client stopped before the op settled (journaled)"),
      std::move(api), op.op_id});
}

}  // namespace idem::didit

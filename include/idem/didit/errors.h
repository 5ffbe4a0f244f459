// Didit's refusals as data. Didit has no single error envelope: usually
// {"detail": "..."} with an optional stable "code", field errors on 400 as
// {"field": ["message", ...]}, and a 5xx may carry no JSON at all. ApiError
// keeps what could be understood and, always, the raw body.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <tl/expected.hpp>
#include <vector>

#include "idem/http.h"
#include "idem/status.h"

namespace idem::didit {

enum class ApiErrorKind {
  kBadRequest,        // 400: see field_errors
  kUnauthorized,      // 401: bad, revoked or expired API key
  kPaymentRequired,   // 402: the call could not be paid for
  kBillingSuspended,  // 403 with code "contract_billing_suspended"
  kForbidden,         // 403: missing key, no access, IP not allowed, no balance
  kNotFound,          // 404
  kConflict,          // 409 (e.g. the same idempotency key still executing)
  kUnprocessable,     // 422 (e.g. the same idempotency key with another request)
  kRateLimited,       // 429: see retry_after
  kServerError,       // 5xx
  kOther,             // any other non-2xx
};

std::string_view ApiErrorKindName(ApiErrorKind kind);

struct ApiError {
  int http_status = 0;
  ApiErrorKind kind = ApiErrorKind::kOther;
  std::string detail;  // "detail" (or "message"/"error") when the body had one
  std::string code;    // the stable "code" when the body had one
  // 400 field errors, field -> messages. Nested objects are flattened with
  // dots ("expected_details.date_of_birth"); a top-level array of messages
  // is stored under "non_field_errors".
  std::map<std::string, std::vector<std::string>> field_errors;
  // Retry-After (seconds form) on 429/503, when present and sane.
  std::optional<std::chrono::seconds> retry_after;
  std::string raw_body;  // exactly as received (the transport caps its size)

  // One line for logs and CLI output: "403 billing_suspended
  // (contract_billing_suspended): Billing suspended". Never contains headers.
  std::string Summary() const;
};

// Understands any error response; never fails. Bodies that are empty, not
// JSON, too deep or of an unexpected shape leave detail/code empty and keep
// raw_body.
ApiError ParseApiError(int http_status, std::string_view body, const Headers& headers = {});

// What a DiditClient call returns on failure: the idem error (kRefused for a
// definitive API refusal, kUnknownOutcome when the op is journaled with an
// unknown outcome, kInvalidArgument for bad input, ...) plus, when the API
// answered, the parsed ApiError.
struct DiditError {
  Error error;
  std::optional<ApiError> api;
  std::string op_id;  // the journaled op, when there is one

  std::string ToString() const;
};

template <typename T>
using DiditResult = tl::expected<T, DiditError>;

inline tl::unexpected<DiditError> MakeDiditError(ErrorCode code, std::string message) {
  return tl::unexpected<DiditError>(DiditError{Error(code, std::move(message)), std::nullopt, {}});
}

}  // namespace idem::didit

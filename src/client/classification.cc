// Which outcomes are retried with the same key and which are final.
#include "idem/retry.h"

namespace idem {

Verdict ClassifyStatus(int status) {
  if (status >= 200 && status <= 299) return Verdict::kSuccess;
  switch (status) {
    case 408:  // request timeout: the server did not process it
    case 409:  // idempotency key in use: the first attempt is still running
    case 425:  // too early
    case 429:  // rate limited
      return Verdict::kRetry;
    default:
      break;
  }
  if (status >= 500 && status <= 599) return Verdict::kRetry;
  return Verdict::kFinal;
}

Verdict ClassifyTransportFailure(TransportFailure failure) {
  switch (failure) {
    case TransportFailure::kNotSent:
    case TransportFailure::kTimeout:
    case TransportFailure::kConnectionLost:
      return Verdict::kRetry;
    case TransportFailure::kCancelled:
    case TransportFailure::kInternal:
      return Verdict::kFinal;
  }
  return Verdict::kFinal;
}

bool MayHaveExecuted(TransportFailure failure) {
  return failure == TransportFailure::kTimeout || failure == TransportFailure::kConnectionLost ||
         failure == TransportFailure::kCancelled;
}

bool MayHaveExecuted(int status) { return status >= 500 && status <= 599; }

}  // namespace idem

// Which outcomes are retried with the same key and which are final.
#include <algorithm>
#include <cctype>
#include <string>

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

bool IsKeyReuseConflict(int status, const Headers& headers, std::string_view body) {
  if (status != 409) return false;
  if (FindHeader(headers, "Retry-After")) return false;
  // Only the head of the body: an "in progress" text is short, and a hostile
  // body costs no more than this to scan.
  std::string text(body.substr(0, 4096));
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (std::string_view marker :
       {"in progress", "in-progress", "being processed", "still processing", "in_progress"}) {
    if (text.find(marker) != std::string::npos) return false;
  }
  return true;
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

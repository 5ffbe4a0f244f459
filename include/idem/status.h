// Errors are values in idem: every fallible public call returns
// idem::Result<T> (tl::expected<T, idem::Error>) or idem::Status.
// Nothing in the public API throws.
#pragma once

#include <string>
#include <string_view>
#include <tl/expected.hpp>

namespace idem {

enum class ErrorCode {
  kInvalidArgument,     // the caller's input is wrong; nothing was done
  kNotFound,            // the named thing does not exist
  kAlreadyExists,       // e.g. the same op_id with a different request fingerprint
  kFailedPrecondition,  // the state does not allow this (e.g. op leased by another owner)
  kUnavailable,         // transient: try again later (network, locked database, 5xx)
  kDeadlineExceeded,    // a timeout
  kRefused,             // the remote API refused for good (definitive 4xx)
  kPermissionDenied,    // the remote API refused the credentials or access (401/403):
                        // nothing was done; fix the configuration and try again
  kUnknownOutcome,      // the request may or may not have executed; it is journaled
  kIo,                  // local storage failed
  kCorruption,          // stored data is not what it should be
  kInternal,            // a bug in idem
};

std::string_view ErrorCodeName(ErrorCode code);

class Error {
 public:
  Error(ErrorCode code, std::string message) : code_(code), message_(std::move(message)) {}

  ErrorCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // "code_name: message", for logs and CLI output.
  std::string ToString() const;

 private:
  ErrorCode code_;
  std::string message_;
};

template <typename T>
using Result = tl::expected<T, Error>;
using Status = tl::expected<void, Error>;

inline tl::unexpected<Error> MakeError(ErrorCode code, std::string message) {
  return tl::unexpected<Error>(Error(code, std::move(message)));
}

}  // namespace idem

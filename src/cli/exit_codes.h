// The exit codes every `idem` command uses (see README and `idem --help`),
// and the one mapping from a library error to them.
#pragma once

#include "idem/status.h"

namespace idem::cli {

inline constexpr int kExitOk = 0;           // done
inline constexpr int kExitRefused = 1;      // the API refused for good
inline constexpr int kExitUsage = 2;        // bad command line
inline constexpr int kExitUnknown = 3;      // outcome unknown: journaled, `idem resume` continues
inline constexpr int kExitConfig = 4;       // configuration or journal error
inline constexpr int kExitChaosFailed = 5;  // `idem chaos` ran and found duplicates or losses

// The exit code of a library error, the same for every command:
//   1  kRefused, kAlreadyExists, kNotFound: refused for good (nothing to retry)
//   2  kInvalidArgument: the input is wrong (nothing sent, nothing stored)
//   3  kUnknownOutcome, kUnavailable, kDeadlineExceeded, kFailedPrecondition:
//      not settled now (journaled: resume, retry later, or settle it)
//   4  kPermissionDenied and local failures (kIo, kCorruption, kInternal):
//      fix the configuration or the machine, then run again
// Configuration problems found before anything is sent (no API key, a bad
// base URL, a journal that cannot be opened) are reported as 4 by the
// command itself.
inline int ExitCodeFor(ErrorCode code) {
  switch (code) {
    case ErrorCode::kRefused:
    case ErrorCode::kAlreadyExists:
    case ErrorCode::kNotFound:
      return kExitRefused;
    case ErrorCode::kInvalidArgument:
      return kExitUsage;
    case ErrorCode::kUnknownOutcome:
    case ErrorCode::kUnavailable:
    case ErrorCode::kDeadlineExceeded:
    case ErrorCode::kFailedPrecondition:
      return kExitUnknown;
    case ErrorCode::kPermissionDenied:
    case ErrorCode::kIo:
    case ErrorCode::kCorruption:
    case ErrorCode::kInternal:
      return kExitConfig;
  }
  return kExitConfig;
}

}  // namespace idem::cli

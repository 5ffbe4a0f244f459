// The exit codes every `idem` command uses (see README).
#pragma once

namespace idem::cli {

inline constexpr int kExitOk = 0;           // done
inline constexpr int kExitRefused = 1;      // the API refused for good
inline constexpr int kExitUsage = 2;        // bad command line
inline constexpr int kExitUnknown = 3;      // outcome unknown: journaled, `idem resume` continues
inline constexpr int kExitConfig = 4;       // configuration or journal error
inline constexpr int kExitChaosFailed = 5;  // `idem chaos` ran and found duplicates or losses

}  // namespace idem::cli

// Internal: the randomness jitter uses when the caller injects none.
#pragma once

#include <memory>

#include "idem/random.h"

namespace idem::internal {

// A process-wide thread-safe generator seeded once from the CSPRNG. Jitter
// needs spread, not secrecy, and this avoids a CSPRNG call per retry.
std::shared_ptr<RandomSource> DefaultJitterRandom();

}  // namespace idem::internal

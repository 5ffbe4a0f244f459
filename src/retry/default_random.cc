#include "retry/default_random.h"

namespace idem::internal {

std::shared_ptr<RandomSource> DefaultJitterRandom() {
  static const std::shared_ptr<RandomSource> random =
      std::make_shared<SeededRandom>(CryptoRandom().NextU64());
  return random;
}

}  // namespace idem::internal

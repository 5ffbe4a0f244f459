#include "sandbox/idempotency_key.h"

#include "common/idempotency_key_reader.h"

namespace idem::sandbox {

Result<std::string> ParseIdempotencyKey(std::string_view header_value) {
  return internal::ReadIdempotencyKey(header_value);
}

}  // namespace idem::sandbox

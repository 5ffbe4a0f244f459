// The Idempotency-Key header, read by the client (a caller's key) and by the
// sandbox (every request): both must read one value as the same key, or the
// key the client journals is not the key the server deduplicates by. A key
// the client formats must read back as itself.
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "idem/idempotency_key.h"
#include "sandbox/idempotency_key.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view value(reinterpret_cast<const char*>(data), size);
  auto client = idem::ParseIdempotencyKey(value);
  auto server = idem::sandbox::ParseIdempotencyKey(value);
  FUZZ_CHECK(client.has_value() == server.has_value());
  if (!client) return 0;
  FUZZ_CHECK(*client == *server);
  FUZZ_CHECK(!client->empty() && client->size() <= 255);
  for (auto format : {idem::KeyFormat::kBareToken, idem::KeyFormat::kQuotedString}) {
    const std::string header = idem::FormatIdempotencyKey(*client, format);
    auto back = idem::ParseIdempotencyKey(header);
    FUZZ_CHECK(back && *back == *client);
  }
  return 0;
}

// The Idempotency-Key header: the client (a caller's key) and the sandbox
// (every request) read it with one reader, and the public wrapper agrees with
// it; a key the client formats, either way, reads back as itself (once it did
// not: a caller's key that is no token was sent bare), and the bare format
// quotes exactly the keys that are no bare token.
#include <cstdint>
#include <string>
#include <string_view>

#include "common/idempotency_key_reader.h"
#include "fuzz_check.h"
#include "idem/idempotency_key.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view value(reinterpret_cast<const char*>(data), size);
  auto client = idem::ParseIdempotencyKey(value);
  auto reader = idem::internal::ReadIdempotencyKey(value);
  FUZZ_CHECK(client.has_value() == reader.has_value());
  if (!client) return 0;
  FUZZ_CHECK(*client == *reader);
  FUZZ_CHECK(!client->empty() && client->size() <= 255);
  for (auto format : {idem::KeyFormat::kBareToken, idem::KeyFormat::kQuotedString}) {
    const std::string header = idem::FormatIdempotencyKey(*client, format);
    auto back = idem::ParseIdempotencyKey(header);
    FUZZ_CHECK(back && *back == *client);
    if (format == idem::KeyFormat::kBareToken) {
      FUZZ_CHECK((header == *client) == idem::internal::IsBareIdempotencyToken(*client));
    }
  }
  return 0;
}

// Webhook JSON: the strict parser (ParseJson) and the canonical form that
// X-Signature-V2 covers, differentially against nlohmann-json:
// - what ParseJson accepts, nlohmann-json accepts too, as the same value;
// - the canonical form is JSON that nlohmann-json reads as the same value,
//   and canonicalising it again changes nothing (sorted keys, one spelling);
// - CanonicalJson (the public entry) agrees with ParseJson + Canonicalize.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string_view>

#include "fuzz_check.h"
#include "idem/webhook_signature.h"
#include "webhook/json_parse.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = idem::webhook::ParseJson(text);
  auto canonical = idem::CanonicalJson(text);
  FUZZ_CHECK(parsed.has_value() == canonical.has_value());
  if (!parsed) return 0;
  const auto reference = nlohmann::json::parse(text, nullptr, false);
  FUZZ_CHECK(!reference.is_discarded());
  FUZZ_CHECK(*canonical == idem::webhook::Canonicalize(*parsed));
  const auto reread = nlohmann::json::parse(*canonical, nullptr, false);
  FUZZ_CHECK(!reread.is_discarded());
  FUZZ_CHECK(reread == reference);
  auto again = idem::CanonicalJson(*canonical);
  FUZZ_CHECK(again && *again == *canonical);
  auto ascii = idem::CanonicalJson(text, true);
  FUZZ_CHECK(ascii.has_value());
  for (char c : *ascii) FUZZ_CHECK(static_cast<unsigned char>(c) < 0x80);
  return 0;
}

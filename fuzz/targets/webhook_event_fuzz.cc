// The inbox's event parser: any body a correctly signed delivery carries is
// stored (never refused for its content), with a dedupe key that names it.
#include <cstdint>
#include <string_view>

#include "fuzz_check.h"
#include "webhook/inbox_event.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  // The first line (up to 64 bytes) is the delivery id, the rest the body.
  const std::size_t newline = input.find('\n');
  const std::string_view id =
      newline == std::string_view::npos ? std::string_view() : input.substr(0, newline);
  const std::string_view body =
      newline == std::string_view::npos ? input : input.substr(newline + 1);
  if (id.size() > 64) return 0;
  auto parsed = idem::webhook::ParseEvent(body, id);
  if (!parsed) return 0;
  FUZZ_CHECK(!parsed->dedupe_key.empty());
  FUZZ_CHECK(parsed->body_sha256.size() == 64);
  if (!parsed->session_event) {
    // Its content without event_id (a JSON object), else its bytes.
    FUZZ_CHECK(parsed->dedupe_key == "body:" + parsed->body_sha256 ||
               (parsed->dedupe_key.rfind("event:", 0) == 0 && parsed->dedupe_key.size() == 70));
  } else {
    // Only Didit's status.updated moves a session.
    FUZZ_CHECK(parsed->event.webhook_type == "status.updated");
    FUZZ_CHECK(parsed->dedupe_key.size() == 64);
  }
  FUZZ_CHECK(parsed->created_s >= 0 && parsed->created_s <= idem::webhook::kMaxUnixSeconds);
  if (parsed->session_event) {
    FUZZ_CHECK(parsed->event.timestamp >= 0 &&
               parsed->event.timestamp <= idem::webhook::kMaxUnixSeconds);
  }
  // The same bytes give the same key (dedupe must be deterministic).
  auto again = idem::webhook::ParseEvent(body, id);
  FUZZ_CHECK(again && again->dedupe_key == parsed->dedupe_key);
  return 0;
}

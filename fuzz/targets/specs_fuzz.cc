// Specs and ids a person or a journal row supplies: the sandbox's fault spec,
// the webhook fault spec and a lease owner id. Accepted fault specs keep
// their promise (probabilities sum to at most 1).
#include <cstdint>
#include <string_view>

#include "client/owner.h"
#include "fuzz_check.h"
#include "idem/webhook_sender.h"
#include "sandbox/fault_spec.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto spec = idem::sandbox::FaultSpec::Parse(text)) {
    double total = 0;
    for (const auto& rule : spec->rules()) {
      FUZZ_CHECK(rule.probability >= 0 && rule.probability <= 1);
      FUZZ_CHECK(rule.delay_ms >= 0);
      total += rule.probability;
    }
    FUZZ_CHECK(total <= 1.0 + 1e-9);
  }
  (void)idem::ParseWebhookFaults(text);
  if (auto owner = idem::internal::ParseOwner(text)) {
    FUZZ_CHECK(owner->pid > 0 && owner->pid_namespace != 0 && owner->start_ticks != 0);
  }
  return 0;
}

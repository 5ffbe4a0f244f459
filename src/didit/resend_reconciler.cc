#include "didit/resend_reconciler.h"

#include <memory>

#include "didit/json_util.h"
#include "idem/didit/kyb_registry.h"
#include "idem/didit/otp.h"
#include "idem/didit/session_calls.h"

namespace idem::didit::internal {

void ResendReconciler::Lookup(const Operation& op, Done done) {
  ReconcileResult r;
  if (max_attempts_ > 0 && op.attempts >= max_attempts_) {
    r.outcome = ReconcileResult::Outcome::kUnresolvable;
    r.error = why_;
  } else {
    // Not a proof that nothing executed: a repeat is harmless by Didit's
    // rules for this kind (see the header), which is all a re-send needs.
    r.outcome = ReconcileResult::Outcome::kNotFound;
  }
  done(std::move(r));
}

void AddResendReconcilers(ClientOptions& options) {
  auto request_id = [](const Operation& op) -> std::string {
    auto parsed = SafeParse(op.response_body);
    if (!parsed || !parsed->is_object()) return {};
    auto it = parsed->find("request_id");
    return it != parsed->end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  options.reconcilers[std::string(kBatchDeleteKind)] = std::make_shared<ResendReconciler>(0, "");
  for (auto kind : {kPhoneSendKind, kEmailSendKind}) {
    options.reconcilers[std::string(kind)] = std::make_shared<ResendReconciler>(
        2,
        "two sends may both have executed; a third would start a new, billed verification "
        "(Didit answers Retry with the same request_id only to the second send in 5 min)");
    options.resource_id_of[std::string(kind)] = request_id;
  }
  // A KYB registry search: free, nothing billed, a new request_id each time.
  options.reconcilers[std::string(kKybSearchKind)] = std::make_shared<ResendReconciler>(0, "");
  for (auto kind : {kPhoneCheckKind, kEmailCheckKind}) {
    options.reconcilers[std::string(kind)] = std::make_shared<ResendReconciler>(0, "");
    options.resource_id_of[std::string(kind)] = request_id;
  }
}

}  // namespace idem::didit::internal

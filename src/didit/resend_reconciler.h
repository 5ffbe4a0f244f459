// The look-up of endpoints whose repeat is safe by Didit's own rules, where
// "settling" an ambiguous attempt means sending it again (issue 14):
//   - batch delete (POST /v3/sessions/delete/): always 204, unknown numbers
//     skipped, so a repeat deletes nothing more: re-sent as often as needed;
//   - OTP send (phone, email): within the 5-min window a second send answers
//     `Retry` with the same request_id, but a third starts a new (billed)
//     verification: re-sent once, then stopped for review;
//   - OTP check: free, state keyed by number/address: re-sent (a wrong code
//     costs one of its 3 attempts per send, the price of not knowing).
#pragma once

#include <string>

#include "idem/client.h"

namespace idem::didit::internal {

class ResendReconciler final : public Reconciler {
 public:
  // `max_attempts`: sends allowed in all (the ambiguous ones included); 0 =
  // no limit. Past it: kUnresolvable with `why`.
  ResendReconciler(int max_attempts, std::string why)
      : max_attempts_(max_attempts), why_(std::move(why)) {}
  void Lookup(const Operation& op, Done done) override;

 private:
  int max_attempts_;
  std::string why_;
};

// Registers the look-ups and resource ids of batch_delete_sessions,
// phone_send, phone_check, email_send and email_check.
void AddResendReconcilers(ClientOptions& options);

}  // namespace idem::didit::internal

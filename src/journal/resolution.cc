#include "journal/resolution.h"

#include <string>

#include "journal/rules.h"
#include "journal/validation.h"

namespace idem::journal {
namespace {

// What a person's verdict and an adoption both do to the op they write:
// nobody drives it any more (lease cleared, generation bumped so a driver
// still holding it is fenced out), nothing is scheduled, and the audit trail
// says who decided.
void SettleForGood(Operation& op, const std::string& audit_line, std::int64_t now_ms) {
  op.needs_review = false;
  op.next_attempt_ms = 0;
  op.lease_owner.clear();
  op.lease_until_ms = 0;
  op.lease_generation += 1;
  op.updated_ms = now_ms;
  if (!audit_line.empty()) {
    if (!op.audit.empty()) op.audit += '\n';
    op.audit += audit_line;
  }
}

}  // namespace

[[nodiscard]] Result<Operation> ApplyResolution(const std::optional<Operation>& stored,
                                                std::string_view op_id,
                                                const UnknownResolution& resolution,
                                                std::int64_t now_ms) {
  const OpState* state = stored ? &stored->state : nullptr;
  const Lease lease = stored ? LeaseOf(*stored) : Lease{};
  switch (DecideResolution(state, lease, now_ms)) {
    case ResolutionVerdict::kAllowed:
      break;
    case ResolutionVerdict::kNotFound:
      return MakeError(ErrorCode::kNotFound, "journal: no op '" + std::string(op_id) + "'");
    case ResolutionVerdict::kAlreadySettled:
      // Settled for good: nothing to resolve, now or later.
      return MakeError(ErrorCode::kAlreadyExists, "journal: op '" + stored->op_id +
                                                      "' is already " +
                                                      std::string(OpStateName(*state)) +
                                                      ": only an unknown op can be resolved");
    case ResolutionVerdict::kStillDriven:
      return MakeError(ErrorCode::kFailedPrecondition,
                       "journal: op '" + stored->op_id + "' is " +
                           std::string(OpStateName(*state)) +
                           ", not unknown: it is still being driven; only an unknown op can be "
                           "resolved");
    case ResolutionVerdict::kLiveLease:
      return MakeError(ErrorCode::kFailedPrecondition,
                       "journal: op '" + stored->op_id + "' is being driven by '" +
                           stored->lease_owner +
                           "' right now; resolve it once that driver has let go");
  }
  Operation op = *stored;
  if (resolution.audit_line.find('\n') != std::string::npos) {
    return MakeError(ErrorCode::kInvalidArgument, "journal: an audit line must be one line");
  }
  if (resolution.executed) {
    op.state = OpState::kSucceeded;
    if (!resolution.resource_id.empty()) op.resource_id = resolution.resource_id;
  } else {
    if (auto st = CheckIdentifier("new idem_key", resolution.new_idem_key); !st) {
      return tl::unexpected(st.error());
    }
    if (resolution.new_idem_key == op.idem_key) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "journal: a re-send after 'not executed' needs a fresh key");
    }
    // A fresh start under a new key: nothing of it has been sent, so the next
    // driver sends it (recording first_sent_ms before it does).
    op.state = OpState::kInFlight;
    op.idem_key = resolution.new_idem_key;
    op.idem_key_from_caller = false;
    op.first_sent_ms = 0;
    op.response_status = 0;
    op.response_headers.clear();
    op.response_body.clear();
    op.last_error.clear();
  }
  SettleForGood(op, resolution.audit_line, now_ms);
  return op;
}

[[nodiscard]] Status CheckAdoption(const Adoption& adoption) {
  if (adoption.natural_key.empty() && adoption.resource_id.empty()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "journal: an adoption needs a natural key or a resource id");
  }
  if (adoption.kinds.empty()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "journal: an adoption must name the op kinds that create the resource");
  }
  if (adoption.first_sent_not_after_ms <= 0) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "journal: an adoption needs the resource's creation time (plus skew)");
  }
  if (adoption.audit_line.find('\n') != std::string::npos) {
    return MakeError(ErrorCode::kInvalidArgument, "journal: an audit line must be one line");
  }
  return {};
}

std::vector<Operation> ApplyAdoption(const std::vector<Operation>& candidates,
                                     const Adoption& adoption, bool resource_held_elsewhere,
                                     std::int64_t now_ms) {
  std::vector<Operation> adopted;
  for (const Operation& candidate : candidates) {
    if (DecideAdoption(candidate, adoption, resource_held_elsewhere) != AdoptionVerdict::kAdopt) {
      continue;
    }
    Operation op = candidate;
    op.state = OpState::kSucceeded;
    if (!adoption.resource_id.empty()) op.resource_id = adoption.resource_id;
    // The op held a failed attempt's answer (or none): the success replaces
    // it, so a caller reading the op sees a 2xx it can parse.
    op.response_status = 200;
    op.response_headers = "{}";
    op.response_body = adoption.response_body;
    op.last_error.clear();
    SettleForGood(op, adoption.audit_line, now_ms);
    adopted.push_back(std::move(op));
  }
  return adopted;
}

}  // namespace idem::journal

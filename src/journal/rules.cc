#include "journal/rules.h"

#include <algorithm>

namespace idem::journal {

Lease LeaseOf(const Operation& op) {
  return Lease{op.lease_owner, op.lease_until_ms, op.lease_generation};
}

bool LeaseIsFreeOrLapsed(const Lease& lease, std::int64_t now_ms) {
  return lease.owner.empty() || lease.until_ms <= now_ms;
}

bool LeaseIsLive(const Lease& lease, std::int64_t now_ms) {
  return !LeaseIsFreeOrLapsed(lease, now_ms);
}

bool NewRecordIsLeased(OpState state) { return !IsFinal(state); }

BeginOnExisting DecideBeginOnExisting(OpState stored_state, std::string_view stored_fingerprint,
                                      std::string_view requested_fingerprint,
                                      const Lease& stored_lease, std::int64_t now_ms) {
  if (stored_fingerprint != requested_fingerprint) return BeginOnExisting::kRefuseOtherRequest;
  if (IsFinal(stored_state) || LeaseIsLive(stored_lease, now_ms)) {
    return BeginOnExisting::kReturnStored;
  }
  return BeginOnExisting::kTakeLease;
}

bool FenceHolds(const Lease& stored, const Lease& writer) {
  return !writer.owner.empty() && stored.owner == writer.owner &&
         stored.generation == writer.generation;
}

FencedWriteVerdict DecideFencedWrite(FencedWrite write, OpState stored_state, const Lease& stored,
                                     const Lease& writer) {
  if (!FenceHolds(stored, writer)) return FencedWriteVerdict::kFencedOut;
  // Update may settle the op and Release only lets go; extending the lease
  // of an op nobody needs to drive any more would keep others out for nothing.
  if (write == FencedWrite::kRenew && IsFinal(stored_state)) {
    return FencedWriteVerdict::kAlreadySettled;
  }
  return FencedWriteVerdict::kAllowed;
}

bool UpdateReleasesLease(OpState new_state) { return IsFinal(new_state); }

bool MayClaim(OpState state, bool needs_review, const Lease& lease, std::int64_t updated_ms,
              const ClaimFilter& filter, std::int64_t now_ms) {
  if (IsFinal(state) || needs_review) return false;
  if (!LeaseIsFreeOrLapsed(lease, now_ms)) return false;
  if (state == OpState::kInFlight) return true;
  // unknown: only when asked for, and not one given up too recently (0 = any time).
  return filter.include_unknown &&
         (filter.max_unknown_updated_ms == 0 || updated_ms <= filter.max_unknown_updated_ms);
}

bool StateMayBeAdopted(OpState state) {
  return state == OpState::kInFlight || state == OpState::kUnknown;
}

AdoptionVerdict DecideAdoption(const Operation& candidate, const Adoption& adoption,
                               bool resource_held_elsewhere) {
  if (!StateMayBeAdopted(candidate.state)) return AdoptionVerdict::kNotUnfinished;
  // Empty fields match nothing: an op without a natural key is not every
  // op without one.
  const bool by_resource =
      !adoption.resource_id.empty() && candidate.resource_id == adoption.resource_id;
  const bool by_key =
      !adoption.natural_key.empty() && candidate.natural_key == adoption.natural_key;
  if (!by_resource && !by_key) return AdoptionVerdict::kNoMatch;
  // The event is then about that other op's resource (an earlier session of
  // the same user), not this op's lost response.
  if (!by_resource && resource_held_elsewhere) return AdoptionVerdict::kResourceHeldElsewhere;
  if (std::find(adoption.kinds.begin(), adoption.kinds.end(), candidate.kind) ==
      adoption.kinds.end()) {
    return AdoptionVerdict::kNotACreatingKind;
  }
  if (candidate.first_sent_ms == 0) return AdoptionVerdict::kNeverSent;
  if (candidate.first_sent_ms > adoption.first_sent_not_after_ms) {
    return AdoptionVerdict::kFirstSentAfterCreation;
  }
  return AdoptionVerdict::kAdopt;
}

ResolutionVerdict DecideResolution(const OpState* state, const Lease& lease, std::int64_t now_ms) {
  if (state == nullptr) return ResolutionVerdict::kNotFound;
  if (IsFinal(*state)) return ResolutionVerdict::kAlreadySettled;
  if (*state != OpState::kUnknown) return ResolutionVerdict::kStillDriven;
  if (LeaseIsLive(lease, now_ms)) return ResolutionVerdict::kLiveLease;
  return ResolutionVerdict::kAllowed;
}

bool MayReleaseEarly(const Lease& lease, std::int64_t now_ms,
                     bool (*owner_is_provably_dead)(std::string_view owner)) {
  return LeaseIsLive(lease, now_ms) && owner_is_provably_dead(lease.owner);
}

}  // namespace idem::journal

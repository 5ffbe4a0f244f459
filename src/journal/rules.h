// Internal: the journal's rules, as pure functions over plain values, so
// that SQLite and PostgreSQL decide alike. Each backend reads what it needs
// (under its lock), asks these functions, and writes the answer. Where a rule
// must also run inside SQL to be atomic (a claim's WHERE clause, a fenced
// UPDATE), the SQL says the same thing in its own words, and
// tests/journal/journal_rules_conformance_test.cc runs one table of cases
// through the function here and through each backend, so the two cannot
// drift apart unnoticed.
#pragma once

#include <cstdint>
#include <string_view>

#include "idem/journal.h"

namespace idem::journal {

// An op's lease as stored, or as a writer believes it holds it (its fence).
struct Lease {
  std::string_view owner;  // "" = nobody
  std::int64_t until_ms = 0;
  std::int64_t generation = 0;
};

// The lease `op` holds (views into `op`, which must outlive the result).
Lease LeaseOf(const Operation& op);

// Anyone may take the lease at `now_ms`: nobody holds it, or its time is up
// (`until_ms` is the first instant at which it is lapsed).
// SQL: lease_owner = '' OR lease_until_ms <= now.
bool LeaseIsFreeOrLapsed(const Lease& lease, std::int64_t now_ms);

// Someone drives the op right now: the negation of LeaseIsFreeOrLapsed.
bool LeaseIsLive(const Lease& lease, std::int64_t now_ms);

// --- Begin ---------------------------------------------------------------

// A record Begin inserts (its op_id was free) is leased to the caller unless
// it is recorded already settled: a settled op is driven by nobody.
bool NewRecordIsLeased(OpState state);

// What Begin does when an op with the requested op_id is already stored.
enum class BeginOnExisting {
  kRefuseOtherRequest,  // another request under this op_id: kAlreadyExists, nothing changes
  kReturnStored,        // settled, or driven under a live lease: returned as stored, not leased
  kTakeLease,           // unfinished with a free or lapsed lease: the caller takes it and resumes
};
BeginOnExisting DecideBeginOnExisting(OpState stored_state, std::string_view stored_fingerprint,
                                      std::string_view requested_fingerprint,
                                      const Lease& stored_lease, std::int64_t now_ms);

// --- Fencing -------------------------------------------------------------

// The writer's fence is the stored lease: it names the same, non-empty owner
// and the same generation. A claim bumps the generation, so a driver whose
// lease lapsed and was taken is fenced out even under the same owner id.
// SQL: lease_owner = :owner AND lease_owner <> '' AND lease_generation = :generation.
bool FenceHolds(const Lease& stored, const Lease& writer);

// The writes a lease holder makes to an op it drives.
enum class FencedWrite {
  kUpdate,   // Journal::Update: the op's outcome
  kRenew,    // Journal::RenewLease
  kRelease,  // Journal::Release
};

enum class FencedWriteVerdict {
  kAllowed,
  kFencedOut,       // the writer does not hold the lease (any more): kFailedPrecondition
  kAlreadySettled,  // a lease on a settled op is never extended: kFailedPrecondition
};
FencedWriteVerdict DecideFencedWrite(FencedWrite write, OpState stored_state, const Lease& stored,
                                     const Lease& writer);

// An Update that records this state releases the lease (owner "", until 0,
// generation kept): a settled op is driven by nobody.
bool UpdateReleasesLease(OpState new_state);

// --- Claims --------------------------------------------------------------

// ClaimUnfinished may take the op at `now_ms` under `filter`: unfinished,
// not waiting for a person, its lease free or lapsed, and an unknown op only
// when the filter takes those and it was last written long enough ago.
// SQL: state IN ('in_flight', 'unknown') AND needs_review = 0 AND <lease
// free or lapsed> AND (state = 'in_flight' OR (:include_unknown AND
// (:max_unknown_updated_ms = 0 OR updated_ms <= :max_unknown_updated_ms))).
bool MayClaim(OpState state, bool needs_review, const Lease& lease, std::int64_t updated_ms,
              const ClaimFilter& filter, std::int64_t now_ms);

// --- Adoption (the webhook heal) -----------------------------------------

// Only an op still waiting for its outcome (in_flight or unknown) may be
// settled by an adoption; a settled op keeps its own answer.
// SQL (the candidates' pre-filter): state IN ('in_flight', 'unknown').
bool StateMayBeAdopted(OpState state);

enum class AdoptionVerdict {
  kAdopt,
  kNotUnfinished,           // succeeded or failed already
  kNoMatch,                 // neither its natural key nor its resource id is the adoption's
  kResourceHeldElsewhere,   // matched by natural key alone, and another op holds the resource
  kNotACreatingKind,        // its kind does not create the resource (an update, a check)
  kNeverSent,               // first_sent_ms 0: it cannot have created anything
  kFirstSentAfterCreation,  // first sent after the resource existed: it did not create it
};
// Whether `adoption` settles `candidate` (the rules listed at Adoption in
// idem/journal.h). `resource_held_elsewhere`: an op that is not a candidate
// already holds adoption.resource_id as its settled result.
AdoptionVerdict DecideAdoption(const Operation& candidate, const Adoption& adoption,
                               bool resource_held_elsewhere);

// --- A person's verdict --------------------------------------------------

enum class ResolutionVerdict {
  kAllowed,
  kNotFound,        // no such op
  kAlreadySettled,  // succeeded or failed: kAlreadyExists
  kStillDriven,     // in_flight: a driver still has ways to settle it (kFailedPrecondition)
  kLiveLease,       // unknown, but someone holds a live lease on it now (kFailedPrecondition)
};
// Whether Journal::ResolveUnknown may apply a verdict to an op stored in
// `state` (nullptr: no such op) with `lease`, at `now_ms`.
ResolutionVerdict DecideResolution(const OpState* state, const Lease& lease, std::int64_t now_ms);

// --- A dead owner's leases -----------------------------------------------

// ReleaseLeasesOfDeadOwners releases a lease before it lapses only when it
// is live (a lapsed or free one anyone may take already) and the process
// behind its owner is provably gone. `owner_is_provably_dead` (it reads
// /proc) is asked only about the owner of a live lease.
bool MayReleaseEarly(const Lease& lease, std::int64_t now_ms,
                     bool (*owner_is_provably_dead)(std::string_view owner));

}  // namespace idem::journal

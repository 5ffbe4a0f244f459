// The journal's rules (journal/rules.h) as pure functions: every case of
// each, table-driven. journal_rules_conformance_test.cc runs tables like
// these through each backend as well.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "journal/rules.h"

namespace idem::journal {
namespace {

constexpr std::int64_t kNow = 1'000'000;

// Leases relative to kNow.
const Lease kFree{"", 0, 1};
const Lease kFreeWithStaleTime{"", kNow + 5000, 1};  // released: the time left behind is moot
const Lease kLive{"a", kNow + 1, 1};
const Lease kLapsedJustNow{"a", kNow, 1};  // until is the first lapsed instant
const Lease kLapsedLongAgo{"a", kNow - 5000, 1};

TEST(JournalRules, LeaseIsFreeOrLapsed) {
  struct Case {
    const char* name;
    Lease lease;
    bool free_or_lapsed;
  } cases[] = {
      {"nobody holds it", kFree, true},
      {"nobody holds it, a time left behind", kFreeWithStaleTime, true},
      {"held, one ms left", kLive, false},
      {"held, lapsed at this instant", kLapsedJustNow, true},
      {"held, lapsed long ago", kLapsedLongAgo, true},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(LeaseIsFreeOrLapsed(c.lease, kNow), c.free_or_lapsed) << c.name;
    EXPECT_EQ(LeaseIsLive(c.lease, kNow), !c.free_or_lapsed) << c.name;
  }
}

TEST(JournalRules, LeaseOfViewsTheOpsLease) {
  Operation op;
  op.lease_owner = "w";
  op.lease_until_ms = 7;
  op.lease_generation = 3;
  const Lease lease = LeaseOf(op);
  EXPECT_EQ(lease.owner, "w");
  EXPECT_EQ(lease.until_ms, 7);
  EXPECT_EQ(lease.generation, 3);
}

TEST(JournalRules, ANewRecordIsLeasedUnlessRecordedSettled) {
  EXPECT_TRUE(NewRecordIsLeased(OpState::kInFlight));
  EXPECT_TRUE(NewRecordIsLeased(OpState::kUnknown));
  EXPECT_FALSE(NewRecordIsLeased(OpState::kSucceeded));
  EXPECT_FALSE(NewRecordIsLeased(OpState::kFailed));
}

TEST(JournalRules, BeginOnAnExistingOp) {
  using B = BeginOnExisting;
  struct Case {
    OpState state;
    Lease lease;
    bool same_request;
    B expected;
  } cases[] = {
      // Another request under the op_id is refused whatever the op's state or lease.
      {OpState::kInFlight, kFree, false, B::kRefuseOtherRequest},
      {OpState::kInFlight, kLive, false, B::kRefuseOtherRequest},
      {OpState::kUnknown, kLapsedJustNow, false, B::kRefuseOtherRequest},
      {OpState::kSucceeded, kFree, false, B::kRefuseOtherRequest},
      {OpState::kFailed, kFree, false, B::kRefuseOtherRequest},
      // The same request: resumed when unfinished and nobody drives it.
      {OpState::kInFlight, kFree, true, B::kTakeLease},
      {OpState::kInFlight, kFreeWithStaleTime, true, B::kTakeLease},
      {OpState::kInFlight, kLapsedJustNow, true, B::kTakeLease},
      {OpState::kInFlight, kLapsedLongAgo, true, B::kTakeLease},
      {OpState::kUnknown, kFree, true, B::kTakeLease},
      {OpState::kUnknown, kLapsedJustNow, true, B::kTakeLease},
      // ... returned as stored when someone drives it now,
      {OpState::kInFlight, kLive, true, B::kReturnStored},
      {OpState::kUnknown, kLive, true, B::kReturnStored},
      // ... or when it is settled, whatever its lease says.
      {OpState::kSucceeded, kFree, true, B::kReturnStored},
      {OpState::kSucceeded, kLapsedJustNow, true, B::kReturnStored},
      {OpState::kFailed, kFree, true, B::kReturnStored},
      {OpState::kFailed, kLive, true, B::kReturnStored},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(DecideBeginOnExisting(c.state, "fp", c.same_request ? "fp" : "other", c.lease, kNow),
              c.expected)
        << OpStateName(c.state) << " owner '" << c.lease.owner << "' until " << c.lease.until_ms
        << (c.same_request ? " same request" : " other request");
  }
}

TEST(JournalRules, FenceHolds) {
  struct Case {
    const char* name;
    Lease stored;
    Lease writer;
    bool holds;
  } cases[] = {
      {"same owner, same generation", {"a", kNow, 2}, {"a", 0, 2}, true},
      {"the until time is not part of the fence", {"a", kNow - 5000, 2}, {"a", kNow + 9, 2}, true},
      {"same owner, older generation (lapsed, claimed again)", {"a", kNow, 3}, {"a", 0, 2}, false},
      {"same owner, newer generation", {"a", kNow, 2}, {"a", 0, 3}, false},
      {"another owner", {"b", kNow, 2}, {"a", 0, 2}, false},
      {"released: nobody holds it", {"", 0, 2}, {"a", 0, 2}, false},
      {"a writer without an owner never holds a free lease", {"", 0, 2}, {"", 0, 2}, false},
  };
  for (const Case& c : cases) EXPECT_EQ(FenceHolds(c.stored, c.writer), c.holds) << c.name;
}

TEST(JournalRules, FencedWrites) {
  using V = FencedWriteVerdict;
  const Lease held{"a", kNow + 10, 2};
  const Lease holder{"a", 0, 2};
  const Lease stale{"a", 0, 1};
  struct Case {
    FencedWrite write;
    OpState state;
    Lease writer;
    V expected;
  } cases[] = {
      {FencedWrite::kUpdate, OpState::kInFlight, holder, V::kAllowed},
      {FencedWrite::kUpdate, OpState::kUnknown, holder, V::kAllowed},
      {FencedWrite::kUpdate, OpState::kSucceeded, holder, V::kAllowed},
      {FencedWrite::kUpdate, OpState::kInFlight, stale, V::kFencedOut},
      {FencedWrite::kRelease, OpState::kInFlight, holder, V::kAllowed},
      {FencedWrite::kRelease, OpState::kFailed, holder, V::kAllowed},
      {FencedWrite::kRelease, OpState::kUnknown, stale, V::kFencedOut},
      {FencedWrite::kRenew, OpState::kInFlight, holder, V::kAllowed},
      {FencedWrite::kRenew, OpState::kUnknown, holder, V::kAllowed},
      {FencedWrite::kRenew, OpState::kSucceeded, holder, V::kAlreadySettled},
      {FencedWrite::kRenew, OpState::kFailed, holder, V::kAlreadySettled},
      // The fence is checked first: a stale writer learns it lost the lease.
      {FencedWrite::kRenew, OpState::kSucceeded, stale, V::kFencedOut},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(DecideFencedWrite(c.write, c.state, held, c.writer), c.expected)
        << static_cast<int>(c.write) << " " << OpStateName(c.state) << " gen "
        << c.writer.generation;
  }
}

TEST(JournalRules, OnlyASettlingUpdateReleasesTheLease) {
  EXPECT_FALSE(UpdateReleasesLease(OpState::kInFlight));
  EXPECT_FALSE(UpdateReleasesLease(OpState::kUnknown));
  EXPECT_TRUE(UpdateReleasesLease(OpState::kSucceeded));
  EXPECT_TRUE(UpdateReleasesLease(OpState::kFailed));
}

TEST(JournalRules, MayClaim) {
  const ClaimFilter every{};
  const ClaimFilter in_flight_only{false, 0};
  const ClaimFilter given_up_by_900k{true, 900'000};
  struct Case {
    const char* name;
    OpState state;
    bool needs_review;
    Lease lease;
    std::int64_t updated_ms;
    ClaimFilter filter;
    bool claimable;
  } cases[] = {
      {"in_flight, free", OpState::kInFlight, false, kFree, kNow, every, true},
      {"in_flight, lapsed now", OpState::kInFlight, false, kLapsedJustNow, kNow, every, true},
      {"in_flight, live", OpState::kInFlight, false, kLive, kNow, every, false},
      {"in_flight, for review", OpState::kInFlight, true, kFree, kNow, every, false},
      {"in_flight, in_flight only", OpState::kInFlight, false, kFree, kNow, in_flight_only, true},
      {"in_flight ignores the unknown cutoff", OpState::kInFlight, false, kFree, kNow,
       given_up_by_900k, true},
      {"unknown, free", OpState::kUnknown, false, kFree, kNow, every, true},
      {"unknown, lapsed long ago", OpState::kUnknown, false, kLapsedLongAgo, kNow, every, true},
      {"unknown, live", OpState::kUnknown, false, kLive, 0, every, false},
      {"unknown, for review", OpState::kUnknown, true, kFree, 0, every, false},
      {"unknown, in_flight only", OpState::kUnknown, false, kFree, 0, in_flight_only, false},
      {"unknown, given up before the cutoff", OpState::kUnknown, false, kFree, 899'999,
       given_up_by_900k, true},
      {"unknown, given up at the cutoff", OpState::kUnknown, false, kFree, 900'000,
       given_up_by_900k, true},
      {"unknown, given up after the cutoff", OpState::kUnknown, false, kFree, 900'001,
       given_up_by_900k, false},
      {"succeeded", OpState::kSucceeded, false, kFree, 0, every, false},
      {"failed", OpState::kFailed, false, kLapsedLongAgo, 0, every, false},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(MayClaim(c.state, c.needs_review, c.lease, c.updated_ms, c.filter, kNow), c.claimable)
        << c.name;
  }
}

Adoption SessionAdoption() {
  Adoption adoption;
  adoption.natural_key = "nk";
  adoption.resource_id = "sess-1";
  adoption.kinds = {"create_session"};
  adoption.first_sent_not_after_ms = kNow;
  return adoption;
}

Operation Candidate(OpState state, const std::string& natural_key, const std::string& resource_id,
                    const std::string& kind, std::int64_t first_sent_ms) {
  Operation op;
  op.op_id = "op";
  op.state = state;
  op.natural_key = natural_key;
  op.resource_id = resource_id;
  op.kind = kind;
  op.first_sent_ms = first_sent_ms;
  return op;
}

TEST(JournalRules, StatesThatMayBeAdopted) {
  EXPECT_TRUE(StateMayBeAdopted(OpState::kInFlight));
  EXPECT_TRUE(StateMayBeAdopted(OpState::kUnknown));
  EXPECT_FALSE(StateMayBeAdopted(OpState::kSucceeded));
  EXPECT_FALSE(StateMayBeAdopted(OpState::kFailed));
}

TEST(JournalRules, DecideAdoption) {
  using V = AdoptionVerdict;
  const char* create = "create_session";
  struct Case {
    const char* name;
    Operation candidate;
    Adoption adoption;
    bool held_elsewhere;
    V expected;
  };
  Adoption by_key_only = SessionAdoption();
  by_key_only.resource_id.clear();
  Adoption by_resource_only = SessionAdoption();
  by_resource_only.natural_key.clear();
  const std::vector<Case> cases = {
      {"in_flight, by key", Candidate(OpState::kInFlight, "nk", "", create, kNow - 1),
       SessionAdoption(), false, V::kAdopt},
      {"unknown, by key", Candidate(OpState::kUnknown, "nk", "", create, kNow - 1),
       SessionAdoption(), false, V::kAdopt},
      {"sent at the bound", Candidate(OpState::kInFlight, "nk", "", create, kNow),
       SessionAdoption(), false, V::kAdopt},
      {"succeeded", Candidate(OpState::kSucceeded, "nk", "", create, kNow - 1), SessionAdoption(),
       false, V::kNotUnfinished},
      {"failed", Candidate(OpState::kFailed, "nk", "sess-1", create, kNow - 1), SessionAdoption(),
       false, V::kNotUnfinished},
      {"another key", Candidate(OpState::kInFlight, "nk2", "", create, kNow - 1), SessionAdoption(),
       false, V::kNoMatch},
      {"empty keys match nothing", Candidate(OpState::kInFlight, "", "", create, kNow - 1),
       by_key_only, false, V::kNoMatch},
      {"an empty resource id matches nothing", Candidate(OpState::kInFlight, "nk", "", create, 1),
       by_resource_only, false, V::kNoMatch},
      {"by key, the session held by another op",
       Candidate(OpState::kInFlight, "nk", "", create, kNow - 1), SessionAdoption(), true,
       V::kResourceHeldElsewhere},
      {"by resource id, held elsewhere does not matter",
       Candidate(OpState::kUnknown, "", "sess-1", create, kNow - 1), SessionAdoption(), true,
       V::kAdopt},
      {"by key alone, nothing held", Candidate(OpState::kInFlight, "nk", "", create, kNow - 1),
       by_key_only, false, V::kAdopt},
      {"an update naming the session",
       Candidate(OpState::kInFlight, "nk", "sess-1", "update_status", kNow - 1), SessionAdoption(),
       false, V::kNotACreatingKind},
      {"never sent", Candidate(OpState::kInFlight, "nk", "", create, 0), SessionAdoption(), false,
       V::kNeverSent},
      {"first sent after the session existed",
       Candidate(OpState::kInFlight, "nk", "", create, kNow + 1), SessionAdoption(), false,
       V::kFirstSentAfterCreation},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(DecideAdoption(c.candidate, c.adoption, c.held_elsewhere), c.expected) << c.name;
  }
}

TEST(JournalRules, DecideResolution) {
  using V = ResolutionVerdict;
  struct Case {
    const char* name;
    bool exists;
    OpState state;
    Lease lease;
    V expected;
  } cases[] = {
      {"no op", false, OpState::kUnknown, kFree, V::kNotFound},
      {"succeeded", true, OpState::kSucceeded, kFree, V::kAlreadySettled},
      {"failed", true, OpState::kFailed, kFree, V::kAlreadySettled},
      {"in_flight, free", true, OpState::kInFlight, kFree, V::kStillDriven},
      {"in_flight, live", true, OpState::kInFlight, kLive, V::kStillDriven},
      {"unknown, live", true, OpState::kUnknown, kLive, V::kLiveLease},
      {"unknown, lapsed now", true, OpState::kUnknown, kLapsedJustNow, V::kAllowed},
      {"unknown, free", true, OpState::kUnknown, kFree, V::kAllowed},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(DecideResolution(c.exists ? &c.state : nullptr, c.lease, kNow), c.expected) << c.name;
  }
}

// The owners the dead-owner check was asked about (it reads /proc, so it must
// not be asked about leases that do not need it).
std::vector<std::string> asked_about;
bool DeadUnlessNamedAlive(std::string_view owner) {
  asked_about.emplace_back(owner);
  return owner != "alive";
}

TEST(JournalRules, MayReleaseEarly) {
  struct Case {
    const char* name;
    Lease lease;
    bool release;
    bool owner_checked;
  } cases[] = {
      {"live, owner dead", {"dead", kNow + 1, 1}, true, true},
      {"live, owner alive", {"alive", kNow + 1, 1}, false, true},
      {"lapsed: anyone may take it already", {"dead", kNow, 1}, false, false},
      {"free", {"", 0, 1}, false, false},
  };
  for (const Case& c : cases) {
    asked_about.clear();
    EXPECT_EQ(MayReleaseEarly(c.lease, kNow, DeadUnlessNamedAlive), c.release) << c.name;
    EXPECT_EQ(asked_about.size(), c.owner_checked ? 1u : 0u) << c.name;
  }
}

}  // namespace
}  // namespace idem::journal

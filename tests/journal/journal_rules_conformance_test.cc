// The journal's rules (journal/rules.h) through the backend under test: the
// SQLite journal in journal_test, the PostgreSQL one in postgres_journal_test.
// Parts of the rules also run inside SQL, for atomicity: a claim's WHERE
// clause, the fence of Update/RenewLease/Release, the states an adoption's
// candidates are read in. Each test stores ops in every shape a table names,
// asks the pure function what must happen to each (from the op as stored),
// has the backend do it, and fails where the two disagree, so the SQL cannot
// drift from the function unnoticed.
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "idem/journal.h"
#include "journal/rules.h"
#include "journal_test_util.h"
#include "testing/fake_clock.h"

namespace idem {
namespace {

using journal::LeaseOf;
using std::chrono::milliseconds;
using testing::MakeOp;

constexpr milliseconds kLease{30000};
constexpr OpState kUnfinishedStates[] = {OpState::kInFlight, OpState::kUnknown};
constexpr OpState kSettledStates[] = {OpState::kSucceeded, OpState::kFailed};

// How an op's lease is stored when a case starts.
enum class LeaseShape {
  kLive,    // held by "holder", a whole lease left
  kLapsed,  // held by "holder", lapsed at this very instant
  kFree,    // released (every settled op is)
};

const char* ShapeName(LeaseShape shape) {
  switch (shape) {
    case LeaseShape::kLive:
      return "live";
    case LeaseShape::kLapsed:
      return "lapsed";
    case LeaseShape::kFree:
      return "free";
  }
  return "?";
}

class JournalRulesConformance : public ::testing::Test {
 protected:
  void SetUp() override {
    clock_ = std::make_shared<testing::FakeClock>();
    JournalOptions options;
    options.clock = clock_;
    auto opened = testing::OpenJournalUnderTest(dir_, options);
    ASSERT_TRUE(opened) << opened.error().ToString();
    journal_ = std::move(*opened);
  }

  std::int64_t NowMs() const { return ToUnixMillis(clock_->Now()); }

  Operation MustGet(const std::string& op_id) {
    auto got = journal_->Get(op_id);
    EXPECT_TRUE(got && *got) << op_id;
    return got && *got ? **got : Operation{};
  }

  // Stores `op` (by "holder") and brings it to `state` with its lease held
  // or released: a lapsed shape is made by storing it live and advancing the
  // clock a whole lease before the case is decided (LapseTheLeases).
  Operation Store(Operation op, OpState state, LeaseShape shape) {
    auto begun = journal_->Begin(op, "holder", kLease);
    EXPECT_TRUE(begun) << begun.error().ToString();
    if (!begun) return {};
    Operation stored = begun->op;
    if (state != OpState::kInFlight) {
      stored.state = state;  // a settled state releases the lease
      EXPECT_TRUE(journal_->Update(stored)) << stored.op_id;
    }
    if (shape == LeaseShape::kFree && !IsFinal(state)) {
      EXPECT_TRUE(journal_->Release(stored)) << stored.op_id;
    }
    return MustGet(op.op_id);
  }

  void LapseTheLeases() { clock_->Advance(kLease); }

  // The op is stored in the shape its case names (else the case tests nothing).
  void ExpectShape(const Operation& op, LeaseShape shape) {
    const journal::Lease lease = LeaseOf(op);
    switch (shape) {
      case LeaseShape::kLive:
        EXPECT_TRUE(journal::LeaseIsLive(lease, NowMs())) << op.op_id;
        break;
      case LeaseShape::kLapsed:
        EXPECT_EQ(op.lease_owner, "holder") << op.op_id;
        EXPECT_EQ(op.lease_until_ms, NowMs()) << op.op_id;
        break;
      case LeaseShape::kFree:
        EXPECT_EQ(op.lease_owner, "") << op.op_id;
        break;
    }
  }

  testing::TempDir dir_;
  std::shared_ptr<testing::FakeClock> clock_;
  std::unique_ptr<Journal> journal_;
};

struct StoredCase {
  std::string op_id;
  OpState state;
  LeaseShape shape;
};

// Every unfinished state in every lease shape, and every settled state
// (released), each under its own op_id starting with `prefix`.
std::vector<StoredCase> EveryStoredShape(const std::string& prefix) {
  std::vector<StoredCase> cases;
  for (OpState state : kUnfinishedStates) {
    for (LeaseShape shape : {LeaseShape::kLive, LeaseShape::kLapsed, LeaseShape::kFree}) {
      cases.push_back(
          {prefix + std::string(OpStateName(state)) + "-" + ShapeName(shape), state, shape});
    }
  }
  for (OpState state : kSettledStates) {
    cases.push_back({prefix + std::string(OpStateName(state)), state, LeaseShape::kFree});
  }
  return cases;
}

TEST_F(JournalRulesConformance, BeginCreatesALeasedRecordUnlessItIsRecordedSettled) {
  for (OpState state :
       {OpState::kInFlight, OpState::kUnknown, OpState::kSucceeded, OpState::kFailed}) {
    Operation op = MakeOp("new-" + std::string(OpStateName(state)));
    op.state = state;
    auto begun = journal_->Begin(op, "requester", kLease);
    ASSERT_TRUE(begun) << begun.error().ToString();
    EXPECT_TRUE(begun->created);
    const bool leased = journal::NewRecordIsLeased(state);
    EXPECT_EQ(begun->leased, leased) << op.op_id;
    EXPECT_EQ(MustGet(op.op_id).lease_owner, leased ? "requester" : "") << op.op_id;
  }
}

TEST_F(JournalRulesConformance, BeginOnAnExistingOpDoesWhatTheRuleSays) {
  const std::vector<StoredCase> stored_cases = EveryStoredShape("begin-");
  std::map<std::string, Operation> stored;
  for (const StoredCase& c : stored_cases) {
    if (c.shape == LeaseShape::kLapsed) stored[c.op_id] = Store(MakeOp(c.op_id), c.state, c.shape);
  }
  LapseTheLeases();
  for (const StoredCase& c : stored_cases) {
    if (c.shape != LeaseShape::kLapsed) stored[c.op_id] = Store(MakeOp(c.op_id), c.state, c.shape);
  }

  std::set<journal::BeginOnExisting> seen;
  for (const StoredCase& c : stored_cases) {
    // Another request first: it changes nothing, so the same request then
    // meets the op in its case's shape too.
    for (const bool same_request : {false, true}) {
      SCOPED_TRACE(c.op_id + (same_request ? ", same request" : ", another request"));
      const Operation before = MustGet(c.op_id);
      ExpectShape(before, c.shape);
      const Operation request =
          same_request ? MakeOp(c.op_id) : MakeOp(c.op_id, R"({"another":"request"})");
      const journal::BeginOnExisting rule = journal::DecideBeginOnExisting(
          before.state, before.fingerprint, request.fingerprint, LeaseOf(before), NowMs());
      seen.insert(rule);

      auto begun = journal_->Begin(request, "requester", kLease);
      switch (rule) {
        case journal::BeginOnExisting::kRefuseOtherRequest:
          ASSERT_FALSE(begun);
          EXPECT_EQ(begun.error().code(), ErrorCode::kAlreadyExists);
          EXPECT_EQ(MustGet(c.op_id).lease_generation, before.lease_generation);
          break;
        case journal::BeginOnExisting::kReturnStored:
          ASSERT_TRUE(begun) << begun.error().ToString();
          EXPECT_FALSE(begun->created);
          EXPECT_FALSE(begun->leased);
          EXPECT_EQ(begun->op.lease_owner, before.lease_owner);
          EXPECT_EQ(MustGet(c.op_id).lease_generation, before.lease_generation);
          break;
        case journal::BeginOnExisting::kTakeLease:
          ASSERT_TRUE(begun) << begun.error().ToString();
          EXPECT_FALSE(begun->created);
          EXPECT_TRUE(begun->leased);
          EXPECT_EQ(MustGet(c.op_id).lease_owner, "requester");
          EXPECT_EQ(MustGet(c.op_id).lease_generation, before.lease_generation + 1);
          break;
      }
    }
  }
  EXPECT_EQ(seen.size(), 3u) << "the table reaches every outcome of the rule";
}

TEST_F(JournalRulesConformance, FencedWritesSucceedExactlyWhenTheRuleAllowsThem) {
  struct Writer {
    const char* owner;
    std::int64_t generation;
  };
  const Writer writers[] = {{"holder", 1}, {"holder", 2}, {"holder", 0}, {"other", 1}, {"", 1}};
  const journal::FencedWrite writes[] = {
      journal::FencedWrite::kUpdate, journal::FencedWrite::kRenew, journal::FencedWrite::kRelease};
  std::set<journal::FencedWriteVerdict> seen;
  int n = 0;
  for (const StoredCase& c : EveryStoredShape("fence-")) {
    if (c.shape == LeaseShape::kLapsed) continue;  // the fence does not read the time
    for (const Writer& w : writers) {
      for (journal::FencedWrite write : writes) {
        const std::string op_id = c.op_id + "-" + std::to_string(n++);
        SCOPED_TRACE(op_id + " writer " + w.owner + "/" + std::to_string(w.generation) + " write " +
                     std::to_string(static_cast<int>(write)));
        const Operation before = Store(MakeOp(op_id), c.state, c.shape);
        ExpectShape(before, c.shape);
        Operation mine = before;
        mine.lease_owner = w.owner;
        mine.lease_generation = w.generation;
        const journal::FencedWriteVerdict rule =
            journal::DecideFencedWrite(write, before.state, LeaseOf(before), LeaseOf(mine));
        seen.insert(rule);

        Status done;
        switch (write) {
          case journal::FencedWrite::kUpdate:
            mine.attempts = before.attempts + 1;
            done = journal_->Update(mine);
            break;
          case journal::FencedWrite::kRenew:
            done = journal_->RenewLease(mine, kLease * 2);
            break;
          case journal::FencedWrite::kRelease:
            done = journal_->Release(mine);
            break;
        }
        const Operation after = MustGet(op_id);
        if (rule == journal::FencedWriteVerdict::kAllowed) {
          EXPECT_TRUE(done) << done.error().ToString();
        } else {
          ASSERT_FALSE(done);
          EXPECT_EQ(done.error().code(), ErrorCode::kFailedPrecondition);
          EXPECT_EQ(after.attempts, before.attempts);
          EXPECT_EQ(after.lease_owner, before.lease_owner);
          EXPECT_EQ(after.lease_until_ms, before.lease_until_ms);
          EXPECT_EQ(after.lease_generation, before.lease_generation);
        }
      }
    }
  }
  EXPECT_TRUE(seen.count(journal::FencedWriteVerdict::kAllowed));
  EXPECT_TRUE(seen.count(journal::FencedWriteVerdict::kFencedOut));
}

TEST_F(JournalRulesConformance, AnUpdateReleasesTheLeaseExactlyWhenTheRuleSays) {
  for (OpState state :
       {OpState::kInFlight, OpState::kUnknown, OpState::kSucceeded, OpState::kFailed}) {
    const std::string op_id = "update-to-" + std::string(OpStateName(state));
    Operation op = Store(MakeOp(op_id), OpState::kInFlight, LeaseShape::kLive);
    op.state = state;
    ASSERT_TRUE(journal_->Update(op)) << op_id;
    EXPECT_EQ(MustGet(op_id).lease_owner, journal::UpdateReleasesLease(state) ? "" : "holder")
        << op_id;
  }
}

TEST_F(JournalRulesConformance, ClaimsTakeExactlyTheOpsTheRuleAllows) {
  struct Round {
    const char* name;
    bool include_unknown;
    bool cutoff_at_first_store;  // max_unknown_updated_ms = when the first ops were stored
  } rounds[] = {
      {"every", true, false},
      {"in-flight-only", false, false},
      {"given-up-long-enough", true, true},
  };
  for (const Round& round : rounds) {
    SCOPED_TRACE(round.name);
    const std::string prefix = std::string(round.name) + "-";
    const std::int64_t first_store_ms = NowMs();
    // The lapsed ones, and unknown ops given up now (before the cutoff).
    std::vector<StoredCase> later;
    for (const StoredCase& c : EveryStoredShape(prefix)) {
      if (c.shape == LeaseShape::kLapsed) {
        Store(MakeOp(c.op_id), c.state, c.shape);
      } else {
        later.push_back(c);
      }
    }
    Store(MakeOp(prefix + "unknown-given-up-early"), OpState::kUnknown, LeaseShape::kFree);
    LapseTheLeases();
    for (const StoredCase& c : later) Store(MakeOp(c.op_id), c.state, c.shape);
    Operation review =
        Store(MakeOp(prefix + "unknown-for-review"), OpState::kUnknown, LeaseShape::kLive);
    review.needs_review = true;
    ASSERT_TRUE(journal_->Update(review));
    ASSERT_TRUE(journal_->Release(review));

    ClaimFilter filter;
    filter.include_unknown = round.include_unknown;
    filter.max_unknown_updated_ms = round.cutoff_at_first_store ? first_store_ms : 0;
    // Every op in the journal, earlier rounds' included: the rule judges
    // each as it is stored now.
    auto every = journal_->List(OpFilter{});
    ASSERT_TRUE(every) << every.error().ToString();
    std::set<std::string> allowed;
    for (const Operation& op : *every) {
      if (journal::MayClaim(op.state, op.needs_review, LeaseOf(op), op.updated_ms, filter,
                            NowMs())) {
        allowed.insert(op.op_id);
      }
    }
    auto claimed = journal_->ClaimUnfinished("claimer", kLease, 0, filter);
    ASSERT_TRUE(claimed) << claimed.error().ToString();
    std::set<std::string> taken;
    for (const Operation& op : *claimed) taken.insert(op.op_id);
    EXPECT_EQ(taken, allowed);
    EXPECT_FALSE(allowed.empty());
    EXPECT_LT(allowed.size(), every->size()) << "the table has ops the rule keeps out";
  }
}

TEST_F(JournalRulesConformance, AdoptionSettlesExactlyTheOpsTheRuleAllows) {
  const std::int64_t created_ms = NowMs();
  struct Sent {
    const char* name;
    std::int64_t first_sent_ms;
  } const sents[] = {
      {"sent-before", created_ms - 1000}, {"never-sent", 0}, {"sent-after", created_ms + 1}};
  struct Case {
    std::string op_id;
    Adoption adoption;
    bool resource_held_elsewhere;
  };
  auto adoption_of = [&](const std::string& natural_key, const std::string& resource_id) {
    Adoption adoption;
    adoption.natural_key = natural_key;
    adoption.resource_id = resource_id;
    adoption.kinds = {"create_session"};
    adoption.first_sent_not_after_ms = created_ms;
    adoption.response_body = R"({"session_id":")" + resource_id + R"("})";
    adoption.audit_line = "conformance";
    return adoption;
  };
  std::vector<Case> cases;
  for (OpState state :
       {OpState::kInFlight, OpState::kUnknown, OpState::kSucceeded, OpState::kFailed}) {
    for (const Sent& sent : sents) {
      for (const char* kind : {"create_session", "update_status"}) {
        const std::string id =
            std::string(OpStateName(state)) + "-" + sent.name + "-" + std::string(kind);
        Operation op = MakeOp(id, R"({"n":")" + id + R"("})", "nk-" + id);
        op.kind = kind;
        op.first_sent_ms = sent.first_sent_ms;
        Store(op, state, LeaseShape::kLive);
        cases.push_back({id, adoption_of("nk-" + id, "sess-" + id), false});
      }
    }
  }
  // The session is another op's settled result: a match by natural key alone
  // is not adopted, a match by resource id is.
  Operation owner = MakeOp("holds-session", R"({"n":"holds"})", "nk-held");
  owner.kind = "create_session";
  owner.first_sent_ms = created_ms - 1000;
  owner = Store(owner, OpState::kInFlight, LeaseShape::kLive);
  owner.state = OpState::kSucceeded;
  owner.resource_id = "sess-held";
  ASSERT_TRUE(journal_->Update(owner));
  for (const char* id : {"by-key-held-elsewhere", "by-resource-id"}) {
    const bool by_key = std::string(id) == "by-key-held-elsewhere";
    Operation op = MakeOp(id, R"({"n":")" + std::string(id) + R"("})", by_key ? "nk-held" : "");
    op.kind = "create_session";
    op.first_sent_ms = created_ms - 1000;
    op.resource_id = by_key ? "" : "sess-r";
    Store(op, OpState::kInFlight, LeaseShape::kLive);
    cases.push_back(
        {id, by_key ? adoption_of("nk-held", "sess-held") : adoption_of("", "sess-r"), by_key});
  }

  std::set<journal::AdoptionVerdict> seen;
  for (const Case& c : cases) {
    SCOPED_TRACE(c.op_id);
    const Operation before = MustGet(c.op_id);
    const journal::AdoptionVerdict rule =
        journal::DecideAdoption(before, c.adoption, c.resource_held_elsewhere);
    seen.insert(rule);
    auto settled = journal_->AdoptResource(c.adoption);
    ASSERT_TRUE(settled) << settled.error().ToString();
    const Operation after = MustGet(c.op_id);
    if (rule == journal::AdoptionVerdict::kAdopt) {
      ASSERT_EQ(settled->size(), 1u);
      EXPECT_EQ(settled->front().op_id, c.op_id);
      EXPECT_EQ(after.state, OpState::kSucceeded);
      EXPECT_EQ(after.resource_id, c.adoption.resource_id);
    } else {
      EXPECT_TRUE(settled->empty());
      EXPECT_EQ(after.state, before.state);
      EXPECT_EQ(after.lease_generation, before.lease_generation);
    }
  }
  for (journal::AdoptionVerdict verdict :
       {journal::AdoptionVerdict::kAdopt, journal::AdoptionVerdict::kNotUnfinished,
        journal::AdoptionVerdict::kResourceHeldElsewhere,
        journal::AdoptionVerdict::kNotACreatingKind, journal::AdoptionVerdict::kNeverSent,
        journal::AdoptionVerdict::kFirstSentAfterCreation}) {
    EXPECT_TRUE(seen.count(verdict)) << "no case reaches verdict " << static_cast<int>(verdict);
  }
}

}  // namespace
}  // namespace idem

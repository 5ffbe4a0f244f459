// The journal's semantics: Begin, leases and fencing, state transitions,
// claims, reconciliation helpers and input validation. Time is a FakeClock.
#include "idem/journal.h"

#include <gtest/gtest.h>

#include <cstdlib>

#include "journal_test_util.h"
#include "testing/fake_clock.h"

namespace idem {
namespace {

using std::chrono::milliseconds;
using testing::MakeOp;

constexpr milliseconds kLease{30000};

class JournalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    clock_ = std::make_shared<testing::FakeClock>();
    journal_ = Open();
    ASSERT_NE(journal_, nullptr);
  }

  std::unique_ptr<Journal> Open() {
    JournalOptions options;
    options.clock = clock_;
    // The backend is the test binary's (journal_backend_sqlite.cc, or the
    // PostgreSQL one in postgres_journal_test.cc): one suite, both journals.
    auto journal = testing::OpenJournalUnderTest(dir_, options);
    EXPECT_TRUE(journal.has_value()) << journal.error().ToString();
    return journal ? std::move(*journal) : nullptr;
  }

  std::int64_t NowMs() const { return ToUnixMillis(clock_->Now()); }

  Operation MustBegin(const Operation& op, const std::string& owner = "worker-a") {
    auto begun = journal_->Begin(op, owner, kLease);
    EXPECT_TRUE(begun.has_value()) << begun.error().ToString();
    return begun ? begun->op : Operation{};
  }

  Operation MustGet(const std::string& op_id) {
    auto got = journal_->Get(op_id);
    EXPECT_TRUE(got.has_value() && got->has_value()) << op_id;
    return (got && *got) ? **got : Operation{};
  }

  testing::TempDir dir_;
  std::shared_ptr<testing::FakeClock> clock_;
  std::unique_ptr<Journal> journal_;
};

TEST(OpStateTest, NamesRoundTrip) {
  for (OpState s : {OpState::kInFlight, OpState::kSucceeded, OpState::kFailed, OpState::kUnknown}) {
    EXPECT_EQ(ParseOpState(OpStateName(s)), s);
  }
  EXPECT_EQ(OpStateName(OpState::kInFlight), "in_flight");
  EXPECT_FALSE(ParseOpState("IN_FLIGHT"));
  EXPECT_FALSE(ParseOpState(""));
  EXPECT_TRUE(IsFinal(OpState::kFailed));
  EXPECT_FALSE(IsFinal(OpState::kUnknown));
}

TEST(DefaultJournalPathTest, HonoursIdemJournal) {
  ::setenv("IDEM_JOURNAL", "/var/lib/idem/j.db", 1);
  EXPECT_EQ(DefaultJournalPath(), "/var/lib/idem/j.db");
  ::setenv("IDEM_JOURNAL", "", 1);
  EXPECT_EQ(DefaultJournalPath(), "./idem-journal.db");
  ::unsetenv("IDEM_JOURNAL");
  EXPECT_EQ(DefaultJournalPath(), "./idem-journal.db");
}

TEST_F(JournalTest, BeginStoresEveryFieldAndTakesTheLease) {
  Operation op = MakeOp("op-1", R"({"vendor_data":"u1"})", "u1|wf");
  op.kind = "create_session";
  op.content_type = "application/json";
  auto begun = journal_->Begin(op, "worker-a", kLease);
  ASSERT_TRUE(begun) << begun.error().ToString();
  EXPECT_TRUE(begun->created);
  EXPECT_TRUE(begun->leased);
  EXPECT_EQ(begun->op.lease_owner, "worker-a");
  EXPECT_EQ(begun->op.lease_until_ms, NowMs() + kLease.count());
  EXPECT_EQ(begun->op.lease_generation, 1);
  EXPECT_EQ(begun->op.created_ms, NowMs());

  const Operation stored = MustGet("op-1");
  EXPECT_EQ(stored.idem_key, op.idem_key);
  EXPECT_EQ(stored.kind, "create_session");
  EXPECT_EQ(stored.method, "POST");
  EXPECT_EQ(stored.path, "/v3/session/");
  EXPECT_EQ(stored.content_type, "application/json");
  EXPECT_EQ(stored.body, op.body);
  EXPECT_EQ(stored.fingerprint, op.fingerprint);
  EXPECT_EQ(stored.natural_key, "u1|wf");
  EXPECT_EQ(stored.state, OpState::kInFlight);
  EXPECT_EQ(stored.attempts, 0);
  EXPECT_EQ(stored.first_sent_ms, 0);
  EXPECT_EQ(stored.lease_owner, "worker-a");
  EXPECT_EQ(stored.lease_generation, 1);
}

TEST_F(JournalTest, SameOpIdSameFingerprintReturnsTheStoredOp) {
  const Operation first = MustBegin(MakeOp("op-1"));
  // A re-run makes a new key for the same request: the stored key wins.
  Operation again = MakeOp("op-1");
  ASSERT_NE(again.idem_key, first.idem_key);
  auto begun = journal_->Begin(again, "worker-b", kLease);
  ASSERT_TRUE(begun) << begun.error().ToString();
  EXPECT_FALSE(begun->created);
  EXPECT_FALSE(begun->leased);  // worker-a still holds it
  EXPECT_EQ(begun->op.idem_key, first.idem_key);
  EXPECT_EQ(begun->op.lease_owner, "worker-a");

  // Once the lease lapses, the re-run takes it over to resume the op.
  clock_->Advance(kLease);
  begun = journal_->Begin(again, "worker-b", kLease);
  ASSERT_TRUE(begun);
  EXPECT_FALSE(begun->created);
  EXPECT_TRUE(begun->leased);
  EXPECT_EQ(begun->op.lease_owner, "worker-b");
  EXPECT_EQ(begun->op.lease_generation, 2);
  EXPECT_EQ(begun->op.idem_key, first.idem_key);
}

TEST_F(JournalTest, SameOpIdDifferentFingerprintIsRefusedAndNothingChanges) {
  MustBegin(MakeOp("op-1", R"({"a":1})"));
  const Operation before = MustGet("op-1");
  clock_->Advance(kLease * 2);  // even with the lease lapsed
  auto refused = journal_->Begin(MakeOp("op-1", R"({"a":2})"), "worker-b", kLease);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), ErrorCode::kAlreadyExists);
  const Operation after = MustGet("op-1");
  EXPECT_EQ(after.body, before.body);
  EXPECT_EQ(after.idem_key, before.idem_key);
  EXPECT_EQ(after.lease_owner, "worker-a");
  EXPECT_EQ(after.lease_generation, before.lease_generation);
  EXPECT_EQ(after.updated_ms, before.updated_ms);
}

TEST_F(JournalTest, ACallerSuppliedIdempotencyKeyBelongsToOneOp) {
  Operation first_request = MakeOp("op-1");
  first_request.idem_key = "callers-order-42";
  first_request.idem_key_from_caller = true;
  const Operation first = MustBegin(first_request);
  EXPECT_TRUE(MustGet("op-1").idem_key_from_caller);
  Operation other = MakeOp("op-2");
  other.idem_key = first.idem_key;
  other.idem_key_from_caller = true;
  auto refused = journal_->Begin(other, "worker-a", kLease);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), ErrorCode::kAlreadyExists);
  auto missing = journal_->Get("op-2");
  ASSERT_TRUE(missing);
  EXPECT_FALSE(missing->has_value());
  // A generated key is stored as such, and a retry's Update keeps both.
  EXPECT_FALSE(MustBegin(MakeOp("op-3")).idem_key_from_caller);
  EXPECT_FALSE(MustGet("op-3").idem_key_from_caller);
}

TEST_F(JournalTest, StateTransitionsThroughUnknownToSucceeded) {
  Operation op = MustBegin(MakeOp("op-1"));
  op.attempts = 1;
  op.first_sent_ms = NowMs();
  op.response_status = 503;
  op.response_headers = R"({"retry-after":"1"})";
  op.response_body = "busy";
  op.next_attempt_ms = NowMs() + 1000;
  op.last_error = "http 503";
  ASSERT_TRUE(journal_->Update(op));
  Operation stored = MustGet("op-1");
  EXPECT_EQ(stored.attempts, 1);
  EXPECT_EQ(stored.first_sent_ms, op.first_sent_ms);
  EXPECT_EQ(stored.response_status, 503);
  EXPECT_EQ(stored.response_headers, op.response_headers);
  EXPECT_EQ(stored.response_body, "busy");
  EXPECT_EQ(stored.next_attempt_ms, op.next_attempt_ms);
  EXPECT_EQ(stored.last_error, "http 503");

  // Retries exhausted: unknown keeps the lease until released.
  op.state = OpState::kUnknown;
  op.attempts = 5;
  ASSERT_TRUE(journal_->Update(op));
  EXPECT_EQ(MustGet("op-1").lease_owner, "worker-a");
  ASSERT_TRUE(journal_->Release(op));
  stored = MustGet("op-1");
  EXPECT_EQ(stored.state, OpState::kUnknown);
  EXPECT_EQ(stored.lease_owner, "");

  // Resume: claimed by another process and settled.
  auto claimed = journal_->ClaimUnfinished("resumer", kLease, 10);
  ASSERT_TRUE(claimed);
  ASSERT_EQ(claimed->size(), 1u);
  Operation resumed = claimed->front();
  EXPECT_EQ(resumed.lease_generation, 2);
  resumed.state = OpState::kSucceeded;
  resumed.attempts = 6;
  resumed.response_status = 201;
  resumed.response_body = R"({"session_id":"s1"})";
  resumed.resource_id = "s1";
  ASSERT_TRUE(journal_->Update(resumed));
  stored = MustGet("op-1");
  EXPECT_EQ(stored.state, OpState::kSucceeded);
  EXPECT_EQ(stored.resource_id, "s1");
  EXPECT_EQ(stored.lease_owner, "");  // a final state releases the lease
  EXPECT_EQ(stored.lease_until_ms, 0);

  // Final is final: no claim, no lease, no further update.
  EXPECT_TRUE(journal_->ClaimUnfinished("resumer", kLease, 10)->empty());
  auto begun = journal_->Begin(MakeOp("op-1"), "worker-c", kLease);
  ASSERT_TRUE(begun);
  EXPECT_FALSE(begun->leased);
  EXPECT_EQ(begun->op.state, OpState::kSucceeded);
  resumed.state = OpState::kFailed;
  auto late = journal_->Update(resumed);
  ASSERT_FALSE(late);
  EXPECT_EQ(late.error().code(), ErrorCode::kFailedPrecondition);
  EXPECT_EQ(MustGet("op-1").state, OpState::kSucceeded);
}

TEST_F(JournalTest, FailedIsFinalToo) {
  Operation op = MustBegin(MakeOp("op-1"));
  op.state = OpState::kFailed;
  op.response_status = 422;
  ASSERT_TRUE(journal_->Update(op));
  const Operation stored = MustGet("op-1");
  EXPECT_EQ(stored.state, OpState::kFailed);
  EXPECT_EQ(stored.lease_owner, "");
  clock_->Advance(kLease * 2);
  EXPECT_TRUE(journal_->ClaimUnfinished("resumer", kLease, 0)->empty());
}

TEST_F(JournalTest, LapsedLeaseIsClaimedAndTheStaleOwnerIsFenced) {
  Operation stale = MustBegin(MakeOp("op-1"));
  // Not claimable while the lease holds.
  clock_->Advance(kLease - milliseconds(1));
  EXPECT_TRUE(journal_->ClaimUnfinished("worker-b", kLease, 10)->empty());
  clock_->Advance(milliseconds(1));
  auto claimed = journal_->ClaimUnfinished("worker-b", kLease, 10);
  ASSERT_TRUE(claimed);
  ASSERT_EQ(claimed->size(), 1u);
  Operation fresh = claimed->front();
  EXPECT_EQ(fresh.lease_owner, "worker-b");
  EXPECT_EQ(fresh.lease_generation, stale.lease_generation + 1);

  stale.state = OpState::kSucceeded;
  for (const Status& st :
       {journal_->Update(stale), journal_->RenewLease(stale, kLease), journal_->Release(stale)}) {
    ASSERT_FALSE(st);
    EXPECT_EQ(st.error().code(), ErrorCode::kFailedPrecondition);
  }
  EXPECT_EQ(MustGet("op-1").state, OpState::kInFlight);
  EXPECT_EQ(MustGet("op-1").lease_owner, "worker-b");

  // The same owner name with an old generation is fenced as well.
  Operation same_name_old_generation = fresh;
  same_name_old_generation.lease_generation -= 1;
  EXPECT_FALSE(journal_->Update(same_name_old_generation));

  fresh.state = OpState::kSucceeded;
  EXPECT_TRUE(journal_->Update(fresh));
  EXPECT_EQ(MustGet("op-1").state, OpState::kSucceeded);
}

TEST_F(JournalTest, RenewLeaseKeepsOthersOut) {
  Operation op = MustBegin(MakeOp("op-1"));
  clock_->Advance(milliseconds(20000));
  ASSERT_TRUE(journal_->RenewLease(op, kLease));
  EXPECT_EQ(MustGet("op-1").lease_until_ms, NowMs() + kLease.count());
  clock_->Advance(milliseconds(20000));  // past the first expiry
  EXPECT_TRUE(journal_->ClaimUnfinished("worker-b", kLease, 10)->empty());
  clock_->Advance(milliseconds(10000));
  EXPECT_EQ(journal_->ClaimUnfinished("worker-b", kLease, 10)->size(), 1u);
  auto bad = journal_->RenewLease(op, milliseconds(0));
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code(), ErrorCode::kInvalidArgument);
}

TEST_F(JournalTest, ReleasedOpIsClaimableAtOnce) {
  Operation op = MustBegin(MakeOp("op-1"));
  ASSERT_TRUE(journal_->Release(op));
  auto claimed = journal_->ClaimUnfinished("worker-b", kLease, 10);
  ASSERT_TRUE(claimed);
  ASSERT_EQ(claimed->size(), 1u);
  // Releasing twice: the first release cleared the owner, so the second is fenced.
  EXPECT_FALSE(journal_->Release(op));
}

TEST_F(JournalTest, ClaimUnfinishedTakesOldestFirstUpToMax) {
  for (int i = 0; i < 5; ++i) {
    Operation op = MustBegin(MakeOp("op-" + std::to_string(i)));
    if (i == 1) {
      op.state = OpState::kSucceeded;  // settled: never claimed
      ASSERT_TRUE(journal_->Update(op));
    } else if (i == 3) {
      op.state = OpState::kUnknown;  // unknown: claimed like in_flight
      ASSERT_TRUE(journal_->Update(op));
      ASSERT_TRUE(journal_->Release(op));
    } else {
      ASSERT_TRUE(journal_->Release(op));
    }
    clock_->Advance(milliseconds(10));
  }
  auto first = journal_->ClaimUnfinished("w", kLease, 2);
  ASSERT_TRUE(first);
  ASSERT_EQ(first->size(), 2u);
  EXPECT_EQ((*first)[0].op_id, "op-0");
  EXPECT_EQ((*first)[1].op_id, "op-2");
  auto rest = journal_->ClaimUnfinished("w", kLease, 0);  // 0: all
  ASSERT_TRUE(rest);
  ASSERT_EQ(rest->size(), 2u);
  EXPECT_EQ((*rest)[0].op_id, "op-3");
  EXPECT_EQ((*rest)[0].state, OpState::kUnknown);
  EXPECT_EQ((*rest)[1].op_id, "op-4");
  EXPECT_TRUE(journal_->ClaimUnfinished("w", kLease, 0)->empty());
}

// A create op as the client stores it once its first request may have left.
Operation SentCreateOp(const std::string& op_id, const std::string& body,
                       const std::string& natural_key, std::int64_t first_sent_ms) {
  Operation op = testing::MakeOp(op_id, body, natural_key);
  op.kind = "create_session";
  op.first_sent_ms = first_sent_ms;
  return op;
}

Adoption SessionAdoption(const std::string& natural_key, const std::string& session_id,
                         std::int64_t created_ms, const std::string& body = "{}") {
  Adoption a;
  a.natural_key = natural_key;
  a.resource_id = session_id;
  a.kinds = {"create_session"};
  a.first_sent_not_after_ms = created_ms;
  a.response_body = body;
  a.audit_line = "settled by webhook evt-1: session " + session_id;
  return a;
}

TEST_F(JournalTest, AdoptResourceSettlesUnfinishedOpsByNaturalKeyAndFencesTheDriver) {
  const std::int64_t now = NowMs();
  Operation driving = MustBegin(SentCreateOp("driving", "{}", "user-1|wf", now));
  Operation unknown = MustBegin(SentCreateOp("unknown", R"({"x":1})", "user-1|wf", now));
  unknown.state = OpState::kUnknown;
  unknown.response_body = R"({"detail":"Service temporarily unavailable."})";
  unknown.response_status = 503;
  unknown.last_error = "HTTP 503";
  ASSERT_TRUE(journal_->Update(unknown));
  ASSERT_TRUE(journal_->Release(unknown));
  Operation done = MustBegin(SentCreateOp("done", R"({"x":2})", "user-1|wf", now));
  done.state = OpState::kFailed;
  ASSERT_TRUE(journal_->Update(done));
  MustBegin(SentCreateOp("other", R"({"x":3})", "user-2|wf", now));

  auto settled = journal_->AdoptResource(
      SessionAdoption("user-1|wf", "sess-1", now, R"({"session_id":"sess-1"})"));
  ASSERT_TRUE(settled) << settled.error().ToString();
  ASSERT_EQ(settled->size(), 2u);
  EXPECT_EQ((*settled)[0].op_id, "driving");
  EXPECT_EQ((*settled)[1].op_id, "unknown");

  const Operation a = MustGet("driving");
  EXPECT_EQ(a.state, OpState::kSucceeded);
  EXPECT_EQ(a.resource_id, "sess-1");
  EXPECT_EQ(a.response_status, 200);
  EXPECT_EQ(a.response_body, R"({"session_id":"sess-1"})");
  EXPECT_EQ(a.lease_owner, "");
  EXPECT_EQ(a.lease_generation, driving.lease_generation + 1);
  EXPECT_EQ(a.audit, "settled by webhook evt-1: session sess-1");
  // The failed attempt's answer is replaced: a caller reads a 2xx it can parse.
  const Operation b = MustGet("unknown");
  EXPECT_EQ(b.state, OpState::kSucceeded);
  EXPECT_EQ(b.response_status, 200);
  EXPECT_EQ(b.response_body, R"({"session_id":"sess-1"})");
  EXPECT_EQ(b.response_headers, "{}");
  EXPECT_EQ(b.last_error, "");
  EXPECT_EQ(MustGet("done").state, OpState::kFailed);
  EXPECT_EQ(MustGet("other").state, OpState::kInFlight);

  // The driver's late outcome cannot overwrite the heal.
  driving.state = OpState::kUnknown;
  auto late = journal_->Update(driving);
  ASSERT_FALSE(late);
  EXPECT_EQ(late.error().code(), ErrorCode::kFailedPrecondition);
  EXPECT_EQ(MustGet("driving").state, OpState::kSucceeded);

  // Nothing left to settle.
  EXPECT_TRUE(journal_->AdoptResource(SessionAdoption("user-1|wf", "sess-1", now))->empty());
}

TEST_F(JournalTest, AdoptResourceByResourceIdAlone) {
  Operation op = MustBegin(SentCreateOp("op-1", "{}", "", NowMs()));
  op.resource_id = "sess-9";  // known from an earlier 201 that got lost in a retry
  op.state = OpState::kUnknown;
  ASSERT_TRUE(journal_->Update(op));
  auto settled = journal_->AdoptResource(SessionAdoption("", "sess-9", NowMs(), "body"));
  ASSERT_TRUE(settled);
  ASSERT_EQ(settled->size(), 1u);
  EXPECT_EQ(MustGet("op-1").state, OpState::kSucceeded);
  // Empty keys never match ops that have none.
  MustBegin(SentCreateOp("op-2", R"({"b":2})", "", NowMs()));
  EXPECT_TRUE(journal_->AdoptResource(SessionAdoption("", "sess-unknown", NowMs()))->empty());
  EXPECT_TRUE(journal_->AdoptResource(SessionAdoption("nk-unknown", "", NowMs()))->empty());
  EXPECT_EQ(MustGet("op-2").state, OpState::kInFlight);
}

TEST_F(JournalTest, AdoptResourceRefusesAnAdoptionThatDoesNotSayWhatItAdopts) {
  MustBegin(SentCreateOp("op-1", "{}", "nk", NowMs()));
  Adoption no_key = SessionAdoption("", "", NowMs());
  Adoption no_kind = SessionAdoption("nk", "sess-1", NowMs());
  no_kind.kinds.clear();
  Adoption no_time = SessionAdoption("nk", "sess-1", 0);
  Adoption two_lines = SessionAdoption("nk", "sess-1", NowMs());
  two_lines.audit_line = "a\nb";
  for (const Adoption& bad : {no_key, no_kind, no_time, two_lines}) {
    auto refused = journal_->AdoptResource(bad);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code(), ErrorCode::kInvalidArgument);
  }
  EXPECT_EQ(MustGet("op-1").state, OpState::kInFlight);
}

// Issue 15, corner 1: the heal adopted every unfinished op with the natural
// key, whatever its kind, whether it was ever sent, however old the session.
TEST_F(JournalTest, AdoptResourceTakesOnlySentCreateOpsFirstSentByTheSessionsCreation) {
  const std::int64_t created = NowMs();
  // Only enqueued (never sent): it cannot have created the session.
  MustBegin(SentCreateOp("enqueued", R"({"n":1})", "nk", 0));
  // Another kind naming the same user and session (an update, a check).
  Operation update = SentCreateOp("update", R"({"n":2})", "nk", created);
  update.kind = "update_status";
  update.resource_id = "sess-1";
  MustBegin(update);
  // First sent after the session existed (plus skew): a later session's op.
  MustBegin(SentCreateOp("later", R"({"n":3})", "nk", created + 1));
  // Sent before: the one that created it.
  MustBegin(SentCreateOp("creator", R"({"n":4})", "nk", created - 1000));

  auto settled = journal_->AdoptResource(SessionAdoption("nk", "sess-1", created));
  ASSERT_TRUE(settled) << settled.error().ToString();
  ASSERT_EQ(settled->size(), 1u);
  EXPECT_EQ((*settled)[0].op_id, "creator");
  EXPECT_EQ(MustGet("creator").state, OpState::kSucceeded);
  for (const char* untouched : {"enqueued", "update", "later"}) {
    const Operation op = MustGet(untouched);
    EXPECT_EQ(op.state, OpState::kInFlight) << untouched;
    EXPECT_NE(op.response_status, 200) << untouched;
  }
}

TEST_F(JournalTest, AdoptResourceLeavesANewOpAloneWhenAnotherOpHoldsTheSession) {
  // A user's first session, settled; then a re-verification after a decline
  // is sent for the same user (same natural key) and its answer is lost.
  Operation first = MustBegin(SentCreateOp("first", R"({"n":1})", "nk", NowMs()));
  first.state = OpState::kSucceeded;
  first.resource_id = "sess-old";
  ASSERT_TRUE(journal_->Update(first));
  clock_->Advance(milliseconds(50));
  MustBegin(SentCreateOp("again", R"({"n":2})", "nk", NowMs()));

  // A late event about the old session must not settle the new op with it,
  // even when its times cannot tell them apart.
  auto late = journal_->AdoptResource(SessionAdoption("nk", "sess-old", NowMs()));
  ASSERT_TRUE(late);
  EXPECT_TRUE(late->empty());
  EXPECT_EQ(MustGet("again").state, OpState::kInFlight);
  // The event about its own session does.
  auto own = journal_->AdoptResource(SessionAdoption("nk", "sess-new", NowMs()));
  ASSERT_TRUE(own);
  ASSERT_EQ(own->size(), 1u);
  EXPECT_EQ(MustGet("again").resource_id, "sess-new");
}

TEST_F(JournalTest, FindByNaturalKeyReturnsEveryStateOldestFirst) {
  Operation a = MustBegin(MakeOp("a", "1", "nk"));
  clock_->Advance(milliseconds(5));
  a.state = OpState::kFailed;
  ASSERT_TRUE(journal_->Update(a));
  MustBegin(MakeOp("b", "2", "nk"));
  MustBegin(MakeOp("c", "3", "other"));
  MustBegin(MakeOp("d", "4"));
  auto found = journal_->FindByNaturalKey("nk");
  ASSERT_TRUE(found);
  ASSERT_EQ(found->size(), 2u);
  EXPECT_EQ((*found)[0].op_id, "a");
  EXPECT_EQ((*found)[0].state, OpState::kFailed);
  EXPECT_EQ((*found)[1].op_id, "b");
  EXPECT_TRUE(journal_->FindByNaturalKey("missing")->empty());
  EXPECT_FALSE(journal_->FindByNaturalKey(""));
}

TEST_F(JournalTest, ListFiltersByStateAndLimits) {
  for (int i = 0; i < 4; ++i) {
    Operation op = MustBegin(MakeOp("op-" + std::to_string(i)));
    clock_->Advance(milliseconds(1));
    if (i % 2 == 1) {
      op.state = OpState::kSucceeded;
      ASSERT_TRUE(journal_->Update(op));
    }
  }
  EXPECT_EQ(journal_->List({})->size(), 4u);
  auto succeeded = journal_->List({OpState::kSucceeded, 0});
  ASSERT_TRUE(succeeded);
  ASSERT_EQ(succeeded->size(), 2u);
  EXPECT_EQ((*succeeded)[0].op_id, "op-1");
  auto limited = journal_->List({std::nullopt, 3});
  ASSERT_EQ(limited->size(), 3u);
  EXPECT_EQ((*limited)[0].op_id, "op-0");
  EXPECT_TRUE(journal_->List({OpState::kUnknown, 0})->empty());
}

TEST_F(JournalTest, HostileIdentifiersAreRefusedAndNothingIsStored) {
  Operation empty_id = MakeOp("");
  Operation nul_id = MakeOp(std::string("op\0x", 4));
  Operation huge_id = MakeOp(std::string(4096, 'x'));
  Operation no_key = MakeOp("no-key");
  no_key.idem_key.clear();
  Operation no_fingerprint = MakeOp("no-fp");
  no_fingerprint.fingerprint.clear();
  for (const Operation& op : {empty_id, nul_id, huge_id, no_key, no_fingerprint}) {
    auto begun = journal_->Begin(op, "w", kLease);
    ASSERT_FALSE(begun);
    EXPECT_EQ(begun.error().code(), ErrorCode::kInvalidArgument);
  }
  EXPECT_FALSE(journal_->Begin(MakeOp("ok"), "", kLease));
  EXPECT_FALSE(journal_->Begin(MakeOp("ok"), "w", milliseconds(0)));
  EXPECT_FALSE(journal_->ClaimUnfinished(std::string("a\0b", 3), kLease, 1));
  EXPECT_TRUE(journal_->List({})->empty());

  // Quotes, SQL and non-ASCII in identifiers are just bytes.
  const std::string tricky = "op'); DROP TABLE ops; -- \xc3\xa9\xff";
  MustBegin(MakeOp(tricky));
  EXPECT_EQ(MustGet(tricky).op_id, tricky);
}

TEST_F(JournalTest, UpdateOfAMissingOpIsNotFound) {
  Operation ghost = MakeOp("ghost");
  ghost.lease_owner = "w";
  auto st = journal_->Update(ghost);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code(), ErrorCode::kNotFound);
}

TEST_F(JournalTest, UpdateRecordsAFreshKeyAfterTheKeyWindow) {
  // Past the server's key window, a look-up that proves the first request
  // never executed lets the op be sent afresh under a new key; the journal
  // must record that key, or a crash would resume with the old one.
  Operation op = MustBegin(MakeOp("op-1"));
  const std::string old_key = op.idem_key;
  op.idem_key = NewUuidV4();
  ASSERT_TRUE(journal_->Update(op));
  const Operation stored = MustGet("op-1");
  EXPECT_EQ(stored.idem_key, op.idem_key);
  EXPECT_NE(stored.idem_key, old_key);
}

TEST_F(JournalTest, BinaryAndHugeBodiesRoundTripExactly) {
  std::string binary;
  for (int i = 0; i < 4096; ++i) binary.push_back(static_cast<char>(i % 256));  // NULs included
  Operation op = MustBegin(MakeOp("bin", binary));
  const std::string huge(16 * 1024 * 1024, '\0');
  op.response_body = huge;
  op.response_body[12345] = 'x';
  op.response_headers = std::string("{\"h\":\"a\0b\"}", 11);
  op.last_error = "bad byte \xff";
  ASSERT_TRUE(journal_->Update(op));
  journal_.reset();  // from the file, not from memory
  journal_ = Open();
  const Operation stored = MustGet("bin");
  EXPECT_EQ(stored.body, binary);
  EXPECT_EQ(stored.fingerprint, RequestFingerprint("POST", "/v3/session/", binary));
  EXPECT_EQ(stored.response_body.size(), huge.size());
  EXPECT_TRUE(stored.response_body == op.response_body);
  EXPECT_EQ(stored.response_headers, op.response_headers);
  EXPECT_EQ(stored.last_error, op.last_error);
}

TEST_F(JournalTest, EmptyBodyIsStoredAsEmpty) {
  MustBegin(MakeOp("empty", ""));
  EXPECT_EQ(MustGet("empty").body, "");
}

TEST_F(JournalTest, ReopenedJournalKeepsEverything) {
  Operation op = MustBegin(MakeOp("op-1", "{}", "nk"));
  op.attempts = 3;
  ASSERT_TRUE(journal_->Update(op));
  journal_.reset();
  journal_ = Open();
  const Operation stored = MustGet("op-1");
  EXPECT_EQ(stored.attempts, 3);
  EXPECT_EQ(stored.natural_key, "nk");
  // The lease survives the reopen: the same owner can still update.
  op.state = OpState::kSucceeded;
  EXPECT_TRUE(journal_->Update(op));
}

TEST_F(JournalTest, BeginManyAndUpdateManyAnswerPerOpLikeSingleCalls) {
  const Operation existing = MustBegin(MakeOp("op-old", R"({"a":1})"));
  Operation bad = MakeOp("op-bad");
  bad.idem_key.clear();  // invalid: refused alone
  std::vector<Operation> ops = {MakeOp("op-1"), MakeOp("op-old", R"({"a":2})"), bad,
                                MakeOp("op-2")};
  auto results = journal_->BeginMany(ops, "worker-a", kLease);
  ASSERT_EQ(results.size(), 4u);
  ASSERT_TRUE(results[0]) << results[0].error().ToString();
  EXPECT_TRUE(results[0]->created);
  EXPECT_TRUE(results[0]->leased);
  ASSERT_FALSE(results[1]);  // same op_id, other request
  EXPECT_EQ(results[1].error().code(), ErrorCode::kAlreadyExists);
  ASSERT_FALSE(results[2]);
  EXPECT_EQ(results[2].error().code(), ErrorCode::kInvalidArgument);
  ASSERT_TRUE(results[3]) << results[3].error().ToString();
  EXPECT_EQ(MustGet("op-1").idem_key, ops[0].idem_key);
  EXPECT_EQ(MustGet("op-2").lease_owner, "worker-a");
  EXPECT_EQ(MustGet("op-old").body, existing.body);

  Operation done = results[0]->op;
  done.state = OpState::kSucceeded;
  done.response_status = 201;
  Operation stale = results[3]->op;
  stale.lease_generation += 1;  // not the stored lease: fenced
  stale.state = OpState::kSucceeded;
  auto statuses = journal_->UpdateMany({&done, &stale});
  ASSERT_EQ(statuses.size(), 2u);
  EXPECT_TRUE(statuses[0]) << statuses[0].error().ToString();
  ASSERT_FALSE(statuses[1]);
  EXPECT_EQ(statuses[1].error().code(), ErrorCode::kFailedPrecondition);
  EXPECT_EQ(MustGet("op-1").state, OpState::kSucceeded);
  EXPECT_EQ(MustGet("op-1").lease_owner, "");  // final releases the lease
  EXPECT_EQ(MustGet("op-2").state, OpState::kInFlight);
  EXPECT_TRUE(journal_->BeginMany({}, "worker-a", kLease).empty());
}

TEST_F(JournalTest, BeginManyRefusesATakenKeyAloneAndStoresTheRest) {
  Operation old_request = MakeOp("op-old");
  old_request.idem_key_from_caller = true;
  const Operation existing = MustBegin(old_request);
  Operation thief = MakeOp("op-thief");
  thief.idem_key = existing.idem_key;  // another op's key, as a caller might reuse it
  thief.idem_key_from_caller = true;
  auto results = journal_->BeginMany({MakeOp("op-1"), thief, MakeOp("op-2")}, "worker-a", kLease);
  ASSERT_EQ(results.size(), 3u);
  EXPECT_TRUE(results[0]) << results[0].error().ToString();
  ASSERT_FALSE(results[1]);
  EXPECT_EQ(results[1].error().code(), ErrorCode::kAlreadyExists);
  ASSERT_TRUE(results[2]) << results[2].error().ToString();
  EXPECT_EQ(MustGet("op-1").lease_owner, "worker-a");
  EXPECT_EQ(MustGet("op-2").lease_owner, "worker-a");
  auto thief_stored = journal_->Get("op-thief");
  ASSERT_TRUE(thief_stored);
  EXPECT_FALSE(thief_stored->has_value());
}

TEST_F(JournalTest, ClaimFilterLeavesOutUnknownOpsOrRecentlyGivenUpOnes) {
  Operation flight = MustBegin(MakeOp("op-0"));
  ASSERT_TRUE(journal_->Release(flight));
  clock_->Advance(milliseconds(10));
  Operation unknown = MustBegin(MakeOp("op-1"));
  unknown.state = OpState::kUnknown;
  ASSERT_TRUE(journal_->Update(unknown));
  ASSERT_TRUE(journal_->Release(unknown));
  const std::int64_t given_up = MustGet("op-1").updated_ms;

  ClaimFilter in_flight_only;
  in_flight_only.include_unknown = false;
  auto claimed = journal_->ClaimUnfinished("w", kLease, 0, in_flight_only);
  ASSERT_TRUE(claimed);
  ASSERT_EQ(claimed->size(), 1u);
  EXPECT_EQ(claimed->front().op_id, "op-0");
  EXPECT_TRUE(journal_->ClaimUnfinished("w", kLease, 0, in_flight_only)->empty());

  ClaimFilter given_up_long_ago;
  given_up_long_ago.max_unknown_updated_ms = given_up - 1;  // op-1 is more recent
  EXPECT_TRUE(journal_->ClaimUnfinished("w", kLease, 0, given_up_long_ago)->empty());
  given_up_long_ago.max_unknown_updated_ms = given_up;
  claimed = journal_->ClaimUnfinished("w", kLease, 0, given_up_long_ago);
  ASSERT_TRUE(claimed);
  ASSERT_EQ(claimed->size(), 1u);
  EXPECT_EQ(claimed->front().op_id, "op-1");
  EXPECT_EQ(claimed->front().state, OpState::kUnknown);
}

TEST_F(JournalTest, AnOpForReviewIsKeptWithItsAuditAndNeverClaimed) {
  Operation op = MustBegin(MakeOp("op-review"));
  op.state = OpState::kUnknown;
  op.needs_review = true;
  op.last_error = "may have executed; endpoint does not deduplicate";
  op.audit = "2026-12-03T10:00:00.000Z found nothing";
  ASSERT_TRUE(journal_->Update(op));
  ASSERT_TRUE(journal_->Release(op));
  MustBegin(MakeOp("op-plain"));  // an ordinary unfinished op beside it
  const Operation stored = MustGet("op-review");
  EXPECT_TRUE(stored.needs_review);
  EXPECT_EQ(stored.audit, op.audit);
  EXPECT_EQ(stored.last_error, op.last_error);

  // No resume, no worker takes it, however long it waits.
  clock_->Advance(kLease * 2);
  auto claimed = journal_->ClaimUnfinished("resumer", kLease, 0);
  ASSERT_TRUE(claimed);
  ASSERT_EQ(claimed->size(), 1u);
  EXPECT_EQ(claimed->front().op_id, "op-plain");

  // It is listed, and can be listed alone.
  auto review = journal_->List({.needs_review = true});
  ASSERT_TRUE(review);
  ASSERT_EQ(review->size(), 1u);
  EXPECT_EQ(review->front().op_id, "op-review");
  auto unknown_not_review =
      journal_->List({.state = OpState::kUnknown, .limit = 0, .needs_review = false});
  ASSERT_TRUE(unknown_not_review);
  EXPECT_TRUE(unknown_not_review->empty());
  EXPECT_EQ(journal_->List({})->size(), 2u);
}

TEST_F(JournalTest, ResolveUnknownExecutedSettlesItAndAppendsTheAuditLine) {
  Operation op = MustBegin(MakeOp("op-1"));
  op.state = OpState::kUnknown;
  op.needs_review = true;
  op.audit = "earlier line";
  ASSERT_TRUE(journal_->Update(op));
  ASSERT_TRUE(journal_->Release(op));
  const std::int64_t generation = MustGet("op-1").lease_generation;

  UnknownResolution verdict;
  verdict.executed = true;
  verdict.resource_id = "session-9";
  verdict.audit_line = "resolved by alice: executed";
  auto resolved = journal_->ResolveUnknown("op-1", verdict);
  ASSERT_TRUE(resolved) << resolved.error().ToString();
  const Operation stored = MustGet("op-1");
  EXPECT_EQ(stored.state, OpState::kSucceeded);
  EXPECT_EQ(stored.resource_id, "session-9");
  EXPECT_FALSE(stored.needs_review);
  EXPECT_EQ(stored.audit, "earlier line\nresolved by alice: executed");
  EXPECT_EQ(stored.lease_generation, generation + 1);
  EXPECT_EQ(stored.idem_key, op.idem_key);
  EXPECT_EQ(resolved->state, OpState::kSucceeded);

  // Settled now: a second verdict is refused and changes nothing.
  auto again = journal_->ResolveUnknown("op-1", verdict);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code(), ErrorCode::kAlreadyExists);
  EXPECT_EQ(MustGet("op-1").audit, stored.audit);
}

TEST_F(JournalTest, ResolveUnknownNotExecutedRestartsItUnderAFreshKey) {
  Operation op = MustBegin(MakeOp("op-1"));
  op.state = OpState::kUnknown;
  op.needs_review = true;
  op.attempts = 2;
  op.first_sent_ms = NowMs();
  op.response_status = 500;
  op.response_body = "boom";
  ASSERT_TRUE(journal_->Update(op));
  ASSERT_TRUE(journal_->Release(op));

  UnknownResolution verdict;
  verdict.executed = false;
  verdict.new_idem_key = op.idem_key;  // the same key is no fresh start
  auto refused = journal_->ResolveUnknown("op-1", verdict);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), ErrorCode::kInvalidArgument);
  verdict.new_idem_key = "";
  EXPECT_EQ(journal_->ResolveUnknown("op-1", verdict).error().code(), ErrorCode::kInvalidArgument);
  verdict.new_idem_key = NewUuidV4();
  verdict.audit_line = "two\nlines";
  EXPECT_EQ(journal_->ResolveUnknown("op-1", verdict).error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(MustGet("op-1").state, OpState::kUnknown) << "refusals change nothing";

  verdict.audit_line = "resolved by bob: not executed";
  auto resolved = journal_->ResolveUnknown("op-1", verdict);
  ASSERT_TRUE(resolved) << resolved.error().ToString();
  const Operation stored = MustGet("op-1");
  EXPECT_EQ(stored.state, OpState::kInFlight);
  EXPECT_EQ(stored.idem_key, verdict.new_idem_key);
  EXPECT_FALSE(stored.idem_key_from_caller);
  EXPECT_EQ(stored.first_sent_ms, 0) << "never sent under the new key";
  EXPECT_EQ(stored.attempts, 2) << "the lifetime count stays";
  EXPECT_EQ(stored.response_status, 0);
  EXPECT_EQ(stored.response_body, "");
  EXPECT_FALSE(stored.needs_review);
  EXPECT_EQ(stored.audit, "resolved by bob: not executed");
  // A driver takes it now.
  auto claimed = journal_->ClaimUnfinished("worker-b", kLease, 0);
  ASSERT_TRUE(claimed);
  ASSERT_EQ(claimed->size(), 1u);
  EXPECT_EQ(claimed->front().idem_key, verdict.new_idem_key);
}

TEST_F(JournalTest, ResolveUnknownRefusesOpsThatAreNotUnknownOrAreBeingDriven) {
  UnknownResolution verdict;
  verdict.executed = true;
  EXPECT_EQ(journal_->ResolveUnknown("nope", verdict).error().code(), ErrorCode::kNotFound);
  EXPECT_EQ(journal_->ResolveUnknown("", verdict).error().code(), ErrorCode::kInvalidArgument);

  Operation in_flight = MustBegin(MakeOp("op-1"));
  auto refused = journal_->ResolveUnknown("op-1", verdict);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), ErrorCode::kFailedPrecondition);
  EXPECT_NE(refused.error().message().find("in_flight"), std::string::npos);

  // Unknown but still leased by a live driver: not yet.
  in_flight.state = OpState::kUnknown;
  ASSERT_TRUE(journal_->Update(in_flight));
  refused = journal_->ResolveUnknown("op-1", verdict);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), ErrorCode::kFailedPrecondition);
  // Once the lease lapsed (the driver died), it may be resolved; the dead
  // driver's late write is fenced out.
  clock_->Advance(kLease + milliseconds(1));
  ASSERT_TRUE(journal_->ResolveUnknown("op-1", verdict));
  in_flight.state = OpState::kFailed;
  EXPECT_EQ(journal_->Update(in_flight).error().code(), ErrorCode::kFailedPrecondition);
  EXPECT_EQ(MustGet("op-1").state, OpState::kSucceeded);
}

// ---- the shared rate budget (the rule itself: tests/client/rate_budget_test.cc) ----

TEST_F(JournalTest, RateBudgetTwoViewsOfOneStoreShareOneBudget) {
  auto other = Open();
  ASSERT_NE(other, nullptr);
  const RateLimits writes{{"generic-write", {3, 1000}}};
  ASSERT_TRUE(journal_->TakeRate(writes, 10'000)->granted);
  ASSERT_TRUE(other->TakeRate(writes, 10'100)->granted);
  auto third = journal_->TakeRate(writes, 10'200);
  ASSERT_TRUE(third->granted);
  EXPECT_EQ(third->plan_remaining, 0);
  auto fourth = other->TakeRate(writes, 10'300);
  ASSERT_TRUE(fourth);
  EXPECT_FALSE(fourth->granted);
  EXPECT_EQ(fourth->retry_at_ms, 11'100);
  // Another scope is not touched.
  EXPECT_TRUE(other->TakeRate({{"generic-get", {1, 1000}}}, 10'300)->granted);
  EXPECT_TRUE(other->TakeRate(writes, 11'100)->granted);
}

TEST_F(JournalTest, RateBudgetAKilledHoldersGrantsFreeWithinOneWindow) {
  auto other = Open();
  ASSERT_NE(other, nullptr);
  const RateLimits writes{{"generic-write", {2, 1000}}};
  ASSERT_TRUE(journal_->TakeRate(writes, 50'000)->granted);
  ASSERT_TRUE(journal_->TakeRate(writes, 50'001)->granted);
  journal_.reset();  // the holder is gone without a word: its rows are all it left
  EXPECT_FALSE(other->TakeRate(writes, 51'099)->granted);
  EXPECT_TRUE(other->TakeRate(writes, 51'100)->granted);
  EXPECT_TRUE(other->TakeRate(writes, 51'101)->granted);
  EXPECT_FALSE(other->TakeRate(writes, 51'102)->granted);
}

TEST_F(JournalTest, RateBudgetACapIsSharedAndEnds) {
  auto other = Open();
  ASSERT_NE(other, nullptr);
  const RateLimits writes{{"generic-write", {100, 60'000}}};
  ASSERT_TRUE(journal_->SetRateCap({"generic-write"}, 1, 1'000, 3'000));
  EXPECT_TRUE(other->TakeRate(writes, 1'100)->granted);
  auto refused = other->TakeRate(writes, 1'200);
  EXPECT_FALSE(refused->granted);
  EXPECT_EQ(refused->retry_at_ms, 3'000);
  EXPECT_TRUE(journal_->TakeRate(writes, 3'000)->granted);
}

}  // namespace
}  // namespace idem

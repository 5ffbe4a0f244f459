// Every Didit kind against the sandbox's default didit profile (keys on AML
// only), under faults that lose answers after the server executed: a
// dropped connection, a 500 after commit, a response slower than the
// client's timeout. Each op must end succeeded with exactly one execution:
// AML through its key, every other kind through its look-up. The faults hit
// the look-ups too.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "didit/sandbox_fixture.h"

namespace idem::didit {
namespace {

using testing::MakeHarness;
using testing::SessionFor;

struct Case {
  const char* kind;
  const char* faults;
};

std::string Name(const ::testing::TestParamInfo<Case>& info) {
  std::string fault(info.param.faults);
  return std::string(info.param.kind) + "_" + fault.substr(0, fault.find('='));
}

class LookUpFaultTest : public ::testing::TestWithParam<Case> {};

constexpr int kOps = 6;

TEST_P(LookUpFaultTest, EveryOpSucceedsWithExactlyOneExecution) {
  const std::string kind = GetParam().kind;
  SandboxOptions sandbox;
  sandbox.faults = GetParam().faults;
  sandbox.seed = 11;
  auto h = MakeHarness(sandbox, [](DiditClientOptions& o) {
    o.client.retry = std::make_shared<LimitedAttemptsRetryPolicy>(40, std::chrono::seconds(60));
    o.client.budget = std::make_shared<RetryBudget>(RetryBudgetOptions{.capacity = 1000000});
    o.get_attempts = 40;
    // Every kind's per-attempt time below the slow fault's delay, so "slow"
    // is a lost answer. The settle time (how long a request the client gave
    // up on may still reach the server and run before the look-up may call
    // it absent) stays well above that: on a loaded machine a request can
    // wait in the sandbox's queue for hundreds of ms, and a look-up before
    // it runs would answer "not found" and send it a second time. Didit's
    // own settle time is 30 s.
    AddDiditReconcilers(o.client);
    for (auto& [k, policy] : o.client.kind_policies) {
      policy.timeout = std::chrono::milliseconds(150);
      if (policy.settle_after.count() > 0) policy.settle_after = std::chrono::milliseconds(1500);
    }
  });
  ASSERT_TRUE(h);
  int found_by_lookup = 0;
  for (int i = 0; i < kOps; ++i) {
    const std::string id = kind + "-" + std::to_string(i);
    const CallOptions call{.op_id = id};
    bool ok = false;
    std::string error;
    auto image = [&](const char* what) {
      return FilePart::FromBytes(std::string(what) + id, "x.jpg", "image/jpeg");
    };
    if (kind == "create_session") {
      auto r = h->didit->CreateSession(SessionFor(id), call);
      ok = r.has_value();
      if (!ok) error = r.error().ToString();
    } else if (kind == "update_status" || kind == "delete_session") {
      // The session it works on, made exactly once under the same faults.
      auto session = h->didit->CreateSession(SessionFor(id), {.op_id = "prepare-" + id});
      ASSERT_TRUE(session) << session.error().ToString();
      if (kind == "update_status") {
        h->Advance(session->session_id, "In Review");
        auto r = h->didit->UpdateStatus(session->session_id,
                                        testing::StatusUpdate(SessionStatus::kApproved), call);
        ok = r.has_value();
        if (!ok) error = r.error().ToString();
      } else {
        auto r = h->didit->DeleteSession(session->session_id, call);
        ok = r.has_value();
        if (!ok) error = r.error().ToString();
      }
    } else if (kind == "aml") {
      AmlRequest aml;
      aml.full_name = "Person " + id;
      aml.vendor_data = id;
      auto r = h->didit->AmlScreening(aml, call);
      ok = r.has_value();
      if (!ok) error = r.error().ToString();
    } else if (kind == "passive_liveness") {
      PassiveLivenessRequest check;
      check.user_image = image("face");
      check.vendor_data = id;
      auto r = h->didit->PassiveLiveness(check, call);
      ok = r.has_value();
      if (!ok) error = r.error().ToString();
    } else if (kind == "face_match") {
      FaceMatchRequest check;
      check.user_image = image("face");
      check.ref_image = image("ref");
      check.vendor_data = id;
      auto r = h->didit->FaceMatch(check, call);
      ok = r.has_value();
      if (!ok) error = r.error().ToString();
    } else {
      IdVerificationRequest check;
      check.front_image = image("front");
      check.vendor_data = id;
      auto r = h->didit->IdVerification(check, call);
      ok = r.has_value();
      if (!ok) error = r.error().ToString();
    }
    EXPECT_TRUE(ok) << id << ": " << error;
    auto op = h->didit->client().Get(id);
    ASSERT_TRUE(op && *op);
    EXPECT_EQ((*op)->state, OpState::kSucceeded) << id << " " << (*op)->last_error;
    EXPECT_EQ((*op)->kind, kind);
    if ((*op)->audit.find("found by look-up") != std::string::npos) ++found_by_lookup;
  }
  // The faults fired, and (but for AML, settled by its key) lost answers
  // were recovered by the look-up rather than by a re-send.
  int faults = 0;
  const nlohmann::json stats = h->Stats();
  for (const auto& n : stats["faults"]) faults += n.get<int>();
  EXPECT_GT(faults, 0) << stats.dump();
  if (kind == "aml") {
    EXPECT_EQ(found_by_lookup, 0) << "within the key window AML is replayed, not looked up";
  } else {
    EXPECT_GT(found_by_lookup, 0);
  }
  // The sandbox's own records: one execution of this kind per op.
  std::map<std::string, int> per_op;
  const auto executions = nlohmann::json::parse(h->sandbox->ExecutionsJson());
  for (const auto& e : executions["executions"]) {
    if (e["kind"] != kind || !e["vendor_data"].is_string()) continue;
    ++per_op[e["vendor_data"].get<std::string>()];
  }
  for (int i = 0; i < kOps; ++i) {
    const std::string id = kind + "-" + std::to_string(i);
    EXPECT_EQ(per_op[id], 1) << id << " " << executions.dump();
  }
}

std::vector<Case> Cases() {
  std::vector<Case> cases;
  for (const char* kind : {"create_session", "update_status", "delete_session", "aml",
                           "passive_liveness", "face_match", "id_verification"}) {
    for (const char* faults : {"drop_after=0.4", "error_500_after=0.4", "slow=0.4:400"}) {
      cases.push_back({kind, faults});
    }
  }
  return cases;
}

INSTANTIATE_TEST_SUITE_P(Kinds, LookUpFaultTest, ::testing::ValuesIn(Cases()), Name);

}  // namespace
}  // namespace idem::didit

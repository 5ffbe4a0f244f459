// Users, businesses and the session's KYC data through the typed calls
// against the real sandbox: round trips, Didit's refusals, and answers lost
// after the call executed, settled per the kinds' profile rows (endpoints.h).
#include <gtest/gtest.h>

#include "idem/didit/endpoints.h"
#include "idem/didit/session_data.h"
#include "idem/didit/users.h"
#include "sandbox_fixture.h"

namespace idem::didit {
namespace {

using testing::MakeHarness;

UserRequest AUser(const std::string& vendor_data, const std::string& name = "Jane Smith") {
  UserRequest r;
  r.vendor_data = vendor_data;
  r.full_name = name;
  r.metadata = nlohmann::json{{"tier", "premium"}};
  r.approved_emails = std::vector<std::string>{"jane@example.com"};
  return r;
}

BusinessRequest ABusiness(const std::string& vendor_data, const std::string& name = "New Corp") {
  BusinessRequest r;
  r.vendor_data = vendor_data;
  r.legal_name = name;
  r.country_code = "US";
  return r;
}

// The KYC record of a saved ID-verification check session.
std::string IdCheckSession(testing::Harness& h) {
  IdVerificationRequest id;
  id.front_image = FilePart::FromBytes("front-bytes", "front.jpg", "image/jpeg");
  id.vendor_data = "kyc-user";
  auto verified = h.didit->IdVerification(id);
  EXPECT_TRUE(verified) << verified.error().ToString();
  return verified ? *verified->request_id : std::string();
}

TEST(UserCalls, RoundTripAndRefusals) {
  auto h = MakeHarness();
  ASSERT_TRUE(h);
  auto made = CreateUser(*h->didit, AUser("user-1"), {.op_id = "user-a"});
  ASSERT_TRUE(made) << made.error().ToString();
  EXPECT_FALSE(made->found_by_lookup);
  EXPECT_EQ(made->vendor_data, "user-1");
  EXPECT_EQ(made->full_name, "Jane Smith");
  EXPECT_EQ(made->status, "ACTIVE");
  EXPECT_EQ(made->approved_emails, std::vector<std::string>{"jane@example.com"});
  EXPECT_EQ(made->metadata["tier"], "premium");
  auto op = h->didit->client().Get("user-a");
  EXPECT_EQ((*op)->resource_id, made->didit_internal_id);
  EXPECT_EQ((*op)->natural_key, "user:user-1");
  auto got = GetUser(*h->didit, "user-1");
  ASSERT_TRUE(got) << got.error().ToString();
  EXPECT_EQ(got->raw, made->raw);
  EXPECT_EQ(GetUser(*h->didit, "nobody").error().api->http_status, 404);
  // The same op again: the stored answer, nothing sent.
  EXPECT_EQ(CreateUser(*h->didit, AUser("user-1"), {.op_id = "user-a"})->didit_internal_id,
            made->didit_internal_id);
  // Another op with the vendor_data: Didit's 400 on a first attempt is a refusal.
  auto again = CreateUser(*h->didit, AUser("user-1", "Other"));
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().error.code(), ErrorCode::kRefused);
  EXPECT_EQ(again.error().api->field_errors["vendor_data"].front(),
            "A user with this vendor_data already exists.");
  EXPECT_EQ(h->Stats()["executions"]["create_user"], 1);
  // Refused locally, nothing sent.
  EXPECT_EQ(CreateUser(*h->didit, AUser("")).error().error.code(), ErrorCode::kInvalidArgument);
  UserRequest bad = AUser("user-2");
  bad.status = "GONE";
  EXPECT_EQ(CreateUser(*h->didit, bad).error().error.code(), ErrorCode::kInvalidArgument);
  bad = AUser("user-2");
  bad.date_of_birth = "15/05/1990";
  EXPECT_EQ(CreateUser(*h->didit, bad).error().error.code(), ErrorCode::kInvalidArgument);
  bad = AUser("user-2");
  bad.metadata = nlohmann::json::array();
  EXPECT_EQ(CreateUser(*h->didit, bad).error().error.code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(h->Stats()["requests"].get<int>() > 0, true);
}

TEST(BusinessCalls, RoundTrip) {
  auto h = MakeHarness();
  ASSERT_TRUE(h);
  auto made = CreateBusiness(*h->didit, ABusiness("company-1"), {.op_id = "biz-a"});
  ASSERT_TRUE(made) << made.error().ToString();
  EXPECT_EQ(made->legal_name, "New Corp");
  EXPECT_EQ(made->country_code, "US");
  EXPECT_EQ(made->effective_name, "New Corp");
  EXPECT_EQ((*h->didit->client().Get("biz-a"))->natural_key, "business:company-1");
  auto got = GetBusiness(*h->didit, "company-1");
  ASSERT_TRUE(got);
  EXPECT_EQ(got->didit_internal_id, made->didit_internal_id);
  EXPECT_EQ(CreateBusiness(*h->didit, ABusiness("company-1", "Other")).error().error.code(),
            ErrorCode::kRefused);
  BusinessRequest long_name = ABusiness("company-2");
  long_name.legal_name = std::string(256, 'x');
  EXPECT_EQ(CreateBusiness(*h->didit, long_name).error().error.code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(h->Stats()["executions"]["create_business"], 1);
}

TEST(EntityProfiles, RowsAndNaturalKeys) {
  for (const char* kind : {"create_user", "create_business", "update_session_data"}) {
    const EndpointProfile* row = FindDiditEndpoint(kind);
    ASSERT_NE(row, nullptr) << kind;
    EXPECT_FALSE(row->honours_key);
    EXPECT_FALSE(row->billed);
    EXPECT_TRUE(row->repeat_refused);
  }
  EXPECT_EQ(FindDiditEndpoint("update_session_data")->rate_limit_scope, "session-update-kyc");
  EXPECT_EQ(DiditEndpointFor("POST", "/v3/users/create/")->kind, "create_user");
  EXPECT_EQ(DiditEndpointFor("PATCH", "/v3/session/abc/update-data/?node_id=n")->kind,
            "update_session_data");
  EXPECT_EQ(NaturalKeyForBody("create_user", R"({"vendor_data":"u"})"), "user:u");
  EXPECT_EQ(NaturalKeyForBody("create_business", R"({"legal_name":"x"})"), "");
}

class EntityLookUpTest : public ::testing::TestWithParam<const char*> {};

// Every answer lost (or a 500) after the sandbox executed: the look-up by
// vendor_data finds the record, the op succeeds with it, one execution.
TEST_P(EntityLookUpTest, AUserWhoseAnswerIsLostIsFoundByVendorData) {
  SandboxOptions sandbox;
  sandbox.faults = GetParam();
  auto h = MakeHarness(sandbox);
  ASSERT_TRUE(h);
  auto made = CreateUser(*h->didit, AUser("lost-1"), {.op_id = "user-lost"});
  ASSERT_TRUE(made) << made.error().ToString();
  EXPECT_EQ(made->vendor_data, "lost-1");
  auto op = h->didit->client().Get("user-lost");
  EXPECT_EQ((*op)->state, OpState::kSucceeded);
  EXPECT_EQ((*op)->attempts, 1);
  EXPECT_NE((*op)->audit.find("found by look-up"), std::string::npos) << (*op)->audit;
  EXPECT_EQ((*op)->resource_id, made->didit_internal_id);
  EXPECT_EQ(GetUser(*h->didit, "lost-1")->didit_internal_id, made->didit_internal_id);
  EXPECT_EQ(h->Stats()["executions"]["create_user"], 1);
}

TEST_P(EntityLookUpTest, ABusinessWhoseAnswerIsLostIsFoundByVendorData) {
  SandboxOptions sandbox;
  sandbox.faults = GetParam();
  auto h = MakeHarness(sandbox);
  ASSERT_TRUE(h);
  auto made = CreateBusiness(*h->didit, ABusiness("lost-co"), {.op_id = "biz-lost"});
  ASSERT_TRUE(made) << made.error().ToString();
  auto op = h->didit->client().Get("biz-lost");
  EXPECT_EQ((*op)->state, OpState::kSucceeded);
  EXPECT_EQ((*op)->attempts, 1);
  EXPECT_EQ((*op)->resource_id, made->didit_internal_id);
  EXPECT_EQ(h->Stats()["executions"]["create_business"], 1);
}

// Without vendor_data nothing can be looked up: unknown, needs review, never
// re-sent; one execution.
TEST_P(EntityLookUpTest, ABusinessWithoutVendorDataStopsForReview) {
  SandboxOptions sandbox;
  sandbox.faults = GetParam();
  auto h = MakeHarness(sandbox);
  ASSERT_TRUE(h);
  BusinessRequest anonymous;
  anonymous.legal_name = "Anon Ltd";
  auto made = CreateBusiness(*h->didit, anonymous, {.op_id = "biz-anon"});
  ASSERT_FALSE(made);
  EXPECT_EQ(made.error().error.code(), ErrorCode::kUnknownOutcome);
  auto op = h->didit->client().Get("biz-anon");
  EXPECT_EQ((*op)->state, OpState::kUnknown);
  EXPECT_TRUE((*op)->needs_review);
  const int requests = h->Stats()["requests"].get<int>();
  ASSERT_TRUE(h->didit->client().Resume());
  EXPECT_EQ(h->Stats()["requests"], requests);
  EXPECT_EQ(h->Stats()["executions"]["create_business"], 1);
}

// The first attempt executes and its answer is lost; the retry (a replay,
// as for a kind told it honours keys, which the sandbox's didit profile
// ignores) is refused as a duplicate vendor_data. The driver's
// exists_refusal asks the look-up: the user is this op's, `succeeded`,
// never `failed`. Seed 8: the first write is dropped, the second is not
// (as surface_calls_test's DuplicateAfterLostAnswerTest; asserted below).
TEST(UserCalls, ARetryRefusedAsADuplicateIsSucceededInTheJournal) {
  SandboxOptions sandbox;
  sandbox.faults = "drop_after=0.5@writes";
  sandbox.seed = 8;
  auto h = MakeHarness(sandbox, [](DiditClientOptions& o) {
    KindPolicy policy = DiditKindPolicy(*FindDiditEndpoint("create_user"));
    policy.server_honours_key = true;
    o.client.kind_policies["create_user"] = policy;
  });
  ASSERT_TRUE(h);
  auto made = CreateUser(*h->didit, AUser("dup-user"), {.op_id = "user-dup"});
  ASSERT_TRUE(made) << made.error().ToString();
  EXPECT_TRUE(made->found_by_lookup);
  auto op = h->didit->client().Get("user-dup");
  ASSERT_TRUE(op && *op);
  ASSERT_EQ((*op)->attempts, 2) << "the precondition: a retry after the lost answer";
  EXPECT_EQ((*op)->state, OpState::kSucceeded) << (*op)->last_error;
  EXPECT_TRUE(FoundByLookUp(**op)) << (*op)->audit;
  EXPECT_EQ((*op)->resource_id, made->didit_internal_id);
  EXPECT_EQ(h->Stats()["executions"]["create_user"], 1);
  EXPECT_EQ(h->Stats()["faults"]["drop_after"], 1);
}

// The vendor_data is taken by another request since this op began and this
// op's answer is lost: the record has another name, so it cannot be this
// op's: unknown, needs review, never re-sent; still one execution.
TEST(UserCalls, AVendorDataTakenByAnotherRequestStopsForAPerson) {
  SandboxOptions sandbox;
  sandbox.faults = "drop_after=1@writes";
  auto h = MakeHarness(sandbox);
  ASSERT_TRUE(h);
  // The first op's answer is lost too; its own look-up settles it.
  ASSERT_TRUE(CreateUser(*h->didit, AUser("shared", "First Person"), {.op_id = "first"}));
  auto second = CreateUser(*h->didit, AUser("shared", "Second Person"), {.op_id = "second"});
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().error.code(), ErrorCode::kUnknownOutcome);
  auto op = h->didit->client().Get("second");
  EXPECT_EQ((*op)->state, OpState::kUnknown);
  EXPECT_TRUE((*op)->needs_review);
  EXPECT_NE((*op)->last_error.find("full_name"), std::string::npos) << (*op)->last_error;
  const int requests = h->Stats()["requests"].get<int>();
  ASSERT_TRUE(h->didit->client().Resume());
  EXPECT_EQ(h->Stats()["requests"], requests);  // needs review: never re-sent
  EXPECT_EQ(h->Stats()["executions"]["create_user"], 1);
}

TEST(SessionDataCalls, RoundTripAndRefusals) {
  auto h = MakeHarness();
  ASSERT_TRUE(h);
  const std::string id = IdCheckSession(*h);
  KycDataUpdate fix;
  fix.first_name = "Carmen";
  fix.last_name = "Espanola";
  fix.document_type = "Passport";
  fix.extra_fields = nlohmann::json{{"blood_group", "O+"}};
  auto kyc = UpdateSessionData(*h->didit, id, fix, {.op_id = "kyc-1"});
  ASSERT_TRUE(kyc) << kyc.error().ToString();
  EXPECT_EQ(kyc->first_name, "Carmen");
  EXPECT_EQ(kyc->document_type, "P");
  EXPECT_EQ(kyc->extra_fields["blood_group"], "O+");
  auto op = h->didit->client().Get("kyc-1");
  EXPECT_EQ((*op)->resource_id, id);
  EXPECT_EQ((*op)->natural_key, "session_data:" + id);
  auto unknown =
      UpdateSessionData(*h->didit, "00000000-0000-4000-8000-000000000000", fix, {.op_id = "kyc-2"});
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().error.code(), ErrorCode::kRefused);
  EXPECT_EQ(unknown.error().api->http_status, 404);
  KycDataUpdate bad;
  bad.gender = "X";
  EXPECT_EQ(UpdateSessionData(*h->didit, id, bad).error().error.code(),
            ErrorCode::kInvalidArgument);
  bad = {};
  bad.date_of_birth = "1980/01/01";
  EXPECT_EQ(UpdateSessionData(*h->didit, id, bad).error().error.code(),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(h->Stats()["executions"]["update_session_data"], 1);
}

// A lost answer (or a 500 after it executed) is settled by the look-up of
// the decision: the KYC record holds the values, one execution.
TEST_P(EntityLookUpTest, AKycUpdateWhoseAnswerIsLostIsFoundInTheDecision) {
  SandboxOptions sandbox;
  sandbox.faults = GetParam();
  auto h = MakeHarness(sandbox);
  ASSERT_TRUE(h);
  const std::string id = IdCheckSession(*h);  // its own answer lost, found by look-up
  KycDataUpdate fix;
  fix.first_name = "Carmen";
  fix.document_type = "Passport";
  fix.issuing_state = "esp";
  fix.parsed_address = nlohmann::json{{"city", "Madrid"}, {"country", "es"}};
  auto kyc = UpdateSessionData(*h->didit, id, fix, {.op_id = "kyc-lost"});
  ASSERT_TRUE(kyc) << kyc.error().ToString();
  EXPECT_EQ(kyc->first_name, "Carmen");
  EXPECT_EQ(kyc->document_type, "P");
  auto op = h->didit->client().Get("kyc-lost");
  EXPECT_EQ((*op)->state, OpState::kSucceeded);
  EXPECT_EQ((*op)->attempts, 1);
  EXPECT_NE((*op)->audit.find("found by look-up"), std::string::npos) << (*op)->audit;
  EXPECT_EQ((*op)->resource_id, id);
  EXPECT_EQ(h->Stats()["executions"]["update_session_data"], 1);
}

INSTANTIATE_TEST_SUITE_P(Faults, EntityLookUpTest,
                         ::testing::Values("drop_after=1@writes", "error_500_after=1@writes"),
                         [](const auto& info) {
                           const std::string f = info.param;
                           return f.substr(0, f.find('='));
                         });

}  // namespace
}  // namespace idem::didit

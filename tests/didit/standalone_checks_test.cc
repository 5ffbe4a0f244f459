// The typed Proof of Address, face search, age estimation and database
// validation calls against the real sandbox (port 0, a SQLite journal, the
// curl transport): their answers typed, the journaled bytes, Didit's
// refusals, local validation, and ambiguous attempts settled per their
// profile rows: a saved check is found by look-up (one execution), an
// unsaved one stops unknown for review and is never sent twice.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "didit/sandbox_fixture.h"

namespace idem::didit {
namespace {

using testing::MakeHarness;

FilePart Image(const std::string& what, const char* name = "face.jpg") {
  return FilePart::FromBytes(what, name, "image/jpeg");
}

// One of the four checks, sent through the typed client; `tag` varies the
// input so that different ops send different bytes.
struct Sent {
  bool ok = false;
  std::string error;
  std::optional<std::string> request_id;
  std::optional<std::string> status;
};

Sent SendCheck(DiditClient& didit, const std::string& kind, const std::string& tag,
               std::optional<std::string> vendor_data, std::optional<bool> save,
               const std::string& op_id) {
  Sent out;
  auto take = [&](const auto& r) {
    out.ok = r.has_value();
    if (!out.ok) {
      out.error = r.error().ToString();
      return;
    }
    out.request_id = r->request_id;
    out.status = r->report.status;
  };
  const CallOptions call{.op_id = op_id};
  if (kind == "poa") {
    PoaRequest r;
    r.document = FilePart::FromBytes("bill " + tag, "bill.pdf", "application/pdf");
    r.vendor_data = vendor_data;
    r.save_api_request = save;
    take(didit.ProofOfAddress(r, call));
  } else if (kind == "face_search") {
    FaceSearchRequest r;
    r.user_image = Image("face " + tag);
    r.vendor_data = vendor_data;
    r.save_api_request = save;
    take(didit.FaceSearch(r, call));
  } else if (kind == "age_estimation") {
    AgeEstimationRequest r;
    r.user_image = Image("face " + tag);
    r.vendor_data = vendor_data;
    r.save_api_request = save;
    take(didit.AgeEstimation(r, call));
  } else {
    DatabaseValidationRequest r;
    r.issuing_state = "ESP";
    r.identification_number = "ID-" + tag;
    r.vendor_data = vendor_data;
    r.save_api_request = save;
    take(didit.DatabaseValidation(r, call));
  }
  return out;
}

const std::vector<std::string> kKinds = {"poa", "face_search", "age_estimation",
                                         "database_validation"};

TEST(StandaloneChecksClient, PoaTypedJournaledAndExactlyOnce) {
  auto h = MakeHarness();
  ASSERT_TRUE(h);
  PoaRequest poa;
  poa.document = FilePart::FromBytes("%PDF-1.7 bill", "bill.pdf", "application/pdf");
  poa.expected_first_name = "Sandbox";
  poa.expected_address = "Calle Falsa 123";
  poa.poa_languages_allowed = "es,en";
  poa.poa_document_age_months = "utility_bill:3";
  poa.poa_address_mismatch_action = "NO_ACTION";
  poa.metadata = nlohmann::json{{"order", 7}};
  poa.vendor_data = "user-poa";
  auto result = h->didit->ProofOfAddress(poa, {.op_id = "poa-1"});
  ASSERT_TRUE(result) << result.error().ToString();
  ASSERT_TRUE(result->request_id);
  EXPECT_EQ(result->report.document_type, "UTILITY_BILL");
  EXPECT_EQ(result->report.issuing_state, "ESP");
  EXPECT_TRUE(result->report.poa_parsed_address && result->report.poa_parsed_address->is_object());
  EXPECT_EQ(result->report.expected_details.at("expected_details_first_name"), "Sandbox");
  EXPECT_EQ(result->report.expected_details.at("expected_details_address"), "Calle Falsa 123");
  EXPECT_EQ(result->vendor_data, "user-poa");
  EXPECT_EQ((*result->metadata)["order"], 7);
  EXPECT_TRUE(result->raw.contains("poa"));
  EXPECT_TRUE(result->report.raw.contains("poa_address"));

  auto op = h->didit->client().Get("poa-1");
  ASSERT_TRUE(op && *op);
  EXPECT_EQ((*op)->kind, "poa");
  EXPECT_EQ((*op)->path, "/v3/poa/");
  EXPECT_EQ((*op)->natural_key, CheckNaturalKey("POA", "user-poa"));
  EXPECT_EQ((*op)->resource_id, *result->request_id);
  auto expected = Encode(poa, "poa-1");
  ASSERT_TRUE(expected);
  EXPECT_EQ((*op)->body, expected->body);
  // The profile row: billed, no key, Didit's >= 45 s.
  const EndpointProfile* row = FindDiditEndpoint("poa");
  ASSERT_NE(row, nullptr);
  EXPECT_FALSE(row->honours_key);
  EXPECT_TRUE(row->billed);
  EXPECT_GE(row->timeout, std::chrono::milliseconds(45000));
  EXPECT_EQ(row->api_service, "POA");

  auto rerun = h->didit->ProofOfAddress(poa, {.op_id = "poa-1"});
  ASSERT_TRUE(rerun);
  EXPECT_EQ(rerun->request_id, result->request_id);
  EXPECT_EQ(h->Stats()["executions"]["poa"], 1);
}

TEST(StandaloneChecksClient, FaceSearchAgeEstimationDatabaseValidationTyped) {
  auto h = MakeHarness();
  ASSERT_TRUE(h);
  FaceSearchRequest search;
  search.user_image = Image("BLOCKLISTED face");
  search.search_type = "blocklisted_or_approved";
  search.rotate_image = false;
  auto found = h->didit->FaceSearch(search, {.op_id = "fs-1"});
  ASSERT_TRUE(found) << found.error().ToString();
  EXPECT_EQ(found->report.status, "Declined");
  EXPECT_EQ(found->report.total_matches, 1);
  ASSERT_EQ(found->report.matches.size(), 1u);
  EXPECT_EQ(found->report.matches[0]["is_blocklisted"], true);
  // No vendor_data given: derived from the op id, so a look-up can find it.
  EXPECT_EQ(found->vendor_data, DerivedVendorData("fs-1"));

  AgeEstimationRequest age;
  age.user_image = Image("face");
  age.age_estimation_decline_threshold = 0;
  age.face_liveness_score_decline_threshold = 0;
  auto estimated = h->didit->AgeEstimation(age, {.op_id = "age-1"});
  ASSERT_TRUE(estimated) << estimated.error().ToString();
  EXPECT_EQ(estimated->report.status, "Approved");
  EXPECT_EQ(estimated->report.method, "PASSIVE");
  ASSERT_TRUE(estimated->report.age_estimation);
  EXPECT_GT(*estimated->report.age_estimation, 0);
  ASSERT_TRUE(estimated->report.score);

  DatabaseValidationRequest dbv;
  dbv.issuing_state = "ESP";
  dbv.services = {"es_registry", "es_tax"};
  dbv.consent = true;
  dbv.identification_number = "PARTIAL-9";
  dbv.first_name = "Ana";
  dbv.more_fields = {{"tax_number", "T-1"}};
  auto validated = h->didit->DatabaseValidation(dbv, {.op_id = "dbv-1"});
  ASSERT_TRUE(validated) << validated.error().ToString();
  EXPECT_EQ(validated->report.match_type, "partial_match");
  EXPECT_EQ(validated->report.match_score, 50);
  EXPECT_EQ((*validated->report.services_used).size(), 2u);
  EXPECT_EQ((*validated->report.screened_data)["tax_number"], "T-1");
  auto dbv_op = h->didit->client().Get("dbv-1");
  ASSERT_TRUE(dbv_op && *dbv_op);
  EXPECT_EQ((*dbv_op)->content_type, "application/json");

  // With a selfie the same request goes multipart.
  dbv.selfie = Image("me");
  auto with_selfie = h->didit->DatabaseValidation(dbv, {.op_id = "dbv-2"});
  ASSERT_TRUE(with_selfie) << with_selfie.error().ToString();
  EXPECT_EQ((*with_selfie->report.validations)[0]["selfie_checked"], true);
  auto selfie_op = h->didit->client().Get("dbv-2");
  ASSERT_TRUE(selfie_op && *selfie_op);
  EXPECT_TRUE((*selfie_op)->content_type.starts_with("multipart/form-data"));

  const nlohmann::json stats = h->Stats();
  EXPECT_EQ(stats["executions"]["face_search"], 1);
  EXPECT_EQ(stats["executions"]["age_estimation"], 1);
  EXPECT_EQ(stats["executions"]["database_validation"], 2);
}

TEST(StandaloneChecksClient, DiditRefusalsAreTypedAndNothingIsBilled) {
  auto h = MakeHarness();
  ASSERT_TRUE(h);
  PoaRequest exe;
  exe.document = FilePart::FromBytes("MZ", "tool.exe");
  auto refused = h->didit->ProofOfAddress(exe, {.op_id = "poa-exe"});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().error.code(), ErrorCode::kRefused);
  ASSERT_TRUE(refused.error().api);
  EXPECT_TRUE(refused.error().api->field_errors.contains("document")) << refused.error().ToString();

  PoaRequest unreadable;
  unreadable.document = FilePart::FromBytes("UNREADABLE", "scan.pdf");
  auto failed = h->didit->ProofOfAddress(unreadable);
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().error.code(), ErrorCode::kRefused);
  EXPECT_EQ(failed.error().api->http_status, 400);

  FaceSearchRequest no_face;
  no_face.user_image = Image("NOFACE");
  auto nothing = h->didit->FaceSearch(no_face);
  ASSERT_FALSE(nothing);
  EXPECT_EQ(nothing.error().error.code(), ErrorCode::kRefused);
  EXPECT_NE(nothing.error().ToString().find("No face detected"), std::string::npos)
      << nothing.error().ToString();

  DatabaseValidationRequest alpha2;
  alpha2.issuing_state = "ES";
  auto bad_state = h->didit->DatabaseValidation(alpha2);
  ASSERT_FALSE(bad_state);
  EXPECT_EQ(bad_state.error().error.code(), ErrorCode::kRefused);
  EXPECT_TRUE(bad_state.error().api->field_errors.contains("issuing_state"));

  // Refused is final: the same op again sends nothing more.
  const int requests = h->Stats()["requests"].get<int>();
  ASSERT_FALSE(h->didit->ProofOfAddress(exe, {.op_id = "poa-exe"}));
  EXPECT_EQ(h->Stats()["requests"], requests);
  EXPECT_EQ(h->Stats()["executions_total"], 0);
}

TEST(StandaloneChecksClient, LocalValidationSendsNothing) {
  auto h = MakeHarness();
  ASSERT_TRUE(h);
  auto invalid = [](const auto& r) {
    return !r && r.error().error.code() == ErrorCode::kInvalidArgument;
  };
  EXPECT_TRUE(invalid(h->didit->ProofOfAddress({})));
  PoaRequest bad_action;
  bad_action.document = Image("d");
  bad_action.poa_name_mismatch_action = "IGNORE";
  EXPECT_TRUE(invalid(h->didit->ProofOfAddress(bad_action)));
  PoaRequest bad_metadata;
  bad_metadata.document = Image("d");
  bad_metadata.metadata = nlohmann::json::array({1});
  EXPECT_TRUE(invalid(h->didit->ProofOfAddress(bad_metadata)));
  EXPECT_TRUE(invalid(h->didit->FaceSearch({})));
  FaceSearchRequest bad_type;
  bad_type.user_image = Image("f");
  bad_type.search_type = "closest";
  EXPECT_TRUE(invalid(h->didit->FaceSearch(bad_type)));
  AgeEstimationRequest bad_threshold;
  bad_threshold.user_image = Image("f");
  bad_threshold.face_liveness_score_decline_threshold = 101;
  EXPECT_TRUE(invalid(h->didit->AgeEstimation(bad_threshold)));
  EXPECT_TRUE(invalid(h->didit->DatabaseValidation({})));
  DatabaseValidationRequest empty_selfie;
  empty_selfie.issuing_state = "ESP";
  empty_selfie.selfie = FilePart::FromBytes("");
  EXPECT_TRUE(invalid(h->didit->DatabaseValidation(empty_selfie)));
  EXPECT_EQ(h->Stats()["requests"], 0);
}

TEST(StandaloneChecksClient, ProfileRowsAndRawBodies) {
  for (const std::string& kind : kKinds) {
    const EndpointProfile* row = FindDiditEndpoint(kind);
    ASSERT_NE(row, nullptr) << kind;
    EXPECT_FALSE(row->honours_key) << kind;
    EXPECT_TRUE(row->billed) << kind;
    EXPECT_EQ(DiditEndpointFor("POST", row->path), row) << kind;
    // No key and a repeat Didit does not refuse: an empty look-up waits out
    // the attempt.
    EXPECT_EQ(DiditKindPolicy(*row).settle_after, row->timeout) << kind;
  }
  // `idem call POST /v3/database-validation/` with a raw JSON body gets the
  // natural key its look-up needs; unsaved, none.
  EXPECT_EQ(
      NaturalKeyForBody("database_validation", R"({"issuing_state":"ESP","vendor_data":"u"})"),
      "check:DATABASE_VALIDATION:u");
  EXPECT_EQ(
      NaturalKeyForBody("database_validation",
                        R"({"issuing_state":"ESP","vendor_data":"u","save_api_request":false})"),
      "");
  ClientOptions options;
  AddDiditReconcilers(options);
  ASSERT_TRUE(SetKeyedKinds(options, "poa,database_validation"));
  EXPECT_TRUE(options.kind_policies.at("poa").server_honours_key);
  EXPECT_FALSE(options.kind_policies.at("face_search").server_honours_key);
  EXPECT_TRUE(options.reconcilers.contains("age_estimation"));
  EXPECT_TRUE(options.resource_id_of.contains("database_validation"));
}

// ------------------------------------------------- ambiguous attempts

struct Case {
  const char* kind;
  const char* faults;
};

class CheckLookUpTest : public ::testing::TestWithParam<Case> {};

constexpr int kOps = 5;

// Lost answers after the sandbox executed (a dropped connection, a 500 after
// commit, an answer slower than the client's timeout): every op succeeds,
// through the look-up, with exactly one execution.
TEST_P(CheckLookUpTest, ASavedCheckIsFoundByLookUpNeverChargedTwice) {
  const std::string kind = GetParam().kind;
  SandboxOptions sandbox;
  sandbox.faults = GetParam().faults;
  sandbox.seed = 5;
  auto h = MakeHarness(sandbox, [](DiditClientOptions& o) {
    o.client.retry = std::make_shared<LimitedAttemptsRetryPolicy>(40, std::chrono::seconds(60));
    o.client.budget = std::make_shared<RetryBudget>(RetryBudgetOptions{.capacity = 1000000});
    o.get_attempts = 40;
    AddDiditReconcilers(o.client);
    SetAttemptTimeout(o.client, std::chrono::milliseconds(150));
  });
  ASSERT_TRUE(h);
  int found_by_lookup = 0;
  for (int i = 0; i < kOps; ++i) {
    const std::string id = kind + "-" + std::to_string(i);
    Sent sent = SendCheck(*h->didit, kind, id, id, std::nullopt, id);
    EXPECT_TRUE(sent.ok) << id << ": " << sent.error;
    EXPECT_TRUE(sent.request_id) << id;
    EXPECT_TRUE(sent.status) << id;  // the rebuilt answer has the check's shape
    auto op = h->didit->client().Get(id);
    ASSERT_TRUE(op && *op);
    EXPECT_EQ((*op)->state, OpState::kSucceeded) << id << " " << (*op)->last_error;
    if ((*op)->audit.find("found by look-up") != std::string::npos) ++found_by_lookup;
  }
  int faults = 0;
  const nlohmann::json stats = h->Stats();
  for (const auto& n : stats["faults"]) faults += n.get<int>();
  EXPECT_GT(faults, 0) << stats.dump();
  EXPECT_GT(found_by_lookup, 0);
  std::map<std::string, int> per_op;
  const auto executions = nlohmann::json::parse(h->sandbox->ExecutionsJson());
  for (const auto& e : executions["executions"]) {
    if (e["kind"] == kind && e["vendor_data"].is_string()) {
      ++per_op[e["vendor_data"].get<std::string>()];
    }
  }
  for (int i = 0; i < kOps; ++i) {
    const std::string id = kind + "-" + std::to_string(i);
    EXPECT_EQ(per_op[id], 1) << id << " " << executions.dump();
  }
}

std::vector<Case> Cases() {
  std::vector<Case> cases;
  for (const char* kind : {"poa", "face_search", "age_estimation", "database_validation"}) {
    for (const char* faults : {"drop_after=0.4", "error_500_after=0.4", "slow=0.4:400"}) {
      cases.push_back({kind, faults});
    }
  }
  return cases;
}

std::string Name(const ::testing::TestParamInfo<Case>& info) {
  std::string fault(info.param.faults);
  return std::string(info.param.kind) + "_" + fault.substr(0, fault.find('='));
}

INSTANTIATE_TEST_SUITE_P(Kinds, CheckLookUpTest, ::testing::ValuesIn(Cases()), Name);

// save_api_request=false: Didit keeps nothing to look up. An answer lost
// after the check ran stops the op unknown with needs_review; running it
// again, or resuming, never sends it a second time.
TEST(StandaloneChecksClient, AnUnsavedCheckWithALostAnswerStopsForReviewNeverReSent) {
  SandboxOptions sandbox;
  sandbox.faults = "drop_after=1@writes";
  auto h = MakeHarness(sandbox);
  ASSERT_TRUE(h);
  for (const std::string& kind : kKinds) {
    const std::string id = "unsaved-" + kind;
    Sent sent = SendCheck(*h->didit, kind, id, id, false, id);
    ASSERT_FALSE(sent.ok) << kind;
    auto op = h->didit->client().Get(id);
    ASSERT_TRUE(op && *op);
    EXPECT_EQ((*op)->state, OpState::kUnknown) << kind;
    EXPECT_TRUE((*op)->needs_review) << kind;
    EXPECT_EQ((*op)->attempts, 1) << kind;
    EXPECT_TRUE((*op)->natural_key.empty()) << kind;
    // The same call again: the stored outcome, nothing sent.
    const int requests = h->Stats()["requests"].get<int>();
    Sent again = SendCheck(*h->didit, kind, id, id, false, id);
    EXPECT_FALSE(again.ok) << kind;
    EXPECT_EQ(h->Stats()["requests"], requests) << kind;
  }
  ASSERT_TRUE(h->didit->client().Resume());
  const nlohmann::json stats = h->Stats();
  for (const std::string& kind : kKinds) {
    EXPECT_EQ(stats["executions"][kind], 1) << kind << " " << stats.dump();
    auto op = h->didit->client().Get("unsaved-" + kind);
    EXPECT_EQ((*op)->state, OpState::kUnknown) << kind;
  }
}

// A saved check whose every answer is lost: the look-up finds it at once
// (done, one execution), however often the connection drops.
TEST(StandaloneChecksClient, ASavedCheckWhoseAnswersAreAllLostIsDoneByLookUp) {
  SandboxOptions sandbox;
  sandbox.faults = "drop_after=1@writes";
  auto h = MakeHarness(sandbox);
  ASSERT_TRUE(h);
  for (const std::string& kind : kKinds) {
    const std::string id = "saved-" + kind;
    Sent sent = SendCheck(*h->didit, kind, id, std::nullopt, std::nullopt, id);
    ASSERT_TRUE(sent.ok) << kind << ": " << sent.error;
    auto op = h->didit->client().Get(id);
    ASSERT_TRUE(op && *op);
    EXPECT_EQ((*op)->state, OpState::kSucceeded) << kind;
    EXPECT_EQ((*op)->attempts, 1) << kind;
    EXPECT_NE((*op)->audit.find("found by look-up"), std::string::npos) << (*op)->audit;
    EXPECT_EQ((*op)->resource_id, *sent.request_id) << kind;
  }
  const nlohmann::json stats = h->Stats();
  for (const std::string& kind : kKinds) EXPECT_EQ(stats["executions"][kind], 1) << kind;
}

}  // namespace
}  // namespace idem::didit

// The KYB registry calls through DiditClient against the real sandbox: the
// typed search and select, their profile rows (search free and re-sent,
// select billed and looked up), Didit's refusals, a lost search answer
// re-sent, and a lost select answer settled by the business-session look-up
// (found: succeeded, one execution) or, without vendor_data, stopped
// `unknown` for review with no second execution.
#include "idem/didit/kyb_registry.h"

#include <gtest/gtest.h>

#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "didit/sandbox_fixture.h"
#include "idem/didit/endpoints.h"
#include "server/http_server.h"
#include "testing/wait.h"

namespace idem::didit {
namespace {

using testing::MakeHarness;

KybSearchRequest Tesco() {
  KybSearchRequest r;
  r.country_code = "gb";
  r.name = "Tesco";
  return r;
}

KybSelectRequest Select(std::optional<std::string> vendor_data) {
  KybSelectRequest r;
  r.kyb_response_id = "69aeeb95febb0f1704042259";
  r.vendor_data = std::move(vendor_data);
  return r;
}

int SelectExecutions(testing::Harness& h) {
  return h.Stats()["executions"]["kyb_select"].get<int>();
}

TEST(KybRegistryClient, SearchThenSelectTypedAnswersAndProfileRows) {
  auto h = MakeHarness();
  ASSERT_TRUE(h);
  KybSearchRequest search = Tesco();
  search.search_type = "start_with";
  search.vendor_data = "company-1";
  search.metadata = nlohmann::json{{"source", "test"}};
  auto found = SearchKybRegistry(*h->didit, search, {.op_id = "search-1"});
  ASSERT_TRUE(found) << found.error().ToString();
  EXPECT_EQ(found->request_id.size(), 36u);
  EXPECT_EQ(found->vendor_data, "company-1");
  EXPECT_EQ(found->metadata["source"], "test");
  EXPECT_EQ(found->kyb_registry.search_status, "resolved");
  EXPECT_EQ(found->kyb_registry.search_resolved, true);
  EXPECT_EQ(found->kyb_registry.total, 1);
  ASSERT_EQ(found->kyb_registry.companies.size(), 1u);
  const KybCandidate& candidate = found->kyb_registry.companies[0];
  ASSERT_TRUE(candidate.kyb_response_id);
  EXPECT_EQ(candidate.fetch_status, "pending");
  auto encoded = Encode(search);
  ASSERT_TRUE(encoded);
  EXPECT_EQ(encoded->body, R"({"country_code":"GB","metadata":{"source":"test"},"name":"Tesco",)"
                           R"("search_type":"start_with","vendor_data":"company-1"})");

  KybSelectRequest select = Select("company-1");
  select.kyb_response_id = *candidate.kyb_response_id;
  auto company = SelectKybCompany(*h->didit, select, {.op_id = "select-1"});
  ASSERT_TRUE(company) << company.error().ToString();
  EXPECT_FALSE(company->found_by_lookup);
  EXPECT_EQ(company->vendor_data, "company-1");
  const KybCompany& c = company->kyb_registry;
  EXPECT_EQ(c.node_id, "feature_kyb_registry");
  EXPECT_EQ(c.status, "Approved");
  EXPECT_EQ(c.data_resolved, true);
  EXPECT_TRUE(c.company_name);
  EXPECT_EQ(c.vat_validation_status, "not_applicable");
  ASSERT_EQ(c.officers.size(), 1u);
  EXPECT_EQ(c.officers[0].role, "director");
  ASSERT_EQ(c.beneficial_owners.size(), 1u);
  EXPECT_EQ(c.beneficial_owners[0].roles, std::vector<std::string>{"ubo"});
  EXPECT_EQ(c.beneficial_owners[0].effective_ownership_percent, 100.0);
  ASSERT_EQ(c.addresses.size(), 1u);
  EXPECT_TRUE(c.registry_data.is_object());
  EXPECT_TRUE(company->raw.contains("created_at"));

  auto search_op = h->didit->client().Get("search-1");
  ASSERT_TRUE(search_op && *search_op);
  EXPECT_EQ((*search_op)->kind, "kyb_search");
  EXPECT_TRUE((*search_op)->natural_key.empty());
  auto select_op = h->didit->client().Get("select-1");
  ASSERT_TRUE(select_op && *select_op);
  EXPECT_EQ((*select_op)->kind, "kyb_select");
  EXPECT_EQ((*select_op)->path, "/v3/kyb/select/");
  EXPECT_EQ((*select_op)->natural_key, CheckNaturalKey("KYB_REGISTRY", "company-1"));
  EXPECT_EQ((*select_op)->resource_id, company->request_id);
  EXPECT_EQ(NaturalKeyForBody("kyb_select", (*select_op)->body), (*select_op)->natural_key);

  const EndpointProfile* search_row = FindDiditEndpoint(kKybSearchKind);
  ASSERT_NE(search_row, nullptr);
  EXPECT_FALSE(search_row->billed);
  EXPECT_FALSE(search_row->honours_key);
  EXPECT_TRUE(search_row->repeat_refused) << "a repeat is harmless: no settle wait";
  EXPECT_EQ(DiditEndpointFor("POST", "/v3/kyb/search/"), search_row);
  const EndpointProfile* select_row = FindDiditEndpoint(kKybSelectKind);
  ASSERT_NE(select_row, nullptr);
  EXPECT_TRUE(select_row->billed);
  EXPECT_FALSE(select_row->honours_key);
  EXPECT_FALSE(select_row->repeat_refused);
  EXPECT_EQ(select_row->api_service, "KYB_REGISTRY");
  EXPECT_EQ(DiditEndpointFor("POST", "/v3/kyb/select/"), select_row);
  EXPECT_GT(DiditKindPolicy(*select_row).settle_after.count(), 0);

  // The same select op again: the stored answer, nothing sent, billed once.
  auto rerun = SelectKybCompany(*h->didit, select, {.op_id = "select-1"});
  ASSERT_TRUE(rerun);
  EXPECT_EQ(rerun->raw, company->raw);
  EXPECT_EQ(SelectExecutions(*h), 1);
}

TEST(KybRegistryClient, BadRequestsAreRefusedBeforeSending) {
  auto h = MakeHarness();
  ASSERT_TRUE(h);
  std::vector<KybSearchRequest> searches(7, Tesco());
  searches[0].country_code = "US";
  searches[1].country_code = "GBR";
  searches[2].name.reset();
  searches[3].search_type = "exact";
  searches[4].name = std::string(256, 'a');
  searches[5].metadata = nlohmann::json::array({1});
  searches[6].webhook_url = "ftp://example.com/h";
  for (const auto& request : searches) {
    auto r = SearchKybRegistry(*h->didit, request);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().error.code(), ErrorCode::kInvalidArgument) << r.error().ToString();
  }
  auto empty = SelectKybCompany(*h->didit, KybSelectRequest{});
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().error.code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(h->Stats()["requests"], 0);
}

TEST(KybRegistryClient, DiditRefusalsFailTheOpAndBillNothing) {
  auto h = MakeHarness();
  ASSERT_TRUE(h);
  // 400: save_api_request=false (selects are always saved).
  KybSelectRequest unsaved = Select("v");
  unsaved.save_api_request = false;
  auto refused = SelectKybCompany(*h->didit, unsaved, {.op_id = "unsaved"});
  ASSERT_FALSE(refused);
  ASSERT_TRUE(refused.error().api);
  EXPECT_EQ(refused.error().api->http_status, 400);
  auto op = h->didit->client().Get("unsaved");
  ASSERT_TRUE(op && *op);
  EXPECT_EQ((*op)->state, OpState::kFailed);
  EXPECT_TRUE((*op)->natural_key.empty());
  EXPECT_EQ(SelectExecutions(*h), 0);

  // 403: no credits, for the select only; the search is free.
  SandboxOptions broke;
  broke.credits = SandboxCredits::kNone;
  auto poor = MakeHarness(broke);
  ASSERT_TRUE(poor);
  EXPECT_TRUE(SearchKybRegistry(*poor->didit, Tesco()));
  auto no_credits = SelectKybCompany(*poor->didit, Select("v"), {.op_id = "poor"});
  ASSERT_FALSE(no_credits);
  ASSERT_TRUE(no_credits.error().api);
  EXPECT_EQ(no_credits.error().api->http_status, 403);
  EXPECT_EQ(SelectExecutions(*poor), 0);
}

// A search answer lost: free and harmless to repeat, so it is sent again
// until an answer arrives (the seeded fault loses about half the writes).
TEST(KybRegistryClient, ALostSearchAnswerIsSentAgain) {
  SandboxOptions sandbox;
  sandbox.faults = "drop_after=0.5@writes";
  auto h = MakeHarness(sandbox);
  ASSERT_TRUE(h);
  int resent = 0;
  for (int i = 0; i < 6; ++i) {
    const std::string id = "search-" + std::to_string(i);
    auto r = SearchKybRegistry(*h->didit, Tesco(), {.op_id = id});
    ASSERT_TRUE(r) << id << ": " << r.error().ToString();
    auto op = h->didit->client().Get(id);
    ASSERT_TRUE(op && *op);
    EXPECT_EQ((*op)->state, OpState::kSucceeded) << (*op)->audit;
    if ((*op)->attempts >= 2) ++resent;
  }
  EXPECT_GE(resent, 1) << "no answer was lost, nothing was re-sent";
  EXPECT_EQ(h->Stats()["executions"]["kyb_select"], 0);
}

// Collects the callbacks it is sent (200 to each).
class CallbackReceiver {
 public:
  CallbackReceiver() {
    auto server =
        server::HttpServer::Start({}, server::Synchronous([this](const server::Request& r) {
                                    std::lock_guard<std::mutex> lock(mu_);
                                    requests_.push_back(r);
                                    return server::Response{200, {}, "{}"};
                                  }));
    EXPECT_TRUE(server);
    if (server) server_ = std::move(*server);
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(server_->port()) + "/cb"; }
  std::vector<server::Request> requests() {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }

 private:
  std::mutex mu_;
  std::vector<server::Request> requests_;
  std::unique_ptr<server::HttpServer> server_;
};

// Asynchronous mode: the answer is pending; the candidates come in the
// unsigned callback, which ParseKybSearchCallback reads. A search whose
// answer was lost is sent again, and each search that ran makes its own
// callback under its own request_id: as many callbacks as attempts, which
// is the cost docs/didit.md names for re-sending a search with webhook_url.
TEST(KybRegistryClient, AsyncSearchCallbacksOnePerAttempt) {
  CallbackReceiver receiver;
  SandboxOptions sandbox;
  sandbox.faults = "drop_after=0.5@writes";
  auto h = MakeHarness(sandbox);
  ASSERT_TRUE(h);
  KybSearchRequest request = Tesco();
  request.vendor_data = "company-async";
  request.webhook_url = receiver.url();
  int attempts = 0;
  std::set<std::string> answered;
  for (int i = 0; i < 4; ++i) {
    const std::string id = "async-" + std::to_string(i);
    auto r = SearchKybRegistry(*h->didit, request, {.op_id = id});
    ASSERT_TRUE(r) << id << ": " << r.error().ToString();
    EXPECT_EQ(r->kyb_registry.search_status, "pending");
    EXPECT_TRUE(r->kyb_registry.companies.empty());
    answered.insert(r->request_id);
    auto op = h->didit->client().Get(id);
    ASSERT_TRUE(op && *op);
    attempts += (*op)->attempts;
  }
  ASSERT_TRUE(idem::testing::WaitUntil(
      std::chrono::seconds(10),
      [&] { return static_cast<int>(receiver.requests().size()) >= attempts; }))
      << receiver.requests().size() << " of " << attempts;
  std::set<std::string> called_back;
  for (const server::Request& got : receiver.requests()) {
    EXPECT_EQ(FindHeader(got.headers, "X-Didit-Unsigned-Callback").value_or(""), "true");
    EXPECT_FALSE(FindHeader(got.headers, "X-Signature"));
    auto callback = ParseKybSearchCallback(got.body);
    ASSERT_TRUE(callback) << callback.error().ToString();
    EXPECT_EQ(callback->event_type, "kyb.registry_search.resolved");
    EXPECT_EQ(callback->vendor_data, "company-async");
    EXPECT_EQ(callback->kyb_registry.companies.size(), 1u);
    called_back.insert(callback->request_id);
  }
  EXPECT_EQ(static_cast<int>(receiver.requests().size()), attempts);
  EXPECT_EQ(static_cast<int>(called_back.size()), attempts) << "one request_id per search";
  for (const std::string& id : answered) EXPECT_EQ(called_back.count(id), 1u) << id;
  EXPECT_GT(attempts, 4) << "no answer was lost: nothing was re-sent";
}

class KybLostSelectTest : public ::testing::TestWithParam<const char*> {};

// The select ran (billed, a business session) but its answer was lost: the
// look-up finds the session by vendor_data + KYB_REGISTRY + business and
// settles the op with the company read from its decision. One execution.
TEST_P(KybLostSelectTest, WithVendorDataTheLookUpFindsTheBusinessSession) {
  SandboxOptions sandbox;
  sandbox.faults = GetParam();
  auto h = MakeHarness(sandbox);
  ASSERT_TRUE(h);
  auto r = SelectKybCompany(*h->didit, Select("company-lost"), {.op_id = "lost"});
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_TRUE(r->found_by_lookup);
  EXPECT_EQ(r->vendor_data, "company-lost");
  EXPECT_EQ(r->kyb_registry.node_id, "feature_kyb_registry");
  EXPECT_TRUE(r->kyb_registry.company_name);
  auto op = h->didit->client().Get("lost");
  ASSERT_TRUE(op && *op);
  EXPECT_EQ((*op)->state, OpState::kSucceeded) << (*op)->audit;
  EXPECT_EQ((*op)->attempts, 1);
  EXPECT_EQ((*op)->resource_id, r->request_id);
  EXPECT_NE((*op)->audit.find("session_kind=business"), std::string::npos) << (*op)->audit;
  EXPECT_EQ(SelectExecutions(*h), 1);
}

// Without vendor_data nothing identifies the business session: unknown,
// needs review, never re-sent (running it again or resuming sends nothing).
TEST_P(KybLostSelectTest, WithoutVendorDataItStopsUnknownAfterOneExecution) {
  SandboxOptions sandbox;
  sandbox.faults = GetParam();
  auto h = MakeHarness(sandbox);
  ASSERT_TRUE(h);
  auto r = SelectKybCompany(*h->didit, Select(std::nullopt), {.op_id = "blind"});
  ASSERT_FALSE(r);
  auto op = h->didit->client().Get("blind");
  ASSERT_TRUE(op && *op);
  EXPECT_EQ((*op)->state, OpState::kUnknown) << (*op)->audit;
  EXPECT_TRUE((*op)->needs_review);
  EXPECT_EQ((*op)->attempts, 1);
  const int requests = h->Stats()["requests"].get<int>();
  EXPECT_FALSE(SelectKybCompany(*h->didit, Select(std::nullopt), {.op_id = "blind"}));
  ASSERT_TRUE(h->didit->client().Resume());
  EXPECT_EQ(h->Stats()["requests"], requests);
  EXPECT_EQ(SelectExecutions(*h), 1);
}

INSTANTIATE_TEST_SUITE_P(Faults, KybLostSelectTest,
                         ::testing::Values("drop_after=1@writes", "error_500_after=1@writes"),
                         [](const auto& info) {
                           const std::string f = info.param;
                           return f.substr(0, f.find('='));
                         });

TEST(KybRegistryParse, WrongTypesAreCorruptionNeverACrash) {
  for (const char* body : {"", "{", "[]", "null", R"({})", R"({"request_id":7})",
                           R"({"request_id":"r","kyb_registry":[]})",
                           R"({"request_id":"r","kyb_registry":{"companies":{}}})",
                           R"({"request_id":"r","kyb_registry":{"companies":[1]}})",
                           R"({"request_id":"r","kyb_registry":{"pagination":{"total":"2"}}})",
                           R"({"request_id":"r","kyb_registry":{"search_resolved":"yes"}})",
                           R"({"request_id":"r","metadata":[1]})"}) {
    auto r = ParseKybSearchResult(body);
    ASSERT_FALSE(r) << body;
    EXPECT_EQ(r.error().code(), ErrorCode::kCorruption) << body;
  }
  for (const char* body :
       {R"({"request_id":"r","kyb_registry":{"officers":[{"is_active":"yes"}]}})",
        R"({"request_id":"r","kyb_registry":{"beneficial_owners":[{"roles":[1]}]}})",
        R"({"request_id":"r","kyb_registry":{"beneficial_owners":[{"roles":"ubo"}]}})",
        R"({"request_id":"r","kyb_registry":{"addresses":{}}})",
        R"({"request_id":"r","kyb_registry":{"industries":{}}})",
        R"({"request_id":"r","kyb_registry":{"registry_data":[]}})",
        R"({"request_id":"r","kyb_registry":{"data_resolved":1}})"}) {
    auto r = ParseKybSelectResult(body);
    ASSERT_FALSE(r) << body;
    EXPECT_EQ(r.error().code(), ErrorCode::kCorruption) << body;
  }
  auto sparse = ParseKybSelectResult(
      R"({"request_id":"r","kyb_registry":{"addresses":null,"financial_summary":{}}})");
  ASSERT_TRUE(sparse) << sparse.error().ToString();
  EXPECT_TRUE(sparse->kyb_registry.addresses.empty());
  auto callback = ParseKybSearchCallback(
      R"({"event_type":"kyb.registry_search.resolved","request_id":"r","timestamp":1,)"
      R"("created_at":2,"kyb_registry":{"companies":[{"kyb_response_id":"h"}]}})");
  ASSERT_TRUE(callback) << callback.error().ToString();
  EXPECT_EQ(callback->created_at, 2);
  ASSERT_EQ(callback->kyb_registry.companies.size(), 1u);
  EXPECT_FALSE(ParseKybSearchCallback(R"({"request_id":"r","created_at":"2026-01-01"})"));
}

}  // namespace
}  // namespace idem::didit

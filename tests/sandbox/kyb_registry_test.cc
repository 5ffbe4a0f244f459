// The sandbox's KYB registry calls over HTTP: POST /v3/kyb/search/ (free,
// nothing executed, one static candidate; with webhook_url a pending answer
// and the unsigned kyb.registry_search.resolved callback delivered to a real
// receiver) and POST /v3/kyb/select/ (billed, one execution, a business
// session listed with session_kind=business and api_service=KYB_REGISTRY);
// every documented error status, the credit refusal (select only), and
// hostile bodies answered 400.
#include <gtest/gtest.h>

#include <mutex>
#include <vector>

#include "sandbox_harness.h"
#include "server/http_server.h"
#include "testing/wait.h"

namespace idem::sandbox::testing {
namespace {

using nlohmann::json;

constexpr char kSearch[] = "/v3/kyb/search/";
constexpr char kSelect[] = "/v3/kyb/select/";

int SelectExecutions(Harness& h) { return h.Stats()["executions"]["kyb_select"].get<int>(); }

// Records every request it gets and answers 200.
class Receiver {
 public:
  Receiver() {
    auto server =
        server::HttpServer::Start({}, server::Synchronous([this](const server::Request& r) {
                                    std::lock_guard<std::mutex> lock(mu_);
                                    requests_.push_back(r);
                                    return server::Response{200, {}, "{}"};
                                  }));
    EXPECT_TRUE(server);
    if (server) server_ = std::move(*server);
  }
  std::string url() const {
    return "http://127.0.0.1:" + std::to_string(server_->port()) + "/kyb-callback";
  }
  std::vector<server::Request> requests() {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }

 private:
  std::mutex mu_;
  std::vector<server::Request> requests_;
  std::unique_ptr<server::HttpServer> server_;
};

TEST(KybRegistry, SearchIsFreeAndAnswersOneStaticCandidate) {
  Harness h;
  auto r = h.Post(kSearch, R"({"country_code":"gb","name":"Tesco","search_type":"fuzzy",)"
                           R"("vendor_data":"company-1","metadata":{"source":"test"}})");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  const json j = Json(r);
  EXPECT_EQ(j["request_id"].get<std::string>().size(), 36u);
  EXPECT_EQ(j["vendor_data"], "company-1");
  EXPECT_EQ(j["metadata"]["source"], "test");
  EXPECT_TRUE(j["created_at"].is_string());
  const json& registry = j["kyb_registry"];
  EXPECT_EQ(registry["search_status"], "resolved");
  EXPECT_TRUE(registry["search_resolved"].get<bool>());
  EXPECT_EQ(registry["pagination"]["total"], 1);
  EXPECT_EQ(registry["pagination"]["per_page"], 25);
  ASSERT_EQ(registry["companies"].size(), 1u);
  const json& c = registry["companies"][0];
  for (const char* field : {"kyb_response_id", "name", "registration_number", "status", "type",
                            "risk_level", "fetch_status"}) {
    EXPECT_TRUE(c.contains(field)) << field;
  }
  EXPECT_EQ(c["fetch_status"], "pending");
  EXPECT_EQ(c["kyb_response_id"].get<std::string>().size(), 24u);

  // A repeat: another search with its own request_id and handle; nothing
  // executed, nothing saved, nothing billed.
  auto again = h.Post(kSearch, R"({"country_code":"US-CA","registration_number":"C0806592"})");
  ASSERT_EQ(again->status, 200) << again->body;
  EXPECT_NE(Json(again)["request_id"], j["request_id"]);
  EXPECT_EQ(Json(again)["kyb_registry"]["companies"][0]["registration_number"], "C0806592");
  EXPECT_EQ(h.Executions()["executions"].size(), 0u);
  EXPECT_EQ(Json(h.Send("GET", "/v3/sessions/?session_kind=all"))["count"], 0);

  SandboxOptions broke;
  broke.credits = SandboxCredits::kNone;
  Harness poor(broke);
  auto free = poor.Post(kSearch, R"({"country_code":"GB","name":"Tesco"})");
  EXPECT_EQ(free->status, 200) << "a search is free: no credit check: " << free->body;
}

TEST(KybRegistry, SearchErrors) {
  Harness h;
  auto expect_400 = [&](const std::string& body, const char* field) {
    auto r = h.Post(kSearch, body);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400) << body << " " << r->body;
    EXPECT_TRUE(Json(r).contains(field)) << body << " " << r->body;
  };
  auto missing = h.Post(kSearch, R"({"country_code":"GB"})");
  ASSERT_EQ(missing->status, 400);
  EXPECT_EQ(Json(missing),
            json::parse(R"({"non_field_errors":["Either 'name' or 'registration_number' is )"
                        R"(required."]})"));
  expect_400(R"({"country_code":"GB","name":""})", "non_field_errors");
  expect_400(R"({"name":"Tesco"})", "country_code");
  expect_400(R"({"country_code":"GBR","name":"Tesco"})", "country_code");
  expect_400(R"({"country_code":"US","name":"Tesco"})", "country_code");
  expect_400(R"({"country_code":"us","name":"Tesco"})", "country_code");
  expect_400(R"({"country_code":"US-CALIFORNIA","name":"Tesco"})", "country_code");
  expect_400(R"({"country_code":7,"name":"Tesco"})", "country_code");
  expect_400(R"({"country_code":"GB","name":"Tesco","search_type":"exact"})", "search_type");
  expect_400(R"({"country_code":"GB","name":"Tesco","webhook_url":"not a url"})", "webhook_url");
  expect_400(R"({"country_code":"GB","name":"Tesco","webhook_url":"ftp://x.example/h"})",
             "webhook_url");
  expect_400(R"({"country_code":"GB","name":"Tesco","metadata":[1]})", "metadata");
  expect_400(R"({"country_code":"GB","name":")" + std::string(256, 'a') + "\"}", "name");
  expect_400(R"({"country_code":"GB","registration_number":")" + std::string(101, '1') + "\"}",
             "registration_number");
  expect_400(R"({"country_code":"GB","name":"T","webhook_url":"http://a.example/)" +
                 std::string(500, 'p') + "\"}",
             "webhook_url");
  auto bad_type = h.Post(kSearch, R"({"country_code":"GB","name":"Tesco","search_type":"exact"})");
  EXPECT_EQ(Json(bad_type)["search_type"][0], "\"exact\" is not a valid choice.");
  // 255 characters of a multi-byte name is within the limit (characters, not bytes).
  std::string long_name;
  for (int i = 0; i < 255; ++i) long_name += "\xc3\xa9";
  EXPECT_EQ(h.Post(kSearch, R"({"country_code":"FR","name":")" + long_name + "\"}")->status, 200);

  // 403 without a key, 405 for another method.
  CurlClient raw;
  auto no_key = raw.Send("POST", h.url() + kSearch, {{"Content-Type", "application/json"}},
                         R"({"country_code":"GB","name":"Tesco"})");
  ASSERT_TRUE(no_key);
  EXPECT_EQ(no_key->status, 403);
  EXPECT_TRUE(Json(no_key).contains("detail"));
  EXPECT_EQ(h.Send("GET", kSearch)->status, 405);
}

TEST(KybRegistry, SearchRateLimitIs429WithDiditsHeaders) {
  SandboxOptions options;
  options.rate_scopes.generic_write = 1;
  Harness h(options);
  ASSERT_EQ(h.Post(kSearch, R"({"country_code":"GB","name":"Tesco"})")->status, 200);
  auto limited = h.Post(kSearch, R"({"country_code":"GB","name":"Tesco"})");
  ASSERT_TRUE(limited);
  EXPECT_EQ(limited->status, 429) << limited->body;
  EXPECT_NE(Header(limited, "Retry-After"), "");
  EXPECT_TRUE(Json(limited).contains("detail"));
}

// webhook_url: a pending answer at once, then the unsigned callback with the
// candidates reaches the receiver: X-Didit-Unsigned-Callback, no signature.
TEST(KybRegistry, AsyncSearchDeliversTheUnsignedCallback) {
  Receiver receiver;
  Harness h;
  auto r = h.Post(kSearch, json{{"country_code", "GB"},
                                {"name", "Tesco"},
                                {"vendor_data", "company-async"},
                                {"metadata", {{"k", 1}}},
                                {"webhook_url", receiver.url()}}
                               .dump());
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  const json answer = Json(r);
  EXPECT_EQ(answer["kyb_registry"]["search_status"], "pending");
  EXPECT_FALSE(answer["kyb_registry"]["search_resolved"].get<bool>());
  EXPECT_TRUE(answer["kyb_registry"]["companies"].empty());

  ASSERT_TRUE(idem::testing::WaitUntil(std::chrono::seconds(10),
                                       [&] { return !receiver.requests().empty(); }));
  const server::Request got = receiver.requests()[0];
  EXPECT_EQ(got.method, "POST");
  EXPECT_EQ(got.target, "/kyb-callback");
  EXPECT_EQ(FindHeader(got.headers, "X-Didit-Unsigned-Callback").value_or(""), "true");
  for (const char* signature :
       {"X-Signature", "X-Signature-V2", "X-Signature-Simple", "X-Timestamp"}) {
    EXPECT_FALSE(FindHeader(got.headers, signature)) << signature;
  }
  const json callback = json::parse(got.body);
  EXPECT_EQ(callback["event_type"], "kyb.registry_search.resolved");
  EXPECT_EQ(callback["request_id"], answer["request_id"]);
  EXPECT_EQ(callback["vendor_data"], "company-async");
  EXPECT_EQ(callback["metadata"]["k"], 1);
  EXPECT_EQ(callback["search_status"], "resolved");
  EXPECT_TRUE(callback["search_resolved"].get<bool>());
  EXPECT_TRUE(callback["event_id"].is_string());
  EXPECT_TRUE(callback["timestamp"].is_number_integer());
  EXPECT_TRUE(callback["created_at"].is_number_integer()) << "epoch, unlike the answer's ISO";
  ASSERT_EQ(callback["kyb_registry"]["companies"].size(), 1u);
  EXPECT_EQ(callback["kyb_registry"]["companies"][0]["fetch_status"], "pending");
  // Not a webhook of the destinations: no delivery log row, no execution.
  EXPECT_EQ(h.Executions()["executions"].size(), 0u);
}

TEST(KybRegistry, SelectIsOneExecutionAndABusinessSession) {
  Harness h;
  auto r =
      h.Post(kSelect, R"({"kyb_response_id":"69aeeb95febb0f1704042259","vendor_data":"company-1",)"
                      R"("metadata":{"source":"test"}})");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  const json j = Json(r);
  const std::string id = j["request_id"];
  EXPECT_EQ(j["vendor_data"], "company-1");
  EXPECT_EQ(j["metadata"]["source"], "test");
  const json& company = j["kyb_registry"];
  for (const char* field : {"uuid", "node_id", "status", "registry_status", "data_resolved",
                            "company_name", "registration_number", "country_code", "company_type",
                            "fetch_status", "officers", "beneficial_owners", "addresses",
                            "registry_data", "vat_validation_status", "is_editable"}) {
    EXPECT_TRUE(company.contains(field)) << field;
  }
  EXPECT_EQ(company["node_id"], "feature_kyb_registry");
  EXPECT_EQ(company["status"], "Approved");
  EXPECT_TRUE(company["data_resolved"].get<bool>());

  EXPECT_EQ(SelectExecutions(h), 1);
  const json executions = h.Executions()["executions"];
  ASSERT_EQ(executions.size(), 1u);
  EXPECT_EQ(executions[0]["kind"], "kyb_select");
  EXPECT_EQ(executions[0]["vendor_data"], "company-1");
  EXPECT_EQ(executions[0]["resource_id"], id);

  // Listed only as a business session (Didit lists user sessions by default).
  EXPECT_EQ(Json(h.Send("GET", "/v3/sessions/?vendor_data=company-1"))["count"], 0);
  const json list = Json(h.Send(
      "GET", "/v3/sessions/?vendor_data=company-1&api_service=KYB_REGISTRY&session_kind=business"));
  ASSERT_EQ(list["count"], 1) << list.dump();
  EXPECT_EQ(list["results"][0]["session_id"], id);
  EXPECT_EQ(list["results"][0]["session_kind"], "business");
  EXPECT_EQ(list["results"][0]["company_name"], company["company_name"]);
  EXPECT_EQ(Json(h.Send("GET", "/v3/sessions/?session_kind=all"))["count"], 1);
  // Its decision carries the profile in registry_checks.
  const json decision = Json(h.Send("GET", "/v3/session/" + id + "/decision/"));
  EXPECT_EQ(decision["session_kind"], "business");
  ASSERT_TRUE(decision["registry_checks"].is_array()) << decision.dump();
  EXPECT_EQ(decision["registry_checks"][0]["company_name"], company["company_name"]);

  // A second select is a second execution (billed again).
  ASSERT_EQ(h.Post(kSelect, R"({"kyb_response_id":"69aeeb95febb0f1704042259"})")->status, 200);
  EXPECT_EQ(SelectExecutions(h), 2);
}

TEST(KybRegistry, SelectErrorsRunNothing) {
  Harness h;
  auto missing = h.Post(kSelect, R"({"vendor_data":"x"})");
  ASSERT_EQ(missing->status, 400);
  EXPECT_EQ(Json(missing), json::parse(R"({"kyb_response_id":["This field is required."]})"));
  auto unsaved = h.Post(kSelect, R"({"kyb_response_id":"h","save_api_request":false})");
  ASSERT_EQ(unsaved->status, 400);
  EXPECT_EQ(Json(unsaved), json::parse(R"({"save_api_request":["KYB registry select must be )"
                                       R"(saved so billing and retrieval can be tracked."]})"));
  for (const std::string& body :
       std::vector<std::string>{R"({"kyb_response_id":""})", R"({"kyb_response_id":7})",
                                R"({"kyb_response_id":")" + std::string(256, 'h') + "\"}",
                                R"({"kyb_response_id":"h","metadata":"x"})",
                                R"({"kyb_response_id":"h","vendor_data":1})",
                                R"({"kyb_response_id":"h","save_api_request":"yes"})"}) {
    auto r = h.Post(kSelect, body);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400) << body << " " << r->body;
  }
  CurlClient raw;
  auto no_key = raw.Send("POST", h.url() + kSelect, {{"Content-Type", "application/json"}},
                         R"({"kyb_response_id":"h"})");
  EXPECT_EQ(no_key->status, 403);

  SandboxOptions broke;
  broke.credits = SandboxCredits::kNone;
  Harness poor(broke);
  auto refused = poor.Post(kSelect, R"({"kyb_response_id":"h","vendor_data":"v"})");
  ASSERT_EQ(refused->status, 403) << refused->body;
  EXPECT_TRUE(Json(refused).contains("error"));
  EXPECT_EQ(SelectExecutions(h), 0);
  EXPECT_EQ(SelectExecutions(poor), 0);
  EXPECT_EQ(Json(poor.Send("GET", "/v3/sessions/?session_kind=all"))["count"], 0);
}

TEST(KybRegistry, HostileBodiesAre400NeverACrash) {
  Harness h;
  const std::vector<std::string> bodies = {
      "{",
      "",
      "[1]",
      "null",
      "\"x\"",
      std::string(3000, '['),
      std::string(3000, '{'),
      std::string(5000, '[') + std::string(5000, ']'),
      "{\"country_code\":\"GB\",\"name\":\"\xff\xfe\"}",
      "{\"kyb_response_id\":\"\xc3\",\"country_code\":\"GB\"}",
      "{\"country_code\":\"GB\",\"name\":\"" + std::string(200000, 'a') + "\"}",
      "{\"kyb_response_id\":" + std::string(200000, '1') + "}",
      "{\"country_code\":\"GB\",\"name\":\"T\",\"metadata\":" + std::string(2000, '[') +
          std::string(2000, ']') + "}"};
  for (const char* path : {kSearch, kSelect}) {
    for (const std::string& body : bodies) {
      auto r = h.Post(path, body);
      ASSERT_TRUE(r);
      EXPECT_EQ(r->status, 400) << path << " " << r->body.substr(0, 200) << " for "
                                << body.substr(0, 40);
    }
  }
  EXPECT_EQ(h.Send("GET", "/_sandbox/health")->status, 200);
  EXPECT_EQ(SelectExecutions(h), 0);
}

}  // namespace
}  // namespace idem::sandbox::testing

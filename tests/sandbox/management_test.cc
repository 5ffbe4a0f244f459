// The sandbox's webhook management API and transaction monitoring (issue
// 14): Didit's shapes, status codes and 400 bodies, what they count, and
// hostile bodies answered 400, never a crash.
#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "idem/didit/webhook_events.h"
#include "sandbox_harness.h"
#include "testing/fake_clock.h"

namespace idem::sandbox::testing {
namespace {

using nlohmann::json;

constexpr char kPath[] = "/v3/webhook/destinations/";

json Destination(const std::string& url, json events = {"status.updated"}) {
  return {{"label", "prod"},
          {"url", url},
          {"webhook_version", "v3"},
          {"subscribed_events", std::move(events)}};
}

TEST(WebhookDestinations, CreateListGetUpdateDelete) {
  Harness h;
  auto made = h.Post(kPath, Destination("https://a.example.com/hook").dump());
  ASSERT_EQ(made->status, 201) << made->body;
  const json d = Json(made);
  const std::string uuid = d["uuid"];
  EXPECT_EQ(d["url"], "https://a.example.com/hook");
  EXPECT_EQ(d["enabled"], true);
  EXPECT_EQ(d["subscribed_events"], json({"status.updated"}));
  EXPECT_EQ(d["secret_shared_key"].get<std::string>().size(), 43u);
  EXPECT_EQ(d["summary"]["total_deliveries"], 0);
  EXPECT_TRUE(d["summary"]["last_delivery_at"].is_null());
  ASSERT_EQ(h.Post(kPath, Destination("https://b.example.com/hook").dump())->status, 201);

  // The list: oldest first, never the secret.
  const json list = Json(h.Send("GET", kPath));
  ASSERT_TRUE(list.is_array());
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0]["uuid"], uuid);
  EXPECT_FALSE(list[0].contains("secret_shared_key"));
  // One: with it.
  const json one = Json(h.Send("GET", std::string(kPath) + uuid + "/"));
  EXPECT_EQ(one["secret_shared_key"], d["secret_shared_key"]);

  // PATCH replaces the events wholesale, keeps the secret.
  auto patched = h.Send("PATCH", std::string(kPath) + uuid + "/",
                        R"({"subscribed_events":["data.updated"],"enabled":false})");
  ASSERT_EQ(patched->status, 200) << patched->body;
  EXPECT_EQ(Json(patched)["subscribed_events"], json({"data.updated"}));
  EXPECT_EQ(Json(patched)["enabled"], false);
  EXPECT_EQ(Json(patched)["secret_shared_key"], d["secret_shared_key"]);

  EXPECT_EQ(h.Send("DELETE", std::string(kPath) + uuid + "/")->status, 204);
  auto again = h.Send("DELETE", std::string(kPath) + uuid + "/");
  EXPECT_EQ(again->status, 404);
  EXPECT_EQ(Json(again)["detail"], "Webhook destination not found.");
  EXPECT_EQ(h.Send("GET", std::string(kPath) + uuid + "/")->status, 404);
  EXPECT_EQ(Json(h.Send("GET", kPath)).size(), 1u);
  // Two creates, an update and a delete executed; the refused delete did not.
  EXPECT_EQ(h.Stats()["executions"]["create_webhook_destination"], 2);
  EXPECT_EQ(h.Stats()["executions"]["update_webhook_destination"], 1);
  EXPECT_EQ(h.Stats()["executions"]["delete_webhook_destination"], 1);
}

// The sandbox and the client check event names against one list
// (idem/didit/webhook_events.h): every name the client may send is taken,
// in the order sent.
TEST(WebhookDestinations, EveryEventTheClientKnowsIsTaken) {
  Harness h;
  json all = json::array();
  for (std::string_view name : didit::kWebhookEvents) all.push_back(std::string(name));
  auto made = h.Post(kPath, Destination("https://all.example.com/hook", all).dump());
  ASSERT_EQ(made->status, 201) << made->body;
  EXPECT_EQ(Json(made)["subscribed_events"], all);
}

TEST(WebhookDestinations, DidItsRefusals) {
  Harness h;
  auto field = [&](const json& body, const char* name) {
    auto r = h.Post(kPath, body.dump());
    EXPECT_EQ(r->status, 400) << body.dump();
    return Json(r)[name];
  };
  EXPECT_EQ(field(Destination("https://x.example.com", json::array()), "subscribed_events"),
            json({"At least one subscribed event is required."}));
  EXPECT_EQ(field(Destination("https://x.example.com", {"foo.bar"}), "subscribed_events"),
            json({"Unsupported webhook events: foo.bar"}));
  EXPECT_EQ(field(Destination("https://x.example.com", "status.updated"), "subscribed_events"),
            json({"Expected a list of items but got type \"str\"."}));
  EXPECT_EQ(field(json{{"url", "https://x.example.com"}}, "label"),
            json({"This field is required."}));
  EXPECT_EQ(field(json{{"label", "l"}}, "url"), json({"This field is required."}));
  EXPECT_EQ(field(Destination("not a url"), "url"), json({"Enter a valid URL."}));
  for (const char* url :
       {"http://x.example.com/h", "https://localhost/h", "https://127.0.0.1/h",
        "https://10.1.2.3/h", "https://192.168.0.1/h", "https://[::1]/h", "https://intranet/h"}) {
    EXPECT_EQ(field(Destination(url), "url"), json({"The URL must use HTTPS and a public host."}))
        << url;
  }
  json bad_version = Destination("https://x.example.com");
  bad_version["webhook_version"] = "v9";
  EXPECT_EQ(field(bad_version, "webhook_version"), json({"\"v9\" is not a valid choice."}));
  // The same url twice.
  ASSERT_EQ(h.Post(kPath, Destination("https://dup.example.com").dump())->status, 201);
  EXPECT_EQ(field(Destination("https://dup.example.com"), "url"),
            json({"This webhook destination already exists for the application."}));
  EXPECT_EQ(Json(h.Send("GET", kPath)).size(), 1u);
  EXPECT_EQ(h.Stats()["executions"]["create_webhook_destination"], 1);
  // Omitted events: subscribed to nothing.
  auto none = h.Post(kPath, json{{"label", "l"}, {"url", "https://none.example.com"}}.dump());
  ASSERT_EQ(none->status, 201);
  EXPECT_EQ(Json(none)["subscribed_events"], json::array());
  // PATCH to another destination's url, or an unknown uuid.
  auto clash = h.Send("PATCH", std::string(kPath) + Json(none)["uuid"].get<std::string>() + "/",
                      R"({"url":"https://dup.example.com"})");
  EXPECT_EQ(clash->status, 400);
  EXPECT_EQ(h.Send("PATCH", std::string(kPath) + "nope/", "{}")->status, 404);
  // Methods the paths do not take.
  auto put = h.Send("PUT", kPath, "{}");
  EXPECT_EQ(put->status, 405);
  EXPECT_EQ(Header(put, "Allow"), "GET, POST");
}

TEST(WebhookDestinations, HostileBodiesAre400) {
  Harness h;
  const std::string deep = std::string(5000, '[') + std::string(5000, ']');
  for (const std::string& body :
       {std::string("{"), std::string("[]"), std::string("\"x\""), deep,
        std::string(R"({"label":"l","url":"https://x.example.com","subscribed_events":[1,{}]})"),
        std::string(R"({"label":"l","url":"https://x.example.com","enabled":"yes"})"),
        std::string(R"({"label":)") + json(std::string(300, 'a')).dump() +
            R"(,"url":"https://x.example.com"})",
        std::string("{\"label\":\"l\",\"url\":\"https://x.example.com/\xff\"}")}) {
    auto r = h.Post(kPath, body);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400) << body.substr(0, 80);
  }
  EXPECT_EQ(h.Post("/v3/webhook/", "{")->status, 405);  // PATCH only
  EXPECT_EQ(h.Send("PATCH", "/v3/webhook/", "{")->status, 400);
  EXPECT_EQ(Json(h.Send("GET", kPath)).size(), 0u);
}

TEST(LegacyWebhook, GetPatchAndRotate) {
  Harness h;
  const json first = Json(h.Send("GET", "/v3/webhook/"));
  EXPECT_TRUE(first["webhook_url"].is_null());
  const std::string secret = first["secret_shared_key"];
  EXPECT_EQ(secret.size(), 43u);
  EXPECT_EQ(Json(h.Send("GET", "/v3/webhook/"))["secret_shared_key"], secret);  // stable
  auto set = h.Send("PATCH", "/v3/webhook/",
                    R"({"webhook_url":"https://hooks.example.com/d","capture_method":"mobile"})");
  ASSERT_EQ(set->status, 200) << set->body;
  EXPECT_EQ(Json(set)["webhook_url"], "https://hooks.example.com/d");
  EXPECT_EQ(Json(set)["secret_shared_key"], secret);  // not rotated unless asked
  auto rotated = h.Send("PATCH", "/v3/webhook/", R"({"rotate_secret_key":true})");
  ASSERT_EQ(rotated->status, 200);
  EXPECT_NE(Json(rotated)["secret_shared_key"], secret);
  EXPECT_EQ(Json(h.Send("GET", "/v3/webhook/"))["secret_shared_key"],
            Json(rotated)["secret_shared_key"]);
  auto bad = h.Send("PATCH", "/v3/webhook/",
                    R"({"data_retention_months":0,"webhook_url":"http://x.example.com"})");
  EXPECT_EQ(bad->status, 400);
  EXPECT_TRUE(Json(bad).contains("data_retention_months"));
  EXPECT_TRUE(Json(bad).contains("webhook_url"));
  auto off = h.Send("PATCH", "/v3/webhook/", R"({"webhook_url":null})");
  EXPECT_TRUE(Json(off)["webhook_url"].is_null());
}

json Transaction(const std::string& id, const std::string& amount = "1500.50") {
  return {{"transaction_id", id},
          {"transaction_category", "finance"},
          {"transaction_details",
           {{"direction", "out"},
            {"amount", amount},
            {"currency", "EUR"},
            {"action_type", "withdrawal"}}},
          {"subject", {{"vendor_data", "user-1"}, {"full_name", "Maria Garcia"}}}};
}

TEST(Transactions, CreateGetListAndCount) {
  Harness h;
  auto made = h.Post("/v3/transactions/", Transaction("tx-1").dump());
  ASSERT_EQ(made->status, 201) << made->body;
  const json t = Json(made);
  EXPECT_EQ(t["txn_id"], "tx-1");
  EXPECT_EQ(t["status"], "APPROVED");
  EXPECT_EQ(t["direction"], "OUTBOUND");
  EXPECT_EQ(t["amount"], "1500.5");  // trailing zeros stripped
  EXPECT_EQ(t["transaction_type"], "finance");
  EXPECT_EQ(t["action_type"], "withdrawal");
  EXPECT_EQ(t["vendor_data"], "user-1");
  const std::string uuid = t["uuid"];
  EXPECT_EQ(Json(h.Send("GET", "/v3/transactions/" + uuid + "/")), t);
  // GET takes Didit's uuid, not the caller's id.
  auto by_id = h.Send("GET", "/v3/transactions/tx-1/");
  EXPECT_EQ(by_id->status, 404);
  EXPECT_EQ(Json(by_id)["detail"], "Not found.");
  json other = Transaction("tx-2");
  other["transaction_at"] = "2020-01-01T00:00:00Z";
  other["transaction_category"] = "gambling_bet";
  auto second = h.Post("/v3/transactions/", other.dump());
  ASSERT_EQ(second->status, 201);
  EXPECT_EQ(Json(second)["transaction_type"], "gamblingBet");
  const json list = Json(h.Send("GET", "/v3/transactions/?limit=1"));
  EXPECT_EQ(list["total_transactions"], 2);
  ASSERT_EQ(list["results"].size(), 1u);
  EXPECT_EQ(list["results"][0]["txn_id"], "tx-1");  // newest txn_date first
  ASSERT_TRUE(list["next"].is_string());
  EXPECT_NE(list["next"].get<std::string>().find("offset=1"), std::string::npos);
  // Billed: counted as executions, with the subject's vendor_data.
  EXPECT_EQ(h.Stats()["executions"]["create_transaction"], 2);
  bool seen = false;
  const json executions = h.Executions();
  for (const json& e : executions["executions"]) {
    if (e["kind"] == "create_transaction" && e["resource_id"] == uuid) {
      seen = true;
      EXPECT_EQ(e["vendor_data"], "user-1");
    }
  }
  EXPECT_TRUE(seen);
}

TEST(Transactions, TheIdIsUniqueAndEveryRefusal) {
  Harness h;
  ASSERT_EQ(h.Post("/v3/transactions/", Transaction("tx-u").dump())->status, 201);
  auto dup = h.Post("/v3/transactions/", Transaction("tx-u", "9").dump());
  ASSERT_EQ(dup->status, 400);
  EXPECT_EQ(Json(dup)["transaction_id"],
            json({"A transaction with this transaction_id already exists."}));
  EXPECT_EQ(h.Stats()["executions"]["create_transaction"], 1);

  auto refused = [&](json body) {
    auto r = h.Post("/v3/transactions/", body.dump());
    EXPECT_EQ(r->status, 400) << body.dump();
    return Json(r);
  };
  json no_amount = Transaction("a");
  no_amount["transaction_details"].erase("amount");
  EXPECT_EQ(refused(no_amount)["transaction_details"]["amount"], json({"This field is required."}));
  json bad_category = Transaction("b");
  bad_category["transaction_category"] = "lottery";
  EXPECT_EQ(refused(bad_category)["non_field_errors"], json({"Unsupported transaction category."}));
  json no_name = Transaction("c");
  no_name["subject"].erase("full_name");
  EXPECT_EQ(refused(no_name)["subject"],
            json({"subject.vendor_data and subject.full_name are required."}));
  EXPECT_EQ(refused(Transaction(std::string(129, 'x')))["transaction_id"],
            json({"Ensure this field has no more than 128 characters."}));
  json bad_direction = Transaction("d");
  bad_direction["transaction_details"]["direction"] = "sideways";
  EXPECT_TRUE(refused(bad_direction)["transaction_details"].contains("direction"));
  for (const json& amount : {json("1e5"), json("-1"), json("1.0000000000000000001"), json(true)}) {
    json bad_amount = Transaction("e");
    bad_amount["transaction_details"]["amount"] = amount;
    EXPECT_TRUE(refused(bad_amount)["transaction_details"].contains("amount")) << amount;
  }
  json bad_counterparty = Transaction("f");
  bad_counterparty["counterparty"] = "someone";
  EXPECT_TRUE(refused(bad_counterparty).contains("counterparty"));
  for (const std::string& body : {std::string("{"), std::string("[1]"), std::string(3000, '{'),
                                  std::string("{\"transaction_id\":\xff}")}) {
    auto r = h.Post("/v3/transactions/", body);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400);
  }
  EXPECT_EQ(h.Send("GET", "/v3/transactions/?limit=x")->status, 400);
  EXPECT_EQ(h.Stats()["executions"]["create_transaction"], 1);
}

TEST(Transactions, IngestWriteScopeNotGenericWrite) {
  auto clock = std::make_shared<idem::testing::FakeClock>();
  SandboxOptions options;
  options.clock = clock;
  options.rate_scopes.ingest_write = 2;
  options.rate_scopes.generic_write = 1;
  Harness h(options);
  ASSERT_EQ(h.Post("/v3/transactions/", Transaction("r1").dump())->status, 201);
  auto second = h.Post("/v3/transactions/", Transaction("r2").dump());
  ASSERT_EQ(second->status, 201);  // generic-write (1/min) is not counted
  EXPECT_EQ(Header(second, "X-RateLimit-Limit"), "2");
  auto third = h.Post("/v3/transactions/", Transaction("r3").dump());
  ASSERT_EQ(third->status, 429);
  EXPECT_FALSE(Header(third, "Retry-After").empty());
  EXPECT_EQ(h.Stats()["executions"]["create_transaction"], 2);
  // The write scope still has its slot for another write.
  EXPECT_EQ(h.Post(kPath, Destination("https://r.example.com").dump())->status, 201);
}

}  // namespace
}  // namespace idem::sandbox::testing

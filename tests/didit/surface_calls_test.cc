// Webhook destinations, the legacy webhook and transactions through the
// typed calls against the real sandbox: round trips, Didit's refusals, and
// answers lost after the call executed, settled per the kinds' profile rows
// (endpoints.h) with exactly one resource and execution.
#include <gtest/gtest.h>

#include "idem/didit/endpoints.h"
#include "idem/didit/transactions.h"
#include "idem/didit/webhook_destinations.h"
#include "sandbox_fixture.h"

namespace idem::didit {
namespace {

using testing::MakeHarness;

WebhookDestinationRequest Destination(const std::string& url) {
  WebhookDestinationRequest r;
  r.label = "prod";
  r.url = url;
  r.webhook_version = "v3";
  r.subscribed_events = std::vector<std::string>{"status.updated", "transaction.created"};
  return r;
}

TransactionRequest Tx(const std::string& id, const std::string& amount = "10.50") {
  TransactionRequest r;
  r.transaction_id = id;
  r.transaction_category = "finance";
  r.direction = "out";
  r.amount = amount;
  r.currency = "EUR";
  r.subject_vendor_data = "user-7";
  r.subject_full_name = "Maria Garcia";
  return r;
}

TEST(WebhookDestinationCalls, RoundTripAndRefusals) {
  auto h = MakeHarness();
  ASSERT_TRUE(h);
  auto made = CreateWebhookDestination(*h->didit, Destination("https://a.example.com/h"),
                                       {.op_id = "dest-a"});
  ASSERT_TRUE(made) << made.error().ToString();
  EXPECT_FALSE(made->found_by_lookup);
  EXPECT_EQ(made->secret_shared_key.size(), 43u);
  EXPECT_EQ(made->subscribed_events.size(), 2u);
  auto op = h->didit->client().Get("dest-a");
  EXPECT_EQ((*op)->resource_id, made->uuid);
  EXPECT_EQ((*op)->natural_key, "webhook_destination:https://a.example.com/h");

  auto list = ListWebhookDestinations(*h->didit);
  ASSERT_TRUE(list);
  ASSERT_EQ(list->size(), 1u);
  EXPECT_TRUE((*list)[0].secret_shared_key.empty());  // the list has no secret
  auto one = GetWebhookDestination(*h->didit, made->uuid);
  ASSERT_TRUE(one);
  EXPECT_EQ(one->secret_shared_key, made->secret_shared_key);

  WebhookDestinationRequest change;
  change.enabled = false;
  change.subscribed_events = std::vector<std::string>{"data.updated"};
  auto updated = UpdateWebhookDestination(*h->didit, made->uuid, change);
  ASSERT_TRUE(updated) << updated.error().ToString();
  EXPECT_FALSE(updated->enabled);
  EXPECT_EQ(updated->subscribed_events, std::vector<std::string>{"data.updated"});

  // The url is taken: a new op's first attempt is refused, never looked up.
  auto dup = CreateWebhookDestination(*h->didit, Destination("https://a.example.com/h"));
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().error.code(), ErrorCode::kRefused);
  ASSERT_TRUE(dup.error().api);
  EXPECT_EQ(dup.error().api->field_errors["url"].front(),
            "This webhook destination already exists for the application.");
  // Checked before anything is sent.
  auto plain_http = CreateWebhookDestination(*h->didit, Destination("http://a.example.com/h"));
  EXPECT_EQ(plain_http.error().error.code(), ErrorCode::kInvalidArgument);
  WebhookDestinationRequest unknown_event = Destination("https://b.example.com");
  unknown_event.subscribed_events = std::vector<std::string>{"foo.bar"};
  EXPECT_EQ(CreateWebhookDestination(*h->didit, unknown_event).error().error.code(),
            ErrorCode::kInvalidArgument);

  auto deleted = DeleteWebhookDestination(*h->didit, made->uuid);
  ASSERT_TRUE(deleted);
  EXPECT_EQ(deleted->http_status, 204);
  EXPECT_FALSE(deleted->already_deleted);
  auto again = DeleteWebhookDestination(*h->didit, made->uuid);  // a new op: Didit's 404
  EXPECT_EQ(again.error().error.code(), ErrorCode::kRefused);
  EXPECT_EQ(GetWebhookDestination(*h->didit, made->uuid).error().api->http_status, 404);
}

TEST(WebhookConfigCalls, GetUpdateRotate) {
  auto h = MakeHarness();
  ASSERT_TRUE(h);
  auto first = GetWebhookConfig(*h->didit);
  ASSERT_TRUE(first) << first.error().ToString();
  EXPECT_FALSE(first->webhook_url);
  WebhookConfigUpdate set;
  set.webhook_url = std::optional<std::string>("https://hooks.example.com/d");
  auto updated = UpdateWebhookConfig(*h->didit, set);
  ASSERT_TRUE(updated) << updated.error().ToString();
  EXPECT_EQ(updated->webhook_url, "https://hooks.example.com/d");
  EXPECT_EQ(updated->secret_shared_key, first->secret_shared_key);
  WebhookConfigUpdate rotate;
  rotate.rotate_secret_key = true;
  auto rotated = UpdateWebhookConfig(*h->didit, rotate);
  ASSERT_TRUE(rotated);
  EXPECT_NE(rotated->secret_shared_key, first->secret_shared_key);
  EXPECT_EQ(GetWebhookConfig(*h->didit)->secret_shared_key, rotated->secret_shared_key);
  EXPECT_EQ(UpdateWebhookConfig(*h->didit, {}).error().error.code(),
            ErrorCode::kInvalidArgument);  // nothing to update
}

class SurfaceLookUpTest : public ::testing::TestWithParam<const char*> {};

// Every answer lost (or a 500) after the sandbox executed: the look-up of
// the profile row finds the destination, the op succeeds with its secret,
// and there is one destination; the delete's lost 204 reads as a 404.
TEST_P(SurfaceLookUpTest, ADestinationWhoseAnswerIsLostIsFoundByUrl) {
  SandboxOptions sandbox;
  sandbox.faults = GetParam();
  auto h = MakeHarness(sandbox);
  ASSERT_TRUE(h);
  auto made = CreateWebhookDestination(*h->didit, Destination("https://lost.example.com/h"),
                                       {.op_id = "dest-lost"});
  ASSERT_TRUE(made) << made.error().ToString();
  auto op = h->didit->client().Get("dest-lost");
  EXPECT_EQ((*op)->state, OpState::kSucceeded);
  EXPECT_EQ((*op)->attempts, 1);
  EXPECT_NE((*op)->audit.find("found by look-up"), std::string::npos) << (*op)->audit;
  EXPECT_EQ((*op)->resource_id, made->uuid);
  EXPECT_EQ(made->secret_shared_key.size(), 43u);  // read back by GET
  auto list = ListWebhookDestinations(*h->didit);
  ASSERT_TRUE(list);
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].uuid, made->uuid);
  EXPECT_EQ(h->Stats()["executions"]["create_webhook_destination"], 1);

  auto deleted = DeleteWebhookDestination(*h->didit, made->uuid, {.op_id = "dest-del"});
  ASSERT_TRUE(deleted) << deleted.error().ToString();
  EXPECT_TRUE(deleted->already_deleted);
  EXPECT_EQ(h->Stats()["executions"]["delete_webhook_destination"], 1);
  EXPECT_TRUE(ListWebhookDestinations(*h->didit)->empty());
}

// The same for a billed transaction: found by its transaction_id, one
// execution.
TEST_P(SurfaceLookUpTest, ATransactionWhoseAnswerIsLostIsFoundByItsId) {
  SandboxOptions sandbox;
  sandbox.faults = GetParam();
  auto h = MakeHarness(sandbox);
  ASSERT_TRUE(h);
  auto made = CreateTransaction(*h->didit, Tx("order-1"), {.op_id = "tx-lost"});
  ASSERT_TRUE(made) << made.error().ToString();
  EXPECT_EQ(made->txn_id, "order-1");
  EXPECT_EQ(made->amount, "10.5");
  auto op = h->didit->client().Get("tx-lost");
  EXPECT_EQ((*op)->state, OpState::kSucceeded);
  EXPECT_EQ((*op)->attempts, 1);
  EXPECT_NE((*op)->audit.find("found by look-up"), std::string::npos) << (*op)->audit;
  EXPECT_EQ((*op)->resource_id, made->uuid);
  EXPECT_EQ((*op)->natural_key, "transaction:order-1");
  EXPECT_EQ(h->Stats()["executions"]["create_transaction"], 1);
}

INSTANTIATE_TEST_SUITE_P(Faults, SurfaceLookUpTest,
                         ::testing::Values("drop_after=1@writes", "error_500_after=1@writes"),
                         [](const auto& info) {
                           const std::string f = info.param;
                           return f.substr(0, f.find('='));
                         });

// The first attempt executes and its answer is lost; the retry is refused
// as a duplicate (Didit's 400: the url or transaction_id now exists). Here
// the retry is a replay, as a client told the kind honours keys sends it
// (SetKeyedKinds; Didit does not, nor does the sandbox's didit profile);
// against Didit the same 400 follows a look-up that ran while the first
// attempt was still executing. The journal must say what happened: the op
// executed, and the caller got its resource: `succeeded`, found by the
// look-up, never `failed`. Seed 8: the first write is dropped, the second
// is not (asserted below, so a change in the draws shows as such).
class DuplicateAfterLostAnswerTest : public ::testing::Test {
 protected:
  std::unique_ptr<testing::Harness> Harness() {
    SandboxOptions sandbox;
    sandbox.faults = "drop_after=0.5@writes";
    sandbox.seed = 8;
    return MakeHarness(sandbox, [](DiditClientOptions& o) {
      for (const char* kind : {"create_webhook_destination", "create_transaction"}) {
        KindPolicy policy = DiditKindPolicy(*FindDiditEndpoint(kind));
        policy.server_honours_key = true;
        o.client.kind_policies[kind] = policy;
      }
    });
  }
};

TEST_F(DuplicateAfterLostAnswerTest, ADestinationRefusedAsADuplicateIsSucceededInTheJournal) {
  auto h = Harness();
  ASSERT_TRUE(h);
  auto made = CreateWebhookDestination(*h->didit, Destination("https://dup.example.com/h"),
                                       {.op_id = "dest-dup"});
  ASSERT_TRUE(made) << made.error().ToString();
  EXPECT_TRUE(made->found_by_lookup);
  EXPECT_EQ(made->secret_shared_key.size(), 43u);  // read back by GET
  auto op = h->didit->client().Get("dest-dup");
  ASSERT_TRUE(op && *op);
  ASSERT_EQ((*op)->attempts, 2) << "the precondition: a retry after the lost answer";
  EXPECT_EQ((*op)->state, OpState::kSucceeded) << (*op)->last_error;
  EXPECT_TRUE(FoundByLookUp(**op)) << (*op)->audit;
  EXPECT_EQ((*op)->resource_id, made->uuid);
  EXPECT_EQ(h->Stats()["executions"]["create_webhook_destination"], 1);
  EXPECT_EQ(h->Stats()["faults"]["drop_after"], 1);
  auto list = ListWebhookDestinations(*h->didit);
  ASSERT_TRUE(list);
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].uuid, made->uuid);
}

TEST_F(DuplicateAfterLostAnswerTest, ATransactionRefusedAsADuplicateIsSucceededInTheJournal) {
  auto h = Harness();
  ASSERT_TRUE(h);
  auto made = CreateTransaction(*h->didit, Tx("order-dup"), {.op_id = "tx-dup"});
  ASSERT_TRUE(made) << made.error().ToString();
  EXPECT_TRUE(made->found_by_lookup);
  EXPECT_EQ(made->txn_id, "order-dup");
  auto op = h->didit->client().Get("tx-dup");
  ASSERT_TRUE(op && *op);
  ASSERT_EQ((*op)->attempts, 2) << "the precondition: a retry after the lost answer";
  EXPECT_EQ((*op)->state, OpState::kSucceeded) << (*op)->last_error;
  EXPECT_TRUE(FoundByLookUp(**op)) << (*op)->audit;
  EXPECT_EQ((*op)->resource_id, made->uuid);
  EXPECT_EQ(h->Stats()["executions"]["create_transaction"], 1);
  EXPECT_EQ(h->Stats()["faults"]["drop_after"], 1);
}

// The same 400 on a first attempt: the id was taken before this op, a
// refusal, `failed` in the journal, nothing looked up as this op's.
TEST_F(DuplicateAfterLostAnswerTest, AFirstAttemptsDuplicateStaysARefusal) {
  auto h = MakeHarness();
  ASSERT_TRUE(h);
  ASSERT_TRUE(CreateTransaction(*h->didit, Tx("order-taken"), {.op_id = "tx-first"}));
  auto again = CreateTransaction(*h->didit, Tx("order-taken"), {.op_id = "tx-again"});
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().error.code(), ErrorCode::kRefused);
  auto op = h->didit->client().Get("tx-again");
  ASSERT_TRUE(op && *op);
  EXPECT_EQ((*op)->state, OpState::kFailed);
  EXPECT_EQ((*op)->response_status, 400);
  EXPECT_EQ((*op)->attempts, 1);
}

TEST(TransactionCalls, RoundTripAndARepeatedId) {
  auto h = MakeHarness();
  ASSERT_TRUE(h);
  auto made = CreateTransaction(*h->didit, Tx("order-2"));
  ASSERT_TRUE(made) << made.error().ToString();
  EXPECT_EQ(made->status, "APPROVED");
  EXPECT_EQ(made->direction, "OUTBOUND");
  auto got = GetTransaction(*h->didit, made->uuid);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->raw, made->raw);
  auto found = FindTransaction(*h->didit, "order-2");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->uuid, made->uuid);
  EXPECT_EQ(FindTransaction(*h->didit, "nope").error().error.code(), ErrorCode::kNotFound);
  // Another op with the id: Didit's 400 on a first attempt is a refusal.
  auto again = CreateTransaction(*h->didit, Tx("order-2", "99"));
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().error.code(), ErrorCode::kRefused);
  EXPECT_EQ(h->Stats()["executions"]["create_transaction"], 1);
  // Refused locally, nothing sent.
  EXPECT_EQ(CreateTransaction(*h->didit, Tx(std::string(129, 'x'))).error().error.code(),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(CreateTransaction(*h->didit, Tx("order-3", "1e5")).error().error.code(),
            ErrorCode::kInvalidArgument);
}

// The id is taken by another request and this op's answer is lost: the
// look-up finds a transaction with that id but another amount, so it cannot
// be this op's: unknown, needs review, never re-sent; still one execution.
TEST(TransactionCalls, AnIdTakenByAnotherRequestStopsForAPerson) {
  SandboxOptions sandbox;
  sandbox.faults = "drop_after=1@writes";
  auto h = MakeHarness(sandbox);
  ASSERT_TRUE(h);
  ASSERT_TRUE(CreateTransaction(*h->didit, Tx("order-4", "1"), {.op_id = "first"}));
  auto second = CreateTransaction(*h->didit, Tx("order-4", "2"), {.op_id = "second"});
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().error.code(), ErrorCode::kUnknownOutcome);
  auto op = h->didit->client().Get("second");
  EXPECT_EQ((*op)->state, OpState::kUnknown);
  EXPECT_TRUE((*op)->needs_review);
  EXPECT_NE((*op)->last_error.find("amount"), std::string::npos) << (*op)->last_error;
  const int requests = h->Stats()["requests"].get<int>();
  ASSERT_TRUE(h->didit->client().Resume());
  EXPECT_EQ(h->Stats()["requests"], requests);  // needs review: never re-sent
  EXPECT_EQ(h->Stats()["executions"]["create_transaction"], 1);
}

}  // namespace
}  // namespace idem::didit

// The create_workflow look-up on lists Didit may answer but the sandbox never
// does (it keeps at most 50 workflows, on one page): a list too long to read
// whole, and a `next` link on another origin. Nothing is unique about a
// workflow at Didit, so absence in a list read in part proves nothing, and a
// create_workflow sent again on it could make a second workflow: the look-up
// must stop for a person, never answer "not found". A loopback server plays
// Didit's list here, because the sandbox cannot be made to page.
#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <nlohmann/json.hpp>
#include <string>

#include "didit/workflow_reconciler.h"
#include "idem/transport.h"
#include "server/http_server.h"

namespace idem::didit {
namespace {

using nlohmann::json;
using Outcome = ReconcileResult::Outcome;

constexpr std::int64_t kOpCreatedMs = 1'780'000'000'000;  // 2026-05-28
constexpr const char* kAfterTheOp = "2026-05-28T21:00:00Z";

// Serves GET /v3/workflows/?... with `page(n, base)` for the n-th list
// request (1-based) and GET /v3/workflows/{uuid}/ with the workflow.
class ListServer {
 public:
  using Page = std::function<json(int n, const std::string& base)>;
  explicit ListServer(Page page) : page_(std::move(page)) {
    auto server = server::HttpServer::Start(
        {}, server::Synchronous([this](const server::Request& r) {
          if (r.target.rfind("/v3/workflows/?", 0) == 0) {
            const int n = ++lists_;
            return server::Response{
                200, {{"Content-Type", "application/json"}}, page_(n, base_url()).dump()};
          }
          const std::string uuid = r.target.substr(std::string("/v3/workflows/").size());
          return server::Response{200,
                                  {{"Content-Type", "application/json"}},
                                  json{{"uuid", uuid.substr(0, uuid.size() - 1)}}.dump()};
        }));
    EXPECT_TRUE(server) << (server ? "" : server.error().ToString());
    if (server) server_ = std::move(*server);
  }
  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(server_->port()); }
  int lists() const { return lists_; }

 private:
  Page page_;
  std::atomic<int> lists_{0};
  std::unique_ptr<server::HttpServer> server_;
};

json Row(const std::string& uuid, const std::string& label) {
  return json{{"uuid", uuid},
              {"workflow_label", label},
              {"features", "OCR + LIVENESS"},
              {"updated_at", kAfterTheOp}};
}

json ListPage(json rows, const std::string& next) {
  return json{{"count", 1000},
              {"next", next.empty() ? json(nullptr) : json(next)},
              {"previous", nullptr},
              {"results", std::move(rows)}};
}

ReconcileResult LookUp(const ListServer& server, int max_pages) {
  internal::LookupTarget target;
  target.transport = MakeCurlTransport();
  target.base_url = server.base_url();
  target.api_key = "k";
  Operation op;
  op.op_id = "wf-1";
  op.kind = "create_workflow";
  op.created_ms = kOpCreatedMs;
  op.body =
      json{{"workflow_label", "Paged KYC"},
           {"features", json::array({json{{"feature", "OCR"}}, json{{"feature", "LIVENESS"}}})}}
          .dump();
  internal::WorkflowReconciler reconciler(target, max_pages);
  std::promise<ReconcileResult> promise;
  reconciler.Lookup(op, [&](ReconcileResult r) { promise.set_value(std::move(r)); });
  return promise.get_future().get();
}

// Every page links to one more: the look-up stops at max_pages, and what it
// did not read may hold this op's workflow.
TEST(WorkflowLookup, AListLongerThanThePageLimitIsUnresolvableNotNotFound) {
  ListServer server([](int n, const std::string& base) {
    return ListPage(json::array({Row("other-" + std::to_string(n), "Another label")}),
                    base + "/v3/workflows/?limit=100&offset=" + std::to_string(n * 100));
  });
  const ReconcileResult r = LookUp(server, 3);
  EXPECT_EQ(r.outcome, Outcome::kUnresolvable) << r.error;
  EXPECT_NE(r.error.find("not read whole"), std::string::npos) << r.error;
  EXPECT_EQ(server.lists(), 3);
}

// A `next` on another origin is not followed (the API key would go there).
TEST(WorkflowLookup, ANextLinkOnAnotherOriginIsUnresolvable) {
  ListServer server([](int, const std::string&) {
    return ListPage(json::array({Row("other", "Another label")}),
                    "http://elsewhere.invalid/v3/workflows/?offset=100");
  });
  const ReconcileResult r = LookUp(server, 5);
  EXPECT_EQ(r.outcome, Outcome::kUnresolvable) << r.error;
  EXPECT_EQ(server.lists(), 1);
}

// The control: the same pages, ending, with the op's workflow on the
// second. Read whole, it is found; with nothing there, "not found".
TEST(WorkflowLookup, AListReadWholeDecides) {
  ListServer found([](int n, const std::string& base) {
    if (n == 1) {
      return ListPage(json::array({Row("other", "Another label")}),
                      base + "/v3/workflows/?limit=100&offset=100");
    }
    return ListPage(json::array({Row("mine", "Paged KYC")}), "");
  });
  const ReconcileResult hit = LookUp(found, 3);
  EXPECT_EQ(hit.outcome, Outcome::kFound) << hit.error;
  EXPECT_EQ(hit.resource_id, "mine");
  EXPECT_EQ(found.lists(), 2);

  ListServer empty([](int n, const std::string& base) {
    if (n == 1) {
      return ListPage(json::array({Row("other", "Another label")}),
                      base + "/v3/workflows/?limit=100&offset=100");
    }
    return ListPage(json::array(), "");
  });
  const ReconcileResult miss = LookUp(empty, 3);
  EXPECT_EQ(miss.outcome, Outcome::kNotFound) << miss.error;
}

}  // namespace
}  // namespace idem::didit

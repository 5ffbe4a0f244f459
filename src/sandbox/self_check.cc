#include <unistd.h>

#include <filesystem>
#include <future>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "idem/sandbox.h"
#include "idem/sandbox_self_check.h"
#include "idem/uuid.h"
#include "sandbox/curl_client.h"

namespace idem {
namespace {

using sandbox::CurlClient;

constexpr char kWorkflow[] = "11111111-2222-4333-8444-555555555555";

struct Check {
  std::string name;
  bool passed;
  std::string detail;
};

class Checker {
 public:
  void Add(std::string name, bool passed, std::string detail = "") {
    checks_.push_back({std::move(name), passed, std::move(detail)});
  }
  bool Print(std::ostream& out) const {
    std::size_t width = 0;
    for (const auto& c : checks_) width = std::max(width, c.name.size());
    int failed = 0;
    for (const auto& c : checks_) {
      out << (c.passed ? "PASS  " : "FAIL  ") << c.name
          << std::string(width - c.name.size() + 2, ' ') << c.detail << "\n";
      failed += c.passed ? 0 : 1;
    }
    out << checks_.size() - static_cast<std::size_t>(failed) << "/" << checks_.size()
        << " checks passed\n";
    return failed == 0 && !checks_.empty();
  }

 private:
  std::vector<Check> checks_;
};

Headers Auth(std::string key = "") {
  Headers h{{"x-api-key", "sandbox-key"}, {"Content-Type", "application/json"}};
  if (!key.empty()) h.push_back({"Idempotency-Key", key});
  return h;
}

std::string Status(const Result<HttpResponse>& r) {
  return r ? "status " + std::to_string(r->status) : "error: " + r.error().message();
}

bool Is(const Result<HttpResponse>& r, int status) { return r && r->status == status; }

void RunRules(Checker& c) {
  SandboxOptions options;
  options.port = 0;
  options.faults = "slow_exec=1.0:300";  // every API request holds its key 300 ms
  auto sb = Sandbox::Start(options);
  if (!sb) return c.Add("start sandbox", false, sb.error().ToString());
  const std::string url = (*sb)->base_url();
  CurlClient http;
  c.Add("health", Is(http.Send("GET", url + "/_sandbox/health"), 200));
  const std::string body =
      std::string(R"({"workflow_id":")") + kWorkflow + R"(","vendor_data":"self-check-1"})";
  auto missing =
      http.Send("POST", url + "/v3/session/", {{"Content-Type", "application/json"}}, body);
  c.Add("missing x-api-key -> 403", Is(missing, 403), Status(missing));
  auto wrong = http.Send("POST", url + "/v3/session/",
                         {{"x-api-key", "wrong"}, {"Content-Type", "application/json"}}, body);
  c.Add("wrong x-api-key -> 401", Is(wrong, 401), Status(wrong));

  const std::string key = NewUuidV4();
  // A true concurrent duplicate: the first holds the key (slow_exec), the second meets 409.
  auto first = std::async(std::launch::async, [&] {
    CurlClient own;
    return own.Send("POST", url + "/v3/session/", Auth(key), body);
  });
  usleep(100 * 1000);
  auto conflict = http.Send("POST", url + "/v3/session/", Auth(key), body);
  c.Add("concurrent duplicate -> 409", Is(conflict, 409), Status(conflict));
  auto created = first.get();
  c.Add("create -> 201", Is(created, 201), Status(created));
  auto replay = http.Send("POST", url + "/v3/session/", Auth(key), body);
  const bool replayed = Is(replay, 201) && created &&
                        FindHeader(replay->headers, "Idempotent-Replayed").value_or("") == "true" &&
                        replay->body == created->body;
  c.Add("replay -> same 201, byte-identical, Idempotent-Replayed", replayed, Status(replay));
  auto quoted = http.Send("POST", url + "/v3/session/", Auth("\"" + key + "\""), body);
  c.Add("quoted key = bare key (replay)",
        Is(quoted, 201) && created && quoted->body == created->body, Status(quoted));
  auto mismatch =
      http.Send("POST", url + "/v3/session/", Auth(key),
                std::string(R"({"workflow_id":")") + kWorkflow + R"(","vendor_data":"other"})");
  c.Add("same key, other body -> 422", Is(mismatch, 422), Status(mismatch));
  auto empty_key = http.Send("POST", url + "/v3/session/", Auth("\"\""), body);
  c.Add("empty key -> 400", Is(empty_key, 400), Status(empty_key));
  auto long_key = http.Send("POST", url + "/v3/session/", Auth(std::string(256, 'k')), body);
  c.Add("key over 255 chars -> 400", Is(long_key, 400), Status(long_key));
  auto no_workflow = http.Send("POST", url + "/v3/session/", Auth(NewUuidV4()), "{}");
  c.Add("missing workflow_id -> 400", Is(no_workflow, 400), Status(no_workflow));
  auto bad_json = http.Send("POST", url + "/v3/session/", Auth(NewUuidV4()), "{not json");
  c.Add("malformed JSON -> 400", Is(bad_json, 400), Status(bad_json));
  auto stats =
      nlohmann::json::parse(http.Send("GET", url + "/_sandbox/stats")->body, nullptr, false);
  c.Add("stats: 1 create, 1 conflict, 1 mismatch, 2 replays",
        stats.is_object() && stats["executions"]["create_session"] == 1 &&
            stats["conflicts_409"] == 1 && stats["mismatches_422"] == 1 && stats["replays"] == 2,
        stats.is_object() ? stats.dump() : "no stats");
  (*sb)->Stop();
}

void RunDropAfterAndRestart(Checker& c) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("idem-self-check-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  const std::string db = (dir / "sandbox.db").string();
  const std::string key = NewUuidV4();
  const std::string body =
      std::string(R"({"workflow_id":")") + kWorkflow + R"(","vendor_data":"self-check-2"})";
  {
    SandboxOptions options;
    options.port = 0;
    options.db_path = db;
    options.faults = "drop_after=1.0";
    auto sb = Sandbox::Start(options);
    if (!sb) return c.Add("start sandbox with --db", false, sb.error().ToString());
    CurlClient http;
    auto dropped = http.Send("POST", (*sb)->base_url() + "/v3/session/", Auth(key), body);
    c.Add("drop_after: executed, no response",
          !dropped && dropped.error().code() == ErrorCode::kUnavailable, Status(dropped));
    (*sb)->Stop();
  }
  {
    SandboxOptions options;
    options.port = 0;
    options.db_path = db;
    auto sb = Sandbox::Start(options);
    if (!sb) return c.Add("restart sandbox with --db", false, sb.error().ToString());
    CurlClient http;
    auto replay = http.Send("POST", (*sb)->base_url() + "/v3/session/", Auth(key), body);
    c.Add("after restart, retry replays the dropped 201",
          Is(replay, 201) &&
              FindHeader(replay->headers, "Idempotent-Replayed").value_or("") == "true",
          Status(replay));
    auto stats = nlohmann::json::parse((*sb)->StatsJson(), nullptr, false);
    c.Add("exactly one execution, no duplicate",
          stats.is_object() && stats["executions"]["create_session"] == 1 &&
              stats["duplicate_executions"] == 0,
          stats.is_object() ? stats["executions"].dump() : "no stats");
    (*sb)->Stop();
  }
  std::error_code ignored;
  std::filesystem::remove_all(dir, ignored);
}

}  // namespace

bool RunSandboxSelfCheck(std::ostream& out) {
  Checker c;
  RunRules(c);
  RunDropAfterAndRestart(c);
  return c.Print(out);
}

}  // namespace idem

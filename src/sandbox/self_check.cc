#include "sandbox/self_check.h"

#include <unistd.h>

#include <filesystem>
#include <future>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "idem/sandbox.h"
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

constexpr char kReusedDetail[] = "Idempotency-Key reused with a different request body.";
constexpr char kInProgressDetail[] =
    "A request with this Idempotency-Key is still being processed. Retry later.";

nlohmann::json JsonOf(const Result<HttpResponse>& r) {
  return r ? nlohmann::json::parse(r->body, nullptr, false) : nlohmann::json();
}

std::string Header(const Result<HttpResponse>& r, std::string_view name) {
  return r ? std::string(FindHeader(r->headers, name).value_or("")) : std::string();
}

std::string CreateBody(const std::string& vendor_data) {
  return std::string(R"({"workflow_id":")") + kWorkflow + R"(","vendor_data":")" + vendor_data +
         "\"}";
}

std::string LivenessForm(const std::string& image) {
  return "--sc\r\nContent-Disposition: form-data; name=\"user_image\"; filename=\"f.jpg\"\r\n"
         "Content-Type: image/jpeg\r\n\r\n" +
         image + "\r\n--sc--\r\n";
}

// The didit profile (the default): keys on POST /v3/aml/ only, Didit's
// 409s, the update-status rules, saved checks listed and decided.
void RunDiditRules(Checker& c) {
  SandboxOptions options;
  options.port = 0;
  auto sb = Sandbox::Start(options);
  if (!sb) return c.Add("didit: start sandbox", false, sb.error().ToString());
  const std::string url = (*sb)->base_url();
  CurlClient http;
  c.Add("didit: health", Is(http.Send("GET", url + "/_sandbox/health"), 200));
  const std::string body = CreateBody("self-check-didit");
  auto missing =
      http.Send("POST", url + "/v3/session/", {{"Content-Type", "application/json"}}, body);
  c.Add("didit: missing x-api-key -> 403", Is(missing, 403), Status(missing));
  auto wrong = http.Send("POST", url + "/v3/session/",
                         {{"x-api-key", "wrong"}, {"Content-Type", "application/json"}}, body);
  c.Add("didit: wrong x-api-key -> 401", Is(wrong, 401), Status(wrong));

  const std::string key = NewUuidV4();
  auto created = http.Send("POST", url + "/v3/session/", Auth(key), body);
  auto again = http.Send("POST", url + "/v3/session/", Auth(key), CreateBody("self-check-other"));
  c.Add("didit: create ignores Idempotency-Key (same key, 2 sessions)",
        Is(created, 201) && Is(again, 201) &&
            JsonOf(created)["session_id"] != JsonOf(again)["session_id"],
        Status(again));
  auto unparsed = http.Send("POST", url + "/v3/session/", Auth("\"\""), CreateBody("sc-3"));
  c.Add("didit: malformed key on create not even parsed -> 201", Is(unparsed, 201),
        Status(unparsed));

  Headers multipart{{"x-api-key", "sandbox-key"},
                    {"Content-Type", "multipart/form-data; boundary=sc"},
                    {"Idempotency-Key", "liveness-key"}};
  auto l1 = http.Send("POST", url + "/v3/passive-liveness/", multipart, LivenessForm("img"));
  auto l2 = http.Send("POST", url + "/v3/passive-liveness/", multipart, LivenessForm("img"));
  c.Add("didit: passive-liveness twice, same key -> executes twice",
        Is(l1, 200) && Is(l2, 200) && JsonOf(l1)["request_id"] != JsonOf(l2)["request_id"],
        Status(l2));

  const std::string aml_key = NewUuidV4();
  const std::string aml = R"({"full_name":"Jane Selfcheck","vendor_data":"sc-aml"})";
  auto a1 = http.Send("POST", url + "/v3/aml/", Auth(aml_key), aml);
  auto a2 = http.Send("POST", url + "/v3/aml/", Auth(aml_key), aml);
  c.Add("didit: AML replay -> same 200, byte-identical, no replay header",
        Is(a1, 200) && Is(a2, 200) && a1->body == a2->body &&
            Header(a2, "Idempotent-Replayed").empty(),
        Status(a2));
  auto reused = http.Send("POST", url + "/v3/aml/", Auth(aml_key), R"({"full_name":"Other"})");
  c.Add("didit: AML key, other body -> 409 {detail}",
        Is(reused, 409) && JsonOf(reused) == nlohmann::json{{"detail", kReusedDetail}} &&
            Header(reused, "Retry-After").empty(),
        reused ? reused->body : Status(reused));
  auto bad_key = http.Send("POST", url + "/v3/aml/", Auth(std::string(256, 'k')), aml);
  c.Add("didit: AML key over 255 chars -> 400 Invalid Idempotency-Key",
        Is(bad_key, 400) &&
            JsonOf(bad_key)["detail"].get<std::string>().rfind("Invalid Idempotency-Key: ", 0) == 0,
        bad_key ? bad_key->body : Status(bad_key));

  const std::string id = created ? JsonOf(created)["session_id"].get<std::string>() : "";
  const std::string update = url + "/v3/session/" + id + "/update-status/";
  auto early = http.Send("PATCH", update, Auth(), R"({"new_status":"Approved"})");
  c.Add("didit: update-status from Not Started -> 400",
        Is(early, 400) && JsonOf(early)["detail"] ==
                              "Only sessions with status Approved, Declined, In Review, Kyc "
                              "Expired, Abandoned, Resubmitted can be updated. Current status: "
                              "Not Started",
        early ? early->body : Status(early));
  // Set-up only: the check below fails (and says so) if the advance did not happen.
  (void)http.Send("POST", url + "/_sandbox/sessions/" + id + "/advance", {},
                  R"({"status":"In Review"})");
  auto approved = http.Send("PATCH", update, Auth(), R"({"new_status":"Approved"})");
  auto same = http.Send("PATCH", update, Auth(), R"({"new_status":"Approved"})");
  c.Add("didit: update-status to the current status -> 400 bare array",
        Is(approved, 200) && Is(same, 400) &&
            JsonOf(same) == nlohmann::json::array({"The new status is the same as the current "
                                                   "status."}),
        same ? same->body : Status(same));

  const std::string request_id = a1 ? JsonOf(a1)["request_id"].get<std::string>() : "";
  auto listed =
      JsonOf(http.Send("GET", url + "/v3/sessions/?vendor_data=sc-aml&api_service=AML", Auth()));
  c.Add("didit: saved AML check listed by vendor_data + api_service",
        listed.is_object() && listed["count"] == 1 &&
            listed["results"][0]["session_id"] == request_id &&
            listed["results"][0]["session_url"].is_null() &&
            !listed["results"][0].contains("workflow_id"),
        listed.dump());
  auto decision =
      JsonOf(http.Send("GET", url + "/v3/session/" + request_id + "/decision/", Auth()));
  c.Add("didit: its decision shows the AML feature",
        decision.is_object() && decision["features"] == nlohmann::json::array({"AML"}) &&
            decision["aml_screenings"].size() == 1 &&
            decision["aml_screenings"][0]["node_id"] == "feature_aml",
        decision.dump());
  auto stats = nlohmann::json::parse((*sb)->StatsJson(), nullptr, false);
  c.Add("didit: stats: profile didit, 1 AML, 2 liveness, 1 mismatch_409",
        stats.is_object() && stats["profile"] == "didit" && stats["executions"]["aml"] == 1 &&
            stats["executions"]["passive_liveness"] == 2 && stats["mismatches_409"] == 1 &&
            stats["mismatches_422"] == 0,
        stats.is_object() ? stats.dump() : "no stats");
  (*sb)->Stop();
}

// didit: a true concurrent duplicate of an AML request meets 409 + Retry-After.
void RunDiditInProgress(Checker& c) {
  SandboxOptions options;
  options.port = 0;
  options.faults = "slow_exec=1.0:300";  // every API request holds its key 300 ms
  auto sb = Sandbox::Start(options);
  if (!sb) return c.Add("didit: start slow sandbox", false, sb.error().ToString());
  const std::string url = (*sb)->base_url();
  const std::string key = NewUuidV4();
  const std::string aml = R"({"full_name":"Jane Concurrent"})";
  auto first = std::async(std::launch::async, [&] {
    CurlClient own;
    return own.Send("POST", url + "/v3/aml/", Auth(key), aml);
  });
  usleep(100 * 1000);
  CurlClient http;
  auto conflict = http.Send("POST", url + "/v3/aml/", Auth(key), aml);
  c.Add("didit: concurrent AML duplicate -> 409 + Retry-After: 1",
        Is(conflict, 409) && Header(conflict, "Retry-After") == "1" &&
            JsonOf(conflict) == nlohmann::json{{"detail", kInProgressDetail}},
        conflict ? conflict->body : Status(conflict));
  auto done = first.get();
  c.Add("didit: the first one -> 200", Is(done, 200), Status(done));
  (*sb)->Stop();
}

// The ideal profile's rules (IETF draft / Stripe), on their own sandbox.
void RunIdealRules(Checker& c) {
  SandboxOptions options;
  options.port = 0;
  options.profile = SandboxProfile::kIdeal;
  options.faults = "slow_exec=1.0:300";  // every API request holds its key 300 ms
  auto sb = Sandbox::Start(options);
  if (!sb) return c.Add("ideal: start sandbox", false, sb.error().ToString());
  const std::string url = (*sb)->base_url();
  CurlClient http;
  const std::string body = CreateBody("self-check-1");
  const std::string key = NewUuidV4();
  // A true concurrent duplicate: the first holds the key (slow_exec), the second meets 409.
  auto first = std::async(std::launch::async, [&] {
    CurlClient own;
    return own.Send("POST", url + "/v3/session/", Auth(key), body);
  });
  usleep(100 * 1000);
  auto conflict = http.Send("POST", url + "/v3/session/", Auth(key), body);
  c.Add("ideal: concurrent duplicate -> 409", Is(conflict, 409), Status(conflict));
  auto created = first.get();
  c.Add("ideal: create -> 201", Is(created, 201), Status(created));
  auto replay = http.Send("POST", url + "/v3/session/", Auth(key), body);
  const bool replayed = Is(replay, 201) && created &&
                        Header(replay, "Idempotent-Replayed") == "true" &&
                        replay->body == created->body;
  c.Add("ideal: replay -> same 201, byte-identical, Idempotent-Replayed", replayed, Status(replay));
  auto quoted = http.Send("POST", url + "/v3/session/", Auth("\"" + key + "\""), body);
  c.Add("ideal: quoted key = bare key (replay)",
        Is(quoted, 201) && created && quoted->body == created->body, Status(quoted));
  auto mismatch = http.Send("POST", url + "/v3/session/", Auth(key), CreateBody("other"));
  c.Add("ideal: same key, other body -> 422", Is(mismatch, 422), Status(mismatch));
  auto empty_key = http.Send("POST", url + "/v3/session/", Auth("\"\""), body);
  c.Add("ideal: empty key -> 400", Is(empty_key, 400), Status(empty_key));
  auto long_key = http.Send("POST", url + "/v3/session/", Auth(std::string(256, 'k')), body);
  c.Add("ideal: key over 255 chars -> 400", Is(long_key, 400), Status(long_key));
  auto no_workflow = http.Send("POST", url + "/v3/session/", Auth(NewUuidV4()), "{}");
  c.Add("ideal: missing workflow_id -> 400", Is(no_workflow, 400), Status(no_workflow));
  auto bad_json = http.Send("POST", url + "/v3/session/", Auth(NewUuidV4()), "{not json");
  c.Add("ideal: malformed JSON -> 400", Is(bad_json, 400), Status(bad_json));
  const std::string id = created ? JsonOf(created)["session_id"].get<std::string>() : "";
  const std::string update = url + "/v3/session/" + id + "/update-status/";
  auto from_new = http.Send("PATCH", update, Auth(), R"({"new_status":"Approved"})");
  auto same = http.Send("PATCH", update, Auth(), R"({"new_status":"Approved"})");
  c.Add("ideal: update-status from Not Started -> 200, same status again -> 200",
        Is(from_new, 200) && Is(same, 200), Status(same));
  auto stats =
      nlohmann::json::parse(http.Send("GET", url + "/_sandbox/stats")->body, nullptr, false);
  c.Add("ideal: stats: 1 create, 1 update, 1 conflict, 1 mismatch, 2 replays",
        stats.is_object() && stats["profile"] == "ideal" &&
            stats["executions"]["create_session"] == 1 &&
            stats["executions"]["update_status"] == 1 && stats["conflicts_409"] == 1 &&
            stats["mismatches_422"] == 1 && stats["replays"] == 2,
        stats.is_object() ? stats.dump() : "no stats");
  (*sb)->Stop();
}

// A response lost after the commit (drop_after), a restart on the same
// SQLite file, then the retry: in the ideal profile the create replays; in
// didit the AML check replays and its saved session came back too.
void RunDropAfterAndRestart(Checker& c, SandboxProfile profile) {
  const std::string name(SandboxProfileName(profile));
  const auto dir = std::filesystem::temp_directory_path() /
                   ("idem-self-check-" + std::to_string(getpid()) + "-" + name);
  std::filesystem::create_directories(dir);
  const std::string db = (dir / "sandbox.db").string();
  const std::string key = NewUuidV4();
  const bool ideal = profile == SandboxProfile::kIdeal;
  const std::string path = ideal ? "/v3/session/" : "/v3/aml/";
  const std::string body = ideal ? CreateBody("self-check-2")
                                 : R"({"full_name":"Jane Dropped","vendor_data":"sc-drop"})";
  {
    SandboxOptions options;
    options.port = 0;
    options.profile = profile;
    options.db_path = db;
    options.faults = "drop_after=1.0";
    auto sb = Sandbox::Start(options);
    if (!sb) return c.Add(name + ": start sandbox with --db", false, sb.error().ToString());
    CurlClient http;
    auto dropped = http.Send("POST", (*sb)->base_url() + path, Auth(key), body);
    c.Add(name + ": drop_after: executed, no response",
          !dropped && dropped.error().code() == ErrorCode::kUnavailable, Status(dropped));
    (*sb)->Stop();
  }
  {
    SandboxOptions options;
    options.port = 0;
    options.profile = profile;
    options.db_path = db;
    auto sb = Sandbox::Start(options);
    if (!sb) return c.Add(name + ": restart sandbox with --db", false, sb.error().ToString());
    CurlClient http;
    auto replay = http.Send("POST", (*sb)->base_url() + path, Auth(key), body);
    auto stats = nlohmann::json::parse((*sb)->StatsJson(), nullptr, false);
    const char* kind = ideal ? "create_session" : "aml";
    if (ideal) {
      c.Add(name + ": after restart, retry replays the dropped 201",
            Is(replay, 201) && Header(replay, "Idempotent-Replayed") == "true", Status(replay));
    } else {
      auto listed = JsonOf(http.Send(
          "GET", (*sb)->base_url() + "/v3/sessions/?vendor_data=sc-drop&api_service=AML", Auth()));
      c.Add(name + ": after restart, the AML retry replays; its saved session is back",
            Is(replay, 200) && listed.is_object() && listed["count"] == 1 &&
                listed["results"][0]["session_id"] == JsonOf(replay)["request_id"],
            listed.dump());
    }
    c.Add(name + ": exactly one execution, no duplicate",
          stats.is_object() && stats["executions"][kind] == 1 && stats["duplicate_executions"] == 0,
          stats.is_object() ? stats["executions"].dump() : "no stats");
    (*sb)->Stop();
  }
  std::error_code ignored;
  std::filesystem::remove_all(dir, ignored);
}

}  // namespace

bool RunSandboxSelfCheck(std::ostream& out) {
  Checker c;
  RunDiditRules(c);
  RunDiditInProgress(c);
  RunDropAfterAndRestart(c, SandboxProfile::kDidit);
  RunIdealRules(c);
  RunDropAfterAndRestart(c, SandboxProfile::kIdeal);
  return c.Print(out);
}

}  // namespace idem

#include "didit/workflow_reconciler.h"

#include <algorithm>
#include <memory>
#include <vector>

#include "didit/json_util.h"
#include "didit/surface_reconcilers.h"

namespace idem::didit::internal {
namespace {

using nlohmann::json;
using Outcome = ReconcileResult::Outcome;

ReconcileResult Plain(Outcome outcome, std::string error = {}, Headers headers = {}) {
  ReconcileResult r;
  r.outcome = outcome;
  r.error = std::move(error);
  r.response_headers = std::move(headers);
  return r;
}

std::string Text(const json& obj, const char* field) {
  auto it = obj.find(field);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : std::string();
}

struct Search {
  LookupTarget target;
  std::string label;
  std::string features;
  std::int64_t earliest = 0;
  std::vector<std::string> taken;
  std::size_t pending_siblings = 0;
  std::vector<std::string> candidates;
  int pages_left = 0;
  Reconciler::Done done;
};

void Send(const LookupTarget& target, std::string url,
          std::function<void(TransportResult)> callback) {
  HttpRequest request;
  request.method = "GET";
  request.url = std::move(url);
  if (!target.api_key.empty()) request.headers.push_back({"x-api-key", target.api_key});
  target.transport->Send(std::move(request), std::move(callback));
}

void Finish(std::shared_ptr<Search> s, bool read_whole) {
  // A list cut short (too many pages, or a `next` on another origin) may
  // hide this op's workflow or a twin: absence proves nothing, and a
  // create_workflow sent again on it could make a second one.
  if (!read_whole) {
    return s->done(Plain(Outcome::kUnresolvable,
                         "GET /v3/workflows/ was not read whole: cannot tell whether a workflow "
                         "labelled '" +
                             s->label + "' is this op's"));
  }
  if (s->candidates.empty()) return s->done(Plain(Outcome::kNotFound));
  if (s->candidates.size() > 1 || s->pending_siblings > 0) {
    return s->done(Plain(Outcome::kUnresolvable,
                         std::to_string(s->candidates.size()) + " workflow(s) labelled '" +
                             s->label + "' with features " + s->features +
                             " since the op began and " + std::to_string(s->pending_siblings) +
                             " other unsettled op(s) with the label: cannot tell which one is "
                             "this op's"));
  }
  const std::string uuid = s->candidates.front();
  Send(s->target, s->target.base_url + "/v3/workflows/" + UrlEncode(uuid) + "/",
       [s, uuid](TransportResult result) {
         if (!result || result->status != 200 || result->body_truncated) {
           return s->done(Plain(
               Outcome::kFailed,
               "look-up of " + uuid + ": " +
                   (result ? "HTTP " + std::to_string(result->status) : result.error().message),
               result ? std::move(result->headers) : Headers{}));
         }
         ReconcileResult r;
         r.outcome = Outcome::kFound;
         r.resource_id = uuid;
         r.status = 201;
         r.body = std::move(result->body);
         r.note =
             "GET /v3/workflows/ (label " + s->label + ", " + s->features + "): workflow " + uuid;
         s->done(std::move(r));
       });
}

void Page(std::shared_ptr<Search> s, std::string url) {
  Send(s->target, std::move(url), [s](TransportResult result) {
    if (!result) return s->done(Plain(Outcome::kFailed, "look-up: " + result.error().message));
    if (result->status != 200 || result->body_truncated) {
      return s->done(Plain(Outcome::kFailed, "look-up: HTTP " + std::to_string(result->status),
                           std::move(result->headers)));
    }
    auto body = SafeParse(result->body);
    auto rows = body && body->is_object() ? body->find("results") : json::iterator();
    if (!body || !body->is_object() || rows == body->end() || !rows->is_array()) {
      return s->done(Plain(Outcome::kFailed, "look-up: the list has no results"));
    }
    for (const json& row : *rows) {
      if (!row.is_object() || Text(row, "workflow_label") != s->label ||
          Text(row, "features") != s->features) {
        continue;
      }
      // Didit's list rows carry updated_at only (OAS); created_at when a row
      // has it, since an older workflow edited after the op began is not
      // this op's.
      const std::string created = Text(row, "created_at");
      const auto at = ParseIsoMillis(created.empty() ? Text(row, "updated_at") : created);
      if (at && *at < s->earliest) continue;
      const std::string uuid = Text(row, "uuid");
      if (uuid.empty() || std::find(s->taken.begin(), s->taken.end(), uuid) != s->taken.end()) {
        continue;
      }
      s->candidates.push_back(uuid);
    }
    const std::string next = Text(*body, "next");
    if (next.empty()) return Finish(s, true);
    if (--s->pages_left <= 0 || !SameOrigin(next, s->target.base_url)) return Finish(s, false);
    Page(s, next);
  });
}

}  // namespace

std::string JoinedFeatures(const json& sent) {
  auto it = sent.is_object() ? sent.find("features") : json::const_iterator();
  if (!sent.is_object() || it == sent.end() || !it->is_array()) return {};
  std::string joined;
  for (const json& f : *it) {
    const std::string name = f.is_object() ? Text(f, "feature") : std::string();
    if (name.empty()) return {};
    if (!joined.empty()) joined += " + ";
    joined += name;
  }
  return joined;
}

void WorkflowReconciler::Lookup(const Operation& op, Done done) {
  auto sent = SafeParse(op.body);
  auto s = std::make_shared<Search>();
  s->features = sent ? JoinedFeatures(*sent) : std::string();
  if (s->features.empty()) {
    return done(Plain(Outcome::kUnresolvable, "the stored request has no readable features"));
  }
  s->label = Text(*sent, "workflow_label");
  if (s->label.empty()) s->label = "ID Verification";  // Didit's default (OAS)
  if (target_.journal && !op.natural_key.empty()) {
    auto siblings = target_.journal->FindByNaturalKey(op.natural_key);
    if (!siblings) return done(Plain(Outcome::kFailed, "journal: " + siblings.error().message()));
    for (const Operation& other : *siblings) {
      if (other.op_id == op.op_id) continue;
      if (!other.resource_id.empty()) {
        s->taken.push_back(other.resource_id);
      } else if (!IsFinal(other.state) && other.first_sent_ms != 0) {
        ++s->pending_siblings;
      }
    }
  }
  s->target = target_;
  s->earliest = op.created_ms - kLookupClockSkewMs;
  s->pages_left = max_pages_;
  s->done = std::move(done);
  Page(s, target_.base_url + "/v3/workflows/?limit=100");
}

}  // namespace idem::didit::internal

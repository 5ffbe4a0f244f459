#include "didit/workflow_reconciler.h"

#include <algorithm>
#include <memory>
#include <vector>

#include "didit/json_util.h"
#include "didit/surface_reconcilers.h"
#include "idem/didit/workflows.h"

namespace idem::didit::internal {
namespace {

using nlohmann::json;
using Outcome = ReconcileResult::Outcome;

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

void Finish(std::shared_ptr<Search> s, bool read_whole) {
  // A list cut short (too many pages, or a `next` on another origin) may
  // hide this op's workflow or a twin: absence proves nothing, and a
  // create_workflow sent again on it could make a second one.
  if (!read_whole) {
    return s->done(
        LookupAnswer(Outcome::kUnresolvable,
                     "GET /v3/workflows/ was not read whole: cannot tell whether a workflow "
                     "labelled '" +
                         s->label + "' is this op's"));
  }
  if (s->candidates.empty()) return s->done(LookupAnswer(Outcome::kNotFound));
  if (s->candidates.size() > 1 || s->pending_siblings > 0) {
    return s->done(
        LookupAnswer(Outcome::kUnresolvable,
                     std::to_string(s->candidates.size()) + " workflow(s) labelled '" + s->label +
                         "' with features " + s->features + " since the op began and " +
                         std::to_string(s->pending_siblings) +
                         " other unsettled op(s) with the label: cannot tell which one is "
                         "this op's"));
  }
  const std::string uuid = s->candidates.front();
  GetJson(s->target, s->target.base_url + "/v3/workflows/" + UrlEncode(uuid) + "/",
          [s, uuid](int, std::optional<json> workflow, Headers headers, std::string why) {
            if (!workflow) {
              return s->done(LookupAnswer(Outcome::kFailed, "look-up of " + uuid + ": " + why,
                                          std::move(headers)));
            }
            auto text = SafeDump(*workflow);
            s->done(FoundResource(uuid, 201, text ? *text : "{}",
                                  "GET /v3/workflows/ (label " + s->label + ", " + s->features +
                                      "): workflow " + uuid));
          });
}

void Page(std::shared_ptr<Search> s, std::string url) {
  GetJson(
      s->target, std::move(url),
      [s](int, std::optional<json> body, Headers headers, std::string why) {
        if (!body)
          return s->done(LookupAnswer(Outcome::kFailed, "look-up: " + why, std::move(headers)));
        auto rows = body->is_object() ? body->find("results") : json::iterator();
        if (!body->is_object() || rows == body->end() || !rows->is_array()) {
          return s->done(LookupAnswer(Outcome::kFailed, "look-up: the list has no results"));
        }
        for (const json& row : *rows) {
          if (!row.is_object() || StringField(row, "workflow_label") != s->label ||
              StringField(row, "features") != s->features) {
            continue;
          }
          // Didit's list rows carry updated_at only (OAS); created_at when a row
          // has it, since an older workflow edited after the op began is not
          // this op's.
          const std::string created = StringField(row, "created_at");
          const auto at =
              ParseIsoMillis(created.empty() ? StringField(row, "updated_at") : created);
          if (at && *at < s->earliest) continue;
          const std::string uuid = StringField(row, "uuid");
          if (uuid.empty() || std::find(s->taken.begin(), s->taken.end(), uuid) != s->taken.end()) {
            continue;
          }
          s->candidates.push_back(uuid);
        }
        const std::string next = StringField(*body, "next");
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
    const std::string name = f.is_object() ? StringField(f, "feature") : std::string();
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
    return done(
        LookupAnswer(Outcome::kUnresolvable, "the stored request has no readable features"));
  }
  s->label = StringField(*sent, "workflow_label");
  if (s->label.empty()) s->label = kDefaultWorkflowLabel;
  auto siblings = FindSiblingOps(target_.journal, op);
  if (!siblings) {
    return done(LookupAnswer(Outcome::kFailed, "journal: " + siblings.error().message()));
  }
  s->taken = std::move(siblings->taken);
  s->pending_siblings = siblings->pending;
  s->target = target_;
  s->earliest = op.created_ms - kLookupClockSkewMs;
  s->pages_left = max_pages_;
  s->done = std::move(done);
  Page(s, target_.base_url + "/v3/workflows/?limit=100");
}

}  // namespace idem::didit::internal

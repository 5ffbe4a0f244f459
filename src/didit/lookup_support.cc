#include "didit/lookup_support.h"

#include <utility>

#include "didit/json_util.h"

namespace idem::didit::internal {

ReconcileResult LookupAnswer(ReconcileResult::Outcome outcome, std::string why, Headers headers) {
  ReconcileResult r;
  r.outcome = outcome;
  r.error = std::move(why);
  r.response_headers = std::move(headers);
  return r;
}

ReconcileResult FoundResource(std::string resource_id, int status, std::string body,
                              std::string note) {
  ReconcileResult r;
  r.outcome = ReconcileResult::Outcome::kFound;
  r.resource_id = std::move(resource_id);
  r.status = status;
  r.body = std::move(body);
  r.note = std::move(note);
  return r;
}

HttpRequest MakeGet(const LookupTarget& target, std::string url) {
  HttpRequest request;
  request.method = "GET";
  request.url = std::move(url);
  if (!target.api_key.empty()) request.headers.push_back({"x-api-key", target.api_key});
  return request;
}

void GetJson(const LookupTarget& target, std::string url, GotJson done) {
  target.transport->Send(MakeGet(target, std::move(url)),
                         [done = std::move(done)](TransportResult result) {
                           if (!result) return done(0, std::nullopt, {}, result.error().message);
                           if (result->status != 200 || result->body_truncated) {
                             return done(result->status, std::nullopt, std::move(result->headers),
                                         "HTTP " + std::to_string(result->status));
                           }
                           auto parsed = SafeParse(result->body);
                           if (!parsed) return done(200, std::nullopt, {}, "unreadable JSON");
                           done(200, std::move(*parsed), {}, "");
                         });
}

std::string StringField(const nlohmann::json& obj, const char* field) {
  if (!obj.is_object()) return {};
  auto it = obj.find(field);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : std::string();
}

Result<SiblingOps> FindSiblingOps(const std::shared_ptr<Journal>& journal, const Operation& op) {
  SiblingOps siblings;
  if (!journal || op.natural_key.empty()) return siblings;
  auto others = journal->FindByNaturalKey(op.natural_key);
  if (!others) return tl::unexpected(others.error());
  for (const Operation& other : *others) {
    if (other.op_id == op.op_id) continue;
    if (!other.resource_id.empty()) {
      siblings.taken.push_back(other.resource_id);
    } else if (!IsFinal(other.state) && other.first_sent_ms != 0) {
      ++siblings.pending;
    }
  }
  return siblings;
}

}  // namespace idem::didit::internal

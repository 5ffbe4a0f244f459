#include "didit/surface_reconcilers.h"

#include <algorithm>
#include <cctype>
#include <functional>
#include <memory>

#include "didit/entity_reconcilers.h"
#include "didit/json_util.h"
#include "didit/resend_reconciler.h"
#include "idem/didit/endpoints.h"
#include "idem/didit/errors.h"
#include "idem/didit/transactions.h"
#include "idem/didit/webhook_deliveries.h"
#include "idem/didit/webhook_destinations.h"

namespace idem::didit::internal {
namespace {

using nlohmann::json;
using Outcome = ReconcileResult::Outcome;

std::string Upper(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return s;
}

// Didit stores a direction uppercase and takes in/out for INBOUND/OUTBOUND.
std::string CanonicalDirection(std::string d) {
  d = Upper(std::move(d));
  if (d == "IN") return "INBOUND";
  if (d == "OUT") return "OUTBOUND";
  return d;
}

std::string Text(const json& obj, const char* field) {
  auto it = obj.find(field);
  if (it == obj.end()) return {};
  if (it->is_string()) return it->get<std::string>();
  if (it->is_number()) return it->dump();
  return {};
}

// The path's last non-empty segment: "/v3/webhook/destinations/U/" -> "U".
std::string LastSegment(std::string_view path) {
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  return std::string(path.substr(path.rfind('/') + 1));
}

void PageTransactions(LookupTarget target, std::string url, std::string txn_id, json sent,
                      int pages_left, bool exists, Reconciler::Done done) {
  const std::string described = "GET /v3/transactions/ (txn_id " + txn_id + ")";
  GetJson(
      target, url,
      [target, txn_id, sent = std::move(sent), pages_left, exists, described,
       done = std::move(done)](int, std::optional<json> body, Headers headers,
                               std::string why) mutable {
        if (!body)
          return done(LookupAnswer(Outcome::kFailed, "look-up: " + why, std::move(headers)));
        auto rows = body->find("results");
        if (!body->is_object() || rows == body->end() || !rows->is_array()) {
          return done(LookupAnswer(Outcome::kFailed, "look-up: the list has no results"));
        }
        for (const json& row : *rows) {
          if (!row.is_object() || Text(row, "txn_id") != txn_id) continue;
          const std::string mismatch = TransactionMismatch(sent, row);
          if (!mismatch.empty()) {
            return done(LookupAnswer(Outcome::kUnresolvable,
                                     "transaction_id " + txn_id + " exists with another request (" +
                                         mismatch + "): not this op's, or not only"));
          }
          auto text = SafeDump(row);
          return done(FoundResource(Text(row, "uuid"), 201, text ? *text : "{}",
                                    described + ": transaction " + Text(row, "uuid")));
        }
        const std::string next = Text(*body, "next");
        const bool cut = !next.empty() && (pages_left <= 1 || !SameOrigin(next, target.base_url));
        if (next.empty() || cut) {
          // Didit said it exists: "not listed" proves nothing.
          if (exists && cut) {
            return done(LookupAnswer(Outcome::kUnresolvable,
                                     "Didit says transaction_id " + txn_id +
                                         " exists, but the list is too long to find it"));
          }
          if (exists) {
            return done(LookupAnswer(
                Outcome::kFailed,
                "Didit says transaction_id " + txn_id + " exists, but the list does not show it"));
          }
          // Not listed (or the list is too long, or leaves the origin): a
          // re-send is safe, Didit refuses a second transaction with the id.
          return done(LookupAnswer(Outcome::kNotFound));
        }
        PageTransactions(target, next, txn_id, std::move(sent), pages_left - 1, exists,
                         std::move(done));
      });
}

}  // namespace

std::string TransactionMismatch(const json& sent, const json& found) {
  if (!sent.is_object() || !found.is_object()) return "unreadable";
  if (Text(found, "txn_id") != Text(sent, "transaction_id")) return "txn_id";
  const json details = sent.value("transaction_details", json::object());
  const json subject = sent.value("subject", json::object());
  if (!details.is_object() || !subject.is_object()) return "unreadable request";
  if (CanonicalAmount(Text(found, "amount")) != CanonicalAmount(Text(details, "amount"))) {
    return "amount";
  }
  if (Upper(Text(found, "currency")) != Upper(Text(details, "currency"))) return "currency";
  if (CanonicalDirection(Text(found, "direction")) !=
      CanonicalDirection(Text(details, "direction"))) {
    return "direction";
  }
  if (Text(found, "vendor_data") != Text(subject, "vendor_data")) return "subject vendor_data";
  return {};
}

void DestinationCreateReconciler::Lookup(const Operation& op, Done done) {
  auto body = SafeParse(op.body);
  const std::string url = body && body->is_object() ? Text(*body, "url") : std::string();
  if (url.empty())
    return done(LookupAnswer(Outcome::kUnresolvable, "the stored request has no url"));
  const std::int64_t earliest = op.created_ms - kLookupClockSkewMs;
  const std::string list_url = target_.base_url + "/v3/webhook/destinations/";
  GetJson(target_, list_url,
          [target = target_, url, earliest, done = std::move(done)](
              int, std::optional<json> list, Headers headers, std::string why) mutable {
            if (!list)
              return done(LookupAnswer(Outcome::kFailed, "look-up: " + why, std::move(headers)));
            if (!list->is_array())
              return done(LookupAnswer(Outcome::kFailed, "look-up: not a list"));
            for (const json& row : *list) {
              if (!row.is_object() || Text(row, "url") != url) continue;
              const auto at = ParseIsoMillis(Text(row, "created_at"));
              // Older than the op: it was there before; this op's create was
              // (or will be) refused, never executed.
              if (at && *at < earliest) return done(LookupAnswer(Outcome::kNotFound));
              const std::string uuid = Text(row, "uuid");
              const std::string described =
                  "GET /v3/webhook/destinations/ (url " + url + "): destination " + uuid;
              return GetJson(
                  target, target.base_url + "/v3/webhook/destinations/" + UrlEncode(uuid) + "/",
                  [uuid, described, done = std::move(done)](int, std::optional<json> one, Headers h,
                                                            std::string get_why) {
                    if (!one) {
                      return done(LookupAnswer(
                          Outcome::kFailed, "look-up of " + uuid + ": " + get_why, std::move(h)));
                    }
                    auto text = SafeDump(*one);
                    done(FoundResource(uuid, 201, text ? *text : "{}", described));
                  });
            }
            done(LookupAnswer(Outcome::kNotFound));
          });
}

void DestinationDeleteReconciler::Lookup(const Operation& op, Done done) {
  const std::string uuid = LastSegment(op.path);
  GetJson(target_, target_.base_url + op.path,
          [uuid, path = op.path, done = std::move(done)](int status, std::optional<json>,
                                                         Headers headers, std::string why) {
            if (status == 404) {
              return done(FoundResource(
                  uuid, 404,
                  R"({"idem_note":"404 on look-up after an ambiguous delete: counted as done"})",
                  "GET " + path + ": 404, deleted"));
            }
            if (status == 200) return done(LookupAnswer(Outcome::kNotFound));  // still there
            done(LookupAnswer(Outcome::kFailed, "look-up: " + why, std::move(headers)));
          });
}

void TransactionReconciler::Lookup(const Operation& op, Done done) {
  auto sent = SafeParse(op.body);
  const std::string txn_id = sent && sent->is_object() ? Text(*sent, "transaction_id") : "";
  if (txn_id.empty()) {
    return done(LookupAnswer(Outcome::kUnresolvable, "the stored request has no transaction_id"));
  }
  // Didit's duplicate-id refusal, as the profile row describes it.
  const EndpointProfile* profile = FindDiditEndpoint(kCreateTransactionKind);
  const bool exists = profile && ExistsRefusalOf(didit::ExistsRefusalOf(*profile))(op);
  PageTransactions(target_, target_.base_url + "/v3/transactions/?limit=100", txn_id,
                   std::move(*sent), max_pages_, exists, std::move(done));
}

std::function<bool(const Operation&)> ExistsRefusalOf(const ExistsRefusal& rule) {
  return [status = rule.status, where = std::string(rule.where),
          phrase = std::string(rule.phrase)](const Operation& op) {
    if (status == 0 || op.response_status != status) return false;
    auto says = [&](const std::string& m) { return m.find(phrase) != std::string::npos; };
    if (where == "detail") {
      // DRF puts a non-field refusal under "detail": a string, or from a
      // serializer a list of strings (ApiError keeps only the string form).
      auto body = SafeParse(op.response_body);
      if (!body || !body->is_object()) return false;
      auto it = body->find("detail");
      if (it == body->end()) return false;
      if (it->is_string()) return says(it->get<std::string>());
      if (!it->is_array()) return false;
      return std::any_of(it->begin(), it->end(), [&](const json& m) {
        return m.is_string() && says(m.get<std::string>());
      });
    }
    const ApiError api = ParseApiError(op.response_status, op.response_body);
    auto it = api.field_errors.find(where);
    if (it == api.field_errors.end()) return false;
    return std::any_of(it->second.begin(), it->second.end(), says);
  };
}

void AddSurfaceReconcilers(ClientOptions& options) {
  LookupTarget target{options.transport, options.base_url, options.api_key, options.journal};
  auto field = [](const char* name) {
    return [name](const Operation& op) -> std::string {
      auto parsed = SafeParse(op.response_body);
      return parsed && parsed->is_object() ? Text(*parsed, name) : std::string();
    };
  };
  auto in_path = [](const Operation& op) { return LastSegment(op.path); };
  const std::string create(kCreateWebhookDestinationKind);
  const std::string update(kUpdateWebhookDestinationKind);
  const std::string remove(kDeleteWebhookDestinationKind);
  const std::string transaction(kCreateTransactionKind);
  options.reconcilers[create] = std::make_shared<DestinationCreateReconciler>(target);
  options.reconcilers[remove] = std::make_shared<DestinationDeleteReconciler>(target);
  // A PATCH sets the fields it names (subscribed_events wholesale): a repeat
  // sets them again; the legacy webhook's rotate_secret_key rotates again,
  // harmless since nobody got the lost secret (webhook_destinations.h).
  options.reconcilers[update] = std::make_shared<ResendReconciler>(0, "");
  options.reconcilers[std::string(kUpdateWebhookKind)] = std::make_shared<ResendReconciler>(0, "");
  options.reconcilers[transaction] = std::make_shared<TransactionReconciler>(target, 20);
  // A resend of a webhook delivery makes one more delivery of the same body:
  // sent again (webhook_deliveries.h).
  options.reconcilers[std::string(kResendWebhookKind)] = std::make_shared<ResendReconciler>(0, "");
  options.resource_id_of[create] = field("uuid");
  options.resource_id_of[update] = in_path;
  options.resource_id_of[remove] = in_path;
  options.resource_id_of[transaction] = field("uuid");
  // Users, businesses and the session's KYC data (entity_reconcilers.h).
  AddEntityReconcilers(options);
}

}  // namespace idem::didit::internal

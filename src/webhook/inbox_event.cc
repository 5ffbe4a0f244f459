#include "webhook/inbox_event.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <optional>

#include "common/crypto.h"
#include "idem/natural_key.h"
#include "webhook/json_parse.h"

namespace idem {

namespace webhook {
namespace {

constexpr std::string_view kStatusUpdated = "status.updated";

std::string OptionalString(const nlohmann::json& body, const char* name) {
  auto it = body.find(name);
  return it != body.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// A time in unix seconds, or nullopt when absent, not an integer or outside
// [0, kMaxUnixSeconds]: an integer past int64 would read back negative (found
// by fuzz/targets/webhook_event_fuzz.cc), and the heal multiplies it by 1000.
std::optional<std::int64_t> UnixSeconds(const nlohmann::json& body, const char* name) {
  auto it = body.find(name);
  if (it == body.end()) return std::nullopt;
  if (it->is_number_unsigned()) {
    const std::uint64_t v = it->get<std::uint64_t>();
    if (v > static_cast<std::uint64_t>(kMaxUnixSeconds)) return std::nullopt;
    return static_cast<std::int64_t>(v);
  }
  if (!it->is_number_integer()) return std::nullopt;
  const std::int64_t v = it->get<std::int64_t>();
  if (v < 0 || v > kMaxUnixSeconds) return std::nullopt;
  return v;
}

}  // namespace

[[nodiscard]] Result<ParsedEvent> ParseEvent(std::string_view body, std::string_view delivery_id) {
  ParsedEvent p;
  WebhookEvent& e = p.event;
  e.body = std::string(body);
  e.delivery_id = std::string(delivery_id);
  p.body_sha256 = crypto::Sha256Hex(body);
  auto json = ParseJson(body);
  bool has_timestamp = false;
  if (json && json->is_object()) {
    e.session_id = OptionalString(*json, "session_id");
    e.status = OptionalString(*json, "status");
    e.webhook_type = OptionalString(*json, "webhook_type");
    if (auto ts = UnixSeconds(*json, "timestamp")) {
      e.timestamp = *ts;
      has_timestamp = true;
    }
    e.event_id = OptionalString(*json, "event_id");
    e.workflow_id = OptionalString(*json, "workflow_id");
    e.vendor_data = OptionalString(*json, "vendor_data");
    auto decision = json->find("decision");
    if (decision != json->end() && !decision->is_null()) e.decision = Canonicalize(*decision);
    // The session existed by the event's time; a created_at earlier than
    // that (the session's own creation, as the sandbox sends it) bounds its
    // creation closer. Didit's created_at was once observed equal to the
    // event time, so the earlier of the two counts.
    p.created_s = has_timestamp ? e.timestamp : 0;
    if (auto created = UnixSeconds(*json, "created_at")) {
      if (*created > 0 && (p.created_s <= 0 || *created < p.created_s)) p.created_s = *created;
    }
  }
  // Only Didit's status.updated says a session's status changed; data.updated
  // (fact sheet section 6: a reviewer or the API edited its data) and types
  // Didit adds later may carry a status too, but do not move the session.
  p.session_event = e.webhook_type == kStatusUpdated && !e.session_id.empty() &&
                    !e.status.empty() && has_timestamp;
  if (p.session_event) {
    std::string tuple = e.session_id;
    for (const std::string& part : {e.status, e.webhook_type, std::to_string(e.timestamp)}) {
      tuple += '\0';
      tuple += part;
    }
    p.dedupe_key = crypto::Sha256Hex(tuple);
  } else if (json && json->is_object()) {
    // Its content without event_id, which Didit makes unique per delivery
    // attempt (fact sheet section 6): a retry with a new event_id is the same
    // event, two edits in the same second are two. Canonical, so a body a
    // proxy re-encoded (the V2 signature) is the same event too. Prefixed so
    // that it never equals a session tuple's key (bare 64 hex digits).
    json->erase("event_id");
    p.dedupe_key = "event:" + crypto::Sha256Hex(Canonicalize(*json));
  } else {
    // Not a JSON object: its own bytes are its identity (the body hash).
    p.dedupe_key = "body:" + p.body_sha256;
  }
  return p;
}

std::int64_t PolledTimestamp(const InboxOptions& options, std::int64_t stored_timestamp) {
  const std::int64_t now_s = ToUnixMillis(options.clock->Now()) / 1000;
  const std::int64_t skew_s =
      std::chrono::duration_cast<std::chrono::seconds>(options.heal_clock_skew).count();
  return std::max(stored_timestamp + 1, now_s - skew_s);
}

[[nodiscard]] Result<ParsedEvent> MakePolledEvent(const PolledStatus& polled,
                                                  std::int64_t timestamp) {
  nlohmann::json body = {{"webhook_type", std::string(kStatusUpdated)},
                         {"session_id", polled.session_id},
                         {"status", polled.status},
                         {"timestamp", timestamp},
                         {"source", "polled"}};
  if (!polled.decision.empty()) {
    auto decision = nlohmann::json::parse(polled.decision, nullptr, false);
    if (!decision.is_discarded()) body["decision"] = std::move(decision);
  }
  if (!polled.workflow_id.empty()) body["workflow_id"] = polled.workflow_id;
  if (!polled.vendor_data.empty()) body["vendor_data"] = polled.vendor_data;
  auto p = ParseEvent(body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), "");
  if (!p) return p;
  if (!p->session_event) {
    return MakeError(ErrorCode::kInvalidArgument, "a polled status needs a session id and status");
  }
  p->polled = true;
  p->event.polled = true;
  p->dedupe_key = "polled:" + p->dedupe_key;
  return p;
}

ParsedBatch ParseDeliveries(const std::vector<WebhookInbox::Delivery>& deliveries) {
  ParsedBatch batch;
  batch.results.reserve(deliveries.size());
  batch.events.reserve(deliveries.size());
  for (std::size_t i = 0; i < deliveries.size(); ++i) {
    auto p = ParseEvent(deliveries[i].body, deliveries[i].delivery_id);
    if (!p) {
      batch.results.emplace_back(tl::unexpected(p.error()));
      continue;
    }
    batch.results.emplace_back(MakeError(ErrorCode::kInternal, "not committed"));
    batch.events.push_back(std::move(*p));
    batch.index.push_back(i);
  }
  return batch;
}

[[nodiscard]] Status OpenHealJournal(InboxOptions& options, const std::string& path_or_url) {
  if (options.journal) return {};
  JournalOptions jo;
  jo.durability = options.durability;
  jo.busy_timeout = options.busy_timeout;
  jo.clock = options.clock;
  auto journal = OpenJournal(path_or_url, jo);
  if (!journal) return tl::unexpected(journal.error());
  options.journal = std::move(*journal);
  return {};
}

[[nodiscard]] Result<std::vector<std::string>> HealEvent(const InboxOptions& options,
                                                         const ParsedEvent& p) {
  const WebhookEvent& e = p.event;
  Journal* journal = options.journal.get();
  if (journal == nullptr || e.session_id.empty()) return std::vector<std::string>();
  Adoption adoption;
  if (!e.workflow_id.empty() && !e.vendor_data.empty()) {
    adoption.natural_key = SessionNaturalKey(e.workflow_id, e.vendor_data);
  }
  adoption.resource_id = e.session_id;
  adoption.kinds = options.heal_kinds;
  if (adoption.kinds.empty()) return std::vector<std::string>();  // the heal is off
  if (p.created_s <= 0) return std::vector<std::string>();        // no time: nothing provable
  // Seconds on the event: the whole second counts, then the skew.
  adoption.first_sent_not_after_ms = p.created_s * 1000 + 999 + options.heal_clock_skew.count();
  adoption.response_body = e.body;
  adoption.audit_line = "settled by webhook " + (e.event_id.empty() ? e.webhook_type : e.event_id) +
                        ": session " + e.session_id + " (" + e.status + ")";
  for (char& c : adoption.audit_line) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  auto adopted = journal->AdoptResource(adoption);
  if (!adopted) return tl::unexpected(adopted.error());
  std::vector<std::string> ids;
  for (const auto& op : *adopted) ids.push_back(op.op_id);
  return ids;
}

std::vector<std::int64_t> HealStored(const InboxOptions& options, ParsedBatch& batch) {
  std::vector<std::int64_t> healed_seqs;
  for (std::size_t k = 0; k < batch.events.size(); ++k) {
    Result<AcceptResult>& result = batch.results[batch.index[k]];
    if (!result || result->outcome != InboxOutcome::kStored) continue;
    auto healed = HealEvent(options, batch.events[k]);
    if (healed) {
      result->healed_op_ids = std::move(*healed);
      healed_seqs.push_back(result->seq);
    }
  }
  return healed_seqs;
}

[[nodiscard]] Status RunTask(const InboxOptions& options, const WebhookInbox::ExecRunner& exec,
                             const InboxTask& task, const WebhookEvent& event) {
  if (task.kind == "heal") {
    // A stored event is read again from its bytes (a task is the rare path:
    // the heal normally ran inline with the parse it already had).
    auto parsed = ParseEvent(event.body, event.delivery_id);
    if (!parsed) return tl::unexpected(parsed.error());
    auto healed = HealEvent(options, *parsed);
    if (!healed) return tl::unexpected(healed.error());
    return {};
  }
  if (!exec) return MakeError(ErrorCode::kFailedPrecondition, "no exec runner configured");
  return exec(event);
}

std::int64_t FirstDueMs(const InboxOptions& options, std::string_view kind, std::int64_t now_ms) {
  return kind == "heal" ? now_ms + options.task_backoff_base.count() : 0;
}

std::int64_t RetryDueMs(const InboxOptions& options, int attempts, std::int64_t now_ms) {
  auto backoff = options.task_backoff_base * (std::int64_t{1} << std::clamp(attempts - 1, 0, 20));
  return now_ms + std::min(backoff, options.task_backoff_max).count();
}

std::string TaskError(const Error& error) { return error.message().substr(0, 500); }

}  // namespace webhook
}  // namespace idem

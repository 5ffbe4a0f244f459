#include "sandbox/router.h"

#include <algorithm>
#include <cctype>
#include <utility>

namespace idem::sandbox {
namespace {

// Matches "/v3/session/{id}/<suffix>" and returns the id.
std::optional<std::string> SessionPath(std::string_view path, std::string_view suffix) {
  constexpr std::string_view kPrefix = "/v3/session/";
  if (path.size() <= kPrefix.size() + suffix.size() || path.substr(0, kPrefix.size()) != kPrefix ||
      path.substr(path.size() - suffix.size()) != suffix) {
    return std::nullopt;
  }
  std::string_view id = path.substr(kPrefix.size(), path.size() - kPrefix.size() - suffix.size());
  if (id.empty() || id.find('/') != std::string_view::npos) return std::nullopt;
  return std::string(id);
}

// Matches "/v3/session/{id}/webhook/{delivery_uuid}/resend" (no trailing
// slash, fact sheet section 6) and returns (id, delivery_uuid).
std::optional<std::pair<std::string, std::string>> ResendPath(std::string_view path) {
  constexpr std::string_view kPrefix = "/v3/session/";
  constexpr std::string_view kMiddle = "/webhook/";
  constexpr std::string_view kSuffix = "/resend";
  if (!path.starts_with(kPrefix) || !path.ends_with(kSuffix)) return std::nullopt;
  const std::string_view rest =
      path.substr(kPrefix.size(), path.size() - kPrefix.size() - kSuffix.size());
  const std::size_t middle = rest.find(kMiddle);
  if (middle == 0 || middle == std::string_view::npos) return std::nullopt;
  const std::string_view id = rest.substr(0, middle);
  const std::string_view delivery = rest.substr(middle + kMiddle.size());
  if (id.find('/') != std::string_view::npos || delivery.empty() ||
      delivery.find('/') != std::string_view::npos) {
    return std::nullopt;
  }
  return std::make_pair(std::string(id), std::string(delivery));
}

// Matches "/_sandbox/sessions/{id}/{action}" and returns (action, id).
std::optional<std::pair<std::string, std::string>> ControlSessionPath(std::string_view path) {
  constexpr std::string_view kPrefix = "/_sandbox/sessions/";
  if (path.substr(0, kPrefix.size()) != kPrefix) return std::nullopt;
  const std::string_view rest = path.substr(kPrefix.size());
  const std::size_t slash = rest.find('/');
  if (slash == 0 || slash == std::string_view::npos) return std::nullopt;
  const std::string_view action = rest.substr(slash + 1);
  if (action.empty() || action.find('/') != std::string_view::npos) return std::nullopt;
  return std::make_pair(std::string(action), std::string(rest.substr(0, slash)));
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<std::string> PercentDecode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out.push_back(' ');
    } else if (s[i] == '%') {
      if (i + 2 >= s.size()) return std::nullopt;
      const int hi = HexValue(s[i + 1]);
      const int lo = HexValue(s[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

// "/v3/<collection>/{id}/" -> the id (one non-empty segment).
std::optional<std::string> ItemPath(std::string_view path, std::string_view collection) {
  if (!path.starts_with(collection) || !path.ends_with("/") ||
      path.size() <= collection.size() + 1) {
    return std::nullopt;
  }
  std::string_view id = path.substr(collection.size(), path.size() - collection.size() - 1);
  if (id.find('/') != std::string_view::npos) return std::nullopt;
  return std::string(id);
}

}  // namespace

Route Resolve(std::string_view method, std::string_view path) {
  Route r;
  auto set = [&](Endpoint e, std::string_view allowed) {
    r.endpoint = e;
    r.allowed = allowed;
    r.method_allowed = method == allowed;
  };
  if (path == "/v3/session/") {
    set(Endpoint::kCreateSession, "POST");
  } else if (path == "/v3/session/import-shared/") {
    set(Endpoint::kImportSharedSession, "POST");
  } else if (auto share = SessionPath(path, "/share/")) {
    set(Endpoint::kShareSession, "POST");
    r.session_id = *share;
  } else if (auto id = SessionPath(path, "/decision/")) {
    set(Endpoint::kDecision, "GET");
    r.session_id = *id;
  } else if (auto id2 = SessionPath(path, "/update-status/")) {
    set(Endpoint::kUpdateStatus, "PATCH");
    r.session_id = *id2;
  } else if (auto id3 = SessionPath(path, "/delete/")) {
    set(Endpoint::kDeleteSession, "DELETE");
    r.session_id = *id3;
  } else if (path == "/v3/sessions/") {
    set(Endpoint::kListSessions, "GET");
  } else if (path == "/v3/sessions") {
    set(Endpoint::kListRedirect, "GET");
    r.method_allowed = true;
  } else if (path == "/v3/aml/") {
    set(Endpoint::kAml, "POST");
  } else if (path == "/v3/wallet-screening/") {
    set(Endpoint::kWalletScreening, "POST");
  } else if (path == "/v3/kyb/search/") {
    set(Endpoint::kKybSearch, "POST");
  } else if (path == "/v3/kyb/select/") {
    set(Endpoint::kKybSelect, "POST");
  } else if (path == "/v3/passive-liveness/") {
    set(Endpoint::kPassiveLiveness, "POST");
  } else if (path == "/v3/face-match/") {
    set(Endpoint::kFaceMatch, "POST");
  } else if (path == "/v3/id-verification/") {
    set(Endpoint::kIdVerification, "POST");
  } else if (auto pdf = SessionPath(path, "/generate-pdf/")) {
    set(Endpoint::kGeneratePdf, "GET");
    r.session_id = *pdf;
  } else if (auto unslashed = SessionPath(path, "/generate-pdf")) {
    set(Endpoint::kPdfRedirect, "GET");
    r.method_allowed = true;
    r.session_id = *unslashed;
  } else if (path == "/v3/sessions/delete/") {
    set(Endpoint::kBatchDelete, "POST");
  } else if (path == "/v3/phone/send/") {
    set(Endpoint::kPhoneSend, "POST");
  } else if (path == "/v3/phone/check/") {
    set(Endpoint::kPhoneCheck, "POST");
  } else if (path == "/v3/email/send/") {
    set(Endpoint::kEmailSend, "POST");
  } else if (path == "/v3/email/check/") {
    set(Endpoint::kEmailCheck, "POST");
  } else if (path == "/v3/poa/") {
    set(Endpoint::kPoa, "POST");
  } else if (path == "/v3/face-search/") {
    set(Endpoint::kFaceSearch, "POST");
  } else if (path == "/v3/age-estimation/") {
    set(Endpoint::kAgeEstimation, "POST");
  } else if (path == "/v3/database-validation/") {
    set(Endpoint::kDatabaseValidation, "POST");
  } else if (auto hooks = SessionPath(path, "/webhooks/")) {
    set(Endpoint::kSessionWebhooks, "GET");
    r.session_id = *hooks;
  } else if (auto resend = ResendPath(path)) {
    set(Endpoint::kResendWebhook, "POST");
    r.session_id = resend->first;
    r.item_id = resend->second;
  } else if (path == "/v3/events/") {
    set(Endpoint::kCreateEvent, "POST");
  } else if (path == "/v3/events/batch/") {
    set(Endpoint::kCreateEventBatch, "POST");
  } else if (path == "/v3/webhook/destinations/" || path == "/v3/transactions/") {
    const bool destinations = path == "/v3/webhook/destinations/";
    set(method == "POST"
            ? (destinations ? Endpoint::kCreateDestination : Endpoint::kCreateTransaction)
            : (destinations ? Endpoint::kListDestinations : Endpoint::kListTransactions),
        "GET, POST");
    r.method_allowed = method == "GET" || method == "POST";
  } else if (auto uuid = ItemPath(path, "/v3/webhook/destinations/")) {
    set(method == "PATCH"    ? Endpoint::kUpdateDestination
        : method == "DELETE" ? Endpoint::kDeleteDestination
                             : Endpoint::kGetDestination,
        "GET, PATCH, DELETE");
    r.method_allowed = method == "GET" || method == "PATCH" || method == "DELETE";
    r.session_id = *uuid;
  } else if (path == "/v3/webhook/") {
    set(method == "PATCH" ? Endpoint::kUpdateWebhook : Endpoint::kGetWebhook, "GET, PATCH");
    r.method_allowed = method == "GET" || method == "PATCH";
  } else if (path == "/v3/workflows/") {
    set(method == "POST" ? Endpoint::kCreateWorkflow : Endpoint::kListWorkflows, "GET, POST");
    r.method_allowed = method == "GET" || method == "POST";
  } else if (auto workflow = ItemPath(path, "/v3/workflows/")) {
    // GET only (PATCH and DELETE are not emulated).
    set(Endpoint::kGetWorkflow, "GET");
    r.session_id = *workflow;
  } else if (path == "/v3/users/create/" || path == "/v3/businesses/create/") {
    set(path == "/v3/users/create/" ? Endpoint::kCreateUser : Endpoint::kCreateBusiness, "POST");
  } else if (auto data = SessionPath(path, "/update-data/")) {
    set(Endpoint::kUpdateSessionData, "PATCH");
    r.session_id = *data;
  } else if (auto who = ItemPath(path, "/v3/users/"), biz = ItemPath(path, "/v3/businesses/");
             who || biz) {
    // GET only here (the list, PATCH, update-status and delete are not emulated).
    set(who ? Endpoint::kGetUser : Endpoint::kGetBusiness, "GET");
    auto decoded = PercentDecode(who ? *who : *biz);
    if (!decoded) {
      r.endpoint = Endpoint::kNotFound;
    } else {
      r.session_id = std::move(*decoded);
    }
  } else if (auto txn = ItemPath(path, "/v3/transactions/")) {
    set(Endpoint::kGetTransaction, "GET");
    r.session_id = *txn;
  } else if (path == "/_sandbox/health") {
    set(Endpoint::kHealth, "GET");
    r.control = true;
  } else if (path == "/_sandbox/stats") {
    set(Endpoint::kStats, "GET");
    r.control = true;
  } else if (path == "/_sandbox/executions") {
    set(Endpoint::kExecutions, "GET");
    r.control = true;
  } else if (auto control = ControlSessionPath(path)) {
    if (control->first == "advance") {
      set(Endpoint::kAdvance, "POST");
      r.session_id = std::move(control->second);
    } else if (control->first == "data-updated") {
      set(Endpoint::kDataUpdated, "POST");
      r.session_id = std::move(control->second);
    }
    r.control = true;
  } else if (path.substr(0, 10) == "/_sandbox/") {
    r.control = true;
  }
  return r;
}

std::optional<std::map<std::string, std::string>> ParseQuery(std::string_view query) {
  std::map<std::string, std::string> out;
  while (!query.empty()) {
    const std::size_t amp = query.find('&');
    const std::string_view item = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (item.empty()) continue;
    const std::size_t eq = item.find('=');
    auto key = PercentDecode(item.substr(0, eq));
    auto value =
        PercentDecode(eq == std::string_view::npos ? std::string_view() : item.substr(eq + 1));
    if (!key || !value) return std::nullopt;
    out.emplace(std::move(*key), std::move(*value));
  }
  return out;
}

std::string PercentEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

Page Paginate(std::size_t count, std::size_t limit, std::size_t offset) {
  Page p;
  p.begin = std::min(offset, count);
  p.end = limit > count - p.begin ? count : p.begin + limit;
  if (p.end < count) p.next_offset = p.end;
  if (offset > 0 && limit > 0) p.previous_offset = offset > limit ? offset - limit : 0;
  return p;
}

}  // namespace idem::sandbox

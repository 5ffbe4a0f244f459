// Phone and e-mail verification by one-time code (OAS /v3/phone/send/,
// /v3/phone/check/, /v3/email/send/, /v3/email/check/), with Didit's OTP
// rules on the injected clock:
//   - a send starts a verification, saved as an API session (api_service
//     PHONE_VERIFICATION / EMAIL_VERIFICATION, session_id = request_id),
//     pending for 5 min from the first send; the code is always 123456
//     (Didit's sandbox code);
//   - a second send within the window answers `Retry` with the same
//     request_id (not a new verification, no execution); a third starts a
//     new one;
//   - a check is keyed by the number/address: the latest verification; the
//     right code approves it, a wrong one costs 1 of 3 attempts ("Failed"),
//     the third wrong one declines it (VERIFICATION_CODE_ATTEMPTS_EXCEEDED /
//     EMAIL_CODE_ATTEMPTS_EXCEEDED); none pending or past the window:
//     "Expired or Not Found" with a throwaway request_id;
//   - phone anti-abuse: at most 4 sends and checks per number per hour, then
//     429 without X-RateLimit headers (the refused one does not count);
//   - a phone send to +999... answers `Blocked`, an e-mail send to
//     ...@undeliverable.example `Undeliverable` (the sandbox's triggers):
//     free, nothing saved, a throwaway request_id;
//   - 400 (nothing counted, nothing consumed) for a bad body.
// Assumption (Didit does not say): a repeat of the check that finished a
// verification, with the same code, answers the same result again (same
// request_id, no execution), so a check whose answer was lost can be re-sent.
// Executions: each new verification (kinds phone_send / email_send, billed)
// and each check that changed one (phone_check / email_check), with the
// send's vendor_data. The state lives in the session (details_json "otp"), so
// a sandbox with --db keeps it across restarts; the anti-abuse windows are in
// memory. A check's status change fires `status.updated`.
#include <algorithm>
#include <cctype>

#include "idem/uuid.h"
#include "sandbox/app.h"
#include "sandbox/endpoint_support.h"
#include "sandbox/responses.h"
#include "sandbox/session_views.h"

namespace idem::sandbox {
namespace {

using nlohmann::json;

constexpr std::int64_t kPendingMs = 5 * 60 * 1000;
constexpr std::int64_t kAbuseWindowMs = 60 * 60 * 1000;
constexpr int kMaxAttempts = 3;
constexpr int kAbuseLimit = 4;
constexpr char kSandboxCode[] = "123456";
// The sandbox's triggers (Didit's own rules are not published): a number in
// ITU country code +999 (reserved, never assigned) is `Blocked`; an address
// at undeliverable.example (RFC 2606) is `Undeliverable`.
constexpr std::string_view kBlockedPrefix = "+999";
constexpr std::string_view kUndeliverableDomain = "@undeliverable.example";

struct Channel {
  bool phone;
  const char* target_field;  // "phone_number" | "email"
  const char* service;       // api_service
  const char* object_key;    // the check answer's object: "phone" | "email"
  const char* exceeded;      // the warning of the third wrong code
};
constexpr Channel kPhone{true, "phone_number", "PHONE_VERIFICATION", "phone",
                         "VERIFICATION_CODE_ATTEMPTS_EXCEEDED"};
constexpr Channel kEmail{false, "email", "EMAIL_VERIFICATION", "email",
                         "EMAIL_CODE_ATTEMPTS_EXCEEDED"};

bool IsE164(const std::string& s) {
  return s.size() >= 8 && s.size() <= 16 && s[0] == '+' && s[1] != '0' &&
         std::all_of(s.begin() + 1, s.end(), [](unsigned char c) { return std::isdigit(c); });
}

bool IsEmail(const std::string& s) {
  const auto at = s.find('@');
  return s.size() <= 254 && at != std::string::npos && at > 0 &&
         s.find('.', at) != std::string::npos && s.find_first_of(" \t\r\n") == std::string::npos;
}

json ParseOr(const std::string& text, json fallback) {
  json parsed = json::parse(text, nullptr, false);
  return parsed.is_discarded() ? fallback : parsed;
}

// The target (normalised: an e-mail is case-insensitive) or the 400.
std::optional<std::string> Target(SandboxProfile profile, const Channel& ch, const json& body,
                                  Response& error) {
  auto v = body.find(ch.target_field);
  if (v == body.end() || v->is_null()) {
    error = FieldError(profile, ch.target_field, "This field is required.");
    return std::nullopt;
  }
  if (!v->is_string()) {
    error = FieldError(profile, ch.target_field, "Not a valid string.");
    return std::nullopt;
  }
  std::string t = v->get<std::string>();
  if (ch.phone ? !IsE164(t) : !IsEmail(t)) {
    error = FieldError(
        profile, ch.target_field,
        ch.phone ? "Enter a valid phone number in E.164 format." : "Enter a valid email address.");
    return std::nullopt;
  }
  if (!ch.phone) std::transform(t.begin(), t.end(), t.begin(), ::tolower);
  return t;
}

const Channel& ChannelOf(Endpoint e) {
  return e == Endpoint::kPhoneSend || e == Endpoint::kPhoneCheck ? kPhone : kEmail;
}

}  // namespace

// Phone anti-abuse: true when the number has room (and takes a slot).
bool App::AdmitPhoneAttempt(const std::string& number, std::int64_t now_ms) {
  auto& window = phone_attempts_[number];
  while (!window.empty() && window.front() <= now_ms - kAbuseWindowMs) window.pop_front();
  if (window.size() >= static_cast<std::size_t>(kAbuseLimit)) return false;
  window.push_back(now_ms);
  return true;
}

const SessionRecord* App::LatestOtpSession(std::string_view service,
                                           const std::string& target) const {
  const SessionRecord* best = nullptr;
  for (const auto& [id, s] : sessions_) {
    if (s.deleted || s.api_service != service) continue;
    const json otp = ParseOr(s.details_json, json::object()).value("otp", json::object());
    if (otp.value("target", "") != target) continue;
    if (best == nullptr || s.session_number > best->session_number) best = &s;
  }
  return best;
}

App::EndpointResult App::OtpSend(const Request& request, Endpoint endpoint, std::int64_t now_ms) {
  const Channel& ch = ChannelOf(endpoint);
  const SandboxProfile profile = config_.profile;
  EndpointResult out;
  auto body = RequireObject(request, out.response);
  if (!body) return out;
  auto target = Target(profile, ch, *body, out.response);
  if (!target) return out;
  json errors = json::object();
  if (auto o = body->find("options"); o != body->end() && !o->is_null()) {
    if (!o->is_object()) {
      errors["options"] = json::array({"Expected a dictionary of items."});
    } else {
      if (auto c = o->find("code_size"); c != o->end() && !c->is_null()) {
        if (!c->is_number_integer() || c->get<std::int64_t>() < 4 || c->get<std::int64_t>() > 8) {
          errors["options"]["code_size"] = json::array({"Ensure this value is between 4 and 8."});
        }
      }
      if (auto c = o->find("preferred_channel"); ch.phone && c != o->end() && !c->is_null()) {
        static constexpr const char* kChannels[] = {"whatsapp", "sms",   "telegram", "voice",
                                                    "rcs",      "viber", "zalo"};
        if (!c->is_string() || std::none_of(std::begin(kChannels), std::end(kChannels),
                                            [&](const char* k) { return *c == k; })) {
          errors["options"]["preferred_channel"] =
              json::array({"\"" + (c->is_string() ? c->get<std::string>() : c->dump()) +
                           "\" is not a valid choice."});
        }
      }
    }
  }
  if (auto s = body->find("signals"); s != body->end() && !s->is_null() && !s->is_object()) {
    errors["signals"] = json::array({"Expected a dictionary of items."});
  }
  std::optional<std::string> vendor_data;
  if (auto v = body->find("vendor_data"); v != body->end() && !v->is_null()) {
    if (v->is_string()) {
      vendor_data = v->get<std::string>();
    } else {
      errors["vendor_data"] = json::array({"Not a valid string."});
    }
  }
  json metadata = nullptr;
  if (auto m = body->find("metadata"); m != body->end() && !m->is_null()) {
    if (m->is_object()) {
      metadata = *m;
    } else {
      errors["metadata"] = json::array({"Expected a dictionary of items."});
    }
  }
  if (!errors.empty()) return Fail(FieldErrors(profile, errors));
  if (ch.phone && !AdmitPhoneAttempt(*target, now_ms)) {
    return Fail(DetailResponse(
        429,
        "Maximum verification attempts reached for this phone number. Only 4 authentication "
        "attempts are allowed per hour. Please try again later."));
  }
  if (ch.phone ? target->starts_with(kBlockedPrefix) : target->ends_with(kUndeliverableDomain)) {
    // Refused before any code is sent: free, no verification started.
    out.response = JsonResponse(
        200, json{{"request_id", NewUuidV4()},
                  {"status", ch.phone ? "Blocked" : "Undeliverable"},
                  {"reason", ch.phone ? "The phone number is blocked by the fraud rules."
                                      : "The email address cannot receive messages."},
                  {"vendor_data", vendor_data ? json(*vendor_data) : json()},
                  {"metadata", metadata},
                  {"created_at", IsoTime(now_ms)}});
    return out;
  }
  if (const SessionRecord* latest = LatestOtpSession(ch.service, *target)) {
    json details = ParseOr(latest->details_json, json::object());
    json& otp = details["otp"];
    const bool pending = latest->status == "In Progress" &&
                         now_ms < otp.value("first_sent_ms", std::int64_t{0}) + kPendingMs;
    if (pending && otp.value("sends", 0) == 1) {
      // The second send in the window: one retry attached to the same
      // verification (the window is not extended).
      otp["sends"] = 2;
      SessionRecord s = *latest;
      s.details_json = Dump(details);
      s.updated_ms = now_ms;
      out.mutation.sessions.push_back(s);
      out.response = JsonResponse(
          200, json{{"request_id", s.session_id},
                    {"status", "Retry"},
                    {"reason", "A code was already sent in the last 5 minutes; it was sent again."},
                    {"vendor_data", s.vendor_data ? json(*s.vendor_data) : json()},
                    {"metadata", ParseOr(s.metadata_json, nullptr)}});
      return out;
    }
  }
  SessionRecord s;
  s.session_id = NewUuidV4();
  s.session_number = next_session_number_;
  s.vendor_data = vendor_data;
  s.metadata_json = Dump(metadata);
  s.status = "In Progress";
  s.session_type = kApiSession;
  s.api_service = ch.service;
  s.check_json = Dump(json{{"status", "Not Finished"},
                           {ch.target_field, *target},
                           {"attempts", 0},
                           {"warnings", json::array()}});
  s.details_json = Dump(json{{"otp",
                              {{"target", *target},
                               {"code", kSandboxCode},
                               {"first_sent_ms", now_ms},
                               {"sends", 1},
                               {"attempts", 0}}}});
  s.created_ms = now_ms;
  s.updated_ms = now_ms;
  out.mutation.sessions.push_back(s);
  RecordExecution(out, vendor_data, s.session_id);
  out.response = JsonResponse(200, json{{"request_id", s.session_id},
                                        {"status", "Success"},
                                        {"reason", nullptr},
                                        {"vendor_data", vendor_data ? json(*vendor_data) : json()},
                                        {"metadata", metadata},
                                        {"created_at", IsoTime(now_ms)}});
  return out;
}

App::EndpointResult App::OtpCheck(const Request& request, Endpoint endpoint, std::int64_t now_ms) {
  const Channel& ch = ChannelOf(endpoint);
  const SandboxProfile profile = config_.profile;
  EndpointResult out;
  auto body = RequireObject(request, out.response);
  if (!body) return out;
  auto target = Target(profile, ch, *body, out.response);
  if (!target) return out;
  auto c = body->find("code");
  if (c == body->end() || c->is_null())
    return Fail(FieldError(profile, "code", "This field is required."));
  if (!c->is_string()) return Fail(FieldError(profile, "code", "Not a valid string."));
  const std::string code = c->get<std::string>();
  const bool code_ok = ch.phone ? code.size() >= 4 && code.size() <= 8 &&
                                      std::all_of(code.begin(), code.end(),
                                                  [](unsigned char x) { return std::isdigit(x); })
                                : !code.empty() && code.size() <= 8;
  if (!code_ok) {
    return Fail(
        FieldError(profile, "code",
                   ch.phone ? "Enter 4 to 8 digits." : "Enter the code of at most 8 characters."));
  }
  for (const char* action :
       {"duplicated_phone_number_action", "disposable_number_action", "voip_number_action",
        "duplicated_email_action", "breached_email_action", "disposable_email_action"}) {
    if (auto a = body->find(action); a != body->end() && !a->is_null() &&
                                     (!a->is_string() || (*a != "NO_ACTION" && *a != "DECLINE"))) {
      return Fail(FieldError(profile, action,
                             "\"" + (a->is_string() ? a->get<std::string>() : a->dump()) +
                                 "\" is not a valid choice."));
    }
  }
  if (ch.phone && !AdmitPhoneAttempt(*target, now_ms)) {
    return Fail(DetailResponse(
        429,
        "Maximum verification attempts reached for this phone number. Only 4 authentication "
        "attempts are allowed per hour. Please try again later."));
  }
  auto not_found = [&] {
    out.response = JsonResponse(
        200, json{{"request_id", NewUuidV4()},
                  {"status", "Expired or Not Found"},
                  {"message", "No pending verification for this " +
                                  std::string(ch.phone ? "phone number." : "email address.")},
                  {"vendor_data", nullptr},
                  {"metadata", nullptr},
                  {"created_at", IsoTime(now_ms)}});
    return std::move(out);
  };
  const SessionRecord* latest = LatestOtpSession(ch.service, *target);
  if (latest == nullptr) return not_found();
  SessionRecord s = *latest;
  json details = ParseOr(s.details_json, json::object());
  json& otp = details["otp"];
  json result = ParseOr(s.check_json, json::object());
  auto answer = [&](const std::string& status, const std::string& request_id,
                    const std::string& message, json object) {
    return JsonResponse(200, json{{"request_id", request_id},
                                  {"status", status},
                                  {"message", message},
                                  {ch.object_key, std::move(object)},
                                  {"vendor_data", s.vendor_data ? json(*s.vendor_data) : json()},
                                  {"metadata", ParseOr(s.metadata_json, nullptr)},
                                  {"created_at", IsoTime(now_ms)}});
  };
  if (s.status == "Approved" || s.status == "Declined") {
    // The repeat of the check that finished it: the same answer (see above).
    if (otp.value("final_code", "") == code) {
      out.response = answer(s.status, s.session_id, otp.value("final_message", ""), result);
      return out;
    }
    return not_found();
  }
  if (now_ms >= otp.value("first_sent_ms", std::int64_t{0}) + kPendingMs) return not_found();
  const std::string previous = s.status;
  std::string message;
  if (code == otp.value("code", "")) {
    s.status = "Approved";
    message = "The verification code is correct.";
  } else {
    const int attempts = otp.value("attempts", 0) + 1;
    otp["attempts"] = attempts;
    result["attempts"] = attempts;
    if (attempts >= kMaxAttempts) {
      s.status = "Declined";
      message = "Too many wrong codes: the verification is declined.";
      result["warnings"].push_back(ch.exceeded);
    } else {
      message = "Invalid code. " + std::to_string(kMaxAttempts - attempts) + " attempt(s) left.";
    }
  }
  s.updated_ms = now_ms;
  if (s.status != previous) {
    result["status"] = s.status;
    otp["final_code"] = code;
    otp["final_message"] = message;
  }
  s.check_json = Dump(result);
  s.details_json = Dump(details);
  out.mutation.sessions.push_back(s);
  RecordExecution(out, s.vendor_data, s.session_id);
  if (s.status != previous) {
    out.events.push_back(MakeEvent(SandboxSessionEvent::Kind::kStatusChanged, s, previous, now_ms));
    out.response = answer(s.status, s.session_id, message, result);
  } else {
    // "Failed": a throwaway request_id and a null object (OAS).
    out.response = answer("Failed", NewUuidV4(), message, nullptr);
  }
  return out;
}

}  // namespace idem::sandbox

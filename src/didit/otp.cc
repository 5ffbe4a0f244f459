#include "idem/didit/otp.h"

#include <algorithm>
#include <cctype>

#include "didit/call_and_parse.h"
#include "didit/json_util.h"
#include "idem/didit/op_outcome.h"

namespace idem::didit {
namespace {

using nlohmann::json;

bool IsE164(const std::string& s) {
  return s.size() >= 8 && s.size() <= 16 && s[0] == '+' && s[1] != '0' &&
         std::all_of(s.begin() + 1, s.end(), [](unsigned char c) { return std::isdigit(c); });
}

bool IsDigits(const std::string& s, std::size_t min, std::size_t max) {
  return s.size() >= min && s.size() <= max &&
         std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
}

tl::unexpected<Error> Invalid(std::string why) {
  return MakeError(ErrorCode::kInvalidArgument, std::move(why));
}

void Put(json& obj, const char* key, const std::optional<std::string>& v) {
  if (v) obj[key] = *v;
}
void Put(json& obj, const char* key, const std::optional<bool>& v) {
  if (v) obj[key] = *v;
}

// vendor_data, metadata, signals and options.code_size / locale shared by
// both sends.
[[nodiscard]] Status PutSendCommon(json& obj, json& options, const std::optional<int>& code_size,
                                   const std::optional<std::string>& locale,
                                   const std::optional<json>& signals,
                                   const std::optional<std::string>& vendor_data,
                                   const std::optional<json>& metadata) {
  if (code_size) {
    if (*code_size < 4 || *code_size > 8) return Invalid("code_size must be 4..8");
    options["code_size"] = *code_size;
  }
  Put(options, "locale", locale);
  if (signals) {
    if (!signals->is_object()) return Invalid("signals must be a JSON object");
    obj["signals"] = *signals;
  }
  Put(obj, "vendor_data", vendor_data);
  if (metadata) {
    if (!metadata->is_object()) return Invalid("metadata must be a JSON object");
    obj["metadata"] = *metadata;
  }
  return {};
}

[[nodiscard]] Result<EncodedBody> Body(const json& obj) {
  auto text = internal::SafeDump(obj);
  if (!text) return tl::unexpected(text.error());
  return EncodedBody{"application/json", std::move(*text)};
}

[[nodiscard]] Result<OpRequest> Op(std::string_view kind, const char* path,
                                   Result<EncodedBody> body, CallOptions call) {
  if (!body) return tl::unexpected(body.error());
  OpRequest op;
  op.op_id = std::move(call.op_id);
  op.kind = std::string(kind);
  op.method = "POST";
  op.path = path;
  op.content_type = std::move(body->content_type);
  op.body = std::move(body->body);
  return op;
}

[[nodiscard]] DiditResult<OtpResult> Drive(DiditClient& client, Result<OpRequest> op_request) {
  return internal::CallAndParse<OtpResult>(client.client(), std::move(op_request), ParseOtpResult);
}

}  // namespace

[[nodiscard]] Result<OtpResult> ParseOtpResult(std::string_view body) {
  auto value = internal::SafeParse(body);
  if (!value) return tl::unexpected(value.error());
  if (!value->is_object()) return MakeError(ErrorCode::kCorruption, "response is not an object");
  OtpResult r;
  for (auto [field, target] :
       {std::pair{"request_id", &r.request_id}, std::pair{"status", &r.status},
        std::pair{"reason", &r.reason}, std::pair{"message", &r.message}}) {
    auto text = internal::OptString(*value, field);
    if (!text) return tl::unexpected(text.error());
    *target = std::move(*text);
  }
  r.raw = std::move(*value);
  return r;
}

[[nodiscard]] Result<EncodedBody> Encode(const PhoneSendRequest& request) {
  if (!IsE164(request.phone_number)) return Invalid("phone_number must be E.164 (+<digits>)");
  json obj = {{"phone_number", request.phone_number}};
  json options = json::object();
  if (auto st = PutSendCommon(obj, options, request.code_size, request.locale, request.signals,
                              request.vendor_data, request.metadata);
      !st) {
    return tl::unexpected(st.error());
  }
  Put(options, "preferred_channel", request.preferred_channel);
  if (!options.empty()) obj["options"] = std::move(options);
  return Body(obj);
}

[[nodiscard]] Result<EncodedBody> Encode(const PhoneCheckRequest& request) {
  if (!IsE164(request.phone_number)) return Invalid("phone_number must be E.164 (+<digits>)");
  if (!IsDigits(request.code, 4, 8)) return Invalid("code must be 4-8 digits");
  json obj = {{"phone_number", request.phone_number}, {"code", request.code}};
  Put(obj, "duplicated_phone_number_action", request.duplicated_phone_number_action);
  Put(obj, "disposable_number_action", request.disposable_number_action);
  Put(obj, "voip_number_action", request.voip_number_action);
  return Body(obj);
}

[[nodiscard]] Result<EncodedBody> Encode(const EmailSendRequest& request) {
  if (request.email.empty() || request.email.find('@') == std::string::npos) {
    return Invalid("email must be an e-mail address");
  }
  json obj = {{"email", request.email}};
  json options = json::object();
  if (auto st = PutSendCommon(obj, options, request.code_size, request.locale, request.signals,
                              request.vendor_data, request.metadata);
      !st) {
    return tl::unexpected(st.error());
  }
  Put(options, "alphanumeric_code", request.alphanumeric_code);
  Put(options, "use_white_label_customization", request.use_white_label_customization);
  if (!options.empty()) obj["options"] = std::move(options);
  return Body(obj);
}

[[nodiscard]] Result<EncodedBody> Encode(const EmailCheckRequest& request) {
  if (request.email.empty() || request.email.find('@') == std::string::npos) {
    return Invalid("email must be an e-mail address");
  }
  if (request.code.empty() || request.code.size() > 8)
    return Invalid("code must be 1-8 characters");
  json obj = {{"email", request.email}, {"code", request.code}};
  Put(obj, "duplicated_email_action", request.duplicated_email_action);
  Put(obj, "breached_email_action", request.breached_email_action);
  Put(obj, "disposable_email_action", request.disposable_email_action);
  return Body(obj);
}

[[nodiscard]] Result<OpRequest> PhoneSendOp(const PhoneSendRequest& request, CallOptions call) {
  return Op(kPhoneSendKind, "/v3/phone/send/", Encode(request), std::move(call));
}
[[nodiscard]] Result<OpRequest> PhoneCheckOp(const PhoneCheckRequest& request, CallOptions call) {
  return Op(kPhoneCheckKind, "/v3/phone/check/", Encode(request), std::move(call));
}
[[nodiscard]] Result<OpRequest> EmailSendOp(const EmailSendRequest& request, CallOptions call) {
  return Op(kEmailSendKind, "/v3/email/send/", Encode(request), std::move(call));
}
[[nodiscard]] Result<OpRequest> EmailCheckOp(const EmailCheckRequest& request, CallOptions call) {
  return Op(kEmailCheckKind, "/v3/email/check/", Encode(request), std::move(call));
}

[[nodiscard]] DiditResult<OtpResult> SendPhoneCode(DiditClient& client,
                                                   const PhoneSendRequest& request,
                                                   CallOptions call) {
  return Drive(client, PhoneSendOp(request, std::move(call)));
}
[[nodiscard]] DiditResult<OtpResult> CheckPhoneCode(DiditClient& client,
                                                    const PhoneCheckRequest& request,
                                                    CallOptions call) {
  return Drive(client, PhoneCheckOp(request, std::move(call)));
}
[[nodiscard]] DiditResult<OtpResult> SendEmailCode(DiditClient& client,
                                                   const EmailSendRequest& request,
                                                   CallOptions call) {
  return Drive(client, EmailSendOp(request, std::move(call)));
}
[[nodiscard]] DiditResult<OtpResult> CheckEmailCode(DiditClient& client,
                                                    const EmailCheckRequest& request,
                                                    CallOptions call) {
  return Drive(client, EmailCheckOp(request, std::move(call)));
}

}  // namespace idem::didit

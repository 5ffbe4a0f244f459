// Phone and e-mail verification by one-time code (Didit's standalone
// /v3/phone/ and /v3/email/ send + check), journaled like every write. Their
// profiles (idem/didit/endpoints.h): a send is billed and settled after an
// ambiguous attempt by sending once more (within its 5-min window Didit
// answers the second send `Retry` with the same request_id; a third would
// start a new verification, so a second ambiguous send stops for review); a
// check is free and checked again (state is keyed by the number or address;
// a wrong code costs one of 3 attempts).
//
//   idem::didit::PhoneSendRequest send;
//   send.phone_number = "+34600000000";
//   auto sent = idem::didit::SendPhoneCode(*didit, send);     // status "Success"
//   idem::didit::PhoneCheckRequest check;
//   check.phone_number = send.phone_number;
//   check.code = "123456";                                    // Didit sandbox keys
//   auto checked = idem::didit::CheckPhoneCode(*didit, check); // status "Approved"
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "idem/didit/client.h"

namespace idem::didit {

inline constexpr std::string_view kPhoneSendKind = "phone_send";
inline constexpr std::string_view kPhoneCheckKind = "phone_check";
inline constexpr std::string_view kEmailSendKind = "email_send";
inline constexpr std::string_view kEmailCheckKind = "email_check";

// POST /v3/phone/send/ (billed by country and channel; `Blocked` is free).
struct PhoneSendRequest {
  std::string phone_number;                      // required, E.164 ("+34600000000")
  std::optional<int> code_size;                  // options.code_size: 4..8, Didit's default 6
  std::optional<std::string> locale;             // options.locale
  std::optional<std::string> preferred_channel;  // options.preferred_channel: whatsapp, sms,
                                                 // telegram, voice, rcs, viber, zalo
  std::optional<nlohmann::json> signals;         // an object: ip, device_id, ...
  std::optional<std::string> vendor_data;
  std::optional<nlohmann::json> metadata;  // an object
};

// POST /v3/phone/check/ (free).
struct PhoneCheckRequest {
  std::string phone_number;  // required, E.164
  std::string code;          // required, 4-8 digits
  // NO_ACTION (Didit's default), DECLINE, ...
  std::optional<std::string> duplicated_phone_number_action;
  std::optional<std::string> disposable_number_action;
  std::optional<std::string> voip_number_action;
};

// POST /v3/email/send/ (1 credit on `Success` only).
struct EmailSendRequest {
  std::string email;  // required
  std::optional<int> code_size;
  std::optional<bool> alphanumeric_code;
  std::optional<std::string> locale;
  std::optional<bool> use_white_label_customization;
  std::optional<nlohmann::json> signals;
  std::optional<std::string> vendor_data;
  std::optional<nlohmann::json> metadata;
};

// POST /v3/email/check/ (free).
struct EmailCheckRequest {
  std::string email;  // required
  std::string code;   // required
  std::optional<std::string> duplicated_email_action;
  std::optional<std::string> breached_email_action;
  std::optional<std::string> disposable_email_action;
};

// A send's or a check's answer. Send: status Success | Retry | Blocked
// (phone) | Undeliverable (email), `reason`. Check: Approved | Declined |
// Failed | "Expired or Not Found", `message`. The rest is in `raw`.
struct OtpResult {
  std::optional<std::string> request_id;
  std::optional<std::string> status;
  std::optional<std::string> reason;
  std::optional<std::string> message;
  nlohmann::json raw;
};
[[nodiscard]] Result<OtpResult> ParseOtpResult(std::string_view body);

// Encoders (sorted keys, exact bytes); kInvalidArgument for a missing
// required field, a number that is not E.164, a code that is not 4-8
// digits (phone), a code_size out of 4..8, non-object metadata or signals.
[[nodiscard]] Result<EncodedBody> Encode(const PhoneSendRequest& request);
[[nodiscard]] Result<EncodedBody> Encode(const PhoneCheckRequest& request);
[[nodiscard]] Result<EncodedBody> Encode(const EmailSendRequest& request);
[[nodiscard]] Result<EncodedBody> Encode(const EmailCheckRequest& request);

[[nodiscard]] Result<OpRequest> PhoneSendOp(const PhoneSendRequest& request, CallOptions call = {});
[[nodiscard]] Result<OpRequest> PhoneCheckOp(const PhoneCheckRequest& request,
                                             CallOptions call = {});
[[nodiscard]] Result<OpRequest> EmailSendOp(const EmailSendRequest& request, CallOptions call = {});
[[nodiscard]] Result<OpRequest> EmailCheckOp(const EmailCheckRequest& request,
                                             CallOptions call = {});

[[nodiscard]] DiditResult<OtpResult> SendPhoneCode(DiditClient& client,
                                                   const PhoneSendRequest& request,
                                                   CallOptions call = {});
[[nodiscard]] DiditResult<OtpResult> CheckPhoneCode(DiditClient& client,
                                                    const PhoneCheckRequest& request,
                                                    CallOptions call = {});
[[nodiscard]] DiditResult<OtpResult> SendEmailCode(DiditClient& client,
                                                   const EmailSendRequest& request,
                                                   CallOptions call = {});
[[nodiscard]] DiditResult<OtpResult> CheckEmailCode(DiditClient& client,
                                                    const EmailCheckRequest& request,
                                                    CallOptions call = {});

}  // namespace idem::didit

// `idem phone send|check` and `idem email send|check`: phone and e-mail
// verification by one-time code (include/idem/didit/otp.h), journaled. Each
// command's op id derives from its request, so running it again prints the
// stored answer; `--new-op` sends a fresh code on purpose.
#include <string>

#include "cli/commands.h"
#include "cli/didit_cli_support.h"
#include "cli/exit_codes.h"

namespace idem::cli {
namespace {

struct OtpFlags {
  std::string target;  // phone number or e-mail address
  std::string code;
  std::string channel;
  int code_size = 0;
  std::string locale;
  std::string vendor_data;
  std::string op_id;
  bool new_op = false;
  ClientFlags client;
};

template <typename Build, typename Call>
int RunOtp(const OtpFlags& f, const char* command, Build&& build, Call&& call) {
  auto op_id = OpIdForCommand(f.op_id, f.new_op, build);
  if (!op_id) return ReportError(op_id.error());
  return CallOpAndPrint(*op_id, call, f.client, command);
}

void AddCommon(CLI::App* cmd, OtpFlags& f) {
  AddOpIdFlags(cmd, f.op_id, f.new_op);
  AddClientFlags(*cmd, f.client);
  AddJsonErrorsFlag(*cmd);
}

}  // namespace

void AddPhoneCommand(CLI::App& app, int& exit_code) {
  auto f = std::make_shared<OtpFlags>();
  auto* phone = app.add_subcommand("phone", "Phone verification by one-time code");
  phone->require_subcommand(1);
  auto* send = phone->add_subcommand("send", "Send a code (billed; a repeat within 5 min: Retry)");
  send->add_option("--phone-number", f->target, "E.164, e.g. +34600000000")->required();
  send->add_option("--channel", f->channel, "whatsapp|sms|telegram|voice|rcs|viber|zalo");
  send->add_option("--code-size", f->code_size, "Digits, 4..8")->check(CLI::Range(4, 8));
  send->add_option("--locale", f->locale, "Message locale, e.g. en");
  send->add_option("--vendor-data", f->vendor_data, "Your user/reference id");
  AddCommon(send, *f);
  send->callback([f, &exit_code] {
    didit::PhoneSendRequest r;
    r.phone_number = f->target;
    if (!f->channel.empty()) r.preferred_channel = f->channel;
    if (f->code_size > 0) r.code_size = f->code_size;
    if (!f->locale.empty()) r.locale = f->locale;
    if (!f->vendor_data.empty()) r.vendor_data = f->vendor_data;
    exit_code = RunOtp(
        *f, "idem phone send",
        [&](didit::CallOptions call) { return didit::PhoneSendOp(r, std::move(call)); },
        [&](didit::DiditClient& c, didit::CallOptions call) {
          return didit::SendPhoneCode(c, r, std::move(call));
        });
  });
  auto* check = phone->add_subcommand("check", "Check a code (free; 3 attempts per send)");
  check->add_option("--phone-number", f->target, "E.164")->required();
  check->add_option("--code", f->code, "The code received")->required();
  AddCommon(check, *f);
  check->callback([f, &exit_code] {
    didit::PhoneCheckRequest r;
    r.phone_number = f->target;
    r.code = f->code;
    exit_code = RunOtp(
        *f, "idem phone check",
        [&](didit::CallOptions call) { return didit::PhoneCheckOp(r, std::move(call)); },
        [&](didit::DiditClient& c, didit::CallOptions call) {
          return didit::CheckPhoneCode(c, r, std::move(call));
        });
  });
}

void AddEmailCommand(CLI::App& app, int& exit_code) {
  auto f = std::make_shared<OtpFlags>();
  auto* email = app.add_subcommand("email", "E-mail verification by one-time code");
  email->require_subcommand(1);
  auto* send = email->add_subcommand("send", "Send a code (1 credit on Success)");
  send->add_option("--email", f->target, "The address")->required();
  send->add_option("--code-size", f->code_size, "Characters, 4..8")->check(CLI::Range(4, 8));
  send->add_option("--locale", f->locale, "Message locale, e.g. en");
  send->add_option("--vendor-data", f->vendor_data, "Your user/reference id");
  AddCommon(send, *f);
  send->callback([f, &exit_code] {
    didit::EmailSendRequest r;
    r.email = f->target;
    if (f->code_size > 0) r.code_size = f->code_size;
    if (!f->locale.empty()) r.locale = f->locale;
    if (!f->vendor_data.empty()) r.vendor_data = f->vendor_data;
    exit_code = RunOtp(
        *f, "idem email send",
        [&](didit::CallOptions call) { return didit::EmailSendOp(r, std::move(call)); },
        [&](didit::DiditClient& c, didit::CallOptions call) {
          return didit::SendEmailCode(c, r, std::move(call));
        });
  });
  auto* check = email->add_subcommand("check", "Check a code (free; 3 attempts per send)");
  check->add_option("--email", f->target, "The address")->required();
  check->add_option("--code", f->code, "The code received")->required();
  AddCommon(check, *f);
  check->callback([f, &exit_code] {
    didit::EmailCheckRequest r;
    r.email = f->target;
    r.code = f->code;
    exit_code = RunOtp(
        *f, "idem email check",
        [&](didit::CallOptions call) { return didit::EmailCheckOp(r, std::move(call)); },
        [&](didit::DiditClient& c, didit::CallOptions call) {
          return didit::CheckEmailCode(c, r, std::move(call));
        });
  });
}

}  // namespace idem::cli

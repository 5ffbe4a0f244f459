// `idem transaction create|get|find`: Didit's transaction monitoring
// (include/idem/didit/transactions.h), thin shells over its typed calls.
// `create` is billed and journaled; Didit keeps `transaction_id` unique, so
// a lost answer is settled by finding the transaction by that id, never by
// sending it twice.
#include <memory>
#include <optional>
#include <string>

#include "cli/commands.h"
#include "cli/didit_cli_support.h"
#include "cli/exit_codes.h"
#include "cli/flag_values.h"

namespace idem::cli {
namespace {

struct TransactionFlags {
  didit::TransactionRequest request;
  // Optional fields: empty = not sent.
  std::string currency_kind, action_type, payment_details, payment_reference_id;
  std::string entity_type, transaction_at, time_zone;
  // JSON objects.
  std::string subject, counterparty, custom_properties, travel_rule_details, network_snapshot;
  bool crypto_screening = false;
  std::string uuid;
  std::string op_id;
  bool new_op = false;
  ClientFlags client;
};

int RunCreate(const TransactionFlags& f) {
  didit::TransactionRequest request = f.request;
  SetIfGiven(request.currency_kind, f.currency_kind);
  SetIfGiven(request.action_type, f.action_type);
  SetIfGiven(request.payment_details, f.payment_details);
  SetIfGiven(request.payment_reference_id, f.payment_reference_id);
  SetIfGiven(request.subject_entity_type, f.entity_type);
  SetIfGiven(request.transaction_at, f.transaction_at);
  SetIfGiven(request.time_zone, f.time_zone);
  if (f.crypto_screening) request.include_crypto_screening = true;
  int exit_code = kExitOk;
  if (!SetObject(request.subject_more, f.subject, "--subject", exit_code) ||
      !SetObject(request.counterparty, f.counterparty, "--counterparty", exit_code) ||
      !SetObject(request.custom_properties, f.custom_properties, "--custom-properties",
                 exit_code) ||
      !SetObject(request.travel_rule_details, f.travel_rule_details, "--travel-rule-details",
                 exit_code) ||
      !SetObject(request.network_snapshot, f.network_snapshot, "--network-snapshot", exit_code)) {
    return exit_code;
  }
  auto op_id = OpIdForCommand(f.op_id, f.new_op, [&](didit::CallOptions call) {
    return didit::CreateTransactionOp(request, std::move(call));
  });
  if (!op_id) return ReportError(op_id.error());
  return CallOpAndPrint(
      *op_id,
      [&](didit::DiditClient& client, didit::CallOptions call) {
        return didit::CreateTransaction(client, request, std::move(call));
      },
      f.client, "idem transaction create");
}

}  // namespace

void AddTransactionCommand(CLI::App& app, int& exit_code) {
  auto f = std::make_shared<TransactionFlags>();
  auto* transaction = app.add_subcommand("transaction", "Didit's transaction monitoring");
  transaction->require_subcommand(1);

  auto* create = transaction->add_subcommand(
      "create", "Submit a transaction for monitoring (billed; exactly once per transaction id)");
  didit::TransactionRequest& r = f->request;
  create
      ->add_option("--transaction-id", r.transaction_id,
                   "Your id for it (at most 128 characters, unique: Didit refuses it twice)")
      ->required();
  create
      ->add_option("--category", r.transaction_category,
                   "finance, kyc, travel_rule, user_event, audit_trail_event, gambling_bet, "
                   "gambling_limit_change or gambling_bonus_change")
      ->required();
  create->add_option("--direction", r.direction, "inbound or outbound (or in, out)")->required();
  create->add_option("--amount", r.amount, "A decimal, e.g. 1500.25 (up to 18 places)")->required();
  create->add_option("--currency", r.currency, "e.g. EUR, BTC")->required();
  create->add_option("--vendor-data", r.subject_vendor_data, "The subject: your user's id")
      ->required();
  create->add_option("--full-name", r.subject_full_name, "The subject's full name")->required();
  create->add_option("--entity-type", f->entity_type, "The subject: individual or company");
  create->add_option("--subject", f->subject,
                     "More subject fields as a JSON object (first_name, date_of_birth, address, "
                     "...)");
  create->add_option("--currency-kind", f->currency_kind, "fiat or crypto");
  create->add_option("--action-type", f->action_type, "deposit, withdrawal, transfer, ...");
  create->add_option("--payment-details", f->payment_details, "Free text about the payment");
  create->add_option("--payment-reference-id", f->payment_reference_id, "Your payment reference");
  create->add_option("--transaction-at", f->transaction_at, "ISO 8601 (Didit's default: now)");
  create->add_option("--time-zone", f->time_zone, "IANA, e.g. Europe/Madrid");
  create->add_option("--counterparty", f->counterparty, "A JSON object");
  create->add_option("--custom-properties", f->custom_properties, "A JSON object");
  create->add_option("--travel-rule-details", f->travel_rule_details, "A JSON object");
  create->add_option("--network-snapshot", f->network_snapshot, "A JSON object");
  create->add_flag("--crypto-screening", f->crypto_screening, "include_crypto_screening=true");
  AddOpIdFlags(create, f->op_id, f->new_op);
  AddClientFlags(*create, f->client);
  AddJsonErrorsFlag(*create);
  create->callback([f, &exit_code] { exit_code = RunCreate(*f); });

  auto* get = transaction->add_subcommand("get", "A transaction by Didit's uuid");
  get->add_option("uuid", f->uuid, "Didit's uuid (from create or find), not your transaction id")
      ->required();
  AddClientFlags(*get, f->client);
  AddJsonErrorsFlag(*get);
  get->callback([f, &exit_code] {
    exit_code = CallAndPrintRaw(
        [&](didit::DiditClient& client) { return didit::GetTransaction(client, f->uuid); },
        f->client);
  });

  auto* find = transaction->add_subcommand(
      "find", "A transaction by your transaction id (pages through Didit's list)");
  find->add_option("--transaction-id", f->request.transaction_id, "Your id for it")->required();
  AddClientFlags(*find, f->client);
  AddJsonErrorsFlag(*find);
  find->callback([f, &exit_code] {
    exit_code = CallAndPrintRaw(
        [&](didit::DiditClient& client) {
          return didit::FindTransaction(client, f->request.transaction_id);
        },
        f->client);
  });
}

}  // namespace idem::cli

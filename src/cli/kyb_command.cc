// `idem kyb search` and `idem kyb select`: Didit's KYB registry calls
// (include/idem/didit/kyb_registry.h), thin shells over their typed calls.
//
// A search is free and its candidates' kyb_response_id handles are
// ephemeral, so each run is a new op (a fresh op id unless --op-id pins
// one): a stored answer would hand back stale handles. A select is billed:
// its op id derives from the request (--op-id, --new-op), so the same
// command run again prints the stored answer and is not charged twice; a
// lost answer is looked up by --vendor-data (docs/didit.md).
#include <memory>
#include <string>

#include "cli/commands.h"
#include "cli/didit_cli_support.h"
#include "cli/exit_codes.h"
#include "cli/flag_values.h"
#include "idem/didit/kyb_registry.h"

namespace idem::cli {
namespace {

struct KybFlags {
  // search
  std::string country_code, name, registration_number, search_type, webhook_url;
  // select
  std::string kyb_response_id;
  // both
  std::string vendor_data, metadata;
  std::string op_id;
  bool new_op = false;
  ClientFlags client;
};

int RunSearch(const KybFlags& f) {
  didit::KybSearchRequest request;
  request.country_code = f.country_code;
  SetIfGiven(request.name, f.name);
  SetIfGiven(request.registration_number, f.registration_number);
  SetIfGiven(request.search_type, f.search_type);
  SetIfGiven(request.vendor_data, f.vendor_data);
  SetIfGiven(request.webhook_url, f.webhook_url);
  int exit_code = kExitOk;
  if (!SetObject(request.metadata, f.metadata, "--metadata", exit_code)) return exit_code;
  // Refuse a bad request before any op is made.
  if (auto encoded = didit::Encode(request); !encoded) return ReportError(encoded.error());
  return CallOpAndPrint(
      f.op_id.empty() ? NewOpId() : f.op_id,
      [&](didit::DiditClient& client, didit::CallOptions call) {
        return didit::SearchKybRegistry(client, request, std::move(call));
      },
      f.client, "idem kyb search");
}

int RunSelect(const KybFlags& f) {
  didit::KybSelectRequest request;
  request.kyb_response_id = f.kyb_response_id;
  SetIfGiven(request.vendor_data, f.vendor_data);
  int exit_code = kExitOk;
  if (!SetObject(request.metadata, f.metadata, "--metadata", exit_code)) return exit_code;
  auto op_id = OpIdForCommand(f.op_id, f.new_op, [&](didit::CallOptions call) {
    return didit::KybSelectOp(request, std::move(call));
  });
  if (!op_id) return ReportError(op_id.error());
  return CallOpAndPrint(
      *op_id,
      [&](didit::DiditClient& client, didit::CallOptions call) {
        return didit::SelectKybCompany(client, request, std::move(call));
      },
      f.client, "idem kyb select");
}

}  // namespace

void AddKybCommand(CLI::App& app, int& exit_code) {
  auto f = std::make_shared<KybFlags>();
  auto* kyb = app.add_subcommand("kyb", "Didit's KYB registry: find a company, fetch its profile");
  kyb->require_subcommand(1);

  auto* search = kyb->add_subcommand(
      "search",
      "Search company registries for candidates (free; each run is a new search: the "
      "kyb_response_id handles are short-lived)");
  search
      ->add_option("--country-code", f->country_code,
                   "ISO alpha-2 (GB) or a subdivision (US-CA; a bare US is refused)")
      ->required();
  search->add_option("--name", f->name, "Company name, at most 255 characters");
  search->add_option("--registration-number", f->registration_number,
                     "Registry number, at most 100 characters (this or --name is required)");
  search->add_option("--search-type", f->search_type,
                     "contains (Didit's default), start_with or fuzzy");
  search->add_option("--vendor-data", f->vendor_data, "Your id for this look-up (echoed back)");
  search->add_option("--metadata", f->metadata, "A JSON object (echoed back)");
  search->add_option("--webhook-url", f->webhook_url,
                     "Asynchronous mode: the candidates are POSTed there, unsigned "
                     "(X-Didit-Unsigned-Callback: true)");
  search->add_option("--op-id", f->op_id,
                     "Business key of the op (default: a new one per run; the same id prints "
                     "the stored answer)");
  AddClientFlags(*search, f->client);
  AddJsonErrorsFlag(*search);
  search->callback([f, &exit_code] { exit_code = RunSearch(*f); });

  auto* select = kyb->add_subcommand(
      "select",
      "Fetch one candidate's full registry profile (billed; saved as a business session; "
      "exactly once: the same command again prints the stored answer)");
  select
      ->add_option("--kyb-response-id", f->kyb_response_id,
                   "A candidate's handle from `idem kyb search`")
      ->required();
  select->add_option("--vendor-data", f->vendor_data,
                     "Your id for the company (without it a lost answer cannot be looked up "
                     "and needs review)");
  select->add_option("--metadata", f->metadata, "A JSON object stored with the business session");
  AddOpIdFlags(select, f->op_id, f->new_op);
  AddClientFlags(*select, f->client);
  AddJsonErrorsFlag(*select);
  select->callback([f, &exit_code] { exit_code = RunSelect(*f); });
}

}  // namespace idem::cli

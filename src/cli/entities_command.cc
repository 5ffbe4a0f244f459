// `idem user create|get`, `idem business create|get`, `idem workflow
// create|list|get` and `idem session update-data`: Didit's users, businesses,
// workflows and session KYC data (include/idem/didit/users.h, workflows.h,
// session_data.h), thin shells over their typed calls. The writes are
// journaled ops whose id derives from the request (--op-id, --new-op), so the
// same command run again prints the stored answer and sends nothing; a lost
// answer is settled by the kind's look-up (docs/didit.md).
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "cli/commands.h"
#include "cli/didit_cli_support.h"
#include "cli/exit_codes.h"
#include "cli/flag_values.h"
#include "cli/show_default.h"
#include "cli/table_field.h"
#include "idem/didit/session_data.h"
#include "idem/didit/users.h"
#include "idem/didit/workflows.h"

namespace idem::cli {
namespace {

// --- users and businesses ---------------------------------------------------

struct EntityFlags {
  // Both kinds.
  std::string vendor_data, display_name, status, metadata;
  // A user.
  std::string full_name, date_of_birth;
  std::vector<std::string> approved_emails, approved_phones, issuing_states;
  // A business.
  std::string legal_name, registration_number, country_code;
  std::string op_id;
  bool new_op = false;
  ClientFlags client;
};

int RunCreateUser(const EntityFlags& f) {
  didit::UserRequest request;
  request.vendor_data = f.vendor_data;
  SetIfGiven(request.full_name, f.full_name);
  SetIfGiven(request.display_name, f.display_name);
  SetIfGiven(request.date_of_birth, f.date_of_birth);
  SetIfGiven(request.status, f.status);
  SetIfGiven(request.approved_emails, f.approved_emails);
  SetIfGiven(request.approved_phones, f.approved_phones);
  SetIfGiven(request.issuing_states, f.issuing_states);
  int exit_code = kExitOk;
  if (!SetObject(request.metadata, f.metadata, "--metadata", exit_code)) return exit_code;
  auto op_id = OpIdForCommand(f.op_id, f.new_op, [&](didit::CallOptions call) {
    return didit::CreateUserOp(request, std::move(call));
  });
  if (!op_id) return ReportError(op_id.error());
  return CallOpAndPrint(
      *op_id,
      [&](didit::DiditClient& client, didit::CallOptions call) {
        return didit::CreateUser(client, request, std::move(call));
      },
      f.client, "idem user create");
}

int RunCreateBusiness(const EntityFlags& f) {
  didit::BusinessRequest request;
  SetIfGiven(request.vendor_data, f.vendor_data);
  SetIfGiven(request.display_name, f.display_name);
  SetIfGiven(request.legal_name, f.legal_name);
  SetIfGiven(request.registration_number, f.registration_number);
  SetIfGiven(request.country_code, f.country_code);
  SetIfGiven(request.status, f.status);
  int exit_code = kExitOk;
  if (!SetObject(request.metadata, f.metadata, "--metadata", exit_code)) return exit_code;
  auto op_id = OpIdForCommand(f.op_id, f.new_op, [&](didit::CallOptions call) {
    return didit::CreateBusinessOp(request, std::move(call));
  });
  if (!op_id) return ReportError(op_id.error());
  return CallOpAndPrint(
      *op_id,
      [&](didit::DiditClient& client, didit::CallOptions call) {
        return didit::CreateBusiness(client, request, std::move(call));
      },
      f.client, "idem business create");
}

constexpr const char* kStatusHelp = "ACTIVE (Didit's default), FLAGGED or BLOCKED";

void AddUserCommand(CLI::App& app, int& exit_code) {
  auto f = std::make_shared<EntityFlags>();
  auto* user = app.add_subcommand("user", "Didit's users (records of the people you verify)");
  user->require_subcommand(1);

  auto* create = user->add_subcommand(
      "create", "Create a user (exactly once: Didit keeps vendor_data unique among users)");
  create->add_option("--vendor-data", f->vendor_data, "Your id for the user (unique)")->required();
  create->add_option("--full-name", f->full_name, "At most 512 characters");
  create->add_option("--display-name", f->display_name, "At most 255 characters");
  create->add_option("--date-of-birth", f->date_of_birth, "YYYY-MM-DD");
  create->add_option("--status", f->status, kStatusHelp);
  create->add_option("--metadata", f->metadata, "A JSON object stored with the user");
  create
      ->add_option("--approved-email", f->approved_emails,
                   "An approved e-mail (repeatable or comma-separated)")
      ->delimiter(',');
  create
      ->add_option("--approved-phone", f->approved_phones,
                   "An approved phone, E.164 (repeatable or comma-separated)")
      ->delimiter(',');
  create
      ->add_option("--issuing-state", f->issuing_states,
                   "An issuing state, ISO alpha-3 (repeatable or comma-separated)")
      ->delimiter(',');
  AddOpIdFlags(create, f->op_id, f->new_op);
  AddClientFlags(*create, f->client);
  AddJsonErrorsFlag(*create);
  create->callback([f, &exit_code] { exit_code = RunCreateUser(*f); });

  auto* get = user->add_subcommand("get", "A user by your vendor_data");
  get->add_option("vendor_data", f->vendor_data, "Your id for the user")->required();
  AddClientFlags(*get, f->client);
  AddJsonErrorsFlag(*get);
  get->callback([f, &exit_code] {
    exit_code = CallAndPrintRaw(
        [&](didit::DiditClient& client) { return didit::GetUser(client, f->vendor_data); },
        f->client);
  });
}

void AddBusinessCommand(CLI::App& app, int& exit_code) {
  auto f = std::make_shared<EntityFlags>();
  auto* business = app.add_subcommand("business", "Didit's businesses (records of companies)");
  business->require_subcommand(1);

  auto* create = business->add_subcommand(
      "create", "Create a business (exactly once: Didit keeps vendor_data unique)");
  create->add_option("--vendor-data", f->vendor_data,
                     "Your id for the business (unique; without it a lost answer cannot be "
                     "looked up and needs review)");
  create->add_option("--legal-name", f->legal_name, "At most 255 characters");
  create->add_option("--display-name", f->display_name, "At most 255 characters");
  create->add_option("--registration-number", f->registration_number, "At most 100 characters");
  create->add_option("--country-code", f->country_code, "ISO alpha-2, e.g. ES");
  create->add_option("--status", f->status, kStatusHelp);
  create->add_option("--metadata", f->metadata, "A JSON object stored with the business");
  AddOpIdFlags(create, f->op_id, f->new_op);
  AddClientFlags(*create, f->client);
  AddJsonErrorsFlag(*create);
  create->callback([f, &exit_code] { exit_code = RunCreateBusiness(*f); });

  auto* get = business->add_subcommand("get", "A business by your vendor_data");
  get->add_option("vendor_data", f->vendor_data, "Your id for the business")->required();
  AddClientFlags(*get, f->client);
  AddJsonErrorsFlag(*get);
  get->callback([f, &exit_code] {
    exit_code = CallAndPrintRaw(
        [&](didit::DiditClient& client) { return didit::GetBusiness(client, f->vendor_data); },
        f->client);
  });
}

// --- workflows --------------------------------------------------------------

struct WorkflowFlags {
  std::string label, status;
  std::vector<std::string> features;
  bool is_default = false;
  std::optional<int> max_retry_attempts, retry_window_days, session_expiration_time;
  int limit = 50;
  int offset = 0;
  bool json = false;  // list: a JSON array instead of the table
  std::string uuid;
  std::string op_id;
  bool new_op = false;
  ClientFlags client;
};

int RunCreateWorkflow(const WorkflowFlags& f) {
  didit::WorkflowRequest request;
  SetIfGiven(request.workflow_label, f.label);
  SetIfGiven(request.status, f.status);
  if (f.is_default) request.is_default = true;
  for (const std::string& name : f.features) {
    didit::WorkflowFeature feature;
    feature.feature = name;
    request.features.push_back(std::move(feature));
  }
  request.max_retry_attempts = f.max_retry_attempts;
  request.retry_window_days = f.retry_window_days;
  request.session_expiration_time = f.session_expiration_time;
  auto op_id = OpIdForCommand(f.op_id, f.new_op, [&](didit::CallOptions call) {
    return didit::CreateWorkflowOp(request, std::move(call));
  });
  if (!op_id) return ReportError(op_id.error());
  return CallOpAndPrint(
      *op_id,
      [&](didit::DiditClient& client, didit::CallOptions call) {
        return didit::CreateWorkflow(client, request, std::move(call));
      },
      f.client, "idem workflow create");
}

int RunListWorkflows(const WorkflowFlags& f) {
  ErrorsAsJson(f.json);
  auto client = MakeDiditClientFromEnv(f.client);
  if (!client) return kExitConfig;
  auto page = didit::ListWorkflows(*client, f.limit, f.offset);
  if (!page) return ReportError(page.error());
  if (f.json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& w : page->results) out.push_back(w.raw);
    PrintJson(out);
    return kExitOk;
  }
  std::printf("UUID\tWORKFLOW_ID\tLABEL\tSTATUS\tDEFAULT\tFEATURES\n");
  for (const auto& w : page->results) {
    std::printf(
        "%s\t%s\t%s\t%s\t%s\t%s\n", TableField(w.uuid).c_str(), TableField(w.workflow_id).c_str(),
        TableField(w.workflow_label.value_or("")).c_str(),
        TableField(w.status.value_or("")).c_str(), w.is_default.value_or(false) ? "yes" : "no",
        TableField(w.features.value_or("")).c_str());
  }
  std::fflush(stdout);
  return kExitOk;
}

void AddWorkflowCommand(CLI::App& app, int& exit_code) {
  auto f = std::make_shared<WorkflowFlags>();
  auto* workflow = app.add_subcommand("workflow", "Didit's workflows (what a session verifies)");
  workflow->require_subcommand(1);

  auto* create = workflow->add_subcommand(
      "create",
      "Create a workflow (journaled: the same command again prints the stored answer; a lost "
      "answer is looked for in the list)");
  create->add_option("--label", f->label,
                     "At most 50 characters (Didit's default: ID Verification)");
  create
      ->add_option("--feature", f->features,
                   "A feature, in execution order: OCR, NFC, LIVENESS, FACE_MATCH, AML, ... "
                   "(repeatable or comma-separated; at least one)")
      ->delimiter(',')
      ->required();
  create->add_option("--status", f->status, "draft or published (Didit's default: published)");
  create->add_flag("--default", f->is_default, "Make it the application's default workflow");
  create->add_option("--max-retry-attempts", f->max_retry_attempts, "0..10 (Didit's default: 3)");
  create->add_option("--retry-window-days", f->retry_window_days, "1..365 (Didit's default: 7)");
  create->add_option("--session-expiration-time", f->session_expiration_time,
                     "Seconds, 3600..2419200 (Didit's default: 604800)");
  AddOpIdFlags(create, f->op_id, f->new_op);
  AddClientFlags(*create, f->client);
  AddJsonErrorsFlag(*create);
  create->callback([f, &exit_code] { exit_code = RunCreateWorkflow(*f); });

  auto* list = workflow->add_subcommand("list", "List workflows (a table, or --json)");
  ShowDefault(list->add_option("--limit", f->limit, "Page size"))->check(CLI::Range(1, 1000));
  list->add_option("--offset", f->offset, "First result")->check(CLI::NonNegativeNumber);
  list->add_flag("--json", f->json, "A JSON array (Didit's objects) instead of the table");
  AddClientFlags(*list, f->client);
  list->callback([f, &exit_code] { exit_code = RunListWorkflows(*f); });

  auto* get = workflow->add_subcommand("get", "A workflow's configuration by its uuid");
  get->add_option("uuid", f->uuid, "The workflow version's uuid (settings_uuid)")->required();
  AddClientFlags(*get, f->client);
  AddJsonErrorsFlag(*get);
  get->callback([f, &exit_code] {
    exit_code = CallAndPrintRaw(
        [&](didit::DiditClient& client) { return didit::GetWorkflow(client, f->uuid); }, f->client);
  });
}

// --- session update-data ----------------------------------------------------

struct SessionDataFlags {
  std::string session_id;
  std::string document_type, document_subtype, document_number, personal_number;
  std::string date_of_birth, date_of_issue, expiration_date, issuing_state;
  std::string first_name, last_name, gender, address, place_of_birth, nationality;
  std::string marital_status, node_id;
  // JSON objects.
  std::string extra_fields, parsed_address, more;
  std::string op_id;
  bool new_op = false;
  ClientFlags client;
};

int RunUpdateData(const SessionDataFlags& f) {
  didit::KycDataUpdate update;
  SetIfGiven(update.document_type, f.document_type);
  SetIfGiven(update.document_subtype, f.document_subtype);
  SetIfGiven(update.document_number, f.document_number);
  SetIfGiven(update.personal_number, f.personal_number);
  SetIfGiven(update.date_of_birth, f.date_of_birth);
  SetIfGiven(update.date_of_issue, f.date_of_issue);
  SetIfGiven(update.expiration_date, f.expiration_date);
  SetIfGiven(update.issuing_state, f.issuing_state);
  SetIfGiven(update.first_name, f.first_name);
  SetIfGiven(update.last_name, f.last_name);
  SetIfGiven(update.gender, f.gender);
  SetIfGiven(update.address, f.address);
  SetIfGiven(update.place_of_birth, f.place_of_birth);
  SetIfGiven(update.nationality, f.nationality);
  SetIfGiven(update.marital_status, f.marital_status);
  SetIfGiven(update.node_id, f.node_id);
  int exit_code = kExitOk;
  if (!SetObject(update.extra_fields, f.extra_fields, "--extra-fields", exit_code) ||
      !SetObject(update.parsed_address, f.parsed_address, "--parsed-address", exit_code) ||
      !SetObject(update.more, f.more, "--more", exit_code)) {
    return exit_code;
  }
  auto encoded = didit::Encode(update);
  if (!encoded) return ReportError(encoded.error());
  if (encoded->body.empty() || encoded->body == "{}") {
    return ReportError(Error(ErrorCode::kInvalidArgument,
                             "nothing to change: give a field to correct (--first-name, "
                             "--date-of-birth, ..., --extra-fields, --more)"));
  }
  auto op_id = OpIdForCommand(f.op_id, f.new_op, [&](didit::CallOptions call) {
    return didit::UpdateSessionDataOp(f.session_id, update, std::move(call));
  });
  if (!op_id) return ReportError(op_id.error());
  return CallOpAndPrint(
      *op_id,
      [&](didit::DiditClient& client, didit::CallOptions call) {
        return didit::UpdateSessionData(client, f.session_id, update, std::move(call));
      },
      f.client, "idem session update-data");
}

}  // namespace

void AddEntityCommands(CLI::App& app, int& exit_code) {
  AddUserCommand(app, exit_code);
  AddBusinessCommand(app, exit_code);
  AddWorkflowCommand(app, exit_code);
}

void AddSessionDataCommand(CLI::App& session, int& exit_code) {
  auto f = std::make_shared<SessionDataFlags>();
  auto* cmd = session.add_subcommand(
      "update-data",
      "Correct the KYC data read from a session's ID document (only the fields given)");
  cmd->add_option("session_id", f->session_id, "Session id")->required();
  cmd->add_option("--first-name", f->first_name, "At most 255 characters");
  cmd->add_option("--last-name", f->last_name, "At most 255 characters");
  cmd->add_option("--date-of-birth", f->date_of_birth, "YYYY-MM-DD");
  cmd->add_option("--document-type", f->document_type, "P, DL, ID, ... or Passport, ...");
  cmd->add_option("--document-subtype", f->document_subtype, "At most 128 characters");
  cmd->add_option("--document-number", f->document_number, "At most 255 characters");
  cmd->add_option("--personal-number", f->personal_number, "At most 255 characters");
  cmd->add_option("--date-of-issue", f->date_of_issue, "YYYY-MM-DD");
  cmd->add_option("--expiration-date", f->expiration_date, "YYYY-MM-DD");
  cmd->add_option("--issuing-state", f->issuing_state, "ISO alpha-3, e.g. ESP");
  cmd->add_option("--gender", f->gender, "M, F or U");
  cmd->add_option("--address", f->address, "At most 255 characters");
  cmd->add_option("--place-of-birth", f->place_of_birth, "At most 255 characters");
  cmd->add_option("--nationality", f->nationality, "At most 32 characters");
  cmd->add_option("--marital-status", f->marital_status,
                  "SINGLE, MARRIED, DIVORCED, WIDOWED or UNKNOWN");
  cmd->add_option("--extra-fields", f->extra_fields, "A JSON object (merged key by key)");
  cmd->add_option("--parsed-address", f->parsed_address, "A JSON object (merged key by key)");
  cmd->add_option("--more", f->more,
                  "More keys as a JSON object, merged in (null clears a field, e.g. "
                  "{\"personal_number\":null})");
  cmd->add_option("--node-id", f->node_id,
                  "Which ID step's record (graph workflows; default: the most recent)");
  AddOpIdFlags(cmd, f->op_id, f->new_op);
  AddClientFlags(*cmd, f->client);
  AddJsonErrorsFlag(*cmd);
  cmd->callback([f, &exit_code] { exit_code = RunUpdateData(*f); });
}

}  // namespace idem::cli

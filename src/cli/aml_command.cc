// `idem aml`: one billed AML screening, exactly once: Didit honours the key
// on AML, and past the key window the saved screening is looked up by
// vendor_data (see include/idem/didit/endpoints.h).
#include <string>

#include "cli/commands.h"
#include "cli/didit_cli_support.h"
#include "cli/enqueue_cli_support.h"
#include "cli/exit_codes.h"

namespace idem::cli {

void AddAmlCommand(CLI::App& app, int& exit_code) {
  struct Flags {
    didit::AmlRequest request;
    std::string date_of_birth, nationality, document_number, entity_type, vendor_data, op_id;
    bool enqueue = false;
    bool new_op = false;
    ClientFlags client;
  };
  auto flags = std::make_shared<Flags>();
  auto* cmd = app.add_subcommand("aml", "AML screening of a person or company (billed)");
  cmd->add_option("--full-name", flags->request.full_name, "Name to screen")->required();
  cmd->add_option("--date-of-birth", flags->date_of_birth, "YYYY-MM-DD");
  cmd->add_option("--nationality", flags->nationality, "ISO 3166-1 alpha-3");
  cmd->add_option("--document-number", flags->document_number, "ID document number");
  cmd->add_option("--entity-type", flags->entity_type, "person|company");
  cmd->add_option("--vendor-data", flags->vendor_data,
                  "Your reference (default idem:<op id>, so a lost answer can be looked up)");
  AddOpIdFlags(cmd, flags->op_id, flags->new_op);
  AddClientFlags(*cmd, flags->client);
  AddJsonErrorsFlag(*cmd);
  cmd->add_flag("--enqueue", flags->enqueue,
                "Store the op in $IDEM_JOURNAL and exit (prints it); `idem worker` sends it");
  cmd->callback([flags, &exit_code] {
    didit::AmlRequest request = flags->request;
    auto set = [](std::optional<std::string>& field, const std::string& value) {
      if (!value.empty()) field = value;
    };
    set(request.date_of_birth, flags->date_of_birth);
    set(request.nationality, flags->nationality);
    set(request.document_number, flags->document_number);
    set(request.entity_type, flags->entity_type);
    set(request.vendor_data, flags->vendor_data);
    auto op_id = OpIdForCommand(flags->op_id, flags->new_op, [&](didit::CallOptions call) {
      return didit::AmlScreeningOp(request, std::move(call));
    });
    if (!op_id) {
      exit_code = ReportError(op_id.error());
      return;
    }
    if (flags->enqueue) {
      exit_code = EnqueueAndPrint(flags->client, didit::AmlScreeningOp(request, {.op_id = *op_id}));
      return;
    }
    exit_code = CallOpAndPrint(
        *op_id,
        [&](didit::DiditClient& client, didit::CallOptions call) {
          return client.AmlScreening(request, std::move(call));
        },
        flags->client, "idem aml");
  });
}

}  // namespace idem::cli

// `idem liveness`: one billed passive-liveness check of an image file. Didit
// ignores keys here: after an attempt that may have executed, the saved check
// is looked up by vendor_data; if it cannot be, the op stops unknown (needs
// review, exit 3) and is never re-sent. The multipart body (boundary from the
// op id) is journaled, so a retry or resume sends the same bytes.
#include <string>

#include "cli/commands.h"
#include "cli/didit_cli_support.h"
#include "cli/exit_codes.h"

namespace idem::cli {

void AddLivenessCommand(CLI::App& app, int& exit_code) {
  struct Flags {
    std::string image, vendor_data, op_id;
    bool new_op = false;
    ClientFlags client;
  };
  auto flags = std::make_shared<Flags>();
  auto* cmd = app.add_subcommand("liveness", "Passive liveness of a face image (billed)");
  cmd->add_option("--image", flags->image, "Path of the face image")->required();
  cmd->add_option("--vendor-data", flags->vendor_data,
                  "Your reference (default idem:<op id>, so a lost answer can be looked up)");
  AddOpIdFlags(cmd, flags->op_id, flags->new_op);
  AddClientFlags(*cmd, flags->client);
  AddJsonErrorsFlag(*cmd);
  cmd->callback([flags, &exit_code] {
    auto image = didit::FilePart::FromPath(flags->image);
    if (!image) {
      exit_code = ReportError(image.error());
      // An unreadable path is the caller's mistake, not the journal's.
      if (image.error().code() == ErrorCode::kIo) exit_code = kExitUsage;
      return;
    }
    didit::PassiveLivenessRequest request;
    request.user_image = std::move(*image);
    if (!flags->vendor_data.empty()) request.vendor_data = flags->vendor_data;
    auto op_id = OpIdForCommand(flags->op_id, flags->new_op, [&](didit::CallOptions call) {
      return didit::PassiveLivenessOp(request, std::move(call));
    });
    if (!op_id) {
      exit_code = ReportError(op_id.error());
      return;
    }
    exit_code = CallOpAndPrint(
        *op_id,
        [&](didit::DiditClient& client, didit::CallOptions call) {
          return client.PassiveLiveness(request, std::move(call));
        },
        flags->client, "idem liveness");
  });
}

}  // namespace idem::cli

// `idem liveness`: one billed passive-liveness check of an image file,
// exactly once by its key; the multipart body (boundary from the op id) is
// journaled, so a retry or resume sends the same bytes.
#include <string>

#include "cli/commands.h"
#include "cli/didit_cli_support.h"
#include "cli/exit_codes.h"

namespace idem::cli {

void AddLivenessCommand(CLI::App& app, int& exit_code) {
  struct Flags {
    std::string image, vendor_data, op_id;
  };
  auto flags = std::make_shared<Flags>();
  auto* cmd = app.add_subcommand("liveness", "Passive liveness of a face image (billed)");
  cmd->add_option("--image", flags->image, "Path of the face image")->required();
  cmd->add_option("--vendor-data", flags->vendor_data, "Your reference");
  cmd->add_option("--op-id", flags->op_id, "Business key of the op (re-run = same op)");
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
    exit_code = CallAndPrintRaw([&](didit::DiditClient& client) {
      return client.PassiveLiveness(request, {.op_id = flags->op_id});
    });
  });
}

}  // namespace idem::cli

// `idem session pdf ID --out FILE` and `idem session delete-batch`: the
// session calls of issue 14 (include/idem/didit/session_calls.h).
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "cli/commands.h"
#include "cli/didit_cli_support.h"
#include "cli/exit_codes.h"
#include "report/atomic_file.h"

namespace idem::cli {
namespace {

struct SessionCallFlags {
  std::string session_id;
  std::string out;
  std::string session_numbers;  // "12,13"
  bool delete_all = false;
  std::string op_id;
  bool new_op = false;
  ClientFlags client;
};

// A PDF written to its file as it arrives (AtomicFileWriter): the report is
// never held whole in memory, and `--out` gets it whole or not at all.
class FileSink final : public BodySink {
 public:
  explicit FileSink(std::unique_ptr<AtomicFileWriter> file) : file_(std::move(file)) {}
  bool Begin() override { return Keep(file_->Truncate()); }
  bool Write(std::string_view bytes) override { return Keep(file_->Append(bytes)); }
  AtomicFileWriter& file() { return *file_; }
  // Why the sink refused, if it did.
  const std::optional<Error>& failure() const { return failure_; }

 private:
  bool Keep(Status st) {
    if (!st) failure_ = st.error();
    return st.has_value();
  }
  std::unique_ptr<AtomicFileWriter> file_;
  std::optional<Error> failure_;
};

int RunPdf(const SessionCallFlags& f) {
  // Refused before anything is fetched when the file cannot be written; the
  // report holds personal data: 0600.
  auto file = AtomicFileWriter::Open(f.out, 0600);
  if (!file) return ReportError(file.error(), kExitConfig);
  auto sink = std::make_shared<FileSink>(std::move(*file));
  auto client = MakeDiditClientFromEnv(f.client);
  if (!client) return kExitConfig;
  auto pdf = didit::StreamSessionPdf(*client, f.session_id, sink);
  if (sink->failure()) return ReportError(*sink->failure(), kExitConfig);
  if (!pdf) return ReportError(pdf.error());
  if (auto st = sink->file().Commit(); !st) return ReportError(st.error(), kExitConfig);
  PrintJson({{"session_id", pdf->session_id},
             {"file", f.out},
             {"bytes", pdf->size},
             {"content_type", pdf->content_type},
             {"filename", pdf->filename}});
  return kExitOk;
}

[[nodiscard]] Result<didit::BatchDeleteRequest> BatchRequest(const SessionCallFlags& f) {
  didit::BatchDeleteRequest request;
  request.delete_all = f.delete_all;
  std::stringstream in(f.session_numbers);
  for (std::string number; std::getline(in, number, ',');) {
    if (!number.empty()) request.session_numbers.push_back(number);
  }
  if (!f.delete_all && request.session_numbers.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "give --session-numbers N,N,... or --all");
  }
  return request;
}

int RunDeleteBatch(const SessionCallFlags& f) {
  auto request = BatchRequest(f);
  if (!request) return ReportError(request.error());
  auto op_id = OpIdForCommand(f.op_id, f.new_op, [&](didit::CallOptions call) {
    return didit::BatchDeleteSessionsOp(*request, std::move(call));
  });
  if (!op_id) return ReportError(op_id.error());
  InterruptGuard interrupt("idem session delete-batch");
  auto client = MakeDiditClientFromEnv(f.client);
  if (!client) return kExitConfig;
  interrupt.OnStop([&client] { client->client().Shutdown(); });
  auto result = didit::BatchDeleteSessions(*client, *request, {.op_id = *op_id});
  if (interrupt.signal() != 0 && interrupt.ReportUnfinished(client->client(), {*op_id}) > 0) {
    return interrupt.ExitCode();
  }
  if (!result) return ReportError(result.error());
  PrintJson({{"op_id", *op_id},
             {"deleted", true},
             {"http_status", result->http_status},
             {"session_numbers", request->session_numbers},
             {"delete_all", request->delete_all}});
  return kExitOk;
}

}  // namespace

void AddSessionCallsCommands(CLI::App& session, int& exit_code) {
  auto flags = std::make_shared<SessionCallFlags>();
  auto* pdf = session.add_subcommand("pdf", "Download a session's PDF report (a GET, not billed)");
  pdf->add_option("session_id", flags->session_id, "Session id")->required();
  pdf->add_option("--out", flags->out, "File to write (atomically, mode 0600)")->required();
  AddClientFlags(*pdf, flags->client);
  AddJsonErrorsFlag(*pdf);
  pdf->callback([flags, &exit_code] { exit_code = RunPdf(*flags); });

  auto* batch = session.add_subcommand(
      "delete-batch", "Delete sessions by number, or all (always 204; safe to repeat)");
  auto* numbers = batch->add_option("--session-numbers", flags->session_numbers,
                                    "Comma-separated session numbers");
  auto* all = batch->add_flag("--all", flags->delete_all, "Delete every KYC session");
  numbers->excludes(all);
  AddOpIdFlags(batch, flags->op_id, flags->new_op);
  AddClientFlags(*batch, flags->client);
  AddJsonErrorsFlag(*batch);
  batch->callback([flags, &exit_code] { exit_code = RunDeleteBatch(*flags); });
}

}  // namespace idem::cli

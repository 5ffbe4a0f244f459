#include "cli/enqueue_cli_support.h"

#include <cstdio>

#include "cli/error_report.h"
#include "cli/exit_codes.h"
#include "client/op_codec.h"
#include "idem/enqueue.h"

namespace idem::cli {

int EnqueueAndPrint(ClientFlags flags, Result<OpRequest> request) {
  if (!request) return ReportError(request.error(), kExitUsage);
  ResolveFromEnvironment(flags);
  auto journal = OpenJournalFromFlags(flags);
  if (!journal) return ReportError(InContext("journal", journal.error()), kExitConfig);
  auto op = Enqueue(**journal, std::move(*request));
  if (!op) return ReportError(op.error());
  nlohmann::json j = internal::OperationToJson(*op);
  j.erase("response_headers");  // nothing was sent yet: no response to show
  std::printf("%s\n", internal::DumpJson(j).c_str());
  return kExitOk;
}

}  // namespace idem::cli

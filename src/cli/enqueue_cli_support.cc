#include "cli/enqueue_cli_support.h"

#include <cstdio>

#include "cli/exit_codes.h"
#include "client/op_codec.h"
#include "idem/enqueue.h"

namespace idem::cli {

int EnqueueAndPrint(const char* command, ClientFlags flags, Result<OpRequest> request) {
  if (!request) {
    std::fprintf(stderr, "%s: %s\n", command, request.error().ToString().c_str());
    return kExitUsage;
  }
  ResolveFromEnvironment(flags);
  auto journal = OpenJournalFromFlags(flags);
  if (!journal) {
    std::fprintf(stderr, "%s: journal: %s\n", command, journal.error().ToString().c_str());
    return kExitConfig;
  }
  auto op = Enqueue(**journal, std::move(*request));
  if (!op) {
    std::fprintf(stderr, "%s: %s\n", command, op.error().ToString().c_str());
    return ExitCodeFor(op.error().code());
  }
  nlohmann::json j = internal::OperationToJson(*op);
  j.erase("response_headers");  // nothing was sent yet: no response to show
  std::printf("%s\n", internal::DumpJson(j).c_str());
  return kExitOk;
}

}  // namespace idem::cli

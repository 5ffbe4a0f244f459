// Creates a Didit verification session exactly once.
//
//   IDEM_BASE_URL=http://127.0.0.1:8790 IDEM_API_KEY=sandbox-key IDEM_JOURNAL=/tmp/example.db
//   ./create_session_once WORKFLOW_ID VENDOR_DATA [OP_ID]
//
// Run it twice with the same OP_ID (or kill it half-way and run it again):
// the second run returns the first run's session; nothing is created twice.
// The op's key and request are in the journal before the first byte leaves;
// a lost response is settled by looking the session up by vendor_data.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "idem/didit.h"
#include "idem/journal.h"
#include "idem/transport.h"

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s WORKFLOW_ID VENDOR_DATA [OP_ID]\n", argv[0]);
    return 2;
  }
  const char* base_url = std::getenv("IDEM_BASE_URL");
  const char* api_key = std::getenv("IDEM_API_KEY");

  idem::didit::DiditClientOptions options;
  if (base_url != nullptr) options.client.base_url = base_url;
  if (api_key != nullptr) options.client.api_key = api_key;
  auto journal = idem::OpenJournal(idem::DefaultJournalPath());  // a path or postgres:// URL
  if (!journal) {
    std::fprintf(stderr, "journal: %s\n", journal.error().ToString().c_str());
    return 4;
  }
  options.client.journal = std::move(*journal);
  options.client.transport = idem::MakeCurlTransport();
  auto didit = idem::didit::DiditClient::Create(std::move(options));
  if (!didit) {
    std::fprintf(stderr, "client: %s\n", didit.error().ToString().c_str());
    return 4;
  }

  idem::didit::CreateSessionRequest request;
  request.workflow_id = argv[1];
  request.vendor_data = argv[2];
  // A stable op id makes a re-run the same op; without one each run is new.
  std::string op_id = argc > 3 ? argv[3] : "create-session:" + request.vendor_data;

  auto session = (*didit)->CreateSession(request, {.op_id = op_id});
  if (!session) {
    std::fprintf(stderr, "%s\n", session.error().ToString().c_str());
    return session.error().error.code() == idem::ErrorCode::kUnknownOutcome ? 3 : 1;
  }
  std::printf("%s\n", session->session_id.c_str());
  return 0;
}

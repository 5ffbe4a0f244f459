// idem::sandbox in your own tests: the local Didit-compatible API started in
// the test process on a free port, with a fault that loses half the answers
// after the server has acted. The journaled client creates each session once
// anyway, and the sandbox's own records prove it.
//
//   ./sandbox_in_a_test [JOURNAL_FILE]
//
// Exit 0 when every session was created exactly once on the server.
// Link idem::idem and idem::sandbox (CMake) for this.
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "idem/didit.h"
#include "idem/journal.h"
#include "idem/sandbox.h"
#include "idem/transport.h"

namespace {

constexpr int kSessions = 5;

int Fail(const char* what, const idem::Error& error) {
  std::fprintf(stderr, "%s: %s\n", what, error.ToString().c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  idem::SandboxOptions sandbox_options;
  sandbox_options.port = 0;  // a free port; base_url() says which
  // Didit ignores Idempotency-Key on session create, and this server does not
  // even return the session a vendor_data already has: only the client's
  // look-up stands between a lost answer and a second session.
  sandbox_options.vendor_dedup = false;
  sandbox_options.faults = "drop_after=0.5";  // executed, then the connection is dropped
  sandbox_options.seed = 2026;
  auto sandbox = idem::Sandbox::Start(sandbox_options);
  if (!sandbox) return Fail("sandbox", sandbox.error());

  const std::string journal_path =
      argc > 1 ? argv[1]
               : (std::filesystem::temp_directory_path() /
                  ("idem-sandbox-example-" + std::to_string(::getpid()) + ".db"))
                     .string();
  auto journal = idem::OpenJournal(journal_path);  // a path or a postgres:// URL
  if (!journal) return Fail("journal", journal.error());

  idem::didit::DiditClientOptions options;
  options.client.base_url = (*sandbox)->base_url();
  options.client.api_key = sandbox_options.api_key;
  options.client.journal = std::move(*journal);
  options.client.transport = idem::MakeCurlTransport();
  auto didit = idem::didit::DiditClient::Create(std::move(options));
  if (!didit) return Fail("client", didit.error());

  int failures = 0;
  for (int i = 0; i < kSessions; ++i) {
    idem::didit::CreateSessionRequest request;
    request.workflow_id = "11111111-2222-4333-8444-555555555555";
    request.vendor_data = "example-user-" + std::to_string(i);
    // Twice with one op id, as a caller that retries after a crash would.
    std::string first;
    for (int call = 0; call < 2; ++call) {
      auto session = (*didit)->CreateSession(request, {.op_id = "create:" + request.vendor_data});
      if (!session) return Fail("create session", session.error().error);  // checked, never thrown
      if (call == 0) first = session->session_id;
      if (session->session_id != first) ++failures;
    }
  }

  const auto stats = nlohmann::json::parse((*sandbox)->StatsJson());
  const int created = stats["executions"].value("create_session", 0);
  const int duplicates = stats.value("duplicate_executions", 0);
  std::printf("%d sessions, %d executed on the server, %d duplicate executions, %d answers lost\n",
              kSessions, created, duplicates, stats["faults"].value("drop_after", 0));
  didit->reset();  // closes the journal before its files go
  (*sandbox)->Stop();
  if (argc <= 1) {
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(journal_path + suffix);
  }
  return failures == 0 && created == kSessions && duplicates == 0 ? 0 : 1;
}

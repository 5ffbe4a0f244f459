// `idem resume`: drive every unfinished op again with its original key.
#include <cstdio>

#include "cli/client_cli_support.h"
#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "client/op_codec.h"

namespace idem::cli {
namespace {

struct ResumeFlags {
  std::size_t concurrency = 16;
  ClientFlags client;
};

int RunResume(ResumeFlags& f) {
  ResolveFromEnvironment(f.client);
  auto journal = OpenJournalFromFlags(f.client);
  if (!journal) {
    std::fprintf(stderr, "idem resume: journal: %s\n", journal.error().ToString().c_str());
    return kExitConfig;
  }
  auto client = MakeClientFromFlags(f.client, *journal, f.concurrency);
  if (!client) {
    std::fprintf(stderr, "idem resume: %s\n", client.error().ToString().c_str());
    return kExitConfig;
  }
  auto summary = (*client)->Resume();
  if (!summary) {
    std::fprintf(stderr, "idem resume: %s\n", summary.error().ToString().c_str());
    return kExitConfig;
  }
  nlohmann::json j = {{"claimed", summary->claimed},     {"succeeded", summary->succeeded},
                      {"failed", summary->failed},       {"unknown", summary->unknown},
                      {"in_flight", summary->in_flight}, {"errors", summary->errors}};
  std::printf("%s\n", internal::DumpJson(j).c_str());
  if (summary->errors > 0) return kExitConfig;
  if (summary->unknown > 0 || summary->in_flight > 0) return kExitUnknown;
  return kExitOk;
}

}  // namespace

void AddResumeCommand(CLI::App& app, int& exit_code) {
  auto flags = std::make_shared<ResumeFlags>();
  auto* cmd = app.add_subcommand("resume", "Drive every unfinished op with its original key");
  cmd->add_option("--concurrency", flags->concurrency, "Ops driven at once (default 16)")
      ->check(CLI::Range(1, 1024));
  AddClientFlags(*cmd, flags->client);
  cmd->callback([flags, &exit_code] { exit_code = RunResume(*flags); });
}

}  // namespace idem::cli

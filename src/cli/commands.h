// Every `idem` subcommand registers itself here. Each is a thin shell over a
// public API in include/idem/: parse flags, call the library, print JSON to
// stdout and logs to stderr, set the exit code (exit_codes.h).
#pragma once

#include <CLI/CLI.hpp>

namespace idem::cli {

// `exit_code` outlives parsing; a command's callback stores its result there.
void AddVersionCommand(CLI::App& app, int& exit_code);
void AddSessionCommand(CLI::App& app, int& exit_code);
void AddAmlCommand(CLI::App& app, int& exit_code);
void AddLivenessCommand(CLI::App& app, int& exit_code);
void AddSandboxCommand(CLI::App& app, int& exit_code);
void AddWebhookCommand(CLI::App& app, int& exit_code);
void AddCallCommand(CLI::App& app, int& exit_code);
void AddOpsCommand(CLI::App& app, int& exit_code);
void AddResumeCommand(CLI::App& app, int& exit_code);
void AddBenchCommand(CLI::App& app, int& exit_code);
void AddDemoCommand(CLI::App& app, int& exit_code);
void AddWorkerCommand(CLI::App& app, int& exit_code);
void AddChaosCommand(CLI::App& app, int& exit_code);
void AddTriggerCommand(CLI::App& app, int& exit_code);
// `idem session pdf|delete-batch`, added under `idem session`.
void AddSessionCallsCommands(CLI::App& session, int& exit_code);
// `idem session share|import-shared` (session_sharing_command.cc).
void AddSessionSharingCommands(CLI::App& session, int& exit_code);
void AddPhoneCommand(CLI::App& app, int& exit_code);
void AddEmailCommand(CLI::App& app, int& exit_code);
// `idem webhook destinations ...|config ...`, added under `idem webhook`
// (webhook_manage_command.cc).
void AddWebhookManagementCommands(CLI::App& webhook, int& exit_code);
// `idem transaction create|get|find` (transaction_command.cc).
void AddTransactionCommand(CLI::App& app, int& exit_code);
// `idem user create|get`, `idem business create|get`, `idem workflow
// create|list|get` (entities_command.cc).
void AddEntityCommands(CLI::App& app, int& exit_code);
// `idem session update-data` (entities_command.cc).
void AddSessionDataCommand(CLI::App& session, int& exit_code);
// poa, face-search, age-estimation, database-validation (checks_command.cc).
void AddStandaloneCheckCommands(CLI::App& app, int& exit_code);
// `idem kyb search|select` (kyb_command.cc).
void AddKybCommand(CLI::App& app, int& exit_code);

}  // namespace idem::cli

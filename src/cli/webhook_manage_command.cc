// `idem webhook destinations create|list|get|update|delete` and `idem
// webhook config get|set`: Didit's webhook management API
// (include/idem/didit/webhook_destinations.h), thin shells over its typed
// calls. Writes (create, update, delete, config set) are journaled ops.
//
// Secrets: a destination's `secret_shared_key` is printed only by `create`
// and `get` (and the legacy webhook's by `config get` and `config set
// --rotate-secret`), never logged; with `--secret-out FILE` it goes to FILE
// (mode 0600, written whole or not at all) instead of stdout. Every other
// answer is printed without it.
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/didit_cli_support.h"
#include "cli/exit_codes.h"
#include "cli/table_field.h"
#include "report/atomic_file.h"

namespace idem::cli {
namespace {

constexpr char kSecretField[] = "secret_shared_key";

struct DestinationFlags {
  std::string uuid;
  std::string url;
  std::string label;
  std::vector<std::string> events;
  std::string webhook_version;
  bool enabled = false;
  bool disabled = false;
  std::string secret_out;
  bool json = false;  // list: a JSON array instead of the table
  std::string op_id;
  bool new_op = false;
  ClientFlags client;
};

struct ConfigFlags {
  std::string url;
  bool disable = false;
  std::string webhook_version;
  bool rotate_secret = false;
  std::string secret_out;
  std::string op_id;
  bool new_op = false;
  ClientFlags client;
};

nlohmann::json WithoutSecret(nlohmann::json raw) {
  if (raw.is_object()) raw.erase(kSecretField);
  return raw;
}

// Prints `raw` with its secret, or, with --secret-out, writes the secret to
// that file (0600, atomically) and prints `raw` without it, naming the file.
int PrintWithSecret(const nlohmann::json& raw, const std::string& secret,
                    const std::string& secret_out, const std::string& again) {
  if (secret_out.empty()) {
    PrintJson(raw);
    return kExitOk;
  }
  if (auto st = WriteFileAtomically(secret_out, secret + "\n", 0600); !st) {
    return ReportError(InContext("--secret-out (the secret again: " + again + ")", st.error()),
                       kExitConfig);
  }
  nlohmann::json shown = WithoutSecret(raw);
  shown["secret_shared_key_file"] = secret_out;
  PrintJson(shown);
  return kExitOk;
}

// A file given to --secret-out that cannot be written is refused before
// anything is sent (a created secret would have nowhere to go).
int CheckSecretOut(const std::string& secret_out) {
  if (secret_out.empty()) return kExitOk;
  if (auto st = CheckCanWriteFile(secret_out); !st) {
    return ReportError(InContext("--secret-out", st.error()), kExitConfig);
  }
  return kExitOk;
}

didit::WebhookDestinationRequest DestinationRequest(const DestinationFlags& f) {
  didit::WebhookDestinationRequest request;
  request.url = f.url;
  request.label = f.label;
  if (!f.events.empty()) request.subscribed_events = f.events;
  if (!f.webhook_version.empty()) request.webhook_version = f.webhook_version;
  if (f.enabled) request.enabled = true;
  if (f.disabled) request.enabled = false;
  return request;
}

int RunCreate(const DestinationFlags& f) {
  if (int code = CheckSecretOut(f.secret_out); code != kExitOk) return code;
  const didit::WebhookDestinationRequest request = DestinationRequest(f);
  auto op_id = OpIdForCommand(f.op_id, f.new_op, [&](didit::CallOptions call) {
    return didit::CreateWebhookDestinationOp(request, std::move(call));
  });
  if (!op_id) return ReportError(op_id.error());
  return CallOpAndThen(
      *op_id,
      [&](didit::DiditClient& client, didit::CallOptions call) {
        return didit::CreateWebhookDestination(client, request, std::move(call));
      },
      f.client, "idem webhook destinations create",
      [&](const didit::CreatedWebhookDestination& made) {
        return PrintWithSecret(made.raw, made.secret_shared_key, f.secret_out,
                               "idem webhook destinations get " + made.uuid + " --secret-out FILE");
      });
}

int RunList(const DestinationFlags& f) {
  ErrorsAsJson(f.json);
  auto client = MakeDiditClientFromEnv(f.client);
  if (!client) return kExitConfig;
  auto list = didit::ListWebhookDestinations(*client);
  if (!list) return ReportError(list.error());
  if (f.json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& d : *list) out.push_back(WithoutSecret(d.raw));
    PrintJson(out);
    return kExitOk;
  }
  std::printf("UUID\tLABEL\tURL\tENABLED\tEVENTS\n");
  for (const auto& d : *list) {
    std::string events;
    for (const std::string& e : d.subscribed_events) events += (events.empty() ? "" : ",") + e;
    std::printf("%s\t%s\t%s\t%s\t%s\n", TableField(d.uuid).c_str(), TableField(d.label).c_str(),
                TableField(d.url).c_str(), d.enabled ? "yes" : "no", TableField(events).c_str());
  }
  std::fflush(stdout);
  return kExitOk;
}

int RunGet(const DestinationFlags& f) {
  if (int code = CheckSecretOut(f.secret_out); code != kExitOk) return code;
  auto client = MakeDiditClientFromEnv(f.client);
  if (!client) return kExitConfig;
  auto got = didit::GetWebhookDestination(*client, f.uuid);
  if (!got) return ReportError(got.error());
  return PrintWithSecret(got->raw, got->secret_shared_key, f.secret_out,
                         "idem webhook destinations get " + f.uuid + " --secret-out FILE");
}

int RunUpdate(const DestinationFlags& f) {
  didit::WebhookDestinationRequest request = DestinationRequest(f);
  if (request.url.empty() && request.label.empty() && !request.subscribed_events &&
      !request.webhook_version && !request.enabled) {
    return ReportError(Error(ErrorCode::kInvalidArgument,
                             "nothing to change: give --url, --label, --event, "
                             "--webhook-version, --enabled or --disabled"));
  }
  auto op_id = OpIdForCommand(f.op_id, f.new_op, [&](didit::CallOptions call) {
    return didit::UpdateWebhookDestinationOp(f.uuid, request, std::move(call));
  });
  if (!op_id) return ReportError(op_id.error());
  return CallOpAndThen(
      *op_id,
      [&](didit::DiditClient& client, didit::CallOptions call) {
        return didit::UpdateWebhookDestination(client, f.uuid, request, std::move(call));
      },
      f.client, "idem webhook destinations update",
      [](const didit::WebhookDestination& updated) {
        PrintJson(WithoutSecret(updated.raw));
        return kExitOk;
      });
}

int RunDelete(const DestinationFlags& f) {
  auto op_id = OpIdForCommand(f.op_id, f.new_op, [&](didit::CallOptions call) {
    return didit::DeleteWebhookDestinationOp(f.uuid, std::move(call));
  });
  if (!op_id) return ReportError(op_id.error());
  return CallOpAndThen(
      *op_id,
      [&](didit::DiditClient& client, didit::CallOptions call) {
        return didit::DeleteWebhookDestination(client, f.uuid, std::move(call));
      },
      f.client, "idem webhook destinations delete",
      [&](const didit::DeletedWebhookDestination& deleted) {
        PrintJson({{"uuid", f.uuid},
                   {"deleted", true},
                   {"already_deleted", deleted.already_deleted},
                   {"http_status", deleted.http_status}});
        return kExitOk;
      });
}

int RunConfigGet(const ConfigFlags& f) {
  if (int code = CheckSecretOut(f.secret_out); code != kExitOk) return code;
  auto client = MakeDiditClientFromEnv(f.client);
  if (!client) return kExitConfig;
  auto config = didit::GetWebhookConfig(*client);
  if (!config) return ReportError(config.error());
  return PrintWithSecret(config->raw, config->secret_shared_key, f.secret_out,
                         "idem webhook config get --secret-out FILE");
}

int RunConfigSet(const ConfigFlags& f) {
  didit::WebhookConfigUpdate update;
  if (!f.url.empty()) update.webhook_url = std::optional<std::string>(f.url);
  if (f.disable) update.webhook_url = std::optional<std::string>();
  if (!f.webhook_version.empty()) update.webhook_version = f.webhook_version;
  update.rotate_secret_key = f.rotate_secret;
  if (!update.webhook_url && !update.webhook_version && !update.rotate_secret_key) {
    return ReportError(Error(ErrorCode::kInvalidArgument,
                             "nothing to change: give --url, --disable, --webhook-version or "
                             "--rotate-secret"));
  }
  if (int code = CheckSecretOut(f.secret_out); code != kExitOk) return code;
  // A rotation is a fresh op unless --op-id says otherwise: the same command
  // run again rotates again (Didit's answer, or `config get`, has the current
  // secret). Other changes derive their op id from the request.
  auto op_id = OpIdForCommand(f.op_id, f.new_op || f.rotate_secret, [&](didit::CallOptions call) {
    return didit::UpdateWebhookConfigOp(update, std::move(call));
  });
  if (!op_id) return ReportError(op_id.error());
  return CallOpAndThen(
      *op_id,
      [&](didit::DiditClient& client, didit::CallOptions call) {
        return didit::UpdateWebhookConfig(client, update, std::move(call));
      },
      f.client, "idem webhook config set",
      [&](const didit::WebhookConfig& config) {
        if (!f.rotate_secret) {
          PrintJson(WithoutSecret(config.raw));
          return kExitOk;
        }
        return PrintWithSecret(config.raw, config.secret_shared_key, f.secret_out,
                               "idem webhook config get --secret-out FILE");
      });
}

constexpr char kSecretOutHelp[] =
    "Write the secret_shared_key to FILE (mode 0600, atomically) instead of printing it; "
    "`webhook serve --secret-file FILE` reads it";

void AddDestinationFields(CLI::App* cmd, DestinationFlags& f, bool create) {
  auto* url = cmd->add_option("--url", f.url, "HTTPS URL on a public host, unique per application");
  auto* label = cmd->add_option("--label", f.label, "A name for it (at most 255 characters)");
  if (create) {
    url->required();
    label->required();
  }
  cmd->add_option("--event", f.events,
                  create ? "An event to subscribe to (repeatable or comma-separated: "
                           "status.updated, data.updated, user.status.updated, ...; default none)"
                         : "The events subscribed to, replacing the list (repeatable or "
                           "comma-separated)")
      ->delimiter(',');
  cmd->add_option("--webhook-version", f.webhook_version, "v1, v2 or v3 (Didit's default v3)");
}

void AddDestinations(CLI::App& webhook, int& exit_code) {
  auto f = std::make_shared<DestinationFlags>();
  auto* destinations = webhook.add_subcommand(
      "destinations", "Didit's webhook destinations: where Didit sends events, and their secrets");
  destinations->require_subcommand(1);

  auto* create = destinations->add_subcommand(
      "create",
      "Create a destination (exactly once); prints its secret_shared_key (or --secret-out)");
  AddDestinationFields(create, *f, /*create=*/true);
  create->add_flag("--disabled", f->disabled, "Create it disabled (Didit's default: enabled)");
  create->add_option("--secret-out", f->secret_out, kSecretOutHelp);
  AddOpIdFlags(create, f->op_id, f->new_op);
  AddClientFlags(*create, f->client);
  AddJsonErrorsFlag(*create);
  create->callback([f, &exit_code] { exit_code = RunCreate(*f); });

  auto* list = destinations->add_subcommand(
      "list", "List destinations (a table, or --json; never their secrets)");
  list->add_flag("--json", f->json, "A JSON array (Didit's objects) instead of the table");
  AddClientFlags(*list, f->client);
  list->callback([f, &exit_code] { exit_code = RunList(*f); });

  auto* get = destinations->add_subcommand(
      "get", "One destination; prints its secret_shared_key (or --secret-out)");
  get->add_option("uuid", f->uuid, "The destination's uuid")->required();
  get->add_option("--secret-out", f->secret_out, kSecretOutHelp);
  AddClientFlags(*get, f->client);
  AddJsonErrorsFlag(*get);
  get->callback([f, &exit_code] { exit_code = RunGet(*f); });

  auto* update = destinations->add_subcommand(
      "update", "Change a destination's fields (printed without its secret)");
  update->add_option("uuid", f->uuid, "The destination's uuid")->required();
  AddDestinationFields(update, *f, /*create=*/false);
  auto* enabled = update->add_flag("--enabled", f->enabled, "Send events to it");
  update->add_flag("--disabled", f->disabled, "Stop sending events to it")->excludes(enabled);
  AddOpIdFlags(update, f->op_id, f->new_op);
  AddClientFlags(*update, f->client);
  AddJsonErrorsFlag(*update);
  update->callback([f, &exit_code] { exit_code = RunUpdate(*f); });

  auto* del = destinations->add_subcommand("delete", "Delete a destination (safe to repeat)");
  del->add_option("uuid", f->uuid, "The destination's uuid")->required();
  AddOpIdFlags(del, f->op_id, f->new_op);
  AddClientFlags(*del, f->client);
  AddJsonErrorsFlag(*del);
  del->callback([f, &exit_code] { exit_code = RunDelete(*f); });
}

void AddConfig(CLI::App& webhook, int& exit_code) {
  auto f = std::make_shared<ConfigFlags>();
  auto* config = webhook.add_subcommand(
      "config", "Didit's legacy single webhook (webhook_url and its secret_shared_key)");
  config->require_subcommand(1);

  auto* get = config->add_subcommand(
      "get", "The legacy webhook; prints its secret_shared_key (or --secret-out)");
  get->add_option("--secret-out", f->secret_out, kSecretOutHelp);
  AddClientFlags(*get, f->client);
  AddJsonErrorsFlag(*get);
  get->callback([f, &exit_code] { exit_code = RunConfigGet(*f); });

  auto* set = config->add_subcommand(
      "set",
      "Change the legacy webhook; printed without its secret unless --rotate-secret (then the "
      "new one, or --secret-out)");
  auto* url = set->add_option("--url", f->url, "The webhook URL (HTTPS, public host)");
  set->add_flag("--disable", f->disable, "No webhook URL: Didit sends no webhooks")->excludes(url);
  set->add_option("--webhook-version", f->webhook_version, "v1, v2 or v3");
  auto* rotate = set->add_flag("--rotate-secret", f->rotate_secret,
                               "Issue a new secret_shared_key; the old one stops verifying at "
                               "once (each run rotates: a fresh op unless --op-id)");
  set->add_option("--secret-out", f->secret_out, kSecretOutHelp)->needs(rotate);
  AddOpIdFlags(set, f->op_id, f->new_op);
  AddClientFlags(*set, f->client);
  AddJsonErrorsFlag(*set);
  set->callback([f, &exit_code] { exit_code = RunConfigSet(*f); });
}

}  // namespace

void AddWebhookManagementCommands(CLI::App& webhook, int& exit_code) {
  AddDestinations(webhook, exit_code);
  AddConfig(webhook, exit_code);
}

}  // namespace idem::cli

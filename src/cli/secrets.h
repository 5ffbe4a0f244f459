// Internal to the CLI: secrets from files and lists, so that none has to be
// typed in argv (visible to every user in `ps`) or kept in one environment
// variable. No function here ever puts a secret into an error message.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "idem/status.h"

namespace idem::cli {

// The secret held by the file at `path`: its bytes without trailing
// whitespace (a final newline). kNotFound / kIo when it cannot be read,
// kInvalidArgument when it is empty; the message names the path only.
[[nodiscard]] Result<std::string> ReadSecretFile(const std::string& path);

// The secrets of a list such as IDEM_WEBHOOK_SECRETS: separated by commas,
// spaces or newlines, empty entries dropped.
std::vector<std::string> SplitSecretList(std::string_view list);

}  // namespace idem::cli

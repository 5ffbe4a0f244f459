#include "idem/resolve.h"

#include <unistd.h>

#include <cstdlib>

#include "idem/uuid.h"

namespace idem {
namespace {

// Audit text is one printable line: no control characters (a newline would
// forge another audit line), bounded.
[[nodiscard]] Status CheckAuditText(std::string_view what, std::string_view text) {
  if (text.size() > 1024) {
    return MakeError(ErrorCode::kInvalidArgument, std::string(what) + " is over 1 KiB");
  }
  for (unsigned char c : text) {
    if (c < 0x20 || c == 0x7f) {
      return MakeError(ErrorCode::kInvalidArgument,
                       std::string(what) + " must not contain control characters");
    }
  }
  return {};
}

std::string DefaultResolver() {
  const char* user = std::getenv("USER");
  char host[256] = {0};
  if (gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  return std::string(user && *user ? user : "unknown") + "@" + (host[0] ? host : "host");
}

}  // namespace

[[nodiscard]] Result<Operation> ResolveUnknownOp(Journal& journal, const ResolveRequest& request) {
  if (request.op_id.empty()) return MakeError(ErrorCode::kInvalidArgument, "no op id to resolve");
  const std::string by = request.by.empty() ? DefaultResolver() : request.by;
  for (auto [what, text] : {std::pair<std::string_view, std::string_view>{"the resolver", by},
                            {"the note", request.note},
                            {"the resource id", request.resource_id}}) {
    if (auto st = CheckAuditText(what, text); !st) return tl::unexpected(st.error());
  }
  const std::shared_ptr<Clock> clock = request.clock ? request.clock : DefaultClock();
  UnknownResolution resolution;
  resolution.executed = request.executed;
  std::string line = FormatIsoMillis(ToUnixMillis(clock->Now())) + " resolved by " + by + ": ";
  if (request.executed) {
    resolution.resource_id = request.resource_id;
    line += "executed";
    if (!request.resource_id.empty()) line += " (resource " + request.resource_id + ")";
  } else {
    resolution.new_idem_key = NewUuidV4();
    line += "not executed; to be sent again under the fresh key " + resolution.new_idem_key;
  }
  if (!request.note.empty()) line += "; note: " + request.note;
  resolution.audit_line = std::move(line);
  return journal.ResolveUnknown(request.op_id, resolution);
}

}  // namespace idem

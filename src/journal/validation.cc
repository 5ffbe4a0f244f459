#include "journal/validation.h"

#include <string>
#include <utility>

namespace idem::journal {

[[nodiscard]] Status CheckIdentifier(std::string_view what, std::string_view value) {
  if (value.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "journal: " + std::string(what) + " is empty");
  }
  if (value.size() > kMaxIdentifierBytes) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "journal: " + std::string(what) + " longer than " +
                         std::to_string(kMaxIdentifierBytes) + " bytes");
  }
  if (value.find('\0') != std::string_view::npos) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "journal: " + std::string(what) + " contains a NUL byte");
  }
  return {};
}

[[nodiscard]] Status CheckLease(std::chrono::milliseconds lease) {
  if (lease.count() <= 0) return MakeError(ErrorCode::kInvalidArgument, "journal: lease <= 0");
  return {};
}

[[nodiscard]] Status CheckBegin(const Operation& op, std::string_view owner,
                                std::chrono::milliseconds lease) {
  for (auto [what, value] : {std::pair<const char*, std::string_view>{"op_id", op.op_id},
                             {"idem_key", op.idem_key},
                             {"fingerprint", op.fingerprint},
                             {"method", op.method},
                             {"owner", owner}}) {
    if (auto st = CheckIdentifier(what, value); !st) return st;
  }
  return CheckLease(lease);
}

}  // namespace idem::journal

#include "idem/didit/session_status.h"

#include <array>
#include <utility>

namespace idem::didit {
namespace {

constexpr std::array<std::pair<SessionStatus, std::string_view>, 10> kNames = {{
    {SessionStatus::kNotStarted, "Not Started"},
    {SessionStatus::kInProgress, "In Progress"},
    {SessionStatus::kApproved, "Approved"},
    {SessionStatus::kDeclined, "Declined"},
    {SessionStatus::kInReview, "In Review"},
    {SessionStatus::kAwaitingUser, "Awaiting User"},
    {SessionStatus::kResubmitted, "Resubmitted"},
    {SessionStatus::kExpired, "Expired"},
    {SessionStatus::kAbandoned, "Abandoned"},
    {SessionStatus::kKycExpired, "Kyc Expired"},
}};

}  // namespace

std::string_view SessionStatusName(SessionStatus status) {
  for (const auto& [code, name] : kNames) {
    if (code == status) return name;
  }
  return "";
}

SessionStatus ParseSessionStatus(std::string_view text) {
  for (const auto& [code, name] : kNames) {
    if (name == text) return code;
  }
  return SessionStatus::kUnrecognised;
}

bool IsUnfinished(SessionStatus status) {
  return status == SessionStatus::kNotStarted || status == SessionStatus::kInProgress ||
         status == SessionStatus::kResubmitted || status == SessionStatus::kAwaitingUser;
}

}  // namespace idem::didit

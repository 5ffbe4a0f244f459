// Didit session statuses. Didit spells them exactly (and case-sensitively) as
// "Not Started", "In Review", ...; idem maps them to an enum and keeps the
// original text, so a status Didit adds tomorrow round-trips unchanged.
#pragma once

#include <string>
#include <string_view>

namespace idem::didit {

enum class SessionStatus {
  kNotStarted,    // "Not Started"
  kInProgress,    // "In Progress"
  kApproved,      // "Approved"
  kDeclined,      // "Declined"
  kInReview,      // "In Review"
  kAwaitingUser,  // "Awaiting User"
  kResubmitted,   // "Resubmitted"
  kExpired,       // "Expired"
  kAbandoned,     // "Abandoned"
  kKycExpired,    // "Kyc Expired"
  kUnrecognised,  // anything else; SessionStatusValue::text keeps the string
};

// The exact Didit string; "" for kUnrecognised.
std::string_view SessionStatusName(SessionStatus status);

// Exact, case-sensitive match; anything else is kUnrecognised.
SessionStatus ParseSessionStatus(std::string_view text);

// A status as received: the enum plus the exact text, so that an unrecognised
// status is neither dropped nor rewritten.
struct SessionStatusValue {
  SessionStatus code = SessionStatus::kUnrecognised;
  std::string text;

  static SessionStatusValue FromString(std::string_view text) {
    return {ParseSessionStatus(text), std::string(text)};
  }
  static SessionStatusValue Of(SessionStatus status) {
    return {status, std::string(SessionStatusName(status))};
  }
  // The exact string to send back to Didit.
  const std::string& ToString() const { return text; }
  bool operator==(const SessionStatusValue&) const = default;
};

// True for the statuses Didit treats as unfinished for its vendor_data dedup
// (Not Started, In Progress, Resubmitted, Awaiting User).
bool IsUnfinished(SessionStatus status);

}  // namespace idem::didit

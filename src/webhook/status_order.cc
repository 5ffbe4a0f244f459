// The order of a session's status events: Didit's status machine (fact sheet
// didit-api-v3-details.md, section 4 "Status machine") and the rule the inbox
// applies with it (StatusEventMoves, idem/webhook_inbox.h).
#include <array>
#include <tuple>

#include "idem/webhook_inbox.h"
#include "webhook/inbox_event.h"

namespace idem {
namespace {

// Events of the same second, earliest first (see SameSecondOrder).
constexpr std::array<std::string_view, 10> kSameSecondOrder = {
    "Not Started", "Expired",  "In Progress", "Awaiting User", "In Review",
    "Abandoned",   "Approved", "Kyc Expired", "Declined",      "Resubmitted",
};

// No transition of the table leads to it: only ever a session's first status.
bool IsInitial(std::string_view status) {
  for (const StatusTransition& t : DiditStatusTransitions()) {
    if (t.to == status) return false;
  }
  return SameSecondOrder(status) >= 0;
}

}  // namespace

const std::vector<StatusTransition>& DiditStatusTransitions() {
  // Row by row as in the fact sheet's table; "automatic" is its middle
  // column, the rest is update-status or the console.
  static const std::vector<StatusTransition> table = {
      {"Not Started", "In Progress", true},
      {"Not Started", "Expired", true},
      {"In Progress", "Approved", true},
      {"In Progress", "Declined", true},
      {"In Progress", "In Review", true},
      {"In Progress", "Abandoned", true},
      // Implied: the table says how a KYB parent leaves Awaiting User, not how
      // it got there; it waits for its parties after its own flow.
      {"In Progress", "Awaiting User", true, true},
      {"Awaiting User", "In Review", true},
      {"Awaiting User", "Approved", true},
      {"Awaiting User", "Declined", true},
      {"Approved", "Kyc Expired", true},
      {"Approved", "Declined"},
      {"Approved", "Resubmitted"},
      {"Declined", "Approved"},
      {"Declined", "Resubmitted"},
      {"In Review", "Approved"},
      {"In Review", "Declined"},
      {"In Review", "Resubmitted"},
      // "In Progress when the user resumes (inferred, unconfirmed)".
      {"Resubmitted", "In Progress", true, true},
      {"Resubmitted", "Approved"},
      {"Resubmitted", "Declined"},
      {"Abandoned", "Approved"},
      {"Abandoned", "Declined"},
      {"Abandoned", "Resubmitted"},
      {"Kyc Expired", "Approved"},
      {"Kyc Expired", "Declined"},
      {"Kyc Expired", "Resubmitted"},
  };
  return table;
}

int SameSecondOrder(std::string_view status) {
  for (std::size_t i = 0; i < kSameSecondOrder.size(); ++i) {
    if (kSameSecondOrder[i] == status) return static_cast<int>(i);
  }
  return -1;
}

bool StatusEventMoves(std::string_view stored_status, std::int64_t stored_timestamp,
                      std::string_view status, std::int64_t timestamp) {
  // A strict total order on (status, timestamp): the event moves the session
  // iff its key is greater.
  auto key = [](std::string_view s, std::int64_t ts) {
    return std::make_tuple(!IsInitial(s), ts, SameSecondOrder(s), s);
  };
  return key(stored_status, stored_timestamp) < key(status, timestamp);
}

bool IsFinalStatus(std::string_view status) {
  for (std::string_view s : webhook::kFinalStatuses) {
    if (s == status) return true;
  }
  return false;
}

}  // namespace idem

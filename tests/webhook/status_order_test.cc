// The order of a session's status events (StatusEventMoves): Didit's status
// machine, fact sheet didit-api-v3-details.md section 4 "Status machine",
// transition by transition. Pure logic, no I/O.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "idem/webhook_inbox.h"

namespace idem {
namespace {

const std::vector<std::string> kStatuses = {
    "Not Started", "In Progress", "Awaiting User", "In Review",   "Approved",
    "Declined",    "Resubmitted", "Abandoned",     "Kyc Expired", "Expired"};

bool Has(std::string_view from, std::string_view to) {
  for (const auto& t : DiditStatusTransitions()) {
    if (t.from == from && t.to == to) return true;
  }
  return false;
}

// The fact sheet's table, row by row: (from, to, automatic).
TEST(StatusOrder, TheTableIsTheFactSheets) {
  const std::set<std::tuple<std::string, std::string, bool>> expected = {
      {"Not Started", "In Progress", true},   {"Not Started", "Expired", true},
      {"In Progress", "Approved", true},      {"In Progress", "Declined", true},
      {"In Progress", "In Review", true},     {"In Progress", "Abandoned", true},
      {"In Progress", "Awaiting User", true},  // implied (inferred)
      {"Awaiting User", "In Review", true},   {"Awaiting User", "Approved", true},
      {"Awaiting User", "Declined", true},    {"Approved", "Kyc Expired", true},
      {"Approved", "Declined", false},        {"Approved", "Resubmitted", false},
      {"Declined", "Approved", false},        {"Declined", "Resubmitted", false},
      {"In Review", "Approved", false},       {"In Review", "Declined", false},
      {"In Review", "Resubmitted", false},    {"Resubmitted", "In Progress", true},  // inferred
      {"Resubmitted", "Approved", false},     {"Resubmitted", "Declined", false},
      {"Abandoned", "Approved", false},       {"Abandoned", "Declined", false},
      {"Abandoned", "Resubmitted", false},    {"Kyc Expired", "Approved", false},
      {"Kyc Expired", "Declined", false},     {"Kyc Expired", "Resubmitted", false},
  };
  std::set<std::tuple<std::string, std::string, bool>> table;
  std::set<std::pair<std::string, std::string>> inferred;
  for (const auto& t : DiditStatusTransitions()) {
    table.insert({std::string(t.from), std::string(t.to), t.automatic});
    if (t.inferred) inferred.insert({std::string(t.from), std::string(t.to)});
  }
  EXPECT_EQ(table, expected);
  EXPECT_EQ(table.size(), DiditStatusTransitions().size()) << "no transition twice";
  EXPECT_EQ(inferred, (std::set<std::pair<std::string, std::string>>{
                          {"In Progress", "Awaiting User"}, {"Resubmitted", "In Progress"}}));
  // Expired is terminal; nothing leads to Not Started.
  for (const auto& t : DiditStatusTransitions()) {
    EXPECT_NE(t.from, "Expired");
    EXPECT_NE(t.to, "Not Started");
  }
  for (const auto& s : kStatuses) EXPECT_GE(SameSecondOrder(s), 0) << s;
  EXPECT_EQ(SameSecondOrder("approved"), -1);  // exact, case-sensitive strings
  EXPECT_EQ(SameSecondOrder("FLAGGED"), -1);
}

// Every transition of the table moves the session when its event is later,
// the manual ones included (Approved -> Resubmitted used to be "backwards"),
// and never when its event is earlier.
TEST(StatusOrder, EveryTransitionMovesForwardInTimeAndNeverBack) {
  for (const auto& t : DiditStatusTransitions()) {
    SCOPED_TRACE(std::string(t.from) + " -> " + std::string(t.to));
    EXPECT_TRUE(StatusEventMoves(t.from, 100, t.to, 101));
    EXPECT_TRUE(StatusEventMoves(t.from, 100, t.to, 100'000));
    // The stored status is the later one: the event is stale.
    EXPECT_FALSE(StatusEventMoves(t.to, 101, t.from, 100));
    if (t.from != "Not Started") {
      EXPECT_FALSE(StatusEventMoves(t.from, 101, t.to, 100));
    }
  }
}

// In the same second the table decides: every automatic transition goes
// forward except the inferred Resubmitted -> In Progress (a person resuming);
// of the pairs the table has in both directions, the one that keeps a person
// in the loop wins.
TEST(StatusOrder, TheSameSecondFollowsTheTable) {
  const std::set<std::pair<std::string, std::string>> later_wins_not = {
      {"Resubmitted", "In Progress"},  // needs the user to come back
      {"Declined", "Approved"},        // Declined over Approved
      {"Resubmitted", "Approved"},     // Resubmitted over Approved
      {"Resubmitted", "Declined"},     // Resubmitted over Declined
      {"Kyc Expired", "Approved"},     // Kyc Expired over Approved
  };
  for (const auto& t : DiditStatusTransitions()) {
    const std::pair<std::string, std::string> pair{std::string(t.from), std::string(t.to)};
    SCOPED_TRACE(pair.first + " -> " + pair.second);
    const bool forward = later_wins_not.count(pair) == 0;
    EXPECT_EQ(StatusEventMoves(t.from, 100, t.to, 100), forward);
    EXPECT_EQ(StatusEventMoves(t.to, 100, t.from, 100), !forward);
    if (!forward && pair.second != "In Progress") {
      // Only where the table also has the other direction.
      EXPECT_TRUE(Has(t.to, t.from));
    }
    if (t.automatic && !t.inferred) {
      EXPECT_LT(SameSecondOrder(t.from), SameSecondOrder(t.to));
    }
  }
  // Pairs with no direct transition: a session's run through the table.
  EXPECT_TRUE(StatusEventMoves("Not Started", 100, "Approved", 100));
  EXPECT_TRUE(StatusEventMoves("In Progress", 100, "Kyc Expired", 100));
  EXPECT_FALSE(StatusEventMoves("Approved", 100, "In Progress", 100));
}

// Not Started is only ever a session's first status: a replay of it never
// moves a session, whatever its timestamp, and any other status moves a
// session still at Not Started.
TEST(StatusOrder, NotStartedIsAlwaysFirst) {
  for (const auto& s : kStatuses) {
    if (s == "Not Started") continue;
    SCOPED_TRACE(s);
    EXPECT_FALSE(StatusEventMoves(s, 100, "Not Started", 200));
    EXPECT_FALSE(StatusEventMoves(s, 100, "Not Started", 100));
    EXPECT_TRUE(StatusEventMoves("Not Started", 200, s, 100));
  }
}

TEST(StatusOrder, TheSameStatusMovesOnlyWhenLater) {
  for (const auto& s : kStatuses) {
    EXPECT_FALSE(StatusEventMoves(s, 100, s, 100)) << s;
    EXPECT_FALSE(StatusEventMoves(s, 100, s, 99)) << s;
    EXPECT_TRUE(StatusEventMoves(s, 100, s, 101)) << s;
  }
}

// A status Didit may add later: the timestamp decides; in the same second a
// known status wins, and two unknown ones are ordered by their bytes.
TEST(StatusOrder, UnknownStatusesFollowTheirTimestamps) {
  EXPECT_TRUE(StatusEventMoves("Approved", 100, "On Hold", 101));
  EXPECT_FALSE(StatusEventMoves("Approved", 100, "On Hold", 99));
  EXPECT_TRUE(StatusEventMoves("On Hold", 100, "Approved", 101));
  EXPECT_FALSE(StatusEventMoves("Approved", 100, "On Hold", 100));
  EXPECT_TRUE(StatusEventMoves("On Hold", 100, "Approved", 100));
  EXPECT_NE(StatusEventMoves("On Hold", 100, "Paused", 100),
            StatusEventMoves("Paused", 100, "On Hold", 100));
  EXPECT_TRUE(StatusEventMoves("Not Started", 100, "On Hold", 50));
  EXPECT_FALSE(StatusEventMoves("On Hold", 100, "Not Started", 150));
}

// A strict total order on (status, timestamp): for any two different events
// exactly one moves a session holding the other, and it is transitive. So
// the status a session ends on does not depend on the order events arrive in.
TEST(StatusOrder, IsAStrictTotalOrder) {
  std::vector<std::pair<std::string, std::int64_t>> events;
  for (const auto& s : kStatuses) {
    for (std::int64_t ts : {100, 101, 102}) events.push_back({s, ts});
  }
  for (std::int64_t ts : {100, 101}) events.push_back({"On Hold", ts});
  auto moves = [](const auto& stored, const auto& event) {
    return StatusEventMoves(stored.first, stored.second, event.first, event.second);
  };
  for (const auto& a : events) {
    for (const auto& b : events) {
      if (a == b) {
        EXPECT_FALSE(moves(a, b));
        continue;
      }
      EXPECT_NE(moves(a, b), moves(b, a))
          << a.first << "@" << a.second << " vs " << b.first << "@" << b.second;
      for (const auto& c : events) {
        if (moves(a, b) && moves(b, c)) {
          EXPECT_TRUE(moves(a, c)) << a.first << " < " << b.first << " < " << c.first;
        }
      }
    }
  }
  // Applying any arrival order leaves the maximum.
  std::vector<std::pair<std::string, std::int64_t>> run = {
      {"Not Started", 100}, {"In Progress", 100}, {"Approved", 101},
      {"Resubmitted", 105}, {"In Progress", 110}, {"Declined", 110}};
  std::sort(run.begin(), run.end());
  do {
    auto stored = run.front();
    for (std::size_t i = 1; i < run.size(); ++i) {
      if (moves(stored, run[i])) stored = run[i];
    }
    EXPECT_EQ(stored, (std::pair<std::string, std::int64_t>{"Declined", 110}));
  } while (std::next_permutation(run.begin(), run.end()));
}

}  // namespace
}  // namespace idem

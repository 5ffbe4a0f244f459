// Internal: tallies of settled ops by state, shared by Client::Resume's
// ResumeSummary and the worker's WorkerSummary (both have succeeded, failed,
// unknown and in_flight counters).
#pragma once

#include "idem/journal.h"

namespace idem {

template <typename Summary>
void CountState(Summary& summary, OpState state) {
  switch (state) {
    case OpState::kSucceeded:
      ++summary.succeeded;
      break;
    case OpState::kFailed:
      ++summary.failed;
      break;
    case OpState::kUnknown:
      ++summary.unknown;
      break;
    case OpState::kInFlight:
      ++summary.in_flight;
      break;
  }
}

}  // namespace idem

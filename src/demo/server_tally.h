// Counts a run from the sandbox's own records: /_sandbox/executions (every
// billable execution with the vendor_data of its request) and /_sandbox/stats.
// Nothing here trusts what a client believes happened.
#pragma once

#include <string>
#include <vector>

#include "demo/demo.h"
#include "demo/workload.h"
#include "idem/sandbox.h"
#include "idem/status.h"

namespace idem::demo {

struct ServerTally {
  int executions = 0;  // create_session, aml, poa and age_estimation executions
  int session_executions = 0;
  int aml_executions = 0;
  int poa_executions = 0;
  int age_executions = 0;
  int duplicate_sessions = 0;
  int duplicate_aml = 0;
  int duplicate_poa = 0;
  int duplicate_age = 0;
  int never_executed = 0;      // logical ops with no execution at all
  std::vector<bool> executed;  // per work item
};

// Matches executions to `items` by (kind, vendor_data).
[[nodiscard]] Result<ServerTally> TallyExecutions(const std::string& executions_json,
                                                  const std::vector<WorkItem>& items);

// Copies requests, replays, 409/422/429, faults (in all and by kind) and
// vendor_dedup_hits from
// the stats JSON into `run`.
[[nodiscard]] Status ApplyStats(const std::string& stats_json, DemoRunReport& run);

// Both of the above from the sandbox, and the counts every run reports: ops,
// sessions, AML checks, executions and duplicates. Returns the tally for the
// run's own idea of "lost".
[[nodiscard]] Result<ServerTally> TallyRun(Sandbox& sandbox, const std::vector<WorkItem>& items,
                                           DemoRunReport& run);

}  // namespace idem::demo

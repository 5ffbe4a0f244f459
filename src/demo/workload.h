// The demo's workload: the same logical ops, byte for byte, for the idem run
// and the naive run. Each op carries a unique vendor_data, which the sandbox
// records with every execution: that is how executions are matched to ops.
#pragma once

#include <string>
#include <vector>

#include "demo/demo.h"
#include "idem/status.h"

namespace idem::demo {

struct WorkItem {
  std::string kind;  // "create_session" | "aml" | "poa" | "age_estimation"
  std::string path;  // "/v3/session/" | "/v3/aml/" | "/v3/poa/" | "/v3/age-estimation/"
  std::string content_type;
  std::string body;
  std::string vendor_data;  // unique per op
  std::string natural_key;  // what a look-up after a lost response reads
  bool tight = false;       // driven with one attempt (see DemoOptions::tight_every)
};

// Sessions, AML, Proof of Address and age estimation checks interleaved. `tag` makes vendor_data
// unique per run.
[[nodiscard]] Result<std::vector<WorkItem>> MakeWorkload(const DemoOptions& options,
                                                         const std::string& tag);

// The p-th percentile (0..100) of `values` in ms (sorted in place); 0 if empty.
double Percentile(std::vector<double>& values, double p);

}  // namespace idem::demo

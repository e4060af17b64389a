// Chrome trace-event JSON of a run (opens in Perfetto and chrome://tracing): one lane per AICPU
// thread and per core. Kernels are spans on core lanes; completions and dispatches are instants
// on scheduler lanes; submits, scopes and blocked waits are on the orchestrator lane. A core that
// runs micro-programs also gets a lane per pipe: operations, store bursts with their commits,
// flow arrows (set_flag -> wait_flag, store -> commit -> load) and the reads found stale; a
// wedged core's kernel and stopped pipe are slices that never close. On a2a3sim, a lane per host
// CPU says which thread held it when (docs/outputs.md, "Traces").
#pragma once

#include "replay/run_session.h"

#include <string>

namespace ptosim::replay {

std::string chrome_trace_json(const RunArtifacts& artifacts, const runtime::ModelInput& model);

}  // namespace ptosim::replay

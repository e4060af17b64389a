// Chrome trace-event JSON of a run (opens in Perfetto and chrome://tracing): one lane per AICPU
// thread and per core. Kernels are spans on core lanes; completions and dispatches are instants
// on scheduler lanes; submits, scopes and blocked waits are on the orchestrator lane.
#pragma once

#include "replay/run_session.h"

#include <string>

namespace ptosim::replay {

std::string chrome_trace_json(const RunArtifacts& artifacts, const runtime::ModelInput& model);

}  // namespace ptosim::replay

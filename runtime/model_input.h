// What one simulated run is made of: the platform, the runtime configuration, the kernels, the
// expanded program and the run's budgets. The scenario loader builds it; runtime::simulate runs it.
#pragma once

#include "hwmodel/ai_core.h"
#include "runtime/program.h"
#include "runtime/runtime_config.h"

#include <cstdint>
#include <vector>

namespace ptosim::runtime {

struct PlatformConfig {
  int clusters = 24;
  int scheduler_threads = 3;
  hwmodel::CoreTiming core_timing;
};

struct RunLimits {
  std::uint64_t max_events = 10'000'000;
  TimeNs max_sim_time_ns = 60 * NS_PER_S;
};

struct ModelInput {
  PlatformConfig platform;
  RuntimeConfig runtime;
  std::vector<hwmodel::KernelSpec> kernels;
  Program program;
  RunLimits limits;
};

}  // namespace ptosim::runtime

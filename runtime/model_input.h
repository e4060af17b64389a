// What one simulated run is made of: the platform, the runtime configuration, the kernels, the
// expanded program and the run's budgets. The scenario loader builds it; runtime::simulate runs it.
#pragma once

#include "hwmodel/kernel_spec.h"
#include "runtime/cost_model.h"
#include "runtime/program.h"
#include "runtime/runtime_config.h"
#include "simcore/host_platform.h"

#include <cstdint>
#include <optional>
#include <vector>

namespace ptosim::runtime {

struct PlatformConfig {
  int clusters = 24;
  int scheduler_threads = 3;
  hwmodel::CoreTiming core_timing;
  // a2a3sim: every AICPU thread and every AI core is a host thread on the host's CPUs. Absent on
  // the board (a2a3), where each has a processor of its own.
  std::optional<simcore::HostPlatformSpec> host;
  const char* kind() const { return host ? "a2a3sim" : "a2a3"; }
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
  // Per-task kernel duration ranges, where a kernel's duration is an expression.
  KernelCostTable kernel_costs;
  RunLimits limits;
  // Per core id: the faults declared for it (empty: none).
  std::vector<hwmodel::CoreFaults> core_faults;
};

}  // namespace ptosim::runtime

// The host of the simulator board (a2a3sim) as a scenario declares it: CPUs, background load,
// time slices and loop costs. Plain data; simcore/host_scheduler.h runs it.
#pragma once

#include "simcore/loop_cost.h"

namespace ptosim::simcore {

struct HostPlatformSpec {
  int cpus = 1;
  int background_threads = 0;
  NsRange time_slice{1'000'000, 4'000'000};
  // One iteration of each loop kind on the host, sched_yield included (stream and range).
  LoopCost loop_costs[LOOP_KIND_COUNT];
};

}  // namespace ptosim::simcore

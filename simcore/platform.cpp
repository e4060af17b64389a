#include "simcore/platform.h"

#include <string>

namespace ptosim::simcore {

Platform::Platform(Simulation& sim, int clusters, int scheduler_threads) {
  orchestrator_ = sim.add_host("aicpu.orchestrator");
  for (int t = 0; t < scheduler_threads; ++t) schedulers_.push_back(sim.add_host("aicpu.sched" + std::to_string(t)));
  static const char* const SLOT_NAMES[CORES_PER_CLUSTER] = {".aic", ".aiv0", ".aiv1"};
  for (int cluster = 0; cluster < clusters; ++cluster) {
    for (int slot = 0; slot < CORES_PER_CLUSTER; ++slot) {
      std::string name = "c";
      name += std::to_string(cluster);
      name += SLOT_NAMES[slot];
      cores_.push_back(sim.add_host(name));
    }
  }
}

}  // namespace ptosim::simcore

#include "simcore/platform.h"

#include <string>

namespace ptosim::simcore {

std::vector<std::string> Platform::host_names(int clusters, int scheduler_threads) {
  std::vector<std::string> names;
  names.push_back("aicpu.orchestrator");
  for (int t = 0; t < scheduler_threads; ++t) names.push_back("aicpu.sched" + std::to_string(t));
  static const char* const SLOT_NAMES[CORES_PER_CLUSTER] = {".aic", ".aiv0", ".aiv1"};
  for (int cluster = 0; cluster < clusters; ++cluster) {
    for (int slot = 0; slot < CORES_PER_CLUSTER; ++slot) names.push_back("c" + std::to_string(cluster) + SLOT_NAMES[slot]);
  }
  return names;
}

Platform::Platform(Simulation& sim, int clusters, int scheduler_threads) {
  const std::vector<std::string> names = host_names(clusters, scheduler_threads);
  std::size_t next = 0;
  orchestrator_ = sim.add_host(names[next++]);
  for (int t = 0; t < scheduler_threads; ++t) schedulers_.push_back(sim.add_host(names[next++]));
  for (int cluster = 0; cluster < clusters; ++cluster) {
    for (int slot = 0; slot < CORES_PER_CLUSTER; ++slot) cores_.push_back(sim.add_host(names[next++]));
  }
}

}  // namespace ptosim::simcore

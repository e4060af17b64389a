// The simulated platform of one run: a host per AICPU thread (the orchestrator and each
// scheduler thread) and a host per AI core, `clusters` x {AIC, AIV0, AIV1}. Hosts carry no
// computation model; they give every actor its own place, and their names show in diagnostics.
#pragma once

#include "simcore/sim_engine.h"

#include <string>
#include <vector>

namespace ptosim::simcore {

// The three cores of a cluster, in the order the runtime numbers them.
inline constexpr int CORES_PER_CLUSTER = 3;

class Platform {
 public:
  Platform(Simulation& sim, int clusters, int scheduler_threads);
  // The names of its hosts, in the order the constructor adds them (Simulation::prepare).
  static std::vector<std::string> host_names(int clusters, int scheduler_threads);

  HostRef orchestrator_host() const { return orchestrator_; }
  HostRef scheduler_host(int thread) const { return schedulers_.at(static_cast<std::size_t>(thread)); }
  // slot 0 is the AIC, 1 and 2 the AIVs of the cluster.
  HostRef core_host(int cluster, int slot) const {
    return cores_.at(static_cast<std::size_t>(cluster * CORES_PER_CLUSTER + slot));
  }

 private:
  HostRef orchestrator_;
  std::vector<HostRef> schedulers_;
  std::vector<HostRef> cores_;
};

}  // namespace ptosim::simcore

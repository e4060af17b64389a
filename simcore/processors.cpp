#include "simcore/processors.h"

namespace ptosim::simcore {

Processors::Processors(Simulation& sim, DecisionSource& decisions, const LoopCost (&dedicated_costs)[LOOP_KIND_COUNT],
                       const std::optional<HostPlatformSpec>& host)
    : decisions_(decisions) {
  for (int k = 0; k < LOOP_KIND_COUNT; ++k) dedicated_costs_[k] = dedicated_costs[k];
  if (host) host_ = std::make_unique<HostScheduler>(sim, decisions, *host);
}

std::unique_ptr<ThreadClock> Processors::add_thread(const std::string& name) {
  if (host_) return host_->add_thread(name);
  return std::make_unique<DedicatedClock>(decisions_, dedicated_costs_);
}

void Processors::start() {
  if (host_) host_->start();
}

}  // namespace ptosim::simcore

// The processors that run one run's simulated threads: a processor of its own for every thread
// (the a2a3 board), or a few host CPUs they all share (a2a3sim, see host_scheduler.h). The model
// gets one ThreadClock per thread from here and never learns which it is.
#pragma once

#include "simcore/host_scheduler.h"
#include "simcore/thread_clock.h"

#include <memory>
#include <optional>
#include <string>

namespace ptosim::simcore {

class Processors {
 public:
  // `dedicated_costs`: the loop costs of a thread with a processor of its own. With `host`, every
  // thread shares the host's CPUs instead, with the host's loop costs.
  Processors(Simulation& sim, DecisionSource& decisions, const LoopCost (&dedicated_costs)[LOOP_KIND_COUNT],
             const std::optional<HostPlatformSpec>& host);

  std::unique_ptr<ThreadClock> add_thread(const std::string& name);
  // Call once every thread is added, before the run.
  void start();
  // The shared host, if any (for reports and tests).
  HostScheduler* host() { return host_.get(); }

 private:
  DecisionSource& decisions_;
  LoopCost dedicated_costs_[LOOP_KIND_COUNT];
  std::unique_ptr<HostScheduler> host_;
};

}  // namespace ptosim::simcore

// The cross-core flags of the clusters (hardware-sync.md §2; pto-isa set-cross-core.md and
// wait-flag-dev.md): 16 semaphores per cluster, each a 4-bit counter per receiving core. A set
// that fires bumps the counters its mode names (mode 2: the AIC's set bumps both AIVs; an AIV's
// set bumps its own slot of the AIC; mode 1: an AIV's set bumps the other AIV); a wait on the AIC
// needs a set in both AIV slots, a wait on an AIV one set, and it consumes what it needed.
//
// The hub is told at the simulated instants: a set when it fires, a wait when the scalar unit
// reaches it (agenda callbacks of the cores, hwmodel/ai_core.cpp), so the counters are read in
// time order. A waiting core is resumed from the set's callback, never by polling.
//
// Left out: mode 0 (all cores of one type); what the counters hold when a task starts is what the
// previous task of the cluster left there (the hardware does not clear them either).
#pragma once

#include "hwmodel/micro_program.h"
#include "hwmodel/topology.h"

#include <array>
#include <cstdint>
#include <vector>

namespace ptosim::hwmodel {

// A core stopped at a wait_flag_dev, told when a set satisfied it (and consumed).
class CrossCoreWaiter {
 public:
  virtual ~CrossCoreWaiter() = default;
  // `source`: the signal that satisfied the wait (its op), as far as the hub knows it.
  virtual void on_cross_core_satisfied(const SignalSource& source) = 0;
};

class CrossCoreHub {
 public:
  explicit CrossCoreHub(const Topology& topology);

  // Set `core`'s flag `id` in `mode` fired now. False when a counter it bumps overflowed (past
  // 15 it wraps to 0, and the hardware raises an error; pto-isa set-cross-core.md).
  bool post(int core, std::uint8_t id, std::uint8_t mode, const SignalSource& source = {});
  // `core` reached wait_flag_dev(`id`) now: true when its counter already holds what it needs
  // (consumed); otherwise `waiter` is told once a set satisfies it.
  // `source` (when given) is set to the last set that reached the counter.
  bool arrive(int core, std::uint8_t id, CrossCoreWaiter* waiter, SignalSource* source = nullptr);
  // Sets still in the counters (for a finding on what a run left behind).
  std::uint32_t pending_sets() const;

 private:
  struct Counter {
    std::array<std::uint8_t, 2> slots{};  // an AIV uses slot 0; the AIC one per AIV
  };
  bool satisfied(int core, std::uint8_t id) const;
  void consume(int core, std::uint8_t id);

  const Topology& topology_;
  std::vector<std::array<Counter, CROSS_CORE_FLAG_IDS>> counters_;  // per core
  std::vector<int> waiting_id_;                                       // per core: the id it waits on, or -1
  std::vector<CrossCoreWaiter*> waiters_;                             // per core
  std::vector<std::array<SignalSource, CROSS_CORE_FLAG_IDS>> last_source_;  // per core: the last set of each id
};

}  // namespace ptosim::hwmodel

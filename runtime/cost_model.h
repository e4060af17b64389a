// What the modelled runtime's work costs, compiled once when a run is built: the orchestrator's
// price of each runtime call (by term, per scope mode), the scheduler's price of each phase of
// its loop (per scope mode of the task it handles), and each task's kernel duration range per
// block. The scenario loader evaluates the scenario's cost expressions into plain numbers
// (KernelCostTable, the cost terms of RuntimeConfig); the actors ask this model instead of combining fields at their call sites.
//
// Plain data and arithmetic: no actor, no engine, no decision. The spread of a kernel's duration
// inside its range is decided by the core that runs it (through the decision source).
#pragma once

#include "hwmodel/kernel_spec.h"
#include "runtime/program.h"
#include "runtime/runtime_config.h"
#include "simcore/sim_time.h"

#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

namespace ptosim::runtime {

// Per task, the duration range of each of its blocks when its kernel's duration is an expression
// (the loader evaluated it); NO_INDEX for a task whose kernel has one range for all its tasks.
struct KernelCostTable {
  std::vector<std::uint32_t> first;   // task ordinal -> index of its block 0 in `ranges`
  std::vector<DurationRange> ranges;  // block_num entries per task listed in `first`
  bool empty() const { return first.empty(); }
};

// The terms orchestrator time is attributed to (run --json timing.orchestrator_terms).
enum class OrchTerm : std::uint8_t {
  submit, tensor_arg, scalar, lookup, lookup_step, insert, explicit_dep, edge, alloc_tensors, scope_begin, scope_end,
  get_tensor_data
};
inline constexpr int ORCH_TERM_COUNT = 12;
std::string_view to_string(OrchTerm term);

// Orchestrator time by term.
struct OrchestratorBill {
  std::array<TimeNs, ORCH_TERM_COUNT> ns{};
  void add(OrchTerm term, TimeNs amount) { ns[static_cast<int>(term)] += amount; }
  TimeNs total() const;
};

// The dynamic counts of one submit, known once its dependencies were computed.
struct SubmitWork {
  std::uint32_t lookups = 0;
  std::uint32_t lookup_steps = 0;
  std::uint32_t inserts = 0;
  std::uint32_t edges = 0;  // fanin edges wired (to producers still live)
};

class CostModel {
 public:
  CostModel(const RuntimeConfig& config, const std::vector<hwmodel::KernelSpec>& kernels, const KernelCostTable& table);

  // Orchestrator: what a call costs in a scope of `mode`, added by term to `bill`.
  TimeNs submit(const ProgramOp& op, ScopeMode mode, const SubmitWork& work, OrchestratorBill& bill) const;
  TimeNs alloc_tensors(ScopeMode mode, OrchestratorBill& bill) const;
  // One get_tensor_data / set_tensor_data call (a statement, or one of a submit's `tensor_data`
  // count, which the loader expands into statements): the only place a host read is priced.
  TimeNs get_tensor_data(ScopeMode mode, OrchestratorBill& bill) const;
  TimeNs scope_begin(ScopeMode mode, OrchestratorBill& bill) const;
  TimeNs scope_end(ScopeMode mode, std::uint64_t tasks, OrchestratorBill& bill) const;

  // Scheduler, per phase of its loop, each priced by the scope mode of the task it handles. A poll
  // reads the COND of each running core: each core is priced by the mode of the task it runs.
  TimeNs poll(std::uint64_t running_cores, std::uint64_t running_manual_cores) const {
    return add_ns(mul_ns(running_cores - running_manual_cores, scheduler_.poll_per_running_core_ns),
                  mul_ns(running_manual_cores, scheduler_manual_.poll_per_running_core_ns));
  }
  TimeNs complete(ScopeMode mode, std::uint64_t consumers_released) const {
    const SchedulerCosts& c = scheduler(mode);
    return add_ns(c.complete_ns, mul_ns(consumers_released, c.release_consumer_ns));
  }
  TimeNs dispatch(ScopeMode mode) const { return scheduler(mode).dispatch_ns; }
  // A drain releases tasks of both modes at once: each is priced by its own.
  TimeNs deferred_release(std::uint64_t tasks, std::uint64_t manual_tasks) const {
    return add_ns(mul_ns(tasks - manual_tasks, scheduler_.deferred_release_ns),
                  mul_ns(manual_tasks, scheduler_manual_.deferred_release_ns));
  }

  // The duration range of block `block` of task `task` (a kernel task).
  DurationRange kernel_range(std::uint32_t task, std::uint32_t kernel, std::uint32_t block) const {
    if (task < table_.first.size() && table_.first[task] != NO_INDEX) return table_.ranges[table_.first[task] + block];
    const hwmodel::KernelSpec& spec = kernels_[kernel];
    return DurationRange{spec.min_duration_ns, spec.max_duration_ns};
  }

 private:
  const OrchestratorCosts& orchestrator(ScopeMode mode) const {
    return mode == ScopeMode::manual ? orchestrator_manual_ : orchestrator_;
  }
  const SchedulerCosts& scheduler(ScopeMode mode) const {
    return mode == ScopeMode::manual ? scheduler_manual_ : scheduler_;
  }
  OrchestratorCosts orchestrator_;
  OrchestratorCosts orchestrator_manual_;
  SchedulerCosts scheduler_;
  SchedulerCosts scheduler_manual_;
  const std::vector<hwmodel::KernelSpec>& kernels_;
  const KernelCostTable& table_;
};

}  // namespace ptosim::runtime

#include "runtime/cost_model.h"

namespace ptosim::runtime {

std::string_view to_string(OrchTerm term) {
  static constexpr std::string_view NAMES[ORCH_TERM_COUNT] = {
      "submit", "tensor_arg", "scalar", "tensormap_lookup", "lookup_step", "tensormap_insert", "explicit_dep", "edge",
      "alloc_tensors", "scope_begin", "scope_end", "get_tensor_data"};
  return NAMES[static_cast<int>(term)];
}

TimeNs OrchestratorBill::total() const {
  TimeNs sum = 0;
  for (TimeNs part : ns) sum = add_ns(sum, part);
  return sum;
}

CostModel::CostModel(const RuntimeConfig& config, const std::vector<hwmodel::KernelSpec>& kernels,
                     const KernelCostTable& table)
    : orchestrator_(config.orchestrator),
      orchestrator_manual_(config.orchestrator_manual),
      scheduler_(config.scheduler),
      scheduler_manual_(config.scheduler_manual),
      kernels_(kernels),
      table_(table) {}

namespace {

TimeNs charge(OrchestratorBill& bill, OrchTerm term, std::uint64_t count, TimeNs each) {
  const TimeNs amount = mul_ns(count, each);
  bill.add(term, amount);
  return amount;
}

}  // namespace

TimeNs CostModel::submit(const ProgramOp& op, ScopeMode mode, const SubmitWork& work, OrchestratorBill& bill) const {
  const OrchestratorCosts& c = orchestrator(mode);
  TimeNs total = charge(bill, OrchTerm::submit, 1, c.submit_ns);
  total = add_ns(total, charge(bill, OrchTerm::tensor_arg, op.arg_count, c.tensor_arg_ns));
  total = add_ns(total, charge(bill, OrchTerm::scalar, op.scalars, c.scalar_ns));
  total = add_ns(total, charge(bill, OrchTerm::explicit_dep, op.dep_count, c.explicit_dep_ns));
  total = add_ns(total, charge(bill, OrchTerm::lookup, work.lookups, c.tensormap_lookup_ns));
  total = add_ns(total, charge(bill, OrchTerm::lookup_step, work.lookup_steps, c.lookup_step_ns));
  total = add_ns(total, charge(bill, OrchTerm::insert, work.inserts, c.tensormap_insert_ns));
  return add_ns(total, charge(bill, OrchTerm::edge, work.edges, c.edge_ns));
}

TimeNs CostModel::alloc_tensors(ScopeMode mode, OrchestratorBill& bill) const {
  return charge(bill, OrchTerm::alloc_tensors, 1, orchestrator(mode).alloc_tensors_ns);
}

TimeNs CostModel::get_tensor_data(ScopeMode mode, OrchestratorBill& bill) const {
  return charge(bill, OrchTerm::get_tensor_data, 1, orchestrator(mode).get_tensor_data_ns);
}

TimeNs CostModel::scope_begin(ScopeMode mode, OrchestratorBill& bill) const {
  return charge(bill, OrchTerm::scope_begin, 1, orchestrator(mode).scope_begin_ns);
}

TimeNs CostModel::scope_end(ScopeMode mode, std::uint64_t tasks, OrchestratorBill& bill) const {
  const OrchestratorCosts& c = orchestrator(mode);
  return add_ns(charge(bill, OrchTerm::scope_end, 1, c.scope_end_ns),
                charge(bill, OrchTerm::scope_end, tasks, c.scope_end_per_task_ns));
}

}  // namespace ptosim::runtime

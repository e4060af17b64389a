#include "runtime/runtime_model.h"

#include "runtime/orchestrator.h"
#include "runtime/scheduler_thread.h"
#include "simcore/marks.h"
#include "simcore/platform.h"
#include "simcore/processors.h"
#include "simcore/sim_engine.h"

#include <stdexcept>

namespace ptosim::runtime {

void prepare_for_forked_runs(const ModelInput& input) {
  const hwmodel::Topology topology(input.platform.clusters, input.platform.scheduler_threads);
  simcore::Simulation::prepare(simcore::Platform::host_names(topology.clusters(), topology.scheduler_threads()));
}

namespace {

// A run that completed with sets still in the cross-core or block sync counters (§2: flags must
// be clear at kernel end): a flag_protocol finding of the run, whatever the program text says.
void add_sets_left(const hwmodel::CrossCoreHub& cross_core, const hwmodel::SyncHub& sync_hub, std::vector<simcore::Finding>& findings) {
  const std::uint32_t cross = cross_core.pending_sets();
  const std::uint32_t block = sync_hub.pending_block_sets();
  if (cross + block == 0) return;
  PTOSIM_MARK("sets left in counters at exit");
  simcore::Finding finding;
  finding.kind = simcore::FindingKind::flag_protocol;
  finding.summary = "flag protocol violation at the end of the run: " + std::to_string(cross) + " set(s) left in cross-core counters and " +
                    std::to_string(block) + " in block sync counters after every kernel ended";
  finding.details.set("hazard", simcore::Detail::text("sets_left_at_exit"));
  finding.details.set("cross_core_sets", simcore::Detail::integer(cross));
  finding.details.set("block_sync_sets", simcore::Detail::integer(block));
  finding.details.set("fix", simcore::Detail::text("consume every set_cross_core / block_set with a wait on the receiving core or block before its kernel ends"));
  findings.push_back(std::move(finding));
}

}  // namespace

ModelOutput simulate(const ModelInput& input, std::uint64_t seed, std::unique_ptr<simcore::ExplorationStrategy> strategy,
                     const OutputPolicy& keep) {
  simcore::Simulation sim;
  simcore::DecisionSource decisions(seed, std::move(strategy), keep.decisions);
  simcore::EventLog events(input.limits.max_events, keep.events);
  const hwmodel::Topology topology(input.platform.clusters, input.platform.scheduler_threads);

  // Lanes: scheduler threads, the orchestrator, then every core.
  ModelOutput output;
  RuntimeLanes lanes;
  lanes.first_scheduler = 0;
  lanes.orchestrator = static_cast<std::uint32_t>(topology.scheduler_threads());
  lanes.first_core = lanes.orchestrator + 1;
  for (int t = 0; t < topology.scheduler_threads(); ++t) output.lanes.push_back({"AICPU sched" + std::to_string(t), false});
  output.lanes.push_back({"AICPU orchestrator", false});
  for (int c = 0; c < topology.core_count(); ++c) output.lanes.push_back({topology.core_name(c), true});

  const simcore::Platform platform(sim, topology.clusters(), topology.scheduler_threads());
  // How each thread spends time: on the board a processor of its own, whose loop costs are the
  // runtime's (the orchestrator's spin, a scheduler's idle iteration); on a2a3sim the host's CPUs.
  const simcore::LoopCost dedicated_costs[simcore::LOOP_KIND_COUNT] = {
      {"orchestrator.spin_ns", {input.runtime.detectors.spin_ns.min_ns, input.runtime.detectors.spin_ns.max_ns}},
      {"sched.idle_iteration_ns",
       {input.runtime.scheduler.idle_iteration_ns.min_ns, input.runtime.scheduler.idle_iteration_ns.max_ns}},
      {"core.poll_ns", {0, 0}},  // a core waits for its register without polling cost
  };
  simcore::Processors processors(sim, decisions, dedicated_costs, input.platform.host);
  // Thread identities on the host: the orchestrator, the scheduler threads, then every core.
  std::unique_ptr<simcore::ThreadClock> orchestrator_clock = processors.add_thread("orchestrator");
  std::vector<std::unique_ptr<simcore::ThreadClock>> thread_clocks;
  for (int t = 0; t < topology.scheduler_threads(); ++t) thread_clocks.push_back(processors.add_thread("sched" + std::to_string(t)));
  std::vector<std::unique_ptr<simcore::ThreadClock>> core_clocks;
  for (int c = 0; c < topology.core_count(); ++c) core_clocks.push_back(processors.add_thread(topology.core_name(c)));

  const CostModel costs(input.runtime, input.kernels, input.kernel_costs);
  RuntimeState state(input.runtime, costs, input.program, input.kernels, topology, decisions, events, lanes);
  RunMonitor monitor(state, sim);

  hwmodel::GlobalMemory memory;
  hwmodel::CrossCoreHub cross_core(topology);  // the clusters' cross-core flags
  hwmodel::SyncHub sync_hub;  // block sync, all-block barriers and GM signal cells
  std::vector<std::unique_ptr<hwmodel::AiCore>> cores;
  std::vector<hwmodel::AiCore*> core_ptrs;
  for (int c = 0; c < topology.core_count(); ++c) {
    cores.push_back(std::make_unique<hwmodel::AiCore>(c, topology.kind_of(c), lanes.first_core + static_cast<std::uint32_t>(c),
                                                      input.platform.core_timing, decisions, events,
                                                      *core_clocks[static_cast<std::size_t>(c)], memory));
    if (!input.core_faults.empty()) cores.back()->set_faults(input.core_faults.at(static_cast<std::size_t>(c)));
    cores.back()->set_cross_core_hub(&cross_core);
    cores.back()->set_sync_hub(&sync_hub);
    core_ptrs.push_back(cores.back().get());
  }
  state.attach_cores(core_ptrs);  // early dispatch rings their doorbells
  std::vector<std::unique_ptr<SchedulerThread>> threads;
  std::vector<SchedulerThread*> thread_ptrs;
  for (int t = 0; t < topology.scheduler_threads(); ++t) {
    threads.push_back(std::make_unique<SchedulerThread>(t, state, monitor, core_ptrs,
                                                        *thread_clocks[static_cast<std::size_t>(t)]));
    thread_ptrs.push_back(threads.back().get());
    state.add_listener(threads.back().get());
  }
  Orchestrator orchestrator(state, monitor, *orchestrator_clock);

  monitor.add_actor([&orchestrator] { return orchestrator.describe(); });
  simcore::HostScheduler* host = processors.host();
  auto host_threads = [host] {
    std::vector<HostThreadView> out;
    for (const simcore::HostThreadStats& thread : host->modelled_thread_stats()) {
      out.push_back(HostThreadView{thread.name, thread.cpu, thread.on_cpu_ns, thread.off_cpu_ns});
    }
    return out;
  };
  if (host != nullptr) monitor.set_host_threads(host_threads);
  SyncStartDrain sync_start_drain(topology.scheduler_threads());
  for (SchedulerThread* thread : thread_ptrs) {
    thread->set_peers(thread_ptrs, sync_start_drain);
    monitor.add_actor([thread] { return thread->describe(); });
  }

  // The orchestrator and schedulers overlap (schedulers start before orchestration is done).
  // They share the runtime state and take turns on it: which of them acting at the same
  // nanosecond goes first is a decision (simcore/turn_order.h); identities are their lanes. The
  // orchestrator is the one actor of the run (it interprets the program in blocking style); the
  // scheduler threads and the cores have none.
  simcore::TurnOrder& turns = state.turns();
  for (SchedulerThread* thread : thread_ptrs) thread->join(turns);
  simcore::ThreadClock* orchestrator_clock_ptr = orchestrator_clock.get();
  const std::size_t orchestrator_turn = turns.join(lanes.orchestrator);
  sim.spawn("orchestrator", platform.orchestrator_host(), [&orchestrator, orchestrator_clock_ptr, &turns, orchestrator_turn] {
    turns.take_turn(orchestrator_turn);
    orchestrator.run();
    // A thread that returns leaves its CPU (on the shared host another one may take it) in its
    // last turn, at the instant it ends.
    orchestrator_clock_ptr->exit();
    turns.leave(orchestrator_turn);
  });
  if (host != nullptr && keep.host_lanes) host->record_lanes();
  processors.start();
  for (hwmodel::AiCore* core : core_ptrs) core->start();

  const simcore::RunEnd end = sim.run(input.limits.max_sim_time_ns);
  if (end == simcore::RunEnd::failed) std::rethrow_exception(sim.failure());
  if (end == simcore::RunEnd::quiescent && state.turns().waiting_for_turn() > 0) {
    throw std::logic_error("the run stopped with actors still waiting for their same-instant turn");
  }
  decisions.finish();  // strict replay: the log must be used up

  output.sim_time_ns = simcore::now();
  const bool events_within_budget = events.finish(output.sim_time_ns);
  output.verdict = monitor.conclude(end);
  if (output.verdict.outcome == Outcome::pass) add_sets_left(cross_core, sync_hub, output.findings);
  const BlockedWait& blocked = state.blocked();
  if (blocked.active) {
    state.timing().orchestrator_blocked(blocked.ring, static_cast<int>(blocked.resource), blocked.since_ns, output.sim_time_ns);
  }
  std::vector<CoreTimingReport> core_timing;
  for (const auto& core : cores) {
    core_timing.push_back(CoreTimingReport{core->id(), core->kind() == hwmodel::CoreKind::aic ? "aic" : "aiv",
                                           topology.core_name(core->id()), core->busy_ns(output.sim_time_ns)});
  }
  output.timing = state.timing().finish(output.sim_time_ns, std::move(core_timing));
  for (int term = 0; term < ORCH_TERM_COUNT; ++term) {
    output.timing.orchestrator_terms.emplace_back(std::string(to_string(static_cast<OrchTerm>(term))),
                                                  state.orchestrator_bill().ns[term]);
  }
  if (host != nullptr) output.timing.host_threads = host_threads();
  if (host != nullptr) output.host_lanes = host->take_lanes();
  if (!events_within_budget && output.verdict.outcome != Outcome::sim_limit) {
    // Events that happened before the end but were logged only now overran the budget: the run
    // exceeded it, whatever it concluded, and its digest covers a cut history.
    output.verdict.summary = "event budget of " + std::to_string(input.limits.max_events) +
                             " events exhausted (runtime.limits.max_events) by events logged at the end of the run; "
                             "the run itself ended in " + simcore::to_string(output.verdict.outcome) + ": " +
                             output.verdict.summary;
    output.verdict.outcome = Outcome::sim_limit;
  }
  output.digest = events.digest();
  output.tasks_submitted = state.tasks_allocated();
  output.tasks_completed = state.completed_tasks();
  output.event_count = events.size();
  output.decision_count = decisions.decision_count();
  output.decisions = decisions.take_log();
  output.events = events.take_events();
  if (keep.tasks) {
    output.tasks.reserve(state.tasks().size());
    for (const TaskRecord& task : state.tasks()) {
      const std::span<const FaninEdge> fanin = state.producers(task);
      output.tasks.push_back(TaskSummary{task.ring, task.local_id, task.allocated, {fanin.begin(), fanin.end()}});
    }
  }
  output.gm_accesses = memory.take_log();
  return output;
}

}  // namespace ptosim::runtime

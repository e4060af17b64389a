#include "hwmodel/ai_core.h"

#include "simcore/agenda.h"
#include "simcore/marks.h"
#include "simcore/model_assert.h"
#include "simcore/sim_engine.h"

#include <stdexcept>
#include <utility>

namespace ptosim::hwmodel {

AiCore::AiCore(int core_id, CoreKind kind, std::uint32_t lane, const CoreTiming& timing,
               simcore::DecisionSource& decisions, simcore::EventLog& events, simcore::ThreadClock& clock,
               GlobalMemory& memory)
    : id_(core_id),
      kind_(kind),
      lane_(lane),
      timing_(timing),
      decisions_(decisions),
      events_(events),
      clock_(clock),
      memory_(memory),
      duration_stream_(decisions.stream("kernel.duration")),
      schedule_keys_{decisions.stream("gm.commit_delay_ns"), decisions.stream("fault.mte_hang")},
      polls_(clock.begin_loop(clock.loop_iteration_ns(simcore::LoopKind::register_poll, static_cast<std::uint64_t>(core_id), 0),
                              0)),
      planned_(clock.predict_end(0, 1) != TIME_NEVER) {}

const char* to_string(GmAccess access) {
  switch (access) {
    case GmAccess::read: return "read";
    case GmAccess::write: return "write";
    case GmAccess::read_write: return "read_write";
  }
  return "?";
}

void AiCore::start() {
  if (!planned_) clock_.loop_then(polls_, doorbell_, simcore::NO_ITERATION_LIMIT, TIME_NEVER, [this](simcore::LoopEnd) { on_poll_end(); });
}

void AiCore::write_task(const TaskDescriptor& descriptor, TimeNs store_ns) {
  PTOSIM_ASSERT(store_ns >= simcore::now(), "a register store lands in the past");
  begin_task(descriptor, add_ns(add_ns(store_ns, timing_.register_visible_ns), timing_.start_latency_ns));
}

void AiCore::write_gated(const TaskDescriptor& descriptor, TimeNs store_ns) {
  PTOSIM_ASSERT(store_ns >= simcore::now(), "a register store lands in the past");
  PTOSIM_ASSERT(!executing() && !gated_, "a gated task staged on a core that is not free");
  gated_ = descriptor;
  // It invalidates the payload and fills the arguments as for any task, then spins.
  gated_ready_ns_ = add_ns(add_ns(store_ns, timing_.register_visible_ns), timing_.start_latency_ns);
  if (doorbell_visible_ns_ != TIME_NEVER) schedule_gated_start();
}

void AiCore::ring_doorbell(std::uint32_t token, TimeNs store_ns) {
  PTOSIM_ASSERT(store_ns >= simcore::now(), "a doorbell store lands in the past");
  PTOSIM_ASSERT(doorbell_visible_ns_ == TIME_NEVER, "a doorbell rung twice");
  PTOSIM_ASSERT(!gated_ || gated_->token == token, "a doorbell rung with another task's token");
  doorbell_token_ = token;
  doorbell_visible_ns_ = add_ns(store_ns, timing_.register_visible_ns);
  if (gated_) schedule_gated_start();  // else once the payload's store lands
}

void AiCore::schedule_gated_start() {
  PTOSIM_ASSERT(gated_->token == doorbell_token_, "a doorbell for another task");
  gated_start_ns_ = doorbell_visible_ns_ > gated_ready_ns_ ? doorbell_visible_ns_ : gated_ready_ns_;
  simcore::Simulation::current().agenda().schedule(gated_start_ns_, [this] { start_gated(); });
}

void AiCore::start_gated() {
  const TaskDescriptor descriptor = std::move(*gated_);
  gated_.reset();
  doorbell_visible_ns_ = TIME_NEVER;
  begin_task(descriptor, gated_start_ns_);
  // The owning thread learns when FIN will be visible (it was idle, or waits for other FINs).
  if (planned_ && finish_ns_ != TIME_NEVER && observer_ != nullptr) {
    observer_->on_fin_posted(id_, add_ns(finish_ns_, timing_.fin_visible_ns));
  }
}

void AiCore::write_pending(const TaskDescriptor& descriptor, TimeNs store_ns) {
  PTOSIM_ASSERT(has_task_ || !planned_, "a pending task needs a core that was given a task");
  PTOSIM_ASSERT(!pending_, "a pending task written over another one");
  PTOSIM_ASSERT(store_ns >= simcore::now(), "a register store lands in the past");
  const TimeNs visible_ns = add_ns(store_ns, timing_.register_visible_ns);
  if (!executing()) {
    // The running kernel has already ended (its FIN is not visible to the AICPU yet): the core's
    // next look at its register finds the new token, as after write_task.
    begin_task(descriptor, visible_ns);
    return;
  }
  pending_ = descriptor;
  pending_visible_ns_ = visible_ns;
  if (planned_ && finish_ns_ != TIME_NEVER) schedule_pending_start();  // else once a cross-core wait ends
}

void AiCore::schedule_pending_start() {
  simcore::Simulation::current().agenda().schedule(finish_ns_, [this] { start_pending(); });
}

void AiCore::start_pending() {
  PTOSIM_MARK("core starts its pending task");
  const TaskDescriptor descriptor = std::move(*pending_);
  pending_.reset();
  const TimeNs now_ns = simcore::now();
  begin_task(descriptor, add_ns(pending_visible_ns_ > now_ns ? pending_visible_ns_ : now_ns, timing_.start_latency_ns));
}

void AiCore::begin_task(const TaskDescriptor& descriptor, TimeNs start_ns) {
  PTOSIM_ASSERT(!executing(), "AICPU wrote a task to core " + std::to_string(id_) + " while it still executes one");
  // The previous task has finished (the AICPU saw its FIN): its time is busy time now.
  if (planned_ && has_task_) busy_ns_ = add_ns(busy_ns_, finish_ns_ - start_ns_);
  const KernelSpec& kernel = *descriptor.kernel;
  has_task_ = true;
  token_ = descriptor.token;
  task_id_ = descriptor.task;
  block_ = descriptor.block;
  kernel_ = &kernel;
  descriptor_ = descriptor;  // the payload stays readable until the kernel ends
  start_ns_ = start_ns;
  bool waits = false;  // the schedule stopped at a cross-core wait: its end is not known yet
  if (kernel.program) {
    waits = start_program();
  } else {
    // Keyed by task and block, not by core: moving a block to another core keeps its duration.
    // Each block of a task is written to a core once: its duration is asked for once.
    run_ns_ = decisions_.decide_ns_once({duration_stream_, descriptor.task, descriptor.block}, descriptor.min_duration_ns,
                                        descriptor.max_duration_ns);
    run_ns_ = run_ns_ * static_cast<TimeNs>(faults_.slow_num) / static_cast<TimeNs>(faults_.slow_den);
  }
  if (!planned_) {
    // The emulation thread sees the register at its next poll on a host CPU. Cross-core flags
    // need instants planned ahead: on this board a cross-core wait stops the core.
    if (waits) wedge_reason_ = "a wait on another core on the simulator board, whose cores are not planned ahead (not modelled)";
    finish_ns_ = TIME_NEVER;
    cond_ = CondRegister{descriptor.token, false, TIME_NEVER, TIME_NEVER};
    doorbell_.notify();
    return;
  }
  // The board: nothing observes the core between its start and its end, so the whole kernel is
  // planned now (up to a cross-core wait). COND reads FIN from the time (read_cond), and the
  // polling thread already knows when it becomes visible (fin_visible_ns).
  events_.record_at(simcore::EventKind::start, start_ns_, task_id_, lane_);
  if (kernel.program) {
    log_program_accesses(start_ns_);
    plan_program(waits);
    if (waits) {
      finish_ns_ = TIME_NEVER;  // known when the wait is satisfied and the schedule ends
      return;
    }
  }
  finish_ns_ = run_ns_ == TIME_NEVER ? TIME_NEVER : clock_.predict_end(start_ns_, run_ns_);
  if (finish_ns_ == TIME_NEVER) return;  // wedged: it never ends and never posts FIN
  events_.record_at(simcore::EventKind::finish, finish_ns_, task_id_, lane_);
  if (descriptor_.logs_accesses && !kernel.program) memory_.log_task(descriptor_, static_cast<std::uint32_t>(id_), start_ns_, finish_ns_);
}

bool AiCore::start_program() {
  // The block's schedule, relative to its start: its length is the kernel's duration, or it
  // never ends. Its GM accesses are logged once the actual start is known.
  program_accesses_.clear();
  program_slices_.clear();
  logged_accesses_ = 0;
  logged_slices_ = 0;
  fault_.reset();
  barrier_rank_ = 0;
  const KernelProgram& program = *kernel_->program;
  // A MIX kernel has a list per core of the cluster; the core's kind is its role.
  const std::uint32_t list = program.list_index(descriptor_.block, program.roles == 1 ? 0 : static_cast<std::uint32_t>(kind_));
  ops_ = &program.blocks.at(list);
  list_ = list;
  schedule_ = std::make_unique<ResumableSchedule>(*ops_, descriptor_, list, static_cast<std::uint32_t>(id_), timing_.pipes,
                                                  timing_.commit, faults_, schedule_keys_, decisions_, cache_, program_accesses_,
                                                  &program_slices_);
  if (!schedule_->advance()) {
    run_ns_ = TIME_NEVER;
    wedge_reason_ = wait_reason();
    return true;
  }
  schedule_ended();
  return false;
}

void AiCore::schedule_ended() {
  const BlockSchedule& schedule = schedule_->schedule();
  run_ns_ = schedule.end_ns;
  if (schedule.wedged) wedge_reason_ = schedule.wedge_reason;
  if (schedule.fault_fired) {
    PTOSIM_ASSERT(schedule.wedge_op < ops_->size(), "a fault fired at no operation");
    fault_ = FaultFired{"mte_hang", static_cast<std::uint32_t>(id_), schedule.wedge_ns, descriptor_.task, descriptor_.block,
                        kernel_->program->origins.at((*ops_)[schedule.wedge_op].origin)};
  }
}

void AiCore::plan_program(bool waits) {
  // The signals that fired post to the counters and cells at their instants.
  for (const CrossCoreSet& set : schedule_->take_sets()) {
    const TimeNs at = add_ns(start_ns_, set.fire_ns);
    simcore::Simulation::current().agenda().schedule(at, [this, set, at] { post_signal(set, at); });
  }
  if (!waits) return;
  // The scalar unit reaches the wait: the counter, barrier or cell is read at that instant.
  const TimeNs at = add_ns(start_ns_, schedule_->waiting_since_ns());
  simcore::Simulation::current().agenda().schedule(at, [this] { arrive_at_wait(); });
}

void AiCore::post_signal(const CrossCoreSet& set, TimeNs at) {
  const std::string& statement = kernel_->program->origins.at((*ops_)[set.op].origin);
  const SignalSource source{descriptor_.task, list_, set.op};
  switch (set.kind) {
    case MicroOpKind::set_cross_core:
      if (hub_ == nullptr || hub_->post(id_, set.id, set.mode, source)) return;
      memory_.log_fault(FaultFired{"cross_core_overflow", static_cast<std::uint32_t>(id_), at, descriptor_.task, descriptor_.block, statement});
      return;
    case MicroOpKind::block_set:
      if (sync_ == nullptr || sync_->post_block(descriptor_.task, set.target_block, set.id, source)) return;
      memory_.log_fault(FaultFired{"block_sync_overflow", static_cast<std::uint32_t>(id_), at, descriptor_.task, descriptor_.block, statement});
      return;
    case MicroOpKind::notify:
      if (sync_ != nullptr) sync_->notify(set.cell, set.value, set.add, source);
      return;
    default: PTOSIM_ASSERT(false, "a signal of an unknown kind");
  }
}

void AiCore::arrive_at_wait() {
  const MicroOp& op = schedule_->waiting_op();
  SignalSource source;
  switch (op.kind) {
    case MicroOpKind::wait_flag_dev:
      if (hub_ != nullptr && hub_->arrive(id_, op.flag_id, this, &source)) on_cross_core_satisfied(source);
      return;
    case MicroOpKind::block_wait:
      if (sync_ != nullptr && sync_->arrive_block(descriptor_.task, descriptor_.block, op.flag_id, this, &source)) on_cross_core_satisfied(source);
      return;
    case MicroOpKind::block_barrier: {
      const SignalSource self{descriptor_.task, list_, schedule_->waiting_index()};
      if (sync_ != nullptr && sync_->arrive_barrier(descriptor_.task, barrier_rank_++, descriptor_.block_num, this, self, &source)) {
        on_cross_core_satisfied(source);
      }
      return;
    }
    case MicroOpKind::signal_wait: {
      if (sync_ == nullptr) return;
      const std::uint64_t cell = schedule_->waiting_cell();
      const TimeNs seen = sync_->arrive_signal(cell, op.signal_value, op.signal_ge, timing_.pipes.signal_poll_ns, this);
      source = sync_->cell_source(cell);
      if (seen != TIME_NEVER) simcore::Simulation::current().agenda().schedule(seen, [this, source] { on_cross_core_satisfied(source); });
      return;
    }
    default: PTOSIM_ASSERT(false, "a wait of an unknown kind");
  }
}

std::string AiCore::wait_reason() const {
  const MicroOp& op = schedule_->waiting_op();
  switch (op.kind) {
    case MicroOpKind::wait_flag_dev: return "wait_flag_dev(" + std::to_string(op.flag_id) + ") that no set_cross_core satisfies";
    case MicroOpKind::block_wait: return "block_wait(" + std::to_string(op.flag_id) + ") that no block_set satisfies";
    case MicroOpKind::block_barrier: return "block_barrier that not every block of the task reaches";
    case MicroOpKind::signal_wait:
      return std::string("signal_wait for cell ") + (op.signal_ge ? ">= " : "== ") + std::to_string(op.signal_value) + " that no notify satisfies";
    default: return "a wait";
  }
}

void AiCore::on_cross_core_satisfied(const SignalSource& source) {
  PTOSIM_ASSERT(schedule_ != nullptr && planned_, "a cross-core wait satisfied on a core that plans nothing");
  PTOSIM_ASSERT(simcore::now() >= start_ns_, "a cross-core wait satisfied before its kernel started");
  schedule_->resume(simcore::now() - start_ns_, source);
  const bool ended = schedule_->advance();
  if (ended) schedule_ended();
  log_program_accesses(start_ns_);
  if (!ended) {
    wedge_reason_ = wait_reason();
    plan_program(true);
    return;
  }
  wedge_reason_ = schedule_->schedule().wedged ? schedule_->schedule().wedge_reason : "";
  plan_program(false);
  if (run_ns_ == TIME_NEVER) return;  // wedged after the wait
  // The end is known now: FIN reaches the owning scheduler thread through its observer.
  finish_ns_ = clock_.predict_end(start_ns_, run_ns_);
  PTOSIM_ASSERT(finish_ns_ >= simcore::now(), "a kernel finished before its last wait was satisfied");
  events_.record_at(simcore::EventKind::finish, finish_ns_, task_id_, lane_);
  if (pending_) schedule_pending_start();
  if (observer_ != nullptr) observer_->on_fin_posted(id_, add_ns(finish_ns_, timing_.fin_visible_ns));
}

CondRegister AiCore::read_cond() const {
  if (!planned_ || !has_task_) return cond_;
  const TimeNs ack_ns = add_ns(start_ns_, timing_.fin_visible_ns);
  if (finish_ns_ > simcore::now()) return CondRegister{token_, false, TIME_NEVER, ack_ns};
  return CondRegister{token_, true, add_ns(finish_ns_, timing_.fin_visible_ns), ack_ns};
}

TimeNs AiCore::ack_visible_ns(std::uint32_t token) const {
  if (pending_ && pending_->token == token) {
    // It starts once the running kernel has ended and its token has been seen (start_pending).
    if (!planned_ || finish_ns_ == TIME_NEVER) return TIME_NEVER;
    const TimeNs seen_ns = pending_visible_ns_ > finish_ns_ ? pending_visible_ns_ : finish_ns_;
    return add_ns(add_ns(seen_ns, timing_.start_latency_ns), timing_.fin_visible_ns);
  }
  if (!planned_) return cond_.token == token ? cond_.ack_visible_ns : TIME_NEVER;
  if (!has_task_ || token_ != token) return TIME_NEVER;
  return add_ns(start_ns_, timing_.fin_visible_ns);
}

bool AiCore::executing() const {
  if (!has_task_) return false;
  return !planned_ || finish_ns_ > simcore::now();
}

bool AiCore::wedged() const {
  if (!planned_) return wedged_;
  return has_task_ && run_ns_ == TIME_NEVER && simcore::now() >= start_ns_;
}

TimeNs AiCore::busy_ns(TimeNs until_ns) const {
  if (!has_task_ || until_ns <= start_ns_) return busy_ns_;
  return add_ns(busy_ns_, (until_ns < finish_ns_ ? until_ns : finish_ns_) - start_ns_);
}

void AiCore::log_program_accesses(TimeNs start_ns) {
  for (; logged_accesses_ < program_accesses_.size(); ++logged_accesses_) {
    ProgramAccess access = program_accesses_[logged_accesses_];
    access.time_ns = add_ns(access.time_ns, start_ns);
    memory_.log_program(access);
  }
  for (; logged_slices_ < program_slices_.size(); ++logged_slices_) {
    PipeSlice slice = program_slices_[logged_slices_];
    slice.start_ns = add_ns(slice.start_ns, start_ns);
    slice.end_ns = add_ns(slice.end_ns, start_ns);
    memory_.log_slice(slice);
  }
  if (fault_) {
    FaultFired fault = *std::exchange(fault_, std::nullopt);
    fault.time_ns = add_ns(fault.time_ns, start_ns);
    memory_.log_fault(std::move(fault));
  }
}

void AiCore::on_poll_end() {
  if (!has_task_) {
    start();  // a notification with nothing written: poll on
    return;
  }
  // The emulation thread saw its register: the kernel starts now, as host compute.
  const TimeNs now_ns = simcore::now();
  start_ns_ = start_ns_ > now_ns ? start_ns_ : now_ns;
  PTOSIM_ASSERT(start_ns_ == now_ns, "an emulated core cannot plan a start ahead");
  events_.record_at(simcore::EventKind::start, start_ns_, task_id_, lane_);
  // ACK is written as the kernel starts; it matters to a scheduler that holds a pending task
  // for this core or waits to fill the pending slot.
  cond_.ack_visible_ns = add_ns(start_ns_, timing_.fin_visible_ns);
  if (observer_ != nullptr) observer_->on_ack_posted(id_, cond_.ack_visible_ns);
  if (kernel_->program) log_program_accesses(start_ns_);
  if (run_ns_ == TIME_NEVER) {
    // Wedged: the kernel never ends and the core never posts FIN. Its thread polls on, for
    // nothing that can come, so a run with nothing else to do ends quiescent.
    wedged_ = true;
    clock_.loop_then(polls_, never_, simcore::NO_ITERATION_LIMIT, TIME_NEVER, [](simcore::LoopEnd) {});
    return;
  }
  clock_.work_then(run_ns_, [this] { on_kernel_end(); });
}

void AiCore::on_kernel_end() {
  finish_ns_ = simcore::now();
  busy_ns_ = add_ns(busy_ns_, finish_ns_ - start_ns_);
  events_.record(simcore::EventKind::finish, finish_ns_, task_id_, lane_);
  // The kernel's GM accesses happened between its start and its end (on the simulator board
  // neither is known before it runs); GM resolves them after the run.
  if (descriptor_.logs_accesses && !kernel_->program) memory_.log_task(descriptor_, static_cast<std::uint32_t>(id_), start_ns_, finish_ns_);
  has_task_ = false;
  cond_ = CondRegister{token_, true, add_ns(finish_ns_, timing_.fin_visible_ns), cond_.ack_visible_ns};
  if (observer_ != nullptr) observer_->on_fin_posted(id_, cond_.fin_visible_ns);
  start();
  if (pending_) {
    // The emulation thread's next poll reads the pending token: the task starts as host compute.
    PTOSIM_MARK("emulated core starts its pending task");
    const TaskDescriptor descriptor = std::move(*pending_);
    pending_.reset();
    begin_task(descriptor, finish_ns_);
  }
}

}  // namespace ptosim::hwmodel

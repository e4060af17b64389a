#include "hwmodel/ai_core.h"

#include "simcore/model_assert.h"

#include <stdexcept>

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
                              0)) {}

const char* to_string(GmAccess access) {
  switch (access) {
    case GmAccess::read: return "read";
    case GmAccess::write: return "write";
    case GmAccess::read_write: return "read_write";
  }
  return "?";
}

void AiCore::write_task(const TaskDescriptor& descriptor, TimeNs store_ns) {
  PTOSIM_ASSERT(!has_task_, "AICPU wrote a task to core " + std::to_string(id_) + " while it still executes one");
  const KernelSpec& kernel = *descriptor.kernel;
  has_task_ = true;
  token_ = descriptor.token;
  task_id_ = descriptor.task;
  block_ = descriptor.block;
  kernel_ = &kernel;
  start_ns_ = add_ns(add_ns(store_ns, timing_.register_visible_ns), timing_.start_latency_ns);
  if (kernel.program) {
    // The block's schedule, relative to its start: its length is the kernel's duration, or it
    // never ends. Its GM accesses are logged once the actual start is known.
    program_accesses_.clear();
    const BlockSchedule schedule =
        schedule_block(kernel.program->blocks.at(descriptor.block), descriptor, static_cast<std::uint32_t>(id_), 0,
                       timing_.pipes, timing_.commit, faults_, schedule_keys_, decisions_, cache_, program_accesses_);
    run_ns_ = schedule.end_ns;
    if (schedule.wedged) wedge_reason_ = schedule.wedge_reason;
  } else {
    // Keyed by task and block, not by core: moving a block to another core keeps its duration.
    run_ns_ = decisions_.decide_ns({duration_stream_, descriptor.task, descriptor.block}, kernel.min_duration_ns,
                                   kernel.max_duration_ns);
    run_ns_ = run_ns_ * static_cast<TimeNs>(faults_.slow_num) / static_cast<TimeNs>(faults_.slow_den);
  }
  finish_ns_ = run_ns_ == TIME_NEVER ? TIME_NEVER : clock_.predict_end(start_ns_, run_ns_);
  cond_ = CondRegister{descriptor.token, false, TIME_NEVER};
  descriptor_ = descriptor;  // the payload stays readable until the kernel ends
  doorbell_.notify();
}

TimeNs AiCore::busy_ns(TimeNs until_ns) const {
  if (!has_task_ || until_ns <= start_ns_) return busy_ns_;
  return add_ns(busy_ns_, (until_ns < finish_ns_ ? until_ns : finish_ns_) - start_ns_);
}

void AiCore::run() {
  while (true) {
    while (!has_task_) clock_.run_loop(polls_, doorbell_, simcore::NO_ITERATION_LIMIT, TIME_NEVER);
    // Nothing observes the core between start and finish, so it goes straight to the end. A
    // planned start lies ahead; a core that had to poll for its task starts when it saw it.
    const TimeNs now_ns = simcore::now();
    const TimeNs start_ns = start_ns_ > now_ns ? start_ns_ : now_ns;
    events_.record_at(simcore::EventKind::start, start_ns, task_id_, lane_);
    if (kernel_->program) {
      for (ProgramAccess access : program_accesses_) {
        access.time_ns += start_ns;
        memory_.log_program(access);
      }
    }
    if (run_ns_ == TIME_NEVER) {
      // Wedged: the kernel never ends and the core never posts FIN. It waits for nothing that
      // can come, so a run with nothing else to do ends quiescent.
      wedged_ = true;
      finish_ns_ = TIME_NEVER;
      while (true) clock_.run_loop(polls_, never_, simcore::NO_ITERATION_LIMIT, TIME_NEVER);
    }
    finish_ns_ = clock_.perform(start_ns, run_ns_);
    busy_ns_ = add_ns(busy_ns_, finish_ns_ - start_ns);
    events_.record(simcore::EventKind::finish, simcore::now(), task_id_, lane_);
    // The kernel's GM accesses happened between its start and its end (on the simulator board
    // neither is known before it runs); GM resolves them after the run.
    if (descriptor_.logs_accesses && !kernel_->program) memory_.log_task(descriptor_, static_cast<std::uint32_t>(id_), start_ns, finish_ns_);
    has_task_ = false;
    cond_ = CondRegister{token_, true, add_ns(finish_ns_, timing_.fin_visible_ns)};
    if (observer_ != nullptr) observer_->on_fin_posted(id_, cond_.fin_visible_ns);
  }
}

}  // namespace ptosim::hwmodel

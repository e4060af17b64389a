// One AI core (AIC or AIV) as the runtime sees it: a register the AICPU writes a task token into,
// and a COND register the AICPU polls for ACK/FIN. The core runs the kernel for a duration chosen
// by the decision source within the kernel's declared range: on the board the core's own time,
// on the simulator board (a2a3sim) host compute of the thread that emulates the core, which polls
// its register and needs a host CPU for the whole kernel (its ThreadClock says which).
//
// A core is passive: it has no actor. On the board, writing a task to it decides everything at
// once (its start, its end, when FIN becomes visible) and schedules the start and finish events;
// the COND register then reads from the time. On the simulator board its emulation thread is a
// passive thread of the host scheduler, told when its poll sees the register and when the kernel's
// host compute has run.
//
// Modelled: register visibility latency, receive-to-start latency, kernel duration, FIN
// visibility latency, and the kernel's GM accesses at task level: the core logs the views of the
// task descriptor with the kernel's start and end (hwmodel/global_memory.h). A kernel with a
// micro-program instead runs one block's op list as a schedule of timed operations computed when
// the task is written (hwmodel/micro_program.h): its end is known in advance, or it never comes
// (a wedged core never posts FIN), and its GM accesses are logged burst by burst. A schedule that
// reaches a cross-core wait (wait_flag_dev) stops there: the core tells the cluster's counters at
// the wait's instant (an agenda callback) and goes on when a set satisfies it, in the callback of
// that set; its FIN is then known only later and reaches the owning scheduler thread through
// CoreObserver::on_fin_posted. The core keeps
// its data cache across tasks. Faults: slow_core scales the core's durations, commit_delay
// overrides its commit-delay range, mte_hang can wedge it. On the board a core also holds one
// pending task beside the running one (the runtime's dual slot): it reads the pending token after
// its FIN and starts it then, as an agenda event, with no AICPU poll in between; on the simulator
// board its emulation thread does the same at its next poll after the kernel's host compute. The
// core writes ACK to COND when it starts a task (aicore_executor.cpp: after the payload
// invalidate, before the kernel), which is how the AICPU learns that the running task ended when
// a pending one takes its place.
// Early dispatch (runtime-model.md §6.5): a gated task is written like any other, but the core only
// fills its arguments and then spins on the doorbell (the high 32 bits of its register); it starts
// the kernel when the doorbell's store becomes visible, as one agenda event, its payload work done
// by then.
#pragma once

#include "hwmodel/block_sync.h"
#include "hwmodel/cross_core.h"
#include "hwmodel/global_memory.h"
#include "hwmodel/kernel_spec.h"
#include "hwmodel/micro_program.h"
#include "hwmodel/task_descriptor.h"
#include "hwmodel/topology.h"
#include "simcore/decision_source.h"
#include "simcore/event_log.h"
#include "simcore/sim_engine.h"
#include "simcore/sim_time.h"
#include "simcore/thread_clock.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace ptosim::hwmodel {

// The COND register: the token of the last task and whether it has finished.
struct CondRegister {
  std::uint32_t token = 0;
  bool fin = false;
  TimeNs fin_visible_ns = TIME_NEVER;  // an AICPU poll at or after this time sees FIN
  TimeNs ack_visible_ns = TIME_NEVER;  // ... sees the ACK of `token` (the core has started it)
};

// Told when a core posts FIN (or, on the simulator board, ACK, whose time is not known in
// advance there), so the owning scheduler thread can schedule its next poll.
class CoreObserver {
 public:
  virtual ~CoreObserver() = default;
  virtual void on_fin_posted(int core_id, TimeNs visible_ns) = 0;
  virtual void on_ack_posted(int /*core_id*/, TimeNs /*visible_ns*/) {}
};

class AiCore : public CrossCoreWaiter {
 public:
  AiCore(int core_id, CoreKind kind, std::uint32_t lane, const CoreTiming& timing, simcore::DecisionSource& decisions,
         simcore::EventLog& events, simcore::ThreadClock& clock, GlobalMemory& memory);

  int id() const { return id_; }
  CoreKind kind() const { return kind_; }
  void set_observer(CoreObserver* observer) { observer_ = observer; }
  void set_faults(const CoreFaults& faults) { faults_ = faults; }
  // The cluster counters that set_cross_core / wait_flag_dev of this core's programs use.
  void set_cross_core_hub(CrossCoreHub* hub) { hub_ = hub; }
  // The block sync counters, barriers and GM signal cells of the chip.
  void set_sync_hub(SyncHub* hub) { sync_ = hub; }
  void on_cross_core_satisfied(const SignalSource& source) override;
  // Why the core stopped making progress, when a fault or an unsatisfiable wait wedged it.
  bool wedged() const;
  const std::string& wedge_reason() const { return wedge_reason_; }

  // AICPU MMIO store of a task descriptor that lands at `store_ns` (now or later: the AICPU
  // publishes a batch after building its payloads). The AICPU only writes a core whose previous
  // task it has seen finish.
  void write_task(const TaskDescriptor& descriptor, TimeNs store_ns);
  // The AICPU stores a second task while the core executes one (the pending slot), after it has
  // seen the running task's ACK. The core starts it when the running kernel ends, its register
  // having been seen by then (at once if that kernel has already ended).
  void write_pending(const TaskDescriptor& descriptor, TimeNs store_ns);
  bool has_pending() const { return pending_.has_value(); }
  // Early dispatch: the AICPU stages a task the core must not start before its doorbell rings
  // (a store of the same token landing at `store_ns`, before or after the payload's).
  void write_gated(const TaskDescriptor& descriptor, TimeNs store_ns);
  void ring_doorbell(std::uint32_t token, TimeNs store_ns);
  // Holds a staged task whose doorbell has not rung yet.
  bool gated() const { return gated_.has_value() && doorbell_visible_ns_ == TIME_NEVER; }
  // The pending task's ordinal, for snapshots (meaningful only with has_pending()).
  std::uint32_t pending_task() const { return pending_ ? pending_->task : 0; }
  CondRegister read_cond() const;
  // When an AICPU poll first sees the ACK of the task written with `token` (the current task or
  // the pending one); TIME_NEVER while that is not known (a running kernel whose end is not
  // known yet, a task the emulation thread has not picked up, an unknown token).
  TimeNs ack_visible_ns(std::uint32_t token) const;
  bool executing() const;
  // When an AICPU poll will first see FIN of the current (or last) task. The kernel's duration
  // is decided when the task is written, so on the board the simulation can wake the polling
  // thread exactly then instead of simulating every poll. TIME_NEVER while the end is not known
  // in advance (a kernel that runs as host code).
  // Whether this core's end of work is known in advance (the board), so fin_visible_ns() is exact.
  bool plans_ahead() const { return planned_; }
  TimeNs fin_visible_ns() const {
    if (gated_) return TIME_NEVER;  // the next FIN is the gated task's, not known before its doorbell
    if (!has_task_) return cond_.fin_visible_ns;
    return add_ns(finish_ns_, timing_.fin_visible_ns);
  }

  // Time spent executing kernels (start to finish) up to `until_ns`.
  TimeNs busy_ns(TimeNs until_ns) const;

  // Before the run: an emulated core starts polling its register (nothing on the board).
  void start();

 private:
  // The kernel of the descriptor starts at `start_ns` (the core saw its token and did its
  // receive work by then): plans or starts the task.
  void begin_task(const TaskDescriptor& descriptor, TimeNs start_ns);
  // The running kernel's end is known: the pending task starts then.
  void schedule_pending_start();
  void start_pending();
  // Both the gated payload and its doorbell are known: the kernel starts when both are seen.
  void schedule_gated_start();
  void start_gated();
  // Simulator board: the poll saw the register, or the kernel's host compute has run.
  void on_poll_end();
  void on_kernel_end();
  // The accesses of the kernel that starts at `start_ns`: a micro-program's, at their times (those
  // not logged yet).
  void log_program_accesses(TimeNs start_ns);
  // Starts the block's schedule; true when it stopped at a cross-core wait.
  bool start_program();
  // The schedule ended: its end (or wedge) and the fault that fired.
  void schedule_ended();
  // Planned board: the sets that fired post to the counters at their instants, and a wait is
  // looked at when the scalar unit reaches it.
  void plan_program(bool waits);
  // A signal of the schedule fired now; a wait of the schedule is reached now.
  void post_signal(const CrossCoreSet& set, TimeNs at);
  void arrive_at_wait();
  std::string wait_reason() const;

  int id_;
  CoreKind kind_;
  std::uint32_t lane_;
  const CoreTiming& timing_;
  simcore::DecisionSource& decisions_;
  simcore::EventLog& events_;
  simcore::ThreadClock& clock_;
  GlobalMemory& memory_;
  simcore::StreamId duration_stream_;
  ScheduleKeys schedule_keys_;
  CoreFaults faults_;
  DataCache cache_;
  std::vector<ProgramAccess> program_accesses_;  // of the current block, relative to its start
  std::vector<PipeSlice> program_slices_;        // of the current block, relative to its start
  std::optional<FaultFired> fault_;              // a fault that fires in the current block, relative to its start
  std::unique_ptr<ResumableSchedule> schedule_;  // of the current block, while it runs
  const std::vector<MicroOp>* ops_ = nullptr;    // the op list it runs
  std::size_t logged_accesses_ = 0;              // program_accesses_ already in GM's log
  std::size_t logged_slices_ = 0;
  CrossCoreHub* hub_ = nullptr;
  SyncHub* sync_ = nullptr;
  std::uint32_t barrier_rank_ = 0;  // block_barrier ops the current block has reached
  std::uint32_t list_ = 0;          // the op list of the current block (its index in the program)
  bool wedged_ = false;
  std::string wedge_reason_;
  simcore::WaitSignal never_;  // what a wedged core waits for
  // Polling the register for a task, for the whole run (a cost only where polls are simulated;
  // nothing reads its count).
  simcore::WaitLoop polls_;
  CoreObserver* observer_ = nullptr;
  simcore::WaitSignal doorbell_;
  // Whether the core's clock knows the end of work in advance (the board): the task is planned
  // when it is written.
  bool planned_ = false;

  bool has_task_ = false;
  std::uint32_t token_ = 0;
  std::uint64_t task_id_ = 0;
  std::uint32_t block_ = 0;
  const KernelSpec* kernel_ = nullptr;
  TimeNs start_ns_ = 0;
  TimeNs run_ns_ = 0;
  TimeNs finish_ns_ = 0;
  TimeNs busy_ns_ = 0;  // kernels that have finished
  CondRegister cond_;  // simulator board: as the emulation thread last posted it
  TaskDescriptor descriptor_;  // of the current task: its GM views are logged when it ends
  std::optional<TaskDescriptor> pending_;  // the dual slot's second task, until it starts
  TimeNs pending_visible_ns_ = 0;          // when the core saw its token
  std::optional<TaskDescriptor> gated_;    // early dispatch: staged behind the doorbell
  TimeNs gated_ready_ns_ = TIME_NEVER;     // its token seen and its arguments filled
  std::uint32_t doorbell_token_ = 0;
  TimeNs doorbell_visible_ns_ = TIME_NEVER;  // when the core sees its doorbell ring
  TimeNs gated_start_ns_ = TIME_NEVER;
};

}  // namespace ptosim::hwmodel

// One AICPU scheduler thread (resolve_and_dispatch, runtime-model.md §1.4, §6.3): it owns the
// cores of every cluster ci with ci % threads == index, polls their COND registers, completes
// tasks and walks their fanout, dispatches READY tasks to its free cores, and drains deferred
// releases only on idle iterations or when 256 have piled up, which makes reclaim trail
// completion.
//
// Idle iterations are not simulated one by one: a thread with nothing to do waits until work can
// appear (a FIN becomes visible, a ready task for one of its free cores, shutdown) or a detector
// deadline. The idle iteration length is a decision per idle stretch; it converts idle time into
// the iteration counts the legacy detector uses; the base length of an iteration is decided once
// per thread. When several idle threads could take a newly ready task, which one polls first is a
// decision of the ready queue (RuntimeState::wake_one_for).
//
// A thread has no actor: it is a machine contender of the turn order (simcore/turn_order.h). Each
// turn runs its loop until it would block (for the end of its work, an idle wait, the next
// iteration), says what it waits for, and returns; the engine gives it its next turn then.
//
// A CONSUMED that finds its ring's advance_lock held sets the ring's bit in advance_pending_mask;
// the advance is retried only in a no-progress iteration (drain_pending_ring_advances), so reclaim
// can trail consumption while every thread stays busy. Thread 0 also services the orchestrator's
// publication requests (batched watermark publication), in productive and idle iterations.
//
// sync_start cohorts are served first and launch all their blocks at once, through the global
// drain when the popping thread owns too few idle cores (sync_start_dispatch.cpp,
// sync_start_drain.h).
//
// Early dispatch (pre-staging gated by a doorbell) is in early_dispatch.cpp.
//
// The dual slot (CoreExecState: running + pending): after its IDLE phase a thread loads a second
// task into the pending slot of a busy core whose running task it has seen ACK, unless a peer
// thread has an idle core of that shape (scheduler_dispatch.cpp); the core starts it right after
// its FIN, and the thread learns from COND showing the pending token (ACK or FIN) that the
// running task finished (decide_slot_transition).
//
// Left out: async completions, staging early-dispatch tasks into pending slots, the MIX-residual rule (AIC/AIV
// yield their dispatch while MIX tasks remain queued).
#pragma once

#include "hwmodel/ai_core.h"
#include "runtime/run_monitor.h"
#include "runtime/runtime_state.h"
#include "runtime/sync_start_drain.h"
#include "simcore/thread_clock.h"
#include "simcore/turn_order.h"

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace ptosim::runtime {

inline constexpr std::uint64_t MAX_ITERATIONS_PER_INSTANT = 1'000'000;
inline constexpr std::size_t MAX_TIED_READY = 64;  // how far a pop looks for same-instant ready tasks

class SchedulerThread final : public hwmodel::CoreObserver, public WorkListener {
 public:
  SchedulerThread(int index, RuntimeState& state, RunMonitor& monitor, const std::vector<hwmodel::AiCore*>& all_cores,
                  simcore::ThreadClock& clock);

  // Every scheduler thread of the run, this one included, in index order (thread 0 first), and
  // the run's one sync_start drain.
  void set_peers(const std::vector<SchedulerThread*>& peers, SyncStartDrain& drain) {
    peers_ = peers;
    drain_ = &drain;
  }
  // Joins `turns` as a machine contender (its lane is its identity), before the run.
  void join(simcore::TurnOrder& turns);
  ActorView describe() const;
  bool owns_running_task() const { return running_cores_ > 0; }

  void on_fin_posted(int core_id, TimeNs visible_ns) override;
  void on_ack_posted(int core_id, TimeNs visible_ns) override;
  bool can_take(hwmodel::TaskShape shape) const override;
  bool can_take_pending(hwmodel::TaskShape shape) const override;
  void wake() override;
  void notice() override;
  void on_shutdown_check() override;
  void on_reclaim_work() override;
  void on_detectors_silenced() override;

 private:
  struct CoreSlot {
    hwmodel::AiCore* core = nullptr;
    int cluster = 0;
    hwmodel::CoreKind kind = hwmodel::CoreKind::aic;
    std::uint32_t task = NO_INDEX;  // the running slot
    std::uint32_t token = 0;
    std::uint32_t pending_task = NO_INDEX;  // the pending slot: starts after the running task's FIN
    std::uint32_t pending_token = 0;
  };
  // What one COND read tells about a core's two slots (the runtime's SlotTransition).
  struct SlotTransition {
    bool running_done = false;
    bool pending_done = false;  // implies running_done: the core runs its slots in order
  };
  // The slots of one block's cores: one AIC or AIV, or a whole cluster for MIX; a bit of
  // `to_pending` per slot puts it into that core's pending slot.
  struct Placement {
    std::array<std::uint16_t, 3> slots{};
    std::uint8_t count = 0;
    std::uint8_t to_pending = 0;
  };
  enum class DispatchPhase : std::uint8_t { idle, pending };
  struct Assignment {
    std::uint32_t task = 0;
    std::uint32_t block = 0;
    Placement placement;
    bool gated = false;  // early dispatch: the core holds it until its doorbell rings
  };
  // What the thread waits for between two turns.
  enum class Await : std::uint8_t { none, start, time, work, idle_loop };
  // What ends an idle stretch as a detector sees it: the legacy iteration count, or the
  // watchdog's wall-clock deadline.
  struct IdleDetector {
    std::uint64_t iteration_limit = simcore::NO_ITERATION_LIMIT;
    TimeNs watchdog_ns = TIME_NEVER;
  };

  // A turn: resumes from what it waited for, then runs the loop until it waits again.
  void on_turn();
  void advance();
  // One loop iteration's parts. Each returns whether the thread now waits (its turn is over).
  bool iterate(bool& progress);
  // Dispatches READY tasks to free cores (scheduler_dispatch.cpp); returns what it costs.
  TimeNs dispatch_ready_tasks(bool& progress);
  // sync_start (sync_start_dispatch.cpp). Tier 0 of the dispatch: READY cohorts, each launched
  // here or handed to the global drain (then `drain_entered` stops this iteration's dispatch).
  TimeNs dispatch_sync_cohorts(bool& progress, bool& drain_entered);
  TimeNs launch_cohort_here(std::uint32_t ordinal);
  // Places block `block` of the task on one of placements_ (a decision) and marks its cores.
  Assignment occupy_block(std::uint32_t ordinal, std::uint32_t block);
  // The drain's step of an iteration (§6.3 step 4); returns what it costs.
  TimeNs handle_drain_mode(bool& progress);
  std::uint32_t free_placement_count(hwmodel::TaskShape shape);
  // Stages `count` blocks of the drained cohort on this thread's idle cores; `coordinator`
  // writes their registers with its iteration's (write_staged).
  void stage_share(std::uint32_t ordinal, std::uint32_t count, SchedulerThread& coordinator);
  void write_staged();
  // Early dispatch (early_dispatch.cpp): with no READY task left, pre-stages candidates on free
  // cores, gated by a doorbell; returns what it costs.
  TimeNs try_early_dispatch(bool& progress);
  TimeNs stage_claim(const TaskRecord& task);
  bool has_early_work() const;
  // The ready queues' order for this thread: MIX, then AIC/AIV alternating with its parity.
  std::array<hwmodel::TaskShape, 3> dispatch_order() const;
  TimeNs dispatch_idle_phase(bool& progress);
  TimeNs dispatch_pending_phase(bool& progress);
  // Pops READY tasks of `shape` while this thread has placements for them in `phase`.
  TimeNs dispatch_shape(hwmodel::TaskShape shape, DispatchPhase phase, bool& progress);
  // One popped task: its blocks claimed onto placements_, up to one per placement.
  TimeNs claim_blocks_to_placements(std::uint32_t ordinal);
  void occupy(CoreSlot& slot, std::uint32_t ordinal, bool to_pending);
  // The completion poll: what COND says about `slot`, and acting on it.
  SlotTransition decide_slot_transition(const CoreSlot& slot, TimeNs now_ns) const;
  TimeNs apply_slot_transition(CoreSlot& slot, const SlotTransition& transition, std::uint32_t& last_completed);
  TimeNs finish_on_core(std::uint32_t ordinal, std::uint32_t& last_completed);
  bool idle();
  bool rest();
  // Work of `cost_ns` from now (an iteration or a drain): on a processor of its own its end is
  // known and the pending register writes land then; otherwise the thread waits for it. Returns
  // whether it waits.
  bool begin_work(TimeNs cost_ns);
  void finish_work();
  void write_assignments();
  void write_assignment(const Assignment& assignment, TimeNs store_ns);
  // The end of an iteration that made progress: the monitor hears of it, the work begins.
  bool end_iteration(TimeNs cost_ns, std::uint32_t last_completed);
  void await_time(TimeNs time_ns);
  void begin_idle_stretch(TimeNs start_ns);
  void wait_for_work(TimeNs fin_ns, const IdleDetector& detector);
  bool has_work() const;
  // An idle core (cluster for MIX) for `shape`: its running slot is free.
  bool has_free_core(hwmodel::TaskShape shape) const;
  // A core (cluster for MIX) whose pending slot this thread could fill now.
  bool has_pending_capacity(hwmodel::TaskShape shape) const;
  bool pending_slot_free(const CoreSlot& slot) const;
  bool peer_has_idle_core(hwmodel::TaskShape shape) const;
  // Whether the PENDING phase would fill a slot for `shape` now (the switch, the peer-idle rule).
  bool pending_phase_open(hwmodel::TaskShape shape) const;
  // The free placements for `shape` in `phase`, into placements_.
  void collect_free_placements(hwmodel::TaskShape shape, DispatchPhase phase);
  // When COND of this thread's cores next changes in a way the thread acts on (a FIN; the ACK of
  // a pending task; the ACK that frees a pending slot for a queued task).
  TimeNs earliest_pending_fin() const;
  TimeNs next_cond_event_ns(const CoreSlot& slot) const;
  IdleDetector idle_detector() const;
  bool idle_detector_expired(const IdleDetector& detector) const;
  // Completes a task on this thread; returns the cost of the completion.
  TimeNs complete(const TaskRecord& task);
  // Releases the deferred tasks; returns what the release costs.
  TimeNs drain_deferred();
  // When this thread's no-progress path can next act on reclaim work (TIME_NEVER: none).
  TimeNs reclaim_retry_ns() const;
  // That path's reclaim work; returns whether a watermark moved. Its cost is the state's to take.
  bool drain_reclaim();
  TimeNs poll_cost() const;
  void handle_watchdog();
  // TIMEOUT_EXIT, the shutdown snapshot and one [STALL ...] round over every thread.
  std::string stall_report(int& sub_class, std::uint32_t& stuck_task);
  std::string cluster_lines(const std::string& prefix) const;
  std::string core_dump(const CoreSlot& slot) const;
  std::uint64_t idle_iterations();

  int index_;
  RuntimeState& state_;
  RunMonitor& monitor_;
  simcore::ThreadClock& clock_;
  std::uint32_t lane_;
  simcore::TurnOrder* turns_ = nullptr;
  std::size_t turn_ = 0;
  Await await_ = Await::start;
  IdleDetector await_detector_;  // of the idle wait under way
  TimeNs work_start_ns_ = 0;     // of the work under way, when its end was not known in advance
  // Guards against a loop that makes no progress at one instant (a model bug).
  TimeNs guard_ns_ = -1;
  std::uint64_t guard_iterations_ = 0;
  std::vector<CoreSlot> cores_;
  std::vector<SchedulerThread*> peers_;
  SyncStartDrain* drain_ = nullptr;
  std::vector<std::uint32_t> deferred_release_;
  hwmodel::TaskDescriptor descriptor_;  // reused for every dispatch
  std::vector<Assignment> assignments_;  // of the iteration under way, written when its work ends
  // The drain's shares staged by this thread as coordinator, on the cores of their owners.
  std::vector<std::pair<SchedulerThread*, Assignment>> staged_;
  std::vector<Placement> placements_;    // scratch
  simcore::WaitSignal wake_;
  simcore::StreamId core_stream_;
  simcore::StreamId ready_stream_;
  bool waiting_ = false;
  bool exited_ = false;
  int running_cores_ = 0;
  int running_manual_cores_ = 0;  // of those, cores running a task of a MANUAL scope
  std::vector<std::uint64_t> placement_cores_;  // scratch: first core id of each free placement
  bool idle_active_ = false;
  simcore::WaitLoop idle_loop_;  // the current idle stretch: iterations without progress
  TimeNs idle_base_ns_ = 0;      // one idle loop iteration without running cores to poll
  TimeNs last_progress_ns_ = 0;
  std::uint32_t completed_at_progress_ = 0;  // completed-task count at the last progress
  TimeNs busy_until_ns_ = 0;
  TimeNs wait_deadline_ns_ = TIME_NEVER;  // the work of the last iteration (or drain) takes until then
};

}  // namespace ptosim::runtime

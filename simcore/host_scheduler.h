// The host of the simulator board (a2a3sim): every simulated thread (the orchestrator, each
// scheduler thread, each emulated AI core) is a host thread, and they share `cpus` host CPUs with
// `background_threads` always-runnable threads of other work on the same machine.
//
// Modelled, after Linux: one run queue per CPU, threads placed on the least loaded CPUs (which of
// them is a decision, so seeds vary which threads share a CPU); a thread makes progress only while
// it holds its CPU. A thread that works (computes) runs until its work is done or, when others
// wait on its CPU, until its time slice (a decision per slice within the declared range) ends and
// it goes to the back of the queue. A thread in a waiting loop runs one iteration at a time and
// ends each with sched_yield: the CPU passes to the next waiting thread in queue order when there
// is one (EEVDF moves a yielding thread behind the others), and the loop goes on at once when
// there is none. It sees a signal, a deadline or its iteration limit only at an iteration on a
// CPU, so its iterations count only on-CPU time. Which waiting thread takes a CPU freed by a
// preemption or by a thread that leaves, and which waiting thread an idle CPU pulls from another
// CPU, are decisions among the waiting threads' identities (the default is first come, first
// served). Background threads compute forever.
//
// Loops are never simulated iteration by iteration when nothing can happen: the CPUs are advanced
// lazily, whole rounds of waiting loops at once, and the agenda (simcore/agenda.h) looks at a CPU
// only when a thread's work ends, a loop sees what it waits for, or the CPU must decide a slice
// or a preemption. A thread with an actor blocks in work() and run_loop(); a passive thread (an
// emulated core, a scheduler thread without an actor) is told through a callback instead.
//
// Left out: blocking in the kernel (the modelled code never sleeps), priorities and nice values,
// periodic load balancing beyond placement and idle pulls, SMT, and the cost of a context switch
// itself (it is part of the declared loop costs).
#pragma once

#include "simcore/decision_source.h"
#include "simcore/host_lanes.h"
#include "simcore/host_platform.h"
#include "simcore/sim_engine.h"
#include "simcore/thread_clock.h"

#include <deque>
#include <memory>
#include <string>
#include <vector>

namespace ptosim::simcore {

// A run's budget of host-scheduler work: every prediction of a CPU's next event looks at each
// thread on that CPU once, so the count is the scheduler's work, whatever the simulated time. A
// host with many threads per CPU and short slices (1,024 background threads on 1 CPU, 1 us
// slices) makes a prediction per slice over every thread and would run for minutes of wall time
// within the simulated-time budget; it ends with sim_limit instead, after about a second.
// Paged attention Case1 on a2a3sim takes 623,797 of it; the catalogue's a2a3sim runs about 7,500.
inline constexpr std::uint64_t HOST_SCHEDULER_MAX_LOOKS = 100'000'000;

// What a thread did on its CPU, for tests and reports.
struct HostThreadStats {
  std::string name;
  std::uint64_t id = 0;
  int cpu = -1;
  TimeNs on_cpu_ns = 0;
  std::uint64_t turns = 0;  // times it got its CPU from another thread
  // Time it wanted its CPU but another thread held it. Modelled threads never block in the
  // kernel (every wait is a loop), so a thread is runnable from the start until it exits: its
  // off-CPU time is that span less its on-CPU time.
  TimeNs off_cpu_ns = 0;
};

class HostScheduler final : public LoopWaiter {
 public:
  HostScheduler(Simulation& sim, DecisionSource& decisions, HostPlatformSpec spec);
  ~HostScheduler() override;
  HostScheduler(const HostScheduler&) = delete;
  HostScheduler& operator=(const HostScheduler&) = delete;

  // A simulated thread, placed on a CPU now; its actor must call the clock before time passes.
  // Thread ids are given in order from 0.
  std::unique_ptr<ThreadClock> add_thread(const std::string& name);
  // Places the background threads and plans the CPUs. Call once, before the run.
  void start();

  std::vector<HostThreadStats> stats();
  // The same for the modelled threads only (not the background ones), for reports: read without
  // settling any CPU (an observation must not advance the schedule), so a CPU's unsettled
  // stretch counts for the thread holding it.
  std::vector<HostThreadStats> modelled_thread_stats() const;
  const HostPlatformSpec& spec() const { return spec_; }
  // Records which thread holds which CPU when (for a trace); call before start(). Plain runs
  // never record.
  void record_lanes(std::size_t cap = MAX_HOST_LANE_SLICES);
  // The lanes recorded up to now (empty without record_lanes); once, at the end of the run.
  HostLanes take_lanes();

  void on_signal_notified(std::uint64_t thread) override;

  // --- used by the threads' clocks ---
  TimeNs work(std::uint64_t thread, TimeNs cost_ns);
  LoopEnd run_loop(std::uint64_t thread, WaitLoop& loop, WaitSignal& signal, std::uint64_t iteration_limit,
                   TimeNs deadline_ns);
  TimeNs loop_iteration_ns(LoopKind kind, std::uint64_t subject, std::uint32_t part);
  void exit(std::uint64_t thread);
  std::string placement(std::uint64_t thread);
  // Passive threads: as work() and run_loop(), but `then` runs (an agenda callback at the end)
  // instead of the caller blocking.
  void work_then(std::uint64_t thread, TimeNs cost_ns, Agenda::Callback then);
  void loop_then(std::uint64_t thread, WaitLoop& loop, WaitSignal& signal, std::uint64_t iteration_limit,
                 TimeNs deadline_ns, ThreadClock::LoopCallback then);

 private:
  enum class Activity : std::uint8_t {
    busy,        // its actor runs model code at this instant (holds its CPU if it runs)
    work,        // computes until remaining_ns of on-CPU time ran
    loop,        // a waiting loop
    background,  // computes forever
    exited,
  };
  // What a thread is doing, as its CPU sees it (copied for predictions).
  struct Exec {
    Activity activity = Activity::busy;
    TimeNs remaining_ns = 0;
    TimeNs iteration_ns = 1;
    std::uint64_t iterations = 0;
    std::uint64_t limit = NO_ITERATION_LIMIT;
    TimeNs deadline_ns = TIME_NEVER;
    bool signaled = false;
    LoopEnd end = LoopEnd::signaled;
    TimeNs on_cpu_ns = 0;
    std::uint64_t turns = 0;
  };
  struct Thread {
    std::string name;
    int cpu = -1;
    Exec exec;
    std::unique_ptr<WaitSignal> wake;  // an actor waits here for its work or loop to end
    // A passive thread is told here instead (one of them, for the work or loop under way).
    Agenda::Callback work_then;
    ThreadClock::LoopCallback loop_then;
    WaitLoop* loop = nullptr;        // the passive loop under way
    WaitSignal* signal = nullptr;    // and what it waits for
    TimeNs exited_ns = TIME_NEVER;   // when it left the host, for its off-CPU time
  };
  struct Cpu {
    int id = 0;
    TimeNs clock_ns = 0;       // the CPU's schedule is settled up to here
    int running = -1;          // thread holding the CPU
    std::deque<int> queue;     // waiting threads, in order
    TimeNs turn_start_ns = 0;  // when the running thread got the CPU
    TimeNs iteration_start_ns = 0;  // current loop iteration of the running thread
    TimeNs slice_end_ns = TIME_NEVER;  // decided lazily, when others wait
    TimeNs wake_ns = TIME_NEVER;       // the next instant the agenda must look at it
    TimeNs agenda_ns = TIME_NEVER;     // when the agenda will look at it
    Agenda::Handle agenda_entry;
    int runnable() const { return static_cast<int>(queue.size()) + (running >= 0 ? 1 : 0); }
  };
  enum class Stop : std::uint8_t { reached, event, decision, stuck };
  struct StepResult {
    Stop stop = Stop::reached;
    TimeNs time_ns = 0;
    int thread = -1;
  };

  // Advances `cpu` through its schedule up to `until_ns` (inclusive); stops at a thread's event.
  // `exec(thread)` gives the thread's state; a dry run (a prediction on copies) stops where a
  // decision would be needed instead of making it.
  template <class ExecOf>
  StepResult step(Cpu& cpu, ExecOf&& exec, TimeNs until_ns, bool dry);
  template <class ExecOf>
  void skip_loop_rounds(Cpu& cpu, ExecOf&& exec, TimeNs until_ns, bool dry);
  void record_round_robin(const Cpu& cpu, TimeNs origin_ns, TimeNs rounds);
  static bool begin_iteration(Cpu& cpu, Exec& running, TimeNs at_ns);

  // Settles `cpu` up to now, waking the actor of a thread whose work or loop ended.
  void settle(Cpu& cpu);
  // After a change on `cpu`: decides a pending slice, predicts its next wake, tells the actor.
  void replan(Cpu& cpu);
  TimeNs predict(const Cpu& cpu);
  void switch_to(Cpu& cpu, int next);
  int take_next(Cpu& cpu, std::uint32_t reason);
  void fill_idle(Cpu& cpu);
  void place(int thread);
  TimeNs decide_slice(int thread);
  void wait_for_end(int thread);
  // The thread's work or loop ended at this instant: wake its actor, or tell the passive thread.
  void thread_event(int thread);
  void on_cpu_due(int cpu);

  Simulation& sim_;
  DecisionSource& decisions_;
  HostPlatformSpec spec_;
  std::vector<Thread> threads_;
  std::vector<Cpu> cpus_;
  // Threads looked at by predictions so far (HOST_SCHEDULER_MAX_LOOKS bounds them).
  std::uint64_t looks_ = 0;
  StreamId placement_stream_;
  StreamId slice_stream_;
  StreamId next_stream_;
  StreamId pull_stream_;
  StreamId cost_streams_[LOOP_KIND_COUNT];
  bool started_ = false;
  std::unique_ptr<HostLaneRecorder> lanes_;  // only when a trace is asked for
};

}  // namespace ptosim::simcore

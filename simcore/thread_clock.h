// How a simulated thread spends time: the facade between the modelled software (runtime and
// hardware models) and the platform that runs it.
//
// The model says what its threads do: work for a duration, or run a waiting loop (spin, poll,
// idle iteration) until a signal, an iteration count or a deadline. The platform says what that
// costs in time:
// - on the board (a2a3) every AICPU thread and every AI core is a processor of its own: work of D
//   ends D later, known in advance, and a waiting loop is passive (its iterations are derived from
//   the elapsed time, never simulated one by one);
// - on the simulator board (a2a3sim) every one of them is a host thread sharing a few host CPUs
//   (simcore/host_scheduler.h): work of D needs D of on-CPU time however long that takes, and a
//   waiting loop runs only while its thread holds a CPU, each iteration ending with sched_yield.
// The model never asks which platform it runs on. The one capability it sees is whether the end
// of work is known in advance, which lets it schedule the work's effects instead of waking for them.
//
// Left out: threads that block in the kernel (the modelled code never sleeps; every wait is a loop).
#pragma once

#include "simcore/decision_source.h"
#include "simcore/sim_engine.h"
#include "simcore/sim_time.h"

#include <cstdint>
#include <limits>
#include <string>

namespace ptosim::simcore {

// The waiting loops of the modelled software. On the simulator board each iteration ends with
// SPIN_WAIT_HINT (pause + sched_yield); on the board the hint is a no-op.
enum class LoopKind : std::uint8_t {
  spin,            // the orchestrator's back-pressure spin
  idle_iteration,  // a scheduler thread's loop iteration without progress
  register_poll,   // an AI core (or its emulation thread) polling its task register
};
inline constexpr int LOOP_KIND_COUNT = 3;
const char* to_string(LoopKind kind);

inline constexpr std::uint64_t NO_ITERATION_LIMIT = std::numeric_limits<std::uint64_t>::max();

// An integer range of nanoseconds, inclusive.
struct NsRange {
  TimeNs min_ns = 0;
  TimeNs max_ns = 0;
};

// What one iteration of a loop kind costs on a platform: a decision in `range` on `stream`.
struct LoopCost {
  std::string stream;
  NsRange range;
};

// One waiting loop of a thread, from its start. On the board its iteration count is the elapsed
// time divided by the iteration cost; on a shared host it counts the iterations that ran on a CPU.
struct WaitLoop {
  TimeNs start_ns = 0;
  TimeNs iteration_ns = 1;
  std::uint64_t iterations_on_cpu = 0;
};

enum class LoopEnd : std::uint8_t {
  signaled,  // the signal was notified and the thread saw it
  limit,     // the loop's iterations reached the limit
  deadline,  // the deadline passed and the thread saw it (or, on the board, the wait timed out)
};

class ThreadClock {
 public:
  virtual ~ThreadClock() = default;

  // When work of `cost_ns` starting at `start_ns` (>= now) ends, if that is known in advance (a
  // processor of its own); TIME_NEVER when it is not (a thread sharing host CPUs).
  virtual TimeNs predict_end(TimeNs start_ns, TimeNs cost_ns) const = 0;
  // Work of `cost_ns` starting now; returns the instant it ends. When that instant is known in
  // advance this returns at once: the caller schedules the work's effects at that instant and
  // must not act before it (wait_until). Otherwise it returns when the work has run, at now().
  virtual TimeNs work(TimeNs cost_ns) = 0;
  // Work of `cost_ns` that starts at `start_ns` (now or, when the start is planned, later) and
  // has ended when this returns; returns the end.
  virtual TimeNs perform(TimeNs start_ns, TimeNs cost_ns) = 0;
  // Waits until `time_ns`, the end of work this thread already did (see work()).
  virtual void wait_until(TimeNs time_ns) = 0;

  // The cost of one iteration of a loop of `kind`: a decision keyed (subject, part) in the
  // platform's range for that kind.
  virtual TimeNs loop_iteration_ns(LoopKind kind, std::uint64_t subject, std::uint32_t part) = 0;
  // A loop that starts at `start_ns`: now, or on a processor of its own the end of work the
  // thread is still doing.
  WaitLoop begin_loop(TimeNs iteration_ns, TimeNs start_ns) const;
  // Runs `loop` until `signal` is notified and the thread sees it, until the loop's iterations
  // since its start reach `iteration_limit`, or until the thread sees `deadline_ns` pass.
  // Callers re-check their condition afterwards: a notification may be spurious.
  virtual LoopEnd run_loop(WaitLoop& loop, WaitSignal& signal, std::uint64_t iteration_limit, TimeNs deadline_ns) = 0;
  // Iterations of `loop` so far.
  virtual std::uint64_t loop_iterations(const WaitLoop& loop) const = 0;
  // When `loop` reaches `iteration_limit` iterations, if that is known in advance (TIME_NEVER if
  // not, or if it never does).
  virtual TimeNs predict_loop_end(const WaitLoop& loop, std::uint64_t iteration_limit) const = 0;

  // The thread ends: it leaves its CPU for good.
  virtual void exit() = 0;

  // Where the thread runs, for diagnostics: empty on a processor of its own; on a shared host
  // its CPU and who shares it.
  virtual std::string placement() const { return {}; }
};

// Every thread has a processor of its own (the a2a3 board). Costs exactly what the model paid
// before the facade existed: work is a plain delay, loops are passive waits.
class DedicatedClock final : public ThreadClock {
 public:
  // `costs` per LoopKind; a kind whose range is a single value makes no decision.
  DedicatedClock(DecisionSource& decisions, const LoopCost (&costs)[LOOP_KIND_COUNT]);

  TimeNs predict_end(TimeNs start_ns, TimeNs cost_ns) const override { return start_ns + cost_ns; }
  TimeNs work(TimeNs cost_ns) override { return add_ns(now(), cost_ns); }
  TimeNs perform(TimeNs start_ns, TimeNs cost_ns) override;
  void wait_until(TimeNs time_ns) override { sleep_until(time_ns); }
  TimeNs loop_iteration_ns(LoopKind kind, std::uint64_t subject, std::uint32_t part) override;
  LoopEnd run_loop(WaitLoop& loop, WaitSignal& signal, std::uint64_t iteration_limit, TimeNs deadline_ns) override;
  std::uint64_t loop_iterations(const WaitLoop& loop) const override;
  TimeNs predict_loop_end(const WaitLoop& loop, std::uint64_t iteration_limit) const override;
  void exit() override {}

 private:
  DecisionSource& decisions_;
  StreamId streams_[LOOP_KIND_COUNT];
  NsRange ranges_[LOOP_KIND_COUNT];
};

}  // namespace ptosim::simcore

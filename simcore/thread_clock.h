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
// A thread is either an actor, which blocks in work(), perform(), wait_until() and run_loop(), or
// has no actor (a machine contender of the turn order, a passive AI core) and asks for the same
// work and loops asynchronously: it is told when they end (work_async/loop_async resume its
// contender; work_then/loop_then run an agenda callback).
//
// Left out: threads that block in the kernel (the modelled code never sleeps; every wait is a loop).
#pragma once

#include "simcore/agenda.h"
#include "simcore/decision_source.h"
#include "simcore/loop_cost.h"
#include "simcore/sim_engine.h"
#include "simcore/sim_time.h"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <string>

namespace ptosim::simcore {

class TurnOrder;

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

  // --- a thread without an actor ---
  using LoopCallback = std::function<void(LoopEnd)>;
  // Work of `cost_ns` starting now; `then` runs (an agenda callback) when it has run.
  virtual void work_then(TimeNs cost_ns, Agenda::Callback then) = 0;
  // A waiting loop, as run_loop; `then` runs with how it ended (an agenda callback, or inside the
  // notification that ends it).
  virtual void loop_then(WaitLoop& loop, WaitSignal& signal, std::uint64_t iteration_limit, TimeNs deadline_ns,
                         LoopCallback then) = 0;

  // The thread is machine contender `who` of `turns`: work_async and loop_async end its turn and
  // make it due again when they end.
  void bind(TurnOrder& turns, std::size_t who) {
    turns_ = &turns;
    who_ = who;
  }
  // In the bound contender's turn: work of `cost_ns` starting now; its next turn comes when the
  // work has run (on a processor of its own, at now + cost).
  virtual void work_async(TimeNs cost_ns) = 0;
  // In the bound contender's turn: a waiting loop, as run_loop; its next turn comes when the loop
  // ends, and loop_end() then says how.
  virtual void loop_async(WaitLoop& loop, WaitSignal& signal, std::uint64_t iteration_limit, TimeNs deadline_ns) = 0;
  virtual LoopEnd loop_end() const = 0;

 protected:
  TurnOrder* turns_ = nullptr;
  std::size_t who_ = 0;
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

  void work_then(TimeNs cost_ns, Agenda::Callback then) override;
  void loop_then(WaitLoop& loop, WaitSignal& signal, std::uint64_t iteration_limit, TimeNs deadline_ns,
                 LoopCallback then) override;
  void work_async(TimeNs cost_ns) override;
  void loop_async(WaitLoop& loop, WaitSignal& signal, std::uint64_t iteration_limit, TimeNs deadline_ns) override;
  LoopEnd loop_end() const override;

 private:
  // A loop_then in progress: ended by the signal or by the agenda at its bound, whichever first.
  class PendingLoop final : public SignalWaiter {
   public:
    void on_notified() override;
    DedicatedClock* clock = nullptr;
  };
  void end_pending_loop(LoopEnd end);

  DecisionSource& decisions_;
  StreamId streams_[LOOP_KIND_COUNT];
  NsRange ranges_[LOOP_KIND_COUNT];
  TimeNs async_limit_ns_ = TIME_NEVER;  // when the current loop_async reaches its limit
  PendingLoop pending_loop_;
  LoopCallback pending_then_;
  WaitSignal* pending_signal_ = nullptr;
  TimeNs pending_limit_ns_ = TIME_NEVER;
  Agenda::Handle pending_bound_;  // the agenda's callback at the loop's first bound
  bool pending_bounded_ = false;
};

}  // namespace ptosim::simcore

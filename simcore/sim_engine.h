// The SimGrid facade. This header and its implementation are the only code in ptosim that sees
// SimGrid: the runtime and hardware models spawn actors, sleep, wait on signals and read the clock
// through it, and never learn that they are simulated.
//
// One engine per process: SimGrid 3.32 keeps global state across Engine instances (a second
// engine continues the first one's clock). A process either runs one Simulation, or, after
// Simulation::run_in_sequence(), several one after another in the same engine, each with its
// clock at zero (a sweep's worker processes run their seeds this way).
#pragma once

#include "simcore/sim_time.h"

#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace ptosim::simcore {

class TurnOrder;

// Opaque reference to a simulated host (an AICPU thread or an AI core).
class HostRef {
 public:
  HostRef() = default;
  bool valid() const { return host_ != nullptr; }

 private:
  friend class Simulation;
  explicit HostRef(void* host) : host_(host) {}
  void* host_ = nullptr;
};

// How a call to Simulation::run() ended.
enum class RunEnd {
  finished,   // every non-daemon actor returned
  stopped,    // an actor called Simulation::stop()
  limit,      // a budget ran out (simulated time or events); see Simulation::limit_reason()
  quiescent,  // actors were still blocked but nothing could ever wake them
  failed,     // an actor threw; see Simulation::failure()
};

class Simulation {
 public:
  Simulation();
  ~Simulation();
  Simulation(const Simulation&) = delete;
  Simulation& operator=(const Simulation&) = delete;

  // Builds the engine and the named hosts now, before this process forks children that each run
  // one simulation: every child then starts from them instead of building its own. Does nothing
  // once an engine exists. The process that prepares must not run a simulation itself.
  static void prepare(const std::vector<std::string>& host_names);
  // The engine is not destroyed with the Simulation: for a child process that exits right after.
  static void skip_teardown_at_exit();
  // Every Simulation of this process from now on hands the engine to the next one: runs go one
  // after another in one engine, each starting at time zero and giving the events, outcome and
  // digest it gives in a fresh process. Every run must use the same platform (host names).
  static void run_in_sequence();
  // Whether the engine's clock can still hold a run of `max_sim_time_ns` exactly (its dates are
  // exact up to 2^53 ns, about 104 days, summed over the runs in sequence).
  static bool room_for_run(TimeNs max_sim_time_ns);

  // A host; one of the prepared hosts when the name matches.
  HostRef add_host(const std::string& name);
  // Daemon actors are killed once every non-daemon actor has returned (e.g. AI cores).
  void spawn(const std::string& name, HostRef host, std::function<void()> body, bool daemon = false);

  // Runs until the end; `max_sim_time_ns` bounds simulated time.
  RunEnd run(TimeNs max_sim_time_ns);

  // Lowers the simulated-time budget (never raises it). An actor that would sleep or wait past
  // the budget ends the run with RunEnd::limit at exactly that time; `what` names the budget in
  // the limit reason.
  void set_time_limit(TimeNs limit_ns, const std::string& what = "simulated-time budget");
  TimeNs time_limit() const { return time_limit_ns_; }
  const std::string& time_limit_name() const { return time_limit_name_; }

  // Ends the run from inside an actor: every actor is killed, run() returns RunEnd::stopped.
  [[noreturn]] void stop();
  // Ends the run from inside an actor because a budget ran out.
  [[noreturn]] void stop_at_limit(const std::string& reason);

  // The exception thrown by an actor when run() returned RunEnd::failed.
  std::exception_ptr failure() const { return failure_; }
  const std::string& limit_reason() const { return limit_reason_; }

  static Simulation& current();

 public:
  struct Impl;  // SimGrid's engine and platform; opaque outside sim_engine.cpp

 private:
  std::unique_ptr<Impl> impl_;
  std::exception_ptr failure_;
  std::string limit_reason_;
  TimeNs time_limit_ns_ = TIME_NEVER;
  std::string time_limit_name_ = "simulated-time budget";
  RunEnd end_ = RunEnd::finished;
  bool ending_ = false;
  bool quiescent_ = false;
};

// Clock and delays of the calling actor. For an actor bound to a TurnOrder (simcore/turn_order.h)
// a call that blocks ends its turn and returns at its next one.
TimeNs now();
void sleep_until(TimeNs time_ns);
void sleep_for(TimeNs duration_ns);

// Told when a signal that a thread waits on in a simulated loop (on a shared host, see
// host_scheduler.h) is notified: that thread sees it at its next loop iteration on a CPU.
class LoopWaiter {
 public:
  virtual ~LoopWaiter() = default;
  virtual void on_signal_notified(std::uint64_t thread) = 0;
};

// A point where one actor at a time waits until another actor notifies it or a deadline passes.
// A notification that arrives while the waiter is on its way into wait_until() is kept, so no
// wake-up is lost; with no waiter at all, a notification is dropped. Callers re-check their
// condition after every return (wake-ups may be spurious).
class WaitSignal {
 public:
  WaitSignal();
  ~WaitSignal();
  WaitSignal(const WaitSignal&) = delete;
  WaitSignal& operator=(const WaitSignal&) = delete;

  // Blocks the calling actor until notify() or `deadline_ns` (TIME_NEVER: no deadline).
  // Returns true when notified, false when the deadline passed. A TurnOrder contender's turn ends
  // when it blocks and its next turn starts when it returns.
  bool wait_until(TimeNs deadline_ns);
  void notify();
  // Notifies only a waiter whose loop is simulated iteration by iteration (a thread sharing host
  // CPUs), which would see the change at its next iteration. A passive waiter (a processor of its
  // own, whose loop is not simulated) keeps waiting: the model already decided who acts first.
  void notify_if_polled();

  // A thread waiting on this signal in a simulated loop (see LoopWaiter); one at a time.
  void attach_loop_waiter(LoopWaiter* waiter, std::uint64_t thread);
  void detach_loop_waiter();

 private:
  friend class TurnOrder;
  // A TurnOrder contender waiting for its turn: no deadline, no turn logic.
  void wait_for_turn();

  struct Impl;
  std::unique_ptr<Impl> impl_;
  int waiters_ = 0;
  LoopWaiter* loop_waiter_ = nullptr;
  std::uint64_t loop_thread_ = 0;
  // Set while a TurnOrder contender waits here, so a notification marks it due now.
  TurnOrder* turn_order_ = nullptr;
  std::size_t turn_waiter_ = 0;
};

}  // namespace ptosim::simcore

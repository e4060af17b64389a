// The SimGrid facade. This header and its implementation are the only code in ptosim that sees
// SimGrid: the runtime and hardware models spawn actors, sleep, wait on signals, schedule work at
// a time (the agenda) and read the clock through it, and never learn that they are simulated.
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

class Agenda;
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
  std::size_t actors_spawned() const { return actors_spawned_; }

  // Runs until the end; `max_sim_time_ns` bounds simulated time.
  RunEnd run(TimeNs max_sim_time_ns);

  // What happens at a time without an actor (simcore/agenda.h).
  Agenda& agenda() { return *agenda_; }

  // Lowers the simulated-time budget (never raises it). An actor that would sleep or wait past
  // the budget ends the run with RunEnd::limit at exactly that time; `what` names the budget in
  // the limit reason.
  void set_time_limit(TimeNs limit_ns, const std::string& what = "simulated-time budget");
  TimeNs time_limit() const { return time_limit_ns_; }
  const std::string& time_limit_name() const { return time_limit_name_; }

  // Ends the run from inside an actor or an agenda callback: every actor is killed, run()
  // returns RunEnd::stopped.
  [[noreturn]] void stop();
  // Ends the run from inside an actor or an agenda callback because a budget ran out.
  [[noreturn]] void stop_at_limit(const std::string& reason);

  // The exception thrown by an actor when run() returned RunEnd::failed.
  std::exception_ptr failure() const { return failure_; }
  const std::string& limit_reason() const { return limit_reason_; }

  static Simulation& current();

 public:
  struct Impl;  // SimGrid's engine and platform; opaque outside sim_engine.cpp

 private:
  friend class Agenda;
  // An agenda callback threw (`failure` null: it ended the run through stop or a budget): the
  // run ends as an actor's exception would end it.
  void end_from_engine(std::exception_ptr failure);
  void end_run(RunEnd end);

  std::unique_ptr<Impl> impl_;
  std::unique_ptr<Agenda> agenda_;
  std::exception_ptr failure_;
  std::string limit_reason_;
  TimeNs time_limit_ns_ = TIME_NEVER;
  std::string time_limit_name_ = "simulated-time budget";
  RunEnd end_ = RunEnd::finished;
  std::size_t actors_spawned_ = 0;
  bool ending_ = false;
  bool quiescent_ = false;
};

// Clock and delays of the calling actor. For an actor bound to a TurnOrder (simcore/turn_order.h)
// a call that blocks ends its turn and returns at its next one.
TimeNs now();
void sleep_until(TimeNs time_ns);
void sleep_for(TimeNs duration_ns);

// Told when a signal is notified, by a waiter without an actor: a contender of the turn order, a
// passive thread (simcore/turn_order.h, thread_clock.h).
class SignalWaiter {
 public:
  virtual ~SignalWaiter() = default;
  virtual void on_notified() = 0;
};

// Told when a signal that a thread waits on in a simulated loop (on a shared host, see
// host_scheduler.h) is notified: that thread sees it at its next loop iteration on a CPU.
class LoopWaiter {
 public:
  virtual ~LoopWaiter() = default;
  virtual void on_signal_notified(std::uint64_t thread) = 0;
};

// A point where one waiter at a time waits until it is notified or a deadline passes. The waiter
// is an actor (wait_until), a contender of the turn order or a passive thread (attach_waiter), or
// a thread in a loop simulated on a shared host (attach_loop_waiter). With no waiter at all, a
// notification is dropped. Callers re-check their condition after every return (wake-ups may be
// spurious).
class WaitSignal {
 public:
  WaitSignal();
  ~WaitSignal();
  WaitSignal(const WaitSignal&) = delete;
  WaitSignal& operator=(const WaitSignal&) = delete;

  // Blocks the calling actor until notify() or `deadline_ns` (TIME_NEVER: no deadline).
  // Returns true when notified, false when the deadline passed. A TurnOrder contender's turn ends
  // when it blocks and its next turn starts when it returns. For an actor that is no contender,
  // a notification that arrives while it is on its way into the wait is kept.
  bool wait_until(TimeNs deadline_ns);
  void notify();
  // Notifies only a waiter whose loop is simulated iteration by iteration (a thread sharing host
  // CPUs), which would see the change at its next iteration. A passive waiter (a processor of its
  // own, whose loop is not simulated) keeps waiting: the model already decided who acts first.
  void notify_if_polled();

  // A thread waiting on this signal in a simulated loop (see LoopWaiter); one at a time.
  void attach_loop_waiter(LoopWaiter* waiter, std::uint64_t thread);
  void detach_loop_waiter();
  // A waiter without an actor (see SignalWaiter); one at a time. notify() tells it and detaches it.
  void attach_waiter(SignalWaiter* waiter);
  void detach_waiter(SignalWaiter* waiter);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;  // the semaphore of an actor that is no contender, made on demand
  int waiters_ = 0;
  LoopWaiter* loop_waiter_ = nullptr;
  std::uint64_t loop_thread_ = 0;
  SignalWaiter* waiter_ = nullptr;
};

// Where an actor waits until someone lets it through: pass() blocks the calling actor until
// open() (an open() before the pass() is kept). The turn order resumes its actors this way.
class ActorGate {
 public:
  ActorGate();
  ~ActorGate();
  ActorGate(const ActorGate&) = delete;
  ActorGate& operator=(const ActorGate&) = delete;
  void pass();
  void open();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ptosim::simcore

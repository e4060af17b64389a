// Time without an actor: what happens at a simulated instant without a thread of its own.
//
// The agenda holds callbacks due at a time and the wake-ups of the turn order's contenders
// (simcore/turn_order.h). The engine runs it itself, outside every actor (SimGrid's maestro,
// through one kernel timer armed at the earliest entry), so an entry costs no context switch:
// a core whose work ends at a known time, a host CPU that must be looked at, a scheduler thread
// whose next iteration is due. SimGrid's own model of this is the asynchronous activity started
// by maestro; ptosim needs only the timer underneath.
//
// At an instant the agenda first runs every callback due, in (time, sequence) order; only then
// does the turn order grant a turn, so a callback never competes with a contender for shared
// state. Callbacks must not block: they act at their instant and may schedule more entries or
// notify signals. A callback that throws ends the run like an actor that throws.
//
// An entry beyond the simulated-time budget ends the run at the budget (RunEnd::limit), as an
// actor that would sleep past it does; an empty agenda leaves the engine free to find quiescence.
#pragma once

#include "simcore/sim_time.h"

#include <cstdint>
#include <functional>
#include <vector>

namespace ptosim::simcore {

class Simulation;
class TurnOrder;

class Agenda {
 public:
  using Callback = std::function<void()>;
  // A scheduled callback, to cancel it.
  struct Handle {
    std::uint32_t slot = 0;
    std::uint32_t generation = 0;
  };

  explicit Agenda(Simulation& sim);
  ~Agenda();
  Agenda(const Agenda&) = delete;
  Agenda& operator=(const Agenda&) = delete;

  // Runs `callback` at `at_ns` (now or later), after the entries of earlier times and of the same
  // time scheduled before it, and before any turn at that instant.
  Handle schedule(TimeNs at_ns, Callback callback);
  // The callback will not run (nothing happens if it ran already). A cancelled entry no longer
  // keeps the engine busy: a run whose only entries are cancelled can end quiescent.
  void cancel(Handle handle);
  // Entries not yet run (callbacks and contender wake-ups, stale ones included).
  std::size_t pending() const { return heap_.size(); }

  // --- the turn order's hooks ---
  void attach(TurnOrder* turns) { turns_ = turns; }
  // Wakes contender `who` at `at_ns` unless its wait `generation` has ended by then.
  void schedule_wake(TimeNs at_ns, std::uint32_t who, std::uint32_t generation);
  // Something is due now (a notified contender, a turn that ended): look at it at this instant.
  // An actor contender in its turn looks itself when the turn ends (run_here).
  void look_now();
  // Runs what is due right here, in the actor contender whose turn just ended, instead of waking
  // the engine for it: it returns once an actor holds the turn (this one, if its wait ended) or
  // the engine must act (nothing left, or the budget). When every actor is a contender, the
  // instants that need no actor run here too, one after another.
  void run_here();
  // Every contender has left: the run is over, whatever is still pending never happens.
  void close();
  // Whether no contender of the attached turn order still waits (true without a turn order).
  bool all_contenders_left() const;

  // --- the engine's hooks (simcore/sim_engine.cpp) ---
  // Arms the engine's timer for the next instant with work, if any.
  void arm();
  // The run ended: nothing more runs, and the timer is taken back.
  void disarm();

 private:
  struct Entry {
    TimeNs time_ns = 0;
    std::uint64_t sequence = 0;
    std::uint32_t target = 0;      // callback slot, or contender index
    std::uint32_t generation = 0;  // contender wake-ups only
    bool is_callback = false;
  };
  struct Later {
    bool operator()(const Entry& a, const Entry& b) const {
      return a.time_ns != b.time_ns ? a.time_ns > b.time_ns : a.sequence > b.sequence;
    }
  };

  void push(Entry entry);
  // Rebuilds the heap without its stale entries once they may be most of it.
  void compact();
  // Drops cancelled callbacks and stale wake-ups from the top of the heap.
  void drop_stale_top();
  bool stale(const Entry& entry) const;
  // An engine timer: one for looks at the current instant, one for the next entry, so that a
  // look now does not take back the timer of the next entry.
  struct Timer {
    void* armed = nullptr;  // SimGrid kernel timer, or null
    TimeNs at_ns = TIME_NEVER;
  };
  // The engine's timer fired: runs what is due at this instant, then re-arms.
  void on_timer(Timer& timer);
  // Runs due entries and grants turns until nothing more can happen at this instant.
  void run_instant();
  // run_instant, then the following instants as long as the engine has nothing to do before
  // them, until an actor holds the turn.
  void run_instants();
  bool may_advance() const;
  void set_timer(Timer& timer, TimeNs at_ns);
  static void unset_timer(Timer& timer);

  Simulation& sim_;
  TurnOrder* turns_ = nullptr;
  std::vector<Entry> heap_;
  std::vector<Callback> callbacks_;      // by slot
  std::vector<std::uint32_t> slot_generations_;  // by slot: bumped when the slot is freed
  std::vector<std::uint32_t> free_slots_;
  std::uint64_t sequence_ = 0;
  std::size_t compact_at_ = 1024;
  bool look_now_ = false;
  bool in_engine_ = false;   // on_timer is running
  bool closed_ = false;
  Timer now_timer_;
  Timer next_timer_;
};

}  // namespace ptosim::simcore

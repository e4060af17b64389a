// Same-instant turns: the order in which the threads that act on shared state at the same
// simulated nanosecond take their turns.
//
// SimGrid would run the actors that become runnable at one instant in an order it fixes itself
// (timer batches, wake-up order). When two of them act on shared state in that instant (two
// scheduler threads popping the same ready queue, the orchestrator publishing while a scheduler
// pops), that fixed order would decide the race and no strategy could explore it. A TurnOrder
// turns it into decisions, and it is also what wakes its contenders: every contender waits for
// its next turn here, never on a SimGrid timer of its own.
//
// A contender's turn is everything it does between resuming and waiting again. There are two
// kinds:
// - an actor contender runs model code written in blocking style (the orchestrator). Its actor
//   calls take_turn first and leave last; the facade's blocking calls (sleep_until,
//   WaitSignal::wait_until, so every ThreadClock) know which actor calls them, end its turn and
//   return at its next one.
// - a machine contender has no actor (a scheduler thread): each turn runs its `on_turn` callback
//   in the engine, and the turn ends when the callback returns, having said when the next one
//   comes (wait) or that there is none (leave).
// A contender waits until a deadline, a signal, or either. The engine (simcore/agenda.h) runs the
// callbacks due at an instant first, then marks the contenders whose deadline it is; then one of
// the contenders due now takes its turn (a `choose` among their identities, keyed by the instant),
// and when that turn ends the next is chosen among those still due and any that became due
// meanwhile (a notification during a turn makes its waiter due now). With one contender due
// nothing is decided and nothing is logged.
//
// Left out: what is not a contender (the AI cores, the host CPUs) acts in agenda callbacks; those
// touch only their own state, and what they post becomes visible to the contenders through
// signals.
#pragma once

#include "simcore/decision_source.h"
#include "simcore/sim_engine.h"
#include "simcore/sim_time.h"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>
#include <vector>

namespace ptosim::simcore {

class Agenda;

class TurnOrder {
 public:
  // `stream_name` keys the decisions: subject = the instant in ns, part 0, occurrence counted.
  // Binds itself to the current Simulation's agenda.
  TurnOrder(DecisionSource& decisions, std::string_view stream_name = "instant.turn");
  ~TurnOrder();
  TurnOrder(const TurnOrder&) = delete;
  TurnOrder& operator=(const TurnOrder&) = delete;

  // Registers an actor contender before the run; `identity` names it in decisions (its lane).
  // Every contender is due at t=0, so the first turns of a run are ordered too.
  std::size_t join(std::uint64_t identity);
  // Registers a machine contender: its turns run `on_turn` (in the engine, never in an actor).
  std::size_t join_machine(std::uint64_t identity, std::function<void()> on_turn);

  // Called by an actor contender's body when it starts: binds the actor to the contender and
  // returns at its first turn.
  void take_turn(std::size_t who);
  // The contender takes no more turns: an actor whose body is about to return, or a machine in
  // its last turn. When every contender has left, the run is over.
  void leave(std::size_t who);

  // In its turn, a machine contender says when its next turn comes: at `deadline_ns`, or when
  // `signal` (if not null) is notified, whichever comes first. TIME_NEVER and no signal: never,
  // unless another contender wakes it (wake_now).
  void wait(std::size_t who, WaitSignal* signal, TimeNs deadline_ns);
  // Makes a waiting contender due now (what its wait was for has happened, as a passive thread
  // saw it): for host threads without an actor whose work or loop ended.
  void wake_now(std::size_t who);
  // In the turn that followed a wait: whether a notification (or wake_now) ended it rather than
  // the deadline.
  bool woken_early(std::size_t who) const { return contenders_.at(who).woken_early; }

  // Contenders due but not granted their turn. Zero whenever the engine is idle; anything else at
  // the end of a run is a bug of the turn order.
  std::size_t waiting_for_turn() const;
  // Whether every contender has left.
  bool all_left() const { return left_ == contenders_.size(); }
  // Contenders with an actor (joined with join()).
  std::size_t actor_contenders() const { return actor_contenders_; }
  // Whether an actor contender holds the turn (it runs next, in the engine).
  bool actor_holds_turn() const { return holder_ != static_cast<std::size_t>(-1); }
  // Turns granted so far (for benchmarks).
  std::uint64_t turns_granted() const { return turns_granted_; }

  // --- the facade's hooks (simcore/sim_engine.cpp), not for model code ---
  struct Binding {
    TurnOrder* order = nullptr;
    std::size_t who = 0;
  };
  // The contender the calling actor is bound to, or nullptr.
  static Binding* of_current_actor();
  // The actor contender in its turn blocks: `wait` was called; returns at its next turn.
  void block(std::size_t who);
  // --- the agenda's hooks (simcore/agenda.cpp) ---
  // A wake-up the agenda held for `who` is due.
  void deadline_reached(std::size_t who, std::uint32_t generation);
  // Whether that wake-up still ends a wait (it is stale once the wait ended otherwise).
  bool wake_is_current(std::size_t who, std::uint32_t generation) const {
    const Contender& contender = contenders_[who];
    return contender.state == State::waiting && contender.generation == generation;
  }
  // Grants the next turn if nobody holds one and a contender is due. Returns true when it ran a
  // machine's turn (more may be due now), false when it handed the turn to an actor (which runs
  // next) or nobody was due.
  bool grant_next();

 private:
  enum class State : std::uint8_t { waiting, due, in_turn, gone };
  struct Contender;
  // A contender as a signal's waiter.
  class SignalHook final : public SignalWaiter {
   public:
    SignalHook(TurnOrder& order, std::size_t who) : order_(order), who_(who) {}
    void on_notified() override { order_.notified(who_); }

   private:
    TurnOrder& order_;
    std::size_t who_;
  };
  struct Contender {
    std::uint64_t identity = 0;
    State state = State::due;
    std::uint32_t generation = 0;  // of its current wait; a stale agenda wake-up is ignored
    bool woken_early = false;
    WaitSignal* signal = nullptr;  // the signal it waits on, if any
    std::function<void()> on_turn;  // machines only
    std::unique_ptr<SignalHook> hook;
    std::unique_ptr<Binding> binding;  // actors only
    std::unique_ptr<ActorGate> gate;     // actors only: where the actor waits for its turn
  };

  std::size_t add(std::uint64_t identity, std::function<void()> on_turn);
  void notified(std::size_t who);
  void make_due(Contender& contender, bool early);

  DecisionSource& decisions_;
  StreamId stream_;
  Agenda& agenda_;
  std::vector<Contender> contenders_;
  std::size_t holder_;
  std::size_t left_ = 0;
  std::size_t actor_contenders_ = 0;
  std::uint64_t turns_granted_ = 0;
  std::vector<std::uint64_t> candidate_ids_;    // scratch for decisions
  std::vector<std::size_t> candidate_indices_;  // scratch for decisions
};

}  // namespace ptosim::simcore

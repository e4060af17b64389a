// Same-instant turns: the order in which actors that resume at the same simulated nanosecond act
// on the state they share.
//
// SimGrid runs the actors that become runnable at one instant one after the other, in an order it
// fixes itself (timer batches, wake-up order). When two of them act on shared state in that
// instant (two scheduler threads popping the same ready queue, the orchestrator publishing while a
// scheduler pops), that fixed order would decide the race, and no strategy could explore it. A
// TurnOrder turns it into decisions.
//
// A contender's turn is everything it does between resuming and blocking again. The facade's
// blocking calls (sleep_until, WaitSignal::wait_until) know which actor calls them, so a contender
// needs no other hook than take_turn at its start and leave at its end, whatever ThreadClock it
// spends time through; and the TurnOrder knows when each contender is due to resume: at its
// deadline, or now when a WaitSignal it waits on is notified. When a contender resumes it
// waits until every contender due at this instant has resumed too; then one of the waiting
// contenders is chosen to take its turn (a `choose` among their identities, keyed by the instant),
// and when that turn ends (the contender blocks again or leaves) the next one is chosen among
// those still waiting and any that became due meanwhile. With one contender waiting nothing is
// decided and nothing is logged.
//
// Left out: actors that are not contenders (the AI cores) run in SimGrid's order; they touch only
// their own registers, and what they post becomes visible to the scheduler threads later.
#pragma once

#include "simcore/decision_source.h"
#include "simcore/sim_engine.h"
#include "simcore/sim_time.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

namespace ptosim::simcore {

class TurnOrder {
 public:
  // `stream_name` keys the decisions: subject = the instant in ns, part 0, occurrence counted.
  TurnOrder(DecisionSource& decisions, std::string_view stream_name = "instant.turn");
  ~TurnOrder();
  TurnOrder(const TurnOrder&) = delete;
  TurnOrder& operator=(const TurnOrder&) = delete;

  // Registers a contender before the run; `identity` names it in decisions (the actor's lane).
  // Every contender is due at t=0, so the first turns of a run are ordered too.
  std::size_t join(std::uint64_t identity);

  // Called by the contender's actor when its body starts: binds the actor to the contender and
  // returns at its first turn. From then on every blocking call of that actor (sleep_until,
  // WaitSignal::wait_until, and so every ThreadClock) ends its turn before it blocks and returns
  // only at its next turn; a call that does not block keeps the turn.
  void take_turn(std::size_t who);
  // The contender's actor body is about to return: it takes no more turns.
  void leave(std::size_t who);

  // Contenders blocked until their turn comes. Zero whenever no actor runs; anything else at the
  // end of a run is a bug of the turn order.
  std::size_t waiting_for_turn() const;

  // --- the facade's hooks (simcore/sim_engine.cpp), not for model code ---
  struct Binding {
    TurnOrder* order = nullptr;
    std::size_t who = 0;
  };
  // The contender the calling actor is bound to, or nullptr.
  static Binding* of_current_actor();
  // The contender is about to block until `resume_ns` (TIME_NEVER: until notified).
  void end_turn(std::size_t who, TimeNs resume_ns);
  // It has resumed: returns once it is its turn.
  void arrive(std::size_t who);
  // A WaitSignal it waits on was notified: it resumes now.
  void woken(std::size_t who);

 private:
  enum class State : std::uint8_t { blocked, waiting, in_turn, gone };
  struct Contender {
    std::uint64_t identity = 0;
    State state = State::blocked;
    TimeNs resume_ns = 0;  // blocked: when it is due to resume
    std::unique_ptr<WaitSignal> turn;  // where it waits for its turn
    std::unique_ptr<Binding> binding;  // attached to its actor
  };

  // Grants the next turn when nobody holds one and every contender due now has resumed.
  void grant_if_settled();

  DecisionSource& decisions_;
  StreamId stream_;
  std::vector<Contender> contenders_;
  std::size_t holder_;
  std::vector<std::uint64_t> candidate_ids_;    // scratch for decisions
  std::vector<std::size_t> candidate_indices_;  // scratch for decisions
};

}  // namespace ptosim::simcore

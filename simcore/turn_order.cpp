#include "simcore/turn_order.h"

#include "simcore/agenda.h"
#include "simcore/model_assert.h"

#include <simgrid/s4u.hpp>

#include <string>

namespace sg = simgrid::s4u;

namespace ptosim::simcore {

namespace {
constexpr std::size_t NO_HOLDER = static_cast<std::size_t>(-1);
}  // namespace

TurnOrder::TurnOrder(DecisionSource& decisions, std::string_view stream_name)
    : decisions_(decisions),
      stream_(decisions.stream(stream_name)),
      agenda_(Simulation::current().agenda()),
      holder_(NO_HOLDER) {
  agenda_.attach(this);
}

TurnOrder::~TurnOrder() { agenda_.attach(nullptr); }

std::size_t TurnOrder::add(std::uint64_t identity, std::function<void()> on_turn) {
  const std::size_t who = contenders_.size();
  Contender contender;
  contender.identity = identity;
  contender.state = State::due;  // due at t=0
  contender.on_turn = std::move(on_turn);
  contender.hook = std::make_unique<SignalHook>(*this, who);
  contenders_.push_back(std::move(contender));
  agenda_.look_now();
  return who;
}

std::size_t TurnOrder::join(std::uint64_t identity) {
  const std::size_t who = add(identity, nullptr);
  Contender& contender = contenders_[who];
  contender.binding = std::make_unique<Binding>(Binding{this, who});
  contender.gate = std::make_unique<ActorGate>();
  ++actor_contenders_;
  return who;
}

std::size_t TurnOrder::join_machine(std::uint64_t identity, std::function<void()> on_turn) {
  PTOSIM_ASSERT(on_turn != nullptr, "a machine contender needs a turn to run");
  return add(identity, std::move(on_turn));
}

std::size_t TurnOrder::waiting_for_turn() const {
  std::size_t count = 0;
  for (const Contender& contender : contenders_) count += contender.state == State::due ? 1 : 0;
  return count;
}

TurnOrder::Binding* TurnOrder::of_current_actor() {
  if (sg::Actor::is_maestro()) return nullptr;
  sg::Actor* self = sg::Actor::self();
  return self == nullptr ? nullptr : self->get_data<Binding>();
}

void TurnOrder::take_turn(std::size_t who) {
  Contender& contender = contenders_.at(who);
  PTOSIM_ASSERT(contender.gate != nullptr, "a machine contender has no actor to bind");
  sg::Actor::self()->set_data(contender.binding.get());
  // Bounded: the gate opens only when the turn is granted (see grant_next).
  while (contender.state != State::in_turn) contender.gate->pass();
}

void TurnOrder::leave(std::size_t who) {
  Contender& contender = contenders_.at(who);
  PTOSIM_ASSERT(contender.state == State::in_turn, "contender " + std::to_string(contender.identity) + " left outside its turn");
  if (contender.binding) sg::Actor::self()->set_data(nullptr);
  if (contender.signal != nullptr) contender.signal->detach_waiter(contender.hook.get());
  contender.signal = nullptr;
  contender.state = State::gone;
  holder_ = NO_HOLDER;
  ++left_;
  if (all_left()) {
    agenda_.close();
    return;
  }
  agenda_.look_now();
  if (contender.gate) agenda_.run_here();
}

void TurnOrder::wait(std::size_t who, WaitSignal* signal, TimeNs deadline_ns) {
  Contender& contender = contenders_.at(who);
  PTOSIM_ASSERT(contender.state == State::in_turn,
                "contender " + std::to_string(contender.identity) + " arranged its next turn outside its turn");
  PTOSIM_ASSERT(deadline_ns >= now(), "contender " + std::to_string(contender.identity) + " waits for a past deadline");
  contender.state = State::waiting;
  ++contender.generation;
  contender.woken_early = false;
  contender.signal = signal;
  if (signal != nullptr) signal->attach_waiter(contender.hook.get());
  if (deadline_ns != TIME_NEVER) agenda_.schedule_wake(deadline_ns, static_cast<std::uint32_t>(who), contender.generation);
  holder_ = NO_HOLDER;
  agenda_.look_now();
}

void TurnOrder::make_due(Contender& contender, bool early) {
  if (contender.signal != nullptr) contender.signal->detach_waiter(contender.hook.get());
  contender.signal = nullptr;
  contender.state = State::due;
  contender.woken_early = early;
  ++contender.generation;  // the other half of its wait (deadline or signal) is stale now
}

void TurnOrder::notified(std::size_t who) {
  Contender& contender = contenders_.at(who);
  if (contender.state != State::waiting) return;
  make_due(contender, true);
  agenda_.look_now();
}

void TurnOrder::wake_now(std::size_t who) { notified(who); }

void TurnOrder::deadline_reached(std::size_t who, std::uint32_t generation) {
  Contender& contender = contenders_.at(who);
  if (contender.state != State::waiting || contender.generation != generation) return;  // woken earlier
  make_due(contender, false);
}

void TurnOrder::block(std::size_t who) {
  Contender& contender = contenders_.at(who);
  PTOSIM_ASSERT(contender.gate != nullptr, "a machine contender cannot block");
  PTOSIM_ASSERT(contender.state != State::in_turn,
                "contender " + std::to_string(contender.identity) + " blocked without saying what it waits for");
  // What is due now runs here before the actor blocks; it may even give the turn back at once.
  agenda_.run_here();
  // Bounded: the gate opens only when the turn is granted.
  while (contender.state != State::in_turn) contender.gate->pass();
}

bool TurnOrder::grant_next() {
  if (holder_ != NO_HOLDER) return false;
  candidate_ids_.clear();
  candidate_indices_.clear();
  for (std::size_t i = 0; i < contenders_.size(); ++i) {
    if (contenders_[i].state != State::due) continue;
    candidate_ids_.push_back(contenders_[i].identity);
    candidate_indices_.push_back(i);
  }
  if (candidate_ids_.empty()) return false;
  std::size_t chosen = 0;
  if (candidate_ids_.size() > 1) {
    chosen = decisions_.choose({stream_, static_cast<std::uint64_t>(now()), 0}, candidate_ids_);
  }
  holder_ = candidate_indices_[chosen];
  Contender& winner = contenders_[holder_];
  winner.state = State::in_turn;
  ++turns_granted_;
  if (winner.gate) {
    // The actor takes its turn next; it hands it back when it blocks. An actor granted its turn
    // while it looks at the instant itself (Agenda::run_here) simply goes on.
    const Binding* self = of_current_actor();
    if (self == nullptr || self->order != this || self->who != holder_) winner.gate->open();
    return false;
  }
  const std::size_t who = holder_;
  winner.on_turn();
  PTOSIM_ASSERT(contenders_[who].state != State::in_turn,
                "machine contender " + std::to_string(contenders_[who].identity) + " ended its turn without a next one");
  return true;
}

}  // namespace ptosim::simcore

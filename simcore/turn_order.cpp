#include "simcore/turn_order.h"

#include "simcore/model_assert.h"

#include <simgrid/s4u.hpp>

#include <string>

namespace sg = simgrid::s4u;

namespace ptosim::simcore {

namespace {
constexpr std::size_t NO_HOLDER = static_cast<std::size_t>(-1);
}  // namespace

TurnOrder::TurnOrder(DecisionSource& decisions, std::string_view stream_name)
    : decisions_(decisions), stream_(decisions.stream(stream_name)), holder_(NO_HOLDER) {}

TurnOrder::~TurnOrder() = default;

std::size_t TurnOrder::join(std::uint64_t identity) {
  Contender contender;
  contender.identity = identity;
  contender.state = State::blocked;
  contender.resume_ns = 0;
  contender.turn = std::make_unique<WaitSignal>();
  contender.binding = std::make_unique<Binding>(Binding{this, contenders_.size()});
  contenders_.push_back(std::move(contender));
  return contenders_.size() - 1;
}

std::size_t TurnOrder::waiting_for_turn() const {
  std::size_t count = 0;
  for (const Contender& contender : contenders_) count += contender.state == State::waiting ? 1 : 0;
  return count;
}

TurnOrder::Binding* TurnOrder::of_current_actor() {
  sg::Actor* self = sg::Actor::self();
  return self == nullptr ? nullptr : self->get_data<Binding>();
}

void TurnOrder::take_turn(std::size_t who) {
  Contender& contender = contenders_.at(who);
  sg::Actor::self()->set_data(contender.binding.get());
  arrive(who);
}

void TurnOrder::leave(std::size_t who) {
  Contender& contender = contenders_.at(who);
  sg::Actor::self()->set_data(nullptr);
  if (holder_ == who) holder_ = NO_HOLDER;
  contender.state = State::gone;
  grant_if_settled();
}

void TurnOrder::woken(std::size_t who) {
  Contender& contender = contenders_.at(who);
  if (contender.state == State::blocked) contender.resume_ns = now();
}

void TurnOrder::end_turn(std::size_t who, TimeNs resume_ns) {
  Contender& contender = contenders_.at(who);
  PTOSIM_ASSERT(holder_ == who, "contender " + std::to_string(contender.identity) + " blocked outside its turn");
  holder_ = NO_HOLDER;
  contender.state = State::blocked;
  contender.resume_ns = resume_ns;
  grant_if_settled();
}

void TurnOrder::arrive(std::size_t who) {
  Contender& contender = contenders_.at(who);
  PTOSIM_ASSERT(contender.state == State::blocked,
                "contender " + std::to_string(contender.identity) + " resumed twice");
  contender.state = State::waiting;
  grant_if_settled();
  // Bounded: each return is a notification of this contender's own turn signal, sent only when
  // its turn is granted (a spurious return re-checks and waits again). The wait bypasses the turn
  // logic of WaitSignal::wait_until: it is the turn logic.
  while (contender.state != State::in_turn) contender.turn->wait_for_turn();
}

void TurnOrder::grant_if_settled() {
  if (holder_ != NO_HOLDER) return;
  const TimeNs now_ns = now();
  candidate_ids_.clear();
  candidate_indices_.clear();
  for (std::size_t i = 0; i < contenders_.size(); ++i) {
    const Contender& contender = contenders_[i];
    if (contender.state == State::blocked && contender.resume_ns <= now_ns) {
      // Due now and not resumed yet: it will arrive at this instant and grant then.
      PTOSIM_ASSERT(contender.resume_ns == now_ns,
                    "contender " + std::to_string(contender.identity) + " was due at t=" +
                        std::to_string(contender.resume_ns) + " ns and never resumed");
      return;
    }
    if (contender.state == State::waiting) {
      candidate_ids_.push_back(contender.identity);
      candidate_indices_.push_back(i);
    }
  }
  if (candidate_ids_.empty()) return;
  const std::size_t chosen = decisions_.choose({stream_, static_cast<std::uint64_t>(now_ns), 0}, candidate_ids_);
  holder_ = candidate_indices_[chosen];
  Contender& winner = contenders_[holder_];
  winner.state = State::in_turn;
  winner.turn->notify();  // no-op when the winner is the caller, which has not blocked yet
}

}  // namespace ptosim::simcore

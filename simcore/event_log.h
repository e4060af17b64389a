// The ordered log of a run's observable events and its 64-bit digest.
//
// The digest hashes every event in order (time, kind, subject, lane, detail), so two runs have the
// same digest exactly when they produced the same observable history. The log is bounded by
// `max_events`; recording one more event ends the run with outcome `sim_limit`. The events
// themselves are kept only when asked (a trace draws them): the digest and the count need none.
#pragma once

#include "simcore/hashing.h"
#include "simcore/sim_time.h"

#include <cstdint>
#include <utility>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace ptosim::simcore {

enum class EventKind : std::uint8_t {
  submit,        // orchestrator finished submitting a task (subject = task)
  publish,       // task became visible to schedulers
  ready,         // fanin satisfied, task pushed to a ready queue
  dispatch,      // scheduler wrote the task to a core (lane = core)
  start,         // core started the kernel
  finish,        // core finished the kernel
  complete,      // scheduler observed the last subtask and completed the task
  consumed,      // task became CONSUMED (reclaimable)
  scope_begin,   // detail = scope depth
  scope_end,     // detail = scope depth
  blocked,       // orchestrator started waiting on a resource (detail = resource kind)
  unblocked,     // orchestrator's wait was satisfied
  detector,      // a runtime detector fired (detail = error code)
  error,         // runtime reported a fatal error (detail = error code)
};

std::string_view to_string(EventKind kind);

struct Event {
  TimeNs time_ns = 0;
  std::uint64_t subject = 0;
  std::int64_t detail = 0;
  std::uint32_t lane = 0;
  EventKind kind = EventKind::submit;
};

// Thrown when a run exceeds one of its budgets; the engine turns it into outcome `sim_limit`.
class RunLimitReached : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class EventLog {
 public:
  explicit EventLog(std::uint64_t max_events = 50'000'000, bool keep_events = true)
      : max_events_(max_events), keep_events_(keep_events) {}

  void set_max_events(std::uint64_t max_events) { max_events_ = max_events; }
  std::uint64_t max_events() const { return max_events_; }

  // Appends an event that happens now (`time_ns` is the current time).
  void record(EventKind kind, TimeNs time_ns, std::uint64_t subject, std::uint32_t lane, std::int64_t detail = 0);
  // Schedules an event that will happen at `time_ns` (now or later) without an actor being awake
  // then: it enters the log, in time order, as soon as a later event is recorded or the run
  // ends at or after that time. Lets a core sleep straight to the end of its kernel.
  void record_at(EventKind kind, TimeNs time_ns, std::uint64_t subject, std::uint32_t lane, std::int64_t detail = 0);
  // The run ended at `end_ns`: scheduled events up to then enter the log, later ones never happened.
  // Runs outside every actor, so it never throws: it returns false when the event budget ran out
  // while flushing (the log then ends at the budget and the run is a sim_limit).
  bool finish(TimeNs end_ns);

  std::uint64_t digest() const { return digest_.value(); }
  // Events logged so far (kept or not).
  std::uint64_t size() const { return count_; }
  // The events, when kept (empty otherwise).
  const std::vector<Event>& events() const { return events_; }
  std::vector<Event> take_events() { return std::move(events_); }

 private:
  struct Scheduled {
    Event event;
    std::uint64_t sequence = 0;
  };
  // Heap order: the earliest time first, then the first scheduled.
  struct Later {
    bool operator()(const Scheduled& a, const Scheduled& b) const {
      return a.event.time_ns != b.event.time_ns ? a.event.time_ns > b.event.time_ns : a.sequence > b.sequence;
    }
  };
  void append(const Event& event);
  void flush_until(TimeNs time_ns);
  void pop_scheduled();

  std::uint64_t max_events_;
  bool keep_events_;
  std::uint64_t count_ = 0;
  std::vector<Event> events_;
  Digest digest_;
  std::vector<Scheduled> scheduled_;  // a heap
  std::uint64_t scheduled_sequence_ = 0;
};

}  // namespace ptosim::simcore

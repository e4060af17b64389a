#include "simcore/event_log.h"

#include <algorithm>

namespace ptosim::simcore {

std::string_view to_string(EventKind kind) {
  switch (kind) {
    case EventKind::submit: return "submit";
    case EventKind::publish: return "publish";
    case EventKind::ready: return "ready";
    case EventKind::dispatch: return "dispatch";
    case EventKind::start: return "start";
    case EventKind::finish: return "finish";
    case EventKind::complete: return "complete";
    case EventKind::consumed: return "consumed";
    case EventKind::scope_begin: return "scope_begin";
    case EventKind::scope_end: return "scope_end";
    case EventKind::blocked: return "blocked";
    case EventKind::unblocked: return "unblocked";
    case EventKind::detector: return "detector";
    case EventKind::error: return "error";
  }
  return "unknown";
}

void EventLog::record(EventKind kind, TimeNs time_ns, std::uint64_t subject, std::uint32_t lane, std::int64_t detail) {
  flush_until(time_ns);
  append(Event{time_ns, subject, detail, lane, kind});
}

void EventLog::record_at(EventKind kind, TimeNs time_ns, std::uint64_t subject, std::uint32_t lane, std::int64_t detail) {
  scheduled_.push_back(Scheduled{Event{time_ns, subject, detail, lane, kind}, scheduled_sequence_++});
  std::push_heap(scheduled_.begin(), scheduled_.end(), Later{});
}

void EventLog::pop_scheduled() {
  std::pop_heap(scheduled_.begin(), scheduled_.end(), Later{});
  scheduled_.pop_back();
}

bool EventLog::finish(TimeNs end_ns) {
  bool within_budget = true;
  while (!scheduled_.empty() && scheduled_.front().event.time_ns <= end_ns) {
    if (count_ >= max_events_) {
      within_budget = false;
      break;
    }
    append(scheduled_.front().event);
    pop_scheduled();
  }
  scheduled_.clear();
  return within_budget;
}

void EventLog::flush_until(TimeNs time_ns) {
  while (!scheduled_.empty() && scheduled_.front().event.time_ns <= time_ns) {
    const Event event = scheduled_.front().event;
    pop_scheduled();
    append(event);
  }
}

void EventLog::append(const Event& event) {
  if (count_ >= max_events_) {
    throw RunLimitReached("event budget of " + std::to_string(max_events_) +
                          " events exhausted (runtime.limits.max_events)");
  }
  ++count_;
  if (keep_events_) events_.push_back(event);
  digest_.add(static_cast<std::uint64_t>(event.time_ns));
  digest_.add((static_cast<std::uint64_t>(event.kind) << 32) | event.lane);
  digest_.add(event.subject);
  digest_.add(static_cast<std::uint64_t>(event.detail));
}

}  // namespace ptosim::simcore

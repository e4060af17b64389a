#include "simcore/event_log.h"

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
  scheduled_.emplace(std::make_pair(time_ns, scheduled_sequence_++), Event{time_ns, subject, detail, lane, kind});
}

bool EventLog::finish(TimeNs end_ns) {
  bool within_budget = true;
  while (!scheduled_.empty() && scheduled_.begin()->first.first <= end_ns) {
    if (events_.size() >= max_events_) {
      within_budget = false;
      break;
    }
    append(scheduled_.begin()->second);
    scheduled_.erase(scheduled_.begin());
  }
  scheduled_.clear();
  return within_budget;
}

void EventLog::flush_until(TimeNs time_ns) {
  while (!scheduled_.empty() && scheduled_.begin()->first.first <= time_ns) {
    const Event event = scheduled_.begin()->second;
    scheduled_.erase(scheduled_.begin());
    append(event);
  }
}

void EventLog::append(const Event& event) {
  if (events_.size() >= max_events_) {
    throw RunLimitReached("event budget of " + std::to_string(max_events_) +
                          " events exhausted (runtime.limits.max_events)");
  }
  events_.push_back(event);
  digest_.add(static_cast<std::uint64_t>(event.time_ns));
  digest_.add((static_cast<std::uint64_t>(event.kind) << 32) | event.lane);
  digest_.add(event.subject);
  digest_.add(static_cast<std::uint64_t>(event.detail));
}

}  // namespace ptosim::simcore

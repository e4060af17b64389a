#include "runtime/run_timing.h"

#include "simcore/model_assert.h"

#include <algorithm>

namespace ptosim::runtime {

RunTiming::RunTiming(int scheduler_threads, int rings)
    : threads_(static_cast<std::size_t>(scheduler_threads)), rings_(static_cast<std::size_t>(rings)) {}

void RunTiming::orchestration_done(TimeNs at_ns) { orchestration_done_ns_ = at_ns; }

void RunTiming::thread_busy(int thread, TimeNs from_ns, TimeNs until_ns) {
  ThreadBooks& books = threads_.at(static_cast<std::size_t>(thread));
  // A thread is busy with one thing at a time: a stretch starts when the previous one ended.
  PTOSIM_ASSERT(from_ns >= books.busy_until_ns, "scheduler thread busy twice at once");
  if (until_ns <= from_ns) return;
  books.busy_ns = add_ns(books.busy_ns, until_ns - from_ns);
  books.busy_until_ns = until_ns;
}

void RunTiming::orchestrator_blocked(int ring, int resource, TimeNs from_ns, TimeNs until_ns) {
  TimeNs& blocked = rings_.at(static_cast<std::size_t>(ring)).blocked_ns.at(static_cast<std::size_t>(resource));
  if (until_ns > from_ns) blocked = add_ns(blocked, until_ns - from_ns);
}

void RunTiming::ring_occupancy(int ring, std::uint32_t tasks_in_flight, std::uint64_t heap_bytes,
                               std::uint64_t dep_pool_entries) {
  RingTiming& r = rings_.at(static_cast<std::size_t>(ring));
  r.peak_tasks_in_flight = std::max(r.peak_tasks_in_flight, tasks_in_flight);
  r.peak_heap_bytes = std::max(r.peak_heap_bytes, heap_bytes);
  r.peak_dep_pool_entries = std::max(r.peak_dep_pool_entries, dep_pool_entries);
}

void RunTiming::dep_pool_live(int ring, std::uint64_t live_entries) {
  RingTiming& r = rings_.at(static_cast<std::size_t>(ring));
  r.peak_dep_pool_live = std::max(r.peak_dep_pool_live, live_entries);
}

void RunTiming::ring_capacity(int ring, std::uint32_t task_window, std::uint64_t heap_bytes,
                              std::uint64_t dep_pool_entries) {
  RingTiming& r = rings_.at(static_cast<std::size_t>(ring));
  r.task_window = task_window;
  r.heap_bytes = heap_bytes;
  r.dep_pool_entries = dep_pool_entries;
}

void RunTiming::sync_start_cohort(bool drained, TimeNs held_ns) {
  ++sync_start_cohorts_;
  if (!drained) return;
  ++sync_start_drains_;
  sync_start_drain_ns_ += held_ns;
}

TimingReport RunTiming::finish(TimeNs end_ns, std::vector<CoreTimingReport> cores) {
  TimingReport report;
  report.end_ns = end_ns;
  report.orchestration_done = orchestration_done_ns_ >= 0;
  report.orchestrator_ns = report.orchestration_done ? orchestration_done_ns_ : end_ns;
  for (const ThreadBooks& books : threads_) {
    const TimeNs past_end_ns = books.busy_until_ns > end_ns ? books.busy_until_ns - end_ns : 0;
    report.thread_busy_ns.push_back(books.busy_ns - std::min(past_end_ns, books.busy_ns));
  }
  report.cores = std::move(cores);
  report.rings = rings_;
  report.sync_start_cohorts = sync_start_cohorts_;
  report.sync_start_drains = sync_start_drains_;
  report.sync_start_drain_retries = sync_start_retries_;
  report.sync_start_drain_ns = sync_start_drain_ns_;
  return report;
}

}  // namespace ptosim::runtime

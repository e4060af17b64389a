#include "replay/chrome_trace.h"

#include "replay/report_json.h"
#include "runtime/run_report.h"

#include <map>
#include <sstream>

namespace ptosim::replay {

namespace {

using simcore::EventKind;

constexpr int AICPU_PID = 1;
constexpr int AICORE_PID = 2;

// Trace timestamps are microseconds; print integer nanoseconds exactly as "us.nnn".
std::string micros(TimeNs ns) {
  std::ostringstream out;
  out << ns / 1000 << "." << static_cast<char>('0' + (ns / 100) % 10) << static_cast<char>('0' + (ns / 10) % 10)
      << static_cast<char>('0' + ns % 10);
  return out.str();
}

class TraceWriter {
 public:
  void event(const std::string& body) {
    out_ << (first_ ? "\n  " : ",\n  ") << "{" << body << "}";
    first_ = false;
  }
  std::string finish() { return "{\"displayTimeUnit\": \"ns\", \"traceEvents\": [" + out_.str() + "\n]}\n"; }

 private:
  std::ostringstream out_;
  bool first_ = true;
};

std::string quoted(const std::string& text) { return json_text(Json(text)); }

}  // namespace

std::string chrome_trace_json(const RunArtifacts& artifacts, const runtime::ModelInput& model) {
  TraceWriter trace;
  const auto& lanes = artifacts.lanes;
  trace.event("\"ph\": \"M\", \"pid\": 1, \"name\": \"process_name\", \"args\": {\"name\": \"AICPU\"}");
  trace.event("\"ph\": \"M\", \"pid\": 2, \"name\": \"process_name\", \"args\": {\"name\": \"AICore\"}");
  for (std::size_t lane = 0; lane < lanes.size(); ++lane) {
    std::ostringstream body;
    body << "\"ph\": \"M\", \"pid\": " << (lanes[lane].is_core ? AICORE_PID : AICPU_PID) << ", \"tid\": " << lane
         << ", \"name\": \"thread_name\", \"args\": {\"name\": " << quoted(lanes[lane].name) << "}";
    trace.event(body.str());
  }
  auto task_name = [&](std::uint64_t ordinal) {
    return ordinal < model.program.tasks.size() ? model.program.task_name(static_cast<std::uint32_t>(ordinal))
                                                : "task " + std::to_string(ordinal);
  };
  // args of a task event: the ordinal (submission order) and the runtime's task id (ring << 32 | local id).
  auto task_args = [&](std::uint64_t ordinal) {
    std::ostringstream out;
    out << "{\"task\": " << ordinal;
    if (ordinal < artifacts.tasks.size()) {
      const runtime::TaskSummary& task = artifacts.tasks[ordinal];
      out << ", \"task_id\": " << ((static_cast<std::uint64_t>(task.ring) << 32) | task.local_id);
    }
    out << "}";
    return out.str();
  };
  auto pid_of = [&](std::uint32_t lane) { return lane < lanes.size() && lanes[lane].is_core ? AICORE_PID : AICPU_PID; };
  std::map<std::uint32_t, simcore::Event> open_kernels;  // core lane -> start
  std::map<std::uint32_t, simcore::Event> open_waits;    // orchestrator lane -> blocked
  auto instant = [&](const simcore::Event& e, std::uint32_t lane, const std::string& name) {
    std::ostringstream body;
    body << "\"ph\": \"i\", \"s\": \"t\", \"pid\": " << pid_of(lane) << ", \"tid\": " << lane << ", \"ts\": " << micros(e.time_ns)
         << ", \"name\": " << quoted(name) << ", \"args\": " << task_args(e.subject);
    trace.event(body.str());
  };
  for (const simcore::Event& e : artifacts.events) {
    switch (e.kind) {
      case EventKind::start: open_kernels[e.lane] = e; break;
      case EventKind::finish: {
        auto it = open_kernels.find(e.lane);
        if (it == open_kernels.end()) break;
        std::ostringstream body;
        body << "\"ph\": \"X\", \"pid\": " << AICORE_PID << ", \"tid\": " << e.lane << ", \"ts\": " << micros(it->second.time_ns)
             << ", \"dur\": " << micros(e.time_ns - it->second.time_ns) << ", \"name\": " << quoted(task_name(e.subject))
             << ", \"args\": " << task_args(e.subject);
        trace.event(body.str());
        open_kernels.erase(it);
        break;
      }
      case EventKind::dispatch:
        instant(e, static_cast<std::uint32_t>(e.detail), "dispatch " + task_name(e.subject) + " -> " + lanes.at(e.lane).name);
        break;
      case EventKind::complete: instant(e, e.lane, "complete " + task_name(e.subject)); break;
      case EventKind::submit: instant(e, e.lane, "submit " + task_name(e.subject)); break;
      case EventKind::blocked: open_waits[e.lane] = e; break;
      case EventKind::unblocked: {
        auto it = open_waits.find(e.lane);
        if (it == open_waits.end()) break;
        std::ostringstream body;
        body << "\"ph\": \"X\", \"pid\": " << AICPU_PID << ", \"tid\": " << e.lane << ", \"ts\": " << micros(it->second.time_ns)
             << ", \"dur\": " << micros(e.time_ns - it->second.time_ns) << ", \"name\": "
             << quoted(std::string("blocked on ") + runtime::to_string(static_cast<runtime::WaitResource>(e.detail)))
             << ", \"args\": " << task_args(e.subject);
        trace.event(body.str());
        open_waits.erase(it);
        break;
      }
      case EventKind::scope_begin:
      case EventKind::scope_end: {
        std::ostringstream body;
        body << "\"ph\": \"" << (e.kind == EventKind::scope_begin ? "B" : "E") << "\", \"pid\": " << AICPU_PID
             << ", \"tid\": " << e.lane << ", \"ts\": " << micros(e.time_ns) << ", \"name\": \"scope depth " << e.detail << "\"";
        trace.event(body.str());
        break;
      }
      case EventKind::detector:
      case EventKind::error: {
        std::ostringstream body;
        body << "\"ph\": \"i\", \"s\": \"g\", \"pid\": " << AICPU_PID << ", \"tid\": " << e.lane << ", \"ts\": " << micros(e.time_ns)
             << ", \"name\": " << quoted((e.kind == EventKind::detector ? "detector fired: code " : "runtime error: code ") + std::to_string(e.detail));
        trace.event(body.str());
        break;
      }
      case EventKind::publish:
      case EventKind::ready:
      case EventKind::consumed: break;
    }
  }
  return trace.finish();
}

}  // namespace ptosim::replay

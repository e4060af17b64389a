#include "replay/chrome_trace.h"

#include "replay/report_json.h"
#include "runtime/run_report.h"

#include <array>
#include <map>
#include <set>
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

// ------------------------------------------------------------------ micro-program lanes
//
// A core that ran a micro-program gets a process of its own ("<core> pipes") with a thread per
// pipe. Operations of one pipe start in order but may overlap, and a trace viewer needs slices
// of one thread to nest, so a pipe has as many rows as it has overlapping operations ("MTE3",
// "MTE3 #2", ...). Each burst of a store is a slice from its issue to its commit on the pipe's
// burst rows, with an instant at the commit. Flow arrows: set_flag -> the wait_flag it satisfied;
// store -> the commit of its last burst a load reads -> that load. Stale reads are red instants.

constexpr int PIPES_PID_BASE = 100;
constexpr std::size_t MAX_FLOWS = 4096;
constexpr std::uint64_t MAX_FLOW_COMPARISONS = 16'000'000;

struct SliceKey {
  std::uint32_t task = 0;
  std::uint32_t block = 0;
  std::uint32_t op = 0;
  std::uint32_t burst = hwmodel::NO_BURST;
  auto operator<=>(const SliceKey&) const = default;
};

struct Placed {
  int pid = 0;
  int tid = 0;
  TimeNs start_ns = 0;
  TimeNs end_ns = 0;
};

class ProgramTrace {
 public:
  ProgramTrace(TraceWriter& trace, const RunArtifacts& artifacts, const runtime::ModelInput& model)
      : trace_(trace), artifacts_(artifacts), model_(model), task_ops_(runtime::task_op_index(model.program)) {}

  void write() {
    if (artifacts_.slices.empty()) return;
    for (const hwmodel::PipeSlice& slice : artifacts_.slices) place(slice);
    name_lanes();
    signal_flows();
    store_load_flows();
    stale_reads();
  }

 private:
  // The row of a pipe (or of its bursts) where [start, end) fits after what is already there.
  int row_for(std::uint32_t core, int lane, TimeNs start, TimeNs end) {
    std::vector<TimeNs>& rows = rows_[{core, lane}];
    for (std::size_t r = 0; r < rows.size(); ++r) {
      if (rows[r] <= start) {
        rows[r] = end;
        return lane * 16 + static_cast<int>(r < 15 ? r : 15);
      }
    }
    rows.push_back(end);
    const std::size_t r = rows.size() - 1;
    return lane * 16 + static_cast<int>(r < 15 ? r : 15);
  }

  void place(const hwmodel::PipeSlice& slice) {
    const bool burst = slice.burst != hwmodel::NO_BURST;
    const int lane = burst ? hwmodel::PIPE_COUNT : static_cast<int>(slice.pipe);
    const int pid = PIPES_PID_BASE + static_cast<int>(slice.core);
    const int tid = row_for(slice.core, lane, slice.start_ns, slice.end_ns);
    cores_.insert(slice.core);
    placed_[SliceKey{slice.task, slice.block, slice.op, slice.burst}] = Placed{pid, tid, slice.start_ns, slice.end_ns};
    const std::string name = operation_name(slice);
    std::ostringstream body;
    body << "\"pid\": " << pid << ", \"tid\": " << tid << ", \"ts\": " << micros(slice.start_ns) << ", \"name\": " << quoted(name)
         << ", \"args\": {\"task\": " << slice.task << ", \"block\": " << slice.block << ", \"statement\": "
         << quoted(statement_of(slice.task, slice.block, slice.op)) << "}";
    if (slice.end_ns == TIME_NEVER) {
      // The pipe stopped here for good (a wedged core): a slice that never closes.
      trace_.event("\"ph\": \"B\", " + body.str());
      return;
    }
    trace_.event("\"ph\": \"X\", \"dur\": " + micros(slice.end_ns - slice.start_ns) + ", " + body.str());
    if (burst) {
      std::ostringstream commit;
      commit << "\"ph\": \"i\", \"s\": \"t\", \"pid\": " << pid << ", \"tid\": " << tid << ", \"ts\": " << micros(slice.end_ns)
             << ", \"name\": \"commit\", \"args\": {\"task\": " << slice.task << ", \"block\": " << slice.block
             << ", \"burst\": " << slice.burst << "}";
      trace_.event(commit.str());
    }
  }

  std::string operation_name(const hwmodel::PipeSlice& slice) const {
    std::string name = hwmodel::to_string(slice.kind);
    if (slice.burst != hwmodel::NO_BURST) name += " burst " + std::to_string(slice.burst);
    name += " (" + task_name(slice.task) + " block " + std::to_string(slice.block) + ")";
    if (slice.end_ns == TIME_NEVER) name += ": stopped for good";
    return name;
  }

  std::string task_name(std::uint32_t task) const {
    return task < model_.program.tasks.size() ? model_.program.task_name(task) : "task " + std::to_string(task);
  }

  const hwmodel::KernelProgram* program_of(std::uint32_t task) const {
    if (task >= task_ops_.size() || task_ops_[task] == runtime::NO_INDEX) return nullptr;
    const runtime::ProgramOp& op = model_.program.ops[task_ops_[task]];
    return model_.kernels.at(op.kernel).program.get();
  }

  std::string statement_of(std::uint32_t task, std::uint32_t block, std::uint32_t op) const {
    const hwmodel::KernelProgram* program = program_of(task);
    if (program == nullptr || block >= program->blocks.size() || op >= program->blocks[block].size()) return "";
    return program->origins.at(program->blocks[block][op].origin);
  }

  // The op index of each load (or store) of a block, by its number in program order.
  std::vector<std::uint32_t> ops_by_number(std::uint32_t task, std::uint32_t block, bool stores) const {
    std::vector<std::uint32_t> out;
    const hwmodel::KernelProgram* program = program_of(task);
    if (program == nullptr || block >= program->blocks.size()) return out;
    const std::vector<hwmodel::MicroOp>& ops = program->blocks[block];
    for (std::uint32_t i = 0; i < ops.size(); ++i) {
      const hwmodel::MicroOpKind kind = ops[i].kind;
      const bool store = kind == hwmodel::MicroOpKind::tstore || kind == hwmodel::MicroOpKind::scalar_store;
      const bool load = kind == hwmodel::MicroOpKind::tload || kind == hwmodel::MicroOpKind::scalar_load;
      if (stores ? store : load) out.push_back(i);
    }
    return out;
  }

  void name_lanes() {
    std::map<int, std::string> lane_names;
    for (std::uint32_t core : cores_) {
      const int pid = PIPES_PID_BASE + static_cast<int>(core);
      const std::size_t lane = first_core_lane() + core;
      const std::string core_name = lane < artifacts_.lanes.size() ? artifacts_.lanes[lane].name : "core " + std::to_string(core);
      trace_.event("\"ph\": \"M\", \"pid\": " + std::to_string(pid) + ", \"name\": \"process_name\", \"args\": {\"name\": " +
                   quoted(core_name + " pipes") + "}");
      for (const auto& [key, rows] : rows_) {
        if (key.first != core) continue;
        for (std::size_t r = 0; r < rows.size() && r < 16; ++r) {
          const std::string pipe = key.second == hwmodel::PIPE_COUNT
                                       ? std::string("MTE3 bursts")
                                       : std::string(hwmodel::to_string(static_cast<hwmodel::Pipe>(key.second)));
          const std::string name = pipe + (r == 0 ? "" : " #" + std::to_string(r + 1));
          trace_.event("\"ph\": \"M\", \"pid\": " + std::to_string(pid) + ", \"tid\": " + std::to_string(key.second * 16 + static_cast<int>(r)) +
                       ", \"name\": \"thread_name\", \"args\": {\"name\": " + quoted(name) + "}");
        }
      }
    }
  }

  std::size_t first_core_lane() const {
    for (std::size_t lane = 0; lane < artifacts_.lanes.size(); ++lane) {
      if (artifacts_.lanes[lane].is_core) return lane;
    }
    return artifacts_.lanes.size();
  }

  // One arrow through the given slices (at least two), each bound at time `at` within it.
  void flow(const std::string& name, const std::vector<std::pair<const Placed*, TimeNs>>& steps) {
    if (flows_ >= MAX_FLOWS) return;
    const std::size_t id = ++flows_;
    for (std::size_t i = 0; i < steps.size(); ++i) {
      const char* phase = i == 0 ? "s" : i + 1 == steps.size() ? "f" : "t";
      std::ostringstream body;
      body << "\"ph\": \"" << phase << "\", \"cat\": \"flow\", \"id\": " << id << ", \"pid\": " << steps[i].first->pid
           << ", \"tid\": " << steps[i].first->tid << ", \"ts\": " << micros(steps[i].second) << ", \"name\": " << quoted(name);
      if (i + 1 == steps.size()) body << ", \"bp\": \"e\"";
      trace_.event(body.str());
    }
  }

  // set_flag -> the wait_flag that consumed it; a cross-core set, block_set, barrier arrival or
  // notify -> the wait on another core it satisfied.
  void signal_flows() {
    for (const hwmodel::PipeSlice& slice : artifacts_.slices) {
      if (slice.peer == hwmodel::NO_OP || slice.end_ns == TIME_NEVER) continue;
      // A wait on another core names the task and list of its signal; a wait_flag its own.
      const std::uint32_t task = slice.peer_task == hwmodel::NO_OP ? slice.task : slice.peer_task;
      const std::uint32_t list = slice.peer_list == hwmodel::NO_OP ? slice.block : slice.peer_list;
      auto set = placed_.find(SliceKey{task, list, slice.peer, hwmodel::NO_BURST});
      auto wait = placed_.find(SliceKey{slice.task, slice.block, slice.op, hwmodel::NO_BURST});
      if (set == placed_.end() || wait == placed_.end()) continue;
      flow("signal", {{&set->second, set->second.start_ns}, {&wait->second, wait->second.end_ns}});
    }
  }

  void store_load_flows();
  void stale_reads();

  TraceWriter& trace_;
  const RunArtifacts& artifacts_;
  const runtime::ModelInput& model_;
  std::vector<std::uint32_t> task_ops_;
  std::map<std::pair<std::uint32_t, int>, std::vector<TimeNs>> rows_;  // (core, lane) -> end of each row
  std::map<SliceKey, Placed> placed_;
  std::set<std::uint32_t> cores_;
  std::size_t flows_ = 0;
};

// store -> the commit of its last burst that a load reads -> the load, one arrow per (store,
// load) pair whose bytes intersect.
void ProgramTrace::store_load_flows() {
  using hwmodel::ProgramAccess;
  using hwmodel::ProgramAccessKind;
  std::vector<const ProgramAccess*> commits;
  std::vector<const ProgramAccess*> loads;
  for (const ProgramAccess& access : artifacts_.program_accesses) {
    if (access.kind == ProgramAccessKind::commit) commits.push_back(&access);
    if (access.kind == ProgramAccessKind::load) loads.push_back(&access);
  }
  if (static_cast<std::uint64_t>(commits.size()) * loads.size() > MAX_FLOW_COMPARISONS) return;
  // (store task, block, store number, load task, block, load number) -> the latest commit read.
  std::map<std::array<std::uint32_t, 6>, const ProgramAccess*> pairs;
  for (const ProgramAccess* load : loads) {
    for (const ProgramAccess* commit : commits) {
      if (commit->end <= load->begin || load->end <= commit->begin) continue;
      const std::array<std::uint32_t, 6> key{commit->task, commit->block, commit->access, load->task, load->block, load->access};
      auto it = pairs.find(key);
      if (it == pairs.end() || it->second->time_ns < commit->time_ns) pairs[key] = commit;
    }
  }
  for (const auto& [key, commit] : pairs) {
    const std::vector<std::uint32_t> store_ops = ops_by_number(key[0], key[1], true);
    const std::vector<std::uint32_t> load_ops = ops_by_number(key[3], key[4], false);
    if (key[2] >= store_ops.size() || key[5] >= load_ops.size()) continue;
    auto store = placed_.find(SliceKey{key[0], key[1], store_ops[key[2]], hwmodel::NO_BURST});
    auto burst = placed_.find(SliceKey{key[0], key[1], store_ops[key[2]], commit->burst});
    auto load = placed_.find(SliceKey{key[3], key[4], load_ops[key[5]], hwmodel::NO_BURST});
    if (store == placed_.end() || burst == placed_.end() || load == placed_.end()) continue;
    flow("store -> commit -> load",
         {{&store->second, store->second.start_ns}, {&burst->second, burst->second.end_ns}, {&load->second, load->second.start_ns}});
  }
}

// Reads the data oracle found stale: a red instant on the load's row, at the burst's time.
void ProgramTrace::stale_reads() {
  for (const runtime::StaleRead& read : artifacts_.stale_reads) {
    const std::vector<std::uint32_t> load_ops = ops_by_number(read.task, read.block, false);
    if (read.read >= load_ops.size()) continue;
    auto load = placed_.find(SliceKey{read.task, read.block, load_ops[read.read], hwmodel::NO_BURST});
    if (load == placed_.end()) continue;
    std::ostringstream body;
    body << "\"ph\": \"i\", \"s\": \"t\", \"pid\": " << load->second.pid << ", \"tid\": " << load->second.tid
         << ", \"ts\": " << micros(read.time_ns) << ", \"cname\": \"terrible\", \"name\": "
         << quoted("stale read: row " + std::to_string(read.burst) + " (" + task_name(read.task) + " block " +
                   std::to_string(read.block) + ")")
         << ", \"args\": {\"statement\": " << quoted(statement_of(read.task, read.block, load_ops[read.read])) << "}";
    trace_.event(body.str());
  }
}

// ------------------------------------------------------------------ host-CPU lanes (a2a3sim)
//
// A process "host CPUs" with a thread per CPU: a slice per stretch in which one modelled thread
// held the CPU, named after it; a stretch the host scheduler computed as whole rounds of spinning
// threads is one "round-robin" slice whose args list its members and their on-CPU time.

constexpr int HOST_CPUS_PID = 3;

void write_host_lanes(TraceWriter& trace, const simcore::HostLanes& lanes) {
  if (lanes.cpus == 0) return;
  trace.event("\"ph\": \"M\", \"pid\": 3, \"name\": \"process_name\", \"args\": {\"name\": \"host CPUs\"}");
  for (int cpu = 0; cpu < lanes.cpus; ++cpu) {
    trace.event("\"ph\": \"M\", \"pid\": 3, \"tid\": " + std::to_string(cpu) +
                ", \"name\": \"thread_name\", \"args\": {\"name\": \"CPU " + std::to_string(cpu) + "\"}");
  }
  auto name_of = [&](int thread) {
    return thread >= 0 && static_cast<std::size_t>(thread) < lanes.thread_names.size()
               ? lanes.thread_names[static_cast<std::size_t>(thread)]
               : "thread " + std::to_string(thread);
  };
  for (const simcore::HostLaneSlice& slice : lanes.slices) {
    std::ostringstream body;
    body << "\"ph\": \"X\", \"pid\": " << HOST_CPUS_PID << ", \"tid\": " << slice.cpu << ", \"ts\": " << micros(slice.start_ns)
         << ", \"dur\": " << micros(slice.end_ns - slice.start_ns) << ", \"name\": ";
    if (slice.members.empty()) {
      body << quoted(name_of(slice.thread)) << ", \"args\": {\"thread\": " << quoted(name_of(slice.thread))
           << ", \"on_cpu_ns\": " << slice.end_ns - slice.start_ns << "}";
    } else {
      std::string names;
      std::ostringstream members;
      for (const simcore::HostRoundMember& member : slice.members) {
        names += (names.empty() ? "" : ", ") + name_of(member.thread);
        members << (members.tellp() == 0 ? "" : ", ") << "{\"thread\": " << quoted(name_of(member.thread))
                << ", \"iteration_ns\": " << member.iteration_ns << ", \"on_cpu_ns\": " << member.on_cpu_ns << "}";
      }
      body << quoted("round-robin: " + names + " (" + std::to_string(slice.rounds) + " rounds)")
           << ", \"args\": {\"rounds\": " << slice.rounds << ", \"members\": [" << members.str() << "]}";
    }
    trace.event(body.str());
  }
  if (lanes.truncated) {
    std::ostringstream body;
    body << "\"ph\": \"i\", \"s\": \"p\", \"pid\": " << HOST_CPUS_PID << ", \"tid\": 0, \"ts\": "
         << micros(lanes.truncated_at_ns) << ", \"name\": "
         << quoted("host CPU lanes stop here: cap of " + std::to_string(lanes.cap) + " entries reached")
         << ", \"args\": {\"cap\": " << lanes.cap << "}";
    trace.event(body.str());
  }
}

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
  // A kernel that started and never finished (a wedged core): a slice that never closes.
  for (const auto& [lane, start] : open_kernels) {
    std::ostringstream body;
    body << "\"ph\": \"B\", \"pid\": " << AICORE_PID << ", \"tid\": " << lane << ", \"ts\": " << micros(start.time_ns)
         << ", \"name\": " << quoted(task_name(start.subject) + " (never finished)") << ", \"args\": " << task_args(start.subject);
    trace.event(body.str());
  }
  ProgramTrace(trace, artifacts, model).write();
  write_host_lanes(trace, artifacts.host_lanes);
  return trace.finish();
}

}  // namespace ptosim::replay

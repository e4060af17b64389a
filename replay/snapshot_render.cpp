#include "replay/snapshot_render.h"

#include "simcore/plural.h"

#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/breadth_first_search.hpp>
#include <boost/graph/graphviz.hpp>

#include <algorithm>
#include <iomanip>
#include <map>
#include <set>
#include <sstream>

namespace ptosim::replay {

namespace {

using runtime::RingView;
using runtime::StateSnapshot;
using runtime::TaskView;

// The ring whose head matters: the one the orchestrator was blocked on, else the one holding
// the progress task, else the first ring with live tasks.
const RingView* head_ring(const StateSnapshot& snap) {
  if (snap.blocked_ring) {
    for (const RingView& ring : snap.rings) {
      if (ring.id == *snap.blocked_ring) return &ring;
    }
  }
  if (snap.progress_task) {
    for (const RingView& ring : snap.rings) {
      for (const TaskView& task : ring.tasks) {
        if (task.ordinal == *snap.progress_task) return &ring;
      }
    }
  }
  for (const RingView& ring : snap.rings) {
    if (!ring.tasks.empty()) return &ring;
  }
  return nullptr;
}

std::string cores_of(const TaskView& task) {
  std::string out;
  for (const std::string& core : task.cores) out += (out.empty() ? "" : ",") + core;
  return out.empty() ? "-" : out;
}

bool finished(const TaskView& task) { return task.state == "COMPLETED" || task.state == "CONSUMED"; }

std::string task_label(const TaskView& task) {
  std::ostringstream out;
  out << "task " << task.task_id << " '" << task.name << "' " << task.state << ", fanin " << task.fanin_refcount << "/"
      << task.fanin_count << ", consumers " << task.consumers_released << "/" << task.consumers_claimed;
  return out.str();
}

// Why a detector that fired was wrong, in terms of what the detector looks at.
std::string why_detector_was_wrong(const std::string& detector) {
  if (detector.find("spin limit") != std::string::npos) {
    return "it counts orchestrator spins without last_task_alive moving. Reclaim is in order and trails "
           "completion (releases are deferred to idle scheduler iterations), so a ring that drains slowly "
           "looks exactly like a stuck one for 100,000 spins";
  }
  if (detector.find("idle-iteration") != std::string::npos) {
    return "it counts one thread's idle iterations; a thread can idle while tasks it does not own make progress";
  }
  if (detector.find("backstop") != std::string::npos) {
    return "it fires after 500 ms without reclaim, which slow progress can take";
  }
  if (detector.find("watchdog") != std::string::npos) {
    return "it fires after a time without completions, which slow progress can take";
  }
  return "the state it judged hopeless changed later";
}

// Column widths of a task table: the name and kernel columns grow with the longest entry, so a
// long name never runs into the next column.
struct TableWidths {
  int name = 10;
  int kernel = 8;
};

std::string kernel_column(const TaskView& task) { return task.kernel.empty() ? "(" + task.kind + ")" : task.kernel; }

void widen_for(TableWidths& widths, const TaskView& task) {
  widths.name = std::max(widths.name, static_cast<int>(task.name.size()) + 2);
  widths.kernel = std::max(widths.kernel, static_cast<int>(kernel_column(task).size()) + 2);
}

void table_header(std::ostringstream& out, const TableWidths& widths) {
  out << "  " << std::left << std::setw(12) << "task" << std::setw(widths.name) << "name" << std::setw(16) << "state"
      << std::setw(7) << "fanin" << std::setw(11) << "consumers" << std::setw(7) << "scope" << std::setw(widths.kernel)
      << "kernel" << "core\n";
}

// A DOT string literal's content: quotes and backslashes escaped, line breaks as \n.
std::string dot_escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

const char* state_fill(const std::string& state) {
  return state == "CONSUMED"    ? "grey90"
         : state == "COMPLETED" ? "palegreen"
         : state == "RUNNING"   ? "lightskyblue"
         : state == "READY"     ? "gold"
                                : "white";
}

// The graph's title (the verdict) and a legend of the node colours and shapes, as DOT lines
// placed at the top of the graph.
std::string title_and_legend(const StateSnapshot& snap, const std::string& scope_note) {
  std::ostringstream out;
  std::string title = snap.detector + " fired at t=" + std::to_string(snap.time_ns) + " ns (" +
                      std::to_string(snap.error_code) + " " + snap.error_name + ")";
  if (!snap.outcome.empty()) title += "\nverdict: " + snap.outcome;
  if (snap.outcome == "deadlock_false") title += " - the detector was wrong";
  title += "\n" + scope_note;
  out << "label=\"" << dot_escape(title) << "\";\nlabelloc=t;\nfontsize=16;\n";
  out << "subgraph cluster_legend {\nlabel=\"legend\";\nfontsize=12;\nstyle=dashed;\n";
  const char* states[] = {"PENDING", "READY", "RUNNING", "COMPLETED", "CONSUMED"};
  for (const char* state : states) {
    out << "legend_" << state << " [shape=box, style=filled, fillcolor=" << state_fill(state) << ", label=\"" << state
        << "\"];\n";
  }
  out << "legend_progress [shape=box, style=filled, fillcolor=gold, penwidth=3, color=red, label=\"could make "
         "progress\"];\n";
  out << "legend_actor [shape=box, style=\"filled,rounded\", fillcolor=lightgrey, label=\"blocked actor\"];\n";
  out << "legend_PENDING -> legend_READY -> legend_RUNNING -> legend_COMPLETED -> legend_CONSUMED [style=invis];\n";
  out << "}\n";
  return out.str();
}

// deadlock_false: the orchestrator and the chain to the task that could make progress, nothing else.
std::string render_chain_dot(const StateSnapshot& snap, const std::vector<ChainLink>& chain) {
  std::ostringstream out;
  out << "digraph snapshot {\n"
      << title_and_legend(snap, "the chain from the blocked orchestrator to the task that could make progress");
  out << "node [shape=box];\n";
  out << "orchestrator [style=\"filled,rounded\", fillcolor=lightgrey, label=\"orchestrator\\nwaits on ring "
      << (snap.blocked_ring ? std::to_string(*snap.blocked_ring) : std::string("?")) << "\"];\n";
  for (const ChainLink& link : chain) {
    const TaskView& task = *link.task;
    out << "t" << task.ordinal << " [style=filled, fillcolor=" << state_fill(task.state)
        << (task.could_progress ? ", penwidth=3, color=red" : "") << ", label=\"" << task.task_id << "\\n"
        << dot_escape(task.name) << "\\n" << task.state << " fanin " << task.fanin_refcount << "/" << task.fanin_count
        << " consumers " << task.consumers_released << "/" << task.consumers_claimed << "\"];\n";
  }
  std::string from = "orchestrator";
  for (const ChainLink& link : chain) {
    const std::string to = "t" + std::to_string(link.task->ordinal);
    out << from << " -> " << to << " [label=\"" << dot_escape(link.relation) << "\"];\n";
    from = to;
  }
  out << "}\n";
  return out.str();
}

void task_row(std::ostringstream& out, const TaskView& task, const TableWidths& widths) {
  std::ostringstream state;
  state << task.state << " (" << task.state_number << ")";
  std::ostringstream fanin;
  fanin << task.fanin_refcount << "/" << task.fanin_count;
  std::ostringstream consumers;
  consumers << task.consumers_released << "/" << task.consumers_claimed;
  out << "  " << std::left << std::setw(12) << task.task_id << std::setw(widths.name) << task.name << std::setw(16)
      << state.str() << std::setw(7) << fanin.str() << std::setw(11) << consumers.str() << std::setw(7)
      << (std::to_string(task.scope_depth) + (task.scope_released ? "" : "*")) << std::setw(widths.kernel)
      << kernel_column(task) << cores_of(task);
  if (task.could_progress) out << "   <--- progress exists here";
  out << "\n";
}

}  // namespace

std::vector<ChainLink> progress_chain(const StateSnapshot& snap) {
  std::vector<ChainLink> chain;
  const RingView* ring = head_ring(snap);
  if (ring == nullptr || ring->tasks.empty() || !snap.progress_task) return chain;
  std::map<std::uint32_t, const TaskView*> by_ordinal;
  for (const RingView& r : snap.rings) {
    for (const TaskView& task : r.tasks) by_ordinal[task.ordinal] = &task;
  }
  // Breadth first over "waits for" from the head, so the chain is the shortest one.
  std::map<std::uint32_t, std::pair<std::uint32_t, std::string>> parent;  // ordinal -> (previous, relation)
  std::vector<std::uint32_t> frontier{ring->tasks.front().ordinal};
  parent[frontier.front()] = {frontier.front(), ""};
  for (std::size_t i = 0; i < frontier.size() && parent.count(*snap.progress_task) == 0; ++i) {
    const TaskView& task = *by_ordinal.at(frontier[i]);
    auto visit = [&](std::uint32_t next, const char* relation) {
      if (by_ordinal.count(next) == 0 || parent.count(next) != 0) return;
      parent[next] = {task.ordinal, relation};
      frontier.push_back(next);
    };
    if (!finished(task)) {
      for (std::uint32_t producer : task.producers) {
        if (by_ordinal.count(producer) != 0 && !finished(*by_ordinal.at(producer))) visit(producer, "waits for its producer");
      }
    } else if (task.consumers_released < task.consumers_claimed) {
      for (const auto& [ordinal, other] : by_ordinal) {
        if (other->state == "CONSUMED") continue;
        for (std::uint32_t producer : other->producers) {
          if (producer == task.ordinal) visit(ordinal, "is pinned by its consumer");
        }
      }
    }
  }
  if (parent.count(*snap.progress_task) == 0) return chain;
  for (std::uint32_t at = *snap.progress_task;;) {
    const auto& [previous, relation] = parent.at(at);
    chain.push_back(ChainLink{by_ordinal.at(at), relation});
    if (previous == at) break;
    at = previous;
  }
  std::reverse(chain.begin(), chain.end());
  chain.front().relation = "waits for ring " + std::to_string(ring->id) + "'s head";
  return chain;
}

std::vector<std::uint32_t> head_chain_tasks(const StateSnapshot& snap) {
  std::vector<std::uint32_t> ordinals;
  for (const ChainLink& link : progress_chain(snap)) ordinals.push_back(link.task->ordinal);
  if (!ordinals.empty()) return ordinals;
  const RingView* ring = head_ring(snap);
  if (ring == nullptr || ring->tasks.empty()) return ordinals;
  std::map<std::uint32_t, const TaskView*> by_ordinal;
  for (const RingView& r : snap.rings) {
    for (const TaskView& task : r.tasks) by_ordinal[task.ordinal] = &task;
  }
  std::set<std::uint32_t> seen;
  for (const TaskView* task = &ring->tasks.front(); task != nullptr && seen.insert(task->ordinal).second;) {
    ordinals.push_back(task->ordinal);
    const TaskView* next = nullptr;
    if (!finished(*task)) {
      for (std::uint32_t producer : task->producers) {
        auto it = by_ordinal.find(producer);
        if (it != by_ordinal.end() && !finished(*it->second)) {
          next = it->second;
          break;
        }
      }
    } else if (task->consumers_released < task->consumers_claimed) {
      for (const auto& [ordinal, other] : by_ordinal) {
        if (other->state == "CONSUMED") continue;
        if (std::find(other->producers.begin(), other->producers.end(), task->ordinal) != other->producers.end()) {
          next = other;
          break;
        }
      }
    }
    task = next;
  }
  return ordinals;
}

namespace {

std::string millis(TimeNs ns) {
  std::ostringstream out;
  out << std::fixed << std::setprecision(2) << static_cast<double>(ns) / 1e6 << " ms";
  return out.str();
}

// a2a3sim: the mechanism behind the false alarm. Every thread shares a few host CPUs, so a core
// running the chain's task, or the scheduler thread that would release it, waits off its CPU
// while the orchestrator spins on its own; the detector counts those spins as no progress.
void explain_off_cpu(std::ostringstream& out, const StateSnapshot& snap, const std::vector<ChainLink>& chain) {
  if (snap.host_threads.empty()) return;
  std::vector<const runtime::HostThreadView*> threads;
  for (const runtime::HostThreadView& thread : snap.host_threads) threads.push_back(&thread);
  std::stable_sort(threads.begin(), threads.end(),
                   [](const auto* a, const auto* b) { return a->off_cpu_ns > b->off_cpu_ns; });
  std::set<std::string> chain_cores;
  for (const ChainLink& link : chain) chain_cores.insert(link.task->cores.begin(), link.task->cores.end());
  const TimeNs worst_ns = threads.front()->off_cpu_ns;
  out << "On a2a3sim every thread and emulated core is a host thread sharing the host CPUs. ";
  if (worst_ns * 100 < snap.time_ns) {
    // Nobody waited for a CPU: the spins themselves were the clock that ran out.
    out << "No modelled thread waited off its host CPU for long on this run (at most " << millis(worst_ns)
        << " of " << millis(snap.time_ns) << "): the orchestrator's spins are cheap host loop iterations, so "
           "the spin limit ran out while the chain's task was still running, not because its core was "
           "starved.\n";
  } else {
    out << "The threads below waited off their host CPU (runnable, another thread held it) while the "
           "orchestrator spun on its own, and the detector counted those spins as no progress. Off-CPU "
           "time up to the firing (t=" << millis(snap.time_ns) << "):\n";
  }
  std::size_t shown = 0;
  for (const runtime::HostThreadView* thread : threads) {
    const bool on_chain = chain_cores.count(thread->name) != 0;
    if (!on_chain && (shown >= 5 || thread->off_cpu_ns == 0)) continue;
    out << "  " << thread->name << " on host CPU " << thread->cpu << ": off-CPU " << millis(thread->off_cpu_ns)
        << ", on-CPU " << millis(thread->on_cpu_ns) << (on_chain ? "   <--- runs a task of the chain" : "") << "\n";
    ++shown;
  }
  if (threads.size() > shown) out << "  (" << threads.size() - shown << " more threads: inspect --json lists host_threads)\n";
}

bool publishes_later(const StateSnapshot& snap) {
  for (const runtime::ScopeView& scope : snap.scopes) {
    if (scope.deferred_publish || scope.mode != "auto") return true;
  }
  return false;
}

}  // namespace

std::string render_snapshot_text(const StateSnapshot& snap, bool all_tasks) {
  std::ostringstream out;
  out << "ptosim snapshot at t=" << snap.time_ns << " ns: " << snap.detector << " fired\n";
  out << "runtime error " << snap.error_code << " " << snap.error_name << ", host code " << snap.host_code << "; completed "
      << snap.completed_tasks << " of the " << snap.total_tasks << " tasks submitted so far";
  if (snap.program_tasks > 0) out << " (the program has " << snap.program_tasks << ")";
  out << "; orchestration " << (snap.orchestration_done ? "done" : "not done") << "\n\n";
  const bool false_alarm = snap.outcome == "deadlock_false";
  if (!snap.outcome.empty()) {
    out << "verdict: " << snap.outcome << " - " << snap.verdict << "\n";
    for (const std::string& step : snap.wait_chain) out << "  - " << step << "\n";
    out << "\n";
  }
  if (false_alarm) {
    out << "The detector was wrong: this was a false alarm, not a deadlock. The " << snap.detector
        << " judged that no progress was possible, but " << why_detector_was_wrong(snap.detector) << ".\n";
    const std::vector<ChainLink> chain = progress_chain(snap);
    out << "Progress was possible along this chain:\n  orchestrator (blocked)\n";
    for (const ChainLink& link : chain) {
      out << "  -> " << link.relation << ": " << task_label(*link.task)
          << (link.task->could_progress ? "   <--- can make progress" : "") << "\n";
    }
    const RingView* blocked = head_ring(snap);
    if (chain.empty() && blocked != nullptr && blocked->scheduler_last_task_alive &&
        *blocked->scheduler_last_task_alive > blocked->last_task_alive) {
      // Nothing to run: the slots were reclaimed, only their publication was held back.
      out << "  -> ring " << blocked->id << "'s head was already reclaimed: the schedulers' last_task_alive is "
          << *blocked->scheduler_last_task_alive << ", the published one " << blocked->last_task_alive
          << "; batched publication held it back until a publication request was serviced\n";
    } else if (chain.empty()) {
      out << "  -> (the snapshot holds no path from the head to a task that could make progress)\n";
    }
    explain_off_cpu(out, snap, chain);
    out << "The runtime's report follows as it printed it; its Solution lines answer a real deadlock and do not "
           "apply here: the fix is the detector"
        << (publishes_later(snap) ? " (or when the scope publishes)" : "") << ", not a larger resource.\n\n";
  }
  std::istringstream message(snap.message);
  for (std::string line; std::getline(message, line);) {
    out << line;
    if (false_alarm && line.find("Solution:") != std::string::npos) out << "   [does not apply: false alarm]";
    out << "\n";
  }
  out << "\n";

  if (all_tasks) {
    for (const RingView& ring : snap.rings) {
      out << "Live tasks of ring " << ring.id << " (last_task_alive=" << ring.last_task_alive
          << ", current=" << ring.current_index << "):\n";
      TableWidths widths;
      for (const TaskView& task : ring.tasks) widen_for(widths, task);
      table_header(out, widths);
      for (const TaskView& task : ring.tasks) task_row(out, task, widths);
      if (ring.tasks_truncated) out << "  ... the snapshot kept only the first " << ring.tasks.size() << " live tasks\n";
    }
    out << "  fanin = refcount/count; consumers = released/claimed; scope* = scope bit not yet released\n\n";
  } else if (const RingView* ring = head_ring(snap)) {
    out << "Head snapshot (ring " << ring->id << ", last_task_alive=" << ring->last_task_alive
        << ", current=" << ring->current_index << "):\n";
    // Widths over the rows shown: the head rows and, when it is elsewhere, the progress task.
    TableWidths widths;
    for (std::size_t i = 0; i < ring->tasks.size() && i < HEAD_TABLE_ROWS; ++i) widen_for(widths, ring->tasks[i]);
    for (const RingView& other : snap.rings) {
      for (const TaskView& task : other.tasks) {
        if (snap.progress_task && task.ordinal == *snap.progress_task) widen_for(widths, task);
      }
    }
    table_header(out, widths);
    std::size_t shown = 0;
    bool marker_shown = false;
    for (const TaskView& task : ring->tasks) {
      if (shown >= HEAD_TABLE_ROWS) break;
      task_row(out, task, widths);
      marker_shown = marker_shown || task.could_progress;
      ++shown;
    }
    if (ring->tasks.size() > shown) out << "  ... " << simcore::count_noun(ring->tasks.size() - shown, "more live task")
                                                    << " on this ring (inspect --all lists every one)\n";
    if (!marker_shown && snap.progress_task) {
      for (const RingView& other : snap.rings) {
        for (const TaskView& task : other.tasks) {
          if (task.ordinal == *snap.progress_task) {
            out << "  (ring " << other.id << ")\n";
            task_row(out, task, widths);
          }
        }
      }
    }
    out << "  fanin = refcount/count; consumers = released/claimed; scope* = scope bit not yet released\n\n";
  }

  out << "Rings:\n";
  for (const RingView& ring : snap.rings) {
    const std::uint32_t active = ring.current_index - ring.last_task_alive;
    out << "  ring " << ring.id << ": current=" << ring.current_index << " last_task_alive=" << ring.last_task_alive
        << " active=" << active << "/" << ring.task_window << " (" << (100ULL * active / ring.task_window)
        << "%) heap used=" << ring.heap_used << "/" << ring.heap_size << " (top=" << ring.heap_top
        << " tail=" << ring.heap_tail << ") dep_pool used=" << ring.dep_pool_used << "/" << ring.dep_pool_capacity
        << (ring.tasks_truncated ? " [task list truncated]" : "") << "\n";
    if (ring.scheduler_last_task_alive) {
      // Batched publication: what the orchestrator reads can trail what the schedulers reclaimed.
      out << "    published last_task_alive=" << ring.last_task_alive
          << " scheduler last_task_alive=" << *ring.scheduler_last_task_alive;
      if (*ring.scheduler_last_task_alive != ring.last_task_alive) {
        out << " (" << (*ring.scheduler_last_task_alive - ring.last_task_alive)
            << " reclaimed slots not yet published)";
      }
      out << "\n";
    }
  }
  out << "\nScopes (outermost first):\n";
  for (const runtime::ScopeView& scope : snap.scopes) {
    out << "  depth " << scope.depth << " " << scope.mode << ": " << simcore::count_noun(scope.task_count, "task");
    if (scope.oldest_task_id) out << ", oldest task " << *scope.oldest_task_id;
    if (scope.deferred_publish) out << ", deferred publish with " << scope.unpublished << " unpublished";
    out << "\n";
  }
  out << "\nActors:\n";
  for (const runtime::ActorView& actor : snap.actors) {
    out << "  " << actor.name << ": " << actor.state;
    if (!actor.waits_for.empty()) out << " - " << actor.waits_for;
    out << "\n";
  }
  return out.str();
}

std::string render_snapshot_dot(const StateSnapshot& snap, int radius) {
  if (snap.outcome == "deadlock_false") {
    const std::vector<ChainLink> chain = progress_chain(snap);
    if (!chain.empty()) return render_chain_dot(snap, chain);
  }
  // One vertex per live task; edges producer -> consumer (WAIT).
  using Graph = boost::adjacency_list<boost::vecS, boost::vecS, boost::undirectedS>;
  std::vector<const TaskView*> tasks;
  std::map<std::uint32_t, std::size_t> vertex_of;
  for (const RingView& ring : snap.rings) {
    for (const TaskView& task : ring.tasks) {
      vertex_of[task.ordinal] = tasks.size();
      tasks.push_back(&task);
    }
  }
  Graph graph(tasks.size());
  std::vector<std::pair<std::size_t, std::size_t>> edges;
  for (const TaskView* task : tasks) {
    for (std::uint32_t producer : task->producers) {
      auto it = vertex_of.find(producer);
      if (it == vertex_of.end()) continue;
      boost::add_edge(it->second, vertex_of[task->ordinal], graph);
      edges.emplace_back(it->second, vertex_of[task->ordinal]);
    }
  }
  const RingView* ring = head_ring(snap);
  std::vector<int> distance(tasks.size(), -1);
  if (ring != nullptr && !ring->tasks.empty()) {
    const std::size_t head = vertex_of[ring->tasks.front().ordinal];
    std::vector<int> hops(tasks.size(), 0);
    std::vector<boost::default_color_type> color(tasks.size());
    boost::breadth_first_search(
        graph, head,
        boost::visitor(boost::make_bfs_visitor(boost::record_distances(hops.data(), boost::on_tree_edge())))
            .color_map(boost::make_iterator_property_map(color.data(), boost::get(boost::vertex_index, graph))));
    for (std::size_t v = 0; v < tasks.size(); ++v) {
      if (color[v] != boost::white_color) distance[v] = hops[v];
    }
  }
  auto selected = [&](std::size_t v) {
    return (distance[v] >= 0 && distance[v] <= radius) || tasks[v]->could_progress;
  };

  // The selected neighbourhood as a directed graph, written with boost::write_graphviz.
  using Directed = boost::adjacency_list<boost::vecS, boost::vecS, boost::directedS>;
  std::vector<std::size_t> members;
  std::map<std::size_t, std::size_t> local;
  for (std::size_t v = 0; v < tasks.size(); ++v) {
    if (!selected(v)) continue;
    local[v] = members.size();
    members.push_back(v);
  }
  const bool with_orchestrator = snap.blocked_ring.has_value() && ring != nullptr && !ring->tasks.empty();
  // The head's open scope (or its deferred publication) waits for the orchestrator: drawing it
  // closes the cycle of a true head-of-line deadlock.
  const TaskView* head_task = ring != nullptr && !ring->tasks.empty() ? &ring->tasks.front() : nullptr;
  const bool with_scope = with_orchestrator && head_task->state != "UNPUBLISHED" && !head_task->scope_released;
  const std::size_t orchestrator_vertex = members.size();
  const std::size_t scope_vertex = members.size() + 1;
  Directed neighbourhood(members.size() + (with_orchestrator ? 1 : 0) + (with_scope ? 1 : 0));
  for (const auto& [from, to] : edges) {
    if (local.count(from) != 0 && local.count(to) != 0) boost::add_edge(local[from], local[to], neighbourhood);
  }
  if (with_orchestrator) {
    const std::size_t head = local[vertex_of[head_task->ordinal]];
    boost::add_edge(orchestrator_vertex, head, neighbourhood);
    if (with_scope) {
      boost::add_edge(head, scope_vertex, neighbourhood);
      boost::add_edge(scope_vertex, orchestrator_vertex, neighbourhood);
    } else if (head_task->state == "UNPUBLISHED") {
      boost::add_edge(head, orchestrator_vertex, neighbourhood);
    }
  }

  auto vertex_writer = [&](std::ostream& out, std::size_t v) {
    if (with_orchestrator && v == orchestrator_vertex) {
      out << "[shape=box, style=\"filled,rounded\", fillcolor=lightgrey, label=\"orchestrator\\nwaits on ring " << *snap.blocked_ring
          << "\"]";
      return;
    }
    if (with_scope && v == scope_vertex) {
      out << "[shape=box, style=dashed, label=\"scope depth " << head_task->scope_depth << "\\nstill open\"]";
      return;
    }
    const TaskView& task = *tasks[members[v]];
    const char* fill = state_fill(task.state);
    out << "[style=filled, fillcolor=" << fill << (task.could_progress ? ", penwidth=3, color=red" : "") << ", label=\""
        << task.task_id << "\\n" << dot_escape(task.name) << "\\n" << task.state << " fanin " << task.fanin_refcount << "/"
        << task.fanin_count << "\"]";
  };
  auto edge_writer = [&](std::ostream& out, const boost::graph_traits<Directed>::edge_descriptor& e) {
    const std::size_t from = boost::source(e, neighbourhood);
    const std::size_t to = boost::target(e, neighbourhood);
    if (with_orchestrator && from == orchestrator_vertex) {
      out << "[style=dashed, label=\"waits for reclaim\"]";
    } else if (with_scope && to == scope_vertex) {
      out << "[style=dashed, label=\"scope bit held\"]";
    } else if (with_scope && from == scope_vertex) {
      out << "[style=dashed, label=\"ends after the wait\"]";
    } else if (with_orchestrator && to == orchestrator_vertex) {
      out << "[style=dashed, label=\"published at scope_end\"]";
    }
  };
  const std::string header =
      title_and_legend(snap, "live tasks within " + std::to_string(radius) + " dependency hops of the head");
  auto graph_writer = [&header](std::ostream& out) { out << header; };
  std::ostringstream out;
  boost::write_graphviz(out, neighbourhood, vertex_writer, edge_writer, graph_writer);
  return out.str();
}

}  // namespace ptosim::replay

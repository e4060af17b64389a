#include "replay/snapshot_render.h"

#include "simcore/plural.h"

#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/breadth_first_search.hpp>
#include <boost/graph/graphviz.hpp>

#include <iomanip>
#include <map>
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

void task_row(std::ostringstream& out, const TaskView& task) {
  std::ostringstream state;
  state << task.state << " (" << task.state_number << ")";
  std::ostringstream fanin;
  fanin << task.fanin_refcount << "/" << task.fanin_count;
  std::ostringstream consumers;
  consumers << task.consumers_released << "/" << task.consumers_claimed;
  out << "  " << std::left << std::setw(12) << task.task_id << std::setw(10) << task.name << std::setw(16) << state.str()
      << std::setw(7) << fanin.str() << std::setw(11) << consumers.str() << std::setw(7)
      << (std::to_string(task.scope_depth) + (task.scope_released ? "" : "*")) << std::setw(8)
      << (task.kernel.empty() ? "(" + task.kind + ")" : task.kernel) << cores_of(task);
  if (task.could_progress) out << "   <--- progress exists here";
  out << "\n";
}

}  // namespace

std::string render_snapshot_text(const StateSnapshot& snap) {
  std::ostringstream out;
  out << "ptosim snapshot at t=" << snap.time_ns << " ns: " << snap.detector << " fired\n";
  out << "runtime error " << snap.error_code << " " << snap.error_name << ", host code " << snap.host_code << "; completed "
      << snap.completed_tasks << "/" << snap.total_tasks << " tasks; orchestration "
      << (snap.orchestration_done ? "done" : "not done") << "\n\n";
  if (!snap.outcome.empty()) {
    out << "verdict: " << snap.outcome << " - " << snap.verdict << "\n";
    for (const std::string& step : snap.wait_chain) out << "  - " << step << "\n";
    out << "\n";
  }
  out << snap.message << (snap.message.empty() || snap.message.back() == '\n' ? "" : "\n") << "\n";

  if (const RingView* ring = head_ring(snap)) {
    out << "Head snapshot (ring " << ring->id << ", last_task_alive=" << ring->last_task_alive
        << ", current=" << ring->current_index << "):\n";
    out << "  " << std::left << std::setw(12) << "task" << std::setw(10) << "name" << std::setw(16) << "state"
        << std::setw(7) << "fanin" << std::setw(11) << "consumers" << std::setw(7) << "scope" << std::setw(8) << "kernel"
        << "core\n";
    std::size_t shown = 0;
    bool marker_shown = false;
    for (const TaskView& task : ring->tasks) {
      if (shown >= HEAD_TABLE_ROWS) break;
      task_row(out, task);
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
            task_row(out, task);
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
      out << "[shape=box, style=filled, fillcolor=lightgrey, label=\"orchestrator\\nwaits on ring " << *snap.blocked_ring
          << "\"]";
      return;
    }
    if (with_scope && v == scope_vertex) {
      out << "[shape=box, style=dashed, label=\"scope depth " << head_task->scope_depth << "\\nstill open\"]";
      return;
    }
    const TaskView& task = *tasks[members[v]];
    const char* fill = task.state == "CONSUMED"    ? "grey90"
                       : task.state == "COMPLETED" ? "palegreen"
                       : task.state == "RUNNING"   ? "lightskyblue"
                       : task.state == "READY"     ? "gold"
                                                   : "white";
    out << "[style=filled, fillcolor=" << fill << (task.could_progress ? ", penwidth=3, color=red" : "") << ", label=\""
        << task.task_id << "\\n" << task.name << "\\n" << task.state << " fanin " << task.fanin_refcount << "/"
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
  std::ostringstream out;
  boost::write_graphviz(out, neighbourhood, vertex_writer, edge_writer);
  return out.str();
}

}  // namespace ptosim::replay

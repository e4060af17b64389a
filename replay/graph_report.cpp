#include "replay/graph_report.h"

#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/graphviz.hpp>
#include <boost/graph/topological_sort.hpp>

#include <algorithm>
#include <iterator>
#include <map>
#include <set>
#include <sstream>

namespace ptosim::replay {

namespace {

struct EdgeInfo {
  runtime::EdgeSource source = runtime::EdgeSource::explicit_dep;
  bool missing = false;  // a race's missing edge (DOT only)
  std::string label;
};
using Graph = boost::adjacency_list<boost::vecS, boost::vecS, boost::bidirectionalS, boost::no_property, EdgeInfo>;
// The same graph for the statistics: an edge carries its source only (no label to construct).
using StatsGraph = boost::adjacency_list<boost::vecS, boost::vecS, boost::bidirectionalS, boost::no_property, runtime::EdgeSource,
                                         boost::no_property, boost::vecS>;

// Tasks as vertices (by ordinal), fanin edges producer -> consumer.
Graph to_boost(const runtime::TaskGraph& graph) {
  Graph g(graph.size());
  for (std::uint32_t task = 0; task < graph.size(); ++task) {
    for (const runtime::FaninEdge& edge : graph.edges(task)) {
      boost::add_edge(edge.producer, task, EdgeInfo{edge.source, false, {}}, g);
    }
  }
  return g;
}

StatsGraph to_stats_graph(const runtime::TaskGraph& graph) {
  StatsGraph g(graph.size());
  for (std::uint32_t task = 0; task < graph.size(); ++task) {
    for (const runtime::FaninEdge& edge : graph.edges(task)) boost::add_edge(edge.producer, task, edge.source, g);
  }
  return g;
}

// A DOT string; labels keep their "\n" line breaks (task names hold no backslash).
std::string dot_string(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '\\';
    out += c;
  }
  return out + "\"";
}

const simcore::Detail* field(const simcore::Finding& finding, const char* key, const char* inner) {
  const simcore::Detail* value = finding.details.find(key);
  return value != nullptr ? value->find(inner) : nullptr;
}

}  // namespace

GraphStats graph_stats(const runtime::Program& program, const std::vector<hwmodel::KernelSpec>& kernels,
                       const runtime::KernelCostTable& kernel_costs,
                       const runtime::TaskGraph& graph) {
  GraphStats stats;
  const StatsGraph g = to_stats_graph(graph);
  const std::vector<std::uint32_t> task_ops = runtime::task_op_index(program);
  std::vector<bool> in_graph(graph.size(), false);
  for (std::uint32_t task = 0; task < graph.size(); ++task) {
    in_graph[task] = graph.added(task);
    stats.tasks += in_graph[task] ? 1 : 0;
  }
  boost::graph_traits<StatsGraph>::edge_iterator e;
  boost::graph_traits<StatsGraph>::edge_iterator e_end;
  for (boost::tie(e, e_end) = boost::edges(g); e != e_end; ++e) {
    ++stats.edges;
    switch (g[*e]) {
      case runtime::EdgeSource::explicit_dep: ++stats.explicit_edges; break;
      case runtime::EdgeSource::creator: ++stats.creator_edges; break;
      case runtime::EdgeSource::tensormap: ++stats.tensormap_edges; break;
    }
  }
  // Submission order is topological; Boost's sort checks it (and would throw on a cycle).
  std::vector<std::size_t> reversed;
  boost::topological_sort(g, std::back_inserter(reversed));
  std::vector<std::uint32_t> level(graph.size(), 0);
  std::vector<TimeNs> finish(graph.size(), 0);
  std::vector<std::uint32_t> via(graph.size(), runtime::NO_INDEX);
  std::map<std::uint32_t, std::uint32_t> width;
  std::uint32_t heaviest = runtime::NO_INDEX;
  for (auto it = reversed.rbegin(); it != reversed.rend(); ++it) {
    const auto task = static_cast<std::uint32_t>(*it);
    if (!in_graph[task]) continue;
    boost::graph_traits<StatsGraph>::in_edge_iterator in;
    boost::graph_traits<StatsGraph>::in_edge_iterator in_end;
    for (boost::tie(in, in_end) = boost::in_edges(task, g); in != in_end; ++in) {
      const auto producer = static_cast<std::uint32_t>(boost::source(*in, g));
      level[task] = std::max(level[task], level[producer] + 1);
      if (via[task] == runtime::NO_INDEX || finish[producer] > finish[via[task]]) via[task] = producer;
    }
    const runtime::ProgramOp& op = program.ops[task_ops[task]];
    TimeNs weight = 0;
    if (op.kind == runtime::OpKind::submit) {
      const hwmodel::KernelSpec& kernel = kernels.at(op.kernel);
      runtime::DurationRange range{kernel.min_duration_ns, kernel.max_duration_ns};
      if (task < kernel_costs.first.size() && kernel_costs.first[task] != runtime::NO_INDEX) {
        range = kernel_costs.ranges[kernel_costs.first[task]];
      }
      weight = (range.min_ns + range.max_ns) / 2;
    }
    finish[task] = weight + (via[task] == runtime::NO_INDEX ? 0 : finish[via[task]]);
    ++width[level[task]];
    if (heaviest == runtime::NO_INDEX || finish[task] > finish[heaviest]) heaviest = task;
  }
  for (const auto& [depth, count] : width) {
    stats.depth = std::max(stats.depth, depth + 1);
    stats.max_width = std::max(stats.max_width, count);
  }
  for (std::uint32_t task = heaviest; task != runtime::NO_INDEX; task = via[task]) stats.critical_path.push_back(task);
  std::reverse(stats.critical_path.begin(), stats.critical_path.end());
  stats.critical_path_ns = heaviest == runtime::NO_INDEX ? 0 : finish[heaviest];
  return stats;
}

std::string render_graph_dot(const runtime::Program& program, const runtime::TaskGraph& graph, const RaceReport& races) {
  const Graph whole = to_boost(graph);
  // The tasks to draw: all of a small graph; on a big one each race's two tasks and their
  // direct producers and consumers.
  std::set<std::uint32_t> drawn;
  std::vector<std::pair<std::uint32_t, std::uint32_t>> missing;
  std::vector<std::string> missing_labels;
  for (const simcore::Finding& finding : races.findings) {
    const simcore::Detail* first = field(finding, "first", "ordinal");
    const simcore::Detail* second = field(finding, "second", "ordinal");
    if (first == nullptr || second == nullptr) continue;
    missing.emplace_back(static_cast<std::uint32_t>(first->as_integer()), static_cast<std::uint32_t>(second->as_integer()));
    const simcore::Detail* hazard = finding.details.find("hazard");
    const simcore::Detail* remedies = finding.details.find("remedies");
    std::string remedy = remedies != nullptr && !remedies->items().empty() ? remedies->items()[0].as_text() : "";
    remedy = remedy.substr(0, remedy.find(" ("));
    missing_labels.push_back("missing " + (hazard != nullptr ? hazard->as_text() : std::string("race")) + " edge\\n" + remedy);
  }
  const bool whole_graph = graph.size() <= DOT_WHOLE_GRAPH_TASKS;
  for (std::uint32_t task = 0; task < graph.size(); ++task) {
    if (whole_graph && graph.added(task)) drawn.insert(task);
  }
  if (!whole_graph) {
    for (const auto& [first, second] : missing) {
      for (std::uint32_t task : {first, second}) {
        drawn.insert(task);
        boost::graph_traits<Graph>::in_edge_iterator in;
        boost::graph_traits<Graph>::in_edge_iterator in_end;
        for (boost::tie(in, in_end) = boost::in_edges(task, whole); in != in_end; ++in) {
          drawn.insert(static_cast<std::uint32_t>(boost::source(*in, whole)));
        }
        boost::graph_traits<Graph>::out_edge_iterator out;
        boost::graph_traits<Graph>::out_edge_iterator out_end;
        for (boost::tie(out, out_end) = boost::out_edges(task, whole); out != out_end; ++out) {
          drawn.insert(static_cast<std::uint32_t>(boost::target(*out, whole)));
        }
      }
    }
  }
  std::map<std::uint32_t, std::size_t> local;
  std::vector<std::uint32_t> members(drawn.begin(), drawn.end());
  for (std::size_t v = 0; v < members.size(); ++v) local[members[v]] = v;
  Graph shown(members.size());
  for (std::uint32_t task : members) {
    boost::graph_traits<Graph>::in_edge_iterator in;
    boost::graph_traits<Graph>::in_edge_iterator in_end;
    for (boost::tie(in, in_end) = boost::in_edges(task, whole); in != in_end; ++in) {
      const auto producer = static_cast<std::uint32_t>(boost::source(*in, whole));
      if (local.count(producer) != 0) boost::add_edge(local[producer], local[task], whole[*in], shown);
    }
  }
  for (std::size_t m = 0; m < missing.size(); ++m) {
    boost::add_edge(local[missing[m].first], local[missing[m].second], EdgeInfo{runtime::EdgeSource::explicit_dep, true, missing_labels[m]},
                    shown);
  }
  const std::vector<std::uint32_t> task_ops = runtime::task_op_index(program);
  std::set<std::uint32_t> racy;
  for (const auto& [first, second] : missing) racy.insert({first, second});
  auto vertex_writer = [&](std::ostream& out, std::size_t v) {
    const std::uint32_t task = members[v];
    const runtime::ProgramOp& op = program.ops[task_ops[task]];
    const char* kind = op.kind == runtime::OpKind::alloc_tensors ? "alloc" : op.kind == runtime::OpKind::dummy ? "dummy" : "";
    std::string label = program.task_name(task) + "\\n#" + std::to_string(task);
    if (const std::string loops = program.task_loops(task); !loops.empty()) label += " " + loops;
    if (kind[0] != '\0') label += "\\n" + std::string(kind);
    out << "[shape=box, label=" << dot_string(label) << (racy.count(task) != 0 ? ", color=red, penwidth=2" : "")
        << (graph.manual(task) ? ", style=dashed" : "") << "]";
  };
  auto edge_writer = [&](std::ostream& out, const boost::graph_traits<Graph>::edge_descriptor& e) {
    const EdgeInfo& info = shown[e];
    if (info.missing) {
      out << "[color=red, style=dashed, fontcolor=red, constraint=false, label=" << dot_string(info.label) << "]";
      return;
    }
    out << "[label=" << dot_string(runtime::to_string(info.source)) << "]";
  };
  std::ostringstream out;
  if (!whole_graph) {
    out << "// " << graph.size() << " tasks: drawn are the neighbourhoods of " << missing.size()
        << " race(s) (each race's tasks with their direct producers and consumers)\n";
  }
  boost::write_graphviz(out, shown, vertex_writer, edge_writer);
  return out.str();
}

}  // namespace ptosim::replay

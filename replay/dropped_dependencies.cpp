#include "replay/dropped_dependencies.h"

#include <cstdint>
#include <string>

namespace ptosim::replay {

namespace {

using simcore::Detail;

// Listed writers per finding; the count says how many were dropped in all.
constexpr std::size_t LISTED_WRITERS = 16;

Detail task_detail(const runtime::Program& program, std::uint32_t task) {
  Detail detail = Detail::object();
  detail.set("name", Detail::text(program.task_name(task)));
  detail.set("ordinal", Detail::integer(task));
  detail.set("loops", Detail::text(program.task_loops(task)));
  return detail;
}

}  // namespace

void append_dropped_dependencies(const runtime::Program& program, const runtime::TaskGraph& graph,
                                 std::vector<simcore::Finding>& out) {
  const auto& dropped = graph.dropped();
  if (dropped.empty()) return;
  const std::vector<std::uint32_t> task_ops = runtime::task_op_index(program);
  for (std::size_t first = 0; first < dropped.size();) {
    // The hits of one lookup are consecutive: newest dropped writer first.
    std::size_t last = first;
    while (last < dropped.size() && dropped[last].consumer == dropped[first].consumer && dropped[last].arg == dropped[first].arg) {
      ++last;
    }
    const auto& head = dropped[first];
    const std::string tensor = runtime::tensor_name_of(program, task_ops, head.consumer, head.arg);
    simcore::Finding finding;
    finding.kind = simcore::FindingKind::dropped_dependency;
    finding.summary = "lookup cap dropped " + std::to_string(last - first) + " writer(s) of " + tensor + " from the fanin of '" +
                      program.task_name(head.consumer) + "' (newest dropped: '" + program.task_name(head.producer) +
                      "'): nothing orders them, a race waiting to happen";
    finding.details.set("hazard", Detail::text("lookup_cap"));
    finding.details.set("tensor", Detail::text(tensor));
    finding.details.set("arg", Detail::integer(head.arg));
    finding.details.set("dropped", Detail::integer(static_cast<std::int64_t>(last - first)));
    finding.details.set("first", task_detail(program, head.producer));
    finding.details.set("second", task_detail(program, head.consumer));
    Detail writers = Detail::list();
    for (std::size_t i = first; i < last && i < first + LISTED_WRITERS; ++i) writers.push(Detail::text(program.task_name(dropped[i].producer)));
    finding.details.set("writers", writers);
    finding.details.set("fix", Detail::text("a runtime without the cap (PR #669), deps on the dropped writers, or fewer "
                                            "overlapping writers per read (at most the cap)"));
    out.push_back(std::move(finding));
    first = last;
  }
}

}  // namespace ptosim::replay

#include "replay/race_detector.h"

#include "hwmodel/gm_layout.h"
#include "runtime/runtime_config.h"

#include <algorithm>
#include <map>
#include <set>

namespace ptosim::replay {

namespace {

using hwmodel::ElementRange;
using hwmodel::GmAccess;
using runtime::ArgKind;
using runtime::ArgSpec;
using runtime::NO_INDEX;
using runtime::OpKind;
using runtime::Program;
using runtime::ProgramOp;
using simcore::Detail;

// dst |= src << shift, bits beyond the window dropped.
void or_shifted(std::uint64_t* dst, const std::uint64_t* src, std::uint32_t shift, std::uint32_t words) {
  const std::uint32_t word_shift = shift / 64;
  const std::uint32_t bit_shift = shift % 64;
  for (std::uint32_t k = words; k-- > word_shift;) {
    std::uint64_t value = src[k - word_shift] << bit_shift;
    if (bit_shift != 0 && k - word_shift >= 1) value |= src[k - word_shift - 1] >> (64 - bit_shift);
    dst[k] |= value;
  }
}

struct Access {
  std::uint32_t task = 0;
  std::uint32_t arg = 0;
  GmAccess access = GmAccess::read;
};

// Per element range of one buffer: the last writer and the readers since (access indices). The
// readers are a list in a shared pool that only ever grows at the head, so a range split in two
// shares its list, and adding a reader to one half does not touch the other.
struct Shadow {
  std::int64_t end = 0;
  std::uint32_t writer = NO_INDEX;
  std::uint32_t readers = NO_INDEX;  // head of the list in Detector::reader_pool_
};
struct ReaderNode {
  std::uint32_t access = 0;
  std::uint32_t next = NO_INDEX;
};
using ShadowMap = std::map<std::int64_t, Shadow>;

// Makes `at` a segment boundary.
void split(ShadowMap& map, std::int64_t at) {
  auto it = map.upper_bound(at);
  if (it == map.begin()) return;
  --it;
  if (it->first < at && it->second.end > at) {
    const Shadow tail = it->second;
    it->second.end = at;
    map.emplace_hint(std::next(it), at, tail);
  }
}

enum class Hazard : std::uint8_t { raw, war, waw };
const char* to_string(Hazard hazard) {
  switch (hazard) {
    case Hazard::raw: return "RAW";
    case Hazard::war: return "WAR";
    case Hazard::waw: return "WAW";
  }
  return "?";
}

struct RacePair {
  std::uint32_t first = 0;   // access index (the earlier task)
  std::uint32_t second = 0;  // access index (the later task)
  Hazard hazard = Hazard::raw;
  ElementRange elements;     // first range where they meet
};

class Detector {
 public:
  Detector(const Program& program, const runtime::TaskGraph& graph)
      : program_(program), graph_(graph), task_ops_(runtime::task_op_index(program)), order_(graph) {}

  RaceReport run() {
    number_buffers();
    std::vector<ElementRange> runs;
    for (std::uint32_t task = 0; task < graph_.tasks.size(); ++task) {
      if (!graph_.tasks[task].added || task_ops_[task] == NO_INDEX) continue;
      const ProgramOp& op = program_.ops[task_ops_[task]];
      if (op.kind != OpKind::submit) continue;  // alloc and dummy tasks touch no memory
      // A task's reads come before its writes (INOUT: read, then write).
      for (int pass = 0; pass < 2; ++pass) {
        std::uint32_t output_index = 0;
        for (std::uint32_t arg = 0; arg < program_.args(op).size(); ++arg) {
          const ArgSpec& spec = program_.args(op)[arg];
          const std::uint32_t buffer = buffer_of(task, spec, output_index);
          output_index += spec.kind == ArgKind::output ? 1 : 0;
          const GmAccess access = runtime::access_of(spec.kind);
          const bool writing = pass == 1;
          if (writing ? !hwmodel::writes(access) : !hwmodel::reads(access)) continue;
          element_set(spec, runs);
          const auto id = static_cast<std::uint32_t>(accesses_.size());
          accesses_.push_back(Access{task, arg, access});
          for (const ElementRange& range : runs) {
            if (writing) {
              write(shadows_[buffer], id, range);
            } else {
              read(shadows_[buffer], id, range);
            }
          }
        }
      }
    }
    RaceReport report;
    report.races = pairs_.size();
    for (const RacePair& pair : pairs_) {
      if (report.findings.size() >= MAX_RACE_FINDINGS) break;
      report.findings.push_back(describe(pair));
    }
    report.reachability_queries = queries_;
    report.graph_walk_steps = order_.walk_steps();
    return report;
  }

 private:
  void number_buffers() {
    auto next = static_cast<std::uint32_t>(program_.externals.size());
    output_base_.assign(program_.task_count, 0);
    task_ids_.assign(program_.task_count, 0);
    std::vector<std::uint32_t> scopes{0};  // the executor's own scope
    std::uint32_t local_ids[runtime::MAX_RING_DEPTH] = {};
    for (const ProgramOp& op : program_.ops) {
      if (op.kind == OpKind::scope_begin) {
        scopes.push_back(0);
        continue;
      }
      if (op.kind == OpKind::scope_end) {
        scopes.pop_back();
        continue;
      }
      output_base_[op.task] = next;
      for (const ArgSpec& spec : program_.args(op)) next += spec.kind == ArgKind::output ? 1 : 0;
      // Ring by scope depth, local ids in submission order: the runtime's task id, timing-free.
      const std::size_t ring = std::min<std::size_t>(scopes.size() - 1, runtime::MAX_RING_DEPTH - 1);
      task_ids_[op.task] = (static_cast<std::uint64_t>(ring) << 32) | local_ids[ring]++;
    }
    shadows_.resize(next);
  }

  std::uint32_t buffer_of(std::uint32_t task, const ArgSpec& spec, std::uint32_t output_index) const {
    if (spec.kind == ArgKind::output) return output_base_[task] + output_index;
    const runtime::TensorSource source = spec.source();
    if (source.external != NO_INDEX) return source.external;
    return output_base_[source.task] + source.output;
  }

  void element_set(const ArgSpec& spec, std::vector<ElementRange>& runs) const {
    runs.clear();
    if (spec.rows == NO_INDEX) {
      hwmodel::append_runs(program_.layout(spec), runs);
      return;
    }
    for (std::int64_t row : program_.row_lists[spec.rows]) hwmodel::append_runs(hwmodel::select_row(program_.layout(spec), row), runs);
    hwmodel::normalize_ranges(runs);
  }

  bool unordered(std::uint32_t earlier_access, std::uint32_t later_access) {
    const std::uint32_t earlier = accesses_[earlier_access].task;
    const std::uint32_t later = accesses_[later_access].task;
    if (earlier == later) return false;
    ++queries_;
    return !order_.ordered(earlier, later);
  }

  void report(std::uint32_t first, std::uint32_t second, Hazard hazard, ElementRange range) {
    const auto key = std::make_pair(first, second);
    if (seen_.count(key) != 0) return;
    seen_.insert(key);
    pairs_.push_back(RacePair{first, second, hazard, range});
  }

  void read(ShadowMap& map, std::uint32_t id, const ElementRange& range) {
    split(map, range.begin);
    split(map, range.end);
    std::int64_t cursor = range.begin;
    auto it = map.lower_bound(range.begin);
    while (cursor < range.end) {
      if (it == map.end() || it->first > cursor) {
        const std::int64_t gap_end = it == map.end() ? range.end : std::min(range.end, it->first);
        map.emplace_hint(it, cursor, Shadow{gap_end, NO_INDEX, push_reader(NO_INDEX, id)});
        cursor = gap_end;
        continue;
      }
      Shadow& shadow = it->second;
      if (shadow.writer != NO_INDEX && unordered(shadow.writer, id)) {
        report(shadow.writer, id, Hazard::raw, ElementRange{it->first, shadow.end});
      }
      if (shadow.readers == NO_INDEX || accesses_[reader_pool_[shadow.readers].access].task != accesses_[id].task) {
        shadow.readers = push_reader(shadow.readers, id);
      }
      cursor = shadow.end;
      ++it;
    }
  }

  void write(ShadowMap& map, std::uint32_t id, const ElementRange& range) {
    split(map, range.begin);
    split(map, range.end);
    auto it = map.lower_bound(range.begin);
    while (it != map.end() && it->first < range.end) {
      const Shadow& shadow = it->second;
      for (std::uint32_t node = shadow.readers; node != NO_INDEX; node = reader_pool_[node].next) {
        const std::uint32_t reader = reader_pool_[node].access;
        if (unordered(reader, id)) report(reader, id, Hazard::war, ElementRange{it->first, shadow.end});
      }
      if (shadow.writer != NO_INDEX && unordered(shadow.writer, id)) {
        report(shadow.writer, id, Hazard::waw, ElementRange{it->first, shadow.end});
      }
      it = map.erase(it);
    }
    map.emplace_hint(it, range.begin, Shadow{range.end, id, NO_INDEX});
  }

  std::uint32_t push_reader(std::uint32_t head, std::uint32_t access) {
    reader_pool_.push_back(ReaderNode{access, head});
    return static_cast<std::uint32_t>(reader_pool_.size() - 1);
  }

  Detail describe_access(std::uint32_t access_index) const {
    const Access& access = accesses_[access_index];
    const ArgSpec& spec = program_.args(program_.ops[task_ops_[access.task]])[access.arg];
    const runtime::TensorLayout& layout = program_.layout(spec);
    Detail task = Detail::object();
    task.set("name", Detail::text(program_.task_name(access.task)));
    task.set("ordinal", Detail::integer(access.task));
    task.set("task_id", Detail::integer(static_cast<std::int64_t>(task_ids_[access.task])));
    task.set("loops", Detail::text(program_.task_loops(access.task)));
    task.set("arg", Detail::integer(access.arg));
    task.set("kind", Detail::text(runtime::to_string(spec.kind)));
    Detail view = Detail::object();
    view.set("tensor", Detail::text(runtime::tensor_name_of(program_, task_ops_, access.task, access.arg)));
    view.set("offset", Detail::integer(layout.start_offset));
    Detail shape = Detail::list();
    Detail strides = Detail::list();
    for (int d = 0; d < layout.ndims; ++d) {
      shape.push(Detail::integer(layout.shapes[d]));
      strides.push(Detail::integer(layout.strides[d]));
    }
    view.set("shape", shape);
    view.set("strides", strides);
    if (spec.rows != NO_INDEX) view.set("selected_rows", Detail::integer(static_cast<std::int64_t>(program_.row_lists[spec.rows].size())));
    task.set("view", view);
    return task;
  }

  std::string label(std::uint32_t task) const {
    const std::string loops = program_.task_loops(task);
    return "'" + program_.task_name(task) + "' (ordinal " + std::to_string(task) + (loops.empty() ? "" : ", " + loops) + ")";
  }

  // Both tasks in AUTO scopes and no manual_dep: INOUT on both orders them through the TensorMap.
  bool inout_can_order(const Access& a, const Access& b) const {
    for (const Access* access : {&a, &b}) {
      if (graph_.tasks[access->task].manual) return false;
      if (program_.layout(program_.args(program_.ops[task_ops_[access->task]])[access->arg]).manual_dep) return false;
    }
    return true;
  }

  simcore::Finding describe(const RacePair& pair) const {
    const Access& first = accesses_[pair.first];
    const Access& second = accesses_[pair.second];
    const std::string tensor = runtime::tensor_name_of(program_, task_ops_, first.task, first.arg);
    const std::string& first_name = program_.task_name(first.task);
    const std::string& second_name = program_.task_name(second.task);
    Detail remedies = Detail::list();
    remedies.push(Detail::text("deps=[" + first_name + "] on " + second_name + " (add_dep: orders exactly this pair)"));
    if (inout_can_order(first, second)) {
      remedies.push(Detail::text("inout on " + tensor + " in both " + first_name + " and " + second_name +
                                 " (the TensorMap then orders every access to it, serialising readers)"));
    }
    const char* verb_first = pair.hazard == Hazard::war ? "reads" : "writes";
    const char* verb_second = pair.hazard == Hazard::raw ? "reads" : "writes";
    simcore::Finding finding;
    finding.kind = simcore::FindingKind::race;
    finding.summary = std::string(to_string(pair.hazard)) + " race on " + tensor + " elements [" +
                      std::to_string(pair.elements.begin) + ", " + std::to_string(pair.elements.end) + "): " +
                      label(first.task) + " " + verb_first + " and " + label(second.task) + " " + verb_second +
                      ", unordered by the task graph; fix: deps=[" + first_name + "] on " + second_name +
                      (inout_can_order(first, second) ? ", or inout on both" : "");
    finding.details.set("hazard", Detail::text(to_string(pair.hazard)));
    finding.details.set("tensor", Detail::text(tensor));
    finding.details.set("elements", Detail::list().push(Detail::integer(pair.elements.begin)).push(Detail::integer(pair.elements.end)));
    finding.details.set("first", describe_access(pair.first));
    finding.details.set("second", describe_access(pair.second));
    finding.details.set("remedies", remedies);
    return finding;
  }

  const Program& program_;
  const runtime::TaskGraph& graph_;
  std::vector<std::uint32_t> task_ops_;
  HappensBefore order_;
  std::vector<std::uint32_t> output_base_;
  std::vector<std::uint64_t> task_ids_;
  std::vector<ShadowMap> shadows_;
  std::vector<Access> accesses_;
  std::vector<ReaderNode> reader_pool_;
  std::vector<RacePair> pairs_;
  std::set<std::pair<std::uint32_t, std::uint32_t>> seen_;
  std::uint64_t queries_ = 0;
};

}  // namespace

HappensBefore::HappensBefore(const runtime::TaskGraph& graph)
    : graph_(graph), ancestors_(graph.tasks.size() * WORDS, 0), visited_(graph.tasks.size(), 0) {
  for (std::uint32_t task = 0; task < graph.tasks.size(); ++task) {
    std::uint64_t* mine = &ancestors_[static_cast<std::size_t>(task) * WORDS];
    for (const runtime::FaninEdge& edge : graph.tasks[task].edges) {
      if (!edge.wait || edge.producer >= task) continue;
      const std::uint32_t distance = task - edge.producer;
      if (distance > REACH_WINDOW) continue;  // beyond the window: found by the backward walk
      mine[(distance - 1) / 64] |= std::uint64_t{1} << ((distance - 1) % 64);
      if (distance < REACH_WINDOW) or_shifted(mine, &ancestors_[static_cast<std::size_t>(edge.producer) * WORDS], distance, WORDS);
    }
  }
}

bool HappensBefore::window_bit(std::uint32_t task, std::uint32_t ancestor) const {
  const std::uint32_t distance = task - ancestor;
  return (ancestors_[static_cast<std::size_t>(task) * WORDS + (distance - 1) / 64] >> ((distance - 1) % 64) & 1U) != 0;
}

bool HappensBefore::ordered(std::uint32_t earlier, std::uint32_t later) {
  if (earlier >= later) return false;
  if (later - earlier <= REACH_WINDOW) return window_bit(later, earlier);
  // Walk backwards from `later`; every path to `earlier` stays between the two ordinals.
  if (++epoch_ == 0) {
    std::fill(visited_.begin(), visited_.end(), 0);
    epoch_ = 1;
  }
  stack_.assign(1, later);
  visited_[later] = epoch_;
  while (!stack_.empty()) {
    const std::uint32_t task = stack_.back();
    stack_.pop_back();
    for (const runtime::FaninEdge& edge : graph_.tasks[task].edges) {
      const std::uint32_t producer = edge.producer;
      if (!edge.wait || producer < earlier || visited_[producer] == epoch_) continue;
      if (producer == earlier) return true;
      visited_[producer] = epoch_;
      ++walk_steps_;
      if (producer - earlier <= REACH_WINDOW) {
        if (window_bit(producer, earlier)) return true;
        continue;
      }
      stack_.push_back(producer);
    }
  }
  return false;
}

RaceReport find_races(const runtime::Program& program, const runtime::TaskGraph& graph) {
  return Detector(program, graph).run();
}

}  // namespace ptosim::replay

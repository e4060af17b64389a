#include "replay/race_detector.h"

#include "hwmodel/gm_layout.h"
#include "hwmodel/range_map.h"
#include "runtime/runtime_config.h"
#include "simcore/model_assert.h"
#include "simcore/marks.h"

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
using runtime::TensorLayout;
using simcore::Detail;

// The layout an argument accesses (one place to change when arguments stop embedding it).

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

// One access of a task: an argument read or written (INOUT makes two, read then write).
struct Access {
  std::uint32_t task = NO_INDEX;
  std::uint16_t arg = 0;
  std::uint8_t write = 0;
  bool valid() const { return task != NO_INDEX; }
  std::uint64_t key() const { return (static_cast<std::uint64_t>(task) << 17) | (static_cast<std::uint64_t>(arg) << 1) | write; }
};

// Per element range of one buffer: the last writer and the readers since. The readers are a list
// in a shared pool that only ever grows at the head, so a range split in two shares its list, and
// adding a reader to one half does not touch the other.
struct Shadow {
  Access writer;
  std::uint32_t readers = NO_INDEX;  // head of the list in Detector::reader_pool_
};
struct ReaderNode {
  Access access;
  std::uint32_t next = NO_INDEX;
};
using ShadowMap = hwmodel::RangeMap<std::int64_t, Shadow>;

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
  Access first;   // the earlier task's access
  Access second;  // the later task's access
  Hazard hazard = Hazard::raw;
  ElementRange elements;  // first range where they meet
};

// The tasks that touch a buffer. Its accesses can race only when some task writes it and two of
// the tasks touching it are unordered; when each task touching it has a direct edge from the one
// before (a producer and its consumer, an INOUT accumulator's chain), all are ordered. Its shadow
// goes after its last task.
struct Touch {
  std::uint32_t last = NO_INDEX;
  bool written = false;
  bool chained = true;  // every task touching it has an edge from the previous one
  bool may_race() const { return written && !chained; }
};

class Detector {
 public:
  Detector(const Program& program, const runtime::TaskGraph& graph)
      : program_(program), graph_(graph), task_ops_(runtime::task_op_index(program)), order_(graph) {}

  RaceReport run() {
    number_buffers();
    std::vector<ElementRange> runs;
    for (std::uint32_t task = 0; task < graph_.size(); ++task) {
      if (!touches_memory(task)) continue;
      const ProgramOp& op = program_.ops[task_ops_[task]];
      if (!touches_racy_buffer(task, op)) continue;
      // A task's reads come before its writes (INOUT: read, then write).
      for (std::uint8_t pass = 0; pass < 2; ++pass) {
        std::uint32_t output_index = 0;
        for (std::uint32_t arg = 0; arg < program_.args(op).size(); ++arg) {
          const ArgSpec& spec = program_.args(op)[arg];
          const std::uint32_t buffer = buffer_of(task, spec, output_index);
          output_index += spec.kind == ArgKind::output ? 1 : 0;
          const GmAccess access = runtime::access_of(spec.kind);
          const bool writing = pass == 1;
          if (writing ? !hwmodel::writes(access) : !hwmodel::reads(access)) continue;
          if (!touch_[buffer].may_race()) continue;
          element_set(spec, runs);
          const Access id{task, static_cast<std::uint16_t>(arg), pass};
          ShadowMap& map = shadow_of(buffer);
          for (const ElementRange& range : runs) {
            if (writing) {
              write(map, id, range);
            } else {
              read(map, id, range);
            }
          }
        }
      }
      // Buffers no later task touches lose their shadow.
      for (std::uint32_t arg = 0, output_index = 0; arg < program_.args(op).size(); ++arg) {
        const ArgSpec& spec = program_.args(op)[arg];
        const std::uint32_t buffer = buffer_of(task, spec, output_index);
        output_index += spec.kind == ArgKind::output ? 1 : 0;
        if (touch_[buffer].last == task && slot_[buffer] != NO_INDEX) release(buffer);
      }
    }
    RaceReport report;
    report.races = pairs_.size();
    number_tasks();
    if (!pairs_.empty()) PTOSIM_MARK("race found");
    for (const RacePair& pair : pairs_) {
      if (report.findings.size() >= MAX_RACE_FINDINGS) {
        PTOSIM_MARK("race findings limit");
        break;
      }
      report.findings.push_back(describe(pair));
    }
    report.reachability_queries = queries_;
    report.graph_walk_steps = order_.walk_steps();
    return report;
  }

 private:
  bool touches_memory(std::uint32_t task) const {
    if (!graph_.added(task) || task_ops_[task] == NO_INDEX) return false;
    return program_.ops[task_ops_[task]].kind == OpKind::submit;  // alloc and dummy tasks touch no memory
  }

  // Logical buffers: the externals, then every task's outputs; and the tasks touching each.
  void number_buffers() {
    auto next = static_cast<std::uint32_t>(program_.externals.size());
    output_base_.assign(program_.task_count, 0);
    for (const ProgramOp& op : program_.ops) {
      if (!runtime::creates_task(op.kind)) continue;
      output_base_[op.task] = next;
      for (const ArgSpec& spec : program_.args(op)) next += spec.kind == ArgKind::output ? 1 : 0;
    }
    touch_.assign(next, Touch{});
    slot_.assign(next, NO_INDEX);
    for (std::uint32_t task = 0; task < graph_.size(); ++task) {
      if (!touches_memory(task)) continue;
      const ProgramOp& op = program_.ops[task_ops_[task]];
      std::uint32_t output_index = 0;
      for (const ArgSpec& spec : program_.args(op)) {
        Touch& touch = touch_[buffer_of(task, spec, output_index)];
        output_index += spec.kind == ArgKind::output ? 1 : 0;
        if (touch.last != NO_INDEX && touch.last != task) touch.chained = touch.chained && has_edge(touch.last, task);
        touch.last = task;
        touch.written = touch.written || hwmodel::writes(runtime::access_of(spec.kind));
      }
    }
  }

  bool touches_racy_buffer(std::uint32_t task, const ProgramOp& op) const {
    std::uint32_t output_index = 0;
    for (const ArgSpec& spec : program_.args(op)) {
      const std::uint32_t buffer = buffer_of(task, spec, output_index);
      output_index += spec.kind == ArgKind::output ? 1 : 0;
      if (touch_[buffer].may_race()) return true;
    }
    return false;
  }

  bool has_edge(std::uint32_t producer, std::uint32_t consumer) const {
    for (const runtime::FaninEdge& edge : graph_.edges(consumer)) {
      if (edge.wait && edge.producer == producer) return true;
    }
    return false;
  }

  // The runtime's task id of every reported task: ring by scope depth, local ids in submission
  // order (timing-free).
  void number_tasks() {
    std::set<std::uint32_t> wanted;
    for (std::size_t p = 0; p < pairs_.size() && p < MAX_RACE_FINDINGS; ++p) wanted.insert({pairs_[p].first.task, pairs_[p].second.task});
    if (wanted.empty()) return;
    std::size_t depth = 0;  // the executor's own scope is depth 0
    std::uint32_t local_ids[runtime::MAX_RING_DEPTH] = {};
    for (const ProgramOp& op : program_.ops) {
      if (op.kind == OpKind::scope_begin) {
        ++depth;
        continue;
      }
      if (op.kind == OpKind::scope_end) {
        --depth;
        continue;
      }
      if (!runtime::creates_task(op.kind)) continue;
      const std::size_t ring = std::min<std::size_t>(depth, runtime::MAX_RING_DEPTH - 1);
      const std::uint32_t local = local_ids[ring]++;
      if (wanted.count(op.task) != 0) task_ids_[op.task] = (static_cast<std::uint64_t>(ring) << 32) | local;
    }
  }

  std::uint32_t buffer_of(std::uint32_t task, const ArgSpec& spec, std::uint32_t output_index) const {
    if (spec.kind == ArgKind::output) return output_base_[task] + output_index;
    const runtime::TensorSource source = spec.source();
    if (source.external != NO_INDEX) return source.external;
    return output_base_[source.task] + source.output;
  }

  ShadowMap& shadow_of(std::uint32_t buffer) {
    if (slot_[buffer] == NO_INDEX) {
      if (free_slots_.empty()) {
        free_slots_.push_back(static_cast<std::uint32_t>(shadows_.size()));
        shadows_.emplace_back();
      }
      slot_[buffer] = free_slots_.back();
      free_slots_.pop_back();
    }
    return shadows_[slot_[buffer]];
  }

  void release(std::uint32_t buffer) {
    shadows_[slot_[buffer]].clear();
    free_slots_.push_back(slot_[buffer]);
    slot_[buffer] = NO_INDEX;
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

  bool unordered(const Access& earlier, const Access& later) {
    if (earlier.task == later.task) return false;
    ++queries_;
    return !order_.ordered(earlier.task, later.task);
  }

  void report(const Access& first, const Access& second, Hazard hazard, ElementRange range) {
    if (!seen_.insert({first.key(), second.key()}).second) return;
    pairs_.push_back(RacePair{first, second, hazard, range});
  }

  // Cuts the range at `cursor` at `at` (inside it); returns the cursor of its first part.
  static ShadowMap::Cursor cut(ShadowMap& map, ShadowMap::Cursor cursor, std::int64_t at) {
    const ShadowMap::Range tail{at, map[cursor].end, map[cursor].payload};
    map[cursor].end = at;
    return map.previous(map.insert(map.next(cursor), tail));
  }

  // The ranges a read or write meets are cut at its bounds first (the ranges reported are those
  // pieces), gaps become ranges of their own.
  void read(ShadowMap& map, const Access& id, const ElementRange& range) {
    auto cursor = map.find(range.begin);
    if (map.valid(cursor) && map[cursor].begin < range.begin) cursor = map.next(cut(map, cursor, range.begin));
    std::int64_t cursor_element = range.begin;
    while (cursor_element < range.end) {
      if (!map.valid(cursor) || map[cursor].begin > cursor_element) {
        const std::int64_t gap_end = !map.valid(cursor) ? range.end : std::min(range.end, map[cursor].begin);
        cursor = map.next(map.insert(cursor, ShadowMap::Range{cursor_element, gap_end, Shadow{Access{}, push_reader(NO_INDEX, id)}}));
        cursor_element = gap_end;
        continue;
      }
      if (map[cursor].end > range.end) cursor = cut(map, cursor, range.end);
      Shadow& shadow = map[cursor].payload;
      if (shadow.writer.valid() && unordered(shadow.writer, id)) {
        report(shadow.writer, id, Hazard::raw, ElementRange{map[cursor].begin, map[cursor].end});
      }
      if (shadow.readers == NO_INDEX || reader_pool_[shadow.readers].access.task != id.task) {
        shadow.readers = push_reader(shadow.readers, id);
      }
      cursor_element = map[cursor].end;
      cursor = map.next(cursor);
    }
  }

  void write(ShadowMap& map, const Access& id, const ElementRange& range) {
    // Cut at the end, then at the start: the loop below only erases, so `kept` stays valid.
    const auto last = map.find(range.end - 1);
    if (map.valid(last) && map[last].begin < range.end && map[last].end > range.end) cut(map, last, range.end);
    auto cursor = map.find(range.begin);
    if (map.valid(cursor) && map[cursor].begin < range.begin) cursor = map.next(cut(map, cursor, range.begin));
    // The first range met becomes the written one; the others go.
    ShadowMap::Cursor kept{};
    bool keeping = false;
    while (map.valid(cursor) && map[cursor].begin < range.end) {
      const ShadowMap::Range& shadow = map[cursor];
      for (std::uint32_t node = shadow.payload.readers; node != NO_INDEX; node = reader_pool_[node].next) {
        const Access reader = reader_pool_[node].access;
        if (unordered(reader, id)) report(reader, id, Hazard::war, ElementRange{shadow.begin, shadow.end});
      }
      if (shadow.payload.writer.valid() && unordered(shadow.payload.writer, id)) {
        report(shadow.payload.writer, id, Hazard::waw, ElementRange{shadow.begin, shadow.end});
      }
      if (keeping) {
        cursor = map.erase(cursor);
        continue;
      }
      kept = cursor;
      keeping = true;
      cursor = map.next(cursor);
    }
    const ShadowMap::Range written{range.begin, range.end, Shadow{id, NO_INDEX}};
    if (keeping) {
      map[kept] = written;  // no range lies in [range.begin, range.end) besides it
    } else {
      map.insert(cursor, written);
    }
  }

  std::uint32_t push_reader(std::uint32_t head, const Access& access) {
    reader_pool_.push_back(ReaderNode{access, head});
    return static_cast<std::uint32_t>(reader_pool_.size() - 1);
  }

  Detail describe_access(const Access& access) const {
    const ArgSpec& spec = program_.args(program_.ops[task_ops_[access.task]])[access.arg];
    Detail task = Detail::object();
    task.set("name", Detail::text(program_.task_name(access.task)));
    task.set("ordinal", Detail::integer(access.task));
    task.set("task_id", Detail::integer(static_cast<std::int64_t>(task_ids_.at(access.task))));
    task.set("loops", Detail::text(program_.task_loops(access.task)));
    task.set("arg", Detail::integer(access.arg));
    task.set("kind", Detail::text(runtime::to_string(spec.kind)));
    Detail view = Detail::object();
    view.set("tensor", Detail::text(runtime::tensor_name_of(program_, task_ops_, access.task, access.arg)));
    const TensorLayout& layout = program_.layout(spec);
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
      if (graph_.manual(access->task)) return false;
      if (program_.layout(program_.args(program_.ops[task_ops_[access->task]])[access->arg]).manual_dep) return false;
    }
    return true;
  }

  simcore::Finding describe(const RacePair& pair) const {
    const Access& first = pair.first;
    const Access& second = pair.second;
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
  std::vector<std::uint32_t> output_base_;    // per task: its first output's buffer
  std::vector<Touch> touch_;                  // per buffer
  std::vector<std::uint32_t> slot_;           // per buffer: its shadow in shadows_, or NO_INDEX
  std::vector<ShadowMap> shadows_;            // of the buffers being touched
  std::vector<std::uint32_t> free_slots_;
  std::vector<ReaderNode> reader_pool_;
  std::vector<RacePair> pairs_;
  std::set<std::pair<std::uint64_t, std::uint64_t>> seen_;  // access keys of the pairs reported
  std::map<std::uint32_t, std::uint64_t> task_ids_;          // of the tasks in listed findings
  std::uint64_t queries_ = 0;
};

}  // namespace

HappensBefore::HappensBefore(const runtime::TaskGraph& graph)
    : graph_(graph),
      window_(static_cast<std::size_t>(REACH_WINDOW) * WORDS, 0),
      row_task_(REACH_WINDOW, runtime::NO_INDEX),
      row_valid_from_(REACH_WINDOW, 0) {}

void HappensBefore::compute_rows(std::uint32_t task) {
  PTOSIM_ASSERT(task < graph_.size(), "happens-before query on a task outside the graph");
  if (task < computed_) return;
  // Rows older than the window of `task` are not needed for its row: a gap starts a new batch.
  const std::uint32_t oldest = task >= REACH_WINDOW ? task - REACH_WINDOW : 0;
  if (oldest > computed_) {
    computed_ = oldest;
    batch_start_ = oldest;
  }
  for (; computed_ <= task; ++computed_) {
    const std::uint32_t current = computed_;
    const std::size_t slot = current % REACH_WINDOW;
    std::uint64_t* mine = &window_[slot * WORDS];
    std::fill(mine, mine + WORDS, 0);
    for (const runtime::FaninEdge& edge : graph_.edges(current)) {
      if (!edge.wait || edge.producer >= current) continue;
      const std::uint32_t distance = current - edge.producer;
      if (distance > REACH_WINDOW) continue;  // beyond the window: found by the backward walk
      mine[(distance - 1) / 64] |= std::uint64_t{1} << ((distance - 1) % 64);
      // The producer's row is kept when it belongs to this batch: less than REACH_WINDOW back.
      if (distance < REACH_WINDOW && edge.producer >= batch_start_) or_shifted(mine, row(edge.producer), distance, WORDS);
    }
    row_task_[slot] = current;
    row_valid_from_[slot] = batch_start_;
  }
}

bool HappensBefore::window_bit(std::uint32_t task, std::uint32_t ancestor) const {
  const std::uint32_t distance = task - ancestor;
  return (row(task)[(distance - 1) / 64] >> ((distance - 1) % 64) & 1U) != 0;
}

bool HappensBefore::row_answers(std::uint32_t task, std::uint32_t ancestor) const {
  const std::size_t slot = task % REACH_WINDOW;
  return task - ancestor <= REACH_WINDOW && row_task_[slot] == task && ancestor >= row_valid_from_[slot];
}

bool HappensBefore::ordered(std::uint32_t earlier, std::uint32_t later) {
  if (earlier >= later) return false;
  PTOSIM_ASSERT(later + REACH_WINDOW >= computed_, "happens-before queries must not go back by more than the window");
  // Most ordered pairs are one edge apart (a consumer and its producer): no bitset needed.
  for (const runtime::FaninEdge& edge : graph_.edges(later)) {
    if (edge.wait && edge.producer == earlier) return true;
  }
  if (later - earlier <= REACH_WINDOW) {
    compute_rows(later);
    if (row_answers(later, earlier)) return window_bit(later, earlier);
  }
  // Walk backwards from `later`; every path to `earlier` stays between the two ordinals.
  if (visited_.empty()) visited_.assign(graph_.size(), 0);
  if (++epoch_ == 0) {
    std::fill(visited_.begin(), visited_.end(), 0);
    epoch_ = 1;
  }
  stack_.assign(1, later);
  visited_[later] = epoch_;
  while (!stack_.empty()) {
    const std::uint32_t task = stack_.back();
    stack_.pop_back();
    for (const runtime::FaninEdge& edge : graph_.edges(task)) {
      const std::uint32_t producer = edge.producer;
      if (!edge.wait || producer < earlier || visited_[producer] == epoch_) continue;
      if (producer == earlier) return true;
      visited_[producer] = epoch_;
      ++walk_steps_;
      // Within the window of a bitset still kept: the bitset is the exact answer.
      if (row_answers(producer, earlier)) {
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

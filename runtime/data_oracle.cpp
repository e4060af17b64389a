#include "runtime/data_oracle.h"

#include "simcore/model_assert.h"

#include <algorithm>
#include <cstdio>
#include <functional>
#include <map>
#include <queue>
#include <set>

namespace ptosim::runtime {

namespace {

using hwmodel::ElementRange;
using hwmodel::Version;
using hwmodel::VersionPiece;

// The layout an argument accesses (one place to change when arguments stop embedding it).
const TensorLayout& layout_of(const ArgSpec& spec) { return spec.layout; }

std::int64_t row_count(const TensorLayout& layout, const std::vector<std::int64_t>* rows) {
  return rows != nullptr ? static_cast<std::int64_t>(rows->size()) : layout.shapes[0];
}

// Reads (writes) are judged row by row when the kernel sweeps them or feeds rows to rows.
bool per_row_reads(const hwmodel::KernelSpec& kernel) {
  return kernel.reads == hwmodel::ReadTiming::sweep || kernel.data_flow == hwmodel::DataFlow::row;
}
bool per_row_writes(const hwmodel::KernelSpec& kernel) {
  return kernel.writes == hwmodel::WriteTiming::sweep || kernel.data_flow == hwmodel::DataFlow::row;
}

// The element runs of one access: row `row` of the view (an index into the selected rows, or
// into dimension 0), or every row when `row` is -1.
void segment_runs(const TensorLayout& layout, const std::vector<std::int64_t>* rows, std::int64_t row,
                  std::vector<ElementRange>& out) {
  out.clear();
  if (row >= 0) {
    hwmodel::append_runs(hwmodel::select_row(layout, rows != nullptr ? (*rows)[static_cast<std::size_t>(row)] : row), out);
    return;
  }
  if (rows == nullptr) {
    hwmodel::append_runs(layout, out);
    return;
  }
  for (std::int64_t selected : *rows) hwmodel::append_runs(hwmodel::select_row(layout, selected), out);
  hwmodel::normalize_ranges(out);
}

std::uint64_t bytes_of(std::int64_t elements, std::uint32_t element_bytes) {
  return static_cast<std::uint64_t>(elements) * element_bytes;
}

struct ByteRange {
  std::uint64_t begin = 0;
  std::uint64_t end = 0;
};

// Compares what a run observed with what the reference observed over the same bytes (both lists
// cover the same byte set, ascending). Returns the mismatched bytes and keeps the first ranges.
[[gnu::always_inline]] inline std::uint64_t compare(const std::vector<VersionPiece>& observed, const VersionPiece* expected, std::size_t expected_count,
                      bool undefined_is_fine, std::vector<ByteRange>* ranges) {
  std::uint64_t mismatched = 0;
  std::size_t i = 0;
  std::size_t j = 0;
  while (i < observed.size() && j < expected_count) {
    const VersionPiece& seen = observed[i];
    const VersionPiece& meant = expected[j];
    const std::uint64_t lo = std::max(seen.begin, meant.begin);
    const std::uint64_t hi = std::min(seen.end, meant.end);
    const bool undefined = undefined_is_fine && meant.version.writer == hwmodel::UNWRITTEN;
    if (lo < hi && !(seen.version == meant.version) && !undefined) {
      mismatched += hi - lo;
      if (ranges != nullptr) {
        if (!ranges->empty() && ranges->back().end == lo) {
          ranges->back().end = hi;
        } else if (ranges->size() < MAX_REPORTED_RANGES) {
          ranges->push_back(ByteRange{lo, hi});
        }
      }
    }
    const std::uint64_t seen_end = seen.end;
    if (seen_end <= meant.end) ++i;
    if (meant.end <= seen_end) ++j;
  }
  return mismatched;
}

struct Event {
  TimeNs time_ns = 0;
  std::uint8_t write = 0;  // reads first at equal times
  std::uint32_t sequence = 0;  // index in the events vector (below 2^31): the tie-break
  std::uint32_t record = 0;  // index into the log's tasks
  std::uint32_t view = 0;
  std::int64_t row = -1;
};

std::string percent(std::int64_t part, std::int64_t whole) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.2f%%", whole == 0 ? 0.0 : 100.0 * static_cast<double>(part) / static_cast<double>(whole));
  return buffer;
}

}  // namespace

// The program executed sequentially on logical buffers: what the reference's constructor does.
class SequentialExecution {
 public:
  SequentialExecution(DataReference& reference, const Program& program, const std::vector<hwmodel::KernelSpec>& kernels)
      : ref_(reference), program_(program), kernels_(kernels) {}

  void run() {
    number_buffers();
    std::vector<bool> external_written(program_.externals.size(), false);
    ref_.task_reads_.assign(program_.task_count + 1, 0);
    for (std::uint32_t task = 0; task < program_.task_count; ++task) {
      ref_.task_reads_[task] = static_cast<std::uint32_t>(ref_.reads_.size());
      if (ref_.task_ops_[task] == NO_INDEX) continue;
      const ProgramOp& op = program_.ops[ref_.task_ops_[task]];
      if (op.kind != OpKind::submit) continue;  // alloc and dummy tasks touch no GM
      const hwmodel::KernelSpec& kernel = kernels_.at(op.kernel);
      if (kernel.program) {
        micro_program(task, op, kernel, external_written);
      } else {
        task_level(task, op, kernel, external_written);
      }
    }
    ref_.task_reads_[program_.task_count] = static_cast<std::uint32_t>(ref_.reads_.size());
    // The host reads every external tensor the program wrote.
    for (std::uint32_t e = 0; e < external_written.size(); ++e) {
      if (!external_written[e]) continue;
      std::vector<VersionPiece> pieces;
      read(e, 0, program_.externals[e].bytes, pieces);
      ref_.finals_.emplace_back(e, std::move(pieces));
    }
  }

 private:
  // Versions of one logical buffer: one piece [begin, end) (nothing written when empty) until a
  // write leaves it in several, then ranges of its own in spill_.
  struct BufferState {
    std::uint64_t begin = 0;
    std::uint64_t end = 0;
    Version version;
    std::uint32_t spilled = NO_INDEX;
  };
  // A spilled buffer's bytes in spill_: its spill number above SPILL_SHIFT bits of offset.
  static constexpr int SPILL_SHIFT = 40;
  static std::uint64_t spill_key(std::uint32_t spilled, std::uint64_t offset) {
    return (static_cast<std::uint64_t>(spilled) << SPILL_SHIFT) | offset;
  }

  void number_buffers() {
    auto next = static_cast<std::uint32_t>(program_.externals.size());
    output_base_.assign(program_.task_count, 0);
    for (std::uint32_t task = 0; task < program_.task_count; ++task) {
      output_base_[task] = next;
      if (ref_.task_ops_[task] == NO_INDEX) continue;
      for (const ArgSpec& spec : program_.ops[ref_.task_ops_[task]].args) next += spec.kind == ArgKind::output ? 1 : 0;
    }
    buffers_.assign(next, BufferState{});
  }

  std::uint32_t buffer_of(std::uint32_t task, const ArgSpec& spec, std::uint32_t output_index) const {
    if (spec.kind == ArgKind::output) return output_base_[task] + output_index;
    if (spec.source.external != NO_INDEX) return spec.source.external;
    return output_base_[spec.source.task] + spec.source.output;
  }

  std::uint32_t arg_buffer(std::uint32_t task, const ProgramOp& op, std::uint32_t arg) const {
    std::uint32_t output_index = 0;
    for (std::uint32_t a = 0; a < arg; ++a) output_index += op.args[a].kind == ArgKind::output ? 1 : 0;
    return buffer_of(task, op.args.at(arg), output_index);
  }

  void write(std::uint32_t buffer, std::uint64_t begin, std::uint64_t end, Version version) {
    if (end <= begin) return;
    BufferState& state = buffers_[buffer];
    if (state.spilled == NO_INDEX) {
      // Nothing written yet, or the write covers the piece: it is the new piece.
      if (state.begin == state.end || (begin <= state.begin && state.end <= end)) {
        state = BufferState{begin, end, version, NO_INDEX};
        return;
      }
      // The same version meeting the piece (a task writing row after row) extends it.
      if (state.version == version && begin <= state.end && state.begin <= end) {
        state.begin = std::min(state.begin, begin);
        state.end = std::max(state.end, end);
        return;
      }
      PTOSIM_ASSERT(next_spill_ < (1U << (64 - SPILL_SHIFT)), "the reference split more buffers than it can number");
      state.spilled = next_spill_++;
      PTOSIM_ASSERT(state.end < (std::uint64_t{1} << SPILL_SHIFT), "a buffer larger than the reference can address");
      spill_.write(spill_key(state.spilled, state.begin), spill_key(state.spilled, state.end), state.version);
    }
    PTOSIM_ASSERT(end < (std::uint64_t{1} << SPILL_SHIFT), "a buffer larger than the reference can address");
    spill_.write(spill_key(state.spilled, begin), spill_key(state.spilled, end), version);
  }

  // Appends the pieces of [begin, end) of a buffer, byte offsets from its base, gaps UNWRITTEN.
  void read(std::uint32_t buffer, std::uint64_t begin, std::uint64_t end, std::vector<VersionPiece>& out) const {
    if (end <= begin) return;
    const BufferState& state = buffers_[buffer];
    if (state.spilled == NO_INDEX) {
      const std::uint64_t lo = std::max(begin, state.begin);
      const std::uint64_t hi = std::min(end, state.end);
      if (lo >= hi) {
        out.push_back(VersionPiece{begin, end, Version{}});
        return;
      }
      if (begin < lo) out.push_back(VersionPiece{begin, lo, Version{}});
      out.push_back(VersionPiece{lo, hi, state.version});
      if (hi < end) out.push_back(VersionPiece{hi, end, Version{}});
      return;
    }
    const std::size_t first = out.size();
    spill_.read(spill_key(state.spilled, begin), spill_key(state.spilled, end), out);
    const std::uint64_t base = spill_key(state.spilled, 0);
    for (std::size_t p = first; p < out.size(); ++p) {
      out[p].begin -= base;
      out[p].end -= base;
    }
  }

  // Keeps what one read saw: its version when it saw one, else its pieces.
  void record_read(const std::vector<VersionPiece>& pieces) {
    bool single = true;
    for (const VersionPiece& piece : pieces) single = single && piece.version == pieces.front().version;
    DataReference::ExpectedRead read;
    if (single) {
      const Version version = pieces.empty() ? Version{} : pieces.front().version;
      PTOSIM_ASSERT(!version.tainted, "the reference never taints");
      read.first = version.writer;
      read.count = version.write;
    } else {
      PTOSIM_ASSERT(ref_.pieces_.size() + pieces.size() < DataReference::ExpectedRead::PIECES, "too many reference pieces");
      read.first = static_cast<std::uint32_t>(ref_.pieces_.size());
      read.count = DataReference::ExpectedRead::PIECES | static_cast<std::uint32_t>(pieces.size());
      ref_.pieces_.insert(ref_.pieces_.end(), pieces.begin(), pieces.end());
    }
    PTOSIM_ASSERT(ref_.reads_.size() < NO_INDEX, "more reads than the reference can number");
    ref_.reads_.push_back(read);
  }

  // Sequential semantics: the task reads what every earlier task wrote, then writes.
  void task_level(std::uint32_t task, const ProgramOp& op, const hwmodel::KernelSpec& kernel, std::vector<bool>& external_written) {
    for (int pass = 0; pass < 2; ++pass) {
      const bool writing = pass == 1;
      std::uint32_t output_index = 0;
      for (std::size_t arg = 0; arg < op.args.size(); ++arg) {
        const ArgSpec& spec = op.args[arg];
        const std::uint32_t buffer = buffer_of(task, spec, output_index);
        output_index += spec.kind == ArgKind::output ? 1 : 0;
        const hwmodel::GmAccess access = access_of(spec.kind);
        if (writing ? !hwmodel::writes(access) : !hwmodel::reads(access)) continue;
        const TensorLayout& layout = layout_of(spec);
        const std::vector<std::int64_t>* rows = spec.rows != NO_INDEX ? &program_.row_lists[spec.rows] : nullptr;
        const std::uint32_t element_bytes = hwmodel::dtype_bytes(layout.dtype);
        if (writing) {
          // Every row gets the same version: the whole element set at once.
          if (spec.source.external != NO_INDEX) external_written[spec.source.external] = true;
          segment_runs(layout, rows, -1, runs_);
          const Version version{task, static_cast<std::uint16_t>(arg), false};
          for (const ElementRange& run : runs_) write(buffer, bytes_of(run.begin, element_bytes), bytes_of(run.end, element_bytes), version);
          continue;
        }
        const bool per_row = per_row_reads(kernel);
        const std::int64_t segments = per_row ? row_count(layout, rows) : 1;
        for (std::int64_t segment = 0; segment < segments; ++segment) {
          segment_runs(layout, rows, per_row ? segment : -1, runs_);
          pieces_.clear();
          for (const ElementRange& run : runs_) read(buffer, bytes_of(run.begin, element_bytes), bytes_of(run.end, element_bytes), pieces_);
          record_read(pieces_);
        }
      }
    }
  }

  // A micro-program task executed sequentially: blocks in order, ops in program order, every
  // store committed before the next op.
  void micro_program(std::uint32_t task, const ProgramOp& op, const hwmodel::KernelSpec& kernel, std::vector<bool>& external_written) {
    std::vector<std::vector<ElementRange>> bursts;
    for (std::uint32_t block = 0; block < kernel.program->blocks.size(); ++block) {
      std::uint32_t reads = 0;
      std::uint32_t writes = 0;
      for (const hwmodel::MicroOp& micro : kernel.program->blocks[block]) {
        const bool is_read = micro.kind == hwmodel::MicroOpKind::tload || micro.kind == hwmodel::MicroOpKind::scalar_load;
        const bool is_write = micro.kind == hwmodel::MicroOpKind::tstore || micro.kind == hwmodel::MicroOpKind::scalar_store;
        if (!is_read && !is_write) continue;
        const ArgSpec& spec = op.args.at(micro.gm.arg);
        const std::uint32_t buffer = arg_buffer(task, op, micro.gm.arg);
        TensorLayout view;
        const std::string problem = hwmodel::operand_layout(layout_of(spec), micro.gm, view);
        PTOSIM_ASSERT(problem.empty(), "a validated GM operand does not fit: " + problem);
        hwmodel::burst_ranges(view, bursts);
        const std::uint32_t element_bytes = hwmodel::dtype_bytes(view.dtype);
        const std::uint32_t number = is_read ? reads++ : writes++;
        if (is_write && spec.source.external != NO_INDEX) external_written[spec.source.external] = true;
        for (std::uint32_t b = 0; b < bursts.size(); ++b) {
          if (is_read) pieces_.clear();
          for (const ElementRange& run : bursts[b]) {
            const std::uint64_t begin = bytes_of(run.begin, element_bytes);
            const std::uint64_t end = bytes_of(run.end, element_bytes);
            if (is_read) {
              read(buffer, begin, end, pieces_);
            } else {
              write(buffer, begin, end, Version{task, static_cast<std::uint16_t>(number), false});
            }
          }
          if (!is_read) continue;
          ref_.program_reads_[{task, block, number, b}] = static_cast<std::uint32_t>(ref_.reads_.size());
          record_read(pieces_);
        }
      }
    }
  }

  DataReference& ref_;
  const Program& program_;
  const std::vector<hwmodel::KernelSpec>& kernels_;
  std::vector<std::uint32_t> output_base_;  // per task: its first output's logical buffer
  std::vector<BufferState> buffers_;        // per logical buffer: the externals, then every task's outputs
  hwmodel::VersionMap spill_;               // the buffers written in several pieces
  std::uint32_t next_spill_ = 0;
  std::vector<ElementRange> runs_;
  std::vector<VersionPiece> pieces_;
};

DataReference::DataReference(const Program& program, const std::vector<hwmodel::KernelSpec>& kernels)
    : program_(program), kernels_(kernels), task_ops_(task_op_index(program)) {
  SequentialExecution(*this, program, kernels).run();
}

std::size_t DataReference::kept_bytes() const {
  std::size_t bytes = task_ops_.capacity() * sizeof(std::uint32_t) + task_reads_.capacity() * sizeof(std::uint32_t) +
                      reads_.capacity() * sizeof(ExpectedRead) + pieces_.capacity() * sizeof(VersionPiece);
  for (const auto& final : finals_) bytes += final.second.capacity() * sizeof(VersionPiece);
  return bytes + program_reads_.size() * 64;  // a map node and its key
}

namespace {

Version version_at(const VersionPiece* pieces, std::size_t count, std::uint64_t offset) {
  for (std::size_t p = 0; p < count; ++p) {
    if (pieces[p].begin <= offset && offset < pieces[p].end) return pieces[p].version;
  }
  PTOSIM_ASSERT(false, "no reference piece holds byte " + std::to_string(offset));
  return Version{};
}

}  // namespace

Version DataReference::expected_version(std::uint32_t task, std::uint32_t arg, std::uint32_t row, std::uint64_t offset) const {
  const ExpectedRead& read = reads_.at(read_index(task, arg) + row);
  if (read.single()) return read.version();
  return version_at(pieces_of(read), read.count & ~ExpectedRead::PIECES, offset);
}

Version DataReference::final_version(std::uint32_t external, std::uint64_t offset) const {
  for (const auto& [e, pieces] : finals_) {
    if (e == external) return version_at(pieces.data(), pieces.size(), offset);
  }
  PTOSIM_ASSERT(false, "the program does not write external tensor " + std::to_string(external));
  return Version{};
}

std::uint32_t DataReference::read_index(std::uint32_t task, std::uint32_t arg) const {
  const ProgramOp& op = program_.ops[task_ops_[task]];
  const hwmodel::KernelSpec& kernel = kernels_.at(op.kernel);
  std::uint32_t index = task_reads_[task];
  for (std::uint32_t a = 0; a < arg; ++a) {
    const ArgSpec& spec = op.args[a];
    if (!hwmodel::reads(access_of(spec.kind))) continue;
    const std::vector<std::int64_t>* rows = spec.rows != NO_INDEX ? &program_.row_lists[spec.rows] : nullptr;
    index += per_row_reads(kernel) ? static_cast<std::uint32_t>(row_count(layout_of(spec), rows)) : 1;
  }
  return index;
}

DataVerdict DataReference::judge(const hwmodel::GmAccessLog& log, TimeNs end_ns) const {
  // Every access of the run, in the order simulated time reached it: (time, reads before
  // writes, then a fixed order). A core runs one task at a time, so the accesses of each core,
  // taken task by task, are already in time order; the cores' sequences are then merged.
  std::vector<std::vector<std::uint32_t>> by_core;
  for (std::uint32_t record = 0; record < log.tasks.size(); ++record) {
    const std::uint32_t core = log.tasks[record].core;
    if (core >= by_core.size()) by_core.resize(core + 1);
    by_core[core].push_back(record);
  }
  std::vector<Event> events;
  events.reserve(log.views.size() * 2);
  std::vector<std::pair<std::size_t, std::size_t>> runs_of_cores;  // [first, last) event of each core
  std::vector<Event> task_events;
  for (const std::vector<std::uint32_t>& records : by_core) {
    const std::size_t first = events.size();
    for (std::uint32_t record : records) {
      const hwmodel::GmTaskAccess& task = log.tasks[record];
      const hwmodel::KernelSpec& kernel = *task.kernel;
      const TimeNs duration_ns = task.end_ns - task.start_ns;
      task_events.clear();
      for (std::uint32_t v = 0; v < task.view_count; ++v) {
        const hwmodel::GmView& view = log.views[task.first_view + v];
        const std::int64_t rows = row_count(*view.layout, view.rows);
        if (hwmodel::reads(view.access)) {
          const bool per_row = per_row_reads(kernel);
          const bool sweep = kernel.reads == hwmodel::ReadTiming::sweep;
          for (std::int64_t r = 0; r < (per_row ? rows : 1); ++r) {
            const TimeNs at = sweep ? task.start_ns + r * duration_ns / rows : task.start_ns;
            task_events.push_back(Event{at, 0, 0, record, v, per_row ? r : -1});
          }
        }
        if (hwmodel::writes(view.access)) {
          const bool per_row = per_row_writes(kernel);
          const bool sweep = kernel.writes == hwmodel::WriteTiming::sweep;
          for (std::int64_t r = 0; r < (per_row ? rows : 1); ++r) {
            const TimeNs at = sweep ? task.start_ns + (r + 1) * duration_ns / rows : task.end_ns;
            task_events.push_back(Event{at, 1, 0, record, v, per_row ? r : -1});
          }
        }
      }
      // Insertion sort: a task has a handful of accesses (a sweep's are nearly in order already).
      for (std::size_t i = 1; i < task_events.size(); ++i) {
        for (std::size_t k = i; k > 0; --k) {
          const Event& x = task_events[k - 1];
          const Event& y = task_events[k];
          if (x.time_ns < y.time_ns || (x.time_ns == y.time_ns && x.write <= y.write)) break;
          std::swap(task_events[k - 1], task_events[k]);
        }
      }
      for (Event& event : task_events) {
        PTOSIM_ASSERT(events.size() < (std::size_t{1} << 31), "more GM accesses than the data oracle can order");
        event.sequence = static_cast<std::uint32_t>(events.size());
        events.push_back(event);
      }
    }
    if (events.size() > first) runs_of_cores.emplace_back(first, events.size());
  }
  using Key = std::pair<TimeNs, std::uint32_t>;  // (time, write << 31 | sequence)
  auto key_of = [&events](std::size_t index) {
    const Event& event = events[index];
    return Key{event.time_ns, (std::uint32_t{event.write} << 31) | event.sequence};
  };
  std::priority_queue<std::pair<Key, std::size_t>, std::vector<std::pair<Key, std::size_t>>, std::greater<>> heads;
  for (std::size_t run = 0; run < runs_of_cores.size(); ++run) heads.emplace(key_of(runs_of_cores[run].first), run);
  std::vector<std::uint32_t> order;  // event indices in time order
  order.reserve(events.size());
  while (!heads.empty()) {
    const std::size_t run = heads.top().second;
    heads.pop();
    std::pair<std::size_t, std::size_t>& span = runs_of_cores[run];
    order.push_back(static_cast<std::uint32_t>(span.first));
    if (++span.first < span.second) heads.emplace(key_of(span.first), run);
  }

  DataVerdict verdict;
  hwmodel::VersionMap memory;
  std::vector<bool> task_tainted(log.tasks.size(), false);
  std::map<std::uint32_t, std::vector<bool>> rows_tainted;  // row data flow: record -> bad input rows
  std::vector<ElementRange> runs;
  std::vector<VersionPiece> observed;
  std::vector<ByteRange> ranges;
  std::string first_wrong;
  // Micro-program accesses in time order (reads first at equal times), merged with the above.
  std::vector<std::uint32_t> program_order(log.program.size());
  for (std::uint32_t i = 0; i < program_order.size(); ++i) program_order[i] = i;
  auto program_key = [&log](std::uint32_t i) {
    return std::pair<TimeNs, std::uint32_t>{log.program[i].time_ns, hwmodel::is_read(log.program[i].kind) ? 0u : 1u};
  };
  std::stable_sort(program_order.begin(), program_order.end(),
                   [&](std::uint32_t a, std::uint32_t b) { return program_key(a) < program_key(b); });
  std::map<std::pair<std::uint32_t, std::uint64_t>, hwmodel::VersionMap> cache_lines;  // (core, line) -> contents
  std::set<std::array<std::uint32_t, 3>> bad_reads;  // (task, block, read number) that saw a wrong version
  std::map<std::pair<std::uint32_t, std::uint32_t>, std::vector<std::vector<std::uint32_t>>> dependencies;
  std::vector<VersionPiece> scratch;
  std::vector<VersionPiece> expected_pieces;
  // Out of line: it runs only for micro-programs, and inlined it would push the task-level
  // comparisons out of the hot loop.
  auto process_program = [&](const hwmodel::ProgramAccess& access) __attribute__((noinline)) {
    const ProgramOp& op = program_.ops[task_ops_[access.task]];
    const hwmodel::KernelSpec& kernel = kernels_.at(op.kernel);
    const std::uint64_t line = access.begin / hwmodel::CACHE_LINE_BYTES * hwmodel::CACHE_LINE_BYTES;
    switch (access.kind) {
      case hwmodel::ProgramAccessKind::load:
      case hwmodel::ProgramAccessKind::cache_read: {
        observed.clear();
        auto image = cache_lines.find({access.core, line});
        if (access.kind == hwmodel::ProgramAccessKind::cache_read && image != cache_lines.end()) {
          image->second.read(access.begin, access.end, observed);
        } else {
          memory.read(access.begin, access.end, observed);
        }
        for (VersionPiece& piece : observed) {
          piece.begin -= access.base;
          piece.end -= access.base;
        }
        const ExpectedRead& expected = reads_[program_reads_.at({access.task, access.block, access.access, access.burst})];
        const std::uint64_t lo = access.begin - access.base;
        const std::uint64_t hi = access.end - access.base;
        expected_pieces.clear();
        const VersionPiece whole{0, UINT64_MAX, expected.version()};
        const VersionPiece* first_piece = expected.single() ? &whole : pieces_of(expected);
        const std::uint32_t piece_count = expected.single() ? 1 : expected.count & ~ExpectedRead::PIECES;
        for (std::uint32_t p = 0; p < piece_count; ++p) {
          VersionPiece piece = first_piece[p];
          piece.begin = std::max(piece.begin, lo);
          piece.end = std::min(piece.end, hi);
          if (piece.begin < piece.end) expected_pieces.push_back(piece);
        }
        const ArgSpec& spec = op.args.at(access.arg);
        const bool runtime_allocated = spec.kind == ArgKind::output || spec.source.external == NO_INDEX;
        ranges.clear();
        if (compare(observed, expected_pieces.data(), expected_pieces.size(), runtime_allocated, &ranges) == 0) return;
        ++verdict.wrong_reads;
        bad_reads.insert({access.task, access.block, access.access});
        if (first_wrong.empty()) {
          const std::uint32_t element_bytes = hwmodel::dtype_bytes(spec.layout.dtype);
          first_wrong = "task '" + program_.task_names[access.task] + "' (ordinal " + std::to_string(access.task) + ") block " +
                        std::to_string(access.block) + " read " + tensor_name_of(program_, task_ops_, access.task, access.arg) +
                        " elements [" + std::to_string(ranges[0].begin / element_bytes) + ", " +
                        std::to_string(ranges[0].end / element_bytes) + ") at t=" + std::to_string(access.time_ns) +
                        " ns (" + (access.kind == hwmodel::ProgramAccessKind::load ? "MTE2 load" : "scalar load") +
                        " of a micro-program) before the write the sequential program sees had reached it";
        }
        return;
      }
      case hwmodel::ProgramAccessKind::commit:
      case hwmodel::ProgramAccessKind::cache_write: {
        auto deps = dependencies.find({op.kernel, access.block});
        if (deps == dependencies.end()) {
          deps = dependencies.emplace(std::pair{op.kernel, access.block},
                                      hwmodel::store_dependencies(kernel.program->blocks.at(access.block))).first;
        }
        bool tainted = false;
        for (std::uint32_t read : deps->second.at(access.access)) tainted = tainted || bad_reads.count({access.task, access.block, read}) != 0;
        const Version version{access.task, static_cast<std::uint16_t>(access.access), tainted};
        if (access.kind == hwmodel::ProgramAccessKind::commit) {
          memory.write(access.begin, access.end, version);
        } else {
          cache_lines[{access.core, line}].write(access.begin, access.end, version);
        }
        return;
      }
      case hwmodel::ProgramAccessKind::cache_fill: {
        hwmodel::VersionMap image;
        scratch.clear();
        memory.read(access.begin, access.end, scratch);
        for (const VersionPiece& piece : scratch) image.write(piece.begin, piece.end, piece.version);
        cache_lines[{access.core, line}] = std::move(image);
        return;
      }
      case hwmodel::ProgramAccessKind::writeback: {
        auto image = cache_lines.find({access.core, line});
        if (image == cache_lines.end()) return;
        scratch.clear();
        image->second.read(access.begin, access.end, scratch);
        for (const VersionPiece& piece : scratch) memory.write(piece.begin, piece.end, piece.version);
        cache_lines.erase(image);
        return;
      }
    }
  };
  std::size_t next_task_event = 0;
  std::size_t next_program = 0;
  while (next_task_event < order.size() || next_program < program_order.size()) {
    bool take_program = next_task_event == order.size();
    if (!take_program && next_program < program_order.size()) {
      const Event& head = events[order[next_task_event]];
      take_program = program_key(program_order[next_program]) < std::pair<TimeNs, std::uint32_t>{head.time_ns, head.write};
    }
    if (take_program) {
      const hwmodel::ProgramAccess& access = log.program[program_order[next_program++]];
      if (access.time_ns > end_ns) break;
      process_program(access);
      continue;
    }
    const std::uint32_t index = order[next_task_event++];
    const Event& event = events[index];
    if (event.time_ns > end_ns) break;
    const hwmodel::GmTaskAccess& task = log.tasks[event.record];
    const hwmodel::GmView& view = log.views[task.first_view + event.view];
    const ArgSpec& spec = program_.ops[task_ops_[task.task]].args[event.view];
    const std::uint32_t element_bytes = hwmodel::dtype_bytes(view.layout->dtype);
    segment_runs(*view.layout, view.rows, event.row, runs);
    const bool row_flow = task.kernel->data_flow == hwmodel::DataFlow::row;
    if (event.write != 0) {
      bool tainted = task_tainted[event.record];
      if (row_flow) {
        auto bad = rows_tainted.find(event.record);
        tainted = bad != rows_tainted.end() && bad->second[static_cast<std::size_t>(event.row)];
      }
      const Version version{task.task, static_cast<std::uint16_t>(event.view), tainted};
      for (const ElementRange& run : runs) {
        memory.write(view.buffer_address + bytes_of(run.begin, element_bytes),
                     view.buffer_address + bytes_of(run.end, element_bytes), version);
      }
      continue;
    }
    observed.clear();
    for (const ElementRange& run : runs) {
      memory.read(view.buffer_address + bytes_of(run.begin, element_bytes),
                  view.buffer_address + bytes_of(run.end, element_bytes), observed);
    }
    for (VersionPiece& piece : observed) {
      piece.begin -= view.buffer_address;
      piece.end -= view.buffer_address;
    }
    const ExpectedRead& expected = reads_[read_index(task.task, event.view) + static_cast<std::uint32_t>(event.row >= 0 ? event.row : 0)];
    // One version over the whole read compares as one piece covering every byte.
    const VersionPiece whole{0, UINT64_MAX, expected.version()};
    const VersionPiece* first_piece = expected.single() ? &whole : pieces_of(expected);
    const std::uint32_t piece_count = expected.single() ? 1 : expected.count & ~ExpectedRead::PIECES;
    const bool runtime_allocated = spec.kind == ArgKind::output || spec.source.external == NO_INDEX;
    ranges.clear();
    const std::uint64_t mismatched = compare(observed, first_piece, piece_count, runtime_allocated, &ranges);
    if (mismatched == 0) continue;
    ++verdict.wrong_reads;
    task_tainted[event.record] = true;
    if (row_flow) {
      std::vector<bool>& bad = rows_tainted[event.record];
      bad.resize(static_cast<std::size_t>(row_count(*view.layout, view.rows)), false);
      bad[static_cast<std::size_t>(event.row)] = true;
    }
    if (first_wrong.empty()) {
      // Name what was seen and what the program means at the first mismatching byte.
      Version seen;
      Version meant;
      for (const VersionPiece& piece : observed) {
        if (piece.begin <= ranges[0].begin && ranges[0].begin < piece.end) seen = piece.version;
      }
      for (std::uint32_t p = 0; p < piece_count; ++p) {
        if (first_piece[p].begin <= ranges[0].begin && ranges[0].begin < first_piece[p].end) meant = first_piece[p].version;
      }
      auto describe = [this](const Version& version) -> std::string {
        if (version.writer == hwmodel::UNWRITTEN) return "the contents before the program ran";
        std::string text = "the write of task '" + program_.task_names[version.writer] + "' (ordinal " +
                           std::to_string(version.writer) + ")";
        return version.tainted ? "a wrong value from " + text : text;
      };
      const std::string& loops = program_.task_loops.size() > task.task ? program_.task_loops[task.task] : std::string();
      first_wrong = "task '" + program_.task_names[task.task] + "' (ordinal " + std::to_string(task.task) +
                    (loops.empty() ? "" : ", " + loops) + ") read " + tensor_name_of(program_, task_ops_, task.task, event.view) +
                    " elements [" + std::to_string(ranges[0].begin / element_bytes) + ", " +
                    std::to_string(ranges[0].end / element_bytes) + ") at t=" + std::to_string(event.time_ns) +
                    " ns and saw " + describe(seen) + " where the sequential program sees " + describe(meant);
    }
  }

  // The host reads every external tensor the program wrote.
  std::string tensors;
  for (const auto& [e, expected] : finals_) {
    const ExternalTensor& external = program_.externals[e];
    const std::uint32_t element_bytes = hwmodel::dtype_bytes(external.layout.dtype);
    observed.clear();
    memory.read(external.address, external.address + external.bytes, observed);
    for (VersionPiece& piece : observed) {
      piece.begin -= external.address;
      piece.end -= external.address;
    }
    ranges.clear();
    const std::uint64_t mismatched = compare(observed, expected.data(), expected.size(), false, &ranges);
    TensorMismatch mismatch;
    mismatch.tensor = external.name;
    mismatch.elements = external.layout.element_count();
    mismatch.mismatched_elements = static_cast<std::int64_t>(mismatched / element_bytes);
    for (const ByteRange& range : ranges) {
      mismatch.first_ranges.push_back(ElementRange{static_cast<std::int64_t>(range.begin / element_bytes),
                                                   static_cast<std::int64_t>(range.end / element_bytes)});
    }
    tensors += (tensors.empty() ? "" : ", ") + external.name + " " +
               (mismatched == 0 ? std::string("correct") : percent(mismatch.mismatched_elements, mismatch.elements) + " wrong");
    verdict.wrong = verdict.wrong || mismatched != 0;
    verdict.tensors.push_back(std::move(mismatch));
  }
  verdict.wrong = verdict.wrong || verdict.wrong_reads != 0;
  if (verdict.wrong) {
    verdict.summary = "wrong values: " +
                      (first_wrong.empty() ? std::string("every read saw the sequential program's data, but the final contents differ")
                                           : first_wrong) +
                      (tensors.empty() ? "" : "; " + tensors);
  }
  return verdict;
}

}  // namespace ptosim::runtime

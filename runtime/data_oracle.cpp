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

DataReference::DataReference(const Program& program, const std::vector<hwmodel::KernelSpec>& kernels)
    : program_(program), kernels_(kernels), task_ops_(task_op_index(program)) {
  auto next_buffer = static_cast<std::uint32_t>(program.externals.size());
  output_base_.assign(program.task_count, 0);
  task_view_base_.assign(program.task_count, 0);
  for (std::uint32_t task = 0; task < program.task_count; ++task) {
    output_base_[task] = next_buffer;
    if (task_ops_[task] == NO_INDEX) continue;
    for (const ArgSpec& spec : program.args(program.ops[task_ops_[task]])) next_buffer += spec.kind == ArgKind::output ? 1 : 0;
  }
  final_.resize(next_buffer);

  std::vector<ElementRange> runs;
  std::vector<bool> external_written(program.externals.size(), false);
  for (std::uint32_t task = 0; task < program.task_count; ++task) {
    task_view_base_[task] = static_cast<std::uint32_t>(view_segments_.size());
    if (task_ops_[task] == NO_INDEX) continue;
    const ProgramOp& op = program.ops[task_ops_[task]];
    view_segments_.insert(view_segments_.end(), program.args(op).size(), NO_INDEX);
    if (op.kind != OpKind::submit) continue;  // alloc and dummy tasks touch no GM
    const hwmodel::KernelSpec& kernel = kernels.at(op.kernel);
    if (kernel.program) {
      reference_program(task, op, kernel, external_written);
      continue;
    }
    // Sequential semantics: the task reads what every earlier task wrote, then writes.
    for (int pass = 0; pass < 2; ++pass) {
      const bool writing = pass == 1;
      std::uint32_t output_index = 0;
      for (std::size_t arg = 0; arg < program.args(op).size(); ++arg) {
        const ArgSpec& spec = program.args(op)[arg];
        const std::uint32_t buffer = buffer_of(task, spec, output_index);
        output_index += spec.kind == ArgKind::output ? 1 : 0;
        const hwmodel::GmAccess access = access_of(spec.kind);
        if (writing ? !hwmodel::writes(access) : !hwmodel::reads(access)) continue;
        const std::vector<std::int64_t>* rows = spec.rows != NO_INDEX ? &program.row_lists[spec.rows] : nullptr;
        const bool per_row = writing ? per_row_writes(kernel) : per_row_reads(kernel);
        const std::int64_t segments = per_row ? row_count(program.layout(spec), rows) : 1;
        const std::uint32_t element_bytes = hwmodel::dtype_bytes(program.layout(spec).dtype);
        if (!writing) view_segments_[task_view_base_[task] + arg] = static_cast<std::uint32_t>(segment_pieces_.size());
        if (writing && spec.source().external != NO_INDEX) external_written[spec.source().external] = true;
        for (std::int64_t segment = 0; segment < segments; ++segment) {
          segment_runs(program.layout(spec), rows, per_row ? segment : -1, runs);
          if (!writing) segment_pieces_.push_back(static_cast<std::uint32_t>(pieces_.size()));
          for (const ElementRange& run : runs) {
            const std::uint64_t begin = bytes_of(run.begin, element_bytes);
            const std::uint64_t end = bytes_of(run.end, element_bytes);
            if (writing) {
              final_[buffer].write(begin, end, Version{task, static_cast<std::uint16_t>(arg), false});
            } else {
              final_[buffer].read(begin, end, pieces_);
            }
          }
        }
      }
    }
  }
  segment_pieces_.push_back(static_cast<std::uint32_t>(pieces_.size()));
  for (std::uint32_t e = 0; e < external_written.size(); ++e) {
    if (external_written[e]) written_externals_.push_back(e);
  }
}

std::uint32_t DataReference::arg_buffer(std::uint32_t task, const ProgramOp& op, std::uint32_t arg) const {
  std::uint32_t output_index = 0;
  for (std::uint32_t a = 0; a < arg; ++a) output_index += program_.args(op)[a].kind == ArgKind::output ? 1 : 0;
  return buffer_of(task, program_.args(op).at(arg), output_index);
}

void DataReference::reference_program(std::uint32_t task, const ProgramOp& op, const hwmodel::KernelSpec& kernel,
                                      std::vector<bool>& external_written) {
  std::vector<std::vector<ElementRange>> bursts;
  for (std::uint32_t block = 0; block < kernel.program->blocks.size(); ++block) {
    std::uint32_t reads = 0;
    std::uint32_t writes = 0;
    for (const hwmodel::MicroOp& micro : kernel.program->blocks[block]) {
      const bool read = micro.kind == hwmodel::MicroOpKind::tload || micro.kind == hwmodel::MicroOpKind::scalar_load;
      const bool write = micro.kind == hwmodel::MicroOpKind::tstore || micro.kind == hwmodel::MicroOpKind::scalar_store;
      if (!read && !write) continue;
      const ArgSpec& spec = program_.args(op).at(micro.gm.arg);
      const std::uint32_t buffer = arg_buffer(task, op, micro.gm.arg);
      TensorLayout view;
      const std::string problem = hwmodel::operand_layout(program_.layout(spec), micro.gm, view);
      PTOSIM_ASSERT(problem.empty(), "a validated GM operand does not fit: " + problem);
      hwmodel::burst_ranges(view, bursts);
      const std::uint32_t element_bytes = hwmodel::dtype_bytes(view.dtype);
      const std::uint32_t number = read ? reads++ : writes++;
      if (write && spec.source().external != NO_INDEX) external_written[spec.source().external] = true;
      for (std::uint32_t b = 0; b < bursts.size(); ++b) {
        if (read) {
          program_segments_[{task, block, number, b}] = static_cast<std::uint32_t>(segment_pieces_.size());
          segment_pieces_.push_back(static_cast<std::uint32_t>(pieces_.size()));
        }
        for (const ElementRange& run : bursts[b]) {
          const std::uint64_t begin = bytes_of(run.begin, element_bytes);
          const std::uint64_t end = bytes_of(run.end, element_bytes);
          if (read) {
            final_[buffer].read(begin, end, pieces_);
          } else {
            final_[buffer].write(begin, end, Version{task, static_cast<std::uint16_t>(number), false});
          }
        }
      }
    }
  }
}

std::uint32_t DataReference::buffer_of(std::uint32_t task, const ArgSpec& spec, std::uint32_t output_index) const {
  if (spec.kind == ArgKind::output) return output_base_[task] + output_index;
  const TensorSource source = spec.source();
  if (source.external != NO_INDEX) return source.external;
  return output_base_[source.task] + source.output;
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
        const std::uint32_t segment = program_segments_.at({access.task, access.block, access.access, access.burst});
        const std::uint64_t lo = access.begin - access.base;
        const std::uint64_t hi = access.end - access.base;
        expected_pieces.clear();
        for (std::uint32_t p = segment_pieces_[segment]; p < segment_pieces_[segment + 1]; ++p) {
          VersionPiece piece = pieces_[p];
          piece.begin = std::max(piece.begin, lo);
          piece.end = std::min(piece.end, hi);
          if (piece.begin < piece.end) expected_pieces.push_back(piece);
        }
        const ArgSpec& spec = program_.args(op).at(access.arg);
        const bool runtime_allocated = spec.kind == ArgKind::output || spec.source().external == NO_INDEX;
        ranges.clear();
        if (compare(observed, expected_pieces.data(), expected_pieces.size(), runtime_allocated, &ranges) == 0) return;
        ++verdict.wrong_reads;
        bad_reads.insert({access.task, access.block, access.access});
        if (first_wrong.empty()) {
          const std::uint32_t element_bytes = hwmodel::dtype_bytes(program_.layout(spec).dtype);
          first_wrong = "task '" + program_.task_name(access.task) + "' (ordinal " + std::to_string(access.task) + ") block " +
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
    const ArgSpec& spec = program_.args(program_.ops[task_ops_[task.task]])[event.view];
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
    const std::uint32_t segment =
        view_segments_[task_view_base_[task.task] + event.view] + static_cast<std::uint32_t>(event.row >= 0 ? event.row : 0);
    const std::uint32_t first_piece = segment_pieces_[segment];
    const bool runtime_allocated = spec.kind == ArgKind::output || spec.source().external == NO_INDEX;
    ranges.clear();
    const std::uint64_t mismatched =
        compare(observed, pieces_.data() + first_piece, segment_pieces_[segment + 1] - first_piece, runtime_allocated, &ranges);
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
      for (std::uint32_t p = first_piece; p < segment_pieces_[segment + 1]; ++p) {
        if (pieces_[p].begin <= ranges[0].begin && ranges[0].begin < pieces_[p].end) meant = pieces_[p].version;
      }
      auto describe = [this](const Version& version) -> std::string {
        if (version.writer == hwmodel::UNWRITTEN) return "the contents before the program ran";
        std::string text = "the write of task '" + program_.task_name(version.writer) + "' (ordinal " +
                           std::to_string(version.writer) + ")";
        return version.tainted ? "a wrong value from " + text : text;
      };
      const std::string loops = program_.task_loops(task.task);
      first_wrong = "task '" + program_.task_name(task.task) + "' (ordinal " + std::to_string(task.task) +
                    (loops.empty() ? "" : ", " + loops) + ") read " + tensor_name_of(program_, task_ops_, task.task, event.view) +
                    " elements [" + std::to_string(ranges[0].begin / element_bytes) + ", " +
                    std::to_string(ranges[0].end / element_bytes) + ") at t=" + std::to_string(event.time_ns) +
                    " ns and saw " + describe(seen) + " where the sequential program sees " + describe(meant);
    }
  }

  // The host reads every external tensor the program wrote.
  std::string tensors;
  for (std::uint32_t e : written_externals_) {
    const ExternalTensor& external = program_.externals[e];
    const std::uint32_t element_bytes = hwmodel::dtype_bytes(external.layout.dtype);
    observed.clear();
    memory.read(external.address, external.address + external.bytes, observed);
    for (VersionPiece& piece : observed) {
      piece.begin -= external.address;
      piece.end -= external.address;
    }
    std::vector<VersionPiece> expected;
    final_[e].read(0, external.bytes, expected);
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

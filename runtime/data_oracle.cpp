#include "runtime/data_oracle.h"

#include "simcore/model_assert.h"
#include "simcore/marks.h"

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

// The common case of segment_runs without building a list: a contiguous view read whole, or one
// row of it. False when the access is not one run (or is empty).
bool one_run(const TensorLayout& layout, const std::vector<std::int64_t>* rows, std::int64_t row, ElementRange& out) {
  if (!layout.is_contiguous()) return false;
  if (row < 0) {
    if (rows != nullptr) return false;
    out = ElementRange{layout.start_offset, layout.start_offset + layout.element_count()};
    return out.end > out.begin;
  }
  const std::int64_t index = rows != nullptr ? (*rows)[static_cast<std::size_t>(row)] : row;
  const std::int64_t row_elements = layout.element_count() / layout.shapes[0];  // a row exists: shapes[0] > 0
  out.begin = layout.start_offset + index * layout.strides[0];
  out.end = out.begin + row_elements;
  return row_elements > 0;
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
    // Kept for every run of the scenario: no growth slack.
    ref_.reads_.shrink_to_fit();
    ref_.pieces_.shrink_to_fit();
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
      for (const ArgSpec& spec : program_.args(program_.ops[ref_.task_ops_[task]])) next += spec.kind == ArgKind::output ? 1 : 0;
    }
    buffers_.assign(next, BufferState{});
  }

  std::uint32_t buffer_of(std::uint32_t task, const ArgSpec& spec, std::uint32_t output_index) const {
    if (spec.kind == ArgKind::output) return output_base_[task] + output_index;
    if (spec.source().external != NO_INDEX) return spec.source().external;
    return output_base_[spec.source().task] + spec.source().output;
  }

  std::uint32_t arg_buffer(std::uint32_t task, const ProgramOp& op, std::uint32_t arg) const {
    std::uint32_t output_index = 0;
    for (std::uint32_t a = 0; a < arg; ++a) output_index += program_.args(op)[a].kind == ArgKind::output ? 1 : 0;
    return buffer_of(task, program_.args(op).at(arg), output_index);
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

  // A read of one run of a buffer in one piece that saw nothing written or one version: keeps it
  // and returns true; else false (the caller reads the pieces).
  bool read_one_version(std::uint32_t buffer, std::uint64_t begin, std::uint64_t end) {
    const BufferState& state = buffers_[buffer];
    if (state.spilled != NO_INDEX) return false;
    Version version;
    if (state.begin < state.end && begin < state.end && state.begin < end) {
      if (begin < state.begin || state.end < end) return false;  // partly written
      version = state.version;
    }
    PTOSIM_ASSERT(ref_.reads_.size() < NO_INDEX, "more reads than the reference can number");
    ref_.reads_.push_back(DataReference::ExpectedRead{version.writer, version.write});
    return true;
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
      for (std::size_t arg = 0; arg < program_.args(op).size(); ++arg) {
        const ArgSpec& spec = program_.args(op)[arg];
        const std::uint32_t buffer = buffer_of(task, spec, output_index);
        output_index += spec.kind == ArgKind::output ? 1 : 0;
        const hwmodel::GmAccess access = access_of(spec.kind);
        if (writing ? !hwmodel::writes(access) : !hwmodel::reads(access)) continue;
        const TensorLayout& layout = program_.layout(spec);
        const std::vector<std::int64_t>* rows = spec.rows != NO_INDEX ? &program_.row_lists[spec.rows] : nullptr;
        const std::uint32_t element_bytes = hwmodel::dtype_bytes(layout.dtype);
        if (writing) {
          // Every row gets the same version: the whole element set at once.
          if (spec.source().external != NO_INDEX) external_written[spec.source().external] = true;
          const Version version{task, static_cast<std::uint16_t>(arg), false};
          ElementRange run;
          if (one_run(layout, rows, -1, run)) {
            write(buffer, bytes_of(run.begin, element_bytes), bytes_of(run.end, element_bytes), version);
            continue;
          }
          segment_runs(layout, rows, -1, runs_);
          for (const ElementRange& piece : runs_) write(buffer, bytes_of(piece.begin, element_bytes), bytes_of(piece.end, element_bytes), version);
          continue;
        }
        const bool per_row = per_row_reads(kernel);
        const std::int64_t segments = per_row ? row_count(layout, rows) : 1;
        for (std::int64_t segment = 0; segment < segments; ++segment) {
          ElementRange run;
          if (one_run(layout, rows, per_row ? segment : -1, run) &&
              read_one_version(buffer, bytes_of(run.begin, element_bytes), bytes_of(run.end, element_bytes))) {
            continue;
          }
          segment_runs(layout, rows, per_row ? segment : -1, runs_);
          pieces_.clear();
          for (const ElementRange& piece : runs_) read(buffer, bytes_of(piece.begin, element_bytes), bytes_of(piece.end, element_bytes), pieces_);
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
        const ArgSpec& spec = program_.args(op).at(micro.gm.arg);
        const std::uint32_t buffer = arg_buffer(task, op, micro.gm.arg);
        TensorLayout view;
        const std::string problem = hwmodel::operand_layout(program_.layout(spec), micro.gm, view);
        PTOSIM_ASSERT(problem.empty(), "a validated GM operand does not fit: " + problem);
        hwmodel::burst_ranges(view, bursts);
        const std::uint32_t element_bytes = hwmodel::dtype_bytes(view.dtype);
        const std::uint32_t number = is_read ? reads++ : writes++;
        if (is_write && spec.source().external != NO_INDEX) external_written[spec.source().external] = true;
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
    const ArgSpec& spec = program_.args(op)[a];
    if (!hwmodel::reads(access_of(spec.kind))) continue;
    const std::vector<std::int64_t>* rows = spec.rows != NO_INDEX ? &program_.row_lists[spec.rows] : nullptr;
    index += per_row_reads(kernel) ? static_cast<std::uint32_t>(row_count(program_.layout(spec), rows)) : 1;
  }
  return index;
}

// A completed run's GM access log replayed against versioned GM, in the order simulated time
// reached each access: what DataReference::judge does.
//
// The order: a core runs one task at a time, so its records, sorted by start, give its accesses
// in time order once each record's accesses are sorted (time, reads before writes, argument
// order). The cores' sequences are merged by (time, reads before writes, core), each taking its
// next access only when its previous one went; micro-program accesses (time, reads before writes,
// order logged) go first at equal keys. A record's accesses are expanded only when its core
// reaches it, so nothing holds every access of the run.
class LogReplay {
 public:
  LogReplay(const DataReference& reference, const hwmodel::GmAccessLog& log, TimeNs end_ns)
      : ref_(reference), program_(reference.program_), log_(log), end_ns_(end_ns), task_tainted_(log.tasks.size(), false) {}

  DataVerdict run() {
    order_records();
    sort_program_accesses();
    for (std::uint32_t core = 0; core < streams_.size(); ++core) {
      if (advance(core)) heads_.push(head_key(core));
    }
    std::size_t next_program = 0;
    while (!heads_.empty() || next_program < program_order_.size()) {
      bool take_program = heads_.empty();
      if (!take_program && next_program < program_order_.size()) {
        take_program = program_key(program_order_[next_program]) < time_and_write(heads_.top());
      }
      if (take_program) {
        const hwmodel::ProgramAccess& access = log_.program[program_order_[next_program++]];
        if (access.time_ns > end_ns_) break;
        process_program(access);
        continue;
      }
      const auto core = static_cast<std::uint32_t>(heads_.top() & CORE_MASK);
      heads_.pop();
      if (!replay_core(core, next_program)) break;
    }
    judge_externals();
    return std::move(verdict_);
  }

 private:
  using ExpectedRead = DataReference::ExpectedRead;
  // One access of a logged record: an argument (or one row of it) read or written.
  struct Event {
    TimeNs time_ns = 0;
    std::uint32_t view = 0;
    std::int32_t row = -1;  // -1: the whole argument
    std::uint8_t write = 0;  // reads first at equal times
  };
  // What the accesses to one argument of a record share.
  struct ViewInfo {
    std::uint64_t address = 0;     // the buffer's GM address
    std::uint64_t whole_begin = 0;  // GM bytes of the whole argument when it is one run
    std::uint64_t whole_end = 0;
    std::uint32_t read_base = 0;   // its first read in the reference
    std::uint32_t element_bytes = 0;
    bool one_run = false;           // a contiguous view without selected rows
    bool runtime_allocated = false;  // undefined contents until the program writes it
  };
  // A core's records in time order and the accesses of the one it is at.
  struct Stream {
    std::uint32_t next_record = 0;  // position in order_
    std::uint32_t end_record = 0;
    std::uint32_t record = NO_INDEX;  // the record being replayed
    std::vector<Event> events;
    std::size_t next_event = 0;
    std::vector<ViewInfo> views;  // per argument of the record
  };
  // A core's current access as one number, smallest first: (time, reads before writes, core).
  static constexpr int KEY_SHIFT = 17;
  static constexpr std::uint64_t CORE_MASK = 0xFFFF;
  using HeadKey = std::uint64_t;
  HeadKey head_key(std::uint32_t core) const {
    const Stream& stream = streams_[core];
    const Event& event = stream.events[stream.next_event];
    PTOSIM_ASSERT(event.time_ns >= 0 && event.time_ns < (TimeNs{1} << (64 - KEY_SHIFT)), "an access time the data oracle cannot order");
    return (static_cast<std::uint64_t>(event.time_ns) << KEY_SHIFT) | (std::uint64_t{event.write} << 16) | core;
  }
  static std::pair<TimeNs, std::uint32_t> time_and_write(HeadKey key) {
    return {static_cast<TimeNs>(key >> KEY_SHIFT), static_cast<std::uint32_t>(key >> 16 & 1)};
  }

  // Groups the records by core, each core's sorted by (start, end, position in the log).
  void order_records() {
    std::uint32_t cores = 0;
    for (const hwmodel::GmTaskAccess& task : log_.tasks) cores = std::max<std::uint32_t>(cores, task.core + 1U);
    std::vector<std::uint32_t> first(cores + 1, 0);
    for (const hwmodel::GmTaskAccess& task : log_.tasks) ++first[task.core + 1U];
    for (std::uint32_t core = 0; core < cores; ++core) first[core + 1] += first[core];
    order_.resize(log_.tasks.size());
    std::vector<std::uint32_t> fill(first.begin(), first.end() - 1);
    for (std::uint32_t record = 0; record < log_.tasks.size(); ++record) order_[fill[log_.tasks[record].core]++] = record;
    auto earlier = [this](std::uint32_t a, std::uint32_t b) {
      const hwmodel::GmTaskAccess& x = log_.tasks[a];
      const hwmodel::GmTaskAccess& y = log_.tasks[b];
      if (x.start_ns != y.start_ns) return x.start_ns < y.start_ns;
      if (x.end_ns != y.end_ns) return x.end_ns < y.end_ns;
      return a < b;
    };
    streams_.resize(cores);
    for (std::uint32_t core = 0; core < cores; ++core) {
      const auto from = order_.begin() + first[core];
      const auto to = order_.begin() + first[core + 1];
      if (!std::is_sorted(from, to, earlier)) std::sort(from, to, earlier);
      for (auto it = from; it != to && it + 1 != to; ++it) {
        PTOSIM_ASSERT(log_.tasks[*(it + 1)].start_ns >= log_.tasks[*it].end_ns,
                      "core " + std::to_string(core) + " logged two kernels that overlap in time");
      }
      streams_[core].next_record = first[core];
      streams_[core].end_record = first[core + 1];
    }
  }

  // Micro-program accesses in time order (reads first at equal times), in the order logged.
  void sort_program_accesses() {
    program_order_.resize(log_.program.size());
    for (std::uint32_t i = 0; i < program_order_.size(); ++i) program_order_[i] = i;
    std::stable_sort(program_order_.begin(), program_order_.end(),
                     [this](std::uint32_t a, std::uint32_t b) { return program_key(a) < program_key(b); });
  }
  std::pair<TimeNs, std::uint32_t> program_key(std::uint32_t i) const {
    return {log_.program[i].time_ns, hwmodel::is_read(log_.program[i].kind) ? 0U : 1U};
  }

  // Replays the core's accesses while its next one comes before every other core's and every
  // micro-program access (no queue operation for a task's accesses at one instant); false when
  // the run's end is reached.
  bool replay_core(std::uint32_t core, std::size_t next_program) {
    Stream& stream = streams_[core];
    while (true) {
      const Event& event = stream.events[stream.next_event];
      if (event.time_ns > end_ns_) return false;
      process_task_event(stream, event);
      ++stream.next_event;
      if (!advance(core)) return true;
      const HeadKey next = head_key(core);
      const bool before_cores = heads_.empty() || next < heads_.top();
      const bool before_program = next_program == program_order_.size() || time_and_write(next) <= program_key(program_order_[next_program]);
      if (before_cores && before_program) continue;
      heads_.push(next);
      return true;
    }
  }

  // Makes the core's next access current: false when the core has none left.
  bool advance(std::uint32_t core) {
    Stream& stream = streams_[core];
    while (stream.next_event >= stream.events.size()) {
      if (stream.next_record == stream.end_record) return false;
      expand(stream, order_[stream.next_record++]);
    }
    return true;
  }

  // The accesses of one record, in time order: reads when the kernel starts (or row by row
  // across its duration), writes when it ends (or row by row).
  void expand(Stream& stream, std::uint32_t record) {
    const hwmodel::GmTaskAccess& task = log_.tasks[record];
    const ProgramOp& op = program_.ops[ref_.task_ops_[task.task]];
    const hwmodel::KernelSpec& kernel = ref_.kernels_[op.kernel];
    PTOSIM_ASSERT(task.view_count == program_.args(op).size(), "a logged task has another number of arguments than its op");
    stream.record = record;
    stream.events.clear();
    stream.next_event = 0;
    stream.views.resize(program_.args(op).size());
    const bool per_row_read = per_row_reads(kernel);
    const bool per_row_write = per_row_writes(kernel);
    std::uint32_t next_read = ref_.task_reads_[task.task];
    for (std::uint32_t v = 0; v < program_.args(op).size(); ++v) {
      const ArgSpec& spec = program_.args(op)[v];
      const TensorLayout& layout = program_.layout(spec);
      ViewInfo& view = stream.views[v];
      view.address = log_.addresses[task.first_address + v];
      view.element_bytes = hwmodel::dtype_bytes(layout.dtype);
      view.read_base = next_read;
      view.runtime_allocated = spec.kind == ArgKind::output || spec.source().external == NO_INDEX;
      view.one_run = spec.rows == NO_INDEX && layout.is_contiguous();
      if (view.one_run) {
        view.whole_begin = view.address + bytes_of(layout.start_offset, view.element_bytes);
        view.whole_end = view.whole_begin + bytes_of(layout.element_count(), view.element_bytes);
      }
      if (hwmodel::reads(access_of(spec.kind))) next_read += per_row_read ? static_cast<std::uint32_t>(row_count(layout, rows_of(spec))) : 1;
    }
    PTOSIM_ASSERT(next_read == ref_.task_reads_[task.task + 1], "a logged task reads other arguments than the reference's");
    if (!per_row_read && !per_row_write) {
      // Every read when the kernel starts, every write when it ends: already in order.
      for (std::uint32_t v = 0; v < program_.args(op).size(); ++v) {
        if (hwmodel::reads(access_of(program_.args(op)[v].kind))) stream.events.push_back(Event{task.start_ns, v, -1, 0});
      }
      for (std::uint32_t v = 0; v < program_.args(op).size(); ++v) {
        if (hwmodel::writes(access_of(program_.args(op)[v].kind))) stream.events.push_back(Event{task.end_ns, v, -1, 1});
      }
      return;
    }
    expand_rows(stream, task, op, kernel);
  }

  // The accesses of a record whose kernel reads or writes row by row.
  void expand_rows(Stream& stream, const hwmodel::GmTaskAccess& task, const ProgramOp& op, const hwmodel::KernelSpec& kernel) {
    const TimeNs duration_ns = task.end_ns - task.start_ns;
    const bool per_row_read = per_row_reads(kernel);
    const bool per_row_write = per_row_writes(kernel);
    for (std::uint32_t v = 0; v < program_.args(op).size(); ++v) {
      const ArgSpec& spec = program_.args(op)[v];
      const hwmodel::GmAccess access = access_of(spec.kind);
      const bool row_by_row = (hwmodel::reads(access) && per_row_read) || (hwmodel::writes(access) && per_row_write);
      const std::int64_t rows = row_by_row ? row_count(program_.layout(spec), rows_of(spec)) : 1;
      PTOSIM_ASSERT(rows < INT32_MAX, "more rows than the data oracle numbers");
      if (hwmodel::reads(access)) {
        const bool sweep = kernel.reads == hwmodel::ReadTiming::sweep;
        for (std::int64_t r = 0; r < (per_row_read ? rows : 1); ++r) {
          const TimeNs at = sweep ? task.start_ns + r * duration_ns / rows : task.start_ns;
          stream.events.push_back(Event{at, v, per_row_read ? static_cast<std::int32_t>(r) : -1, 0});
        }
      }
      if (hwmodel::writes(access)) {
        const bool sweep = kernel.writes == hwmodel::WriteTiming::sweep;
        for (std::int64_t r = 0; r < (per_row_write ? rows : 1); ++r) {
          const TimeNs at = sweep ? task.start_ns + (r + 1) * duration_ns / rows : task.end_ns;
          stream.events.push_back(Event{at, v, per_row_write ? static_cast<std::int32_t>(r) : -1, 1});
        }
      }
    }
    sort_events(stream.events);
  }

  // Stable by (time, reads before writes): at equal keys the argument order stays. A task's
  // accesses are few and nearly sorted (reads at the start, writes at the end, sweeps in order).
  static void sort_events(std::vector<Event>& events) {
    auto before = [](const Event& x, const Event& y) {
      return x.time_ns < y.time_ns || (x.time_ns == y.time_ns && x.write < y.write);
    };
    if (events.size() > 64) {
      std::stable_sort(events.begin(), events.end(), before);
      return;
    }
    for (std::size_t i = 1; i < events.size(); ++i) {
      const Event moving = events[i];
      std::size_t k = i;
      for (; k > 0 && before(moving, events[k - 1]); --k) events[k] = events[k - 1];
      events[k] = moving;
    }
  }

  const std::vector<std::int64_t>* rows_of(const ArgSpec& spec) const {
    return spec.rows != NO_INDEX ? &program_.row_lists[spec.rows] : nullptr;
  }

  // The GM byte ranges of one access, appended to runs_ as element runs from the buffer base
  // (one_run: the whole argument's bytes are in the ViewInfo instead).
  void access_runs(const ArgSpec& spec, const Event& event) { segment_runs(program_.layout(spec), rows_of(spec), event.row, runs_); }

  void process_task_event(const Stream& stream, const Event& event) {
    const std::uint32_t record = stream.record;
    const hwmodel::GmTaskAccess& task = log_.tasks[record];
    const ViewInfo& view = stream.views[event.view];
    const bool one_run = view.one_run && event.row < 0;
    if (event.write != 0) {
      const ProgramOp& op = program_.ops[ref_.task_ops_[task.task]];
      bool tainted = task_tainted_[record];
      if (ref_.kernels_[op.kernel].data_flow == hwmodel::DataFlow::row) {
        auto bad = rows_tainted_.find(record);
        tainted = bad != rows_tainted_.end() && bad->second[static_cast<std::size_t>(event.row)];
      }
      const Version version{task.task, static_cast<std::uint16_t>(event.view), tainted};
      if (one_run) {
        memory_.write(view.whole_begin, view.whole_end, version);
        return;
      }
      access_runs(program_.args(op)[event.view], event);
      for (const ElementRange& run : runs_) {
        memory_.write(view.address + bytes_of(run.begin, view.element_bytes), view.address + bytes_of(run.end, view.element_bytes), version);
      }
      return;
    }
    const ExpectedRead& expected = ref_.reads_[view.read_base + static_cast<std::uint32_t>(event.row >= 0 ? event.row : 0)];
    // A buffer the runtime allocated holds undefined contents until the program writes it: a
    // read the reference sees before any write cannot be wrong, so GM need not be read.
    if (view.runtime_allocated && expected.single() && expected.first == hwmodel::UNWRITTEN) return;
    observed_.clear();
    if (one_run) {
      memory_.read(view.whole_begin, view.whole_end, observed_);
    } else {
      access_runs(program_.args(program_.ops[ref_.task_ops_[task.task]])[event.view], event);
      for (const ElementRange& run : runs_) {
        memory_.read(view.address + bytes_of(run.begin, view.element_bytes), view.address + bytes_of(run.end, view.element_bytes), observed_);
      }
    }
    // The common case: one version seen where the reference saw it.
    if (expected.single() && observed_.size() == 1 && observed_[0].version == expected.version()) return;
    for (VersionPiece& piece : observed_) {
      piece.begin -= view.address;
      piece.end -= view.address;
    }
    // One version over the whole read compares as one piece covering every byte.
    const VersionPiece whole{0, UINT64_MAX, expected.version()};
    const VersionPiece* first_piece = expected.single() ? &whole : ref_.pieces_of(expected);
    const std::uint32_t piece_count = expected.single() ? 1 : expected.count & ~ExpectedRead::PIECES;
    ranges_.clear();
    if (compare(observed_, first_piece, piece_count, view.runtime_allocated, &ranges_) == 0) return;
    mismatch(stream, event, first_piece, piece_count);
  }

  // A read that saw another version than the reference's: count it, taint what the task writes.
  void mismatch(const Stream& stream, const Event& event, const VersionPiece* expected, std::uint32_t expected_count) {
    PTOSIM_MARK("oracle read mismatch");
    const std::uint32_t record = stream.record;
    const hwmodel::GmTaskAccess& task = log_.tasks[record];
    const ProgramOp& op = program_.ops[ref_.task_ops_[task.task]];
    ++verdict_.wrong_reads;
    task_tainted_[record] = true;
    if (ref_.kernels_[op.kernel].data_flow == hwmodel::DataFlow::row) {
      const ArgSpec& spec = program_.args(op)[event.view];
      std::vector<bool>& bad = rows_tainted_[record];
      bad.resize(static_cast<std::size_t>(row_count(program_.layout(spec), rows_of(spec))), false);
      bad[static_cast<std::size_t>(event.row)] = true;
    }
    if (first_wrong_.empty()) describe_first_wrong(task, event, stream.views[event.view].element_bytes, expected, expected_count);
  }

  // Names what was seen and what the program means at the first mismatching byte.
  void describe_first_wrong(const hwmodel::GmTaskAccess& task, const Event& event, std::uint32_t element_bytes,
                            const VersionPiece* expected, std::uint32_t expected_count) {
    Version seen;
    Version meant;
    for (const VersionPiece& piece : observed_) {
      if (piece.begin <= ranges_[0].begin && ranges_[0].begin < piece.end) seen = piece.version;
    }
    for (std::uint32_t p = 0; p < expected_count; ++p) {
      if (expected[p].begin <= ranges_[0].begin && ranges_[0].begin < expected[p].end) meant = expected[p].version;
    }
    auto describe = [this](const Version& version) -> std::string {
      if (version.writer == hwmodel::UNWRITTEN) return "the contents before the program ran";
      std::string text = "the write of task '" + program_.task_name(version.writer) + "' (ordinal " + std::to_string(version.writer) + ")";
      return version.tainted ? "a wrong value from " + text : text;
    };
    const std::string loops = program_.task_loops(task.task);
    first_wrong_ = "task '" + program_.task_name(task.task) + "' (ordinal " + std::to_string(task.task) +
                   (loops.empty() ? "" : ", " + loops) + ") read " + tensor_name_of(program_, ref_.task_ops_, task.task, event.view) +
                   " elements [" + std::to_string(ranges_[0].begin / element_bytes) + ", " +
                   std::to_string(ranges_[0].end / element_bytes) + ") at t=" + std::to_string(event.time_ns) + " ns and saw " +
                   describe(seen) + " where the sequential program sees " + describe(meant);
  }

  // Out of line: it runs only for micro-programs.
  [[gnu::noinline]] void process_program(const hwmodel::ProgramAccess& access) {
    const std::uint64_t line = access.begin / hwmodel::CACHE_LINE_BYTES * hwmodel::CACHE_LINE_BYTES;
    switch (access.kind) {
      case hwmodel::ProgramAccessKind::load:
      case hwmodel::ProgramAccessKind::cache_read: program_read(access, line); return;
      case hwmodel::ProgramAccessKind::commit:
      case hwmodel::ProgramAccessKind::cache_write: {
        const ProgramOp& op = program_.ops[ref_.task_ops_[access.task]];
        auto deps = dependencies_.find({op.kernel, access.block});
        if (deps == dependencies_.end()) {
          const hwmodel::KernelSpec& kernel = ref_.kernels_.at(op.kernel);
          deps = dependencies_.emplace(std::pair{op.kernel, access.block}, hwmodel::store_dependencies(kernel.program->blocks.at(access.block))).first;
        }
        bool tainted = false;
        for (std::uint32_t read : deps->second.at(access.access)) tainted = tainted || bad_reads_.count({access.task, access.block, read}) != 0;
        const Version version{access.task, static_cast<std::uint16_t>(access.access), tainted};
        if (access.kind == hwmodel::ProgramAccessKind::commit) {
          memory_.write(access.begin, access.end, version);
        } else {
          cache_lines_[{access.core, line}].write(access.begin, access.end, version);
        }
        return;
      }
      case hwmodel::ProgramAccessKind::cache_fill: {
        hwmodel::VersionMap image;
        scratch_.clear();
        memory_.read(access.begin, access.end, scratch_);
        for (const VersionPiece& piece : scratch_) image.write(piece.begin, piece.end, piece.version);
        cache_lines_[{access.core, line}] = std::move(image);
        return;
      }
      case hwmodel::ProgramAccessKind::writeback: {
        auto image = cache_lines_.find({access.core, line});
        if (image == cache_lines_.end()) return;
        scratch_.clear();
        image->second.read(access.begin, access.end, scratch_);
        for (const VersionPiece& piece : scratch_) memory_.write(piece.begin, piece.end, piece.version);
        cache_lines_.erase(image);
        return;
      }
    }
  }

  // A micro-program load or cache read, against the reference's read of the same burst.
  void program_read(const hwmodel::ProgramAccess& access, std::uint64_t line) {
    const ProgramOp& op = program_.ops[ref_.task_ops_[access.task]];
    observed_.clear();
    auto image = cache_lines_.find({access.core, line});
    if (access.kind == hwmodel::ProgramAccessKind::cache_read && image != cache_lines_.end()) {
      image->second.read(access.begin, access.end, observed_);
    } else {
      memory_.read(access.begin, access.end, observed_);
    }
    for (VersionPiece& piece : observed_) {
      piece.begin -= access.base;
      piece.end -= access.base;
    }
    const ExpectedRead& expected = ref_.reads_[ref_.program_reads_.at({access.task, access.block, access.access, access.burst})];
    const std::uint64_t lo = access.begin - access.base;
    const std::uint64_t hi = access.end - access.base;
    expected_pieces_.clear();
    const VersionPiece whole{0, UINT64_MAX, expected.version()};
    const VersionPiece* first_piece = expected.single() ? &whole : ref_.pieces_of(expected);
    const std::uint32_t piece_count = expected.single() ? 1 : expected.count & ~ExpectedRead::PIECES;
    for (std::uint32_t p = 0; p < piece_count; ++p) {
      VersionPiece piece = first_piece[p];
      piece.begin = std::max(piece.begin, lo);
      piece.end = std::min(piece.end, hi);
      if (piece.begin < piece.end) expected_pieces_.push_back(piece);
    }
    const ArgSpec& spec = program_.args(op).at(access.arg);
    const bool runtime_allocated = spec.kind == ArgKind::output || spec.source().external == NO_INDEX;
    ranges_.clear();
    if (compare(observed_, expected_pieces_.data(), expected_pieces_.size(), runtime_allocated, &ranges_) == 0) return;
    ++verdict_.wrong_reads;
    bad_reads_.insert({access.task, access.block, access.access});
    if (!first_wrong_.empty()) return;
    const std::uint32_t element_bytes = hwmodel::dtype_bytes(program_.layout(spec).dtype);
    first_wrong_ = "task '" + program_.task_name(access.task) + "' (ordinal " + std::to_string(access.task) + ") block " +
                   std::to_string(access.block) + " read " + tensor_name_of(program_, ref_.task_ops_, access.task, access.arg) +
                   " elements [" + std::to_string(ranges_[0].begin / element_bytes) + ", " +
                   std::to_string(ranges_[0].end / element_bytes) + ") at t=" + std::to_string(access.time_ns) + " ns (" +
                   (access.kind == hwmodel::ProgramAccessKind::load ? "MTE2 load" : "scalar load") +
                   " of a micro-program) before the write the sequential program sees had reached it";
  }

  // The host reads every external tensor the program wrote.
  void judge_externals() {
    std::string tensors;
    for (const auto& [e, expected] : ref_.finals_) {
      const ExternalTensor& external = program_.externals[e];
      const std::uint32_t element_bytes = hwmodel::dtype_bytes(external.layout.dtype);
      observed_.clear();
      memory_.read(external.address, external.address + external.bytes, observed_);
      for (VersionPiece& piece : observed_) {
        piece.begin -= external.address;
        piece.end -= external.address;
      }
      ranges_.clear();
      const std::uint64_t mismatched = compare(observed_, expected.data(), expected.size(), false, &ranges_);
      TensorMismatch mismatch;
      mismatch.tensor = external.name;
      mismatch.elements = external.layout.element_count();
      mismatch.mismatched_elements = static_cast<std::int64_t>(mismatched / element_bytes);
      for (const ByteRange& range : ranges_) {
        mismatch.first_ranges.push_back(ElementRange{static_cast<std::int64_t>(range.begin / element_bytes),
                                                     static_cast<std::int64_t>(range.end / element_bytes)});
      }
      tensors += (tensors.empty() ? "" : ", ") + external.name + " " +
                 (mismatched == 0 ? std::string("correct") : percent(mismatch.mismatched_elements, mismatch.elements) + " wrong");
      verdict_.wrong = verdict_.wrong || mismatched != 0;
      verdict_.tensors.push_back(std::move(mismatch));
    }
    verdict_.wrong = verdict_.wrong || verdict_.wrong_reads != 0;
    if (!verdict_.wrong) return;
    verdict_.summary = "wrong values: " +
                       (first_wrong_.empty() ? std::string("every read saw the sequential program's data, but the final contents differ")
                                             : first_wrong_) +
                       (tensors.empty() ? "" : "; " + tensors);
  }

  const DataReference& ref_;
  const Program& program_;
  const hwmodel::GmAccessLog& log_;
  const TimeNs end_ns_;
  std::vector<std::uint32_t> order_;  // record indices, core by core, each core's in time order
  std::vector<Stream> streams_;       // per core
  std::priority_queue<HeadKey, std::vector<HeadKey>, std::greater<>> heads_;  // every core's current access
  std::vector<std::uint32_t> program_order_;
  DataVerdict verdict_;
  hwmodel::VersionMap memory_;
  std::vector<bool> task_tainted_;                          // per record
  std::map<std::uint32_t, std::vector<bool>> rows_tainted_;  // row data flow: record -> bad input rows
  std::vector<ElementRange> runs_;
  std::vector<VersionPiece> observed_;
  std::vector<ByteRange> ranges_;
  std::string first_wrong_;
  std::map<std::pair<std::uint32_t, std::uint64_t>, hwmodel::VersionMap> cache_lines_;  // (core, line) -> contents
  std::set<std::array<std::uint32_t, 3>> bad_reads_;  // (task, block, read number) that saw a wrong version
  std::map<std::pair<std::uint32_t, std::uint32_t>, std::vector<std::vector<std::uint32_t>>> dependencies_;
  std::vector<VersionPiece> scratch_;
  std::vector<VersionPiece> expected_pieces_;
};

DataVerdict DataReference::judge(const hwmodel::GmAccessLog& log, TimeNs end_ns) const {
  return LogReplay(*this, log, end_ns).run();
}

}  // namespace ptosim::runtime

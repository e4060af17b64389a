// The schedule of one block of a kernel micro-program: every operation gets a start and a retire
// time from its pipe's queue, its flag and barrier waits and its cost, in one pass over the op
// list in program order (see micro_program.h for what is modelled and what is left out).
#include "hwmodel/micro_program.h"

#include "simcore/model_assert.h"
#include "simcore/marks.h"

#include <algorithm>

namespace ptosim::hwmodel {

const char* to_string(Pipe pipe) {
  switch (pipe) {
    case Pipe::s: return "S";
    case Pipe::v: return "V";
    case Pipe::m: return "M";
    case Pipe::mte1: return "MTE1";
    case Pipe::mte2: return "MTE2";
    case Pipe::mte3: return "MTE3";
    case Pipe::fix: return "FIX";
    case Pipe::all: return "ALL";
  }
  return "?";
}

bool parse_pipe(const std::string& text, Pipe& out) {
  for (Pipe pipe : {Pipe::s, Pipe::v, Pipe::m, Pipe::mte1, Pipe::mte2, Pipe::mte3, Pipe::fix, Pipe::all}) {
    if (text == to_string(pipe)) {
      out = pipe;
      return true;
    }
  }
  return false;
}

const char* to_string(MicroOpKind kind) {
  switch (kind) {
    case MicroOpKind::tload: return "tload";
    case MicroOpKind::tstore: return "tstore";
    case MicroOpKind::compute: return "compute";
    case MicroOpKind::scalar_load: return "scalar_load";
    case MicroOpKind::scalar_store: return "scalar_store";
    case MicroOpKind::set_flag: return "set_flag";
    case MicroOpKind::wait_flag: return "wait_flag";
    case MicroOpKind::pipe_barrier: return "pipe_barrier";
    case MicroOpKind::dsb: return "dsb";
    case MicroOpKind::dcci: return "dcci";
  }
  return "?";
}

std::string operand_layout(const TensorLayout& arg_layout, const GmOperand& operand, TensorLayout& out) {
  out = arg_layout;
  const std::vector<std::int64_t> shapes(operand.shapes.begin(), operand.shapes.begin() + operand.ndims);
  const std::vector<std::int64_t> offsets(operand.offsets.begin(), operand.offsets.begin() + operand.ndims);
  return apply_view(out, shapes, offsets);
}

void burst_ranges(const TensorLayout& view, std::vector<std::vector<ElementRange>>& bursts) {
  bursts.clear();
  if (view.element_count() == 0) return;
  if (view.ndims == 1) {
    bursts.emplace_back();
    append_runs(view, bursts.back());
    return;
  }
  for (std::int64_t row = 0; row < view.shapes[0]; ++row) {
    bursts.emplace_back();
    append_runs(select_row(view, row), bursts.back());
  }
}

namespace {

TimeNs plus(TimeNs at, TimeNs duration) { return at >= TIME_NEVER - duration ? TIME_NEVER : at + duration; }
TimeNs later(TimeNs a, TimeNs b) { return a > b ? a : b; }

std::uint16_t flag_key(Pipe src, Pipe dst, std::uint8_t id) {
  return static_cast<std::uint16_t>((static_cast<int>(src) * PIPE_COUNT + static_cast<int>(dst)) * FLAG_IDS + id);
}

// A burst of this block that has been issued and may not have committed yet.
struct InFlight {
  TimeNs issue_ns = 0;
  TimeNs commit_ns = 0;
  std::uint64_t begin = 0;
  std::uint64_t end = 0;
};

bool same_line(std::uint64_t a_begin, std::uint64_t a_end, std::uint64_t b_begin, std::uint64_t b_end) {
  const std::uint64_t a_first = a_begin / CACHE_LINE_BYTES;
  const std::uint64_t a_last = (a_end - 1) / CACHE_LINE_BYTES;
  const std::uint64_t b_first = b_begin / CACHE_LINE_BYTES;
  const std::uint64_t b_last = (b_end - 1) / CACHE_LINE_BYTES;
  return a_first <= b_last && b_first <= a_last;
}

class Scheduler {
 public:
  Scheduler(const TaskDescriptor& descriptor, std::uint32_t core, const PipeTiming& timing, const CommitModel& commit,
            const CoreFaults& faults, const ScheduleKeys& keys, simcore::DecisionSource& decisions, DataCache& cache,
            std::vector<ProgramAccess>& accesses)
      : descriptor_(descriptor),
        core_(core),
        timing_(timing),
        faults_(faults),
        keys_(keys),
        decisions_(decisions),
        cache_(cache),
        accesses_(accesses),
        subject_((static_cast<std::uint64_t>(descriptor.task) << 16) | descriptor.block) {
    commit_min_ns_ = faults.commit_override ? faults.commit_min_ns : commit.commit_min_ns;
    commit_max_ns_ = faults.commit_override ? faults.commit_max_ns : commit.commit_max_ns;
    fin_before_commit_ = commit.fin_before_commit;
    drain_bytes_per_us_ = commit.drain_bytes_per_us;
  }

  BlockSchedule run(const std::vector<MicroOp>& ops, TimeNs start_ns) {
    issue_ns_ = start_ns;
    pipe_start_.fill(start_ns);
    pipe_retire_.fill(start_ns);
    commit_ns_ = start_ns;
    for (const MicroOp& op : ops) {
      issue_ns_ = plus(issue_ns_, timing_.scalar_issue_ns);
      if (issue_ns_ == TIME_NEVER || schedule.wedged) break;
      step(op);
    }
    TimeNs retire = issue_ns_;
    for (int p = 0; p < PIPE_COUNT; ++p) retire = later(retire, later(pipe_start_[p], pipe_retire_[p]));
    schedule.retire_ns = retire;
    schedule.commit_ns = commit_ns_;
    if (retire == TIME_NEVER && !schedule.wedged) {
      PTOSIM_MARK("core wait never satisfied");
      schedule.wedged = true;
      schedule.wedge_ns = stuck_since_ns_;
      schedule.wedge_reason = stuck_reason_;
    }
    schedule.end_ns = schedule.wedged ? TIME_NEVER : fin_before_commit_ ? retire : later(retire, commit_ns_);
    return schedule;
  }

  BlockSchedule schedule;

 private:
  TimeNs scaled(TimeNs duration_ns) const {
    return duration_ns * static_cast<TimeNs>(faults_.slow_num) / static_cast<TimeNs>(faults_.slow_den);
  }
  TimeNs dma_ns(std::int64_t bytes, std::int64_t k_bytes, std::int64_t milli_bytes_per_ns) const {
    return scaled(((k_bytes + bytes) * 1000 + milli_bytes_per_ns - 1) / milli_bytes_per_ns);
  }
  int index(Pipe pipe) const { return static_cast<int>(pipe); }

  void block_forever(const std::string& reason) {
    if (stuck_since_ns_ == TIME_NEVER) {
      stuck_since_ns_ = issue_ns_;
      stuck_reason_ = reason;
    }
  }

  // Element ranges of an operand as absolute GM byte ranges, one list per burst.
  void operand_bursts(const GmOperand& operand, std::vector<std::vector<std::pair<std::uint64_t, std::uint64_t>>>& out) {
    const GmView& view = descriptor_.views.at(operand.arg);
    TensorLayout layout;
    const std::string problem = operand_layout(*view.layout, operand, layout);
    PTOSIM_ASSERT(problem.empty(), "a validated GM operand does not fit its argument: " + problem);
    burst_ranges(layout, element_bursts_);
    const std::uint64_t element_bytes = dtype_bytes(layout.dtype);
    out.clear();
    for (const auto& runs : element_bursts_) {
      out.emplace_back();
      for (const ElementRange& run : runs) {
        out.back().emplace_back(view.buffer_address + static_cast<std::uint64_t>(run.begin) * element_bytes,
                                view.buffer_address + static_cast<std::uint64_t>(run.end) * element_bytes);
      }
    }
  }

  static std::int64_t bytes_of(const std::vector<std::vector<std::pair<std::uint64_t, std::uint64_t>>>& bursts) {
    std::int64_t total = 0;
    for (const auto& burst : bursts) {
      for (const auto& [begin, end] : burst) total += static_cast<std::int64_t>(end - begin);
    }
    return total;
  }

  void log(TimeNs at, std::uint32_t access, std::uint32_t burst, ProgramAccessKind kind, std::uint64_t begin,
           std::uint64_t end, const GmOperand* operand = nullptr) {
    const std::uint32_t arg = operand != nullptr ? operand->arg : 0;
    const std::uint64_t base = operand != nullptr ? descriptor_.views.at(arg).buffer_address : 0;
    accesses_.push_back(ProgramAccess{at, descriptor_.task, core_, descriptor_.block, access, burst, kind, arg, base, begin, end});
  }

  void step(const MicroOp& op) {
    switch (op.kind) {
      case MicroOpKind::compute: {
        const int p = index(op.pipe);
        const TimeNs start = later(issue_ns_, pipe_start_[p]);
        pipe_start_[p] = start;
        pipe_retire_[p] = later(pipe_retire_[p], plus(start, scaled(op.duration_ns)));
        return;
      }
      case MicroOpKind::tload: return tload(op);
      case MicroOpKind::tstore: return tstore(op);
      case MicroOpKind::set_flag: {
        const int src = index(op.pipe);
        // Queued in the source pipe: fires once every earlier operation there has retired.
        const TimeNs fire = plus(later(issue_ns_, later(pipe_start_[src], pipe_retire_[src])), timing_.flag_ns);
        pending_.emplace_back(flag_key(op.pipe, op.flag_dst, op.flag_id), fire);
        return;
      }
      case MicroOpKind::wait_flag: {
        const int dst = index(op.flag_dst);
        const TimeNs queued = later(issue_ns_, pipe_start_[dst]);
        const std::uint16_t key = flag_key(op.pipe, op.flag_dst, op.flag_id);
        auto first = std::find_if(pending_.begin(), pending_.end(), [key](const auto& entry) { return entry.first == key; });
        if (first == pending_.end()) {
          // Nothing will ever set it: the destination pipe stops here for good.
          block_forever(std::string("wait_flag(") + to_string(op.pipe) + ", " + to_string(op.flag_dst) + ", " +
                        std::to_string(op.flag_id) + ") that no set_flag satisfies");
          pipe_start_[dst] = TIME_NEVER;
          return;
        }
        const TimeNs consumed = later(queued, first->second);
        pending_.erase(first);
        // A 1-bit flag: other sets that fired while it was still set were lost.
        std::erase_if(pending_, [key, consumed](const auto& entry) { return entry.first == key && entry.second <= consumed; });
        pipe_start_[dst] = consumed;
        return;
      }
      case MicroOpKind::pipe_barrier: {
        // Issued through the scalar unit: later instructions wait until the pipe(s) drained.
        TimeNs drained = issue_ns_;
        for (int p = 0; p < PIPE_COUNT; ++p) {
          if (op.pipe != Pipe::all && p != index(op.pipe)) continue;
          drained = later(drained, later(pipe_start_[p], pipe_retire_[p]));
        }
        if (drained == TIME_NEVER) block_forever(std::string("pipe_barrier(") + to_string(op.pipe) + ") on a stopped pipe");
        issue_ns_ = drained;
        return;
      }
      case MicroOpKind::dsb:
        // dsb(DSB_DDR): every earlier GM write of the core (bursts, write-backs) has committed.
        issue_ns_ = plus(later(issue_ns_, commit_ns_), timing_.dsb_ns);
        return;
      case MicroOpKind::scalar_load:
      case MicroOpKind::scalar_store: return scalar(op);
      case MicroOpKind::dcci: return dcci(op);
    }
  }

  void tload(const MicroOp& op) {
    const int p = index(Pipe::mte2);
    const TimeNs start = later(issue_ns_, pipe_start_[p]);
    const std::uint32_t number = reads_++;
    if (start == TIME_NEVER) return;
    operand_bursts(op.gm, bursts_);
    const TimeNs cost = op.duration_ns > 0 ? scaled(op.duration_ns)
                                           : dma_ns(bytes_of(bursts_), timing_.gm_to_ub_k_bytes, timing_.gm_to_ub_milli_bytes_per_ns);
    const auto n = static_cast<TimeNs>(bursts_.size());
    bool hang_decided = false;
    for (std::size_t b = 0; b < bursts_.size(); ++b) {
      const TimeNs sample = start + cost * static_cast<TimeNs>(b) / n;
      // mte_hang: this read overlaps a line of a write of the core still in flight.
      if (faults_.hang_num > 0 && !hang_decided) {
        for (const auto& [begin, end] : bursts_[b]) {
          for (const InFlight& write : in_flight_) {
            if (write.issue_ns > sample || write.commit_ns <= sample) continue;
            if (!same_line(begin, end, write.begin, write.end)) continue;
            hang_decided = true;
            break;
          }
          if (hang_decided) break;
        }
        if (hang_decided && decisions_.decide_chance({keys_.hang_stream, subject_, number}, faults_.hang_num, faults_.hang_den)) {
          PTOSIM_MARK("fault mte_hang");
          schedule.wedged = true;
          schedule.wedge_ns = sample;
          schedule.wedge_reason = "MTE2 read of an in-flight MTE3 write's line wedged the MTE engine (fault mte_hang)";
          pipe_start_[p] = TIME_NEVER;
          return;
        }
      }
      for (const auto& [begin, end] : bursts_[b]) {
        log(sample, number, static_cast<std::uint32_t>(b), ProgramAccessKind::load, begin, end, &op.gm);
      }
    }
    pipe_start_[p] = start;
    pipe_retire_[p] = later(pipe_retire_[p], start + cost);
  }

  void tstore(const MicroOp& op) {
    const int p = index(Pipe::mte3);
    const TimeNs start = later(issue_ns_, pipe_start_[p]);
    const std::uint32_t number = writes_++;
    if (start == TIME_NEVER) return;
    operand_bursts(op.gm, bursts_);
    const TimeNs cost = op.duration_ns > 0 ? scaled(op.duration_ns)
                                           : dma_ns(bytes_of(bursts_), timing_.ub_to_gm_k_bytes, timing_.ub_to_gm_milli_bytes_per_ns);
    const auto n = static_cast<TimeNs>(bursts_.size());
    // The bursts of one transfer wait in the same write path: one decided delay per store, each
    // burst committing that long after it was issued (so the tail rows land last). Independent
    // delays per burst made a clean 64-burst pass vanishingly rare (docs/fidelity.md).
    const TimeNs delay = decisions_.decide_ns({keys_.commit_stream, subject_, number}, commit_min_ns_, commit_max_ns_);
    for (std::size_t b = 0; b < bursts_.size(); ++b) {
      const TimeNs issued = start + cost * static_cast<TimeNs>(b + 1) / n;
      TimeNs committed = issued + delay;
      if (drain_bytes_per_us_ > 0) {
        // Bursts drain one after another through the write path at its bandwidth.
        std::int64_t burst_bytes = 0;
        for (const auto& [begin, end] : bursts_[b]) burst_bytes += static_cast<std::int64_t>(end - begin);
        committed = later(committed, drained_ns_ + (burst_bytes * 1000 + drain_bytes_per_us_ - 1) / drain_bytes_per_us_);
        drained_ns_ = committed;
      }
      commit_ns_ = later(commit_ns_, committed);
      for (const auto& [begin, end] : bursts_[b]) {
        log(committed, number, static_cast<std::uint32_t>(b), ProgramAccessKind::commit, begin, end, &op.gm);
        if (in_flight_.size() < MAX_IN_FLIGHT) in_flight_.push_back(InFlight{issued, committed, begin, end});
      }
    }
    pipe_start_[p] = start;
    pipe_retire_[p] = later(pipe_retire_[p], start + cost);
  }

  // Makes room for one more line, writing back the oldest one if it is dirty.
  void evict_if_full(TimeNs& at) {
    auto& lines = cache_.lines();
    if (lines.size() < DATA_CACHE_LINES) return;
    auto oldest = lines.begin();
    for (auto it = lines.begin(); it != lines.end(); ++it) {
      if (it->second.filled < oldest->second.filled) oldest = it;
    }
    if (oldest->second.dirty) {
      at += scaled(timing_.scalar_miss_ns);
      log(at, 0, 0, ProgramAccessKind::writeback, oldest->first, oldest->first + CACHE_LINE_BYTES);
      commit_ns_ = later(commit_ns_, at);
    }
    lines.erase(oldest);
  }

  void scalar(const MicroOp& op) {
    const bool store = op.kind == MicroOpKind::scalar_store;
    const std::uint32_t number = store ? writes_++ : reads_++;
    operand_bursts(op.gm, bursts_);
    TimeNs at = issue_ns_;
    for (std::size_t b = 0; b < bursts_.size(); ++b) {
      const auto burst = static_cast<std::uint32_t>(b);
      for (const auto& [begin, end] : bursts_[b]) {
        // Split at line boundaries: each line is hit or filled on its own.
        for (std::uint64_t line = begin / CACHE_LINE_BYTES * CACHE_LINE_BYTES; line < end; line += CACHE_LINE_BYTES) {
          auto& lines = cache_.lines();
          auto it = lines.find(line);
          if (it == lines.end()) {
            evict_if_full(at);
            at += scaled(timing_.scalar_miss_ns);
            log(at, number, burst, ProgramAccessKind::cache_fill, line, line + CACHE_LINE_BYTES, &op.gm);
            it = lines.emplace(line, DataCache::Line{false, cache_.next_fill()}).first;
          }
          at += scaled(timing_.scalar_hit_ns);
          const std::uint64_t lo = std::max(begin, line);
          const std::uint64_t hi = std::min(end, line + CACHE_LINE_BYTES);
          log(at, number, burst, store ? ProgramAccessKind::cache_write : ProgramAccessKind::cache_read, lo, hi, &op.gm);
          if (store) it->second.dirty = true;
        }
      }
    }
    issue_ns_ = at;  // the scalar unit waits for its own loads and stores
  }

  void dcci(const MicroOp& op) {
    auto& lines = cache_.lines();
    TimeNs at = issue_ns_;
    auto write_back = [&](std::map<std::uint64_t, DataCache::Line>::iterator it) {
      if (it->second.dirty) {
        at += scaled(timing_.dcci_line_ns);
        log(at, 0, 0, ProgramAccessKind::writeback, it->first, it->first + CACHE_LINE_BYTES);
        commit_ns_ = later(commit_ns_, at);
      }
      return lines.erase(it);
    };
    if (op.whole_cache) {
      at += scaled(timing_.dcci_all_ns);
      for (auto it = lines.begin(); it != lines.end();) it = write_back(it);
    } else {
      operand_bursts(op.gm, bursts_);
      at += scaled(timing_.scalar_hit_ns);
      if (!bursts_.empty() && !bursts_.front().empty()) {
        const std::uint64_t line = bursts_.front().front().first / CACHE_LINE_BYTES * CACHE_LINE_BYTES;
        auto it = lines.find(line);
        if (it != lines.end()) write_back(it);
      }
    }
    issue_ns_ = at;
  }

  static constexpr std::size_t MAX_IN_FLIGHT = 65'536;

  const TaskDescriptor& descriptor_;
  std::uint32_t core_;
  const PipeTiming& timing_;
  const CoreFaults& faults_;
  ScheduleKeys keys_;
  simcore::DecisionSource& decisions_;
  DataCache& cache_;
  std::vector<ProgramAccess>& accesses_;
  std::uint64_t subject_;
  TimeNs commit_min_ns_ = 0;
  TimeNs commit_max_ns_ = 0;
  bool fin_before_commit_ = false;
  std::int64_t drain_bytes_per_us_ = 0;
  TimeNs drained_ns_ = 0;  // the write path is busy until then

  TimeNs issue_ns_ = 0;
  std::array<TimeNs, PIPE_COUNT> pipe_start_{};   // the next op of the pipe starts no earlier
  std::array<TimeNs, PIPE_COUNT> pipe_retire_{};  // every op of the pipe so far has retired by then
  TimeNs commit_ns_ = 0;                          // every GM write so far has committed by then
  std::vector<std::pair<std::uint16_t, TimeNs>> pending_;  // flags set and not yet consumed: (flag, fire time)
  std::vector<InFlight> in_flight_;
  std::uint32_t reads_ = 0;
  std::uint32_t writes_ = 0;
  TimeNs stuck_since_ns_ = TIME_NEVER;
  std::string stuck_reason_;
  std::vector<std::vector<ElementRange>> element_bursts_;
  std::vector<std::vector<std::pair<std::uint64_t, std::uint64_t>>> bursts_;
};

}  // namespace

BlockSchedule schedule_block(const std::vector<MicroOp>& ops, const TaskDescriptor& descriptor, std::uint32_t core,
                             TimeNs start_ns, const PipeTiming& timing, const CommitModel& commit,
                             const CoreFaults& faults, const ScheduleKeys& keys, simcore::DecisionSource& decisions,
                             DataCache& cache, std::vector<ProgramAccess>& accesses) {
  Scheduler scheduler(descriptor, core, timing, commit, faults, keys, decisions, cache, accesses);
  return scheduler.run(ops, start_ns);
}

std::vector<std::vector<std::uint32_t>> store_dependencies(const std::vector<MicroOp>& ops) {
  // Which reads feed each tile, following the tiles in program order.
  std::map<std::uint16_t, std::vector<std::uint32_t>> tile_reads;
  std::vector<std::vector<std::uint32_t>> stores;
  std::uint32_t reads = 0;
  auto merge = [](std::vector<std::uint32_t>& into, const std::vector<std::uint32_t>& from) {
    for (std::uint32_t read : from) {
      if (std::find(into.begin(), into.end(), read) == into.end()) into.push_back(read);
    }
  };
  for (const MicroOp& op : ops) {
    switch (op.kind) {
      case MicroOpKind::tload:
      case MicroOpKind::scalar_load: {
        const std::uint32_t read = reads++;
        if (op.dst_tile != NO_TILE) tile_reads[op.dst_tile] = {read};
        break;
      }
      case MicroOpKind::compute: {
        std::vector<std::uint32_t> sources;
        for (std::uint16_t tile : op.src_tiles) {
          if (tile == NO_TILE) continue;
          auto it = tile_reads.find(tile);
          if (it != tile_reads.end()) merge(sources, it->second);
        }
        if (op.dst_tile != NO_TILE) tile_reads[op.dst_tile] = std::move(sources);
        break;
      }
      case MicroOpKind::tstore:
      case MicroOpKind::scalar_store: {
        std::vector<std::uint32_t> sources;
        auto it = op.src_tiles[0] == NO_TILE ? tile_reads.end() : tile_reads.find(op.src_tiles[0]);
        if (it != tile_reads.end()) sources = it->second;
        stores.push_back(std::move(sources));
        break;
      }
      default: break;
    }
  }
  return stores;
}

}  // namespace ptosim::hwmodel

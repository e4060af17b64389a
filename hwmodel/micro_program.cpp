// The schedule of one block of a kernel micro-program: every operation gets a start and a retire
// time from its pipe's queue, its flag and barrier waits and its cost, in one pass over the op
// list in program order (see micro_program.h for what is modelled and what is left out).
#include "hwmodel/micro_program.h"

#include "simcore/model_assert.h"
#include "simcore/marks.h"

#include <algorithm>
#include <utility>

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
    case MicroOpKind::set_cross_core: return "set_cross_core";
    case MicroOpKind::wait_flag_dev: return "wait_flag_dev";
    case MicroOpKind::block_set: return "block_set";
    case MicroOpKind::block_wait: return "block_wait";
    case MicroOpKind::block_barrier: return "block_barrier";
    case MicroOpKind::notify: return "notify";
    case MicroOpKind::signal_wait: return "signal_wait";
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

// Overflow-safe time arithmetic: TIME_NEVER absorbs, and nothing wraps.
TimeNs plus(TimeNs at, TimeNs duration) {
  PTOSIM_ASSERT(duration >= 0, "a negative duration");
  return at >= TIME_NEVER - duration ? TIME_NEVER : at + duration;
}
TimeNs later(TimeNs a, TimeNs b) { return a > b ? a : b; }
// duration * num / den without overflowing the product (clamped to TIME_NEVER).
TimeNs portion(TimeNs duration, std::int64_t num, std::int64_t den) {
  PTOSIM_ASSERT(den > 0, "a portion of zero parts");
  PTOSIM_ASSERT(duration >= 0 && num >= 0, "a negative portion");
  // duration = q * den + r: duration * num / den = q * num + r * num / den, each product checked.
  const TimeNs q = duration / den;
  const TimeNs r = duration % den;
  TimeNs whole = 0;
  TimeNs part = 0;
  if (__builtin_mul_overflow(q, num, &whole) || __builtin_mul_overflow(r, num, &part)) return TIME_NEVER;
  return plus(whole, part / den);
}

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

}  // namespace

class ResumableSchedule::Impl {
 public:
  Impl(const std::vector<MicroOp>& ops, const TaskDescriptor& descriptor, std::uint32_t list, std::uint32_t core,
       const PipeTiming& timing, const CommitModel& commit, const CoreFaults& faults, const ScheduleKeys& keys,
       simcore::DecisionSource& decisions, DataCache& cache, std::vector<ProgramAccess>& accesses, std::vector<PipeSlice>* slices)
      : ops_(ops),
        descriptor_(descriptor),
        list_(list),
        core_(core),
        timing_(timing),
        faults_(faults),
        keys_(keys),
        decisions_(decisions),
        cache_(cache),
        accesses_(accesses),
        slices_(slices),
        subject_((static_cast<std::uint64_t>(descriptor.task) << 16) | list) {
    commit_min_ns_ = faults.commit_override ? faults.commit_min_ns : commit.commit_min_ns;
    commit_max_ns_ = faults.commit_override ? faults.commit_max_ns : commit.commit_max_ns;
    fin_before_commit_ = commit.fin_before_commit;
    drain_bytes_per_us_ = commit.drain_bytes_per_us;
  }

  // Runs until the end (true) or a wait on another core (false: suspended_).
  bool advance() {
    PTOSIM_ASSERT(!suspended_, "a suspended schedule advanced before its wait was satisfied");
    PTOSIM_ASSERT(!finished_, "a finished schedule advanced");
    for (; op_ < ops_.size(); ++op_) {
      issue_ns_ = plus(issue_ns_, timing_.scalar_issue_ns);
      if (issue_ns_ == TIME_NEVER || schedule.wedged) break;
      if (is_wait(ops_[op_].kind)) {
        // The whole scalar unit stops here until another core's set, barrier arrival or notify
        // satisfies it.
        suspended_ = true;
        waiting_since_ns_ = issue_ns_;
        return false;
      }
      step(ops_[op_]);
    }
    finish();
    return true;
  }

  void resume(TimeNs satisfied_ns, const SignalSource& source) {
    PTOSIM_ASSERT(suspended_, "a schedule resumed that waits for nothing");
    PTOSIM_ASSERT(satisfied_ns >= waiting_since_ns_, "a cross-core wait satisfied before it was issued");
    // A signal_wait ends with the poll that saw the cell: the hub tells it at that poll's end.
    const MicroOpKind kind = ops_[op_].kind;
    const TimeNs consumed = kind == MicroOpKind::signal_wait ? satisfied_ns : plus(satisfied_ns, timing_.flag_ns);
    slice(Pipe::s, kind, waiting_since_ns_, consumed, NO_BURST, source.op);
    if (slices_ != nullptr && !slices_->empty() && slices_->back().op == op_ && source.op != NO_OP) {
      slices_->back().peer_task = source.task;
      slices_->back().peer_list = source.list;
    }
    issue_ns_ = consumed;
    suspended_ = false;
    ++op_;
  }

  std::uint8_t waiting_id() const {
    PTOSIM_ASSERT(suspended_, "no cross-core wait pending");
    return ops_[op_].flag_id;
  }
  std::uint32_t waiting_index() const {
    PTOSIM_ASSERT(suspended_, "no wait pending");
    return op_;
  }
  const MicroOp& waiting_op() const {
    PTOSIM_ASSERT(suspended_, "no wait pending");
    return ops_[op_];
  }
  std::uint64_t cell_of(const GmOperand& operand) {
    operand_bursts(operand, bursts_);
    PTOSIM_ASSERT(!bursts_.empty() && !bursts_.front().empty(), "a signal cell with no element");
    return bursts_.front().front().first;
  }
  TimeNs waiting_since_ns() const { return waiting_since_ns_; }
  std::vector<CrossCoreSet> take_sets() { return std::exchange(sets_, {}); }

 private:
  void finish() {
    finished_ = true;
    TimeNs retire = issue_ns_;
    for (int p = 0; p < PIPE_COUNT; ++p) retire = later(retire, later(pipe_start_[p], pipe_retire_[p]));
    schedule.retire_ns = retire;
    schedule.commit_ns = commit_ns_;
    if (retire == TIME_NEVER && !schedule.wedged) {
      PTOSIM_MARK("core wait never satisfied");
      schedule.wedged = true;
      schedule.wedge_ns = stuck_since_ns_;
      schedule.wedge_reason = stuck_reason_;
      schedule.wedge_op = stuck_op_;
    }
    // A wedged block never ends; a block that ends has drained every pipe, and committed its
    // writes unless FIN may overtake them.
    PTOSIM_ASSERT(!schedule.wedged || schedule.wedge_op < ops_.size(), "a wedge names no operation");
    PTOSIM_ASSERT(schedule.wedged || retire != TIME_NEVER, "a block that ends has retired");
    schedule.end_ns = schedule.wedged ? TIME_NEVER : fin_before_commit_ ? retire : later(retire, commit_ns_);
  }

 public:
  BlockSchedule schedule;

 private:
  TimeNs scaled(TimeNs duration_ns) const { return portion(duration_ns, faults_.slow_num, faults_.slow_den); }
  TimeNs dma_ns(std::int64_t bytes, std::int64_t k_bytes, std::int64_t milli_bytes_per_ns) const {
    return scaled(((k_bytes + bytes) * 1000 + milli_bytes_per_ns - 1) / milli_bytes_per_ns);
  }
  int index(Pipe pipe) const { return static_cast<int>(pipe); }

  void block_forever(const std::string& reason) {
    if (stuck_since_ns_ == TIME_NEVER) {
      stuck_since_ns_ = issue_ns_;
      stuck_reason_ = reason;
      stuck_op_ = op_;
    }
  }

  // What the current op occupied, for traces.
  void slice(Pipe pipe, MicroOpKind kind, TimeNs start, TimeNs end, std::uint32_t burst = NO_BURST, std::uint32_t peer = NO_OP) {
    if (slices_ == nullptr || start == TIME_NEVER) return;
    PTOSIM_ASSERT(end >= start, "a slice ends before it starts");
    slices_->push_back(PipeSlice{start, end, descriptor_.task, core_, list_, op_, burst, peer, pipe, kind});
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
    accesses_.push_back(ProgramAccess{at, descriptor_.task, core_, list_, access, burst, kind, arg, base, begin, end});
  }

  void step(const MicroOp& op) {
    switch (op.kind) {
      case MicroOpKind::compute: {
        const int p = index(op.pipe);
        const TimeNs start = later(issue_ns_, pipe_start_[p]);
        pipe_start_[p] = start;
        pipe_retire_[p] = later(pipe_retire_[p], plus(start, scaled(op.duration_ns)));
        slice(op.pipe, op.kind, start, plus(start, scaled(op.duration_ns)));
        return;
      }
      case MicroOpKind::tload: return tload(op);
      case MicroOpKind::tstore: return tstore(op);
      case MicroOpKind::set_flag: {
        const int src = index(op.pipe);
        // Queued in the source pipe: fires once every earlier operation there has retired.
        const TimeNs fire = plus(later(issue_ns_, later(pipe_start_[src], pipe_retire_[src])), timing_.flag_ns);
        pending_.push_back(Pending{flag_key(op.pipe, op.flag_dst, op.flag_id), fire, op_});
        slice(op.pipe, op.kind, fire, fire);
        return;
      }
      case MicroOpKind::wait_flag: {
        const int dst = index(op.flag_dst);
        const TimeNs queued = later(issue_ns_, pipe_start_[dst]);
        const std::uint16_t key = flag_key(op.pipe, op.flag_dst, op.flag_id);
        auto first = std::find_if(pending_.begin(), pending_.end(), [key](const Pending& entry) { return entry.flag == key; });
        if (first == pending_.end()) {
          // Nothing will ever set it: the destination pipe stops here for good.
          block_forever(std::string("wait_flag(") + to_string(op.pipe) + ", " + to_string(op.flag_dst) + ", " +
                        std::to_string(op.flag_id) + ") that no set_flag satisfies");
          slice(op.flag_dst, op.kind, queued, TIME_NEVER);
          pipe_start_[dst] = TIME_NEVER;
          return;
        }
        const TimeNs consumed = later(queued, first->fire_ns);
        slice(op.flag_dst, op.kind, queued, consumed, NO_BURST, first->op);
        pending_.erase(first);
        // A 1-bit flag: other sets that fired while it was still set were lost.
        std::erase_if(pending_, [key, consumed](const Pending& entry) { return entry.flag == key && entry.fire_ns <= consumed; });
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
        slice(Pipe::s, op.kind, issue_ns_, drained);
        issue_ns_ = drained;
        return;
      }
      case MicroOpKind::dsb: {
        // dsb(DSB_DDR): every earlier GM write of the core (bursts, write-backs) has committed.
        const TimeNs done = plus(later(issue_ns_, commit_ns_), timing_.dsb_ns);
        slice(Pipe::s, op.kind, issue_ns_, done);
        issue_ns_ = done;
        return;
      }
      case MicroOpKind::scalar_load:
      case MicroOpKind::scalar_store: return scalar(op);
      case MicroOpKind::dcci: return dcci(op);
      case MicroOpKind::set_cross_core: {
        // Queued in its pipe like set_flag: fires once every earlier operation there has retired;
        // the scalar unit goes on.
        const int src = index(op.pipe);
        const TimeNs fire = plus(later(issue_ns_, later(pipe_start_[src], pipe_retire_[src])), timing_.flag_ns);
        if (fire != TIME_NEVER) sets_.push_back(CrossCoreSet{fire, op.flag_id, op.cross_mode, op_});
        slice(op.pipe, op.kind, fire, fire);
        return;
      }
      case MicroOpKind::block_set: {
        // Queued in its pipe like set_cross_core; the counter is the target block's.
        const int src = index(op.pipe);
        const TimeNs fire = plus(later(issue_ns_, later(pipe_start_[src], pipe_retire_[src])), timing_.flag_ns);
        if (fire != TIME_NEVER) {
          CrossCoreSet set{fire, op.flag_id, 0, op_, op.kind};
          set.target_block = op.target_block;
          sets_.push_back(set);
        }
        slice(op.pipe, op.kind, fire, fire);
        return;
      }
      case MicroOpKind::notify: return notify(op);
      case MicroOpKind::wait_flag_dev:
      case MicroOpKind::block_wait:
      case MicroOpKind::block_barrier:
      case MicroOpKind::signal_wait:
        PTOSIM_ASSERT(false, "a wait on another core is scheduled by advance and resume");
        return;
    }
  }

  // TNOTIFY in the library's order: dcci(line), the store, dcci(line) (the signal is in GM
  // now), dsb(DDR), pipe_barrier(ALL). The fence comes after the signal.
  void notify(const MicroOp& op) {
    const std::uint64_t cell = cell_of(op.gm);
    const std::uint64_t line = cell / CACHE_LINE_BYTES * CACHE_LINE_BYTES;
    TimeNs at = plus(issue_ns_, scaled(timing_.scalar_hit_ns));  // dcci of the line
    auto& lines = cache_.lines();
    if (auto it = lines.find(line); it != lines.end()) {
      if (it->second.dirty) {
        // Other data of the line goes back with it (the whole line, hardware-sync.md §3).
        at = plus(at, scaled(timing_.dcci_line_ns));
        log(at, 0, 0, ProgramAccessKind::writeback, line, line + CACHE_LINE_BYTES);
        commit_ns_ = later(commit_ns_, at);
      }
      lines.erase(it);
    }
    at = plus(at, scaled(timing_.scalar_hit_ns));  // the Set or AtomicAdd
    const TimeNs signalled = plus(at, scaled(timing_.dcci_line_ns));  // written back: visible
    CrossCoreSet set{signalled, 0, 0, op_, op.kind};
    set.cell = cell;
    set.value = op.signal_value;
    set.add = op.signal_add;
    if (signalled != TIME_NEVER) sets_.push_back(set);
    slice(Pipe::s, op.kind, issue_ns_, signalled);
    // dsb(DDR), then pipe_barrier(ALL): only now do the earlier writes drain.
    TimeNs drained = plus(later(signalled, commit_ns_), timing_.dsb_ns);
    for (int p = 0; p < PIPE_COUNT; ++p) drained = later(drained, later(pipe_start_[p], pipe_retire_[p]));
    if (drained == TIME_NEVER) block_forever("notify's pipe_barrier(ALL) on a stopped pipe");
    slice(Pipe::s, MicroOpKind::dsb, signalled, drained);
    issue_ns_ = drained;
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
      const TimeNs sample = plus(start, portion(cost, static_cast<std::int64_t>(b), n));
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
          schedule.fault_fired = true;
          schedule.wedge_op = op_;
          slice(Pipe::mte2, op.kind, start, TIME_NEVER);
          pipe_start_[p] = TIME_NEVER;
          return;
        }
      }
      for (const auto& [begin, end] : bursts_[b]) {
        log(sample, number, static_cast<std::uint32_t>(b), ProgramAccessKind::load, begin, end, &op.gm);
      }
    }
    pipe_start_[p] = start;
    pipe_retire_[p] = later(pipe_retire_[p], plus(start, cost));
    slice(Pipe::mte2, op.kind, start, plus(start, cost));
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
      const TimeNs issued = plus(start, portion(cost, static_cast<std::int64_t>(b + 1), n));
      TimeNs committed = plus(issued, delay);
      if (drain_bytes_per_us_ > 0) {
        // Bursts drain one after another through the write path at its bandwidth.
        std::int64_t burst_bytes = 0;
        for (const auto& [begin, end] : bursts_[b]) burst_bytes += static_cast<std::int64_t>(end - begin);
        committed = later(committed, plus(drained_ns_, (burst_bytes * 1000 + drain_bytes_per_us_ - 1) / drain_bytes_per_us_));
        drained_ns_ = committed;
      }
      commit_ns_ = later(commit_ns_, committed);
      slice(Pipe::mte3, op.kind, issued, committed, static_cast<std::uint32_t>(b));
      for (const auto& [begin, end] : bursts_[b]) {
        log(committed, number, static_cast<std::uint32_t>(b), ProgramAccessKind::commit, begin, end, &op.gm);
        if (in_flight_.size() < MAX_IN_FLIGHT) in_flight_.push_back(InFlight{issued, committed, begin, end});
      }
    }
    pipe_start_[p] = start;
    pipe_retire_[p] = later(pipe_retire_[p], plus(start, cost));
    slice(Pipe::mte3, op.kind, start, plus(start, cost));
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
      at = plus(at, scaled(timing_.scalar_miss_ns));
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
            at = plus(at, scaled(timing_.scalar_miss_ns));
            log(at, number, burst, ProgramAccessKind::cache_fill, line, line + CACHE_LINE_BYTES, &op.gm);
            it = lines.emplace(line, DataCache::Line{false, cache_.next_fill()}).first;
          }
          at = plus(at, scaled(timing_.scalar_hit_ns));
          const std::uint64_t lo = std::max(begin, line);
          const std::uint64_t hi = std::min(end, line + CACHE_LINE_BYTES);
          log(at, number, burst, store ? ProgramAccessKind::cache_write : ProgramAccessKind::cache_read, lo, hi, &op.gm);
          if (store) it->second.dirty = true;
        }
      }
    }
    slice(Pipe::s, op.kind, issue_ns_, at);
    issue_ns_ = at;  // the scalar unit waits for its own loads and stores
  }

  void dcci(const MicroOp& op) {
    auto& lines = cache_.lines();
    TimeNs at = issue_ns_;
    auto write_back = [&](std::map<std::uint64_t, DataCache::Line>::iterator it) {
      if (it->second.dirty) {
        at = plus(at, scaled(timing_.dcci_line_ns));
        log(at, 0, 0, ProgramAccessKind::writeback, it->first, it->first + CACHE_LINE_BYTES);
        commit_ns_ = later(commit_ns_, at);
      }
      return lines.erase(it);
    };
    if (op.whole_cache) {
      at = plus(at, scaled(timing_.dcci_all_ns));
      for (auto it = lines.begin(); it != lines.end();) it = write_back(it);
    } else {
      operand_bursts(op.gm, bursts_);
      at = plus(at, scaled(timing_.scalar_hit_ns));
      if (!bursts_.empty() && !bursts_.front().empty()) {
        const std::uint64_t line = bursts_.front().front().first / CACHE_LINE_BYTES * CACHE_LINE_BYTES;
        auto it = lines.find(line);
        if (it != lines.end()) write_back(it);
      }
    }
    slice(Pipe::s, op.kind, issue_ns_, at);
    issue_ns_ = at;
  }

  static constexpr std::size_t MAX_IN_FLIGHT = 65'536;

  const std::vector<MicroOp>& ops_;
  const TaskDescriptor& descriptor_;
  std::uint32_t list_;
  std::uint32_t core_;
  const PipeTiming& timing_;
  const CoreFaults& faults_;
  ScheduleKeys keys_;
  simcore::DecisionSource& decisions_;
  DataCache& cache_;
  std::vector<ProgramAccess>& accesses_;
  std::vector<PipeSlice>* slices_;
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
  struct Pending {
    std::uint16_t flag = 0;
    TimeNs fire_ns = 0;
    std::uint32_t op = 0;  // the set_flag
  };
  std::vector<Pending> pending_;  // flags set and not yet consumed
  std::vector<InFlight> in_flight_;
  std::uint32_t reads_ = 0;
  std::uint32_t writes_ = 0;
  TimeNs stuck_since_ns_ = TIME_NEVER;
  std::string stuck_reason_;
  std::uint32_t stuck_op_ = NO_OP;
  std::uint32_t op_ = 0;  // the op being scheduled
  std::vector<std::vector<ElementRange>> element_bursts_;
  std::vector<std::vector<std::pair<std::uint64_t, std::uint64_t>>> bursts_;
  std::vector<CrossCoreSet> sets_;  // fired and not yet taken
  bool suspended_ = false;          // stopped at the wait ops_[op_]
  bool finished_ = false;
  TimeNs waiting_since_ns_ = TIME_NEVER;
};

ResumableSchedule::ResumableSchedule(const std::vector<MicroOp>& ops, const TaskDescriptor& descriptor, std::uint32_t list,
                                     std::uint32_t core, const PipeTiming& timing, const CommitModel& commit,
                                     const CoreFaults& faults, const ScheduleKeys& keys, simcore::DecisionSource& decisions,
                                     DataCache& cache, std::vector<ProgramAccess>& accesses, std::vector<PipeSlice>* slices)
    : impl_(std::make_unique<Impl>(ops, descriptor, list, core, timing, commit, faults, keys, decisions, cache, accesses, slices)) {}
ResumableSchedule::~ResumableSchedule() = default;
bool ResumableSchedule::advance() { return impl_->advance(); }
std::uint8_t ResumableSchedule::waiting_id() const { return impl_->waiting_id(); }
const MicroOp& ResumableSchedule::waiting_op() const { return impl_->waiting_op(); }
std::uint64_t ResumableSchedule::waiting_cell() const { return impl_->cell_of(impl_->waiting_op().gm); }
TimeNs ResumableSchedule::waiting_since_ns() const { return impl_->waiting_since_ns(); }
void ResumableSchedule::resume(TimeNs satisfied_ns, const SignalSource& source) { impl_->resume(satisfied_ns, source); }
std::uint32_t ResumableSchedule::waiting_index() const { return impl_->waiting_index(); }
std::vector<CrossCoreSet> ResumableSchedule::take_sets() { return impl_->take_sets(); }
const BlockSchedule& ResumableSchedule::schedule() const { return impl_->schedule; }

BlockSchedule schedule_block(const std::vector<MicroOp>& ops, const TaskDescriptor& descriptor, std::uint32_t core,
                             TimeNs start_ns, const PipeTiming& timing, const CommitModel& commit,
                             const CoreFaults& faults, const ScheduleKeys& keys, simcore::DecisionSource& decisions,
                             DataCache& cache, std::vector<ProgramAccess>& accesses, std::vector<PipeSlice>* slices) {
  // A block on its own: a cross-core wait has no other core to satisfy it and stops the core.
  // The schedule is computed from zero and shifted to `start_ns`.
  const std::size_t first_access = accesses.size();
  const std::size_t first_slice = slices != nullptr ? slices->size() : 0;
  ResumableSchedule scheduler(ops, descriptor, descriptor.block, core, timing, commit, faults, keys, decisions, cache, accesses,
                              slices);
  BlockSchedule out;
  if (scheduler.advance()) {
    out = scheduler.schedule();
  } else {
    PTOSIM_MARK("core wait never satisfied");
    out = scheduler.schedule();
    out.wedged = true;
    out.wedge_ns = scheduler.waiting_since_ns();
    out.wedge_reason = std::string(to_string(scheduler.waiting_op().kind)) + " with no other core to satisfy it";
    out.end_ns = TIME_NEVER;
  }
  for (TimeNs* at : {&out.retire_ns, &out.commit_ns, &out.end_ns, &out.wedge_ns}) *at = add_ns(*at, start_ns);
  for (std::size_t i = first_access; i < accesses.size(); ++i) accesses[i].time_ns = add_ns(accesses[i].time_ns, start_ns);
  for (std::size_t i = first_slice; slices != nullptr && i < slices->size(); ++i) {
    (*slices)[i].start_ns = add_ns((*slices)[i].start_ns, start_ns);
    (*slices)[i].end_ns = add_ns((*slices)[i].end_ns, start_ns);
  }
  return out;
}

std::int64_t operand_rows(const GmOperand& operand) { return operand.ndims <= 1 ? 1 : operand.shapes[0]; }

std::vector<std::vector<StoreSource>> store_sources(const std::vector<MicroOp>& ops) {
  // Which reads feed each tile, following the tiles in program order, with the number of rows
  // of each read.
  std::map<std::uint16_t, std::vector<StoreSource>> tile_reads;
  std::vector<std::int64_t> read_rows;
  std::vector<std::vector<StoreSource>> stores;
  auto merge = [](std::vector<StoreSource>& into, const StoreSource& source) {
    auto same = std::find_if(into.begin(), into.end(), [&](const StoreSource& s) { return s.read == source.read; });
    if (same == into.end()) {
      into.push_back(source);
    } else {
      same->rows = same->rows && source.rows;
    }
  };
  for (const MicroOp& op : ops) {
    switch (op.kind) {
      case MicroOpKind::tload:
      case MicroOpKind::scalar_load: {
        const auto read = static_cast<std::uint32_t>(read_rows.size());
        read_rows.push_back(operand_rows(op.gm));
        if (op.dst_tile != NO_TILE) tile_reads[op.dst_tile] = {StoreSource{read, true}};
        break;
      }
      case MicroOpKind::compute: {
        // Vector operations keep rows apart; a cube (or copy) operation mixes them.
        const bool row_wise = op.pipe == Pipe::v;
        std::vector<StoreSource> sources;
        for (std::uint16_t tile : op.src_tiles) {
          if (tile == NO_TILE) continue;
          auto it = tile_reads.find(tile);
          if (it == tile_reads.end()) continue;
          for (StoreSource source : it->second) {
            source.rows = source.rows && row_wise;
            merge(sources, source);
          }
        }
        if (op.dst_tile != NO_TILE) tile_reads[op.dst_tile] = std::move(sources);
        break;
      }
      case MicroOpKind::tstore:
      case MicroOpKind::scalar_store: {
        std::vector<StoreSource> sources;
        auto it = op.src_tiles[0] == NO_TILE ? tile_reads.end() : tile_reads.find(op.src_tiles[0]);
        if (it != tile_reads.end()) sources = it->second;
        const std::int64_t rows = operand_rows(op.gm);
        for (StoreSource& source : sources) source.rows = source.rows && read_rows.at(source.read) == rows;
        stores.push_back(std::move(sources));
        break;
      }
      default: break;
    }
  }
  return stores;
}

std::vector<std::vector<std::uint32_t>> store_dependencies(const std::vector<MicroOp>& ops) {
  std::vector<std::vector<std::uint32_t>> stores;
  for (const std::vector<StoreSource>& sources : store_sources(ops)) {
    stores.emplace_back();
    for (const StoreSource& source : sources) stores.back().push_back(source.read);
  }
  return stores;
}

}  // namespace ptosim::hwmodel

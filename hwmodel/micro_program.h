// Kernel micro-programs: what one block of a kernel does inside an AI core, at the level of its
// pipes (hardware-sync.md §1-§3, §7). The scenario loader expands a kernel's `program` once per
// block index into a flat list of operations (loops and expressions gone); a core turns that list
// into a schedule of timed operations when the block starts, and a static pass reads the same
// list for the findings. Control flow never depends on a loaded value, so the list is the same in
// every run and in the data oracle's sequential reference.
//
// Modelled: the scalar unit issuing in program order into per-pipe queues (AIV: S, V, MTE2,
// MTE3; AIC: S, MTE1, MTE2, M, FIX, MTE3); pipes running concurrently; same-pipe operations
// starting in order and overlapping; 8 one-bit flags per (source, destination) pipe, a set firing
// once every earlier operation of its source pipe has retired, a wait consuming it and blocking
// only its pipe, a second set on a set flag lost; pipe_barrier(p) (and ALL) draining pipes, not a
// GM fence; MTE3 stores issued as one burst per row of the tile, retiring when the last burst is
// issued, each burst committing a decided delay after its issue (one delay per store); MTE2 loads
// sampling GM per burst; dsb(DDR) waiting for every earlier store and write-back to commit;
// scalar GM access through a 64-byte-line write-back data cache, and dcci; the mte_hang fault.
// For traces the schedule records what each operation occupied (PipeSlice) and which set_flag
// each wait_flag consumed.
//
// Cross-core flags inside a cluster (§2): set_cross_core queues a set in a pipe and, once it
// fires, bumps a 4-bit counter of another core of the cluster (mode 2: the AIC's set bumps both
// AIVs, an AIV's set bumps its slot of the AIC, whose wait needs a set from each AIV; mode 1: the
// two AIVs bump each other); wait_flag_dev stalls the whole scalar unit until its counter holds a
// set, and consumes it. A block's schedule suspends at every wait_flag_dev and resumes when the
// counter is satisfied (hwmodel/cross_core.h): the counters are read at their simulated instants.
//
// Block sync between the blocks of one task (PTOAS sync_block_set / sync_block_wait, 16 ids with
// 14 and 15 kept for the all-block barrier): block_set queues a set in a pipe and, once it fires,
// bumps the 4-bit counter (target block, id); block_wait stalls the scalar unit like
// wait_flag_dev; block_barrier (sync_block[ALL_VECTOR|ALL_CUBE]) stalls it until every block of
// the task has reached its barrier of the same rank. GM signal cells (pto-isa TNotify.hpp /
// TWait on a2a3): notify is issued in the library's order, dcci of the cell's line, the Set or
// AtomicAdd, dcci again (the cell is visible in GM then), dsb(DDR), pipe_barrier(ALL): the drain
// comes after the signal, so the signal can overtake the MTE3 bursts before it (#711).
// signal_wait polls the cell through the data cache (dcci of the line, a line fill, a compare,
// signal_poll_ns an iteration) and stalls the scalar unit until a poll sees the compare hold.
// The waits suspend the schedule like wait_flag_dev (hwmodel/block_sync.h keeps the counters,
// barriers and cells). Signal cells are synchronisation state, not data: their reads and
// writes are not in the GM access log the data oracle judges.
//
// Left out: mode 0 (the barrier of all cores of one type), atomics on data, UB/L1 capacity
// and bank conflicts, a wait matched by a set issued after it in program order (a wait is matched
// by the sets issued before it; PTOAS keeps sets ahead of their waits), MTE2 reads racing another
// core's in-flight bursts for the hang fault (only the core's own uncommitted bursts count).
#pragma once

#include "hwmodel/gm_layout.h"
#include "hwmodel/task_descriptor.h"
#include "simcore/decision_source.h"
#include "simcore/sim_time.h"

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace ptosim::hwmodel {

// Pipes of one core (PIPE_ALL is only an argument of pipe_barrier).
enum class Pipe : std::uint8_t { s, v, m, mte1, mte2, mte3, fix, all };
inline constexpr int PIPE_COUNT = 7;  // without ALL
const char* to_string(Pipe pipe);
bool parse_pipe(const std::string& text, Pipe& out);
inline constexpr int FLAG_IDS = 8;  // per (source, destination) direction

enum class MicroOpKind : std::uint8_t {
  tload,         // MTE2: GM view -> tile, one burst per row
  tstore,        // MTE3: tile -> GM view, one burst per row, committed later
  compute,       // V, M, MTE1 or FIX: tiles -> tile, for a duration
  scalar_load,   // S: GM elements through the data cache
  scalar_store,  // S: GM elements into the data cache (write-back)
  set_flag,
  wait_flag,
  pipe_barrier,
  dsb,   // dsb(DSB_DDR): earlier GM writes of the core have committed
  dcci,  // clean and invalidate one line (the operand's first element) or the whole cache
  set_cross_core,  // a set of cross-core flag flag_id (mode cross_mode), queued in `pipe`
  wait_flag_dev,   // the scalar unit waits for cross-core flag flag_id and consumes it
  block_set,       // block sync: a set of id flag_id for block target_block of the task, queued in `pipe`
  block_wait,      // block sync: the scalar unit waits for a set of flag_id to this block and consumes it
  block_barrier,   // all blocks of the task: the scalar unit waits until every block has arrived
  notify,          // GM signal cell: TNOTIFY in the library's order (the signal, then the drain)
  signal_wait,     // GM signal cell: the scalar unit polls the cell until the compare holds
};
inline constexpr int CROSS_CORE_FLAG_IDS = 16;     // semaphores per cluster (pto-isa set-cross-core.md)
inline constexpr int CROSS_CORE_COUNTER_MAX = 15;  // a 4-bit counter
// Block sync ids (PTOAS SyncEventIdAllocation.h: kBlockSyncSetWaitEventIdNum = 16, of which
// kBlockSyncAllCubeEventId = 14 and kBlockSyncAllVectorEventId = 15 are kept for the all-block
// barrier when a kernel has one: reservedBlockSyncEventIdNum = 2).
inline constexpr int BLOCK_SYNC_IDS = 16;
inline constexpr int BLOCK_SYNC_FIRST_RESERVED = 14;
inline bool is_wait(MicroOpKind kind) {
  return kind == MicroOpKind::wait_flag_dev || kind == MicroOpKind::block_wait || kind == MicroOpKind::block_barrier ||
         kind == MicroOpKind::signal_wait;
}
const char* to_string(MicroOpKind kind);

// A GM operand: a sub-view (shape, offsets) of one tensor argument's view.
struct GmOperand {
  std::uint32_t arg = 0;
  int ndims = 0;
  std::array<std::int64_t, MAX_TENSOR_DIMS> shapes{};
  std::array<std::int64_t, MAX_TENSOR_DIMS> offsets{};
};

inline constexpr std::uint16_t NO_TILE = 0xFFFF;
inline constexpr std::size_t MAX_OP_SOURCES = 4;

struct MicroOp {
  MicroOpKind kind = MicroOpKind::compute;
  Pipe pipe = Pipe::v;       // compute and pipe_barrier; set/wait: the source pipe
  Pipe flag_dst = Pipe::v;   // set/wait: the destination pipe
  std::uint8_t flag_id = 0;  // set/wait, set_cross_core/wait_flag_dev
  std::uint8_t cross_mode = 2;  // set_cross_core: 1 (AIV <-> AIV) or 2 (AIC <-> both AIVs)
  bool signal_add = false;      // notify: AtomicAdd (true) or Set
  bool signal_ge = false;       // signal_wait: cell >= value (true) or cell == value
  std::uint32_t target_block = 0;  // block_set: the block it signals
  std::int64_t signal_value = 0;   // notify, signal_wait
  bool whole_cache = false;  // dcci
  std::uint16_t dst_tile = NO_TILE;                        // tload, compute, scalar_load
  std::array<std::uint16_t, MAX_OP_SOURCES> src_tiles{NO_TILE, NO_TILE, NO_TILE, NO_TILE};  // tstore, compute
  GmOperand gm;               // tload, tstore, scalar_*, dcci (one line)
  TimeNs duration_ns = 0;     // compute; tload/tstore: 0 means the DMA cost model
  std::uint32_t origin = 0;   // index into KernelProgram::origins (the statement's JSON pointer)
};

struct KernelProgram {
  std::vector<std::string> tiles;               // tile names (UB, L1, L0 buffers)
  // The expanded op list of each block index; a MIX kernel has one per core of the cluster, in
  // the order AIC, AIV0, AIV1 (list_index).
  std::vector<std::vector<MicroOp>> blocks;
  std::vector<std::string> origins;             // JSON pointers of the program's statements
  std::uint32_t roles = 1;                      // 1, or 3 for a MIX kernel

  // The op list a core of `role` (0 AIC, 1 AIV0, 2 AIV1) runs for `block`.
  std::uint32_t list_index(std::uint32_t block, std::uint32_t role) const { return roles == 1 ? block : block * roles + role; }
};

// Costs of the core's operations (hardware-sync.md §3, §5). DMA follows the fitted model
// bw(B) = peak * B / (K + B): cost = (K + B) / peak.
struct PipeTiming {
  TimeNs scalar_issue_ns = 2;     // one instruction through the scalar unit
  TimeNs flag_ns = 10;            // a set reaching the waiting pipe
  TimeNs dsb_ns = 20;             // the barrier itself, once the writes committed
  TimeNs scalar_hit_ns = 4;       // a scalar load/store hitting the data cache
  TimeNs scalar_miss_ns = 200;    // a line fill from GM
  TimeNs dcci_line_ns = 400;      // dcci of one line (with its write-back)
  TimeNs dcci_all_ns = 280;       // dcci(ENTIRE_DATA_CACHE), plus dcci_line_ns per dirty line written back
  // One poll of a GM signal cell: dcci of the clean line (scalar_hit_ns), a line fill
  // (scalar_miss_ns) and the compare (scalar_hit_ns).
  TimeNs signal_poll_ns = 208;
  std::int64_t gm_to_ub_milli_bytes_per_ns = 265'385;  // 247.16 GiB/s
  std::int64_t gm_to_ub_k_bytes = 30'643;
  std::int64_t ub_to_gm_milli_bytes_per_ns = 30'269;   // 28.19 GiB/s
  std::int64_t ub_to_gm_k_bytes = 1'755;
};

// How GM writes of a core become visible (the scenario's platform `memory`, and the faults).
struct CommitModel {
  TimeNs commit_min_ns = 0;  // a burst commits this long after it was issued, at least ...
  TimeNs commit_max_ns = 0;  // ... and at most (a decision per store, shared by its bursts)
  bool fin_before_commit = false;  // FIN once the pipes retired, not once the bursts committed
  // The core's write path drains at most this many bytes per microsecond to the point of
  // coherency (0: unlimited), so a long store's tail lands later than a short one's.
  std::int64_t drain_bytes_per_us = 0;
};

struct CoreFaults {
  std::uint32_t slow_num = 1;  // durations of this core multiplied by slow_num / slow_den
  std::uint32_t slow_den = 1;
  std::uint32_t hang_num = 0;  // mte_hang: chance hang_num / hang_den per overlapping load
  std::uint32_t hang_den = 1;
  bool commit_override = false;
  TimeNs commit_min_ns = 0;
  TimeNs commit_max_ns = 0;
};

// One GM access of a micro-program as the core logged it (absolute GM byte addresses).
enum class ProgramAccessKind : std::uint8_t {
  load,        // an MTE2 burst sampled GM (judged)
  commit,      // an MTE3 burst landed in GM
  cache_fill,  // a data-cache line was filled from GM
  cache_read,  // a scalar load read the cache (judged)
  cache_write, // a scalar store wrote the cache
  writeback,   // a dirty line (all 64 bytes) went back to GM
};
inline bool is_read(ProgramAccessKind kind) {
  return kind == ProgramAccessKind::load || kind == ProgramAccessKind::cache_fill || kind == ProgramAccessKind::cache_read;
}

struct ProgramAccess {
  TimeNs time_ns = 0;
  std::uint32_t task = 0;
  std::uint32_t core = 0;
  std::uint32_t block = 0;
  std::uint32_t access = 0;  // load/store: which load or store of the block (program order); 0 else
  std::uint32_t burst = 0;   // which burst of that access
  ProgramAccessKind kind = ProgramAccessKind::load;
  std::uint32_t arg = 0;     // the tensor argument of the operand (not for write-backs)
  std::uint64_t base = 0;    // that argument's buffer address
  std::uint64_t begin = 0;   // GM bytes [begin, end)
  std::uint64_t end = 0;
};

inline constexpr std::uint64_t CACHE_LINE_BYTES = 64;
inline constexpr std::size_t DATA_CACHE_LINES = 256;  // 16 KiB; the oldest line is evicted first

// The core's write-back data cache: which lines it holds and which are dirty. Their contents
// (versions) are the data oracle's business: it replays the fills, writes and write-backs.
class DataCache {
 public:
  struct Line {
    bool dirty = false;
    std::uint64_t filled = 0;  // fill order, for eviction
  };
  std::map<std::uint64_t, Line>& lines() { return lines_; }
  std::uint64_t next_fill() { return fills_++; }

 private:
  std::map<std::uint64_t, Line> lines_;  // line address -> state
  std::uint64_t fills_ = 0;
};

// What one operation of a block occupied, for traces: its pipe over [start_ns, end_ns) (a wait
// for a flag or a barrier counts as occupying the pipe it stalls), or one burst of a store from
// its issue to its commit. Recorded only when asked for (a run that keeps its trace).
inline constexpr std::uint32_t NO_BURST = 0xFFFFFFFFu;
inline constexpr std::uint32_t NO_OP = 0xFFFFFFFFu;
struct PipeSlice {
  TimeNs start_ns = 0;
  TimeNs end_ns = 0;                 // TIME_NEVER: the pipe stopped there for good (a wedged core)
  std::uint32_t task = 0;
  std::uint32_t core = 0;
  std::uint32_t block = 0;
  std::uint32_t op = 0;              // index in the block's op list
  std::uint32_t burst = NO_BURST;    // a store's burst: issued at start_ns, committed at end_ns
  std::uint32_t peer = NO_OP;        // a wait: the op index of the signal it consumed
  Pipe pipe = Pipe::s;
  MicroOpKind kind = MicroOpKind::compute;
  std::uint32_t peer_task = NO_OP;   // the peer's task and list: NO_OP for this slice's own
  std::uint32_t peer_list = NO_OP;
};

// Which signal satisfied a wait on another core: the op `op` of list `list` of task `task`
// (NO_OP when unknown), for the trace's arrows.
struct SignalSource {
  std::uint32_t task = NO_OP;
  std::uint32_t list = NO_OP;
  std::uint32_t op = NO_OP;
};

// A fault that fired at an instant (mte_hang), for the run's report.
struct FaultFired {
  std::string kind;
  std::uint32_t core = 0;
  TimeNs time_ns = 0;
  std::uint32_t task = 0;
  std::uint32_t block = 0;
  std::string statement;  // JSON pointer of the program statement it fired on
};

// The schedule of one block: when it ends (FIN), or that it never ends.
struct BlockSchedule {
  TimeNs retire_ns = 0;     // every pipe drained
  TimeNs commit_ns = 0;     // every GM write of the block committed
  TimeNs end_ns = 0;        // when the kernel ends and FIN can be posted; TIME_NEVER when wedged
  bool wedged = false;
  TimeNs wedge_ns = TIME_NEVER;  // when the core stopped making progress
  std::string wedge_reason;
  bool fault_fired = false;      // the wedge is the mte_hang fault
  std::uint32_t wedge_op = NO_OP;  // the operation the core stopped at
};

struct ScheduleKeys {
  simcore::StreamId commit_stream = 0;  // gm.commit_delay_ns
  simcore::StreamId hang_stream = 0;    // fault.mte_hang
};

// A signal that fired: a set_cross_core (for the cluster's counters, hwmodel/cross_core.h), a
// block_set or a notify (hwmodel/block_sync.h).
struct CrossCoreSet {
  TimeNs fire_ns = 0;
  std::uint8_t id = 0;
  std::uint8_t mode = 2;
  std::uint32_t op = 0;  // the signal's index in the op list
  MicroOpKind kind = MicroOpKind::set_cross_core;
  std::uint32_t target_block = 0;  // block_set
  std::uint64_t cell = 0;          // notify: the cell's GM byte address
  std::int64_t value = 0;          // notify
  bool add = false;                // notify: AtomicAdd
};

// The schedule of one block that can stop at a wait_flag_dev and go on once another core's set
// satisfied it: advance() runs until the end or the next cross-core wait, resume() tells it when
// the wait was satisfied. Times are relative to the block's start. `list` names the op list in
// the accesses and slices it logs (the block index, or the role's list of a MIX kernel).
class ResumableSchedule {
 public:
  ResumableSchedule(const std::vector<MicroOp>& ops, const TaskDescriptor& descriptor, std::uint32_t list, std::uint32_t core,
                    const PipeTiming& timing, const CommitModel& commit, const CoreFaults& faults, const ScheduleKeys& keys,
                    simcore::DecisionSource& decisions, DataCache& cache, std::vector<ProgramAccess>& accesses,
                    std::vector<PipeSlice>* slices);
  ~ResumableSchedule();
  ResumableSchedule(const ResumableSchedule&) = delete;
  ResumableSchedule& operator=(const ResumableSchedule&) = delete;

  // Schedules operations until the block ends (true: schedule() is final) or stops at a
  // wait_flag_dev (false: waiting_id() and waiting_since_ns() say which and since when).
  bool advance();
  std::uint8_t waiting_id() const;
  const MicroOp& waiting_op() const;
  // signal_wait: the GM byte address of the cell it polls.
  std::uint64_t waiting_cell() const;
  TimeNs waiting_since_ns() const;
  // The wait is satisfied at `satisfied_ns` (relative, not before waiting_since_ns()).
  void resume(TimeNs satisfied_ns, const SignalSource& source = {});
  std::uint32_t waiting_index() const;
  // The sets that fired since the last call, in program order.
  std::vector<CrossCoreSet> take_sets();
  const BlockSchedule& schedule() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

// Computes the schedule of `ops` (one block) starting at `start_ns` and appends its GM accesses
// to `accesses` (and what each op occupied to `slices`, when given). Decisions: each store's
// commit delay, keyed (task << 16 | block, store number); each mte_hang firing, keyed
// (task << 16 | block, load number).
BlockSchedule schedule_block(const std::vector<MicroOp>& ops, const TaskDescriptor& descriptor, std::uint32_t core,
                             TimeNs start_ns, const PipeTiming& timing, const CommitModel& commit,
                             const CoreFaults& faults, const ScheduleKeys& keys, simcore::DecisionSource& decisions,
                             DataCache& cache, std::vector<ProgramAccess>& accesses,
                             std::vector<PipeSlice>* slices = nullptr);

// The sub-view a GM operand names, in the argument's layout; empty string or what is wrong.
std::string operand_layout(const TensorLayout& arg_layout, const GmOperand& operand, TensorLayout& out);

// Byte ranges (from the buffer base) of each burst of a tile transfer: one burst per row of the
// sub-view (dimension 0), each the row's contiguous runs.
void burst_ranges(const TensorLayout& view, std::vector<std::vector<ElementRange>>& bursts);

// For data-flow taint: for each store of the block (program order), the loads (scalar loads
// count as loads, numbered together with tloads) whose data reaches the stored tile.
std::vector<std::vector<std::uint32_t>> store_dependencies(const std::vector<MicroOp>& ops);

// One load whose data reaches a store. `rows`: row i of the store is computed from row i of the
// load only (the same number of rows, and only vector operations between them, which work element
// by element or row by row), so a stale row of the load makes only that row of the store wrong;
// otherwise (a matmul, a transfer of another shape) a stale row makes the whole store wrong.
struct StoreSource {
  std::uint32_t read = 0;
  bool rows = false;
  bool operator==(const StoreSource&) const = default;
};
std::vector<std::vector<StoreSource>> store_sources(const std::vector<MicroOp>& ops);

// The rows (bursts) of a GM operand's transfer: its first dimension, or 1 for a 1-D operand.
std::int64_t operand_rows(const GmOperand& operand);

// --------------------------------------------------------------- static findings

// What the semantic pass found in one block's op list.
struct ProgramFinding {
  enum class Kind : std::uint8_t { visibility_hazard, flag_protocol } kind = Kind::visibility_hazard;
  std::string what;          // "store_load", "double_set", "wait_never_set", "set_at_exit", "unfenced_at_exit",
                             // "cross_wait_never_set", "cross_set_at_exit", "cross_overflow"
  std::uint32_t first_op = 0;   // op index (the store, the first set ...)
  std::uint32_t second_op = 0;  // op index (the load, the second set ...)
  std::string detail;
};

// visibility_hazard: a GM store then a load of intersecting elements with no dsb between them in
// program order. flag_protocol: a set on a flag that is still set, a wait with no set before it,
// a flag still set at the end. `arg_layouts`: the view of each tensor argument of one task.
// `unfenced_stores`: the stores not followed by a dsb before the end (fin_before_commit's case).
// `unflushed_stores`: the scalar stores whose lines no dcci (of their line, or of the whole
// cache) wrote back before the end: still dirty in the core's data cache at kernel exit (#696).
// flag_protocol of the cross-core flags of one cluster (a MIX kernel's three op lists of one
// block, AIC, AIV0, AIV1): a wait_flag_dev that no set_cross_core can satisfy, sets left in a
// counter at the end, and more than 15 sets to one counter with no wait of the setter between
// them (the counter can overflow). first_op/second_op index `lists[role]`; `role` in detail's
// prefix is the list of first_op (ProgramFinding::role).
struct ClusterFinding {
  ProgramFinding finding;
  std::uint32_t role = 0;
};
std::vector<ClusterFinding> analyse_cluster(const std::array<const std::vector<MicroOp>*, 3>& lists);

std::vector<ProgramFinding> analyse_block(const std::vector<MicroOp>& ops, const std::vector<const TensorLayout*>& arg_layouts,
                                          std::vector<std::uint32_t>* unfenced_stores,
                                          std::vector<std::uint32_t>* unflushed_stores = nullptr);

}  // namespace ptosim::hwmodel

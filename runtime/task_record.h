// Per-task bookkeeping of the modelled runtime (PTO2TaskSlotState and friends).
//
// The real runtime stores three states (PENDING=0, COMPLETED=1, CONSUMED=2) and derives
// WAIT/READY/RUNNING from the fanin refcount and the cores. ptosim stores the same and derives the
// five-state view the same way (plus "unpublished" for tasks a deferred MANUAL scope holds back).
#pragma once

#include "hwmodel/topology.h"
#include "runtime/program.h"
#include "simcore/sim_time.h"

#include <cstdint>
#include <string_view>

namespace ptosim::runtime {

enum class StoredState : std::uint8_t { pending = 0, completed = 1, consumed = 2 };

enum class TaskPhase : std::uint8_t { unpublished, waiting, ready, running, completed, consumed };
std::string_view to_string(TaskPhase phase);
// The number the issue #495 era runtime printed for the five-state view
// (PENDING=0, READY=1, RUNNING=2, COMPLETED=3, CONSUMED=4).
int five_state_number(TaskPhase phase);
std::string_view five_state_name(TaskPhase phase);

enum class TaskKind : std::uint8_t { kernel, alloc, dummy };

// Where a fanin edge came from (dep_gen's labels).
enum class EdgeSource : std::uint8_t { explicit_dep, creator, tensormap };
const char* to_string(EdgeSource source);

struct FaninEdge {
  std::uint32_t producer = 0;  // task ordinal
  bool wait = false;
  bool retain = false;
  EdgeSource source = EdgeSource::explicit_dep;
};

inline constexpr std::uint32_t NO_CORE = 0xFFFFFFFFu;

// Early dispatch (runtime-model.md §6.6): `staging` while the task is a candidate in an early
// queue or pre-staged on gated cores, `dispatched` once its last producer released it.
enum class EarlyState : std::uint8_t { none, staging, dispatched };

struct TaskRecord {
  std::uint32_t ordinal = 0;
  std::uint32_t local_id = 0;
  std::uint8_t ring = 0;
  TaskKind kind = TaskKind::kernel;
  hwmodel::TaskShape shape = hwmodel::TaskShape::dummy;
  EarlyState early = EarlyState::none;  // early dispatch: candidate / staged, then released
  std::uint32_t kernel = NO_INDEX;
  std::uint32_t scope_depth = 0;

  StoredState state = StoredState::pending;
  bool allocated = false;
  bool manual = false;  // submitted inside a MANUAL scope
  bool published = false;
  bool ready_pushed = false;  // PTO2_READY_CLAIMED: enqueued exactly once
  bool running = false;  // dispatched: a block claimed onto a core (its running or its pending slot)
  bool scope_released = false;  // the owning scope's fanout pin (bit 31)
  // Early dispatch (runtime-model.md §6.6, the runtime's pto_scheduler.h): allow_early_resolve
  // (task_attrs bit 0, forced on for alloc tasks); whether every producer wired for it has the
  // bit (it may be pre-staged only then); whether it told its consumers it is fully published.
  // Bits of one byte, so the record stays at 128 bytes.
  bool early_resolve : 1 = false;
  bool early_eligible : 1 = false;
  bool dispatch_propagated : 1 = false;
  bool sync_start : 1 = false;  // require_sync_start with block_num > 1: its blocks launch together
  // A block sits in some core's running slot. The runtime derives RUNNING from that alone
  // (running_slot_state); a task only in pending slots reads READY in its dumps.
  bool on_core : 1 = false;

  // Fanin: count = WAIT producers + 1 (the wiring guard), refcount seeded by the orchestrator.
  std::uint32_t fanin_count = 1;
  std::uint32_t fanin_refcount = 0;
  // Fanout pins: consumers that claimed this task and consumers that released (the scope bit is
  // scope_released above).
  std::uint32_t consumers_claimed = 0;
  std::uint32_t consumers_released = 0;

  // WAIT consumers to notify on completion (the fanout list), in the order they were wired: a
  // linked list in RuntimeState's consumer pool (RuntimeState::consumers).
  std::uint32_t first_consumer = NO_INDEX;
  std::uint32_t last_consumer = NO_INDEX;
  // This task's fanin edges (RETAIN pins released later): a run of RuntimeState's fanin pool
  // (RuntimeState::producers), all wired at once.
  std::uint32_t first_producer = 0;
  std::uint32_t producer_count = 0;
  std::uint32_t dispatch_fanin = 0;  // early dispatch: producers fully published (against producer_count)

  std::uint64_t packed_end = 0;  // end of the heap allocation of its OUTPUT buffers (heap tail)
  // GM address of its first OUTPUT buffer; the others follow, each aligned (RuntimeState::output_address).
  std::uint64_t output_base = 0;
  std::uint64_t dep_pool_mark = 0;
  // Dep-list entries reserved on its ring at its wiring (one per producer still pending then):
  // live until this task is CONSUMED, whatever the lazy reclaim of the pool says.
  std::uint32_t dep_entries = 0;

  // A task runs block_num blocks (SPMD), each on one core or one cluster (MIX); it completes
  // when every core of every block has reported FIN.
  std::uint32_t block_num = 1;
  std::uint32_t blocks_claimed = 0;  // blocks handed to cores so far (claimed in contiguous ranges)
  std::uint32_t subtasks_required = 0;
  std::uint32_t subtasks_done = 0;
  std::uint32_t core = NO_CORE;  // first core its first block runs on
  std::uint32_t thread = NO_CORE;

  std::uint32_t published_blocks = 0;  // early dispatch: own blocks on cores

  TimeNs ready_ns = -1;

  std::uint64_t task_id() const { return (static_cast<std::uint64_t>(ring) << 32) | local_id; }
  TaskPhase phase() const;
  // The mode of the scope it was submitted in: the cost model prices its scheduling by it.
  ScopeMode scope_mode() const { return manual ? ScopeMode::manual : ScopeMode::automatic; }
};

}  // namespace ptosim::runtime

// Configuration of the modelled PTO2 runtime: ring sizes, the MANUAL-scope publish policy, the
// deadlock detectors and the cost model. Defaults follow the fact sheet (runtime-model.md §3.2,
// §4, §7); scenarios override them.
#pragma once

#include "simcore/sim_time.h"

#include <array>
#include <cstdint>
#include <string_view>

namespace ptosim::runtime {

inline constexpr int MAX_RING_DEPTH = 4;
inline constexpr int MAX_SCOPE_DEPTH = 64;
inline constexpr std::uint64_t PACKED_OUTPUT_ALIGN = 1024;  // each OUTPUT buffer
inline constexpr std::uint64_t HEAP_ALIGN = 64;             // a task's packed outputs
inline constexpr std::uint32_t DEP_POOL_CLEANUP_INTERVAL = 64;  // watermark moves between reclaims
// Capacity of each early_dispatch_queues[shape] (PTO2_EARLY_DISPATCH_QUEUE_SIZE, pto_runtime2_types.h).
inline constexpr std::size_t EARLY_DISPATCH_QUEUE_CAP = 256;

struct RingConfig {
  std::uint32_t task_window = 16384;               // power of two; max in flight = window - 1
  std::uint64_t heap_bytes = 256ULL * 1024 * 1024;  // >= 1024
  std::uint32_t dep_pool_entries = 16384;           // >= 4
  // The fanin spill pool has the dep pool's capacity in the runtime (one setting,
  // PTO2_RING_DEP_POOL, sizes both); 0 keeps that. A scenario may size it on its own.
  std::uint32_t fanin_spill_entries = 0;
  std::uint32_t spill_pool_capacity() const { return fanin_spill_entries != 0 ? fanin_spill_entries : dep_pool_entries; }
};

// How a MANUAL scope publishes its tasks: at submit (the merged design, PR #568) or as one batch
// at scope_end() (the draft "partial_manual" design of issue #495).
enum class ManualPublish : std::uint8_t { submit, deferred };

// What a MANUAL scope does with the TensorMap and creator retention: nothing at all (the merged
// design, PR #568), or keeps both for boundary tensors, those not created inside the scope (the
// #482 partial-manual design). Tensors local to the scope skip both either way.
enum class ManualTracking : std::uint8_t { none, boundary };

// Which deadlock detectors the runtime runs: the historical spin/idle-count heuristics, or HEAD's
// scope pre-check + structural head-of-line check + 500 ms backstop + gated scheduler watchdog.
enum class DetectorKind : std::uint8_t { legacy, current };

std::string_view to_string(ManualPublish policy);
std::string_view to_string(DetectorKind kind);
std::string_view to_string(ManualTracking tracking);

struct DurationRange {
  TimeNs min_ns = 0;
  TimeNs max_ns = 0;
};

struct DetectorConfig {
  DetectorKind kind = DetectorKind::current;
  // legacy: abort after this many orchestrator spins without last_task_alive movement ...
  std::uint64_t orchestrator_spin_limit = 100'000;
  // ... or after this many consecutive idle scheduler iterations.
  std::uint64_t scheduler_idle_limit = 800'000;
  // Simulated duration of one orchestrator spin; on the simulator board it depends on host
  // scheduling, so it is a decision within this range (drawn once per blocked wait).
  DurationRange spin_ns{5, 20};
  // current: the structural check runs every this many spins.
  std::uint64_t structural_check_spins = 1024;
  TimeNs no_reclaim_timeout_ns = 500 * NS_PER_MS;
  TimeNs scheduler_timeout_ns = 10 * NS_PER_S;
  // get/set_tensor_data: per producer waited on (the clock restarts for each),
  // PTO2_TENSOR_DATA_TIMEOUT_MS = 15000 -> TENSOR_WAIT_TIMEOUT (8). Both detector generations.
  TimeNs tensor_wait_timeout_ns = 15 * NS_PER_S;
};

// The orchestrator's cost terms (runtime/cost_model.h prices a call from them). Format 1 had the
// first seven only; the others default to 0, so an older file keeps its meaning.
struct OrchestratorCosts {
  TimeNs submit_ns = 400;          // per submit: argument copy, slot setup, finalize
  TimeNs tensormap_lookup_ns = 25; // per TensorMap lookup
  TimeNs tensormap_insert_ns = 25; // per TensorMap insert
  TimeNs edge_ns = 15;             // per fanin edge wired
  TimeNs alloc_tensors_ns = 300;   // per alloc_tensors call
  TimeNs scope_begin_ns = 20;
  TimeNs scope_end_per_task_ns = 22;  // 364 us for 16704 tasks (device_log_profiling)
  TimeNs tensor_arg_ns = 0;        // per tensor argument of a submit (its copy into the payload)
  TimeNs scalar_ns = 0;            // per scalar argument of a submit
  TimeNs lookup_step_ns = 0;       // per TensorMap entry a lookup visits
  TimeNs explicit_dep_ns = 0;      // per explicit dependency of a submit
  TimeNs scope_end_ns = 0;         // per scope_end, besides its per-task part
  TimeNs get_tensor_data_ns = 0;   // per get_tensor_data call
};

struct SchedulerCosts {
  DurationRange idle_iteration_ns{100, 130};  // ~115 ns measured (issue #897); drawn per idle stretch
  TimeNs poll_per_running_core_ns = 100;      // one uncached MMIO load of COND
  TimeNs complete_ns = 300;                   // per completed task, before the fanout walk
  TimeNs release_consumer_ns = 200;           // per consumer released in the fanout walk
  TimeNs dispatch_ns = 400;                   // per task dispatched (payload build + MMIO store)
  TimeNs deferred_release_ns = 100;           // per task in on_task_release
  std::uint32_t deferred_release_cap = 256;   // PTO2_DEFERRED_RELEASE_CAP
  std::uint32_t dummy_batch = 8;              // dummy tasks completed per loop (threads 0..2)
  // advance_ring_pointers under the ring's advance_lock (pto_scheduler.h): the try-lock, the
  // current_task_index load, the head check and the release store, then reset_for_reuse of each
  // reclaimed 64-byte slot state. Not measured anywhere: estimates of a few cached stores each.
  // The lock is held for their sum, so a CONSUMED on the same ring meanwhile finds it busy.
  TimeNs ring_advance_ns = 20;
  TimeNs slot_reset_ns = 10;  // per slot the advance reclaims
};

inline constexpr std::uint32_t TENSORMAP_CLEANUP_INTERVAL = 64;  // watermark moves between cleanups

// How the scheduler threads place READY tasks on cores (runtime-model.md §6.3, §6.4).
struct DispatchConfig {
  // The dual slot: after the IDLE phase, a thread loads a second task into the pending slot of a
  // busy core whose running task it has seen ACK, unless a peer thread has an idle core of that
  // shape; the core starts it right after its FIN. The runtime's default; its PMU mode
  // (is_pmu_enabled) turns it off for single-issue counters.
  bool pending_slot = true;
};

struct RuntimeConfig {
  std::array<RingConfig, MAX_RING_DEPTH> rings{};
  // TensorMap entries shared by all rings (PTO2_TENSORMAP_POOL_SIZE; compile-time in the runtime).
  std::uint32_t tensormap_pool_entries = 65536;
  // Hits one TensorMap lookup keeps, newest first; 0 = no cap (HEAD: the lookup calls back per
  // hit, PR #669). Runtimes before it kept PTO2_LOOKUP_MAX_RESULTS = 16 and dropped the rest.
  std::uint32_t tensormap_lookup_cap = 0;
  ManualPublish manual_publish = ManualPublish::submit;
  ManualTracking manual_tracking = ManualTracking::none;
  // Progress publication (RingSchedState::sync_to_sm): the scheduler publishes its ring watermark
  // to shared memory every this many local advances, or when the ring drains, or when a blocked
  // orchestrator asks. 1 = every advance (a2a3); 16 = PUBLISH_INTERVAL_K of a5 (PR #1575).
  std::uint32_t watermark_publish_interval = 1;
  // With batching on, a reclaim wait that saw no published progress for this long requests an
  // exact publication (PTO2_PUBLICATION_REQUEST_TIMEOUT_CYCLES = 10 ms, pto_ring_buffer.h).
  TimeNs publication_request_timeout_ns = 10 * NS_PER_MS;
  bool publication_batched() const { return watermark_publish_interval > 1; }
  DetectorConfig detectors;
  OrchestratorCosts orchestrator;  // AUTO scopes (and MANUAL ones unless overridden below)
  OrchestratorCosts orchestrator_manual;  // MANUAL scopes: a copy of the above with overrides
  SchedulerCosts scheduler;  // tasks of AUTO scopes (and of MANUAL ones unless overridden below)
  // Tasks submitted in MANUAL scopes: a copy of the above with overrides of the per-phase terms
  // (the idle iteration, the release cap and the dummy batch are the thread's, read above).
  SchedulerCosts scheduler_manual;
  DispatchConfig dispatch;
  // Deadlock truth: how long the simulation may continue after a detector fired.
  TimeNs truth_budget_ns = 2 * NS_PER_S;
};

}  // namespace ptosim::runtime

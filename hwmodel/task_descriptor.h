// What the AICPU writes for a core when it dispatches a task: the task descriptor and its payload
// (PTO2TaskDescriptor + PTO2TaskPayload in the real runtime), reduced to what a core needs: the
// task, its kernel, and every tensor argument resolved to a GM view (buffer address, layout, how
// the kernel accesses it, and the rows a gather selects). hwmodel defines it so that a core
// never sees runtime types; the runtime fills it in.
//
// Left out: scalars and the fanin metadata of the payload.
#pragma once

#include "hwmodel/gm_layout.h"
#include "simcore/sim_time.h"

#include <cstdint>
#include <vector>

namespace ptosim::hwmodel {

struct KernelSpec;

// How a kernel touches one tensor argument: INPUT (and NO_DEP) reads, OUTPUT and OUTPUT_EXISTING
// write, INOUT does both.
enum class GmAccess : std::uint8_t { read, write, read_write };
const char* to_string(GmAccess access);
inline bool reads(GmAccess access) { return access != GmAccess::write; }
inline bool writes(GmAccess access) { return access != GmAccess::read; }

struct GmView {
  std::uint64_t buffer_address = 0;      // GM byte address of the buffer (element 0)
  const TensorLayout* layout = nullptr;  // referenced, not copied: the program outlives the run
  GmAccess access = GmAccess::read;
  // Rows of dimension 0 the kernel actually touches, in the order it touches them (a gather
  // through a block table or top-k indices). Null: every row of the view, in order.
  const std::vector<std::int64_t>* rows = nullptr;
};

struct TaskDescriptor {
  std::uint32_t token = 0;  // the dispatch token the core echoes in COND
  std::uint32_t task = 0;   // the task's ordinal (the subject of its events and accesses)
  const KernelSpec* kernel = nullptr;
  std::vector<GmView> views;  // one per tensor argument, in argument order
  // SPMD: which block of the task this core runs (PTO2DispatchPayload block_idx, block_num).
  std::uint32_t block = 0;
  std::uint32_t block_num = 1;
  // This block's duration range (the runtime's cost model gives it; the core decides within it).
  TimeNs min_duration_ns = 0;
  TimeNs max_duration_ns = 0;
  // A MIX task runs on three cores; one of them (the AIC) logs the task's GM accesses.
  bool logs_accesses = true;
};

}  // namespace ptosim::hwmodel

// What a kernel is (its shape, duration range, GM timing, blocks, micro-program) and the timing
// of an AI core: plain data, read by the scenario loader, the program and the passive cores
// (hwmodel/ai_core.h), with no engine behind it.
#pragma once

#include "hwmodel/global_memory.h"
#include "hwmodel/micro_program.h"
#include "hwmodel/topology.h"
#include "simcore/sim_time.h"

#include <cstdint>
#include <memory>
#include <string>

namespace ptosim::hwmodel {

struct KernelSpec {
  std::string name;
  TaskShape shape = TaskShape::aiv;
  TimeNs min_duration_ns = 0;
  TimeNs max_duration_ns = 0;
  // When, within its duration, the kernel touches GM, and how wrong inputs spread to its outputs.
  ReadTiming reads = ReadTiming::at_start;
  WriteTiming writes = WriteTiming::at_end;
  DataFlow data_flow = DataFlow::task;
  // SPMD: a task of this kernel runs this many blocks, each on one core of its shape (one
  // cluster for MIX), with its block index (runtime-model.md §6.4).
  std::uint32_t block_num = 1;
  // A micro-program (one op list per block), or null: the duration model above.
  std::shared_ptr<const KernelProgram> program;
};

struct CoreTiming {
  TimeNs register_visible_ns = 140;  // AICPU MMIO store -> AICore sees the new token
  TimeNs start_latency_ns = 349;     // token seen -> kernel starts (payload invalidate, args)
  TimeNs fin_visible_ns = 600;       // kernel ends -> FIN visible to an AICPU COND poll
  PipeTiming pipes;                  // micro-program operation costs
  CommitModel commit;                // when GM writes become visible, and when FIN is posted
};

}  // namespace ptosim::hwmodel

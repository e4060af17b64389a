// The findings of kernel micro-programs, decided from the programs' semantics and the task
// graph, never from one run's timing, so they are attached to every run of the scenario:
// - visibility_hazard: a GM store read back on the same core with no dsb(DDR) between them
//   (ordered only by a pipe flag, or not at all); and, with the platform's fin_before_commit, a
//   store not fenced before the kernel's end whose elements a later task reads; and a scalar
//   store still dirty in the data cache at the kernel's end (no dcci of its line or of the whole
//   cache after it, PTOAS #696) whose elements a later task or another block of the task reads.
//   A store ordered before another block's (or core's) load only by a signal that can fire
//   before the store reached GM (a cross-core set, block_set, block_barrier or notify with no
//   dsb(DDR) between the store and the signal; hwmodel/sync_analysis.h).
// - race: two blocks of one SPMD task (or cores of a MIX task) access the same GM elements, one
//   of them writing, and no signal orders them.
// - flag_protocol: a second set_flag on a flag still set, a wait_flag no set satisfies, a flag
//   still set when the kernel ends; the same for cross-core counters and block sync, blocks
//   reaching different numbers of barriers, and a signal cell Set again before its waiter can
//   have seen the previous value.
// One finding per (task, kind, statements): the blocks of an SPMD task that share the pattern
// are listed in it.
#pragma once

#include "runtime/model_input.h"
#include "simcore/outcome.h"

#include <vector>

namespace ptosim::replay {

std::vector<simcore::Finding> find_program_hazards(const runtime::ModelInput& model);

}  // namespace ptosim::replay

// The static view of the signals between the op lists of one task (hardware-sync.md §2-§3): what
// orders an operation of one core before an operation of another (a cross-core flag, block sync,
// the all-block barrier, a GM notify/wait), whether the store before a signal is fenced, and the
// protocol of block sync and signal cells. Program order only, never a schedule: the answers are
// the same on every seed.
#pragma once

#include "hwmodel/micro_program.h"

#include <cstdint>
#include <vector>

namespace ptosim::hwmodel {

// The signal (its op index in list `from`) that orders op `first` of list `from` before op
// `second` of list `to` of the same task, or NO_OP. Lists are the program's op lists (blocks, or
// the cores of a MIX kernel's clusters). Orders: a set_cross_core after `first` reaching `to`'s
// core and a wait_flag_dev of its id before `second` (cores of one cluster); a block_set after
// `first` for `to`'s block and a block_wait of its id before `second`; a block_barrier after
// `first` and one of the same rank before `second`; a notify after `first` and a signal_wait on
// the same cell (same argument, same element) before `second`.
std::uint32_t signal_between(const KernelProgram& program, std::uint32_t from, std::uint32_t first, std::uint32_t to,
                             std::uint32_t second);

// Whether the store ops[store] has reached GM before the signal ops[signal] fires: a dsb(DDR)
// between them (after a dcci of the store's line or of the whole cache, for a scalar store).
bool fenced_before_signal(const std::vector<MicroOp>& ops, std::uint32_t store, std::uint32_t signal);

// The hazard name of a store overtaken by `signal`'s kind: cross_core_signal, block_sync_signal,
// barrier_signal or notify_signal.
const char* signal_hazard(MicroOpKind signal);

// flag_protocol of block sync and signal cells over a task's op lists (not MIX): a block_wait no
// block_set can satisfy (block_wait_never_set), sets left in a block's counter at the end
// (block_set_at_exit), blocks reaching different numbers of barriers (barrier_mismatch: the
// extra barrier waits forever), and a signal cell written with Set semantics again before the
// waiter can have seen the previous value (signal_overwrite: two Set notifies of one cell with no
// signal_wait of the setter between them, or from two blocks). `list` is the list of the op.
struct ListFinding {
  ProgramFinding finding;
  std::uint32_t list = 0;
};
std::vector<ListFinding> analyse_block_sync(const KernelProgram& program);

}  // namespace ptosim::hwmodel

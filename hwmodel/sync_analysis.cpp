// What orders the op lists of one task, and the protocol of block sync and signal cells (see
// sync_analysis.h).
#include "hwmodel/sync_analysis.h"

#include <algorithm>
#include <map>
#include <string>
#include <tuple>

namespace ptosim::hwmodel {

namespace {

std::uint32_t block_of(const KernelProgram& program, std::uint32_t list) { return list / program.roles; }

bool same_cell(const MicroOp& a, const MicroOp& b) {
  if (a.gm.arg != b.gm.arg || a.gm.ndims != b.gm.ndims) return false;
  for (int d = 0; d < a.gm.ndims; ++d) {
    if (a.gm.offsets[static_cast<std::size_t>(d)] != b.gm.offsets[static_cast<std::size_t>(d)]) return false;
  }
  return true;
}

std::uint32_t count_before(const std::vector<MicroOp>& ops, std::uint32_t end, MicroOpKind kind) {
  std::uint32_t n = 0;
  for (std::uint32_t i = 0; i < end && i < ops.size(); ++i) n += ops[i].kind == kind ? 1 : 0;
  return n;
}

// Whether the wait ops[w] of list `to` is answered by the signal `set` of list `from`.
bool answers(const KernelProgram& program, std::uint32_t from, const MicroOp& set, std::uint32_t to, const MicroOp& wait) {
  switch (set.kind) {
    case MicroOpKind::set_cross_core: {
      if (wait.kind != MicroOpKind::wait_flag_dev || wait.flag_id != set.flag_id) return false;
      if (program.roles != 3 || block_of(program, from) != block_of(program, to)) return false;
      const std::uint32_t from_role = from % 3;
      const std::uint32_t to_role = to % 3;
      return from_role == 0 ? to_role != 0 : set.cross_mode == 1 ? (to_role != 0 && to_role != from_role) : to_role == 0;
    }
    case MicroOpKind::block_set:
      return wait.kind == MicroOpKind::block_wait && wait.flag_id == set.flag_id && set.target_block == block_of(program, to);
    case MicroOpKind::notify: return wait.kind == MicroOpKind::signal_wait && same_cell(set, wait);
    default: return false;
  }
}

}  // namespace

std::uint32_t signal_between(const KernelProgram& program, std::uint32_t from, std::uint32_t first, std::uint32_t to,
                             std::uint32_t second) {
  if (from == to) return NO_OP;
  const auto& setter = program.blocks[from];
  const auto& waiter = program.blocks[to];
  for (std::uint32_t s = first + 1; s < setter.size(); ++s) {
    const MicroOp& set = setter[s];
    if (set.kind == MicroOpKind::block_barrier) {
      // The barrier of this rank: `to` passes it before `second`.
      if (block_of(program, from) == block_of(program, to)) continue;
      if (count_before(waiter, second, MicroOpKind::block_barrier) > count_before(setter, s, MicroOpKind::block_barrier)) return s;
      continue;
    }
    if (set.kind != MicroOpKind::set_cross_core && set.kind != MicroOpKind::block_set && set.kind != MicroOpKind::notify) continue;
    for (std::uint32_t w = 0; w < second && w < waiter.size(); ++w) {
      if (answers(program, from, set, to, waiter[w])) return s;
    }
  }
  return NO_OP;
}

bool fenced_before_signal(const std::vector<MicroOp>& ops, std::uint32_t store, std::uint32_t signal) {
  const bool scalar = ops[store].kind == MicroOpKind::scalar_store;
  bool flushed = !scalar;  // a scalar store must leave the data cache first
  for (std::uint32_t i = store + 1; i < signal && i < ops.size(); ++i) {
    const MicroOp& op = ops[i];
    if (op.kind == MicroOpKind::dcci && (op.whole_cache || same_cell(op, ops[store]))) flushed = true;
    if (op.kind == MicroOpKind::dsb && flushed) return true;
  }
  return false;
}

const char* signal_hazard(MicroOpKind signal) {
  switch (signal) {
    case MicroOpKind::set_cross_core: return "cross_core_signal";
    case MicroOpKind::block_set: return "block_sync_signal";
    case MicroOpKind::block_barrier: return "barrier_signal";
    case MicroOpKind::notify: return "notify_signal";
    default: return "signal";
  }
}

std::vector<ListFinding> analyse_block_sync(const KernelProgram& program) {
  std::vector<ListFinding> findings;
  if (program.roles != 1) return findings;
  const auto lists = static_cast<std::uint32_t>(program.blocks.size());
  // Block sync: the sets landing in each (block, id) counter, and the waits of each block.
  std::map<std::pair<std::uint32_t, std::uint8_t>, std::vector<std::pair<std::uint32_t, std::uint32_t>>> sets;  // -> (list, op)
  std::map<std::pair<std::uint32_t, std::uint8_t>, std::vector<std::uint32_t>> waits;                          // -> op
  std::vector<std::uint32_t> barriers(lists, 0);
  std::vector<std::uint32_t> last_barrier(lists, NO_OP);
  for (std::uint32_t list = 0; list < lists; ++list) {
    const auto& ops = program.blocks[list];
    for (std::uint32_t i = 0; i < ops.size(); ++i) {
      if (ops[i].kind == MicroOpKind::block_set) sets[{ops[i].target_block, ops[i].flag_id}].emplace_back(list, i);
      if (ops[i].kind == MicroOpKind::block_wait) waits[{list, ops[i].flag_id}].push_back(i);
      if (ops[i].kind == MicroOpKind::block_barrier) {
        ++barriers[list];
        last_barrier[list] = i;
      }
    }
  }
  for (const auto& [key, at] : waits) {
    auto it = sets.find(key);
    const std::size_t available = it == sets.end() ? 0 : it->second.size();
    if (at.size() <= available) continue;
    const std::uint32_t op = at[available];
    findings.push_back({{ProgramFinding::Kind::flag_protocol, "block_wait_never_set", op, op,
                         "block_wait(" + std::to_string(key.second) + ") number " + std::to_string(available + 1) + " of block " +
                             std::to_string(key.first) + " with only " + std::to_string(available) + " block_set to it: it can never be satisfied"},
                        key.first});
  }
  for (const auto& [key, from] : sets) {
    auto it = waits.find(key);
    const std::size_t consumed = it == waits.end() ? 0 : it->second.size();
    if (from.size() <= consumed) continue;
    findings.push_back({{ProgramFinding::Kind::flag_protocol, "block_set_at_exit", from[consumed].second, from[consumed].second,
                         "block_set(" + std::to_string(key.second) + ") left " + std::to_string(from.size() - consumed) +
                             " set(s) in block " + std::to_string(key.first) + "'s counter at the end"},
                        from[consumed].first});
  }
  for (std::uint32_t list = 1; list < lists; ++list) {
    if (barriers[list] == barriers[0]) continue;
    const std::uint32_t more = barriers[list] > barriers[0] ? list : 0;
    findings.push_back({{ProgramFinding::Kind::flag_protocol, "barrier_mismatch", last_barrier[more], last_barrier[more],
                         "block " + std::to_string(more) + " reaches " + std::to_string(barriers[more]) + " block_barrier(s), block " +
                             std::to_string(more == 0 ? list : 0) + " " + std::to_string(barriers[more == 0 ? list : 0]) +
                             ": the extra barrier waits forever"},
                        more});
    break;
  }
  // Signal cells written with Set semantics: the last Set of each cell, and whether the setter
  // waited on a signal since.
  struct LastSet {
    std::uint32_t list = 0;
    std::uint32_t op = 0;
    bool answered = false;  // the setter waited on a signal cell after it
  };
  std::vector<std::pair<const MicroOp*, LastSet>> cells;
  for (std::uint32_t list = 0; list < lists; ++list) {
    const auto& ops = program.blocks[list];
    for (std::uint32_t i = 0; i < ops.size(); ++i) {
      if (ops[i].kind == MicroOpKind::signal_wait) {
        for (auto& [cell, last] : cells) last.answered = last.answered || last.list == list;
      }
      if (ops[i].kind != MicroOpKind::notify || ops[i].signal_add) continue;
      auto it = std::find_if(cells.begin(), cells.end(), [&](const auto& entry) { return same_cell(*entry.first, ops[i]); });
      if (it == cells.end()) {
        cells.emplace_back(&ops[i], LastSet{list, i, false});
        continue;
      }
      if (it->second.list == list && it->second.answered) {
        it->second = LastSet{list, i, false};
        continue;
      }
      findings.push_back({{ProgramFinding::Kind::flag_protocol, "signal_overwrite", it->second.list == list ? it->second.op : i, i,
                           "notify(Set) of a signal cell " + std::string(it->second.list == list ? "again with no signal_wait between" : "from block " +
                           std::to_string(list) + " after block " + std::to_string(it->second.list) + "'s") +
                               ": the waiter may not have seen the previous value (use AtomicAdd, or wait for the answer)"},
                          list});
      it->second = LastSet{list, i, false};
    }
  }
  return findings;
}

}  // namespace ptosim::hwmodel

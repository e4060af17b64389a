// The semantic pass over one block's op list: visibility hazards (a GM store read back with no
// fence between) and the flag protocol (double set, a wait nothing satisfies, a flag left set).
// It reads program order only, never a schedule, so it answers the same on every seed.
#include "hwmodel/micro_program.h"

#include <algorithm>
#include <map>

namespace ptosim::hwmodel {

namespace {

std::string flag_name(const MicroOp& op) {
  return std::string("(") + to_string(op.pipe) + ", " + to_string(op.flag_dst) + ", EVENT_ID" + std::to_string(op.flag_id) + ")";
}

// The bytes [first, last) of a view from its buffer's start (the span of its runs).
std::pair<std::uint64_t, std::uint64_t> byte_span(const TensorLayout& view) {
  std::vector<ElementRange> runs;
  append_runs(view, runs);
  if (runs.empty()) return {0, 0};
  std::int64_t first = runs.front().begin;
  std::int64_t last = runs.front().end;
  for (const ElementRange& run : runs) {
    first = std::min(first, run.begin);
    last = std::max(last, run.end);
  }
  const std::uint64_t bytes = dtype_bytes(view.dtype);
  return {static_cast<std::uint64_t>(first) * bytes, static_cast<std::uint64_t>(last) * bytes};
}

}  // namespace

std::vector<ProgramFinding> analyse_block(const std::vector<MicroOp>& ops, const std::vector<const TensorLayout*>& arg_layouts,
                                          std::vector<std::uint32_t>* unfenced_stores,
                                          std::vector<std::uint32_t>* unflushed_stores) {
  std::vector<ProgramFinding> findings;
  // Scalar stores still dirty in the data cache (op indices), with the byte range they wrote in
  // their argument's buffer (buffers are line-aligned, so a line of the buffer is a cache line).
  std::vector<std::uint32_t> dirty;
  std::map<std::uint32_t, std::pair<std::uint64_t, std::uint64_t>> dirty_bytes;
  // Stores so far that no dsb has fenced yet (op indices), and every store with its sub-view.
  std::vector<std::uint32_t> unfenced;
  std::map<std::uint32_t, TensorLayout> store_views;
  auto view_of = [&arg_layouts](const MicroOp& op, TensorLayout& out) {
    if (op.gm.arg >= arg_layouts.size() || arg_layouts[op.gm.arg] == nullptr) return false;
    return operand_layout(*arg_layouts[op.gm.arg], op.gm, out).empty();
  };
  // Flags: set state per (src, dst, id), and where the last set was.
  std::map<std::uint16_t, std::uint32_t> set_at;  // flag -> op index of the set that holds it
  for (std::uint32_t i = 0; i < ops.size(); ++i) {
    const MicroOp& op = ops[i];
    const auto key = static_cast<std::uint16_t>((static_cast<int>(op.pipe) * PIPE_COUNT + static_cast<int>(op.flag_dst)) * FLAG_IDS + op.flag_id);
    switch (op.kind) {
      case MicroOpKind::tstore:
      case MicroOpKind::scalar_store: {
        TensorLayout view;
        if (view_of(op, view)) {
          store_views[i] = view;
          unfenced.push_back(i);
          if (op.kind == MicroOpKind::scalar_store) {
            dirty.push_back(i);
            dirty_bytes[i] = byte_span(view);
          }
        }
        break;
      }
      case MicroOpKind::dcci: {
        if (op.whole_cache) {
          dirty.clear();
          break;
        }
        TensorLayout view;
        if (!view_of(op, view)) break;
        // dcci of one line: the line of the operand's first element.
        const std::uint64_t line = byte_span(view).first / CACHE_LINE_BYTES * CACHE_LINE_BYTES;
        std::erase_if(dirty, [&](std::uint32_t store) {
          const auto [begin, end] = dirty_bytes[store];
          return ops[store].gm.arg == op.gm.arg && begin >= line && end <= line + CACHE_LINE_BYTES;
        });
        break;
      }
      case MicroOpKind::dsb:
        // dsb(DSB_DDR) waits for every earlier store of the core to commit.
        unfenced.clear();
        break;
      case MicroOpKind::tload:
      case MicroOpKind::scalar_load: {
        TensorLayout view;
        if (!view_of(op, view)) break;
        // The latest unfenced store that wrote elements this load reads.
        for (auto it = unfenced.rbegin(); it != unfenced.rend(); ++it) {
          const MicroOp& store = ops[*it];
          if (store.gm.arg != op.gm.arg || !views_intersect(store_views[*it], view)) continue;
          // What orders them: an MTE3 -> MTE2 set after the store and its wait before the load.
          std::string order = "nothing orders the load after the store";
          for (std::uint32_t s = *it + 1; s < i; ++s) {
            if (ops[s].kind != MicroOpKind::set_flag || ops[s].pipe != Pipe::mte3 || ops[s].flag_dst != Pipe::mte2) continue;
            for (std::uint32_t w = s + 1; w < i; ++w) {
              if (ops[w].kind == MicroOpKind::wait_flag && ops[w].pipe == Pipe::mte3 && ops[w].flag_dst == Pipe::mte2 &&
                  ops[w].flag_id == ops[s].flag_id) {
                order = "ordered only by the pipe flag set_flag/wait_flag" + flag_name(ops[s]) +
                        ", which fires when the store retires, not when its bursts commit; no dsb(DDR) between them";
              }
            }
          }
          findings.push_back(ProgramFinding{ProgramFinding::Kind::visibility_hazard, "store_load", *it, i, order});
          break;
        }
        break;
      }
      case MicroOpKind::set_flag: {
        auto held = set_at.find(key);
        if (held != set_at.end()) {
          findings.push_back(ProgramFinding{ProgramFinding::Kind::flag_protocol, "double_set", held->second, i,
                                            "set_flag" + flag_name(op) + " while the flag is still set: the second set is lost"});
        }
        set_at[key] = i;
        break;
      }
      case MicroOpKind::wait_flag: {
        auto held = set_at.find(key);
        if (held == set_at.end()) {
          findings.push_back(ProgramFinding{ProgramFinding::Kind::flag_protocol, "wait_never_set", i, i,
                                            "wait_flag" + flag_name(op) + " with no pending set_flag before it: it can never be satisfied"});
        } else {
          set_at.erase(held);
        }
        break;
      }
      default: break;
    }
  }
  for (const auto& [key, index] : set_at) {
    findings.push_back(ProgramFinding{ProgramFinding::Kind::flag_protocol, "set_at_exit", index, index,
                                      "set_flag" + flag_name(ops[index]) + " still set when the kernel ends"});
  }
  if (unfenced_stores != nullptr) *unfenced_stores = unfenced;
  if (unflushed_stores != nullptr) *unflushed_stores = dirty;
  return findings;
}

}  // namespace ptosim::hwmodel

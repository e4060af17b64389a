#include "replay/program_findings.h"

#include "hwmodel/cross_core.h"
#include "hwmodel/micro_program.h"
#include "hwmodel/sync_analysis.h"
#include "simcore/model_assert.h"

#include <array>
#include <map>
#include <tuple>

namespace ptosim::replay {

namespace {

using simcore::Detail;

struct Site {
  std::uint32_t task = 0;
  std::string kernel;
  std::string statement;  // JSON pointer of the program statement
};

Detail describe(const runtime::Program& program, const Site& site) {
  Detail out = Detail::object();
  out.set("name", Detail::text(program.task_name(site.task)));
  out.set("task", Detail::integer(site.task));
  out.set("kernel", Detail::text(site.kernel));
  out.set("statement", Detail::text(site.statement));
  return out;
}

// Where the statements of a finding are, in words.
std::string statements_text(const std::string& what, const std::string& first, const std::string& second) {
  if (what == "store_load") return "store " + first + ", load " + second;
  if (what == "spmd_blocks") return "write " + first + ", access " + second;
  if (what == "double_set") return "first set " + first + ", second set " + second;
  if (what == "cross_core_signal" || what == "block_sync_signal" || what == "barrier_signal" || what == "notify_signal") {
    return "store " + first + ", load " + second;
  }
  if (what == "signal_overwrite") return "first Set " + first + ", second Set " + second;
  return "statement " + first;
}

// Which fence goes where (hardware-sync.md §3: the #757 release pattern for MTE3 payloads, the
// #698 writer-side flush for scalar stores), or how to balance the flags (§2).
std::string fix_text(const std::string& what, const std::string& first, const std::string& second) {
  if (what == "store_load") {
    return "insert pipe_barrier(MTE3) + dsb(DDR) after the store " + first + " and before the load " + second +
           " (after the wait_flag that orders them, if any), so the load runs once every burst of the store committed";
  }
  if (what == "fin_before_commit") {
    return "end the kernel with pipe_barrier(MTE3) + dsb(DDR) after the store " + first +
           ", so FIN is posted once its bursts committed";
  }
  if (what == "dirty_at_exit") {
    return "end the kernel with pipe_barrier(ALL) + dcci(ENTIRE_DATA_CACHE) + dsb(DDR) after the scalar store " + first +
           " (PTOAS #698: the writer flushes its data cache at every exit)";
  }
  if (what == "spmd_blocks") {
    return "give each block its own elements, or order the write " + first + " before the access " + second +
           " in the other block (a block sync or a GM notify/wait with a fence before the signal)";
  }
  if (what == "double_set") return "consume the flag with a wait_flag between the set " + first + " and the set " + second;
  if (what == "wait_never_set") return "issue the matching set_flag before the wait " + first + ", or remove the wait";
  if (what == "set_at_exit") return "consume the flag set at " + first + " with a wait_flag before the kernel ends";
  if (what == "cross_wait_never_set") return "issue the matching set_cross_core on the other core(s) of the cluster before the wait " + first + ", or remove the wait";
  if (what == "cross_set_at_exit") return "consume the sets of " + first + " with a wait_flag_dev on the receiving core before the kernel ends";
  if (what == "cross_overflow") return "wait for the receiver's answer (a wait_flag_dev) before the set " + first + ": a counter holds at most 15 sets";
  if (what == "cross_core_signal") {
    return "insert pipe_barrier(MTE3) + dsb(DDR) after the store " + first +
           " and before the set_cross_core that signals the load " + second + " (the set fires when the store retires, not when it commits)";
  }
  if (what == "block_sync_signal" || what == "barrier_signal") {
    return "insert pipe_barrier(MTE3) + dsb(DDR) (for a scalar store: dcci + dsb(DDR)) after the store " + first + " and before the " +
           (what == "block_sync_signal" ? std::string("block_set") : std::string("block_barrier")) + " that orders the load " + second +
           " (block sync orders the cores, not the store's bursts)";
  }
  if (what == "notify_signal") {
    return "insert pipe_barrier(MTE3) + dsb(DDR) (for a scalar store: dcci + dsb(DDR)) after the store " + first +
           " and before the notify that the load " + second + " waits for (TNOTIFY drains only after the signal, PTOAS #711 / #757)";
  }
  if (what == "block_wait_never_set") return "issue the matching block_set in another block before the wait " + first + ", or remove the wait";
  if (what == "block_set_at_exit") return "consume the set " + first + " with a block_wait in the target block before the kernel ends";
  if (what == "barrier_mismatch") return "make every block reach the same number of block_barrier (the extra one at " + first + " waits forever)";
  if (what == "signal_overwrite") {
    return "notify with AtomicAdd (mode add), or wait for the waiter's answer before the Set " + second + " overwrites the value of " + first;
  }
  return "";
}

}  // namespace

namespace {

// A store of one block of a task that may be seen late by readers: not fenced at the end
// (fin_before_commit) or left dirty in the data cache (scalar, no dcci).
struct ExitStore {
  std::uint32_t task = 0;
  std::uint32_t block = 0;
  std::uint32_t op = 0;
  std::string hazard;  // "fin_before_commit" or "dirty_at_exit"
};

class ProgramAnalysis {
 public:
  explicit ProgramAnalysis(const runtime::ModelInput& model)
      : model_(model), program_(model.program), task_ops_(runtime::task_op_index(model.program)) {}

  std::vector<simcore::Finding> run() {
    for (std::uint32_t task = 0; task < program_.task_count; ++task) {
      const hwmodel::KernelSpec* kernel = program_kernel(task);
      if (kernel == nullptr) continue;
      analyse_task(task, *kernel);
      spmd_blocks(task, *kernel);
    }
    for (const ExitStore& store : exit_stores_) exit_readers(store);
    std::vector<simcore::Finding> findings;
    for (auto& [key, finding] : found_) findings.push_back(std::move(finding));
    return findings;
  }

 private:
  const hwmodel::KernelSpec* program_kernel(std::uint32_t task) const {
    if (task_ops_[task] == runtime::NO_INDEX) return nullptr;
    const runtime::ProgramOp& op = program_.ops[task_ops_[task]];
    if (op.kind != runtime::OpKind::submit) return nullptr;
    const hwmodel::KernelSpec& kernel = model_.kernels.at(op.kernel);
    return kernel.program ? &kernel : nullptr;
  }
  const runtime::ProgramOp& submit_of(std::uint32_t task) const { return program_.ops[task_ops_[task]]; }

  // The GM buffer an argument of a task names (an output: the task's own buffer).
  std::uint64_t buffer_of(std::uint32_t task, std::uint32_t arg_index) const {
    const auto& args = program_.args(submit_of(task));
    const runtime::ArgSpec& arg = args.at(arg_index);
    if (arg.kind != runtime::ArgKind::output) return runtime::logical_buffer_key(arg.source());
    std::uint32_t output = 0;
    for (std::uint32_t a = 0; a < arg_index; ++a) output += args[a].kind == runtime::ArgKind::output ? 1 : 0;
    return runtime::output_buffer_key(task, output);
  }

  // The finding under `key`, created by `make` the first time; `block` is listed in it.
  template <typename Make>
  void add(const std::tuple<std::uint32_t, int, std::string, std::uint32_t, std::uint32_t>& key, std::uint32_t block, Make make) {
    auto it = found_.find(key);
    if (it == found_.end()) {
      simcore::Finding finding = make();
      finding.details.set("blocks", Detail::list());
      it = found_.emplace(key, std::move(finding)).first;
    }
    Detail blocks = *it->second.details.find("blocks");
    const bool listed = !blocks.items().empty() && blocks.items().back().as_integer() == block;
    if (!listed && blocks.items().size() < 64) it->second.details.set("blocks", blocks.push(Detail::integer(block)));
  }

  void analyse_task(std::uint32_t task, const hwmodel::KernelSpec& kernel) {
    std::vector<const hwmodel::TensorLayout*> layouts;
    for (const runtime::ArgSpec& arg : program_.args(submit_of(task))) layouts.push_back(&program_.layout(arg));
    for (std::uint32_t block = 0; block < kernel.program->blocks.size(); ++block) {
      const std::vector<hwmodel::MicroOp>& ops = kernel.program->blocks[block];
      std::vector<std::uint32_t> unfenced;
      std::vector<std::uint32_t> unflushed;
      for (const hwmodel::ProgramFinding& item : hwmodel::analyse_block(ops, layouts, &unfenced, &unflushed)) {
        block_finding(task, block, kernel, item);
      }
      if (model_.platform.core_timing.commit.fin_before_commit) {
        for (std::uint32_t index : unfenced) {
          if (ops[index].kind == hwmodel::MicroOpKind::tstore) exit_stores_.push_back(ExitStore{task, block, index, "fin_before_commit"});
        }
      }
      for (std::uint32_t index : unflushed) exit_stores_.push_back(ExitStore{task, block, index, "dirty_at_exit"});
    }
    const hwmodel::KernelProgram& program = *kernel.program;
    for (const hwmodel::ListFinding& item : hwmodel::analyse_block_sync(program)) block_finding(task, item.list, kernel, item.finding);
    if (program.roles != 3) return;
    // The cross-core flags of each cluster running a block of a MIX task.
    for (std::uint32_t block = 0; block * 3 < program.blocks.size(); ++block) {
      const std::array<const std::vector<hwmodel::MicroOp>*, 3> lists{&program.blocks[program.list_index(block, 0)],
                                                                        &program.blocks[program.list_index(block, 1)],
                                                                        &program.blocks[program.list_index(block, 2)]};
      for (const hwmodel::ClusterFinding& item : hwmodel::analyse_cluster(lists)) {
        block_finding(task, program.list_index(block, item.role), kernel, item.finding);
      }
    }
  }

  // A store ordered before a load on another core only by a signal (a cross-core set, block
  // sync, the barrier, a notify) that can fire before the store reached GM: the signal can
  // overtake the store's bursts or dirty lines.
  void signal_overtakes(std::uint32_t task, const hwmodel::KernelSpec& kernel, std::uint32_t from, std::uint32_t store,
                        std::uint32_t set, std::uint32_t to, std::uint32_t load) {
    const auto& ops = kernel.program->blocks[from];
    if (hwmodel::fenced_before_signal(ops, store, set)) return;
    const std::string hazard = hwmodel::signal_hazard(ops[set].kind);
    const std::uint32_t first = ops[store].origin;
    const std::uint32_t second = kernel.program->blocks[to][load].origin;
    const std::string& first_at = kernel.program->origins.at(first);
    const std::string& second_at = kernel.program->origins.at(second);
    const std::string& set_at = kernel.program->origins.at(ops[set].origin);
    add(std::make_tuple(task, 0, hazard, first, second), from, [&] {
      simcore::Finding finding;
      finding.kind = simcore::FindingKind::visibility_hazard;
      finding.summary = "visibility hazard in kernel '" + kernel.name + "' (task '" + program_.task_name(task) + "'): the " +
                        hwmodel::to_string(ops[set].kind) + " " + set_at + " can overtake the store " + first_at +
                        " (no dsb(DDR) between them), and another " + (kernel.program->roles == 3 ? "core" : "block") +
                        " loads those elements after its wait; " + statements_text(hazard, first_at, second_at) + ", signal " + set_at;
      finding.details.set("fix", Detail::text(fix_text(hazard, first_at, second_at)));
      finding.details.set("hazard", Detail::text(hazard));
      finding.details.set("first", describe(program_, Site{task, kernel.name, first_at}));
      finding.details.set("second", describe(program_, Site{task, kernel.name, second_at}));
      finding.details.set("signal", describe(program_, Site{task, kernel.name, set_at}));
      return finding;
    });
  }

  void block_finding(std::uint32_t task, std::uint32_t block, const hwmodel::KernelSpec& kernel, const hwmodel::ProgramFinding& item) {
    const std::vector<hwmodel::MicroOp>& ops = kernel.program->blocks[block];
    const bool visibility = item.kind == hwmodel::ProgramFinding::Kind::visibility_hazard;
    const std::uint32_t first = ops[item.first_op].origin;
    const std::uint32_t second = ops[item.second_op].origin;
    add(std::make_tuple(task, static_cast<int>(item.kind), item.what, first, second), block, [&] {
      simcore::Finding finding;
      finding.kind = visibility ? simcore::FindingKind::visibility_hazard : simcore::FindingKind::flag_protocol;
      const std::string& first_at = kernel.program->origins.at(first);
      const std::string& second_at = kernel.program->origins.at(second);
      finding.summary = (visibility ? "visibility hazard in kernel '" : "flag protocol violation in kernel '") + kernel.name +
                        "' (task '" + program_.task_name(task) + "'): " + item.detail + "; " +
                        statements_text(item.what, first_at, second_at);
      finding.details.set("fix", Detail::text(fix_text(item.what, first_at, second_at)));
      finding.details.set("hazard", Detail::text(item.what));
      finding.details.set("first", describe(program_, Site{task, kernel.name, first_at}));
      finding.details.set("second", describe(program_, Site{task, kernel.name, second_at}));
      finding.details.set("detail", Detail::text(item.detail));
      return finding;
    });
  }

  // Where a store that may be seen late is read: by a later task, or (dirty_at_exit) by another
  // block of the same task, which runs on another core.
  void exit_readers(const ExitStore& store) {
    const hwmodel::KernelSpec& kernel = *program_kernel(store.task);
    const hwmodel::MicroOp& micro = kernel.program->blocks[store.block][store.op];
    hwmodel::TensorLayout written;
    const runtime::ArgSpec& stored_arg = program_.args(submit_of(store.task)).at(micro.gm.arg);
    if (!hwmodel::operand_layout(program_.layout(stored_arg), micro.gm, written).empty()) return;
    const std::uint64_t buffer = buffer_of(store.task, micro.gm.arg);
    if (store.hazard == "dirty_at_exit") same_task_readers(store, written, buffer);
    for (std::uint32_t reader = store.task + 1; reader < program_.task_count; ++reader) {
      if (task_ops_[reader] == runtime::NO_INDEX || submit_of(reader).kind != runtime::OpKind::submit) continue;
      const auto& args = program_.args(submit_of(reader));
      for (std::uint32_t a = 0; a < args.size(); ++a) {
        const runtime::ArgSpec& arg = args[a];
        if (arg.kind == runtime::ArgKind::output || !hwmodel::reads(runtime::access_of(arg.kind))) continue;
        if (runtime::logical_buffer_key(arg.source()) != buffer) continue;
        if (!hwmodel::views_intersect(program_.layout(arg), written)) continue;
        exit_finding(store, reader, "task '" + program_.task_name(reader) + "' argument " + std::to_string(a), a);
      }
    }
  }

  // Scalar loads or tloads of other blocks of the task that read the dirty elements.
  void same_task_readers(const ExitStore& store, const hwmodel::TensorLayout& written, std::uint64_t buffer) {
    const hwmodel::KernelSpec& kernel = *program_kernel(store.task);
    for (std::uint32_t block = 0; block < kernel.program->blocks.size(); ++block) {
      if (block == store.block) continue;
      for (const hwmodel::MicroOp& op : kernel.program->blocks[block]) {
        if (op.kind != hwmodel::MicroOpKind::tload && op.kind != hwmodel::MicroOpKind::scalar_load) continue;
        if (buffer_of(store.task, op.gm.arg) != buffer) continue;
        hwmodel::TensorLayout read;
        const runtime::ArgSpec& arg = program_.args(submit_of(store.task)).at(op.gm.arg);
        if (!hwmodel::operand_layout(program_.layout(arg), op.gm, read).empty() || !hwmodel::views_intersect(read, written)) continue;
        exit_finding(store, store.task, "block " + std::to_string(block) + " of the same task, " + kernel.program->origins.at(op.origin),
                     op.gm.arg);
        return;
      }
    }
  }

  void exit_finding(const ExitStore& store, std::uint32_t reader, const std::string& load, std::uint32_t reader_arg) {
    const hwmodel::KernelSpec& kernel = *program_kernel(store.task);
    const hwmodel::MicroOp& micro = kernel.program->blocks[store.block][store.op];
    const std::string& store_at = kernel.program->origins.at(micro.origin);
    add(std::make_tuple(store.task, 0, store.hazard, micro.origin, reader), store.block, [&] {
      simcore::Finding finding;
      finding.kind = simcore::FindingKind::visibility_hazard;
      const std::string why = store.hazard == "fin_before_commit"
                                  ? "ends with stores not fenced by dsb(DDR), FIN is posted before they commit (fin_before_commit)"
                                  : "ends with scalar stores still dirty in its data cache (no dcci writes them back)";
      finding.summary = "visibility hazard: kernel '" + kernel.name + "' (task '" + program_.task_name(store.task) + "') " + why +
                        ", and " + load + " reads those elements; store " + store_at +
                        ", signal: the kernel's FIN, load: " + load;
      finding.details.set("fix", Detail::text(fix_text(store.hazard, store_at, "")));
      finding.details.set("hazard", Detail::text(store.hazard));
      finding.details.set("first", describe(program_, Site{store.task, kernel.name, store_at}));
      Detail second = Detail::object();
      second.set("name", Detail::text(program_.task_name(reader)));
      second.set("task", Detail::integer(reader));
      second.set("argument", Detail::integer(reader_arg));
      second.set("load", Detail::text(load));
      finding.details.set("second", second);
      return finding;
    });
  }

  // race: two blocks of one SPMD task (or two cores of a MIX task) access the same GM elements,
  // one of them writing, and no signal orders them (a cross-core flag, block sync, the barrier,
  // a notify/wait); a store ordered by a signal that can overtake it is a visibility hazard.
  void spmd_blocks(std::uint32_t task, const hwmodel::KernelSpec& kernel) {
    const auto& blocks = kernel.program->blocks;
    if (blocks.size() < 2) return;
    struct Access {
      std::uint32_t block = 0;
      std::uint32_t op = 0;
      bool write = false;
      std::uint64_t buffer = 0;
      hwmodel::TensorLayout view;
    };
    std::vector<Access> accesses;
    for (std::uint32_t block = 0; block < blocks.size(); ++block) {
      for (std::uint32_t i = 0; i < blocks[block].size(); ++i) {
        const hwmodel::MicroOp& op = blocks[block][i];
        const bool write = op.kind == hwmodel::MicroOpKind::tstore || op.kind == hwmodel::MicroOpKind::scalar_store;
        const bool read = op.kind == hwmodel::MicroOpKind::tload || op.kind == hwmodel::MicroOpKind::scalar_load;
        if (!write && !read) continue;
        Access access{block, i, write, buffer_of(task, op.gm.arg), {}};
        const runtime::ArgSpec& arg = program_.args(submit_of(task)).at(op.gm.arg);
        if (!hwmodel::operand_layout(program_.layout(arg), op.gm, access.view).empty()) continue;
        accesses.push_back(std::move(access));
      }
    }
    // Bounded: a pair test per (write, access of a later block) up to this many.
    constexpr std::uint64_t MAX_PAIRS = 4'000'000;
    std::uint64_t pairs = 0;
    for (const Access& a : accesses) {
      for (const Access& b : accesses) {
        if (b.block <= a.block || (!a.write && !b.write) || a.buffer != b.buffer) continue;
        if (++pairs > MAX_PAIRS) return;
        if (!hwmodel::views_intersect(a.view, b.view)) continue;
        const Access& writer = a.write ? a : b;
        const Access& other = a.write ? b : a;
        // Cores of one cluster ordered by a cross-core flag, either way round, do not race; a
        // store signalled that way without a fence is a visibility hazard instead.
        const std::uint32_t forward = hwmodel::signal_between(*kernel.program, writer.block, writer.op, other.block, other.op);
        if (forward != hwmodel::NO_OP) {
          if (!other.write) signal_overtakes(task, kernel, writer.block, writer.op, forward, other.block, other.op);
          continue;
        }
        if (hwmodel::signal_between(*kernel.program, other.block, other.op, writer.block, writer.op) != hwmodel::NO_OP) continue;
        spmd_finding(task, kernel, writer.block, writer.op, other.block, other.op);
      }
    }
  }

  void spmd_finding(std::uint32_t task, const hwmodel::KernelSpec& kernel, std::uint32_t write_block, std::uint32_t write_op,
                    std::uint32_t other_block, std::uint32_t other_op) {
    const std::uint32_t first = kernel.program->blocks[write_block][write_op].origin;
    const std::uint32_t second = kernel.program->blocks[other_block][other_op].origin;
    const std::string& first_at = kernel.program->origins.at(first);
    const std::string& second_at = kernel.program->origins.at(second);
    add(std::make_tuple(task, 2, std::string("spmd_blocks"), first, second), write_block, [&] {
      simcore::Finding finding;
      finding.kind = simcore::FindingKind::race;
      finding.summary = "race between the blocks of SPMD task '" + program_.task_name(task) + "' (kernel '" + kernel.name +
                        "'): block " + std::to_string(write_block) + " writes elements that block " + std::to_string(other_block) +
                        " also accesses, and nothing orders the blocks of one task; " + statements_text("spmd_blocks", first_at, second_at);
      finding.details.set("fix", Detail::text(fix_text("spmd_blocks", first_at, second_at)));
      finding.details.set("hazard", Detail::text("spmd_blocks"));
      finding.details.set("first", describe(program_, Site{task, kernel.name, first_at}));
      finding.details.set("second", describe(program_, Site{task, kernel.name, second_at}));
      return finding;
    });
    PTOSIM_ASSERT(write_block != other_block, "a race between a block and itself");
  }

  const runtime::ModelInput& model_;
  const runtime::Program& program_;
  std::vector<std::uint32_t> task_ops_;
  // (task, kind, hazard, first statement, second statement or reader) -> finding under construction.
  std::map<std::tuple<std::uint32_t, int, std::string, std::uint32_t, std::uint32_t>, simcore::Finding> found_;
  std::vector<ExitStore> exit_stores_;
};

}  // namespace

std::vector<simcore::Finding> find_program_hazards(const runtime::ModelInput& model) { return ProgramAnalysis(model).run(); }

}  // namespace ptosim::replay

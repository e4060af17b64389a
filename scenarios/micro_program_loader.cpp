// Kernel micro-programs: a kernel's `program` (tiles, and statements of tload, tstore, compute,
// scalar loads and stores, flags, barriers, cache operations and cross-core flags, in loops)
// expanded once per block (and per core of the cluster for a MIX kernel) into the flat op lists that hwmodel interprets, and the check that every GM operand fits
// the task argument it names. Program parameters are not visible here.
#include "scenarios/loader_fields.h"

#include <algorithm>
#include <map>
#include <memory>

namespace ptosim::scenarios::loader {

namespace {

constexpr std::size_t MAX_BLOCK_OPS = 65'535;  // operations of one block of a micro-program

class MicroProgramLoader {
 public:
  explicit MicroProgramLoader(FieldReader& reader) : reader_(reader), env_(reader.env()), loop_vars_(reader.loop_vars()) {}

  // A kernel's `program` is expanded once per block index (variables `block` and `block_num`
  // and its own loop variables; program parameters are not visible here) into a flat op list.
  std::shared_ptr<const hwmodel::KernelProgram> load_kernel_program(const Field& field, const hwmodel::KernelSpec& spec) {
    mix_ = spec.shape == hwmodel::TaskShape::mix;
    block_num_ = spec.block_num;
    // One body for a one-core kernel; a MIX kernel gives the AIC's and the AIVs' (expanded once
    // per AIV with `sub_block` 0 and 1), the core's role coming from the topology.
    if (mix_) {
      reader_.check_object(field, {"tiles", "aic", "aiv"}, {"tiles", "aic", "aiv"});
    } else {
      reader_.check_object(field, {"tiles", "body"}, {"tiles", "body"});
    }
    auto program = std::make_shared<hwmodel::KernelProgram>();
    const Field tiles = child(field, "tiles");
    if (!tiles->is_array()) reader_.fail(tiles, std::string("an array of tile names, found ") + type_name(*tiles));
    if (tiles->size() >= hwmodel::NO_TILE) reader_.fail(tiles, "fewer than 65535 tiles");
    for (std::size_t i = 0; i < tiles->size(); ++i) {
      const Field tile = child(tiles, i);
      const std::string name = reader_.string(tile);
      if (!is_identifier(name)) reader_.fail(tile, "a tile name (an identifier)");
      if (std::find(program->tiles.begin(), program->tiles.end(), name) != program->tiles.end()) {
        reader_.fail_raw(tile, "tile '" + name + "' is declared twice");
      }
      program->tiles.push_back(name);
    }
    kernel_program_ = program.get();
    program->roles = mix_ ? 3 : 1;
    std::uint64_t total = 0;
    for (std::uint32_t block = 0; block < spec.block_num; ++block) {
      current_block_ = block;
      env_.push("block", block);
      env_.push("block_num", spec.block_num);
      for (std::uint32_t role = 0; role < program->roles; ++role) {
        program_core_aic_ = mix_ ? role == 0 : spec.shape == hwmodel::TaskShape::aic;
        program_role_ = role;
        const Field body = !mix_ ? child(field, "body") : role == 0 ? child(field, "aic") : child(field, "aiv");
        if (mix_ && role > 0) env_.push("sub_block", role - 1);
        program->blocks.emplace_back();
        block_ops_ = &program->blocks.back();
        expand_micro_block(body, 0);
        if (mix_ && role > 0) env_.pop();
        total += block_ops_->size();
        if (total > MAX_PROGRAM_OPS) reader_.fail(body, "at most " + std::to_string(MAX_PROGRAM_OPS) + " operations over all blocks");
      }
      env_.pop();
      env_.pop();
    }
    kernel_program_ = nullptr;
    block_ops_ = nullptr;
    micro_origins_.clear();
    return program;
  }

  void expand_micro_block(const Field& body, int depth) {
    if (!body->is_array()) reader_.fail(body, std::string("an array of program statements, found ") + type_name(*body));
    if (depth > MAX_STATEMENT_DEPTH) reader_.fail_raw(body, "program statements nested more than " + std::to_string(MAX_STATEMENT_DEPTH) + " levels deep");
    for (std::size_t i = 0; i < body->size(); ++i) {
      const Field stmt = child(body, i);
      if (!stmt->is_object()) reader_.fail(stmt, std::string("a program statement object, found ") + type_name(*stmt));
      if (has(stmt, "for")) {
        reader_.check_object(stmt, {"for", "from", "to", "step", "body"}, {"for", "to", "body"});
        const Field var = child(stmt, "for");
        const std::string name = reader_.string(var);
        if (!is_identifier(name)) reader_.fail(var, "a loop variable name (an identifier)");
        if (env_.contains(name)) reader_.fail_raw(var, "loop variable '" + name + "' shadows block, block_num or an outer loop variable");
        const std::int64_t from = has(stmt, "from") ? reader_.int_expr(child(stmt, "from"), -MAX_DIM, MAX_DIM) : 0;
        const std::int64_t to = reader_.int_expr(child(stmt, "to"), -MAX_DIM, MAX_DIM);
        const std::int64_t step = has(stmt, "step") ? reader_.int_expr(child(stmt, "step"), 1, MAX_DIM) : 1;
        if (to > from && static_cast<std::uint64_t>((to - from) / step) > MAX_BLOCK_OPS) {
          reader_.fail(child(stmt, "to"), "at most " + std::to_string(MAX_BLOCK_OPS) + " iterations");
        }
        env_.push(name, from);
        loop_vars_.push_back(name);
        for (std::int64_t v = from; v < to; v += step) {
          reader_.step(stmt);
          env_.set_top(v);
          expand_micro_block(child(stmt, "body"), depth + 1);
        }
        loop_vars_.pop_back();
        env_.pop();
        continue;
      }
      reader_.step(stmt);
      block_ops_->push_back(micro_op(stmt));
      if (block_ops_->size() > MAX_BLOCK_OPS) reader_.fail(stmt, "at most " + std::to_string(MAX_BLOCK_OPS) + " operations per block");
    }
  }

  std::uint16_t tile_index(const Field& field) {
    const std::string name = reader_.string(field);
    for (std::size_t t = 0; t < kernel_program_->tiles.size(); ++t) {
      if (kernel_program_->tiles[t] == name) return static_cast<std::uint16_t>(t);
    }
    reader_.fail_raw(field, "undeclared tile '" + name + "' (declare it under tiles)");
  }

  hwmodel::Pipe pipe_of(const Field& field, bool allow_all) {
    const std::string name = reader_.string(field);
    hwmodel::Pipe pipe = hwmodel::Pipe::s;
    if (!hwmodel::parse_pipe(name, pipe) || (pipe == hwmodel::Pipe::all && !allow_all)) {
      reader_.fail(field, std::string("a pipe: S, V, M, MTE1, MTE2, MTE3, FIX") + (allow_all ? " or ALL" : "") + ", found \"" + name + "\"");
    }
    // An AIV has S, V, MTE2, MTE3; an AIC has S, MTE1, MTE2, M, FIX and MTE3.
    const bool vector_only = pipe == hwmodel::Pipe::v;
    const bool cube_only = pipe == hwmodel::Pipe::m || pipe == hwmodel::Pipe::mte1 || pipe == hwmodel::Pipe::fix;
    if ((program_core_aic_ && vector_only) || (!program_core_aic_ && cube_only)) {
      reader_.fail_raw(field, "pipe " + name + " does not exist on an " + (program_core_aic_ ? "AIC" : "AIV") + " core");
    }
    return pipe;
  }

  hwmodel::GmOperand gm_operand(const Field& field) {
    reader_.check_object(field, {"arg", "shape", "offsets"}, {"arg", "shape", "offsets"});
    hwmodel::GmOperand operand;
    operand.arg = static_cast<std::uint32_t>(reader_.integer(child(field, "arg"), 0, 255));
    const std::vector<std::int64_t> shape = reader_.int_list(child(field, "shape"), 1, runtime::MAX_TENSOR_DIMS, 1, MAX_DIM);
    const std::vector<std::int64_t> offsets = reader_.int_list(child(field, "offsets"), 1, runtime::MAX_TENSOR_DIMS, 0, MAX_DIM);
    if (offsets.size() != shape.size()) reader_.fail(child(field, "offsets"), "one offset per dimension of shape");
    operand.ndims = static_cast<int>(shape.size());
    for (std::size_t d = 0; d < shape.size(); ++d) {
      operand.shapes[d] = shape[d];
      operand.offsets[d] = offsets[d];
    }
    return operand;
  }

  hwmodel::MicroOp micro_op(const Field& stmt) {
    hwmodel::MicroOp op;
    auto origin = micro_origins_.find(stmt.value);
    if (origin == micro_origins_.end()) {
      origin = micro_origins_.emplace(stmt.value, static_cast<std::uint32_t>(kernel_program_->origins.size())).first;
      kernel_program_->origins.push_back(stmt.pointer());
    }
    op.origin = origin->second;
    if (!has(stmt, "op")) reader_.fail(stmt, "a program statement: an object with \"op\" or \"for\"");
    const Field kind_field = child(stmt, "op");
    const std::string kind = reader_.string(kind_field);
    if (kind == "tload" || kind == "tstore") {
      reader_.check_object(stmt, {"op", "tile", "gm", "duration_ns"}, {"op", "tile", "gm"});
      op.kind = kind == "tload" ? hwmodel::MicroOpKind::tload : hwmodel::MicroOpKind::tstore;
      op.pipe = kind == "tload" ? hwmodel::Pipe::mte2 : hwmodel::Pipe::mte3;
      if (kind == "tload") {
        op.dst_tile = tile_index(child(stmt, "tile"));
      } else {
        op.src_tiles[0] = tile_index(child(stmt, "tile"));
      }
      op.gm = gm_operand(child(stmt, "gm"));
      if (has(stmt, "duration_ns")) op.duration_ns = reader_.integer(child(stmt, "duration_ns"), 1, MAX_DURATION_NS);
    } else if (kind == "compute") {
      reader_.check_object(stmt, {"op", "pipe", "dst", "src", "duration_ns"}, {"op", "pipe", "dst", "duration_ns"});
      op.kind = hwmodel::MicroOpKind::compute;
      op.pipe = pipe_of(child(stmt, "pipe"), false);
      if (op.pipe == hwmodel::Pipe::s || op.pipe == hwmodel::Pipe::mte2 || op.pipe == hwmodel::Pipe::mte3) {
        reader_.fail(child(stmt, "pipe"), "a compute pipe (V, M, MTE1 or FIX): GM transfers are tload and tstore, scalar work is scalar_load/scalar_store");
      }
      op.dst_tile = tile_index(child(stmt, "dst"));
      if (has(stmt, "src")) {
        const Field src = child(stmt, "src");
        if (!src->is_array() || src->size() > hwmodel::MAX_OP_SOURCES) reader_.fail(src, "an array of at most 4 tile names");
        for (std::size_t t = 0; t < src->size(); ++t) op.src_tiles[t] = tile_index(child(src, t));
      }
      op.duration_ns = reader_.integer(child(stmt, "duration_ns"), 0, MAX_DURATION_NS);
    } else if (kind == "scalar_load" || kind == "scalar_store") {
      reader_.check_object(stmt, {"op", "gm", "tile"}, {"op", "gm"});
      op.kind = kind == "scalar_load" ? hwmodel::MicroOpKind::scalar_load : hwmodel::MicroOpKind::scalar_store;
      op.pipe = hwmodel::Pipe::s;
      op.gm = gm_operand(child(stmt, "gm"));
      if (has(stmt, "tile")) {
        if (kind == "scalar_load") {
          op.dst_tile = tile_index(child(stmt, "tile"));
        } else {
          op.src_tiles[0] = tile_index(child(stmt, "tile"));
        }
      }
    } else if (kind == "set_flag" || kind == "wait_flag") {
      reader_.check_object(stmt, {"op", "src", "dst", "id"}, {"op", "src", "dst", "id"});
      op.kind = kind == "set_flag" ? hwmodel::MicroOpKind::set_flag : hwmodel::MicroOpKind::wait_flag;
      op.pipe = pipe_of(child(stmt, "src"), false);
      op.flag_dst = pipe_of(child(stmt, "dst"), false);
      if (op.pipe == op.flag_dst) reader_.fail(child(stmt, "dst"), "a pipe other than src (same-pipe order needs pipe_barrier)");
      op.flag_id = static_cast<std::uint8_t>(reader_.integer(child(stmt, "id"), 0, hwmodel::FLAG_IDS - 1));
    } else if (kind == "pipe_barrier") {
      reader_.check_object(stmt, {"op", "pipe"}, {"op", "pipe"});
      op.kind = hwmodel::MicroOpKind::pipe_barrier;
      op.pipe = pipe_of(child(stmt, "pipe"), true);
      if (op.pipe == hwmodel::Pipe::s) reader_.fail_raw(child(stmt, "pipe"), "pipe_barrier(PIPE_S) raises a hardware error: the scalar unit keeps its own order");
    } else if (kind == "dsb") {
      reader_.check_object(stmt, {"op"}, {"op"});
      op.kind = hwmodel::MicroOpKind::dsb;
      op.pipe = hwmodel::Pipe::s;
    } else if (kind == "dcci") {
      reader_.check_object(stmt, {"op", "gm", "all"}, {"op"});
      op.kind = hwmodel::MicroOpKind::dcci;
      op.pipe = hwmodel::Pipe::s;
      op.whole_cache = has(stmt, "all") && reader_.boolean(child(stmt, "all"));
      if (has(stmt, "gm") == op.whole_cache) reader_.fail(stmt, "either \"gm\" (one line) or \"all\": true (the whole data cache)");
      if (!op.whole_cache) op.gm = gm_operand(child(stmt, "gm"));
    } else if (kind == "set_cross_core" || kind == "wait_flag_dev") {
      cross_core_op(stmt, kind == "set_cross_core", op);
    } else if (kind == "block_set" || kind == "block_wait" || kind == "block_barrier") {
      block_sync_op(stmt, kind, op);
    } else if (kind == "notify" || kind == "signal_wait") {
      signal_op(stmt, kind == "notify", op);
    } else {
      reader_.fail(kind_field, "an operation: tload, tstore, compute, scalar_load, scalar_store, set_flag, wait_flag, pipe_barrier, dsb, dcci, "
                               "set_cross_core, wait_flag_dev, block_set, block_wait, block_barrier, notify or signal_wait; found \"" + kind + "\"");
    }
    return op;
  }

  // set_cross_core {pipe, id, mode} / wait_flag_dev {id}: the cross-core flags of one cluster,
  // so only between the cores of a MIX task (hardware-sync.md §2, pto-isa set-cross-core.md).
  void cross_core_op(const Field& stmt, bool set, hwmodel::MicroOp& op) {
    if (set) {
      reader_.check_object(stmt, {"op", "pipe", "id", "mode"}, {"op", "pipe", "id"});
    } else {
      reader_.check_object(stmt, {"op", "id"}, {"op", "id"});
    }
    if (!mix_) {
      reader_.fail_raw(child(stmt, "op"), "cross-core flags connect the cores of one cluster: only a \"mix\" kernel's program can use them");
    }
    op.kind = set ? hwmodel::MicroOpKind::set_cross_core : hwmodel::MicroOpKind::wait_flag_dev;
    op.pipe = set ? pipe_of(child(stmt, "pipe"), false) : hwmodel::Pipe::s;
    op.flag_id = static_cast<std::uint8_t>(reader_.integer(child(stmt, "id"), 0, hwmodel::CROSS_CORE_FLAG_IDS - 1));
    if (set && has(stmt, "mode")) {
      op.cross_mode = static_cast<std::uint8_t>(reader_.integer(child(stmt, "mode"), 0, 2));
      if (op.cross_mode == 0) reader_.fail_raw(child(stmt, "mode"), "mode 0 (a barrier of all cores of one type) is not modelled; use mode 1 or 2");
      if (op.cross_mode == 1 && program_role_ == 0) reader_.fail_raw(child(stmt, "mode"), "mode 1 connects the two AIVs of a cluster: the AIC sets in mode 2");
    }
  }

  // block_set {pipe, id, block} / block_wait {id} / block_barrier {}: block sync between the
  // blocks of one task, 16 ids of which 14 and 15 belong to the all-block barrier (PTOAS
  // SyncEventIdAllocation.h kBlockSyncSetWaitEventIdNum, kBlockSyncAllCubeEventId,
  // kBlockSyncAllVectorEventId).
  void block_sync_op(const Field& stmt, const std::string& kind, hwmodel::MicroOp& op) {
    if (mix_) {
      // The three cores of a MIX block share its block index: they order each other with the
      // cross-core flags, and block sync between MIX blocks is not modelled.
      reader_.fail_raw(child(stmt, "op"), "block sync connects the blocks of an aic or aiv kernel; the cores of a \"mix\" kernel use set_cross_core / wait_flag_dev");
    }
    if (kind == "block_barrier") {
      reader_.check_object(stmt, {"op"}, {"op"});
      op.kind = hwmodel::MicroOpKind::block_barrier;
      op.pipe = hwmodel::Pipe::s;
      return;
    }
    const bool set = kind == "block_set";
    if (set) {
      reader_.check_object(stmt, {"op", "pipe", "id", "block"}, {"op", "pipe", "id", "block"});
    } else {
      reader_.check_object(stmt, {"op", "id"}, {"op", "id"});
    }
    op.kind = set ? hwmodel::MicroOpKind::block_set : hwmodel::MicroOpKind::block_wait;
    op.pipe = set ? pipe_of(child(stmt, "pipe"), false) : hwmodel::Pipe::s;
    const Field id = child(stmt, "id");
    op.flag_id = static_cast<std::uint8_t>(reader_.integer(id, 0, hwmodel::BLOCK_SYNC_IDS - 1));
    if (op.flag_id >= hwmodel::BLOCK_SYNC_FIRST_RESERVED) {
      reader_.fail_raw(id, "block sync ids 14 and 15 are reserved for the all-block barrier (use block_barrier); 0 to 13 are free");
    }
    if (!set) return;
    const Field target = child(stmt, "block");
    op.target_block = static_cast<std::uint32_t>(reader_.int_expr(target, 0, static_cast<std::int64_t>(block_num_) - 1));
    if (op.target_block == current_block_) reader_.fail_raw(target, "a block_set to its own block: block sync connects two blocks of the task");
  }

  // notify {gm, value, mode: "set" | "add"} / signal_wait {gm, value, cmp: "eq" | "ge"}: a GM
  // signal cell, one element of a tensor argument.
  void signal_op(const Field& stmt, bool notify, hwmodel::MicroOp& op) {
    if (notify) {
      reader_.check_object(stmt, {"op", "gm", "value", "mode"}, {"op", "gm", "value"});
    } else {
      reader_.check_object(stmt, {"op", "gm", "value", "cmp"}, {"op", "gm", "value"});
    }
    op.kind = notify ? hwmodel::MicroOpKind::notify : hwmodel::MicroOpKind::signal_wait;
    op.pipe = hwmodel::Pipe::s;
    const Field gm = child(stmt, "gm");
    op.gm = gm_operand(gm);
    for (int d = 0; d < op.gm.ndims; ++d) {
      if (op.gm.shapes[static_cast<std::size_t>(d)] != 1) reader_.fail_raw(child(gm, "shape"), "a signal cell is one element: every dimension 1");
    }
    // A cell is a 32-bit word.
    op.signal_value = reader_.int_expr(child(stmt, "value"), INT32_MIN, INT32_MAX);
    const char* choice = notify ? "mode" : "cmp";
    if (!has(stmt, choice)) return;
    const Field field = child(stmt, choice);
    const std::string text = reader_.string(field);
    if (notify) {
      if (text != "set" && text != "add") reader_.fail(field, "\"set\" or \"add\" (AtomicAdd), found \"" + text + "\"");
      op.signal_add = text == "add";
    } else {
      if (text != "eq" && text != "ge") reader_.fail(field, "\"eq\" or \"ge\", found \"" + text + "\"");
      op.signal_ge = text == "ge";
    }
  }

 private:
  std::uint32_t block_num_ = 1;
  std::uint32_t current_block_ = 0;
  bool mix_ = false;
  std::uint32_t program_role_ = 0;  // 0 AIC, 1 AIV0, 2 AIV1 (a MIX kernel's list being expanded)
  FieldReader& reader_;
  Environment& env_;
  std::vector<std::string>& loop_vars_;
  hwmodel::KernelProgram* kernel_program_ = nullptr;  // the micro-program being expanded
  std::vector<hwmodel::MicroOp>* block_ops_ = nullptr;
  bool program_core_aic_ = false;
  std::map<const json*, std::uint32_t> micro_origins_;
};

}  // namespace

std::shared_ptr<const hwmodel::KernelProgram> load_kernel_program(FieldReader& reader, const Field& field,
                                                                  const hwmodel::KernelSpec& spec) {
  return MicroProgramLoader(reader).load_kernel_program(field, spec);
}

// Every GM operand of a program kernel must fit the argument it names, in every submit.
void check_program_operands(FieldReader& reader, const Field& stmt, const hwmodel::KernelSpec& kernel,
                            const runtime::Program& program, std::span<const runtime::ArgSpec> args) {
  for (const auto& block : kernel.program->blocks) {
    for (const hwmodel::MicroOp& micro : block) {
      const bool uses_gm = micro.kind == hwmodel::MicroOpKind::tload || micro.kind == hwmodel::MicroOpKind::tstore ||
                           micro.kind == hwmodel::MicroOpKind::scalar_load || micro.kind == hwmodel::MicroOpKind::scalar_store ||
                           micro.kind == hwmodel::MicroOpKind::notify || micro.kind == hwmodel::MicroOpKind::signal_wait ||
                           (micro.kind == hwmodel::MicroOpKind::dcci && !micro.whole_cache);
      if (!uses_gm) continue;
      const std::string where = " (kernel '" + kernel.name + "', program statement " + kernel.program->origins[micro.origin] + ")";
      if (micro.gm.arg >= args.size()) {
        // A submit without `args` has no arguments: the statement itself is at fault.
        reader.fail_raw(has(stmt, "args") ? child(stmt, "args") : stmt, "the kernel's program uses argument " + std::to_string(micro.gm.arg) + " but the task has " +
                                                 std::to_string(args.size()) + where);
      }
      const runtime::ArgSpec& arg = args[micro.gm.arg];
      const bool stores = micro.kind == hwmodel::MicroOpKind::tstore || micro.kind == hwmodel::MicroOpKind::scalar_store;
      if (stores && !hwmodel::writes(runtime::access_of(arg.kind))) {
        reader.fail_raw(child(child(stmt, "args"), micro.gm.arg), std::string("the kernel's program writes this argument, which is ") +
                                                                       runtime::to_string(arg.kind) + where);
      }
      hwmodel::TensorLayout layout;
      const std::string problem = hwmodel::operand_layout(program.layouts[arg.layout], micro.gm, layout);
      if (!problem.empty()) reader.fail_raw(child(child(stmt, "args"), micro.gm.arg), "a GM operand of the kernel's program does not fit this argument: " + problem + where);
    }
  }
}

}  // namespace ptosim::scenarios::loader

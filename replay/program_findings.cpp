#include "replay/program_findings.h"

#include "hwmodel/micro_program.h"

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
  if (what == "double_set") return "first set " + first + ", second set " + second;
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
  if (what == "double_set") return "consume the flag with a wait_flag between the set " + first + " and the set " + second;
  if (what == "wait_never_set") return "issue the matching set_flag before the wait " + first + ", or remove the wait";
  if (what == "set_at_exit") return "consume the flag set at " + first + " with a wait_flag before the kernel ends";
  return "";
}

}  // namespace

std::vector<simcore::Finding> find_program_hazards(const runtime::ModelInput& model) {
  const runtime::Program& program = model.program;
  const std::vector<std::uint32_t> task_ops = runtime::task_op_index(program);
  // (task, kind, hazard, first statement, second statement) -> finding under construction.
  std::map<std::tuple<std::uint32_t, int, std::string, std::uint32_t, std::uint32_t>, simcore::Finding> found;
  // Stores left unfenced at a kernel's end: (task, block, op index).
  struct Unfenced {
    std::uint32_t task = 0;
    std::uint32_t block = 0;
    std::uint32_t op = 0;
  };
  std::vector<Unfenced> unfenced_at_end;
  for (std::uint32_t task = 0; task < program.task_count; ++task) {
    if (task_ops[task] == runtime::NO_INDEX) continue;
    const runtime::ProgramOp& op = program.ops[task_ops[task]];
    if (op.kind != runtime::OpKind::submit) continue;
    const hwmodel::KernelSpec& kernel = model.kernels.at(op.kernel);
    if (!kernel.program) continue;
    std::vector<const hwmodel::TensorLayout*> layouts;
    for (const runtime::ArgSpec& arg : program.args(op)) layouts.push_back(&program.layout(arg));
    for (std::uint32_t block = 0; block < kernel.program->blocks.size(); ++block) {
      const std::vector<hwmodel::MicroOp>& ops = kernel.program->blocks[block];
      std::vector<std::uint32_t> unfenced;
      for (const hwmodel::ProgramFinding& item : hwmodel::analyse_block(ops, layouts, &unfenced)) {
        const bool visibility = item.kind == hwmodel::ProgramFinding::Kind::visibility_hazard;
        const std::uint32_t first = ops[item.first_op].origin;
        const std::uint32_t second = ops[item.second_op].origin;
        auto key = std::make_tuple(task, static_cast<int>(item.kind), item.what, first, second);
        auto it = found.find(key);
        if (it == found.end()) {
          simcore::Finding finding;
          finding.kind = visibility ? simcore::FindingKind::visibility_hazard : simcore::FindingKind::flag_protocol;
          const std::string& first_at = kernel.program->origins.at(first);
          const std::string& second_at = kernel.program->origins.at(second);
          finding.summary = (visibility ? "visibility hazard in kernel '" : "flag protocol violation in kernel '") + kernel.name +
                            "' (task '" + program.task_name(task) + "'): " + item.detail + "; " +
                            statements_text(item.what, first_at, second_at);
          finding.details.set("fix", Detail::text(fix_text(item.what, first_at, second_at)));
          finding.details.set("hazard", Detail::text(item.what));
          finding.details.set("first", describe(program, Site{task, kernel.name, kernel.program->origins.at(first)}));
          finding.details.set("second", describe(program, Site{task, kernel.name, kernel.program->origins.at(second)}));
          finding.details.set("detail", Detail::text(item.detail));
          finding.details.set("blocks", Detail::list());
          it = found.emplace(key, std::move(finding)).first;
        }
        Detail blocks = *it->second.details.find("blocks");
        const bool listed = !blocks.items().empty() && blocks.items().back().as_integer() == block;
        if (!listed && blocks.items().size() < 64) it->second.details.set("blocks", blocks.push(Detail::integer(block)));
      }
      if (model.platform.core_timing.commit.fin_before_commit) {
        for (std::uint32_t index : unfenced) {
          if (ops[index].kind == hwmodel::MicroOpKind::tstore) unfenced_at_end.push_back(Unfenced{task, block, index});
        }
      }
    }
  }
  // fin_before_commit: FIN can be seen before the last bursts land; a later task reading those
  // elements may read them stale whatever the graph orders.
  for (const Unfenced& store : unfenced_at_end) {
    const runtime::ProgramOp& op = program.ops[task_ops[store.task]];
    const hwmodel::KernelSpec& kernel = model.kernels.at(op.kernel);
    const hwmodel::MicroOp& micro = kernel.program->blocks[store.block][store.op];
    const runtime::ArgSpec& stored_arg = program.args(op).at(micro.gm.arg);
    hwmodel::TensorLayout written;
    if (!hwmodel::operand_layout(program.layout(stored_arg), micro.gm, written).empty()) continue;
    const std::uint64_t buffer = stored_arg.kind == runtime::ArgKind::output
                                     ? runtime::output_buffer_key(store.task, [&] {
                                         std::uint32_t output = 0;
                                         for (std::uint32_t a = 0; a < micro.gm.arg; ++a) output += program.args(op)[a].kind == runtime::ArgKind::output ? 1 : 0;
                                         return output;
                                       }())
                                     : runtime::logical_buffer_key(stored_arg.source());
    for (std::uint32_t reader = store.task + 1; reader < program.task_count; ++reader) {
      if (task_ops[reader] == runtime::NO_INDEX) continue;
      const runtime::ProgramOp& read_op = program.ops[task_ops[reader]];
      if (read_op.kind != runtime::OpKind::submit) continue;
      for (std::uint32_t a = 0; a < program.args(read_op).size(); ++a) {
        const runtime::ArgSpec& arg = program.args(read_op)[a];
        if (arg.kind == runtime::ArgKind::output || !hwmodel::reads(runtime::access_of(arg.kind))) continue;
        if (runtime::logical_buffer_key(arg.source()) != buffer) continue;
        if (!hwmodel::views_intersect(program.layout(arg), written)) continue;
        auto key = std::make_tuple(store.task, 0, std::string("fin_before_commit"), micro.origin, reader);
        auto it = found.find(key);
        if (it == found.end()) {
          simcore::Finding finding;
          finding.kind = simcore::FindingKind::visibility_hazard;
          finding.summary = "visibility hazard: kernel '" + kernel.name + "' (task '" + program.task_name(store.task) +
                            "') ends with stores not fenced by dsb(DDR), FIN is posted before they commit "
                            "(fin_before_commit), and task '" + program.task_name(reader) + "' reads those elements; store " +
                            kernel.program->origins.at(micro.origin) + ", signal: the kernel's FIN, load: task '" +
                            program.task_name(reader) + "' argument " + std::to_string(a);
          finding.details.set("fix", Detail::text(fix_text("fin_before_commit", kernel.program->origins.at(micro.origin), "")));
          finding.details.set("hazard", Detail::text("fin_before_commit"));
          finding.details.set("first", describe(program, Site{store.task, kernel.name, kernel.program->origins.at(micro.origin)}));
          Detail second = Detail::object();
          second.set("name", Detail::text(program.task_name(reader)));
          second.set("task", Detail::integer(reader));
          second.set("argument", Detail::integer(a));
          finding.details.set("second", second);
          finding.details.set("blocks", Detail::list());
          it = found.emplace(key, std::move(finding)).first;
        }
        Detail blocks = *it->second.details.find("blocks");
        const bool listed = !blocks.items().empty() && blocks.items().back().as_integer() == store.block;
        if (!listed && blocks.items().size() < 64) it->second.details.set("blocks", blocks.push(Detail::integer(store.block)));
      }
    }
  }
  std::vector<simcore::Finding> findings;
  for (auto& [key, finding] : found) findings.push_back(std::move(finding));
  return findings;
}

}  // namespace ptosim::replay

// The data oracle's reference (the program executed sequentially) against a naive one that keeps
// a version per byte of every buffer and enumerates every element of every view, on random
// programs: views, slices and gathers of two external tensors and of task outputs, INPUT, INOUT,
// OUTPUT and OUTPUT_EXISTING, kernels that read whole arguments or row by row. Every byte of
// every read and of every written external tensor must carry the same version.
#include "hwmodel/global_memory.h"
#include "runtime/data_oracle.h"
#include "scenarios/scenario.h"
#include "simcore/decision_source.h"
#include "simcore/model_assert.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <map>
#include <set>

using namespace ptosim;
using Json = nlohmann::ordered_json;
using hwmodel::Version;

namespace {

constexpr int ROWS = 6;
constexpr int COLS = 8;

// A random view of a [ROWS, COLS] tensor: whole, a box, a column slice, or gathered rows (with
// `all_rows`, a row data-flow kernel's argument: whole or a column slice).
Json random_view(simcore::StreamGenerator& rng, Json arg, bool all_rows) {
  const std::uint64_t pick = rng.next_in(0, 3);
  switch (all_rows ? pick % 2 * 2 : pick) {
    case 0: break;
    case 1: {
      const std::int64_t rows = static_cast<std::int64_t>(rng.next_in(1, ROWS));
      const std::int64_t cols = static_cast<std::int64_t>(rng.next_in(1, COLS));
      arg["view"] = {{"shape", {rows, cols}},
                     {"offset", {rng.next_in(0, static_cast<std::uint64_t>(ROWS - rows)), rng.next_in(0, static_cast<std::uint64_t>(COLS - cols))}}};
      break;
    }
    case 2: arg["slice"] = {{"dim", 1}, {"start", rng.next_in(0, 2)}, {"end", COLS}, {"step", rng.next_in(1, 3)}}; break;
    default: {
      Json rows = Json::array();
      for (std::uint64_t r = rng.next_in(1, 4); r > 0; --r) rows.push_back(rng.next_in(0, ROWS - 1));
      arg["rows"] = rows;
      break;
    }
  }
  return arg;
}

// `sweep`: kernels may also read row by row across their duration.
std::string random_program(std::uint64_t seed, bool sweep = true) {
  simcore::StreamGenerator rng(seed, "data_reference.program");
  static const char* kernels[] = {"plain", "rowflow", "sweep"};
  Json body = Json::array();
  int outputs = 0;
  const int tasks = static_cast<int>(rng.next_in(3, 12));
  for (int t = 0; t < tasks; ++t) {
    Json args = Json::array();
    const char* kernel = kernels[rng.next_in(0, sweep ? 2 : 1)];
    const bool all_rows = std::string(kernel) == "rowflow";
    const int earlier_outputs = outputs;  // a task may read the outputs of earlier tasks only
    for (std::uint64_t a = rng.next_in(1, 3); a > 0; --a) {
      const std::uint64_t pick = rng.next_in(0, 9);
      if (pick < 2 || (pick < 4 && earlier_outputs == 0)) {
        args.push_back(Json{{"output", "o" + std::to_string(outputs++)}, {"shape", {ROWS, COLS}}});
        continue;
      }
      static const char* kinds[] = {"input", "inout", "output_existing", "no_dep"};
      const char* kind = kinds[rng.next_in(0, 3)];
      // An earlier output may be read, not written: writes go to the externals.
      const bool output_source = pick < 4 && std::string(kind) != "output_existing";
      const std::string tensor = output_source ? "o" + std::to_string(rng.next_in(0, static_cast<std::uint64_t>(earlier_outputs - 1)))
                                               : (rng.next_in(0, 1) == 0 ? "a" : "b");
      args.push_back(random_view(rng, Json{{kind, tensor}}, all_rows));
    }
    body.push_back(Json{{"submit", kernel}, {"name", "t" + std::to_string(t)}, {"args", args}});
  }
  Json doc = {{"format", 1},
              {"name", "reference"},
              {"description", "random program"},
              {"platform", {{"clusters", 1}, {"scheduler_threads", 1}}},
              {"tensors", {{"a", {{"shape", {ROWS, COLS}}}}, {"b", {{"shape", {ROWS, COLS}}, {"dtype", "f16"}}}}},
              {"kernels",
               {{"plain", {{"core", "aiv"}, {"duration_ns", 100}}},
                {"sweep", {{"core", "aiv"}, {"duration_ns", 100}, {"reads", "sweep"}}},
                {"rowflow", {{"core", "aic"}, {"duration_ns", 100}, {"data_flow", "row"}}}}},
              {"program", {{"body", Json::array({Json{{"scope", "manual"}, {"body", body}}})}}}};
  return doc.dump();
}

// Element offsets of a view, row by row (the selected rows, or every index of dimension 0),
// enumerated index by index.
std::vector<std::vector<std::int64_t>> rows_of(const runtime::TensorLayout& layout, const std::vector<std::int64_t>* rows) {
  std::vector<std::vector<std::int64_t>> out;
  const std::int64_t count = rows != nullptr ? static_cast<std::int64_t>(rows->size()) : layout.shapes[0];
  for (std::int64_t r = 0; r < count; ++r) {
    const std::int64_t row = rows != nullptr ? (*rows)[static_cast<std::size_t>(r)] : r;
    std::vector<std::int64_t> elements;
    std::array<std::int64_t, hwmodel::MAX_TENSOR_DIMS> index{};
    index[0] = row;
    while (true) {
      std::int64_t offset = layout.start_offset;
      for (int d = 0; d < layout.ndims; ++d) offset += index[d] * layout.strides[d];
      elements.push_back(offset);
      int d = layout.ndims - 1;
      while (d >= 1 && ++index[d] == layout.shapes[d]) index[d--] = 0;
      if (d < 1) break;
    }
    out.push_back(elements);
  }
  return out;
}

}  // namespace

TEST_CASE("the reference sees what a byte-by-byte sequential execution sees", "[oracle]") {
  int spilled_reads = 0;
  int rows_checked = 0;
  for (std::uint64_t seed = 0; seed < 150; ++seed) {
    const scenarios::Scenario scenario = scenarios::load_scenario_text(random_program(seed), "reference.json");
    const runtime::Program& program = scenario.model.program;
    const runtime::DataReference reference(program, scenario.model.kernels);
    // Logical buffers: the externals, then every output; a version per byte.
    std::map<std::pair<std::uint32_t, std::uint32_t>, std::vector<Version>> outputs;  // (task, output) -> bytes
    std::vector<std::vector<Version>> externals;
    for (const runtime::ExternalTensor& external : program.externals) externals.emplace_back(external.bytes);
    std::vector<bool> written(program.externals.size(), false);
    for (const runtime::ProgramOp& op : program.ops) {
      if (op.kind != runtime::OpKind::submit) continue;
      const hwmodel::KernelSpec& kernel = scenario.model.kernels[op.kernel];
      const bool per_row = kernel.reads == hwmodel::ReadTiming::sweep || kernel.data_flow == hwmodel::DataFlow::row;
      auto bytes_of = [&](const runtime::ArgSpec& spec, std::uint32_t output_index) -> std::vector<Version>& {
        if (spec.kind == runtime::ArgKind::output) {
          auto& bytes = outputs[{op.task, output_index}];
          bytes.resize(program.output_bytes(spec));
          return bytes;
        }
        if (spec.source().external != runtime::NO_INDEX) return externals[spec.source().external];
        return outputs.at({spec.source().task, spec.source().output});
      };
      for (int pass = 0; pass < 2; ++pass) {
        std::uint32_t output_index = 0;
        for (std::uint32_t arg = 0; arg < program.args(op).size(); ++arg) {
          const runtime::ArgSpec& spec = program.args(op)[arg];
          std::vector<Version>& bytes = bytes_of(spec, output_index);
          output_index += spec.kind == runtime::ArgKind::output ? 1 : 0;
          const hwmodel::GmAccess access = runtime::access_of(spec.kind);
          const std::uint32_t element_bytes = hwmodel::dtype_bytes(program.layout(spec).dtype);
          const auto rows = rows_of(program.layout(spec), spec.rows != runtime::NO_INDEX ? &program.row_lists[spec.rows] : nullptr);
          if (pass == 0 && hwmodel::reads(access)) {
            for (std::uint32_t r = 0; r < rows.size(); ++r) {
              for (std::int64_t element : rows[r]) {
                for (std::uint32_t b = 0; b < element_bytes; ++b) {
                  const std::uint64_t offset = static_cast<std::uint64_t>(element) * element_bytes + b;
                  INFO("program " << seed << " task " << op.task << " arg " << arg << " row " << r << " byte " << offset);
                  REQUIRE(reference.expected_version(op.task, arg, per_row ? r : 0, offset) == bytes.at(offset));
                }
              }
              ++rows_checked;
            }
          }
          if (pass == 1 && hwmodel::writes(access)) {
            if (spec.source().external != runtime::NO_INDEX) written[spec.source().external] = true;
            for (const auto& row : rows) {
              for (std::int64_t element : row) {
                for (std::uint32_t b = 0; b < element_bytes; ++b) {
                  bytes.at(static_cast<std::uint64_t>(element) * element_bytes + b) = Version{op.task, static_cast<std::uint16_t>(arg), false};
                }
              }
            }
          }
        }
      }
    }
    for (std::uint32_t e = 0; e < externals.size(); ++e) {
      if (!written[e]) continue;
      for (std::uint64_t offset = 0; offset < externals[e].size(); ++offset) {
        INFO("program " << seed << " external " << e << " byte " << offset);
        REQUIRE(reference.final_version(e, offset) == externals[e][offset]);
      }
      // A final image in several pieces means the buffer went through the spilled path.
      spilled_reads += reference.final_version(e, 0) == reference.final_version(e, externals[e].size() - 1) ? 0 : 1;
    }
  }
  CHECK(spilled_reads > 20);
  CHECK(rows_checked > 500);
}

namespace {

// A run of a random program on a made-up schedule: every task on some core over an interval of
// its own (distinct start and end times, a core's intervals never overlapping), outputs placed at
// addresses that reuse one another's bytes, the records logged in a shuffled order.
struct MadeUpRun {
  hwmodel::GmAccessLog log;
  TimeNs end_ns = 0;
  std::map<std::pair<std::uint32_t, std::uint32_t>, std::uint64_t> output_addresses;  // (task, output) -> address
};

MadeUpRun made_up_run(const runtime::Program& program, std::uint64_t seed) {
  simcore::StreamGenerator rng(seed, "data_reference.run");
  MadeUpRun run;
  const std::vector<std::uint32_t> task_ops = runtime::task_op_index(program);
  struct Interval {
    TimeNs start_ns = 0;
    TimeNs end_ns = 0;
    std::uint32_t task = 0;
  };
  std::vector<Interval> intervals;
  PTOSIM_ASSERT(program.task_count < 64, "made-up runs number instants by task");
  for (std::uint32_t task = 0; task < program.task_count; ++task) {
    if (program.ops[task_ops[task]].kind != runtime::OpKind::submit) continue;
    // Times are multiples of 64 plus the task's ordinal: no two tasks share an instant (at one,
    // the judge lets a core's kernel read what the same core's previous kernel wrote then).
    const TimeNs start_ns = static_cast<TimeNs>(rng.next_in(0, 200)) * 64 + task;
    const TimeNs end_ns = start_ns + static_cast<TimeNs>(rng.next_in(1, 40)) * 64;
    intervals.push_back(Interval{start_ns, end_ns, task});
  }
  std::sort(intervals.begin(), intervals.end(), [](const Interval& a, const Interval& b) { return a.start_ns < b.start_ns; });
  std::vector<TimeNs> core_free;  // when each core's last kernel ends
  std::vector<std::pair<Interval, std::uint32_t>> placed;
  for (const Interval& interval : intervals) {
    std::uint32_t core = 0;
    while (core < core_free.size() && core_free[core] > interval.start_ns) ++core;
    if (core == core_free.size()) core_free.push_back(0);
    core_free[core] = interval.end_ns;
    placed.emplace_back(interval, core);
    run.end_ns = std::max(run.end_ns, interval.end_ns);
  }
  // Outputs share a small arena, so a later output may overwrite an earlier one's bytes.
  for (std::uint32_t task = 0; task < program.task_count; ++task) {
    std::uint32_t output = 0;
    for (const runtime::ArgSpec& spec : program.args(program.ops[task_ops[task]])) {
      if (spec.kind != runtime::ArgKind::output) continue;
      run.output_addresses[{task, output++}] = 0x100000 + rng.next_in(0, 6) * 64;
    }
  }
  std::vector<std::size_t> shuffled(placed.size());
  for (std::size_t i = 0; i < shuffled.size(); ++i) shuffled[i] = i;
  for (std::size_t i = shuffled.size(); i > 1; --i) std::swap(shuffled[i - 1], shuffled[rng.next_in(0, i - 1)]);
  hwmodel::GlobalMemory memory;
  for (std::size_t i : shuffled) {
    const auto& [interval, core] = placed[i];
    const runtime::ProgramOp& op = program.ops[task_ops[interval.task]];
    hwmodel::TaskDescriptor descriptor;
    descriptor.task = interval.task;
    std::uint32_t output = 0;
    for (const runtime::ArgSpec& spec : program.args(op)) {
      hwmodel::GmView view;
      if (spec.kind == runtime::ArgKind::output) {
        view.buffer_address = run.output_addresses.at({interval.task, output++});
      } else if (spec.source().external != runtime::NO_INDEX) {
        view.buffer_address = program.externals[spec.source().external].address;
      } else {
        view.buffer_address = run.output_addresses.at({spec.source().task, spec.source().output});
      }
      descriptor.views.push_back(view);
    }
    memory.log_task(descriptor, core, interval.start_ns, interval.end_ns);
  }
  run.log = memory.take_log();
  // Now and then the run ends before its last kernels do.
  if (rng.next_in(0, 3) == 0) run.end_ns -= static_cast<TimeNs>(rng.next_in(0, 600));
  return run;
}

struct NaiveVerdict {
  std::uint64_t wrong_reads = 0;
  std::uint32_t first_wrong_task = runtime::NO_INDEX;
  std::map<std::string, std::int64_t> mismatched_elements;
};

// The judge's semantics byte by byte: accesses in time order (reads before writes at a time,
// argument order inside a task), GM a version per byte address.
NaiveVerdict naive_judge(const runtime::Program& program, const std::vector<hwmodel::KernelSpec>& kernels,
                         const runtime::DataReference& reference, const MadeUpRun& run) {
  const std::vector<std::uint32_t> task_ops = runtime::task_op_index(program);
  struct Access {
    TimeNs time_ns = 0;
    int write = 0;
    std::size_t record = 0;
    std::uint32_t arg = 0;
    std::int64_t row = -1;
  };
  std::vector<Access> accesses;
  for (std::size_t record = 0; record < run.log.tasks.size(); ++record) {
    const hwmodel::GmTaskAccess& task = run.log.tasks[record];
    const runtime::ProgramOp& op = program.ops[task_ops[task.task]];
    const bool per_row = kernels[op.kernel].data_flow == hwmodel::DataFlow::row;
    for (std::uint32_t arg = 0; arg < program.args(op).size(); ++arg) {
      const runtime::ArgSpec& spec = program.args(op)[arg];
      const auto rows = rows_of(program.layout(spec), spec.rows != runtime::NO_INDEX ? &program.row_lists[spec.rows] : nullptr);
      for (int write = 0; write < 2; ++write) {
        const hwmodel::GmAccess kind = runtime::access_of(spec.kind);
        if (write == 1 ? !hwmodel::writes(kind) : !hwmodel::reads(kind)) continue;
        for (std::size_t r = 0; r < (per_row ? rows.size() : 1); ++r) {
          accesses.push_back(Access{write == 1 ? task.end_ns : task.start_ns, write, record, arg, per_row ? static_cast<std::int64_t>(r) : -1});
        }
      }
    }
  }
  std::stable_sort(accesses.begin(), accesses.end(), [](const Access& a, const Access& b) {
    return a.time_ns < b.time_ns || (a.time_ns == b.time_ns && a.write < b.write);
  });
  NaiveVerdict verdict;
  std::map<std::uint64_t, Version> memory;
  std::vector<bool> tainted(run.log.tasks.size(), false);
  std::map<std::size_t, std::set<std::int64_t>> bad_rows;
  for (const Access& access : accesses) {
    if (access.time_ns > run.end_ns) break;
    const hwmodel::GmTaskAccess& task = run.log.tasks[access.record];
    const runtime::ProgramOp& op = program.ops[task_ops[task.task]];
    const runtime::ArgSpec& spec = program.args(op)[access.arg];
    const bool row_flow = kernels[op.kernel].data_flow == hwmodel::DataFlow::row;
    const std::uint64_t address = run.log.addresses[task.first_address + access.arg];
    const std::uint32_t element_bytes = hwmodel::dtype_bytes(program.layout(spec).dtype);
    auto rows = rows_of(program.layout(spec), spec.rows != runtime::NO_INDEX ? &program.row_lists[spec.rows] : nullptr);
    if (access.row >= 0) rows = {rows[static_cast<std::size_t>(access.row)]};
    const bool runtime_allocated = spec.kind == runtime::ArgKind::output || spec.source().external == runtime::NO_INDEX;
    bool wrong = false;
    for (const auto& row : rows) {
      for (std::int64_t element : row) {
        for (std::uint32_t b = 0; b < element_bytes; ++b) {
          const std::uint64_t offset = static_cast<std::uint64_t>(element) * element_bytes + b;
          if (access.write == 1) {
            const bool bad = row_flow ? bad_rows[access.record].count(access.row) != 0 : tainted[access.record];
            memory[address + offset] = Version{task.task, static_cast<std::uint16_t>(access.arg), bad};
            continue;
          }
          const Version meant = reference.expected_version(task.task, access.arg, access.row >= 0 ? static_cast<std::uint32_t>(access.row) : 0, offset);
          const auto seen = memory.find(address + offset);
          const Version observed = seen == memory.end() ? Version{} : seen->second;
          if (runtime_allocated && meant.writer == hwmodel::UNWRITTEN) continue;
          wrong = wrong || !(observed == meant);
        }
      }
    }
    if (!wrong) continue;
    ++verdict.wrong_reads;
    tainted[access.record] = true;
    if (row_flow) bad_rows[access.record].insert(access.row);
    if (verdict.first_wrong_task == runtime::NO_INDEX) verdict.first_wrong_task = task.task;
  }
  for (std::uint32_t e = 0; e < program.externals.size(); ++e) {
    const runtime::ExternalTensor& external = program.externals[e];
    const std::uint32_t element_bytes = hwmodel::dtype_bytes(external.layout.dtype);
    bool written = false;
    for (const runtime::ProgramOp& op : program.ops) {
      for (const runtime::ArgSpec& spec : program.args(op)) written = written || (spec.source().external == e && hwmodel::writes(runtime::access_of(spec.kind)));
    }
    if (!written) continue;
    std::uint64_t mismatched = 0;
    for (std::uint64_t offset = 0; offset < external.bytes; ++offset) {
      const auto seen = memory.find(external.address + offset);
      const Version observed = seen == memory.end() ? Version{} : seen->second;
      mismatched += observed == reference.final_version(e, offset) ? 0 : 1;
    }
    verdict.mismatched_elements[external.name] = static_cast<std::int64_t>(mismatched / element_bytes);
  }
  return verdict;
}

}  // namespace

TEST_CASE("the judge agrees with a byte-by-byte replay of made-up runs, whatever order the log is in", "[oracle]") {
  int wrong_runs = 0;
  int right_runs = 0;
  for (std::uint64_t seed = 0; seed < 300; ++seed) {
    const scenarios::Scenario scenario = scenarios::load_scenario_text(random_program(seed, false), "judge.json");
    const runtime::Program& program = scenario.model.program;
    const runtime::DataReference reference(program, scenario.model.kernels);
    const MadeUpRun run = made_up_run(program, seed);
    const runtime::DataVerdict verdict = reference.judge(run.log, run.end_ns);
    const NaiveVerdict naive = naive_judge(program, scenario.model.kernels, reference, run);
    INFO("program " << seed << ": " << verdict.summary);

    CHECK(verdict.wrong_reads == naive.wrong_reads);
    for (const runtime::TensorMismatch& mismatch : verdict.tensors) CHECK(mismatch.mismatched_elements == naive.mismatched_elements.at(mismatch.tensor));
    CHECK(verdict.tensors.size() == naive.mismatched_elements.size());
    if (naive.first_wrong_task != runtime::NO_INDEX) {
      CHECK_THAT(verdict.summary, Catch::Contains("(ordinal " + std::to_string(naive.first_wrong_task)));
    }
    (verdict.wrong ? wrong_runs : right_runs) += 1;
  }
  CHECK(wrong_runs > 50);
  CHECK(right_runs > 10);
}

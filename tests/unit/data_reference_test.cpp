// The data oracle's reference (the program executed sequentially) against a naive one that keeps
// a version per byte of every buffer and enumerates every element of every view, on random
// programs: views, slices and gathers of two external tensors and of task outputs, INPUT, INOUT,
// OUTPUT and OUTPUT_EXISTING, kernels that read whole arguments or row by row. Every byte of
// every read and of every written external tensor must carry the same version.
#include "runtime/data_oracle.h"
#include "scenarios/scenario.h"
#include "simcore/decision_source.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <map>

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

std::string random_program(std::uint64_t seed) {
  simcore::StreamGenerator rng(seed, "data_reference.program");
  static const char* kernels[] = {"plain", "sweep", "rowflow"};
  Json body = Json::array();
  int outputs = 0;
  const int tasks = static_cast<int>(rng.next_in(3, 12));
  for (int t = 0; t < tasks; ++t) {
    Json args = Json::array();
    const char* kernel = kernels[rng.next_in(0, 2)];
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
          bytes.resize(spec.bytes);
          return bytes;
        }
        if (spec.source.external != runtime::NO_INDEX) return externals[spec.source.external];
        return outputs.at({spec.source.task, spec.source.output});
      };
      for (int pass = 0; pass < 2; ++pass) {
        std::uint32_t output_index = 0;
        for (std::uint32_t arg = 0; arg < op.args.size(); ++arg) {
          const runtime::ArgSpec& spec = op.args[arg];
          std::vector<Version>& bytes = bytes_of(spec, output_index);
          output_index += spec.kind == runtime::ArgKind::output ? 1 : 0;
          const hwmodel::GmAccess access = runtime::access_of(spec.kind);
          const std::uint32_t element_bytes = hwmodel::dtype_bytes(spec.layout.dtype);
          const auto rows = rows_of(spec.layout, spec.rows != runtime::NO_INDEX ? &program.row_lists[spec.rows] : nullptr);
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
            if (spec.source.external != runtime::NO_INDEX) written[spec.source.external] = true;
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

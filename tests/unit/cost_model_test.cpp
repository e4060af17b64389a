// The cost model compiled at load: kernel duration expressions per task and block, orchestrator
// terms with MANUAL overrides and their attribution, format-1 flat costs unchanged, and the
// #482 partial-manual rule (boundary tensors keep creator retention and TensorMap tracking).
#include "runtime/cost_model.h"
#include "runtime/dependency_builder.h"
#include "scenarios/scenario.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using namespace ptosim;
using Json = nlohmann::ordered_json;

namespace {

Json scenario() {
  return Json::parse(R"({
    "format": 1, "name": "costs", "description": "cost model test",
    "platform": {"clusters": 2, "scheduler_threads": 1},
    "tensors": {"x": {"shape": [64, 16], "dtype": "f32"}},
    "kernels": {
      "k": {"core": "aiv", "duration_ns": {"expr": "BASE + in_bytes * PS / 1000 + block_idx * 10", "spread_pct": 10}, "block_num": 2},
      "flat": {"core": "aic", "duration_ns": [100, 200]}},
    "program": {"params": {"BASE": 1000, "PS": 500}, "body": [
      {"submit": "k", "scalars": 2, "tensor_data": 1, "args": [{"input": "x", "view": {"shape": ["4", 16], "offset": [0, 0]}}]},
      {"submit": "flat"},
      {"scope": "manual", "body": [{"submit": "k", "args": [{"input": "x"}]}]}
    ]}
  })");
}

}  // namespace

TEST_CASE("kernel durations are expressions evaluated per task and block at load", "[costs]") {
  const scenarios::Scenario s = scenarios::load_scenario_text(scenario().dump(), "costs.json");
  const runtime::CostModel costs(s.model.runtime, s.model.kernels, s.model.kernel_costs);
  // Task 0 reads 4x16 f32 = 256 bytes: 1000 + 128 = 1128 ns nominal, -/+ 10%.
  CHECK(costs.kernel_range(0, 0, 0).min_ns == 1016);
  CHECK(costs.kernel_range(0, 0, 0).max_ns == 1240);
  CHECK(costs.kernel_range(0, 0, 1).min_ns == 1025);  // block_idx 1: 1138 nominal
  // A constant kernel keeps its range; task 2 reads the whole tensor (4096 bytes).
  CHECK(costs.kernel_range(1, 1, 0).min_ns == 100);
  CHECK(costs.kernel_range(1, 1, 0).max_ns == 200);
  CHECK(costs.kernel_range(2, 0, 0).max_ns == 3048 + 304);
}

TEST_CASE("a kernel duration expression that fails names the field and the task", "[costs]") {
  Json doc = scenario();
  doc["kernels"]["k"]["duration_ns"]["expr"] = "BASE / (block_idx - 1)";
  try {
    scenarios::load_scenario_text(doc.dump(), "costs.json");
    FAIL("accepted");
  } catch (const scenarios::ScenarioError& e) {
    CHECK(e.pointer() == "/kernels/k/duration_ns/expr");
    CHECK(std::string(e.what()).find("task 'k'") != std::string::npos);
  }
  doc["kernels"]["k"]["duration_ns"]["expr"] = "0 - BASE";
  CHECK_THROWS_AS(scenarios::load_scenario_text(doc.dump(), "costs.json"), scenarios::ScenarioError);
}

TEST_CASE("orchestrator terms price a submit per scope mode and attribute it", "[costs]") {
  Json doc = scenario();
  doc["runtime"] = Json::parse(R"({"orchestrator_costs": {"submit_ns": 100, "scalar_ns": 7, "get_tensor_data_ns": 11,
      "tensor_arg_ns": 3, "manual": {"submit_ns": 50}}})");
  const scenarios::Scenario s = scenarios::load_scenario_text(doc.dump(), "costs.json");
  const runtime::CostModel costs(s.model.runtime, s.model.kernels, s.model.kernel_costs);
  runtime::OrchestratorBill bill;
  // ops[0] is the get_tensor_data the submit's `tensor_data: 1` expands to; ops[1] the submit.
  const runtime::ProgramOp& first = s.model.program.ops.at(1);
  const runtime::SubmitWork work{2, 5, 1, 0};
  // 100 + 1 arg x 3 + 2 scalars x 7 + lookups/inserts at the defaults (25 each); the host read is
  // not the submit's: its statement prices it.
  CHECK(costs.submit(first, runtime::ScopeMode::automatic, work, bill) == 100 + 3 + 14 + 50 + 25);
  CHECK(costs.submit(first, runtime::ScopeMode::manual, work, bill) == 50 + 3 + 14 + 50 + 25);
  CHECK(bill.ns[static_cast<int>(runtime::OrchTerm::submit)] == 150);
  CHECK(bill.ns[static_cast<int>(runtime::OrchTerm::scalar)] == 28);
  CHECK(bill.ns[static_cast<int>(runtime::OrchTerm::get_tensor_data)] == 0);
  CHECK(bill.total() == 2 * (3 + 14 + 50 + 25) + 150);
}

TEST_CASE("a submit's tensor_data count expands to get_tensor_data statements, priced once each by mode", "[costs]") {
  Json doc = scenario();
  doc["program"]["body"][0]["tensor_data"] = 2;
  doc["runtime"] = Json::parse(R"({"orchestrator_costs": {"get_tensor_data_ns": 11, "manual": {"get_tensor_data_ns": 4}}})");
  const scenarios::Scenario s = scenarios::load_scenario_text(doc.dump(), "costs.json");
  const std::vector<runtime::ProgramOp>& ops = s.model.program.ops;
  REQUIRE(ops.size() == 7);  // 2 reads, 3 submits, the MANUAL scope's begin and end
  for (int i : {0, 1}) {
    CHECK(ops[i].kind == runtime::OpKind::tensor_data);
    CHECK(ops[i].arg_count == 0);  // a value no task produces: no wait
    CHECK(ops[i].origin == ops[2].origin);  // reported at the submit that declared them
  }
  CHECK(ops[2].kind == runtime::OpKind::submit);
  const runtime::CostModel costs(s.model.runtime, s.model.kernels, s.model.kernel_costs);
  runtime::OrchestratorBill bill;
  CHECK(costs.get_tensor_data(runtime::ScopeMode::automatic, bill) == 11);
  CHECK(costs.get_tensor_data(runtime::ScopeMode::manual, bill) == 4);
  CHECK(bill.ns[static_cast<int>(runtime::OrchTerm::get_tensor_data)] == 15);
  CHECK(bill.total() == 15);
}

TEST_CASE("format-1 flat orchestrator costs keep their meaning", "[costs]") {
  Json doc = scenario();
  doc["runtime"] = Json::parse(R"({"orchestrator_costs": {"submit_ns": 400, "tensormap_lookup_ns": 25,
      "tensormap_insert_ns": 25, "edge_ns": 15}})");
  const scenarios::Scenario s = scenarios::load_scenario_text(doc.dump(), "costs.json");
  const runtime::CostModel costs(s.model.runtime, s.model.kernels, s.model.kernel_costs);
  runtime::OrchestratorBill bill;
  // The old inline formula: submit + lookups x lookup + inserts x insert + edges x edge.
  const runtime::SubmitWork work{3, 9, 2, 4};
  CHECK(costs.submit(s.model.program.ops.at(2), runtime::ScopeMode::manual, work, bill) == 400 + 75 + 50 + 60);
}

TEST_CASE("partial manual (#482): boundary tensors keep creator retention and the TensorMap", "[costs][deps]") {
  runtime::TensorMap map;
  const runtime::TensorLayout layout = runtime::make_contiguous({16, 16}, runtime::DType::f32);
  constexpr std::uint64_t BOUNDARY = 0x100, LOCAL = 0x200;
  map.insert(runtime::TensorMapEntry{BOUNDARY, 1, layout});
  map.insert(runtime::TensorMapEntry{LOCAL, 6, layout});
  // Task 8 in a MANUAL scope whose first task is 5: tensor BOUNDARY was created by task 0
  // (outside), tensor LOCAL by task 5 (inside).
  runtime::ResolvedArg boundary{runtime::ArgKind::inout, BOUNDARY, 0, &layout};
  runtime::ResolvedArg local{runtime::ArgKind::input, LOCAL, 5, &layout};
  runtime::FaninResult result;
  const runtime::ScopeTracking partial{true, true, 5};
  runtime::compute_fanin({boundary, local}, {}, partial, 8, map, result);
  REQUIRE(result.edges.size() == 2);  // creator 0 and TensorMap writer 1; nothing for LOCAL
  CHECK(result.edges[0].producer == 0);
  CHECK(result.edges[1].producer == 1);
  CHECK(result.lookups == 1);
  CHECK(result.lookup_steps == 1);
  CHECK(result.inserts == 1);
  // The merged design (#568): nothing at all.
  const runtime::ScopeTracking merged{true, false, 5};
  runtime::compute_fanin({boundary, local}, {}, merged, 8, map, result);
  CHECK(result.edges.empty());
  CHECK(result.lookups == 0);
  CHECK(result.inserts == 0);
}

TEST_CASE("a MANUAL override of scheduler phase costs prices MANUAL tasks only", "[costs]") {
  Json doc = scenario();
  doc["runtime"] = Json::parse(R"({"scheduler_costs": {"dispatch_ns": 400, "manual": {"dispatch_ns": 40,
      "complete_ns": 30, "release_consumer_ns": 2, "poll_per_running_core_ns": 10, "deferred_release_ns": 5}}})");
  const scenarios::Scenario s = scenarios::load_scenario_text(doc.dump(), "costs.json");
  const runtime::CostModel costs(s.model.runtime, s.model.kernels, s.model.kernel_costs);
  using runtime::ScopeMode;
  CHECK(costs.dispatch(ScopeMode::automatic) == 400);
  CHECK(costs.dispatch(ScopeMode::manual) == 40);
  CHECK(costs.complete(ScopeMode::automatic, 2) == 300 + 2 * 200);
  CHECK(costs.complete(ScopeMode::manual, 2) == 30 + 2 * 2);
  // A poll prices each running core by its task's mode, a drain each released task by its own.
  CHECK(costs.poll(3, 1) == 2 * 100 + 10);
  CHECK(costs.poll(3, 0) == 300);
  CHECK(costs.deferred_release(4, 1) == 3 * 100 + 5);
  // Without an override MANUAL tasks cost what AUTO ones do (format-1 files keep their meaning).
  const scenarios::Scenario plain = scenarios::load_scenario_text(scenario().dump(), "costs.json");
  const runtime::CostModel same(plain.model.runtime, plain.model.kernels, plain.model.kernel_costs);
  CHECK(same.dispatch(ScopeMode::manual) == same.dispatch(ScopeMode::automatic));
  CHECK(same.poll(3, 3) == same.poll(3, 0));
  CHECK(same.deferred_release(4, 4) == same.deferred_release(4, 0));
}

TEST_CASE("a scheduler MANUAL override takes only the per-phase terms", "[costs]") {
  Json doc = scenario();
  doc["runtime"] = Json::parse(R"({"scheduler_costs": {"manual": {"dummy_batch": 4}}})");
  try {
    scenarios::load_scenario_text(doc.dump(), "costs.json");
    FAIL("accepted");
  } catch (const scenarios::ScenarioError& e) {
    CHECK(std::string(e.what()).find("costs.json") != std::string::npos);
    CHECK(e.pointer().rfind("/runtime/scheduler_costs/manual", 0) == 0);
  }
  doc["runtime"] = Json::parse(R"({"scheduler_costs": {"manual": {"dispatch_ns": -1}}})");
  CHECK_THROWS_AS(scenarios::load_scenario_text(doc.dump(), "costs.json"), scenarios::ScenarioError);
}

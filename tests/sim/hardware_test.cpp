// The AI-core model inside the engine: a racy store->load kernel judged by the data oracle, the
// data cache seen across cores, and the hang outcome (a wedged core, the watchdog, the verdict
// that follows the task the watchdog blamed while other cores keep completing tasks).
#include "sim_harness.h"

#include "replay/run_session.h"

#include <catch2/catch.hpp>

#include <fstream>
#include <string>

using namespace ptosim;
using namespace ptosim::testing;

namespace {

Json run_judged(const scenarios::Scenario& scenario, std::uint64_t seed) {
  return in_child([&] {
    const replay::RunResult result = replay::run_scenario(scenario, seed, std::nullopt, nullptr);
    Json j;
    j["outcome"] = simcore::to_string(result.outcome);
    j["summary"] = result.summary;
    Json kinds = Json::array();
    for (const simcore::Finding& f : result.findings) kinds.push_back(simcore::to_string(f.kind));
    j["findings"] = kinds;
    return j;
  });
}

// One store of a row of `t` and a load of the same row back, ordered only by an MTE3 -> MTE2
// flag. The load's first (only) burst samples GM one flag latency (10 ns) after the store's
// burst was issued: that is the gap.
std::string racy_kernel(TimeNs commit_delay_ns, bool fenced) {
  const std::string fence = fenced ? R"({"op": "pipe_barrier", "pipe": "MTE3"}, {"op": "dsb"},)" : "";
  return R"({
  "format": 1, "name": "racy", "description": "a store and a load of the same row",
  "platform": {"clusters": 1, "scheduler_threads": 1, "memory": {"commit_delay_ns": )" + std::to_string(commit_delay_ns) + R"(}},
  "tensors": {"t": {"shape": [4, 64], "dtype": "f32"}},
  "kernels": {"rt": {"core": "aiv", "program": {"tiles": ["a", "b"], "body": [
    {"op": "tstore", "tile": "a", "gm": {"arg": 0, "shape": [1, 64], "offsets": [0, 0]}},
    {"op": "set_flag", "src": "MTE3", "dst": "MTE2", "id": 1},
    {"op": "wait_flag", "src": "MTE3", "dst": "MTE2", "id": 1},
    )" + fence + R"(
    {"op": "tload", "tile": "b", "gm": {"arg": 0, "shape": [1, 64], "offsets": [0, 0]}}
  ]}}},
  "program": {"body": [{"submit": "rt", "args": [{"output_existing": "t"}]}]}
})";
}

}  // namespace

TEST_CASE("a two-operation racy kernel reads stale data exactly when the commit delay reaches the gap", "[hardware]") {
  const TimeNs gap_ns = hwmodel::PipeTiming{}.flag_ns;
  for (TimeNs delay : {TimeNs{0}, gap_ns - 1, gap_ns, gap_ns + 1, TimeNs{500}}) {
    INFO("commit delay " << delay << " ns");
    const Json result = run_judged(load(racy_kernel(delay, false)), 1);
    // A commit landing at the instant of the sample is not seen yet (reads before writes).
    CHECK(result["outcome"] == (delay >= gap_ns ? "wrong_values" : "pass"));
    // The hazard is a property of the program: reported whatever the delay.
    CHECK(result["findings"] == Json::array({"visibility_hazard"}));
    const Json fenced = run_judged(load(racy_kernel(delay, true)), 1);
    CHECK(fenced["outcome"] == "pass");
    CHECK(fenced["findings"].empty());
  }
}

TEST_CASE("a scalar store stays in the writer's data cache until dcci writes the line back", "[hardware]") {
  auto scenario_text = [](bool flush) {
    const std::string dcci = flush ? R"(, {"op": "dcci", "all": true}, {"op": "dsb"})" : "";
    return R"({
  "format": 1, "name": "cache", "description": "a scalar writer and a DMA reader on another core",
  "platform": {"clusters": 2, "scheduler_threads": 1},
  "tensors": {"flags": {"shape": [16], "dtype": "i32"}, "out": {"shape": [16], "dtype": "i32"}},
  "kernels": {
    "writer": {"core": "aiv", "program": {"tiles": ["r"], "body": [
      {"op": "scalar_store", "tile": "r", "gm": {"arg": 0, "shape": [1], "offsets": [0]}})" + dcci + R"(]}},
    "reader": {"core": "aic", "program": {"tiles": ["x"], "body": [
      {"op": "tload", "tile": "x", "gm": {"arg": 0, "shape": [16], "offsets": [0]}},
      {"op": "set_flag", "src": "MTE2", "dst": "FIX", "id": 0}, {"op": "wait_flag", "src": "MTE2", "dst": "FIX", "id": 0},
      {"op": "tstore", "tile": "x", "gm": {"arg": 1, "shape": [16], "offsets": [0]}},
      {"op": "pipe_barrier", "pipe": "MTE3"}, {"op": "dsb"}]}}
  },
  "program": {"body": [
    {"submit": "writer", "args": [{"output_existing": "flags"}]},
    {"submit": "reader", "args": [{"input": "flags"}, {"output_existing": "out"}]}
  ]}
})";
  };
  CHECK(run_judged(load(scenario_text(false)), 3)["outcome"] == "wrong_values");
  CHECK(run_judged(load(scenario_text(true)), 3)["outcome"] == "pass");
}

namespace {

// A kernel whose wait is never satisfied wedges its core. Independent tasks keep completing on
// other cores long after the watchdog fired.
std::string hang_scenario(const char* detectors) {
  return std::string(R"({
  "format": 1, "name": "wedge", "description": "a wedged core among busy ones",
  "platform": {"clusters": 4, "scheduler_threads": 2},
  "runtime": {"detectors": {"kind": ")") + detectors + R"("}, "truth_budget_ns": 20000000000},
  "tensors": {"x": {"shape": [64], "dtype": "f32"}},
  "kernels": {
    "prep": {"core": "aiv", "duration_ns": [1000, 2000]},
    "stuck": {"core": "aiv", "block_num": 2, "program": {"tiles": ["t"], "body": [
      {"op": "compute", "pipe": "V", "dst": "t", "duration_ns": 100},
      {"op": "wait_flag", "src": "MTE3", "dst": "V", "id": 2}]}},
    "after": {"core": "aic", "duration_ns": [1000, 2000]},
    "busy": {"core": "aic", "duration_ns": [150000000, 150000000]}
  },
  "program": {"body": [
    {"submit": "prep", "name": "prep_a", "args": [{"output": "a", "shape": [64]}]},
    {"submit": "prep", "name": "prep_b", "args": [{"output": "b", "shape": [64]}]},
    {"submit": "stuck", "args": [{"input": "a"}, {"input": "b"}, {"output": "s", "shape": [64]}]},
    {"submit": "after", "args": [{"input": "s"}]},
    {"submit": "busy", "name": "busy_long"}
  ]}
})";
}

}  // namespace

TEST_CASE("a wedged core ends in hang, not in a false deadlock, while other tasks still complete", "[hardware]") {
  for (const char* detectors : {"legacy", "current"}) {
    INFO(detectors);
    const Json result = run(load(hang_scenario(detectors)), 5);
    CHECK(result["outcome"] == "hang");
    REQUIRE(result.contains("snapshot"));
    CHECK(result["code"] == 100);
    CHECK(result["sub_class"] == 1);
    CHECK_THAT(result["message"].get<std::string>(), Catch::Contains("TIMEOUT_EXIT after_idle_iterations="));
    CHECK_THAT(result["message"].get<std::string>(), Catch::Contains("sub_class=S1:running-stalled"));
    // The stuck task: RUNNING with its whole fanin, on both cores of its two blocks.
    const Json& tasks = result["snapshot"]["rings"][0]["tasks"];
    bool found = false;
    for (const Json& task : tasks) {
      if (task["name"] != "stuck") continue;
      found = true;
      CHECK(task["state"] == "RUNNING");
      CHECK(task["fanin_refcount"] == 3);
      CHECK(task["fanin_count"] == 3);
      CHECK(task["cores"].size() == 2);
    }
    CHECK(found);
    // busy_long completes after the watchdog fired: the verdict still follows the stuck task.
    CHECK(result["tasks_completed"] == 3);
  }
}

namespace {

// The ordered SPMD exchange of the catalogue with its block_set / block_wait replaced by an
// all-block barrier, fenced or not.
std::string exchange_with_barrier(bool fenced) {
  std::ifstream in(std::string(PTOSIM_SOURCE_DIR) + "/scenarios/catalog/spmd_blocks_ordered_exchange.json");
  Json file = Json::parse(in);
  Json& body = file["kernels"]["exchange"]["program"]["body"];
  Json out = Json::array();
  for (const Json& op : body) {
    if (op["op"] == "block_wait") continue;
    if (!fenced && (op["op"] == "dsb" || (op["op"] == "pipe_barrier" && op["pipe"] == "MTE3"))) continue;
    out.push_back(op["op"] == "block_set" ? Json{{"op", "block_barrier"}} : op);
  }
  body = out;
  file["platform"]["memory"]["commit_delay_ns"] = Json::array({2000, 2000});
  file.erase("expect");
  return file.dump();
}

}  // namespace

TEST_CASE("an all-block barrier orders the blocks, and a fence before it makes the exchange pass", "[hardware]") {
  const Json fenced = run_judged(load(exchange_with_barrier(true)), 1);
  CHECK(fenced["outcome"] == "pass");
  CHECK(fenced["findings"].empty());
  // Without the fence the barrier releases the other block before the bursts committed.
  const Json unfenced = run_judged(load(exchange_with_barrier(false)), 1);
  CHECK(unfenced["outcome"] == "wrong_values");
  CHECK(unfenced["findings"] == Json::array({"visibility_hazard"}));
}

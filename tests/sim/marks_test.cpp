// Every coverage mark of the model (simcore/marks.h) on a detector, limit, overflow or fault
// branch is asserted here by name, on a run that must take that branch. Marks of pure functions
// are asserted in the unit tests next to their subject (micro programs, decision replay, races,
// scenario validation). lint/marks_asserted checks that no mark goes unasserted.
#include "sim_harness.h"

#include "replay/run_session.h"
#include "simcore/marks.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>
#include <string>

using namespace ptosim;
using namespace ptosim::testing;

namespace {

// The first seed in [0, limit) whose run hits `mark`, or an empty result.
Json first_seed_hitting(const scenarios::Scenario& scenario, const std::string& mark, int limit) {
  for (int seed = 0; seed < limit; ++seed) {
    Json result = run(scenario, static_cast<std::uint64_t>(seed));
    if (hit(result, mark)) return result;
  }
  return Json{{"marks", Json::array()}};
}

}  // namespace

TEST_CASE("marks: the scope pre-check and a true deadlock", "[marks]") {
  const Json result = run(load_catalog("true_deadlock_scope_exceeds_window.json"), 3);
  CHECK(hit(result, "scope pre-check"));
  CHECK(hit(result, "truth: deadlock true"));
  CHECK_FALSE(hit(result, "truth: deadlock false"));
}

TEST_CASE("marks: the legacy spin limit on a full task window, a false deadlock", "[marks]") {
  const Json result = first_seed_hitting(load_catalog("false_deadlock_deferred_publish.json"), "legacy spin limit", 20);
  CHECK(hit(result, "legacy spin limit"));
  CHECK(hit(result, "task window full"));
  CHECK(hit(result, "truth: deadlock false"));
}

TEST_CASE("marks: the legacy idle limit", "[marks]") {
  const auto scenario = load(R"({
    "format": 1, "name": "long_kernel", "description": "one 200 ms kernel, two threads",
    "platform": {"clusters": 2, "scheduler_threads": 2},
    "runtime": {"detectors": {"kind": "legacy"}},
    "kernels": {"slow": {"core": "aic", "duration_ns": 200000000}, "quick": {"core": "aiv", "duration_ns": 1000}},
    "program": {"body": [
      {"submit": "slow", "name": "slow"},
      {"submit": "quick", "name": "after", "deps": ["slow"]}
    ]}
  })");
  const Json result = run(scenario, 0);
  CHECK(hit(result, "legacy idle limit"));
  CHECK_FALSE(hit(result, "scheduler watchdog"));
}

TEST_CASE("marks: the structural head-of-line check", "[marks]") {
  // Ring 3 holds the scopes of depth 3 and 4: the depth-3 scope's first task is the ring's head,
  // and the depth-4 scope fills the window behind it (the pre-check counts only the innermost).
  const auto scenario = load(R"({
    "format": 1, "name": "structural", "description": "an outer scope pins the head of a shared ring",
    "platform": {"clusters": 2, "scheduler_threads": 2},
    "runtime": {"ring": {"task_window": [16384, 16384, 16384, 16]}, "detectors": {"kind": "current"}},
    "kernels": {"step": {"core": "aiv", "duration_ns": 1000}},
    "program": {"body": [
      {"scope": "auto", "body": [{"scope": "auto", "body": [{"scope": "auto", "body": [
        {"submit": "step", "name": "head"},
        {"scope": "auto", "body": [{"for": "i", "to": 20, "body": [{"submit": "step", "name": "s{i}"}]}]}
      ]}]}]}
    ]}
  })");
  const Json result = run(scenario, 0);
  CHECK(hit(result, "structural head-of-line"));
  CHECK(hit(result, "task window full"));
  CHECK(result["code"] == 3);
}

TEST_CASE("marks: a full heap and the 500 ms backstop", "[marks]") {
  // Each scope's task takes most of ring 1's heap and runs 600 ms: the next scope's allocation
  // waits for it past the backstop, and the head is no open scope's task.
  const auto scenario = load(R"({
    "format": 1, "name": "heap_backstop", "description": "a long kernel holds the heap",
    "platform": {"clusters": 2, "scheduler_threads": 2},
    "runtime": {"ring": {"heap_bytes": [268435456, 65536, 268435456, 268435456]}, "detectors": {"kind": "current"}},
    "kernels": {"slow": {"core": "aiv", "duration_ns": 600000000}},
    "program": {"body": [
      {"for": "i", "to": 2, "body": [{"scope": "auto", "body": [
        {"submit": "slow", "name": "slow{i}", "args": [{"output": "buf", "shape": [12288]}]}
      ]}]}
    ]}
  })");
  const Json result = run(scenario, 0);
  CHECK(hit(result, "heap full"));
  CHECK(hit(result, "reclaim backstop"));
  CHECK(result["code"] == 2);
  CHECK(hit(result, "truth: deadlock false"));
}

TEST_CASE("marks: a dep pool reclaimed when short, and one that is too small", "[marks]") {
  // A chain of one-task scopes on ring 1: every wiring reserves one entry for its running
  // producer; a pool of 128 runs short once the watermark moved past the cleanup interval.
  const auto chain = load(R"({
    "format": 1, "name": "dep_reclaim", "description": "a chain through a small dep pool",
    "platform": {"clusters": 2, "scheduler_threads": 2},
    "runtime": {"ring": {"dep_pool": [16384, 128, 16384, 16384]}},
    "kernels": {"step": {"core": "aiv", "duration_ns": [1000, 3000]}},
    "program": {"body": [
      {"for": "i", "to": 400, "body": [{"scope": "auto", "body": [
        {"submit": "step", "name": "s{i}", "deps": [{"task": "s{i-1}", "when": "i > 0"}]}
      ]}]}
    ]}
  })");
  const Json reclaimed = run(chain, 0);
  CHECK(hit(reclaimed, "dep pool reclaim when short"));
  CHECK(reclaimed["outcome"] == "pass");
  // Eight running producers of one consumer need eight entries of a pool of four.
  const auto wide = load(R"({
    "format": 1, "name": "dep_full", "description": "more live producers than dep entries",
    "platform": {"clusters": 4, "scheduler_threads": 2},
    "runtime": {"ring": {"dep_pool": [16384, 4, 16384, 16384]}, "detectors": {"kind": "current"}},
    "kernels": {"slow": {"core": "aiv", "duration_ns": 1000000}, "join": {"core": "aic", "duration_ns": 1000}},
    "program": {"body": [
      {"scope": "auto", "body": [
        {"for": "i", "to": 8, "body": [{"submit": "slow", "name": "p{i}"}]},
        {"submit": "join", "name": "join", "deps": ["p0", "p1", "p2", "p3", "p4", "p5", "p6", "p7"]}
      ]}
    ]}
  })");
  const Json full = run(wide, 0);
  CHECK(hit(full, "dep pool full"));
  CHECK(full["code"] == 4);
}

TEST_CASE("marks: the deferred release cap", "[marks]") {
  const auto scenario = load(R"({
    "format": 1, "name": "release_cap", "description": "releases drained every two completions",
    "platform": {"clusters": 2, "scheduler_threads": 1},
    "runtime": {"scheduler_costs": {"deferred_release_cap": 2}},
    "kernels": {"step": {"core": "aiv", "duration_ns": 1000}},
    "program": {"body": [{"for": "i", "to": 16, "body": [{"submit": "step", "name": "s{i}"}]}]}
  })");
  const Json result = run(scenario, 0);
  CHECK(hit(result, "deferred release cap"));
  CHECK(result["outcome"] == "pass");
}

TEST_CASE("marks: invalid arguments, AUTO inside MANUAL and the scope stack limit", "[marks]") {
  const Json auto_in_manual = run(load_catalog("auto_in_manual_rejected.json"), 0);
  CHECK(hit(auto_in_manual, "auto scope inside manual"));
  std::string body = R"({"submit": "step", "name": "deep"})";
  for (int depth = 0; depth < 70; ++depth) body = R"({"scope": "auto", "body": [)" + body + "]}";
  const auto deep = load(R"({
    "format": 1, "name": "deep", "description": "70 nested scopes",
    "platform": {"clusters": 2, "scheduler_threads": 1},
    "kernels": {"step": {"core": "aiv", "duration_ns": 1000}},
    "program": {"body": [)" + body + "]}}");
  const Json result = run(deep, 0);
  CHECK(hit(result, "scope stack limit"));
  CHECK(result["code"] == 5);
}

TEST_CASE("marks: the scheduler watchdog, its ownership gate and a hang", "[marks]") {
  // One wedged core (a wait no set_flag satisfies) on thread 0; thread 1 idles without a
  // running task, so its watchdog restarts at the ownership gate.
  auto scenario = load_catalog("store_load_race_rmsnorm_rope.json");
  scenario.model.runtime.detectors.kind = runtime::DetectorKind::current;
  const Json result = first_seed_hitting(scenario, "scheduler watchdog", 40);
  CHECK(hit(result, "scheduler watchdog"));
  CHECK(hit(result, "fault mte_hang"));
  CHECK(hit(result, "truth: hang"));
  CHECK(hit(result, "watchdog ownership gate"));
}

TEST_CASE("marks: the run budget", "[marks]") {
  const auto scenario = load(R"({
    "format": 1, "name": "budget", "description": "a kernel longer than the run's budget",
    "platform": {"clusters": 2, "scheduler_threads": 1},
    "runtime": {"limits": {"max_sim_time_ns": 1000000}},
    "kernels": {"slow": {"core": "aiv", "duration_ns": 5000000}},
    "program": {"body": [{"submit": "slow", "name": "slow"}]}
  })");
  const Json result = run(scenario, 0);
  CHECK(hit(result, "run budget reached"));
  CHECK(result["outcome"] == "sim_limit");
}

TEST_CASE("marks: host time slices on the simulator board", "[marks]") {
  const Json result = first_seed_hitting(load_catalog("false_deadlock_a2a3sim.json"), "host time slice preemption", 5);
  CHECK(hit(result, "host time slice preemption"));
}

TEST_CASE("marks: the data oracle sees a read of the wrong version", "[marks]") {
  const auto scenario = load_catalog("missing_war_kv_cache.json");
  Json result{{"marks", Json::array()}};
  for (std::uint64_t seed = 0; seed < 200 && result["marks"].empty(); ++seed) {
    // One engine per process: each seed in a child of its own.
    Json one = in_child([&] {
      simcore::reset_marks();
      const replay::RunResult run_result = replay::run_scenario(scenario, seed);
      return Json{{"outcome", simcore::to_string(run_result.outcome)}, {"marks", simcore::marks_hit()}};
    });
    if (one["outcome"] == "wrong_values") result = one;
  }
  CHECK(result["outcome"] == "wrong_values");
  CHECK(hit(result, "oracle read mismatch"));
}

TEST_CASE("marks: the fanin spill pool, its reclaim and its backstop", "[marks]") {
  const Json result = first_seed_hitting(load_catalog("fanin_spill_backpressure.json"), "reclaim backstop", 20);
  CHECK(hit(result, "fanin spill"));
  CHECK(hit(result, "fanin spill pool full"));
  CHECK(hit(result, "reclaim backstop"));
  CHECK_FALSE(hit(result, "structural head-of-line"));
  CHECK(hit(result, "truth: deadlock false"));
  // Seed 0 passes: join1 waited, and a scan of the retired tasks freed join0's entries.
  const Json passing = run(load_catalog("fanin_spill_backpressure.json"), 0);
  CHECK(hit(passing, "fanin spill reclaim when short"));
  const Json sized = run(load_catalog("fanin_spill_pool_sized.json"), 0);
  CHECK(hit(sized, "fanin spill"));
  CHECK_FALSE(hit(sized, "fanin spill pool full"));
}

TEST_CASE("marks: the TensorMap entry pool, its reclaim when short and its backstop", "[marks]") {
  const Json exhausted = run(load_catalog("tensormap_pool_exhausted.json"), 0);
  CHECK(hit(exhausted, "tensormap pool full"));
  CHECK(hit(exhausted, "tensormap backstop"));
  CHECK(hit(exhausted, "truth: deadlock true"));
  const Json draining = first_seed_hitting(load_catalog("tensormap_pool_backpressure.json"), "tensormap backstop", 20);
  CHECK(hit(draining, "tensormap backstop"));
  CHECK(hit(draining, "truth: deadlock false"));
  const Json sized = run(load_catalog("tensormap_pool_sized.json"), 0);
  CHECK_FALSE(hit(sized, "tensormap pool full"));
}

TEST_CASE("marks: the old TensorMap lookup cap drops writers, HEAD keeps them", "[marks]") {
  const Json capped = run(load_catalog("tensormap_lookup_cap_dropped.json"), 0);
  CHECK(hit(capped, "tensormap lookup cap dropped a writer"));
  const Json uncapped = run(load_catalog("tensormap_lookup_uncapped.json"), 0);
  CHECK_FALSE(hit(uncapped, "tensormap lookup cap dropped a writer"));
  CHECK(uncapped["outcome"] == "pass");
}

TEST_CASE("marks: get_tensor_data times out on a producer a deferred scope never publishes", "[marks]") {
  const Json deferred = run(load_catalog("tensor_wait_deferred_publish.json"), 0);
  CHECK(hit(deferred, "tensor wait timeout"));
  CHECK(deferred["code"] == 8);
  CHECK(hit(deferred, "truth: deadlock true"));
  const Json submitted = run(load_catalog("tensor_wait_submit_publish.json"), 0);
  CHECK_FALSE(hit(submitted, "tensor wait timeout"));
  CHECK(submitted["outcome"] == "pass");
}

TEST_CASE("marks: a writer stuck RUNNING trips the 10 s scheduler watchdog before the 15 s tensor wait", "[marks]") {
  const auto scenario = load(R"({
    "format": 1, "name": "stuck_writer", "description": "get_tensor_data of a tensor whose writer runs 12 s",
    "platform": {"clusters": 2, "scheduler_threads": 2},
    "runtime": {"detectors": {"kind": "current"}, "truth_budget_ns": 5000000000},
    "tensors": {"t": {"shape": [4, 16]}, "u": {"shape": [4, 16]}},
    "kernels": {"slow": {"core": "aiv", "duration_ns": 12000000000}},
    "program": {"body": [
      {"submit": "slow", "name": "writer", "args": [{"inout": "t"}]},
      {"get_tensor_data": {"input": "t"}},
      {"set_tensor_data": {"inout": "u"}}
    ]}
  })");
  const Json result = run(scenario, 0);
  CHECK(hit(result, "scheduler watchdog"));
  CHECK_FALSE(hit(result, "tensor wait timeout"));
  CHECK(result["code"] == 100);
  const auto external = load(R"({
    "format": 1, "name": "no_producer", "description": "set_tensor_data of an external nobody wrote",
    "platform": {"clusters": 2, "scheduler_threads": 2},
    "tensors": {"u": {"shape": [4, 16]}},
    "kernels": {"k": {"core": "aiv", "duration_ns": 1000}},
    "program": {"body": [{"set_tensor_data": {"inout": "u"}}, {"submit": "k", "name": "k", "args": [{"input": "u"}]}]}
  })");
  const Json immediate = run(external, 0);
  CHECK(hit(immediate, "tensor data without producer"));
  CHECK(immediate["outcome"] == "pass");
}

TEST_CASE("marks: the TensorMap pool freed by the reclaim when short", "[marks]") {
  // Two writers in a scope (ring 1) with a pool of 2, then 100 dummy submits (40 us of
  // orchestrator time), then a third writer on ring 0: the pool is full, the first two writers
  // retired meanwhile, and the reclaim across all rings frees their entries without a wait.
  const auto scenario = load(R"({
    "format": 1, "name": "tm_reclaim", "description": "two rounds of two writers, pool of 2",
    "platform": {"clusters": 2, "scheduler_threads": 2},
    "runtime": {"tensormap_pool": 2},
    "tensors": {"acc": {"shape": [4, 16]}},
    "kernels": {"part": {"core": "aiv", "duration_ns": 1000}},
    "program": {"body": [
      {"scope": "auto", "body": [
        {"submit": "part", "name": "a0", "args": [{"output_existing": "acc", "view": {"shape": [1, 16], "offset": [0, 0]}}]},
        {"submit": "part", "name": "a1", "args": [{"output_existing": "acc", "view": {"shape": [1, 16], "offset": [1, 0]}}]}
      ]},
      {"for": "i", "to": 100, "body": [{"dummy": "gap{i}"}]},
      {"submit": "part", "name": "b0", "args": [{"output_existing": "acc", "view": {"shape": [1, 16], "offset": [2, 0]}}]}
    ]}
  })");
  const Json result = run(scenario, 0);
  CHECK(hit(result, "tensormap pool full"));
  CHECK(hit(result, "tensormap reclaim when short"));
  CHECK_FALSE(hit(result, "tensormap backstop"));
  CHECK(result["outcome"] == "pass");
}

TEST_CASE("marks: a cross-core counter pushed past 15 sets overflows", "[marks]") {
  // The fenced MIX hand-off, with the AIC setting flag 0 seventeen times: each AIV consumes one
  // set, so its counter is pushed past 15.
  std::ifstream in(std::string(PTOSIM_SOURCE_DIR) + "/scenarios/catalog/mix_handoff_fenced.json");
  Json file = Json::parse(in);
  Json& aic = file["kernels"]["mm_then_vec"]["program"]["aic"];
  const Json set = aic.back();
  REQUIRE(set["op"] == "set_cross_core");
  for (int i = 0; i < 16; ++i) aic.push_back(set);
  file.erase("expect");
  const Json result = run(load(file.dump()), 1);
  CHECK(hit(result, "cross-core counter overflow"));
}

TEST_CASE("marks: a block sync counter pushed past 15 sets overflows", "[marks]") {
  // The ordered exchange, with each block setting the other's id 0 sixteen times more: the other
  // block consumes one set, so its counter is pushed past 15 and the run reports the fault.
  std::ifstream in(std::string(PTOSIM_SOURCE_DIR) + "/scenarios/catalog/spmd_blocks_ordered_exchange.json");
  Json file = Json::parse(in);
  Json& body = file["kernels"]["exchange"]["program"]["body"];
  auto set = std::find_if(body.begin(), body.end(), [](const Json& op) { return op["op"] == "block_set"; });
  REQUIRE(set != body.end());
  const Json copy = *set;
  const auto at = static_cast<std::size_t>(set - body.begin()) + 1;
  for (int i = 0; i < 16; ++i) body.insert(body.begin() + static_cast<std::ptrdiff_t>(at), copy);
  file.erase("expect");
  const Json result = run(load(file.dump()), 1);
  CHECK(hit(result, "block sync counter overflow"));
}

TEST_CASE("marks: sets left in the cross-core counters when the run ends are a finding of the run", "[marks]") {
  // The fenced MIX hand-off with a second set the AIVs never wait for.
  std::ifstream in(std::string(PTOSIM_SOURCE_DIR) + "/scenarios/catalog/mix_handoff_fenced.json");
  Json file = Json::parse(in);
  Json& aic = file["kernels"]["mm_then_vec"]["program"]["aic"];
  aic.push_back(aic.back());
  file.erase("expect");
  const Json result = run(load(file.dump()), 1);
  CHECK(hit(result, "sets left in counters at exit"));
}

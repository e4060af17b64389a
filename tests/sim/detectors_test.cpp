// Each deadlock detector fires where it should, with the runtime's code and message, and the
// deadlock truth continuation classifies the firing.
#include "sim_harness.h"

#include <catch2/catch.hpp>

using namespace ptosim;
using namespace ptosim::testing;

namespace {

// Finds the first seed in [0, limit) whose run ends in `outcome`.
Json first_seed_with(const scenarios::Scenario& scenario, const std::string& outcome, int limit) {
  for (int seed = 0; seed < limit; ++seed) {
    Json result = run(scenario, static_cast<std::uint64_t>(seed));
    if (result["outcome"] == outcome) return result;
  }
  return Json{{"outcome", "none"}};
}

}  // namespace

TEST_CASE("legacy spin limit: a false deadlock with a READY task behind the head", "[detectors]") {
  const auto scenario = load_catalog("false_deadlock_deferred_publish.json");
  const Json result = first_seed_with(scenario, "deadlock_false", 20);
  REQUIRE(result["outcome"] == "deadlock_false");
  CHECK(result["code"] == 3);
  CHECK(result["detector"] == "legacy spin limit");
  CHECK_THAT(result["message"].get<std::string>(), Catch::Contains("FATAL: Flow Control Deadlock - no progress after 100000 spins! ring="));
  CHECK_THAT(result["message"].get<std::string>(), Catch::Contains("did not move for 100000 spins"));
  CHECK_THAT(result["summary"].get<std::string>(), Catch::Contains("READY, fanin 2/2"));
  // The snapshot: the head is not CONSUMED and the marked task is READY with a full fanin.
  const Json& snap = result["snapshot"];
  const Json* blocked_ring = nullptr;
  for (const Json& ring : snap["rings"]) {
    if (ring["id"] == snap["blocked_ring"]) blocked_ring = &ring;
  }
  REQUIRE(blocked_ring != nullptr);
  const Json& head = (*blocked_ring)["tasks"][0];
  CHECK(head["state"] != "CONSUMED");
  bool marked_ready = false;
  for (const Json& task : (*blocked_ring)["tasks"]) {
    if (task["could_progress"].get<bool>()) {
      marked_ready = task["state"] == "READY" && task["fanin_refcount"] == task["fanin_count"];
    }
  }
  CHECK(marked_ready);
}

TEST_CASE("legacy idle limit: an idle scheduler thread aborts while a long kernel runs", "[detectors]") {
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
  CHECK(result["outcome"] == "deadlock_false");
  CHECK(result["code"] == 100);
  CHECK(result["detector"] == "legacy idle-iteration limit");
  CHECK_THAT(result["message"].get<std::string>(), Catch::Contains("TIMEOUT_EXIT after_idle_iterations="));
  CHECK_THAT(result["message"].get<std::string>(), Catch::Contains("507046"));
}

TEST_CASE("scope pre-check: a scope larger than its window is a true deadlock", "[detectors]") {
  const auto scenario = load_catalog("true_deadlock_scope_exceeds_window.json");
  const Json result = run(scenario, 3);
  CHECK(result["outcome"] == "deadlock_true");
  CHECK(result["code"] == 1);
  CHECK_THAT(result["message"].get<std::string>(), Catch::Contains("FATAL: Scope Deadlock Detected! (ring 1)"));
  CHECK_THAT(result["summary"].get<std::string>(), Catch::Contains("cycle: orchestrator"));
}

TEST_CASE("the scope pre-check predates both detector generations", "[detectors]") {
  auto scenario = load_catalog("true_deadlock_scope_exceeds_window.json");
  scenario.model.runtime.detectors.kind = runtime::DetectorKind::legacy;
  const Json result = run(scenario, 1);
  CHECK(result["outcome"] == "deadlock_true");
  CHECK(result["code"] == 1);
}

TEST_CASE("structural check: the head is the oldest task of an open scope on a shared ring", "[detectors]") {
  // Depths 3 and 4 share ring 3: the outer scope's first task pins the head while the inner
  // scope (below the pre-check threshold) fills the window.
  const auto scenario = load(R"({
    "format": 1, "name": "ring3", "description": "nested scopes sharing ring 3",
    "platform": {"clusters": 2, "scheduler_threads": 2},
    "runtime": {"ring": {"task_window": [16384, 16384, 16384, 16]}, "detectors": {"kind": "current"}},
    "kernels": {"k": {"core": "aiv", "duration_ns": [1000, 2000]}},
    "program": {"body": [
      {"scope": "auto", "body": [{"scope": "auto", "body": [{"scope": "auto", "body": [
        {"for": "i", "to": 10, "body": [{"submit": "k", "name": "outer{i}"}]},
        {"scope": "auto", "body": [
          {"for": "i", "to": 10, "body": [{"submit": "k", "name": "inner{i}"}]}
        ]}
      ]}]}]}
    ]}
  })");
  const Json result = run(scenario, 0);
  CHECK(result["outcome"] == "deadlock_true");
  CHECK(result["code"] == 3);
  CHECK(result["detector"] == "structural head-of-line check");
  CHECK_THAT(result["message"].get<std::string>(), Catch::Contains("Provable head-of-line deadlock."));
  CHECK_THAT(result["message"].get<std::string>(), Catch::Contains("Head task 12884901888:"));
}

TEST_CASE("500 ms backstop: a heap request that can never fit", "[detectors]") {
  // The ring is empty, so the structural check has no head to judge; only the backstop fires.
  const auto scenario = load(R"({
    "format": 1, "name": "heap", "description": "an output larger than the ring heap",
    "platform": {"clusters": 1, "scheduler_threads": 1},
    "runtime": {"ring": {"heap_bytes": 4096}, "detectors": {"kind": "current"}},
    "kernels": {"k": {"core": "aiv", "duration_ns": 1000}},
    "program": {"body": [
      {"scope": "auto", "body": [{"submit": "k", "name": "huge", "args": [{"output": "b", "shape": [4096]}]}]}
    ]}
  })");
  const Json result = run(scenario, 0);
  CHECK(result["outcome"] == "deadlock_true");
  CHECK(result["code"] == 2);
  CHECK(result["detector"] == "500 ms reclaim backstop");
  CHECK_THAT(result["message"].get<std::string>(), Catch::Contains("Heap Exhausted!"));
  CHECK_THAT(result["message"].get<std::string>(), Catch::Contains("No reclaim progress for ~500 ms"));
  CHECK_THAT(result["message"].get<std::string>(), Catch::Contains("Requested: 16384 bytes"));
}

TEST_CASE("scheduler watchdog: only the thread owning the running task latches, and it was wrong", "[detectors]") {
  const auto scenario = load(R"({
    "format": 1, "name": "watchdog", "description": "a 12 s kernel against the 10 s watchdog",
    "platform": {"clusters": 2, "scheduler_threads": 2},
    "runtime": {"detectors": {"kind": "current"}, "truth_budget_ns": 5000000000},
    "kernels": {"slow": {"core": "aic", "duration_ns": 12000000000}},
    "program": {"body": [{"submit": "slow", "name": "slow"}]}
  })");
  const Json result = run(scenario, 0);
  CHECK(result["outcome"] == "deadlock_false");
  CHECK(result["code"] == 100);
  CHECK(result["sub_class"] == 1);
  CHECK(result["detector"] == "scheduler watchdog");
  // The kernel landed on one thread's core; the other thread was idle as long and did not latch.
  CHECK_THAT(result["message"].get<std::string>(), Catch::Contains("sub_class=S1:running-stalled"));
  CHECK_THAT(result["summary"].get<std::string>(), Catch::Contains("'slow' completed"));
}

TEST_CASE("dep-pool back-pressure: a wait, reclaim every 64 retirements, and a pool too small", "[detectors]") {
  // A chain of 200 tasks, each in its own scope, each wiring one WAIT edge to its predecessor.
  auto chain = [](int pool) {
    return load(R"({
      "format": 1, "name": "dep_pool", "description": "a chain through a small dep-list pool",
      "platform": {"clusters": 1, "scheduler_threads": 1},
      "runtime": {"ring": {"dep_pool": )" + std::to_string(pool) + R"(}, "detectors": {"kind": "current"}},
      "kernels": {"k": {"core": "aiv", "duration_ns": [500, 1500]}},
      "program": {"body": [{"for": "i", "to": 200, "body": [{"scope": "auto", "body": [
        {"submit": "k", "name": "k{i}", "deps": [{"task": "k{i-1}", "when": "i > 0"}]}]}]}]}
    })");
  };
  // 100 entries: the orchestrator blocks when they run out and resumes once 64 tasks retired.
  const Json enough = run(chain(100), 0);
  CHECK(enough["outcome"] == "pass");
  std::size_t dep_pool_waits = 0;
  for (const Json& e : enough["events"]) {
    if (e[0].get<int>() == static_cast<int>(simcore::EventKind::blocked) && e[4] == 2) ++dep_pool_waits;
  }
  CHECK(dep_pool_waits > 0);
  // 8 entries: only 8 tasks can be wired, so the watermark can never move 64 and nothing frees
  // an entry: the backstop reports DEP_POOL_OVERFLOW and the truth continuation confirms it.
  const Json starved = run(chain(8), 0);
  CHECK(starved["outcome"] == "deadlock_true");
  CHECK(starved["code"] == 4);
  CHECK_THAT(starved["message"].get<std::string>(), Catch::Contains("FATAL: Dependency Pool Deadlock Detected!"));
}

TEST_CASE("a2a3sim: the legacy idle limit counts only idle iterations on a CPU", "[detectors][a2a3sim]") {
  // One 200 ms host kernel; the other scheduler thread idles. 800,000 idle iterations of 150 ns
  // last 120 ms on a CPU of its own; sharing one CPU with the kernel and the pollers, each of its
  // iterations ends in a yield that lets the others run, and it never gets there.
  auto scenario_with = [](int host_cpus) {
    return load(R"({
      "format": 1, "name": "long_kernel_sim", "description": "one 200 ms host kernel, two threads",
      "platform": {"kind": "a2a3sim", "clusters": 2, "scheduler_threads": 2, "host_cpus": )" +
                std::to_string(host_cpus) + R"(, "background_threads": 0,
        "time_slice_ns": 1000000, "host_costs": {"spin_ns": 200, "poll_ns": 200, "idle_iteration_ns": 150}},
      "runtime": {"detectors": {"kind": "legacy"}},
      "kernels": {"slow": {"core": "aic", "duration_ns": 1000, "host_compute_ns": 200000000},
                  "quick": {"core": "aiv", "duration_ns": 1000, "host_compute_ns": 1000}},
      "program": {"body": [{"submit": "slow", "name": "slow"}, {"submit": "quick", "name": "after", "deps": ["slow"]}]}
    })");
  };
  const Json dedicated = run(scenario_with(9), 0);
  CHECK(dedicated["outcome"] == "deadlock_false");
  CHECK(dedicated["code"] == 100);
  CHECK(dedicated["detector"] == "legacy idle-iteration limit");
  CHECK_THAT(dedicated["summary"].get<std::string>(), Catch::Contains("fired at t=120000000 ns"));
  const Json shared = run(scenario_with(1), 0);
  CHECK(shared["outcome"] == "pass");
}

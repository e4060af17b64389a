// The dual slot of a core on the board: a pending task starts right after the running one's FIN,
// as an agenda event of the core, without an AICPU poll in between.
#include "hwmodel/ai_core.h"
#include "hwmodel/global_memory.h"
#include "sim_harness.h"
#include "simcore/agenda.h"
#include "simcore/event_log.h"
#include "simcore/marks.h"
#include "simcore/thread_clock.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <vector>

using namespace ptosim;
using namespace ptosim::testing;

namespace {

hwmodel::TaskDescriptor task(std::uint32_t ordinal, std::uint32_t token, const hwmodel::KernelSpec& kernel, TimeNs duration_ns) {
  hwmodel::TaskDescriptor descriptor;
  descriptor.task = ordinal;
  descriptor.token = token;
  descriptor.kernel = &kernel;
  descriptor.min_duration_ns = duration_ns;
  descriptor.max_duration_ns = duration_ns;
  return descriptor;
}

// One board core: task 1 (1000 ns) written at 0, task 2 (500 ns) into its pending slot at 0.
// Nothing touches the core after that; COND is read at `probes`.
Json run_dual_slot(const std::vector<TimeNs>& probes) {
  return in_child([probes] {
    simcore::reset_marks();
    simcore::Simulation sim;
    simcore::DecisionSource decisions(1, simcore::make_random_strategy(1));
    const simcore::LoopCost costs[simcore::LOOP_KIND_COUNT] = {{"spin", {10, 10}}, {"idle", {10, 10}}, {"poll", {0, 0}}};
    simcore::DedicatedClock clock(decisions, costs);
    simcore::EventLog events;
    hwmodel::GlobalMemory memory;
    const hwmodel::CoreTiming timing;
    hwmodel::AiCore core(0, hwmodel::CoreKind::aic, 1, timing, decisions, events, clock, memory);
    const hwmodel::KernelSpec kernel;
    Json out = Json::object();
    out["probes"] = Json::array();
    sim.spawn("aicpu", sim.add_host("aicpu"), [&] {
      core.write_task(task(1, 11, kernel, 1000), 0);
      core.write_pending(task(2, 12, kernel, 500), 0);
      out["pending_held"] = core.has_pending();
      for (const TimeNs at : probes) {
        simcore::sleep_until(at);
        const hwmodel::CondRegister cond = core.read_cond();
        out["probes"].push_back(Json{{"token", cond.token}, {"fin", cond.fin}, {"pending", core.has_pending()}});
      }
      out["fin_visible_ns"] = core.fin_visible_ns();
      out["busy_ns"] = core.busy_ns(10'000);
    });
    sim.run(1'000'000);
    out["mark"] = simcore::mark_count("core starts its pending task");
    return out;
  });
}

}  // namespace

TEST_CASE("a core with a pending task starts it right after FIN with no poll in between", "[dual_slot]") {
  // Task 1: seen at 140, starts at 489, ends at 1489. Task 2 starts at 1489 + 349 = 1838, ends at 2338.
  const Json result = run_dual_slot({1000, 1600, 2000, 2400});
  REQUIRE_FALSE(result.contains("error"));
  CHECK(result["pending_held"] == true);
  const Json& probes = result["probes"];
  CHECK(probes[0] == Json{{"token", 11}, {"fin", false}, {"pending", true}});
  CHECK(probes[1] == Json{{"token", 12}, {"fin", false}, {"pending", false}});  // task 2 is in place
  CHECK(probes[2] == Json{{"token", 12}, {"fin", false}, {"pending", false}});
  CHECK(probes[3] == Json{{"token", 12}, {"fin", true}, {"pending", false}});
  CHECK(result["fin_visible_ns"] == 2338 + 600);
  CHECK(result["busy_ns"] == 1000 + 500);
  CHECK(result["mark"] == 1);
}

// The scheduler side (runtime-model.md §1.4, §6.3): a busy core's pending slot, filled after the
// running task's ACK is seen, starts its task right after the running task's FIN.
namespace {

std::string two_aic_tasks(bool pending_slot, const std::string& long_ns, int threads, int clusters) {
  return R"({
  "format": 1, "name": "dual_slot", "description": "two independent AIC tasks on one AIC core",
  "platform": {"clusters": )" + std::to_string(clusters) + R"(, "scheduler_threads": )" + std::to_string(threads) + R"(},
  "runtime": {"dispatch": {"pending_slot": )" + (pending_slot ? "true" : "false") + R"(}},
  "kernels": {
    "long": {"core": "aic", "duration_ns": [)" + long_ns + "," + long_ns + R"(]},
    "short": {"core": "aic", "duration_ns": [1000, 1000]}
  },
  "program": {"body": [
    {"submit": "long", "name": "long", "args": [{"output": "a", "shape": [64]}]},
    {"submit": "short", "name": "short", "args": [{"output": "b", "shape": [64]}]}
  ]}
})";
}

// The time of the first event of `kind` for `subject`, -1 if none.
std::int64_t event_time(const Json& result, simcore::EventKind kind, std::uint64_t subject) {
  for (const Json& e : result["events"]) {
    if (static_cast<simcore::EventKind>(e[0].get<int>()) == kind && e[2].get<std::uint64_t>() == subject) {
      return e[1].get<std::int64_t>();
    }
  }
  return -1;
}

}  // namespace

TEST_CASE("a ready task in a busy core's pending slot starts right after the running task's FIN", "[dual_slot]") {
  using simcore::EventKind;
  const hwmodel::CoreTiming timing;
  for (std::uint64_t seed : {1, 2, 3}) {
    const Json on = run(load(two_aic_tasks(true, "20000", 1, 1)), seed);
    REQUIRE(on["outcome"] == "pass");
    const std::int64_t long_finish = event_time(on, EventKind::finish, 0);
    REQUIRE(long_finish > 0);
    // No scheduler iteration between: the core reads the pending token after its FIN.
    CHECK(event_time(on, EventKind::start, 1) == long_finish + timing.start_latency_ns);
    // The running task completes when the thread sees the pending task's ACK (its FIN was
    // overwritten): the thread wakes for that ACK, not later.
    CHECK(event_time(on, EventKind::complete, 0) == long_finish + timing.start_latency_ns + timing.fin_visible_ns);
    CHECK(hit(on, "pending slot dispatched"));
    CHECK(hit(on, "pending implies running finished"));
    CHECK(hit(on, "core starts its pending task"));

    // Switch off: the short task waits for the thread to see FIN and dispatch it.
    const Json off = run(load(two_aic_tasks(false, "20000", 1, 1)), seed);
    REQUIRE(off["outcome"] == "pass");
    const std::int64_t off_finish = event_time(off, EventKind::finish, 0);
    CHECK(event_time(off, EventKind::complete, 0) == off_finish + timing.fin_visible_ns);
    CHECK(event_time(off, EventKind::start, 1) > off_finish + timing.fin_visible_ns + timing.register_visible_ns + timing.start_latency_ns);
    CHECK_FALSE(hit(off, "pending slot dispatched"));
  }
}

TEST_CASE("the pending phase is skipped while a peer thread has an idle core of the shape", "[dual_slot]") {
  // Two threads, one cluster each: both AIC tasks become ready at once, behind an AIV producer.
  // The thread that completes the producer takes one task on its idle AIC; the other task would
  // fit its AIC's pending slot but waits for the peer's idle AIC.
  const std::string text = R"({
  "format": 1, "name": "peer_idle", "description": "two AIC consumers of one AIV producer",
  "platform": {"clusters": 2, "scheduler_threads": 2},
  "runtime": {"dispatch": {"pending_slot": true}},
  "kernels": {
    "p": {"core": "aiv", "duration_ns": [1000, 1000]},
    "c": {"core": "aic", "duration_ns": [5000, 5000]}
  },
  "program": {"body": [
    {"submit": "p", "name": "p", "args": [{"output": "a", "shape": [64]}]},
    {"submit": "c", "name": "c1", "args": [{"input": "a"}, {"output": "b", "shape": [64]}]},
    {"submit": "c", "name": "c2", "args": [{"input": "a"}, {"output": "d", "shape": [64]}]}
  ]}
})";
  for (std::uint64_t seed : {1, 2, 3, 4}) {
    const Json result = run(load(text), seed);
    REQUIRE(result["outcome"] == "pass");
    CHECK(hit(result, "pending phase skipped: a peer has an idle core"));
    CHECK_FALSE(hit(result, "pending slot dispatched"));
    // Both consumers run at once, on the two AIC cores (neither waits behind the other).
    using simcore::EventKind;
    CHECK(event_time(result, EventKind::start, 1) < event_time(result, EventKind::finish, 2));
    CHECK(event_time(result, EventKind::start, 2) < event_time(result, EventKind::finish, 1));
  }
}

TEST_CASE("the CLUSTER dump shows a core's pending task and tokens", "[dual_slot]") {
  // The running kernel outlasts the scheduler watchdog (10 s): its stall round shows the AIC
  // busy with the long task and the short one in its pending slot.
  const Json result = run(load(two_aic_tasks(true, "20000000000", 1, 1)), 1);
  REQUIRE(result.contains("message"));
  const std::string message = result["message"].get<std::string>();
  INFO(message);
  CHECK(message.find("CLUSTER cluster_id=0 aic=core0(busy kernel=") != std::string::npos);
  CHECK(message.find(" pending=") != std::string::npos);
  CHECK(message.find(" pending_tok=") != std::string::npos);
  // As in the runtime's dumps, the task in the pending slot is READY (no running slot holds it).
  REQUIRE(result.contains("snapshot"));
  std::map<std::string, std::string> states;
  for (const Json& ring : result["snapshot"]["rings"]) {
    for (const Json& task : ring["tasks"]) states[task["name"].get<std::string>()] = task["state"].get<std::string>();
  }
  CHECK(states["long"] == "RUNNING");
  CHECK(states["short"] == "READY");
}

TEST_CASE("a2a3sim: an emulated core starts its pending task at its next poll after the kernel's host compute", "[dual_slot][a2a3sim]") {
  // The runtime runs the same scheduler code on the simulator board: the dual slot is used there
  // too. One AIC core, a CPU per thread: the short task goes into the pending slot once the long
  // one's ACK is seen and starts when the long kernel's host compute has run.
  auto text = [](bool pending_slot) {
    return R"({
  "format": 1, "name": "dual_slot_sim", "description": "two AIC tasks on one emulated AIC core",
  "platform": {"kind": "a2a3sim", "clusters": 1, "scheduler_threads": 1, "host_cpus": 8, "background_threads": 0,
    "time_slice_ns": 1000000, "host_costs": {"spin_ns": 200, "poll_ns": 200, "idle_iteration_ns": 150}},
  "runtime": {"dispatch": {"pending_slot": )" + std::string(pending_slot ? "true" : "false") + R"(}},
  "kernels": {
    "long": {"core": "aic", "duration_ns": [1000, 1000], "host_compute_ns": [200000, 200000]},
    "short": {"core": "aic", "duration_ns": [1000, 1000], "host_compute_ns": [1000, 1000]}
  },
  "program": {"body": [
    {"submit": "long", "name": "long", "args": [{"output": "a", "shape": [64]}]},
    {"submit": "short", "name": "short", "args": [{"output": "b", "shape": [64]}]}
  ]}
})";
  };
  using simcore::EventKind;
  for (std::uint64_t seed : {1, 2}) {
    const Json on = run(load(text(true)), seed);
    REQUIRE(on["outcome"] == "pass");
    CHECK(hit(on, "pending slot dispatched"));
    CHECK(hit(on, "emulated core starts its pending task"));
    CHECK(hit(on, "pending implies running finished"));
    const std::int64_t long_finish = event_time(on, EventKind::finish, 0);
    const std::int64_t short_start = event_time(on, EventKind::start, 1);
    CHECK(short_start >= long_finish);
    const Json off = run(load(text(false)), seed);
    REQUIRE(off["outcome"] == "pass");
    CHECK_FALSE(hit(off, "emulated core starts its pending task"));
    // Without the pending slot the short task waits for the thread to see FIN: later.
    CHECK(event_time(off, EventKind::start, 1) - event_time(off, EventKind::finish, 0) > short_start - long_finish);
  }
}

TEST_CASE("a MIX block takes a cluster with a busy AIC: the idle AIVs start it at once, the AIC after its FIN", "[dual_slot]") {
  // PR #1308: a cluster is eligible when every core has a free slot; each idle core takes its
  // running slot, each busy one its pending slot.
  const std::string text = R"({
  "format": 1, "name": "mix_split", "description": "a MIX task behind a long AIC task on one cluster",
  "platform": {"clusters": 1, "scheduler_threads": 1},
  "kernels": {
    "long": {"core": "aic", "duration_ns": 20000},
    "mix": {"core": "mix", "duration_ns": 1000}
  },
  "program": {"body": [
    {"submit": "long", "name": "long", "args": [{"output": "a", "shape": [64]}]},
    {"submit": "mix", "name": "mix", "args": [{"output": "b", "shape": [64]}]}
  ]}
})";
  const hwmodel::CoreTiming timing;
  for (std::uint64_t seed : {1, 2}) {
    const Json result = run(load(text), seed);
    REQUIRE(result["outcome"] == "pass");
    CHECK(hit(result, "pending slot dispatched"));
    const std::int64_t long_finish = event_time(result, simcore::EventKind::finish, 0);
    std::vector<std::int64_t> mix_starts;
    for (const Json& e : result["events"]) {
      if (static_cast<simcore::EventKind>(e[0].get<int>()) == simcore::EventKind::start && e[2].get<std::uint64_t>() == 1) {
        mix_starts.push_back(e[1].get<std::int64_t>());
      }
    }
    REQUIRE(mix_starts.size() == 3);
    std::sort(mix_starts.begin(), mix_starts.end());
    CHECK(mix_starts[1] < long_finish);  // both AIVs, from their running slots
    CHECK(mix_starts[2] == long_finish + timing.start_latency_ns);  // the AIC, from its pending slot
  }
}

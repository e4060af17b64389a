// The host scheduler of the simulator board (simcore/host_scheduler.h): threads progress only on
// a CPU, slices alternate, sched_yield returns at once when nobody waits, loops count only their
// on-CPU iterations and see a signal only on a CPU.
#include "sim_harness.h"

#include "simcore/host_scheduler.h"
#include "simcore/marks.h"

#include <catch2/catch.hpp>

#include <functional>
#include <memory>
#include <set>
#include <vector>

using namespace ptosim;
using namespace ptosim::testing;

namespace {

simcore::HostPlatformSpec host_spec(int cpus, int background, TimeNs slice_ns, TimeNs iteration_ns) {
  simcore::HostPlatformSpec spec;
  spec.cpus = cpus;
  spec.background_threads = background;
  spec.time_slice = {slice_ns, slice_ns};
  spec.loop_costs[0] = {"host.spin_ns", {iteration_ns, iteration_ns}};
  spec.loop_costs[1] = {"host.idle_iteration_ns", {iteration_ns, iteration_ns}};
  spec.loop_costs[2] = {"host.poll_ns", {iteration_ns, iteration_ns}};
  return spec;
}

// One simulated world: a host with the given spec and one actor per body, each on a host
// thread of its own. Bodies record what they see into the returned JSON.
Json run_threads(const simcore::HostPlatformSpec& spec,
                 const std::vector<std::function<void(simcore::ThreadClock&, Json&)>>& bodies,
                 const std::function<void(simcore::Simulation&, simcore::HostRef)>& extra = {}) {
  return in_child([&] {
    simcore::Simulation sim;
    simcore::DecisionSource decisions(1, simcore::make_random_strategy(1));
    const simcore::HostRef actors = sim.add_host("actors");
    simcore::HostScheduler host(sim, decisions, spec);
    std::vector<std::unique_ptr<simcore::ThreadClock>> clocks;
    for (std::size_t i = 0; i < bodies.size(); ++i) clocks.push_back(host.add_thread("t" + std::to_string(i)));
    Json out = Json::object();
    out["threads"] = Json::array();
    for (std::size_t i = 0; i < bodies.size(); ++i) out["threads"].push_back(Json::object());
    for (std::size_t i = 0; i < bodies.size(); ++i) {
      simcore::ThreadClock* clock = clocks[i].get();
      Json* record = &out["threads"][i];
      const auto& body = bodies[i];
      sim.spawn("t" + std::to_string(i), actors, [clock, record, &body] {
        body(*clock, *record);
        clock->exit();
      });
    }
    if (extra) extra(sim, actors);
    host.start();
    sim.run(10 * NS_PER_S);
    for (const simcore::HostThreadStats& s : host.stats()) {
      if (s.id < bodies.size()) {
        out["threads"][s.id]["on_cpu_ns"] = s.on_cpu_ns;
        out["threads"][s.id]["cpu"] = s.cpu;
      }
    }
    return out;
  });
}

}  // namespace

TEST_CASE("one CPU, two threads that compute: they alternate whole slices", "[host]") {
  auto compute_10ms = [](simcore::ThreadClock& clock, Json& out) {
    clock.work(10 * NS_PER_MS);
    out["end_ns"] = simcore::now();
  };
  const Json result = run_threads(host_spec(1, 0, NS_PER_MS, 100), {compute_10ms, compute_10ms});
  REQUIRE_FALSE(result.contains("error"));
  // Slices of 1 ms in turn: the first ends its tenth slice at 19 ms, the second at 20 ms.
  CHECK(result["threads"][0]["end_ns"] == 19 * NS_PER_MS);
  CHECK(result["threads"][1]["end_ns"] == 20 * NS_PER_MS);
  CHECK(result["threads"][0]["on_cpu_ns"] == 10 * NS_PER_MS);
  CHECK(result["threads"][1]["on_cpu_ns"] == 10 * NS_PER_MS);
}

TEST_CASE("as many CPUs as threads: nothing waits", "[host]") {
  auto compute_1ms = [](simcore::ThreadClock& clock, Json& out) {
    clock.work(NS_PER_MS);
    out["end_ns"] = simcore::now();
  };
  const Json result = run_threads(host_spec(4, 0, 100 * NS_PER_US, 100), {compute_1ms, compute_1ms, compute_1ms, compute_1ms});
  REQUIRE_FALSE(result.contains("error"));
  std::set<int> cpus;
  for (const Json& thread : result["threads"]) {
    CHECK(thread["end_ns"] == NS_PER_MS);
    cpus.insert(thread["cpu"].get<int>());
  }
  CHECK(cpus.size() == 4);
}

TEST_CASE("sched_yield with nobody waiting returns at once, with a thread computing it waits a slice", "[host]") {
  auto spin_1000 = [](simcore::ThreadClock& clock, Json& out) {
    simcore::WaitSignal never;
    simcore::WaitLoop loop = clock.begin_loop(clock.loop_iteration_ns(simcore::LoopKind::spin, 0, 0), simcore::now());
    const simcore::LoopEnd end = clock.run_loop(loop, never, 1000, TIME_NEVER);
    out["end"] = static_cast<int>(end);
    out["end_ns"] = simcore::now();
    out["iterations"] = clock.loop_iterations(loop);
  };
  SECTION("alone on its CPU: 1000 spins of 100 ns take 100 us") {
    const Json result = run_threads(host_spec(1, 0, NS_PER_MS, 100), {spin_1000});
    REQUIRE_FALSE(result.contains("error"));
    CHECK(result["threads"][0]["end"] == static_cast<int>(simcore::LoopEnd::limit));
    CHECK(result["threads"][0]["end_ns"] == 100'000);
    CHECK(result["threads"][0]["iterations"] == 1000);
  }
  SECTION("with a background thread: every yield gives it a 1 ms slice, spins count only on the CPU") {
    const Json result = run_threads(host_spec(1, 1, NS_PER_MS, 100), {spin_1000});
    REQUIRE_FALSE(result.contains("error"));
    CHECK(result["threads"][0]["iterations"] == 1000);
    // Iteration k ends at 100 + (k - 1) * (1 ms + 100 ns).
    CHECK(result["threads"][0]["end_ns"] == 100 + 999 * (NS_PER_MS + 100));
    CHECK(result["threads"][0]["on_cpu_ns"] == 100'000);
  }
}

TEST_CASE("a loop sees a signal only at its next iteration on a CPU", "[host]") {
  static simcore::WaitSignal* signal = nullptr;
  auto wait_signal = [](simcore::ThreadClock& clock, Json& out) {
    simcore::WaitLoop loop = clock.begin_loop(100, simcore::now());
    const simcore::LoopEnd end = clock.run_loop(loop, *signal, simcore::NO_ITERATION_LIMIT, TIME_NEVER);
    out["end"] = static_cast<int>(end);
    out["end_ns"] = simcore::now();
    out["iterations"] = clock.loop_iterations(loop);
  };
  auto compute_5ms = [](simcore::ThreadClock& clock, Json& out) {
    clock.work(5 * NS_PER_MS);
    out["end_ns"] = simcore::now();
  };
  auto notifier = [](simcore::Simulation& sim, simcore::HostRef host) {
    signal = new simcore::WaitSignal();  // in the child, once the engine exists; lives until exit
    sim.spawn("notifier", host, [] {
      simcore::sleep_until(2'500'000);
      signal->notify();
    });
  };
  const Json result = run_threads(host_spec(1, 0, NS_PER_MS, 100), {wait_signal, compute_5ms}, notifier);
  REQUIRE_FALSE(result.contains("error"));
  // Turns: loop [0, 100), work [100, 1000100), loop, work [1000200, 2000200), loop
  // [2000200, 2000300), work [2000300, 3000300): notified at 2.5 ms, the loop sees it at 3000300.
  CHECK(result["threads"][0]["end"] == static_cast<int>(simcore::LoopEnd::signaled));
  CHECK(result["threads"][0]["end_ns"] == 3'000'300);
  CHECK(result["threads"][0]["iterations"] == 3);
  // After the loop ends the worker has the CPU to itself.
  CHECK(result["threads"][1]["end_ns"] == 5'000'300);
}

namespace {

// Two threads computing 10 ms each on one CPU with 1 ms slices, lanes recorded up to `cap`.
Json alternating_lanes(std::size_t cap) {
  return in_child([cap] {
    simcore::reset_marks();
    simcore::Simulation sim;
    simcore::DecisionSource decisions(1, simcore::make_random_strategy(1));
    const simcore::HostRef actors = sim.add_host("actors");
    simcore::HostScheduler host(sim, decisions, host_spec(1, 0, NS_PER_MS, 100));
    std::vector<std::unique_ptr<simcore::ThreadClock>> clocks;
    for (int i = 0; i < 2; ++i) {
      clocks.push_back(host.add_thread("t" + std::to_string(i)));
      simcore::ThreadClock* clock = clocks.back().get();
      sim.spawn("t" + std::to_string(i), actors, [clock] {
        clock->work(10 * NS_PER_MS);
        clock->exit();
      });
    }
    host.record_lanes(cap);
    host.start();
    sim.run(10 * NS_PER_S);
    const simcore::HostLanes lanes = host.take_lanes();
    Json out = Json::object();
    out["slices"] = Json::array();
    for (const simcore::HostLaneSlice& slice : lanes.slices) {
      out["slices"].push_back(Json{{"thread", slice.thread}, {"start_ns", slice.start_ns}, {"end_ns", slice.end_ns}});
    }
    out["truncated"] = lanes.truncated;
    out["truncated_at_ns"] = lanes.truncated_at_ns;
    out["cap_mark"] = simcore::mark_count("host lane slice cap");
    return out;
  });
}

}  // namespace

TEST_CASE("host lanes: a slice per stretch on a CPU in turn adding up to each thread on-CPU time", "[host]") {
  const Json result = alternating_lanes(simcore::MAX_HOST_LANE_SLICES);
  REQUIRE_FALSE(result.contains("error"));
  REQUIRE(result["slices"].size() == 20);
  TimeNs on_cpu[2] = {0, 0};
  TimeNs previous_end = 0;
  for (const Json& slice : result["slices"]) {
    CHECK(slice["start_ns"].get<TimeNs>() == previous_end);  // back to back, never overlapping
    previous_end = slice["end_ns"].get<TimeNs>();
    on_cpu[slice["thread"].get<int>()] += previous_end - slice["start_ns"].get<TimeNs>();
  }
  CHECK(on_cpu[0] == 10 * NS_PER_MS);
  CHECK(on_cpu[1] == 10 * NS_PER_MS);
  CHECK_FALSE(result["truncated"].get<bool>());
}

TEST_CASE("host lanes stop at their cap and say where", "[host]") {
  const Json result = alternating_lanes(5);
  REQUIRE_FALSE(result.contains("error"));
  CHECK(result["slices"].size() == 5);
  CHECK(result["truncated"].get<bool>());
  CHECK(result["truncated_at_ns"] == 5 * NS_PER_MS);
  CHECK(result["cap_mark"].get<std::uint64_t>() >= 1);
}

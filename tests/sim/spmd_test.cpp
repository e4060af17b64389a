// SPMD tasks (runtime-model.md §6.4): a task with block_num N runs N blocks, each on its own core;
// a thread claims a contiguous range of blocks for its free cores and re-pushes the task so that
// other threads take the rest; the task completes when every block has finished.
#include "sim_harness.h"

#include "simcore/event_log.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <set>

using namespace ptosim;
using namespace ptosim::testing;
using simcore::EventKind;

namespace {

std::string spmd_scenario(int block_num, int clusters) {
  return R"({
  "format": 1, "name": "spmd", "description": "an SPMD producer and a consumer",
  "platform": {"clusters": )" + std::to_string(clusters) + R"(, "scheduler_threads": 2},
  "kernels": {
    "wide": {"core": "aiv", "duration_ns": [1000, 5000], "block_num": )" + std::to_string(block_num) + R"(},
    "after": {"core": "aic", "duration_ns": [100, 200]}
  },
  "program": {"body": [
    {"submit": "wide", "name": "wide", "args": [{"output": "t", "shape": [64]}]},
    {"submit": "after", "name": "after", "args": [{"input": "t"}, {"output": "u", "shape": [16]}]}
  ]}
})";
}

}  // namespace

TEST_CASE("an SPMD task runs every block on its own core and completes after the last block", "[spmd]") {
  for (int block_num : {4, 6}) {
    // Two clusters: four AIV cores, two per scheduler thread, so four blocks need both threads
    // and six need a second round.
    const auto scenario = load(spmd_scenario(block_num, 2));
    for (std::uint64_t seed : {1, 2, 3, 4}) {
      const Json result = run(scenario, seed);
      REQUIRE(result["outcome"] == "pass");
      std::set<std::uint32_t> lanes;
      std::set<std::uint32_t> dispatching_threads;
      int starts = 0;
      std::int64_t last_finish = -1;
      std::int64_t complete = -1;
      std::int64_t consumer_start = -1;
      for (const Json& e : result["events"]) {
        const auto kind = static_cast<EventKind>(e[0].get<int>());
        const auto subject = e[2].get<std::uint64_t>();
        if (subject == 0 && kind == EventKind::start) {
          ++starts;
          lanes.insert(e[3].get<std::uint32_t>());
        }
        if (subject == 0 && kind == EventKind::dispatch) dispatching_threads.insert(static_cast<std::uint32_t>(e[4].get<std::int64_t>()));
        if (subject == 0 && kind == EventKind::finish) last_finish = std::max(last_finish, e[1].get<std::int64_t>());
        if (subject == 0 && kind == EventKind::complete) complete = e[1].get<std::int64_t>();
        if (subject == 1 && kind == EventKind::start) consumer_start = e[1].get<std::int64_t>();
      }
      CHECK(starts == block_num);
      // Never more blocks at once than cores: six blocks reuse cores.
      CHECK(lanes.size() == static_cast<std::size_t>(std::min(block_num, 4)));
      // The first thread claims its two cores and re-pushes the task: the other takes the rest.
      CHECK(dispatching_threads.size() == 2);
      REQUIRE(complete >= 0);
      CHECK(complete >= last_finish);
      CHECK(consumer_start > complete);
    }
  }
}

TEST_CASE("the blocks of an SPMD task have their own duration decisions", "[spmd]") {
  const auto scenario = load(spmd_scenario(4, 2));
  const Json result = run(scenario, 7);
  REQUIRE(result["outcome"] == "pass");
  std::set<std::int64_t> durations;
  std::map<std::uint32_t, std::int64_t> started;
  for (const Json& e : result["events"]) {
    const auto kind = static_cast<EventKind>(e[0].get<int>());
    if (e[2].get<std::uint64_t>() != 0) continue;
    if (kind == EventKind::start) started[e[3].get<std::uint32_t>()] = e[1].get<std::int64_t>();
    if (kind == EventKind::finish) durations.insert(e[1].get<std::int64_t>() - started[e[3].get<std::uint32_t>()]);
  }
  CHECK(durations.size() > 1);
}

// sync_start cohorts (runtime-model.md §6.2-§6.4): a cohort launches all its blocks at one
// dispatch instant, on the popping thread's idle cores when they suffice, else through the
// global drain, which stops every other dispatch until enough cores are idle; a cohort larger
// than the device's AIV or cluster count fails at submit with REQUIRE_SYNC_START_INVALID (7).
#include "sim_harness.h"

#include "simcore/event_log.h"

#include <catch2/catch.hpp>

#include <set>
#include <string>

using namespace ptosim;
using namespace ptosim::testing;
using simcore::EventKind;

namespace {

// Task 0 holds one AIV core for 5 us; task 1 is a four-block AIV kernel; tasks 2..5 are AIC
// tasks submitted after it. One scheduler thread owns the two clusters' four AIV cores.
std::string held_core_scenario(bool sync_start, int threads = 1, int clusters = 2) {
  return R"({
  "format": 1, "name": "held_core", "description": "a cohort behind a busy core",
  "platform": {"clusters": )" + std::to_string(clusters) + R"(, "scheduler_threads": )" + std::to_string(threads) + R"(},
  "kernels": {
    "hold": {"core": "aiv", "duration_ns": 5000},
    "gang": {"core": "aiv", "duration_ns": [1000, 2000], "block_num": 4},
    "side": {"core": "aic", "duration_ns": 500}
  },
  "program": {"body": [
    {"submit": "hold", "name": "hold"},
    {"submit": "gang", "name": "gang", "sync_start": )" + (sync_start ? "true" : "false") + R"(},
    {"for": "i", "to": 4, "body": [{"submit": "side", "name": "side{i}"}]}
  ]}
})";
}

struct TaskTimes {
  std::set<std::int64_t> dispatches;  // distinct dispatch instants (register stores)
  std::set<std::uint32_t> threads;    // lanes of the threads that dispatched it
  std::int64_t finish = -1;
};

TaskTimes times_of(const Json& result, std::uint64_t task) {
  TaskTimes times;
  for (const Json& e : result["events"]) {
    if (e[2].get<std::uint64_t>() != task) continue;
    const auto kind = static_cast<EventKind>(e[0].get<int>());
    if (kind == EventKind::dispatch) {
      times.dispatches.insert(e[1].get<std::int64_t>());
      times.threads.insert(static_cast<std::uint32_t>(e[4].get<std::int64_t>()));
    }
    if (kind == EventKind::finish) times.finish = std::max(times.finish, e[1].get<std::int64_t>());
  }
  return times;
}

}  // namespace

TEST_CASE("sync_start: a cohort that fits the popping thread launches there at one instant", "[sync_start]") {
  // Two threads own two clusters each (four AIV cores): the cohort fits the thread that pops it.
  for (std::uint64_t seed : {0, 1, 2, 3}) {
    const Json result = run(load(held_core_scenario(true, 2, 4)), seed);
    REQUIRE(result["outcome"] == "pass");
    CHECK(hit(result, "sync_start cohort launched"));
    const TaskTimes gang = times_of(result, 1);
    CHECK(gang.dispatches.size() == 1);
    CHECK(gang.threads.size() == 1);
  }
}

TEST_CASE("sync_start: a cohort behind a busy core waits in the drain and launches at one instant", "[sync_start]") {
  for (std::uint64_t seed : {0, 1, 2, 3}) {
    const Json result = run(load(held_core_scenario(true)), seed);
    REQUIRE(result["outcome"] == "pass");
    CHECK(hit(result, "sync_start drain mode entered"));
    CHECK(hit(result, "sync_start drain released"));
    CHECK(hit(result, "sync_start cohort launched"));
    const TaskTimes hold = times_of(result, 0);
    const TaskTimes gang = times_of(result, 1);
    REQUIRE(gang.dispatches.size() == 1);  // all four blocks stored at one instant
    CHECK(*gang.dispatches.begin() >= hold.finish);
  }
  // The same program without sync_start starts three blocks at once and the fourth after the
  // busy core frees: what the test above rules out.
  const Json plain = run(load(held_core_scenario(false)), 0);
  REQUIRE(plain["outcome"] == "pass");
  CHECK_FALSE(hit(plain, "sync_start drain mode entered"));
  CHECK(times_of(plain, 1).dispatches.size() == 2);
}

TEST_CASE("sync_start: the drain stops every other dispatch until the cohort launches", "[sync_start]") {
  // The AIC tasks have idle AIC cores the whole time; while the drain holds, none is dispatched.
  for (std::uint64_t seed : {0, 1, 2, 3}) {
    const Json result = run(load(held_core_scenario(true)), seed);
    REQUIRE(result["outcome"] == "pass");
    const std::int64_t launch = *times_of(result, 1).dispatches.begin();
    for (std::uint64_t side = 2; side < 6; ++side) CHECK(*times_of(result, side).dispatches.begin() >= launch);
  }
  // Without the cohort's drain, the AIC tasks are not held back behind the fourth block (with the
  // dual slot that block is loaded into the busy core's pending slot with them, at one instant).
  const Json plain = run(load(held_core_scenario(false)), 0);
  const std::int64_t last_block = *times_of(plain, 1).dispatches.rbegin();
  CHECK(*times_of(plain, 2).dispatches.begin() <= last_block);
  CHECK(*times_of(plain, 2).dispatches.begin() < *times_of(run(load(held_core_scenario(true)), 0), 1).dispatches.begin());
}

TEST_CASE("sync_start: a cohort larger than the AIV or cluster count is REQUIRE_SYNC_START_INVALID", "[sync_start]") {
  // Two clusters: 4 AIV cores, 2 clusters (one AIC each). AIV counts AIV cores, AIC and MIX clusters.
  struct Case {
    const char* core;
    int block_num;
    bool invalid;
  };
  for (const Case& c : {Case{"aiv", 5, true}, Case{"aiv", 4, false}, Case{"aic", 3, true}, Case{"aic", 2, false},
                        Case{"mix", 3, true}, Case{"mix", 2, false}}) {
    const std::string text = std::string(R"({
      "format": 1, "name": "oversized", "description": "a cohort and the device's cores",
      "platform": {"clusters": 2, "scheduler_threads": 2},
      "kernels": {"gang": {"core": ")") + c.core + R"(", "duration_ns": 1000, "block_num": )" + std::to_string(c.block_num) + R"(}},
      "program": {"body": [{"submit": "gang", "name": "gang", "sync_start": true}]}
    })";
    const Json result = run(load(text), 0);
    INFO(c.core << " block_num " << c.block_num);
    if (c.invalid) {
      CHECK(result["outcome"] == "runtime_error");
      CHECK(result["code"] == 7);
      CHECK(hit(result, "REQUIRE_SYNC_START_INVALID"));
      CHECK(result["message"].get<std::string>().find("require_sync_start block_num=") != std::string::npos);
    } else {
      CHECK(result["outcome"] == "pass");
      CHECK_FALSE(hit(result, "REQUIRE_SYNC_START_INVALID"));
    }
  }
}

TEST_CASE("sync_start: the flag changes nothing for a single-block task", "[sync_start]") {
  const std::string base = R"({
    "format": 1, "name": "single", "description": "sync_start on one block is ignored",
    "platform": {"clusters": 2, "scheduler_threads": 2},
    "kernels": {"one": {"core": "aiv", "duration_ns": [100, 900]}},
    "program": {"body": [{"for": "i", "to": 6, "body": [{"submit": "one", "name": "one{i}"SYNC}]}]}
  })";
  std::string flagged = base;
  flagged.replace(flagged.find("SYNC"), 4, R"(, "sync_start": true)");
  std::string plain = base;
  plain.replace(plain.find("SYNC"), 4, "");
  const Json a = run(load(flagged), 5);
  const Json b = run(load(plain), 5);
  CHECK(a["digest"] == b["digest"]);
  CHECK_FALSE(hit(a, "sync_start cohort launched"));
}

TEST_CASE("sync_start: a drain that can never launch its cohort silences the idle-time detectors", "[sync_start]") {
  // Unsynced barrier kernels wedge AIV cores; the cohort's drain waits for 8 idle cores forever,
  // and the threads skip their timeout check while it is pending: a hang without a runtime code.
  const Json held = run(load_catalog("sync_start_drain_silences_watchdog.json"), 0);
  CHECK(held["outcome"] == "hang");
  CHECK(hit(held, "sync_start drain mode entered"));
  CHECK_FALSE(held.contains("code"));
  // Without the cohort, the scheduler watchdog speaks.
  const Json plain = run(load_catalog("spmd_barrier_gangs_unsynced.json"), 0);
  CHECK(plain["outcome"] == "hang");
  CHECK(plain["code"] == 100);
}

TEST_CASE("sync_start: the drain on a2a3sim writes the cohort's registers when its work ends", "[sync_start]") {
  // Emulated cores read their registers by polling, so no store may be planned ahead of time.
  const auto scenario = load(R"({
    "format": 1, "name": "sim_drain", "description": "a cohort behind busy cores on the simulator board",
    "platform": {"kind": "a2a3sim", "clusters": 6, "scheduler_threads": 3, "host_cpus": 4, "background_threads": 0,
                 "time_slice_ns": [1000000, 4000000],
                 "host_costs": {"spin_ns": [100, 400], "poll_ns": [100, 400], "idle_iteration_ns": [150, 600]}},
    "kernels": {
      "gang": {"core": "aiv", "block_num": 8, "duration_ns": [2000, 4000], "host_compute_ns": [2000, 4000]},
      "work": {"core": "aiv", "duration_ns": [1000, 20000], "host_compute_ns": [1000, 20000]}
    },
    "program": {"body": [{"for": "i", "to": 3, "body": [
      {"for": "j", "to": 6, "body": [{"submit": "work", "name": "work{i}_{j}"}]},
      {"submit": "gang", "name": "gang{i}", "sync_start": true}
    ]}]}
  })");
  for (std::uint64_t seed : {0, 3}) {
    const Json result = run(scenario, seed);
    REQUIRE(result["outcome"] == "pass");
    CHECK(hit(result, "sync_start drain released"));
    CHECK(times_of(result, 6).dispatches.size() == 1);  // gang0: one store instant
  }
}

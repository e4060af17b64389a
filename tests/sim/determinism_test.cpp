// The determinism contract: same seed => same digest; seeds change interleavings; a decision log
// replays to its digest; a log that does not match the run is a divergence.
#include "sim_harness.h"

#include "simcore/sim_engine.h"

#include <catch2/catch.hpp>

#include <set>

using namespace ptosim;
using namespace ptosim::testing;

TEST_CASE("the same seed twice gives the same digest and events", "[determinism]") {
  const auto scenario = load_catalog("contended_fanout.json");
  const Json first = run(scenario, 7);
  const Json second = run(scenario, 7);
  CHECK(first["outcome"] == "pass");
  CHECK(first["digest"] == second["digest"]);
  CHECK(first["events"] == second["events"]);
}

TEST_CASE("different seeds lead to different interleavings", "[determinism]") {
  const auto scenario = load_catalog("contended_fanout.json");
  std::set<std::uint64_t> digests;
  for (std::uint64_t seed = 0; seed < 6; ++seed) digests.insert(run(scenario, seed)["digest"].get<std::uint64_t>());
  CHECK(digests.size() >= 2);
}

TEST_CASE("a decision log replays to the recorded digest", "[determinism]") {
  const auto scenario = load_catalog("paged_attention_flagship.json");
  const Json recorded = in_child([&] {
    runtime::ModelOutput out = runtime::simulate(scenario.model, 3, simcore::make_random_strategy(3));
    Json entries = Json::array();
    for (const auto& e : out.decisions.entries) {
      entries.push_back({e.stream, e.subject, e.part, e.occurrence, static_cast<int>(e.kind), e.value, e.lo, e.hi,
                         e.default_value});
    }
    return Json{{"digest", out.digest}, {"streams", out.decisions.streams}, {"entries", entries}};
  });
  REQUIRE(recorded["entries"].size() > 10);
  auto log_from = [](const Json& j) {
    simcore::DecisionLog log;
    log.streams = j["streams"].get<std::vector<std::string>>();
    for (const Json& e : j["entries"]) {
      simcore::DecisionEntry entry;
      entry.stream = e[0].get<simcore::StreamId>();
      entry.subject = e[1].get<std::uint64_t>();
      entry.part = e[2].get<std::uint32_t>();
      entry.occurrence = e[3].get<std::uint32_t>();
      entry.kind = static_cast<simcore::DecisionKind>(e[4].get<int>());
      entry.value = e[5].get<std::uint64_t>();
      entry.lo = e[6].get<std::uint64_t>();
      entry.hi = e[7].get<std::uint64_t>();
      entry.default_value = e[8].get<std::uint64_t>();
      log.entries.push_back(entry);
    }
    return log;
  };
  auto replay = [&](const simcore::DecisionLog& log) {
    return in_child([&] {
      // A different root seed proves the values come from the log, not from the generators.
      runtime::ModelOutput out = runtime::simulate(scenario.model, 999, simcore::make_replay_strategy(log));
      return Json{{"digest", out.digest}};
    });
  };

  SECTION("the untouched log reproduces the digest") {
    CHECK(replay(log_from(recorded))["digest"] == recorded["digest"]);
  }
  SECTION("a changed kernel duration is caught as a divergence or a different digest") {
    simcore::DecisionLog log = log_from(recorded);
    std::size_t index = log.entries.size() / 2;
    while (log.streams[log.entries[index].stream] != "kernel.duration") ++index;
    auto& entry = log.entries[index];
    entry.value = entry.value == entry.lo ? entry.hi : entry.lo;
    const Json result = replay(log);
    if (result.contains("error")) {
      CHECK_THAT(result["error"].get<std::string>(), Catch::Contains("diverged"));
    } else {
      CHECK(result["digest"] != recorded["digest"]);
    }
  }
  SECTION("an edited range is a divergence") {
    simcore::DecisionLog log = log_from(recorded);
    log.entries[5].lo = log.entries[5].hi + 1;
    log.entries[5].value = log.entries[5].lo;
    log.entries[5].hi = log.entries[5].lo + 1;
    const Json result = replay(log);
    REQUIRE(result.contains("error"));
    CHECK_THAT(result["error"].get<std::string>(), Catch::Contains("diverged at decision #5"));
  }
  SECTION("lenient replay of an edited or halved log runs to the end") {
    simcore::DecisionLog log = log_from(recorded);
    log.entries.resize(log.entries.size() / 2);
    std::size_t index = 0;
    while (log.streams[log.entries[index].stream] != "kernel.duration") ++index;
    log.entries[index].value = log.entries[index].hi + 1000;  // out of range: clamped
    const Json result = in_child([&] {
      runtime::ModelOutput out = runtime::simulate(scenario.model, 999, simcore::make_lenient_replay_strategy(log));
      return Json{{"digest", out.digest}, {"outcome", simcore::to_string(out.verdict.outcome)}};
    });
    REQUIRE_FALSE(result.contains("error"));
    CHECK(result["outcome"] == "pass");
  }
}

TEST_CASE("runs in sequence in one engine give the digests of runs in processes of their own", "[determinism]") {
  // Sweep workers run seed after seed in one engine (simcore::Simulation::run_in_sequence).
  // Scenarios whose seeds pass, end in a false or true deadlock, a hang, wrong values or a
  // runtime error, on the board and on a2a3sim's shared host CPUs.
  for (const char* file : {"paged_attention_flagship.json", "false_deadlock_deferred_publish.json",
                           "true_deadlock_scope_exceeds_window.json", "store_load_race_rmsnorm_rope.json",
                           "false_deadlock_a2a3sim.json", "auto_in_manual_rejected.json"}) {
    INFO(file);
    const auto scenario = load_catalog(file);
    constexpr std::uint64_t SEEDS = 12;
    const Json in_sequence = in_child([&] {
      simcore::Simulation::run_in_sequence();
      Json runs = Json::array();
      for (std::uint64_t seed = 0; seed < SEEDS; ++seed) {
        const runtime::ModelOutput out = runtime::simulate(scenario.model, seed, simcore::make_random_strategy(seed));
        runs.push_back(Json{{"digest", out.digest}, {"outcome", simcore::to_string(out.verdict.outcome)}});
      }
      return runs;
    });
    REQUIRE(in_sequence.size() == SEEDS);
    for (std::uint64_t seed = 0; seed < SEEDS; ++seed) {
      INFO("seed " << seed);
      const Json alone = run(scenario, seed);
      CHECK(in_sequence[seed]["digest"] == alone["digest"]);
      CHECK(in_sequence[seed]["outcome"] == alone["outcome"]);
    }
  }
}

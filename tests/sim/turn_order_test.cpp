// Same-instant turns (simcore/turn_order.h): actors that resume at the same nanosecond act in an
// order the decision source chooses, a notification sent while a turn is handed over is never
// lost, and the order replays from the log.
#include "sim_harness.h"

#include "simcore/decision_source.h"
#include "simcore/sim_engine.h"
#include "simcore/turn_order.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

using namespace ptosim;
using namespace ptosim::testing;

namespace {

// Three actors sleep until t=100 ns and record the order of their turns. In its turn actor 0
// waits on a signal and actor 2 notifies it: when actor 0 went first, the notification arrives
// while actor 0 hands its turn over and has not blocked yet, and must not be lost.
Json race(std::unique_ptr<simcore::ExplorationStrategy> strategy) {
  simcore::Simulation sim;
  simcore::DecisionSource decisions(0, std::move(strategy));
  simcore::TurnOrder turns(decisions);
  simcore::WaitSignal signal;
  std::vector<int> order;
  bool woken = false;
  TimeNs woken_at_ns = -1;
  std::vector<std::size_t> ids;
  std::vector<simcore::HostRef> hosts;
  for (int i = 0; i < 3; ++i) {
    ids.push_back(turns.join(static_cast<std::uint64_t>(10 + i)));
    hosts.push_back(sim.add_host("h" + std::to_string(i)));
  }
  for (int i = 0; i < 3; ++i) {
    sim.spawn("a" + std::to_string(i), hosts[static_cast<std::size_t>(i)], [&, i] {
      const std::size_t me = ids[static_cast<std::size_t>(i)];
      turns.take_turn(me);
      simcore::sleep_until(100);
      order.push_back(i);
      if (i == 0) {
        woken = signal.wait_until(5000);
        woken_at_ns = simcore::now();
      } else if (i == 2) {
        signal.notify();  // possibly while actor 0 hands its turn over, before it blocks
      }
      turns.leave(me);
    });
  }
  const simcore::RunEnd end = sim.run(1'000'000);
  decisions.finish();
  Json entries = Json::array();
  for (const simcore::DecisionEntry& e : decisions.log().entries) {
    entries.push_back({e.subject, e.occurrence, e.value, e.hi, e.default_value});
  }
  return Json{{"end", static_cast<int>(end)},       {"order", order},
              {"woken", woken},                     {"woken_at_ns", woken_at_ns},
              {"entries", entries},                 {"streams", decisions.log().streams},
              {"waiting", turns.waiting_for_turn()}};
}

simcore::DecisionLog log_of(const Json& result) {
  simcore::DecisionLog log;
  log.streams = result["streams"].get<std::vector<std::string>>();
  for (const Json& e : result["entries"]) {
    simcore::DecisionEntry entry;
    entry.stream = 0;
    entry.subject = e[0].get<std::uint64_t>();
    entry.occurrence = e[1].get<std::uint32_t>();
    entry.kind = simcore::DecisionKind::choice;
    entry.value = e[2].get<std::uint64_t>();
    entry.hi = e[3].get<std::uint64_t>();
    entry.default_value = e[4].get<std::uint64_t>();
    log.entries.push_back(entry);
  }
  return log;
}

}  // namespace

TEST_CASE("actors resuming at the same instant take turns in a decided order", "[turns]") {
  std::set<std::vector<int>> orders;
  for (std::uint64_t seed = 0; seed < 24; ++seed) {
    const Json result = in_child([seed] { return race(simcore::make_random_strategy(seed)); });
    INFO(result.dump());
    REQUIRE_FALSE(result.contains("error"));
    REQUIRE(result["end"] == static_cast<int>(simcore::RunEnd::finished));
    CHECK(result["waiting"] == 0);
    const auto order = result["order"].get<std::vector<int>>();
    orders.insert(order);
    // A notification with nobody waiting is dropped (WaitSignal), so actor 0 is woken exactly
    // when it took its turn before actor 2.
    const bool zero_first = std::find(order.begin(), order.end(), 0) < std::find(order.begin(), order.end(), 2);
    CHECK(result["woken"] == zero_first);
    CHECK(result["woken_at_ns"] == (zero_first ? 100 : 5000));
    // t=0: a choice among 3, then 2; t=100: the same. Keyed by the instant.
    REQUIRE(result["entries"].size() >= 4);
    CHECK(result["streams"][0] == "instant.turn");
    CHECK(result["entries"][2][0] == 100);
    CHECK(result["entries"][2][3] == 2);  // of 3 candidates
    CHECK(result["entries"][3][1] == 1);  // second choice at that instant
  }
  CHECK(orders.size() == 6);  // every permutation of the three actors appears
}

TEST_CASE("the default turn order is by identity and a log replays its order", "[turns]") {
  const Json defaults = in_child([] { return race(simcore::make_lenient_replay_strategy({})); });
  CHECK(defaults["order"] == std::vector<int>{0, 1, 2});
  for (std::uint64_t seed : {3, 11}) {
    const Json recorded = in_child([seed] { return race(simcore::make_random_strategy(seed)); });
    const simcore::DecisionLog log = log_of(recorded);
    const Json replayed = in_child([&log] { return race(simcore::make_replay_strategy(log)); });
    CHECK(replayed["order"] == recorded["order"]);
  }
}

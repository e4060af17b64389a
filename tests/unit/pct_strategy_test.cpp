// PCT behind the decision source: candidates ranked by seeded priorities, change points that
// demote a winner or push a range to its far end, and the strategy specs a command accepts.
#include "simcore/strategies.h"

#include <catch2/catch.hpp>

#include <set>

using namespace ptosim;
using namespace ptosim::simcore;

TEST_CASE("pct ranks the candidates of any choice by priority, the same way for the same seed", "[pct]") {
  DecisionSource source(7, make_pct_strategy(7, 1, 100));
  const StreamId turn = source.stream("some.choice");
  const std::uint64_t threads[] = {3, 1, 2};
  const std::size_t first = source.choose({turn, 0, 0}, threads);
  // Depth 1 has no change point: the highest-priority candidate wins every time, whatever the
  // order it is offered in and whatever else is on offer.
  const std::uint64_t winner = threads[first];
  const std::uint64_t reordered[] = {2, 3, 1};
  CHECK(reordered[source.choose({turn, 1, 0}, reordered)] == winner);
  std::uint64_t with_more[] = {9, 8, 3, 1, 2};
  const std::uint64_t picked = with_more[source.choose({turn, 2, 0}, with_more)];
  CHECK((picked == winner || picked == 9 || picked == 8));
  DecisionSource again(7, make_pct_strategy(7, 1, 100));
  CHECK(again.choose({again.stream("some.choice"), 0, 0}, threads) == first);
  // Other seeds rank differently (a random permutation per seed).
  std::set<std::uint64_t> winners;
  for (std::uint64_t seed = 0; seed < 32; ++seed) {
    DecisionSource other(seed, make_pct_strategy(seed, 1, 100));
    winners.insert(threads[other.choose({other.stream("some.choice"), 0, 0}, threads)]);
  }
  CHECK(winners.size() == 3);
}

TEST_CASE("pct change points demote the chosen candidate and push ranges to their far end", "[pct]") {
  // With d = 2 and k = 1 the only change point is the first decision: the candidate about to win
  // it (the one d = 1 picks) is demoted, loses this choice and every later one.
  {
    DecisionSource plain(5, make_pct_strategy(5, 1, 1));
    const std::uint64_t two[] = {10, 20};
    const std::uint64_t natural = two[plain.choose({plain.stream("choice"), 0, 0}, two)];
    DecisionSource source(5, make_pct_strategy(5, 2, 1));
    const StreamId s = source.stream("choice");
    const std::uint64_t first = two[source.choose({s, 0, 0}, two)];
    CHECK(first != natural);
    CHECK(two[source.choose({s, 1, 0}, two)] == first);
    const std::uint64_t three[] = {20, 10, 30};
    CHECK(three[source.choose({s, 2, 0}, three)] != natural);
  }
  {
    DecisionSource source(5, make_pct_strategy(5, 2, 1));
    const StreamId s = source.stream("kernel.duration");
    CHECK(source.decide_ns({s, 0, 0}, 100, 900) == 900);  // default is the lower bound: the far end is hi
  }
  {
    DecisionSource source(5, make_pct_strategy(5, 2, 1));
    const StreamId s = source.stream("fault");
    CHECK(source.decide_chance({s, 0, 0}, 1, 1000));  // the default does not fire: the far end does
  }
  // Away from change points, ranges take the same seeded values as `random`.
  DecisionSource pct(11, make_pct_strategy(11, 1, 10));
  DecisionSource random(11, make_random_strategy(11));
  for (std::uint64_t task = 0; task < 20; ++task) {
    CHECK(pct.decide_ns({pct.stream("kernel.duration"), task, 0}, 100, 5000) ==
          random.decide_ns({random.stream("kernel.duration"), task, 0}, 100, 5000));
  }
}

TEST_CASE("pct places depth - 1 change points over the estimated steps", "[pct]") {
  // Count demotions: a change point at step s makes the choice at step s demote its winner, so
  // with a 2-candidate choice at every step the winner flips exactly once per change point.
  for (std::uint32_t depth : {1u, 2u, 4u}) {
    for (std::uint64_t seed = 0; seed < 20; ++seed) {
      DecisionSource source(seed, make_pct_strategy(seed, depth, 50));
      const StreamId s = source.stream("c");
      const std::uint64_t candidates[] = {1, 2};
      std::uint64_t last = 0;
      int flips = 0;
      for (std::uint64_t step = 0; step < 50; ++step) {
        const std::uint64_t won = candidates[source.choose({s, step, 0}, candidates)];
        if (step > 0 && won != last) ++flips;
        last = won;
      }
      // Each change point demotes the current winner below every undemoted candidate; with two
      // candidates later demotions can restore the order, so flips <= depth - 1.
      CHECK(flips <= static_cast<int>(depth) - 1);
      if (depth == 2) {
        // The one change point flips the winner unless it falls on the very first step.
        DecisionSource plain(seed, make_pct_strategy(seed, 1, 50));
        const std::uint64_t natural = candidates[plain.choose({plain.stream("c"), 0, 0}, candidates)];
        CHECK((flips == 1 || last != natural));
      }
    }
  }
}

TEST_CASE("strategy specs are validated", "[pct]") {
  CHECK(validate_strategy({"random", 2, 0}).empty());
  CHECK(validate_strategy({"pct", 3, 100}).empty());
  CHECK_THAT(validate_strategy({"pct", 0, 100}), Catch::Contains("depth"));
  CHECK_THAT(validate_strategy({"dfs", 1, 0}), Catch::Contains("unknown strategy"));
  CHECK_THROWS_AS(make_strategy({"pct", 99, 10}, 1), std::logic_error);
}

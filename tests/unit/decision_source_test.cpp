#include "simcore/decision_source.h"
#include "simcore/hashing.h"
#include "simcore/model_assert.h"

#include <catch2/catch.hpp>

#include <set>

using namespace ptosim;
using namespace ptosim::simcore;

TEST_CASE("hash functions keep their pinned values", "[decision]") {
  CHECK(mix64(0) == 0x0000000000000000ULL);
  CHECK(mix64(1) == 0x5692161D100B05E5ULL);
  CHECK(fnv1a64("") == 0xCBF29CE484222325ULL);
  CHECK(fnv1a64("core0.duration") == 0xC7697B33AAED1884ULL);
}

TEST_CASE("stream generators are pinned per (seed, name)", "[decision]") {
  StreamGenerator gen(42, "core0.duration");
  CHECK(gen.next() == 0x2B2B82D237380C7DULL);
  CHECK(gen.next() == 0x189DC550D63CD303ULL);
  StreamGenerator ranged(7, "sched0.core_choice");
  std::vector<std::uint64_t> values;
  for (int i = 0; i < 8; ++i) values.push_back(ranged.next_in(0, 9));
  CHECK(values == std::vector<std::uint64_t>{0, 6, 5, 9, 7, 4, 1, 7});
}

TEST_CASE("adding a stream does not shift the values of another", "[decision]") {
  DecisionSource alone(11, make_random_strategy(11));
  StreamId a = alone.stream("a");
  std::vector<std::uint64_t> first;
  for (int i = 0; i < 5; ++i) first.push_back(alone.uniform(a, 0, 1000));

  DecisionSource mixed(11, make_random_strategy(11));
  StreamId b = mixed.stream("b");
  StreamId a2 = mixed.stream("a");
  std::vector<std::uint64_t> second;
  for (int i = 0; i < 5; ++i) {
    mixed.uniform(b, 0, 1000);
    second.push_back(mixed.uniform(a2, 0, 1000));
  }
  CHECK(first == second);
}

TEST_CASE("different seeds give different streams", "[decision]") {
  StreamGenerator s1(1, "x");
  StreamGenerator s2(2, "x");
  CHECK(s1.next() != s2.next());
}

TEST_CASE("integer helpers stay in range and are logged", "[decision]") {
  DecisionSource source(5, make_random_strategy(5));
  StreamId s = source.stream("s");
  std::set<std::uint64_t> seen;
  for (int i = 0; i < 200; ++i) {
    std::uint64_t v = source.uniform(s, 10, 13);
    REQUIRE(v >= 10);
    REQUIRE(v <= 13);
    seen.insert(v);
  }
  CHECK(seen.size() == 4);
  CHECK(source.log().entries.size() == 200);
  CHECK(source.uniform(s, 9, 9) == 9);  // a single value is not a decision
  CHECK(source.log().entries.size() == 200);
  CHECK_FALSE(source.chance(s, 0, 5));
  CHECK(source.chance(s, 5, 5));
  CHECK(source.pick(s, 1) == 0);
  std::vector<int> items{1, 2, 3, 4, 5};
  source.shuffle(s, items);
  std::sort(items.begin(), items.end());
  CHECK(items == std::vector<int>{1, 2, 3, 4, 5});
  CHECK_THROWS_AS(source.chance(s, 3, 2), std::logic_error);
  CHECK_THROWS_AS(source.pick(s, 0), std::logic_error);
}

TEST_CASE("replay returns the logged values and reports divergence", "[decision]") {
  DecisionSource original(9, make_random_strategy(9));
  StreamId a = original.stream("alpha");
  StreamId b = original.stream("beta");
  std::vector<std::uint64_t> drawn{original.uniform(a, 0, 100), original.uniform(b, 5, 50), original.uniform(a, 0, 100)};

  SECTION("same requests replay the same values") {
    DecisionSource replayed(9, make_replay_strategy(original.log()));
    StreamId ra = replayed.stream("alpha");
    StreamId rb = replayed.stream("beta");
    CHECK(replayed.uniform(ra, 0, 100) == drawn[0]);
    CHECK(replayed.uniform(rb, 5, 50) == drawn[1]);
    CHECK(replayed.uniform(ra, 0, 100) == drawn[2]);
    CHECK(replayed.log().entries.size() == 3);
  }
  SECTION("another stream is a divergence naming both") {
    DecisionSource replayed(9, make_replay_strategy(original.log()));
    StreamId rb = replayed.stream("beta");
    try {
      replayed.uniform(rb, 5, 50);
      FAIL("expected a divergence");
    } catch (const DecisionDivergence& e) {
      CHECK(e.global_index() == 0);
      CHECK_THAT(e.requested(), Catch::Contains("beta"));
      CHECK_THAT(e.expected(), Catch::Contains("alpha"));
    }
  }
  SECTION("a value outside the requested range is a divergence") {
    DecisionSource replayed(9, make_replay_strategy(original.log()));
    StreamId ra = replayed.stream("alpha");
    // Narrow the range so that the logged value cannot fit.
    const std::uint64_t v = drawn[0];
    CHECK_THROWS_AS(replayed.uniform(ra, v + 1, v + 2), DecisionDivergence);
  }
  SECTION("asking for more than the log holds is a divergence") {
    DecisionLog truncated = original.log();
    truncated.entries.resize(1);
    DecisionSource replayed(9, make_replay_strategy(truncated));
    StreamId ra = replayed.stream("alpha");
    StreamId rb = replayed.stream("beta");
    replayed.uniform(ra, 0, 100);
    CHECK_THROWS_WITH(replayed.uniform(rb, 5, 50), Catch::Contains("end of the recorded log"));
  }
}

TEST_CASE("a model assertion names the broken condition and where it happened", "[assert]") {
  const auto check_slots = [](int slots) { PTOSIM_ASSERT(slots == 2, "window overrun"); };
  CHECK_NOTHROW(check_slots(2));
  CHECK_THROWS_WITH(check_slots(3), Catch::Contains("model assertion failed") && Catch::Contains("slots == 2") &&
                                        Catch::Contains("window overrun") && Catch::Contains("decision_source_test.cpp"));
}

#include "simcore/decision_source.h"
#include "simcore/hashing.h"
#include "simcore/model_assert.h"
#include "simcore/marks.h"

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

TEST_CASE("stream generators are pinned per (seed, name) and per key", "[decision]") {
  StreamGenerator gen(42, "core0.duration");
  CHECK(gen.next() == 0x2B2B82D237380C7DULL);
  CHECK(gen.next() == 0x189DC550D63CD303ULL);
  StreamGenerator ranged(7, "sched0.core_choice");
  std::vector<std::uint64_t> values;
  for (int i = 0; i < 8; ++i) values.push_back(ranged.next_in(0, 9));
  CHECK(values == std::vector<std::uint64_t>{0, 6, 5, 9, 7, 4, 1, 7});
  StreamGenerator keyed(42, fnv1a64("kernel.duration"), 17, 0, 0);
  StreamGenerator next_occurrence(42, fnv1a64("kernel.duration"), 17, 0, 1);
  CHECK(keyed.next() != next_occurrence.next());
}

TEST_CASE("a keyed value depends on the seed and the key only, not on earlier draws", "[decision]") {
  DecisionSource alone(11, make_random_strategy(11));
  const StreamId a = alone.stream("a");
  std::vector<std::uint64_t> first;
  for (std::uint64_t task = 0; task < 5; ++task) first.push_back(alone.decide({a, task, 0}, 0, 1000, 0));

  DecisionSource mixed(11, make_random_strategy(11));
  const StreamId b = mixed.stream("b");
  const StreamId a2 = mixed.stream("a");
  std::vector<std::uint64_t> second;
  for (std::uint64_t task = 5; task-- > 0;) {  // other order, other draws in between
    mixed.decide({b, task, 3}, 0, 1000, 0);
    second.insert(second.begin(), mixed.decide({a2, task, 0}, 0, 1000, 0));
  }
  CHECK(first == second);
  // Pinned: the value of one key for one seed.
  DecisionSource pinned(42, make_random_strategy(42));
  CHECK(pinned.decide({pinned.stream("kernel.duration"), 17, 0}, 1000, 2000, 1000) == 1744);
}

TEST_CASE("a repeated key counts its occurrences", "[decision]") {
  DecisionSource source(3, make_random_strategy(3));
  const StreamId s = source.stream("sched.ready_pop");
  std::set<std::uint64_t> seen;
  for (int i = 0; i < 50; ++i) seen.insert(source.decide({s, 1, 0}, 0, 1'000'000, 0));
  CHECK(seen.size() > 45);  // not the same value 50 times
  REQUIRE(source.log().entries.size() == 50);
  CHECK(source.log().entries[0].occurrence == 0);
  CHECK(source.log().entries[49].occurrence == 49);
  CHECK(source.log().describe_key(source.log().entries[49]) == "sched.ready_pop 1/0#49");
}

TEST_CASE("different seeds give different values", "[decision]") {
  StreamGenerator s1(1, "x");
  StreamGenerator s2(2, "x");
  CHECK(s1.next() != s2.next());
  DecisionSource d1(1, make_random_strategy(1));
  DecisionSource d2(2, make_random_strategy(2));
  int differ = 0;
  for (std::uint64_t i = 0; i < 20; ++i) differ += d1.decide({d1.stream("x"), i, 0}, 0, 1 << 20, 0) != d2.decide({d2.stream("x"), i, 0}, 0, 1 << 20, 0);
  CHECK(differ >= 19);
}

TEST_CASE("ranges, chances and choices stay in range, are logged with their defaults", "[decision]") {
  DecisionSource source(5, make_random_strategy(5));
  const StreamId s = source.stream("s");
  std::set<std::uint64_t> seen;
  for (std::uint64_t i = 0; i < 200; ++i) {
    const std::uint64_t v = source.decide({s, i, 0}, 10, 13, 11);
    REQUIRE(v >= 10);
    REQUIRE(v <= 13);
    seen.insert(v);
  }
  CHECK(seen.size() == 4);
  CHECK(source.log().entries.size() == 200);
  CHECK(source.log().entries[0].default_value == 11);
  CHECK(source.decide({s, 999, 0}, 9, 9, 9) == 9);  // a single value is not a decision
  CHECK(source.log().entries.size() == 200);
  CHECK_FALSE(source.decide_chance({s, 1, 1}, 0, 5));
  CHECK(source.decide_chance({s, 1, 1}, 5, 5));
  const std::uint64_t one[] = {42};
  CHECK(source.choose({s, 1, 2}, one) == 0);
  CHECK(source.log().entries.size() == 200);

  const std::uint64_t cores[] = {24, 26, 28};
  const std::size_t picked = source.choose({s, 7, 0}, cores, 1);
  REQUIRE(picked < 3);
  const DecisionEntry& entry = source.log().entries.back();
  CHECK(entry.kind == DecisionKind::choice);
  CHECK(entry.value == cores[picked]);  // logged as the candidate's identity
  CHECK(entry.default_value == 26);
  CHECK(entry.hi == 2);
  CHECK_THROWS_AS(source.decide_chance({s, 0, 0}, 3, 2), std::logic_error);
  CHECK_THROWS_AS(source.choose({s, 0, 0}, std::span<const std::uint64_t>()), std::logic_error);
  CHECK_THROWS_AS(source.decide({s, 0, 0}, 5, 4, 5), std::logic_error);
}

TEST_CASE("strict replay returns the logged decisions and reports divergence", "[decision]") {
  DecisionSource original(9, make_random_strategy(9));
  const StreamId a = original.stream("alpha");
  const StreamId b = original.stream("beta");
  const std::uint64_t cores[] = {3, 5, 7};
  std::vector<std::uint64_t> drawn{original.decide({a, 1, 0}, 0, 100, 0), original.decide({b, 2, 0}, 5, 50, 5),
                                   original.choose({a, 3, 0}, cores)};
  original.finish();

  SECTION("same requests replay the same values") {
    DecisionSource replayed(9, make_replay_strategy(original.log()));
    const StreamId ra = replayed.stream("alpha");
    const StreamId rb = replayed.stream("beta");
    CHECK(replayed.decide({ra, 1, 0}, 0, 100, 0) == drawn[0]);
    CHECK(replayed.decide({rb, 2, 0}, 5, 50, 5) == drawn[1]);
    CHECK(replayed.choose({ra, 3, 0}, cores) == drawn[2]);
    CHECK_NOTHROW(replayed.finish());
    CHECK(replayed.log().entries.size() == 3);
  }
  SECTION("another key is a divergence naming both") {
    DecisionSource replayed(9, make_replay_strategy(original.log()));
    const StreamId rb = replayed.stream("beta");
    reset_marks();
    try {
      replayed.decide({rb, 2, 0}, 5, 50, 5);
      FAIL("expected a divergence");
    } catch (const DecisionDivergence& e) {
      CHECK(mark_count("replay divergence") == 1);
      CHECK(e.global_index() == 0);
      CHECK_THAT(e.requested(), Catch::Contains("beta"));
      CHECK_THAT(e.expected(), Catch::Contains("alpha"));
    }
  }
  SECTION("another range is a divergence") {
    DecisionSource replayed(9, make_replay_strategy(original.log()));
    CHECK_THROWS_AS(replayed.decide({replayed.stream("alpha"), 1, 0}, 0, 101, 0), DecisionDivergence);
  }
  SECTION("a candidate that is not on offer is a divergence") {
    DecisionSource replayed(9, make_replay_strategy(original.log()));
    const StreamId ra = replayed.stream("alpha");
    const StreamId rb = replayed.stream("beta");
    replayed.decide({ra, 1, 0}, 0, 100, 0);
    replayed.decide({rb, 2, 0}, 5, 50, 5);
    const std::uint64_t other_cores[] = {11, 13, 17};
    CHECK_THROWS_AS(replayed.choose({ra, 3, 0}, other_cores), DecisionDivergence);
  }
  SECTION("asking for more than the log holds, or less, is a divergence") {
    DecisionLog truncated = original.log();
    truncated.entries.resize(1);
    DecisionSource longer(9, make_replay_strategy(truncated));
    longer.decide({longer.stream("alpha"), 1, 0}, 0, 100, 0);
    CHECK_THROWS_WITH(longer.decide({longer.stream("beta"), 2, 0}, 5, 50, 5), Catch::Contains("end of the recorded log"));
    DecisionSource shorter(9, make_replay_strategy(original.log()));
    shorter.decide({shorter.stream("alpha"), 1, 0}, 0, 100, 0);
    CHECK_THROWS_WITH(shorter.finish(), Catch::Contains("never asked for"));
  }
}

TEST_CASE("lenient replay looks decisions up by key, clamps, and falls back to defaults", "[decision]") {
  DecisionSource original(9, make_random_strategy(9));
  const StreamId a = original.stream("alpha");
  const std::uint64_t cores[] = {3, 5, 7};
  const std::uint64_t v1 = original.decide({a, 1, 0}, 0, 100, 0);
  const std::uint64_t v2 = original.decide({a, 2, 0}, 0, 100, 0);
  const std::size_t c = original.choose({a, 3, 0}, cores);
  DecisionLog edited = original.log();
  edited.entries[0].value = 1000;  // out of range after the edit: clamped

  DecisionSource replayed(9, make_lenient_replay_strategy(edited));
  const StreamId ra = replayed.stream("alpha");
  CHECK(replayed.choose({ra, 3, 0}, cores) == c);              // by key, in any order
  CHECK(replayed.decide({ra, 2, 0}, 0, 100, 0) == v2);
  CHECK(replayed.decide({ra, 1, 0}, 0, 100, 0) == 100);        // clamped
  CHECK(replayed.decide({ra, 9, 0}, 0, 100, 42) == 42);        // absent: the default
  const std::uint64_t fewer[] = {3, 11};
  CHECK(replayed.choose({ra, 3, 1}, fewer, 1) == 1);           // another occurrence: absent, default
  CHECK_NOTHROW(replayed.finish());
  (void)v1;
}

TEST_CASE("a model assertion names the broken condition and where it happened", "[assert]") {
  const auto check_slots = [](int slots) { PTOSIM_ASSERT(slots == 2, "window overrun"); };
  CHECK_NOTHROW(check_slots(2));
  CHECK_THROWS_WITH(check_slots(3), Catch::Contains("model assertion failed") && Catch::Contains("slots == 2") &&
                                        Catch::Contains("window overrun") && Catch::Contains("decision_source_test.cpp"));
}

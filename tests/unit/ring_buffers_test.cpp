// Ring arithmetic: task window, heap bump allocation with wrap and rebase, dep-list pool.
#include "runtime/ring_buffers.h"

#include <catch2/catch.hpp>

using namespace ptosim::runtime;

TEST_CASE("the task window holds at most window-1 tasks", "[ring]") {
  CHECK(window_has_room(0, 0, 4));
  CHECK(window_has_room(2, 0, 4));
  CHECK_FALSE(window_has_room(3, 0, 4));
  CHECK(window_has_room(3, 1, 4));
  CHECK_FALSE(window_has_room(1003, 1000, 4));
}

TEST_CASE("alignment rounds up", "[ring]") {
  CHECK(align_up(0, 64) == 0);
  CHECK(align_up(1, 64) == 64);
  CHECK(align_up(1024, 1024) == 1024);
  CHECK(align_up(1025, 1024) == 2048);
}

TEST_CASE("the heap bumps, wraps to 0 and never straddles the end", "[ring]") {
  HeapRing heap(1000);
  CHECK(heap.try_alloc(400) == 0u);
  CHECK(heap.try_alloc(400) == 400u);
  CHECK(heap.used() == 800);
  CHECK_FALSE(heap.try_alloc(300).has_value());  // end does not fit, tail (0) not > 300
  heap.reclaim_to(400);                          // the first buffer retired
  CHECK(heap.try_alloc(300) == 0u);              // wraps: tail 400 > 300
  CHECK(heap.top() == 300);
  CHECK(heap.used() == 1000 - 400 + 300);
  // top < tail: needs a strictly larger gap.
  CHECK_FALSE(heap.try_alloc(100).has_value());  // gap 100, not > 100
  CHECK(heap.try_alloc(99) == 300u);
}

TEST_CASE("an empty heap rebases both ends to 0", "[ring]") {
  HeapRing heap(1000);
  REQUIRE(heap.try_alloc(600) == 0u);
  heap.reclaim_to(600);                          // everything retired: top == tail == 600
  CHECK(heap.used() == 0);
  CHECK(heap.try_alloc(900) == 0u);              // neither end nor wrap fits; rebase does
  CHECK(heap.tail() == 0);
  CHECK(heap.top() == 900);
  CHECK_FALSE(heap.try_alloc(1001).has_value());
}

TEST_CASE("zero-byte allocations take no space", "[ring]") {
  HeapRing heap(100);
  CHECK(heap.try_alloc(0) == 0u);
  CHECK(heap.try_alloc(0) == 0u);
  CHECK(heap.used() == 0);
}

TEST_CASE("the dep pool reserves, reclaims in order and tracks its high water", "[ring]") {
  DepPool pool(10);
  CHECK(pool.try_reserve(6));
  CHECK_FALSE(pool.try_reserve(5));
  CHECK(pool.try_reserve(4));
  CHECK(pool.used() == 10);
  CHECK(pool.high_water() == 10);
  pool.reclaim_to(6);
  CHECK(pool.used() == 4);
  pool.reclaim_to(3);  // never moves backwards
  CHECK(pool.used() == 4);
  CHECK(pool.try_reserve(6));
  CHECK(pool.available() == 0);
}

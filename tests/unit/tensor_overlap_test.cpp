// The TensorMap overlap cascade (version, 1-D range, layout compatibility, per-dimension test)
// and the map's lookup/insert/cleanup behaviour.
#include "runtime/tensor_map.h"
#include "runtime/tensor_view.h"

#include <catch2/catch.hpp>

using namespace ptosim::runtime;

namespace {

TensorLayout matrix(std::int64_t rows, std::int64_t cols, DType dtype = DType::f32) {
  return make_contiguous({rows, cols}, dtype);
}

TensorLayout view_of(TensorLayout base, std::vector<std::int64_t> shape, std::vector<std::int64_t> offset) {
  REQUIRE(apply_view(base, shape, offset).empty());
  return base;
}

}  // namespace

TEST_CASE("identical views cover each other", "[overlap]") {
  TensorLayout a = view_of(matrix(64, 64), {16, 64}, {16, 0});
  CHECK(check_overlap(a, a) == Overlap::covered);
}

TEST_CASE("disjoint element ranges do not overlap", "[overlap]") {
  TensorLayout rows_0_15 = view_of(matrix(64, 64), {16, 64}, {0, 0});
  TensorLayout rows_16_31 = view_of(matrix(64, 64), {16, 64}, {16, 0});
  CHECK(check_overlap(rows_0_15, rows_16_31) == Overlap::no_overlap);
}

TEST_CASE("the input covering the entry is COVERED, the converse is OTHER", "[overlap]") {
  TensorLayout whole = matrix(64, 64);
  TensorLayout part = view_of(matrix(64, 64), {8, 8}, {8, 8});
  CHECK(check_overlap(whole, part) == Overlap::covered);
  CHECK(check_overlap(part, whole) == Overlap::other);
}

TEST_CASE("views whose 1-D ranges interleave are separated per dimension", "[overlap]") {
  // Columns 0..7 and 8..15 of the same rows: the element ranges interleave, the boxes do not.
  TensorLayout left = view_of(matrix(16, 16), {16, 8}, {0, 0});
  TensorLayout right = view_of(matrix(16, 16), {16, 8}, {0, 8});
  CHECK(check_overlap(left, right) == Overlap::no_overlap);
  TensorLayout middle = view_of(matrix(16, 16), {16, 8}, {0, 4});
  CHECK(check_overlap(left, middle) == Overlap::other);
}

TEST_CASE("a newer version always depends", "[overlap]") {
  TensorLayout a = view_of(matrix(64, 64), {16, 64}, {0, 0});
  TensorLayout b = view_of(matrix(64, 64), {16, 64}, {32, 0});
  b.version = 1;
  CHECK(check_overlap(b, a) == Overlap::other);
}

TEST_CASE("incompatible layouts are conservatively OTHER", "[overlap]") {
  TensorLayout base = matrix(16, 16);
  TensorLayout stepped = base;
  REQUIRE(apply_slice(stepped, 1, 0, 16, 2).empty());  // innermost stride 2
  CHECK(check_overlap(stepped, base) == Overlap::other);
  TensorLayout other_dtype = matrix(16, 16, DType::bf16);
  CHECK(check_overlap(other_dtype, base) == Overlap::other);
  TensorLayout flat = make_contiguous({256}, DType::f32);
  CHECK(check_overlap(flat, base) == Overlap::other);
}

TEST_CASE("two reshape views of one buffer cover each other", "[overlap]") {
  // The missing-WAR story: ori_kv_flat and kv_cache_flat are separate reshapes of one buffer.
  TensorLayout cache = make_contiguous({4, 8, 16}, DType::bf16);
  TensorLayout first = cache;
  TensorLayout second = cache;
  REQUIRE(apply_reshape(first, {32, 16}).empty());
  REQUIRE(apply_reshape(second, {32, 16}).empty());
  CHECK(check_overlap(second, first) == Overlap::covered);
}

TEST_CASE("views reject out-of-bounds requests", "[overlap]") {
  TensorLayout base = matrix(8, 8);
  CHECK_FALSE(apply_view(base, {4, 8}, {6, 0}).empty());
  CHECK_FALSE(apply_view(base, {4}, {0}).empty());
  CHECK_FALSE(apply_reshape(base, {7, 8}).empty());
  CHECK_FALSE(apply_slice(base, 2, 0, 1, 1).empty());
  TensorLayout sliced = base;
  REQUIRE(apply_slice(sliced, 0, 0, 8, 2).empty());
  CHECK_FALSE(apply_reshape(sliced, {32}).empty());  // not contiguous any more
}

TEST_CASE("lookup walks newest first and removes COVERED entries under INOUT", "[tensormap]") {
  TensorMap map;
  const TensorLayout rows0 = view_of(matrix(64, 64), {16, 64}, {0, 0});
  const TensorLayout rows1 = view_of(matrix(64, 64), {16, 64}, {16, 0});
  map.insert(TensorMapEntry{0x1000, 1, rows0});
  map.insert(TensorMapEntry{0x1000, 2, rows1});
  map.insert(TensorMapEntry{0x1000, 3, rows0});
  map.insert(TensorMapEntry{0x2000, 4, rows0});
  CHECK(map.size() == 4);

  std::vector<std::uint32_t> hits;
  map.lookup(0x1000, rows0, false, [&](const TensorMapEntry& e, Overlap) { hits.push_back(e.producer); });
  CHECK(hits == std::vector<std::uint32_t>{3, 1});  // 2 does not overlap; nothing retires in the graph's map

  hits.clear();
  map.lookup(0x1000, matrix(64, 64), true, [&](const TensorMapEntry& e, Overlap) { hits.push_back(e.producer); });
  CHECK(hits == std::vector<std::uint32_t>{3, 2, 1});  // newest first
  CHECK(map.size() == 1);                               // the COVERED entries are removed; 0x2000 stays
}

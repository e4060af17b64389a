// Exact GM geometry: the element runs of a view and the intersection of two views, checked
// against brute-force enumeration of every element, over views built by chains of view,
// reshape and slice (with steps), as the scenario language builds them.
#include "hwmodel/gm_layout.h"
#include "simcore/decision_source.h"

#include <catch2/catch.hpp>

#include <set>

using namespace ptosim::hwmodel;

namespace {

std::set<std::int64_t> brute_elements(const TensorLayout& layout) {
  std::set<std::int64_t> elements;
  if (layout.element_count() == 0) return elements;
  std::array<std::int64_t, MAX_TENSOR_DIMS> index{};
  while (true) {
    std::int64_t offset = layout.start_offset;
    for (int d = 0; d < layout.ndims; ++d) offset += index[d] * layout.strides[d];
    elements.insert(offset);
    int d = layout.ndims - 1;
    while (d >= 0 && ++index[d] == layout.shapes[d]) index[d--] = 0;
    if (d < 0) break;
  }
  return elements;
}

bool brute_intersect(const TensorLayout& a, const TensorLayout& b) {
  const std::set<std::int64_t> ea = brute_elements(a);
  for (std::int64_t e : brute_elements(b)) {
    if (ea.count(e) != 0) return true;
  }
  return false;
}

std::set<std::int64_t> elements_of_runs(const std::vector<ElementRange>& runs) {
  std::set<std::int64_t> elements;
  for (const ElementRange& run : runs) {
    for (std::int64_t e = run.begin; e < run.end; ++e) elements.insert(e);
  }
  return elements;
}

// A random view of a random contiguous buffer: 0..3 transforms of view / reshape / slice.
TensorLayout random_view(ptosim::simcore::StreamGenerator& rng) {
  auto pick = [&](std::int64_t lo, std::int64_t hi) { return static_cast<std::int64_t>(rng.next_in(lo, hi)); };
  std::vector<std::int64_t> shape;
  const int dims = static_cast<int>(pick(1, 3));
  for (int d = 0; d < dims; ++d) shape.push_back(pick(1, 6));
  TensorLayout layout = make_contiguous(shape, DType::f32);
  for (int step = static_cast<int>(pick(0, 3)); step > 0; --step) {
    const std::int64_t kind = pick(0, 2);
    if (kind == 0) {
      std::vector<std::int64_t> shapes;
      std::vector<std::int64_t> offsets;
      for (int d = 0; d < layout.ndims; ++d) {
        const std::int64_t size = pick(0, layout.shapes[d]);
        shapes.push_back(size);
        offsets.push_back(pick(0, layout.shapes[d] - size));
      }
      REQUIRE(apply_view(layout, shapes, offsets).empty());
    } else if (kind == 1) {
      if (!layout.is_contiguous()) continue;
      const std::int64_t count = layout.element_count();
      std::vector<std::int64_t> shapes;
      if (count > 1 && count % 2 == 0 && pick(0, 1) == 0) {
        shapes = {2, count / 2};
      } else {
        shapes = {count};
      }
      REQUIRE(apply_reshape(layout, shapes).empty());
    } else {
      const int dim = static_cast<int>(pick(0, layout.ndims - 1));
      const std::int64_t start = pick(0, layout.shapes[dim]);
      const std::int64_t end = pick(start, layout.shapes[dim]);
      REQUIRE(apply_slice(layout, dim, start, end, pick(1, 3)).empty());
    }
  }
  return layout;
}

}  // namespace

TEST_CASE("runs of a view are its exact element set, ascending and merged", "[geometry]") {
  ptosim::simcore::StreamGenerator rng(11, "gm_layout.runs");
  for (int trial = 0; trial < 3000; ++trial) {
    const TensorLayout layout = random_view(rng);
    std::vector<ElementRange> runs;
    append_runs(layout, runs);
    CHECK(elements_of_runs(runs) == brute_elements(layout));
    CHECK(static_cast<std::int64_t>(runs.size()) <= run_count(layout));
    for (std::size_t i = 1; i < runs.size(); ++i) CHECK(runs[i - 1].end < runs[i].begin);
  }
}

TEST_CASE("views_intersect agrees with brute force on random views", "[geometry]") {
  ptosim::simcore::StreamGenerator rng(12, "gm_layout.intersect");
  int intersecting = 0;
  for (int trial = 0; trial < 20000; ++trial) {
    // Element offsets are relative to one buffer base, whatever shape each view came from.
    const TensorLayout a = random_view(rng);
    TensorLayout b = random_view(rng);
    const bool expected = brute_intersect(a, b);
    intersecting += expected ? 1 : 0;
    INFO("trial " << trial);
    CHECK(views_intersect(a, b) == expected);
    CHECK(views_intersect(b, a) == expected);
  }
  CHECK(intersecting > 100);  // both answers were exercised
}

TEST_CASE("reshape views of one buffer: the missing-WAR shape", "[geometry]") {
  // kv_cache [8, 4, 16] seen as [32, 16] by the gather and by the writeback.
  TensorLayout cache = make_contiguous({8, 4, 16}, DType::bf16);
  TensorLayout gather_view = cache;
  REQUIRE(apply_reshape(gather_view, {32, 16}).empty());
  TensorLayout writeback_view = cache;
  REQUIRE(apply_reshape(writeback_view, {32, 16}).empty());
  REQUIRE(apply_view(writeback_view, {2, 16}, {30, 0}).empty());
  CHECK(views_intersect(gather_view, writeback_view));
  // One selected row of the gather meets the written rows only when it is one of them.
  CHECK(views_intersect(select_row(gather_view, 31), writeback_view));
  CHECK_FALSE(views_intersect(select_row(gather_view, 29), writeback_view));
}

TEST_CASE("interleaved strided views are told apart without enumerating", "[geometry]") {
  // Even and odd columns of a large matrix: bounding boxes overlap everywhere, elements never.
  TensorLayout base = make_contiguous({1 << 16, 256}, DType::f32);
  TensorLayout even = base;
  REQUIRE(apply_slice(even, 1, 0, 256, 2).empty());
  TensorLayout odd = base;
  REQUIRE(apply_slice(odd, 1, 1, 256, 2).empty());
  CHECK_FALSE(views_intersect(even, odd));
  TensorLayout every_third = base;
  REQUIRE(apply_slice(every_third, 1, 1, 256, 3).empty());
  CHECK(views_intersect(even, every_third));
  CHECK(run_count(even) == (1 << 16) * 128);
}

TEST_CASE("select_row narrows dimension 0 and keeps the rank", "[geometry]") {
  TensorLayout m = make_contiguous({6, 10}, DType::f16);
  TensorLayout row = select_row(m, 4);
  CHECK(row.ndims == 2);
  CHECK(row.shapes[0] == 1);
  std::vector<ElementRange> runs;
  append_runs(row, runs);
  REQUIRE(runs.size() == 1);
  CHECK(runs[0] == ElementRange{40, 50});
}

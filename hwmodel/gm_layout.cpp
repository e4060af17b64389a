#include "hwmodel/gm_layout.h"

#include <algorithm>
#include <set>
#include <tuple>

namespace ptosim::hwmodel {

bool parse_dtype(const std::string& text, DType& out) {
  static const std::pair<const char*, DType> table[] = {{"f32", DType::f32}, {"f16", DType::f16},
                                                         {"bf16", DType::bf16}, {"i32", DType::i32},
                                                         {"i8", DType::i8},   {"u8", DType::u8},
                                                         {"i64", DType::i64}};
  for (const auto& [name, dtype] : table) {
    if (text == name) {
      out = dtype;
      return true;
    }
  }
  return false;
}

const char* to_string(DType dtype) {
  switch (dtype) {
    case DType::f32: return "f32";
    case DType::f16: return "f16";
    case DType::bf16: return "bf16";
    case DType::i32: return "i32";
    case DType::i8: return "i8";
    case DType::u8: return "u8";
    case DType::i64: return "i64";
  }
  return "?";
}

TensorLayout make_contiguous(const std::vector<std::int64_t>& shapes, DType dtype) {
  TensorLayout layout;
  layout.ndims = static_cast<int>(shapes.size());
  layout.dtype = dtype;
  std::int64_t stride = 1;
  for (int d = layout.ndims - 1; d >= 0; --d) {
    layout.shapes[d] = shapes[d];
    layout.strides[d] = stride;
    stride *= shapes[d];
  }
  return layout;
}

std::string apply_view(TensorLayout& layout, const std::vector<std::int64_t>& shapes,
                       const std::vector<std::int64_t>& offsets) {
  if (static_cast<int>(shapes.size()) != layout.ndims || static_cast<int>(offsets.size()) != layout.ndims) {
    return "view needs " + std::to_string(layout.ndims) + " shapes and offsets (the tensor's rank)";
  }
  for (int d = 0; d < layout.ndims; ++d) {
    if (shapes[d] < 0 || offsets[d] < 0 || offsets[d] + shapes[d] > layout.shapes[d]) {
      return "view dimension " + std::to_string(d) + " [" + std::to_string(offsets[d]) + ", " +
             std::to_string(offsets[d] + shapes[d]) + ") exceeds the tensor's extent " + std::to_string(layout.shapes[d]);
    }
  }
  for (int d = 0; d < layout.ndims; ++d) {
    layout.start_offset += offsets[d] * layout.strides[d];
    layout.shapes[d] = shapes[d];
  }
  return {};
}

std::string apply_reshape(TensorLayout& layout, const std::vector<std::int64_t>& shapes) {
  if (!layout.is_contiguous()) return "reshape needs a contiguous tensor";
  if (shapes.empty() || shapes.size() > MAX_TENSOR_DIMS) return "reshape needs 1 to 5 dimensions";
  std::int64_t count = 1;
  for (std::int64_t s : shapes) {
    if (s < 0) return "reshape dimensions must be >= 0";
    if (__builtin_mul_overflow(count, s, &count)) return "reshape to more elements than an int64 holds";
  }
  if (count != layout.element_count()) {
    return "reshape to " + std::to_string(count) + " elements from " + std::to_string(layout.element_count());
  }
  TensorLayout reshaped = make_contiguous(shapes, layout.dtype);
  reshaped.start_offset = layout.start_offset;
  reshaped.version = layout.version;
  reshaped.manual_dep = layout.manual_dep;
  layout = reshaped;
  return {};
}

std::string apply_slice(TensorLayout& layout, int dim, std::int64_t start, std::int64_t end, std::int64_t step) {
  if (dim < 0 || dim >= layout.ndims) return "slice dimension " + std::to_string(dim) + " out of range";
  if (step < 1) return "slice step must be >= 1";
  if (start < 0 || end < start || end > layout.shapes[dim]) {
    return "slice [" + std::to_string(start) + ", " + std::to_string(end) + ") exceeds the extent " +
           std::to_string(layout.shapes[dim]);
  }
  layout.start_offset += start * layout.strides[dim];
  layout.shapes[dim] = (end - start + step - 1) / step;
  layout.strides[dim] *= step;
  return {};
}

namespace {

// A view's element set in a canonical form: the offsets
//   offset + sum(i_d * stride_d) + [0, run)   for 0 <= i_d < count_d,
// with dimensions of size 1 dropped, dimensions ordered by decreasing stride, contiguous inner
// dimensions folded into `run` and nested dimensions that tile each other merged.
struct Progression {
  std::int64_t offset = 0;
  int dims = 0;
  std::array<std::int64_t, MAX_TENSOR_DIMS> count{};
  std::array<std::int64_t, MAX_TENSOR_DIMS> stride{};
  std::int64_t run = 1;
  bool empty = false;
};

Progression normalize(const TensorLayout& layout) {
  Progression p;
  p.offset = layout.start_offset;
  std::array<std::pair<std::int64_t, std::int64_t>, MAX_TENSOR_DIMS> dims{};  // (stride, count)
  int n = 0;
  for (int d = 0; d < layout.ndims; ++d) {
    if (layout.shapes[d] == 0) {
      p.empty = true;
      return p;
    }
    if (layout.shapes[d] > 1) dims[n++] = {layout.strides[d], layout.shapes[d]};
  }
  // Insertion sort (stable, no allocation): at most five dimensions, usually already in order.
  for (int i = 1; i < n; ++i) {
    for (int j = i; j > 0 && dims[j - 1].first < dims[j].first; --j) std::swap(dims[j - 1], dims[j]);
  }
  while (n > 0 && dims[n - 1].first == p.run) {
    p.run *= dims[n - 1].second;
    --n;
  }
  // Merge an outer dimension into the next inner one when it continues its progression.
  int out = 0;
  for (int d = n - 1; d >= 0; --d) {
    if (out > 0 && dims[d].first == p.stride[out - 1] * p.count[out - 1]) {
      p.count[out - 1] *= dims[d].second;
      continue;
    }
    p.stride[out] = dims[d].first;
    p.count[out] = dims[d].second;
    ++out;
  }
  // Built innermost first; store outermost first.
  p.dims = out;
  std::reverse(p.stride.begin(), p.stride.begin() + out);
  std::reverse(p.count.begin(), p.count.begin() + out);
  return p;
}

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

class Intersector {
 public:
  Intersector(const Progression& a, const Progression& b) : a_(a), b_(b) {
    spans(a_, span_a_);
    spans(b_, span_b_);
  }

  // Sub-view of A made of dimensions ia.. placed at 0, sub-view of B of dimensions ib.. at delta.
  bool overlap(int ia, int ib, std::int64_t delta) {
    if (++steps_ > INTERSECT_STEP_LIMIT) return true;
    const std::int64_t la = span_a_[ia];
    const std::int64_t lb = span_b_[ib];
    if (delta >= la || delta + lb <= 0) return false;
    if (ia == a_.dims && ib == b_.dims) return true;  // two runs whose spans meet
    const auto key = std::make_tuple(ia, ib, delta);
    if (disjoint_.count(key) != 0) return false;
    const bool split_a = ib == b_.dims || (ia < a_.dims && la >= lb);
    if (split_a) {
      const std::int64_t s = a_.stride[ia];
      const std::int64_t inner = span_a_[ia + 1];
      // Sub-view i occupies [i*s, i*s + inner); only those meeting [delta, delta + lb) matter.
      const std::int64_t lo = std::max<std::int64_t>(0, floor_div(delta - inner, s) + 1);
      const std::int64_t hi = std::min<std::int64_t>(a_.count[ia] - 1, floor_div(delta + lb - 1, s));
      for (std::int64_t i = lo; i <= hi; ++i) {
        if (overlap(ia + 1, ib, delta - i * s)) return true;
        if (steps_ > INTERSECT_STEP_LIMIT) return true;
      }
    } else {
      const std::int64_t s = b_.stride[ib];
      const std::int64_t inner = span_b_[ib + 1];
      // Sub-view j occupies [delta + j*s, delta + j*s + inner); only those meeting [0, la).
      const std::int64_t lo = std::max<std::int64_t>(0, floor_div(-delta - inner, s) + 1);
      const std::int64_t hi = std::min<std::int64_t>(b_.count[ib] - 1, floor_div(la - 1 - delta, s));
      for (std::int64_t j = lo; j <= hi; ++j) {
        if (overlap(ia, ib + 1, delta + j * s)) return true;
        if (steps_ > INTERSECT_STEP_LIMIT) return true;
      }
    }
    disjoint_.insert(key);
    return false;
  }

 private:
  static void spans(const Progression& p, std::array<std::int64_t, MAX_TENSOR_DIMS + 1>& out) {
    out[static_cast<std::size_t>(p.dims)] = p.run;
    for (int d = p.dims - 1; d >= 0; --d) out[d] = out[d + 1] + (p.count[d] - 1) * p.stride[d];
  }

  const Progression& a_;
  const Progression& b_;
  std::array<std::int64_t, MAX_TENSOR_DIMS + 1> span_a_{};
  std::array<std::int64_t, MAX_TENSOR_DIMS + 1> span_b_{};
  std::set<std::tuple<int, int, std::int64_t>> disjoint_;  // sub-problems known to be disjoint
  std::uint64_t steps_ = 0;
};

}  // namespace

TensorLayout select_row(const TensorLayout& layout, std::int64_t row) {
  TensorLayout selected = layout;
  selected.start_offset += row * layout.strides[0];
  selected.shapes[0] = 1;
  return selected;
}

std::int64_t run_count(const TensorLayout& layout) {
  const Progression p = normalize(layout);
  if (p.empty) return 0;
  std::int64_t runs = 1;
  for (int d = 0; d < p.dims; ++d) {
    if (__builtin_mul_overflow(runs, p.count[d], &runs)) return INT64_MAX;
  }
  return runs;
}

void append_runs(const TensorLayout& layout, std::vector<ElementRange>& out) {
  if (layout.is_contiguous()) {  // the common case: one run, no normalisation needed
    const std::int64_t count = layout.element_count();
    if (count > 0) out.push_back(ElementRange{layout.start_offset, layout.start_offset + count});
    return;
  }
  const Progression p = normalize(layout);
  if (p.empty) return;
  const std::size_t first = out.size();
  std::array<std::int64_t, MAX_TENSOR_DIMS> index{};
  while (true) {
    std::int64_t begin = p.offset;
    for (int d = 0; d < p.dims; ++d) begin += index[d] * p.stride[d];
    if (out.size() > first && out.back().end == begin) {
      out.back().end = begin + p.run;
    } else {
      out.push_back(ElementRange{begin, begin + p.run});
    }
    int d = p.dims - 1;
    while (d >= 0 && ++index[d] == p.count[d]) index[d--] = 0;
    if (d < 0) break;
  }
  // Views built by view/reshape/slice come out ascending; anything else is put in order here.
  for (std::size_t i = first + 1; i < out.size(); ++i) {
    if (out[i].begin < out[i - 1].end) {
      std::vector<ElementRange> mine(out.begin() + static_cast<std::ptrdiff_t>(first), out.end());
      normalize_ranges(mine);
      out.resize(first);
      out.insert(out.end(), mine.begin(), mine.end());
      break;
    }
  }
}

void normalize_ranges(std::vector<ElementRange>& ranges) {
  std::sort(ranges.begin(), ranges.end(), [](const ElementRange& x, const ElementRange& y) { return x.begin < y.begin; });
  std::size_t kept = 0;
  for (const ElementRange& range : ranges) {
    if (range.end <= range.begin) continue;
    if (kept > 0 && range.begin <= ranges[kept - 1].end) {
      ranges[kept - 1].end = std::max(ranges[kept - 1].end, range.end);
    } else {
      ranges[kept++] = range;
    }
  }
  ranges.resize(kept);
}

bool views_intersect(const TensorLayout& a, const TensorLayout& b) {
  const Progression pa = normalize(a);
  const Progression pb = normalize(b);
  if (pa.empty || pb.empty) return false;
  Intersector search(pa, pb);
  return search.overlap(0, 0, pb.offset - pa.offset);
}

}  // namespace ptosim::hwmodel
